"""CustomResourceDefinitions: the CRD kind, and serving custom resources from them.

:class:`CRDController` follows the CRDs in storage: it serves every served
version of an established CRD as a :class:`Resource`, keeps the CRD's status
(``NamesAccepted``, ``Established``, ``acceptedNames``), as the
apiextensions-apiserver's naming and establishing controllers do, and stops serving
a CRD once it is gone. Deleting a CRD's objects before its
``customresourcecleanup.apiextensions.k8s.io`` finalizer is released is the CRD
finalizer's job (``setpoint.controllers.crd_cleanup``), a controller above this layer.
It reads and writes through the server's :class:`Registry` and :class:`ObjectStore`,
not the server itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any

import orjson

from setpoint.apimachinery import goformat
from setpoint.apimachinery.clock import now_rfc3339
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.admission.webhookclient import WebhookClient
from setpoint.apiserver.apiextensions import crd_validation
from setpoint.apiserver.apiextensions.conversionwebhook import WebhookConverter
from setpoint.apiserver.apiextensions.customresource import CustomResourceSchema, json_path_first
from setpoint.apiserver.builtin import definitions
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.endpoints import table
from setpoint.apiserver.fieldmanager import manager as fieldmanager
from setpoint.apiserver.registry import cacher as cache
from setpoint.apiserver.registry import metadata
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Column, Registry, Resource, Strategy

log = logging.getLogger(__name__)

GROUP = "apiextensions.k8s.io"
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _condition(type_: str, status: str, reason: str, message: str, old: list[Obj]) -> Obj:
    for c in old:
        if c.get("type") == type_ and c.get("status") == status:
            return {**c, "reason": reason, "message": message}
    return {"type": type_, "status": status, "lastTransitionTime": now_rfc3339(), "reason": reason,
            "message": message}


def storage_version(crd: Obj) -> str:
    for v in (crd.get("spec") or {}).get("versions") or []:
        if isinstance(v, dict) and v.get("storage"):
            return str(v.get("name"))
    return ""


class CRDStrategy(Strategy):
    """``apiextensions.k8s.io/v1`` CustomResourceDefinition."""

    def name_fn(self, name: str, prefix: bool) -> list[str]:
        return metadata.name_is_dns_subdomain(name, prefix)

    def prepare_for_create(self, obj: Obj) -> None:
        self._default(obj)
        version = storage_version(obj)
        obj["status"] = {"conditions": [], "acceptedNames": {"plural": "", "kind": ""},
                         "storedVersions": [version] if version else []}

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        self._default(obj)
        status = dict(old.get("status") or {})
        stored = list(status.get("storedVersions") or [])
        version = storage_version(obj)
        if version and version not in stored:
            stored.append(version)
        status["storedVersions"] = stored
        obj["status"] = status

    @staticmethod
    def _default(obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        names = spec.get("names")
        if isinstance(names, dict) and isinstance(names.get("kind"), str):
            names.setdefault("singular", names["kind"].lower())
            names.setdefault("listKind", names["kind"] + "List")
        if not isinstance(spec.get("conversion"), dict):
            spec["conversion"] = {"strategy": "None"}

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        # apiextensions' ValidateCustomResourceDefinition (names, versions, structural schemas, CEL).
        return crd_validation.validate_crd(obj)

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        return crd_validation.validate_crd(obj, old)

    def on_delete(self, obj: Obj) -> Obj | None:
        meta = dict(obj["metadata"])
        finalizers = list(meta.get("finalizers") or [])
        if CLEANUP_FINALIZER not in finalizers:
            finalizers.append(CLEANUP_FINALIZER)
        meta["finalizers"] = finalizers
        status = dict(obj.get("status") or {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "Terminating"]
        conditions.append(_condition("Terminating", "True", "InstanceDeletionPending",
                                     "CustomResourceDefinition marked for deletion; "
                                     "CustomResource deletion will begin soon", []))
        status["conditions"] = conditions
        return {**obj, "metadata": meta, "status": status}


class CustomResourceStrategy(Strategy):
    """Custom resources: metadata semantics, the CRD's subresources and its schema
    (defaulting, pruning, validation and CEL rules: :mod:`crvalidation`)."""

    allow_unconditional_update = False
    return_deleted_object = True

    def __init__(self, has_status: bool, scale: Obj | None, schema: CustomResourceSchema | None = None) -> None:
        self.has_status = has_status
        self.schema = schema
        #: The Warning of every request to a deprecated version ("" when not deprecated).
        self.deprecation_warning = ""
        self.scale_paths: tuple[str, str, str] | None = None
        if scale is not None:
            self.scale_paths = (str(scale.get("specReplicasPath", "")), str(scale.get("statusReplicasPath", "")),
                                str(scale.get("labelSelectorPath") or ""))

    def name_fn(self, name: str, prefix: bool) -> list[str]:
        return metadata.name_is_dns_subdomain(name, prefix)

    def unknown_fields(self, obj: Obj) -> list[str]:
        """Default and prune a decoded body (kube does both while decoding); the unknown fields."""
        return self.schema.decode(obj, remember=True) if self.schema is not None else []

    def prepare_for_create(self, obj: Obj) -> None:
        if self.has_status:
            obj.pop("status", None)
        if self.schema is not None:
            self.schema.ensure_decoded(obj)

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        if self.schema is not None:
            self.schema.ensure_decoded(obj)

    def prepare_for_status_update(self, obj: Obj, old: Obj) -> Obj:
        new = super().prepare_for_status_update(obj, old)
        if self.schema is not None:
            self.schema.forget(obj)
            self.schema.decode(new)
        return new

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        if self.schema is None:
            return self._scale_errors(obj)
        return self.schema.validate(obj, None, self._scale_errors(obj))

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        if self.schema is None:
            return self._scale_errors(obj)
        return self.schema.validate(obj, old, self._scale_errors(obj))

    def _scale_errors(self, obj: Obj) -> list[errors.FieldError]:
        """``ValidateScaleSpec``/``ValidateScaleStatus``: replicas are non-negative int32s."""
        if self.scale_paths is None:
            return []
        out: list[errors.FieldError] = []
        for path in self.scale_paths[:2]:
            value = json_path_value(obj, path)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                out.append(errors.invalid(path, 0, f"{path} accessor error: {goformat.verb_v(value)} is of the type "
                                                   f"{goformat.type_name(value)}, expected int64"))
            elif value < 0:
                out.append(errors.invalid(path, value, "should be a non-negative integer"))
            elif value > 2**31 - 1:
                out.append(errors.invalid(path, value, f"should be less than or equal to {2**31 - 1}"))
        return out

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        for key in obj.keys() | old.keys():
            if key in ("metadata", "apiVersion", "kind") or (self.has_status and key == "status"):
                continue
            if obj.get(key) != old.get(key):
                return True
        return False


def json_path_value(obj: Obj, path: str) -> Any:
    """A JSONPath (``.a.b``, ``.a[0].b``, ``.a[?(@.type=="Ready")].b``) as additionalPrinterColumns use."""
    return json_path_first(obj, path)


def _printer_columns(version: Obj) -> tuple[Column, ...] | None:
    cols = version.get("additionalPrinterColumns")
    if not isinstance(cols, list) or not cols:
        return None
    out = []
    for c in cols:
        if not isinstance(c, dict):
            continue
        path = str(c.get("jsonPath", ""))
        ctype = str(c.get("type", "string"))

        def value(obj: Obj, _path: str = path, _type: str = ctype) -> Any:
            v = json_path_value(obj, _path)
            if v is None:
                return None
            if _type == "date" and isinstance(v, str):
                return table.age_since(v)
            if isinstance(v, dict | list):
                return orjson.dumps(v).decode()
            return v

        out.append(Column(str(c.get("name", "")), "string" if ctype == "date" else ctype, value,
                          str(c.get("format", "")), str(c.get("description", "")), int(c.get("priority", 0) or 0)))
    return tuple(out)


def resources_for(crd: Obj, webhooks: WebhookClient | None = None) -> list[Resource]:
    """The Resources a CRD serves (one per served version); with ``webhooks``, a CRD whose
    conversion strategy is ``Webhook`` converts between versions through its webhook."""
    spec = crd.get("spec") or {}
    converter = None
    if webhooks is not None and (spec.get("conversion") or {}).get("strategy") == "Webhook":
        converter = WebhookConverter(crd, webhooks)
    names = spec.get("names") or {}
    group = spec["group"]
    plural = names["plural"]
    kind = names["kind"]
    stored = storage_version(crd)
    out = []
    for v in spec.get("versions") or []:
        if not v.get("served"):
            continue
        subs = v.get("subresources") or {}
        has_status = "status" in subs
        scale = subs.get("scale") if isinstance(subs.get("scale"), dict) else None
        subresources = {s for s, present in (("status", has_status), ("scale", scale is not None)) if present}
        columns = _printer_columns(v)
        schema = (v.get("schema") or {}).get("openAPIV3Schema")
        field_getters = {}
        for f in v.get("selectableFields") or []:
            jp = str(f.get("jsonPath", ""))
            field_getters[jp.lstrip(".")] = (lambda obj, _p=jp: _str(json_path_value(obj, _p)))
        r = Resource(
            group, v["name"], kind, plural, names.get("singular") or kind.lower(),
            spec.get("scope") == "Namespaced",
            CustomResourceStrategy(has_status, scale, CustomResourceSchema(schema if isinstance(schema, dict) else None)),
            short_names=tuple(names.get("shortNames") or ()), categories=tuple(names.get("categories") or ()),
            subresources=frozenset(subresources), field_getters=field_getters,
            columns=columns or (), columns_replace_age=columns is not None, patch_schema=None, schema=schema,
            custom=True, storage_version=f"{group}/{stored}", preferred=False,
        )
        if converter is not None:
            r.convert, r.convert_batch = converter.cached, converter.convert
        if v.get("deprecated"):
            assert isinstance(r.strategy, CustomResourceStrategy)
            r.strategy.deprecation_warning = str(v.get("deprecationWarning") or
                                                 f"{group}/{v['name']} {kind} is deprecated")
        out.append(r)
    # The preferred version: kube's version priority (GA > beta > alpha, higher first).
    if out:
        best = max(out, key=lambda r: _version_priority(r.version))
        best.preferred = True
    return out


def _str(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


_VERSION_RE = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def _version_priority(version: str) -> tuple[int, int, int, str]:
    m = _VERSION_RE.match(version)
    if not m:
        return (0, 0, 0, version)
    major = int(m.group(1))
    stage = {"alpha": 1, "beta": 2, None: 3}[m.group(2)]
    minor = int(m.group(3) or 0)
    return (stage, major, minor, "")


def crd_resource() -> Resource:
    return Resource(
        GROUP, "v1", "CustomResourceDefinition", "customresourcedefinitions", "customresourcedefinition", False,
        CRDStrategy(), short_names=("crd", "crds"), categories=("api-extensions",),
        subresources=frozenset({"status"}),
        columns=table.DEFAULT_COLUMNS,
        schema=definitions.BUILTIN_SCHEMAS.get((GROUP, "v1", "CustomResourceDefinition")),
        patch_schema=definitions.patch_schema(GROUP, "v1", "CustomResourceDefinition"),
    )


class CRDController:
    """Serves CRDs' resources and keeps their names and established status."""

    def __init__(self, registry: Registry, objects: ObjectStore, webhooks: WebhookClient | None = None) -> None:
        self._registry = registry
        self._objects = objects
        self._webhooks = webhooks
        self._task: asyncio.Task[None] | None = None
        self._served: dict[str, tuple[bytes, list[Resource]]] = {}
        self._retry: dict[str, asyncio.TimerHandle] = {}
        self._queue: asyncio.Queue[str] = asyncio.Queue()

    async def start(self) -> None:
        resource = self._registry.get(GROUP, "v1", "customresourcedefinitions")
        assert resource is not None
        self._resource = resource
        c = self._objects.cacher(resource)
        await c.wait_ready()
        # Serve what is established already before the server answers anything.
        for cobj in c.list(resource.prefix(None)):
            self._serve(cobj.obj)
        self._task = asyncio.create_task(self._run(c), name="crd controller")

    async def stop(self) -> None:
        for h in self._retry.values():
            h.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, c: cache.Cacher) -> None:
        watcher, _ = c.watch(self._resource.prefix(None), 0, None, initial_events=True)
        worker = asyncio.create_task(self._work())
        try:
            while True:
                try:
                    batch = await watcher.next_batch(None)
                except cache.WatcherGone:
                    watcher, _ = c.watch(self._resource.prefix(None), 0, None, initial_events=True)
                    continue
                for _, event, _ in batch:
                    if event is not None:
                        self._queue.put_nowait(str(event.object["metadata"]["name"]))
        finally:
            worker.cancel()
            watcher.close()

    async def _work(self) -> None:
        while True:
            name = await self._queue.get()
            # Coalesce repeated names queued meanwhile.
            pending = {name}
            while not self._queue.empty():
                pending.add(self._queue.get_nowait())
            for n in pending:
                try:
                    await self.reconcile(n)
                except Exception as exc:
                    log.warning("reconciling CRD %s: %s", n, exc)
                    self._later(n, 1.0)

    def _later(self, name: str, delay: float) -> None:
        old = self._retry.pop(name, None)
        if old is not None:
            old.cancel()
        self._retry[name] = asyncio.get_running_loop().call_later(delay, self._queue.put_nowait, name)

    def _serve(self, crd: Obj) -> list[Resource]:
        name = crd["metadata"]["name"]
        fingerprint = orjson.dumps(crd.get("spec"), option=orjson.OPT_SORT_KEYS)
        current = self._served.get(name)
        if current is not None and current[0] == fingerprint:
            return current[1]
        registry = self._registry
        old = current[1] if current else []
        new = resources_for(crd, self._webhooks)
        keep = {(r.group, r.version, r.plural) for r in new}
        for r in old:
            if (r.group, r.version, r.plural) not in keep:
                registry.remove(r)
        for r in new:
            registry.add(r)
        self._served[name] = (fingerprint, new)
        return new

    def _unserve(self, name: str) -> None:
        current = self._served.pop(name, None)
        if current is not None:
            for r in current[1]:
                self._registry.remove(r)

    async def reconcile(self, name: str) -> None:
        objects = self._objects
        c = objects.cacher(self._resource)
        await c.wait_consistent()
        cobj = c.get(self._resource.key(None, name))
        if cobj is None:
            self._unserve(name)
            return
        crd = cobj.obj
        self._serve(crd)
        if (crd.get("metadata") or {}).get("deletionTimestamp"):
            return  # served until the CRD finalizer has deleted its objects and released it
        status = crd.get("status") or {}
        names = (crd.get("spec") or {}).get("names") or {}
        conditions = list(status.get("conditions") or [])
        want = [
            _condition("NamesAccepted", "True", "NoConflicts", "no conflicts found", conditions),
            _condition("Established", "True", "InitialNamesAccepted", "the initial names have been accepted",
                       conditions),
        ]
        others = [x for x in conditions if x.get("type") not in ("NamesAccepted", "Established")]
        if status.get("acceptedNames") == names and all(w in conditions for w in want):
            return

        async def mutate(current: Obj) -> Obj:
            new = dict(current)
            new["status"] = {**(current.get("status") or {}), "acceptedNames": names,
                             "conditions": others + want}
            # Written as kube-apiserver's own controllers write it: an Update through /status.
            return fieldmanager.for_resource(self._resource).update(current, new, "kube-apiserver", "status")

        await objects.guaranteed_update(self._resource, None, name, mutate, subresource="status")
