"""The built-in kinds: Namespace, ConfigMap, Secret, ServiceAccount, Event, Lease.

Each kind is a :class:`Resource` plus a :class:`Strategy` with what differs
from a generic object, following the kind's strategy in kube-apiserver
(``pkg/registry/core/<kind>/strategy.go``).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry import metadata
from setpoint.apiserver.registry.resources import Registry, Resource, Strategy

#: Namespaces that exist from the start.
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")

_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_MAX_CONFIG_BYTES = 1024 * 1024


def _config_key_errors(key: str, path: str) -> list[errors.FieldError]:
    out: list[errors.FieldError] = []
    if len(key) > 253:
        out.append(errors.invalid(path, key, "must be no more than 253 characters"))
    if not _CONFIG_KEY.match(key):
        out.append(errors.invalid(
            path, key,
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
            "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
            "'[-._a-zA-Z0-9]+')"))
    elif key in (".", "..") or key.startswith(".."):
        out.append(errors.invalid(path, key, "must not be '.' or '..' or start with '..'"))
    return out


def _validate_string_map(obj: Obj, field: str, *, base64_values: bool = False) -> tuple[list[errors.FieldError], int]:
    data = obj.get(field)
    if data is None:
        return [], 0
    if not isinstance(data, dict):
        return [errors.type_invalid(field, data, "must be a map of strings")], 0
    out: list[errors.FieldError] = []
    size = 0
    for key, value in data.items():
        path = f"{field}[{key}]"
        out.extend(_config_key_errors(key, path))
        if not isinstance(value, str):
            out.append(errors.type_invalid(path, value, "must be a string"))
            continue
        if base64_values:
            try:
                size += len(base64.b64decode(value, validate=True))
            except (binascii.Error, ValueError):
                out.append(errors.invalid(path, "<value omitted>", "must be base64-encoded"))
        else:
            size += len(value)
    return out, size


def _immutable_data(obj: Obj, old: Obj, fields: tuple[str, ...]) -> list[errors.FieldError]:
    if not old.get("immutable"):
        return []
    out = []
    if obj.get("immutable") is not True:
        out.append(errors.forbidden("immutable", "field is immutable when `immutable` is set"))
    for f in fields:
        if obj.get(f) != old.get(f):
            out.append(errors.forbidden(f, "field is immutable when `immutable` is set"))
    return out


class NamespaceStrategy(Strategy):
    #: Core kinds have no metadata.generation (their strategies never set it).
    has_generation = False

    name_fn = staticmethod(metadata.name_is_dns_label)

    def prepare_for_create(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        finalizers = spec.get("finalizers")
        if not isinstance(finalizers, list):
            finalizers = []
        if "kubernetes" not in finalizers:
            finalizers.append("kubernetes")
        spec["finalizers"] = finalizers
        obj["status"] = {"phase": "Active"}
        self._label(obj)

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        # spec.finalizers move only through /finalize.
        obj["spec"] = {**(obj.get("spec") or {}), "finalizers": (old.get("spec") or {}).get("finalizers", [])}
        self._label(obj)

    def prepare_for_status_update(self, obj: Obj, old: Obj) -> Obj:
        return super().prepare_for_status_update(obj, old)

    def prepare_for_finalize(self, obj: Obj, old: Obj) -> Obj:
        new = dict(old)
        new["spec"] = {**(old.get("spec") or {}), "finalizers": (obj.get("spec") or {}).get("finalizers") or []}
        new["metadata"] = {**old["metadata"], "resourceVersion": (obj.get("metadata") or {}).get(
            "resourceVersion", old["metadata"].get("resourceVersion"))}
        return new

    @staticmethod
    def _label(obj: Obj) -> None:
        meta = obj["metadata"]
        name = meta.get("name")
        if isinstance(name, str):
            labels = meta.get("labels")
            if not isinstance(labels, dict):
                labels = meta["labels"] = {}
            labels["kubernetes.io/metadata.name"] = name

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        out: list[errors.FieldError] = []
        for i, f in enumerate((obj.get("spec") or {}).get("finalizers") or []):
            if not isinstance(f, str) or metadata.is_qualified_name(f.lower()):
                out.append(errors.invalid(f"spec.finalizers[{i}]", f, "must be a qualified name"))
        return out

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        return False

    #: kube's answer to a DELETE of a namespace that is already terminating (a 409).
    deleting_conflict = (
        "The system is ensuring all content is removed from this namespace.  "
        "Upon completion, this namespace will automatically be purged by the system."
    )

    def on_delete(self, obj: Obj) -> Obj | None:
        new = dict(obj)
        new["status"] = {**(obj.get("status") or {}), "phase": "Terminating"}
        return new


class ConfigMapStrategy(Strategy):
    has_generation = False

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        out, size = _validate_string_map(obj, "data")
        out2, size2 = _validate_string_map(obj, "binaryData", base64_values=True)
        out.extend(out2)
        for key in set(obj.get("data") or {}) & set(obj.get("binaryData") or {}):
            out.append(errors.invalid(f"data[{key}]", key, "duplicate of key present in binaryData"))
        if size + size2 > _MAX_CONFIG_BYTES:
            out.append(errors.too_long("", _MAX_CONFIG_BYTES))
        return out

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        return self.validate(obj) + _immutable_data(obj, old, ("data", "binaryData"))


class SecretStrategy(Strategy):
    has_generation = False

    def prepare_for_create(self, obj: Obj) -> None:
        self._merge_string_data(obj)
        if not obj.get("type"):
            obj["type"] = "Opaque"

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        self._merge_string_data(obj)
        if not obj.get("type"):
            obj["type"] = old.get("type", "Opaque")

    @staticmethod
    def _merge_string_data(obj: Obj) -> None:
        string_data = obj.pop("stringData", None)
        if isinstance(string_data, dict) and string_data:
            data = dict(obj.get("data") or {})
            for k, v in string_data.items():
                if isinstance(v, str):
                    data[k] = base64.b64encode(v.encode()).decode()
            obj["data"] = data

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        out, size = _validate_string_map(obj, "data", base64_values=True)
        if size > _MAX_CONFIG_BYTES:
            out.append(errors.too_long("data", _MAX_CONFIG_BYTES))
        return out

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        out = self.validate(obj) + _immutable_data(obj, old, ("data",))
        if obj.get("type") != old.get("type"):
            out.append(errors.invalid("type", obj.get("type"), "field is immutable"))
        return out


class EventStrategy(Strategy):
    allow_create_on_update = True
    has_generation = False

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        return False


class ServiceAccountStrategy(Strategy):
    has_generation = False


class LeaseStrategy(Strategy):
    has_generation = False

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        spec = obj.get("spec") or {}
        out: list[errors.FieldError] = []
        duration = spec.get("leaseDurationSeconds")
        if duration is not None and (not isinstance(duration, int) or duration <= 0):
            out.append(errors.invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
        transitions = spec.get("leaseTransitions")
        if transitions is not None and (not isinstance(transitions, int) or transitions < 0):
            out.append(errors.invalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0"))
        return out


_POD_MUTABLE_SPEC = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)"
)


def _image_pull_policy(image: object) -> str:
    if not isinstance(image, str):
        return "IfNotPresent"
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    return "Always" if ":" not in name or name.endswith(":latest") else "IfNotPresent"


class PodStrategy(Strategy):
    """v1 Pod, as far as a control plane without kubelets needs it.

    Defaults the fields kube-apiserver defaults, keeps the spec immutable but for
    images, starts pods ``Pending``; status is written through ``/status``.
    """

    def prepare_for_create(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict):
            spec.setdefault("restartPolicy", "Always")
            spec.setdefault("dnsPolicy", "ClusterFirst")
            spec.setdefault("schedulerName", "default-scheduler")
            spec.setdefault("terminationGracePeriodSeconds", 30)
            spec.setdefault("securityContext", {})
            spec.setdefault("enableServiceLinks", True)
            for key in ("containers", "initContainers"):
                for c in spec.get(key) or []:
                    if isinstance(c, dict):
                        c.setdefault("imagePullPolicy", _image_pull_policy(c.get("image")))
                        c.setdefault("terminationMessagePath", "/dev/termination-log")
                        c.setdefault("terminationMessagePolicy", "File")
                        c.setdefault("resources", {})
        obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [errors.required("spec", "")]
        out: list[errors.FieldError] = []
        containers = spec.get("containers")
        if not isinstance(containers, list) or not containers:
            out.append(errors.required("spec.containers", ""))
            return out
        seen: set[str] = set()
        for i, c in enumerate(containers):
            path = f"spec.containers[{i}]"
            if not isinstance(c, dict):
                out.append(errors.type_invalid(path, c, "must be an object"))
                continue
            name = c.get("name")
            if not isinstance(name, str) or not name:
                out.append(errors.required(f"{path}.name", ""))
            else:
                out.extend(errors.invalid(f"{path}.name", name, m) for m in metadata.is_dns1123_label(name))
                if name in seen:
                    out.append(errors.duplicate(f"{path}.name", name))
                seen.add(name)
            if not isinstance(c.get("image"), str) or not c.get("image"):
                out.append(errors.required(f"{path}.image", ""))
        return out

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        out = self.validate(obj)
        new_spec, old_spec = dict(obj.get("spec") or {}), dict(old.get("spec") or {})
        for spec in (new_spec, old_spec):
            for key in ("containers", "initContainers"):
                spec[key] = [{k: v for k, v in c.items() if k != "image"} if isinstance(c, dict) else c
                             for c in spec.get(key) or []]
            for key in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"):
                spec.pop(key, None)
        if new_spec != old_spec:
            out.append(errors.forbidden("spec", _POD_MUTABLE_SPEC))
        return out

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        return obj.get("spec") != old.get("spec")


# --- events: core/v1 and events.k8s.io/v1 share one storage -----------------

_EVENTS_V1_TO_CORE = {
    "regarding": "involvedObject",
    "note": "message",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
    "reportingController": "reportingComponent",
}
_CORE_TO_EVENTS_V1 = {v: k for k, v in _EVENTS_V1_TO_CORE.items()}


def convert_event(obj: Obj, target: str) -> Obj:
    """Convert an Event between ``v1`` and ``events.k8s.io/v1``."""
    if obj.get("apiVersion") == target:
        return obj
    mapping = _EVENTS_V1_TO_CORE if target == "v1" else _CORE_TO_EVENTS_V1
    out: Obj = {}
    for key, value in obj.items():
        out[mapping.get(key, key)] = value
    out["apiVersion"] = target
    out["kind"] = "Event"
    return out


def _get(path: tuple[str, ...]) -> Any:
    def getter(obj: Obj) -> str:
        cur: Any = obj
        for p in path:
            if not isinstance(cur, dict):
                return ""
            cur = cur.get(p)
        if cur is None:
            return ""
        return str(cur)

    return getter


_CORE_EVENT_FIELDS = {
    "involvedObject.kind": _get(("involvedObject", "kind")),
    "involvedObject.namespace": _get(("involvedObject", "namespace")),
    "involvedObject.name": _get(("involvedObject", "name")),
    "involvedObject.uid": _get(("involvedObject", "uid")),
    "involvedObject.apiVersion": _get(("involvedObject", "apiVersion")),
    "involvedObject.resourceVersion": _get(("involvedObject", "resourceVersion")),
    "involvedObject.fieldPath": _get(("involvedObject", "fieldPath")),
    "reason": _get(("reason",)),
    "reportingComponent": _get(("reportingComponent",)),
    "source": _get(("source", "component")),
    "type": _get(("type",)),
}
_EVENTS_V1_FIELDS = {
    "regarding.kind": _get(("regarding", "kind")),
    "regarding.namespace": _get(("regarding", "namespace")),
    "regarding.name": _get(("regarding", "name")),
    "regarding.uid": _get(("regarding", "uid")),
    "regarding.apiVersion": _get(("regarding", "apiVersion")),
    "regarding.resourceVersion": _get(("regarding", "resourceVersion")),
    "regarding.fieldPath": _get(("regarding", "fieldPath")),
    "reason": _get(("reason",)),
    "reportingController": _get(("reportingController",)),
    "type": _get(("type",)),
    "deprecatedSource.component": _get(("deprecatedSource", "component")),
}


def builtin_resources() -> list[Resource]:
    """Every built-in resource, freshly made (no state shared between servers)."""
    from setpoint.apiserver.builtin import definitions
    from setpoint.apiserver.encoding import patch
    from setpoint.apiserver.endpoints import table

    def schema(group: str, version: str, kind: str) -> Obj | None:
        return definitions.BUILTIN_SCHEMAS.get((group, version, kind))

    event_strategy = EventStrategy()
    return [
        Resource("", "v1", "Namespace", "namespaces", "namespace", False, NamespaceStrategy(),
                 short_names=("ns",), subresources=frozenset({"status", "finalize"}),
                 field_getters={"status.phase": _get(("status", "phase"))},
                 columns=table.BUILTIN_COLUMNS.get("Namespace", ()),
                 patch_schema=patch.BUILTIN_PATCH_SCHEMAS.get("Namespace"),
                 schema=schema("", "v1", "Namespace")),
        Resource("", "v1", "ConfigMap", "configmaps", "configmap", True, ConfigMapStrategy(),
                 short_names=("cm",), columns=table.BUILTIN_COLUMNS.get("ConfigMap", ()),
                 patch_schema=patch.BUILTIN_PATCH_SCHEMAS.get("ConfigMap"),
                 schema=schema("", "v1", "ConfigMap")),
        Resource("", "v1", "Secret", "secrets", "secret", True, SecretStrategy(),
                 field_getters={"type": _get(("type",))},
                 columns=table.BUILTIN_COLUMNS.get("Secret", ()),
                 patch_schema=patch.BUILTIN_PATCH_SCHEMAS.get("Secret"),
                 schema=schema("", "v1", "Secret")),
        Resource("", "v1", "Pod", "pods", "pod", True, PodStrategy(),
                 short_names=("po",), categories=("all",), subresources=frozenset({"status"}),
                 field_getters={"spec.nodeName": _get(("spec", "nodeName")),
                                "spec.restartPolicy": _get(("spec", "restartPolicy")),
                                "spec.schedulerName": _get(("spec", "schedulerName")),
                                "spec.serviceAccountName": _get(("spec", "serviceAccountName")),
                                "spec.hostNetwork": _get(("spec", "hostNetwork")),
                                "status.phase": _get(("status", "phase")),
                                "status.podIP": _get(("status", "podIP")),
                                "status.nominatedNodeName": _get(("status", "nominatedNodeName"))},
                 columns=table.BUILTIN_COLUMNS.get("Pod", ()),
                 patch_schema=patch.BUILTIN_PATCH_SCHEMAS.get("Pod"),
                 schema=schema("", "v1", "Pod")),
        Resource("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", True, ServiceAccountStrategy(),
                 short_names=("sa",), columns=table.BUILTIN_COLUMNS.get("ServiceAccount", ()),
                 patch_schema=patch.BUILTIN_PATCH_SCHEMAS.get("ServiceAccount"),
                 schema=schema("", "v1", "ServiceAccount")),
        Resource("", "v1", "Event", "events", "event", True, event_strategy,
                 short_names=("ev",), field_getters=_CORE_EVENT_FIELDS,
                 columns=table.BUILTIN_COLUMNS.get("Event", ()),
                 patch_schema=patch.BUILTIN_PATCH_SCHEMAS.get("Event"),
                 schema=schema("", "v1", "Event"), convert=convert_event, storage_version="v1"),
        Resource("events.k8s.io", "v1", "Event", "events", "event", True, event_strategy,
                 short_names=("ev",), field_getters=_EVENTS_V1_FIELDS,
                 columns=table.BUILTIN_COLUMNS.get("events.k8s.io/Event", table.BUILTIN_COLUMNS.get("Event", ())),
                 patch_schema=patch.BUILTIN_PATCH_SCHEMAS.get("events.k8s.io/Event"),
                 schema=schema("events.k8s.io", "v1", "Event"), convert=convert_event,
                 storage_version="v1", storage_resource="events"),
        Resource("coordination.k8s.io", "v1", "Lease", "leases", "lease", True, LeaseStrategy(),
                 columns=table.BUILTIN_COLUMNS.get("Lease", ()),
                 patch_schema=patch.BUILTIN_PATCH_SCHEMAS.get("Lease"),
                 schema=schema("coordination.k8s.io", "v1", "Lease"), storage_resource="leases"),
    ]


def register_builtins(registry: Registry) -> None:
    for r in builtin_resources():
        registry.add(r)
