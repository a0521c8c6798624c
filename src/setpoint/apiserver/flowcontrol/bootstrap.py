"""kube-apiserver's bootstrap flow control configuration (``bootstrap.json``, kube's
``apis/flowcontrol/bootstrap/default.go``) and its ensurer.

At start the mandatory objects (``exempt`` and ``catch-all``) and the suggested ones
(``system``, ``node-high``, ``leader-election``, ``workload-high``, ``workload-low``,
``global-default`` and their FlowSchemas) are created if missing, annotated
``apf.kubernetes.io/autoupdate-spec: "true"``; an existing object carrying that annotation
(or a mandatory one without it) gets the bootstrap spec back. Objects a user owns
(annotation ``"false"``) are left alone.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import logging
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Resource

log = logging.getLogger(__name__)

AUTOUPDATE_ANNOTATION = "apf.kubernetes.io/autoupdate-spec"

_DATA: dict[str, Any] = json.loads(
    importlib.resources.files("setpoint.apiserver.flowcontrol").joinpath("bootstrap.json").read_text())

MANDATORY_LEVELS: list[Obj] = _DATA["mandatoryPriorityLevelConfigurations"]
MANDATORY_SCHEMAS: list[Obj] = _DATA["mandatoryFlowSchemas"]
SUGGESTED_LEVELS: list[Obj] = _DATA["suggestedPriorityLevelConfigurations"]
SUGGESTED_SCHEMAS: list[Obj] = _DATA["suggestedFlowSchemas"]


async def ensure(objects: ObjectStore, schemas: Resource, levels: Resource) -> None:
    """Create or refresh the bootstrap objects (levels first, so no schema dangles)."""
    for resource, items, mandatory in ((levels, MANDATORY_LEVELS, True), (levels, SUGGESTED_LEVELS, False),
                                       (schemas, MANDATORY_SCHEMAS, True), (schemas, SUGGESTED_SCHEMAS, False)):
        for item in items:
            await _ensure_one(objects, resource, item, mandatory)


async def _ensure_one(objects: ObjectStore, resource: Resource, item: Obj, mandatory: bool) -> None:
    name = item["metadata"]["name"]
    cacher = objects.cacher(resource)
    await cacher.wait_ready()
    current = cacher.get(resource.key(None, name))
    if current is None:
        obj = copy.deepcopy(item)
        obj["metadata"]["annotations"] = {AUTOUPDATE_ANNOTATION: "true"}
        try:
            await objects.create(resource, None, obj)
        except errors.StatusError as exc:
            if exc.code != 409:
                raise
        return
    annotation = ((current.obj.get("metadata") or {}).get("annotations") or {}).get(AUTOUPDATE_ANNOTATION)
    if annotation != "true" and not (mandatory and annotation is None):
        return
    if current.obj.get("spec") == item["spec"] and annotation == "true":
        return

    async def mutate(obj: Obj) -> Obj:
        meta = dict(obj.get("metadata") or {})
        meta["annotations"] = {**(meta.get("annotations") or {}), AUTOUPDATE_ANNOTATION: "true"}
        return {**obj, "metadata": meta, "spec": copy.deepcopy(item["spec"])}

    try:
        await objects.guaranteed_update(resource, None, name, mutate)
    except errors.StatusError as exc:
        log.warning("cannot restore the bootstrap %s %s: %s", resource.kind, name, exc)
