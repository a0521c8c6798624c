"""kube's bootstrap policy: the default ClusterRoles and ClusterRoleBindings
(``bootstrap-policy.json``, read from kube's ``bootstrappolicy``), created at start when missing,
labelled ``kubernetes.io/bootstrapping: rbac-defaults`` and annotated
``rbac.authorization.kubernetes.io/autoupdate: "true"`` (kube's ``rbac/bootstrap-roles`` hook)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry

GROUP = "rbac.authorization.k8s.io"
API_VERSION = f"{GROUP}/v1"
_META: Obj = {"labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
              "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}}


def _rule(text: str) -> Obj:
    fields = text.split("|")
    verbs = fields[0].split(",")
    if len(fields) == 2:
        return {"verbs": verbs, "nonResourceURLs": fields[1].split(",")}
    rule: Obj = {"verbs": verbs, "apiGroups": fields[1].split(","), "resources": fields[2].split(",")}
    if len(fields) > 3:
        rule["resourceNames"] = fields[3].split(",")
    return rule


@cache
def _policy() -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((Path(__file__).parent / "bootstrap-policy.json").read_bytes())
    return data


def cluster_roles() -> list[Obj]:
    """The bootstrap ClusterRoles (fresh copies)."""
    out = []
    for name, spec in _policy()["clusterRoles"].items():
        meta = {"name": name, "labels": {**_META["labels"], **spec.get("labels", {})},
                "annotations": dict(_META["annotations"])}
        role: Obj = {"apiVersion": API_VERSION, "kind": "ClusterRole", "metadata": meta}
        if "aggregate" in spec:
            role["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {label: "true"}}
                                                                for label in spec["aggregate"]]}
        role["rules"] = [_rule(r) for r in spec.get("rules", [])]
        out.append(role)
    return out


def cluster_role_bindings() -> list[Obj]:
    """The bootstrap ClusterRoleBindings (fresh copies)."""
    out = []
    for name, subjects in _policy()["clusterRoleBindings"].items():
        binding: Obj = {"apiVersion": API_VERSION, "kind": "ClusterRoleBinding",
                        "metadata": {"name": name, "labels": dict(_META["labels"]),
                                     "annotations": dict(_META["annotations"])},
                        "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": name}}
        if subjects:
            binding["subjects"] = [{"apiGroup": GROUP, "kind": kind, "name": subject}
                                   for kind, subject in (s.split(":", 1) for s in subjects)]
        out.append(binding)
    return out


async def ensure_bootstrap_policy(registry: Registry, objects: ObjectStore) -> None:
    """Create the bootstrap ClusterRoles and bindings that do not exist."""
    for plural, items in (("clusterroles", cluster_roles()), ("clusterrolebindings", cluster_role_bindings())):
        resource = registry.get(GROUP, "v1", plural)
        assert resource is not None
        for obj in items:
            if await objects.storage.get(resource.key(None, obj["metadata"]["name"])) is not None:
                continue
            try:
                await objects.create(resource, None, obj)
            except errors.StatusError as exc:
                if exc.code != 409:
                    raise
