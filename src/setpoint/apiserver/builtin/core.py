"""The core (``""``) group's kinds: Namespace, ConfigMap, Secret, ServiceAccount, Pod, Event.

Each kind is a :func:`declare` entry with what differs from a generic object,
following the kind's strategy in kube-apiserver
(``pkg/registry/core/<kind>/strategy.go``) and its printer in
``pkg/printers/internalversion/printers.go``.
"""

from __future__ import annotations

import base64
import binascii
import re
from decimal import Decimal
from typing import Any

from setpoint.apimachinery import quantity
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin import events
from setpoint.apiserver.builtin.binding import BindingStrategy
from setpoint.apiserver.builtin.declare import declare, description, field
from setpoint.apiserver.builtin.workloads import validate_containers
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.endpoints.table import AGE_COLUMN, NAME_COLUMN, age_since
from setpoint.apiserver.registry import metadata
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

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
    #: kube's namespace store sets ReturnDeletedObject: DELETE answers the Namespace.
    return_deleted_object = True

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
    # Many, and read whole only when served: held as JSON (selectors read names and labels).
    cache_json_fields: tuple[str, ...] | None = ()

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
    # Held as JSON as ConfigMaps are, with the one field its field selector reads.
    cache_json_fields: tuple[str, ...] | None = ("type",)

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


class ServiceAccountStrategy(Strategy):
    has_generation = False
    #: kube's serviceaccount store sets ReturnDeletedObject: DELETE answers the ServiceAccount.
    return_deleted_object = True


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


def _default_container(c: Obj) -> None:
    """``SetDefaults_Container``, the ports' ``protocol: TCP``, and ``SetDefaults_Pod``'s requests from limits."""
    c.setdefault("imagePullPolicy", _image_pull_policy(c.get("image")))
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    for port in c.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    resources = c.setdefault("resources", {})
    if not isinstance(resources, dict):
        return
    limits = resources.get("limits")
    if isinstance(limits, dict) and limits:
        requests = resources.get("requests")
        if not isinstance(requests, dict):
            requests = resources["requests"] = {}
        for name, amount in limits.items():
            requests.setdefault(name, amount)


_QOS_RESOURCES = ("cpu", "memory")


def _qos_totals(resources: object, into: dict[str, Decimal]) -> set[str]:
    """Add a resource list's positive cpu and memory amounts to ``into``; the names found."""
    found: set[str] = set()
    if not isinstance(resources, dict):
        return found
    for name in _QOS_RESOURCES:
        amount = resources.get(name)
        if not isinstance(amount, str):
            continue
        try:
            v = quantity.value(amount)
        except ValueError:
            continue
        if v > 0:
            found.add(name)
            into[name] = into.get(name, Decimal(0)) + v
    return found


def _pod_level_resources_set(spec: Obj) -> bool:
    res = spec.get("resources")
    if not isinstance(res, dict):
        return False
    names = [*(res.get("requests") or {}), *(res.get("limits") or {})]
    return any(n in _QOS_RESOURCES or n.startswith("hugepages-") for n in names)


def pod_qos_class(spec: Obj) -> str:
    """kube's ``ComputePodQOS``: BestEffort, Burstable or Guaranteed, from cpu and memory."""
    requests: dict[str, Decimal] = {}
    limits: dict[str, Decimal] = {}
    guaranteed = True
    if _pod_level_resources_set(spec):
        res = spec["resources"]
        _qos_totals(res.get("requests"), requests)
        if res.get("limits"):
            guaranteed = _qos_totals(res.get("limits"), limits) >= set(_QOS_RESOURCES)
    else:
        for key in ("containers", "initContainers"):
            for c in spec.get(key) or []:
                res = c.get("resources") if isinstance(c, dict) else None
                res = res if isinstance(res, dict) else {}
                _qos_totals(res.get("requests"), requests)
                if not _qos_totals(res.get("limits"), limits) >= set(_QOS_RESOURCES):
                    guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and all(limits.get(n) == v for n, v in requests.items()) and len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"


class PodStrategy(Strategy):
    """v1 Pod, as far as a control plane without kubelets needs it.

    Defaults the fields kube-apiserver defaults, keeps the spec immutable but for
    images, starts pods ``Pending``; status is written through ``/status``.
    """

    #: kube's pod store sets ReturnDeletedObject: DELETE answers the Pod (the
    #: official client's ``delete_namespaced_pod`` returns a V1Pod).
    return_deleted_object = True

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
                        _default_container(c)
        obj["status"] = {"phase": "Pending", "qosClass": pod_qos_class(spec if isinstance(spec, dict) else {})}

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [errors.required("spec", "")]
        return validate_containers(spec.get("containers"), "spec")

    def check_graceful_delete(self, obj: Obj, grace: int | None) -> int | None:
        """kube's pod ``CheckGracefulDelete``: the grace asked, else the pod's
        ``terminationGracePeriodSeconds``; 0 for a pod not on a node or already terminal."""
        spec = obj.get("spec") or {}
        if grace is not None:
            period = grace
        else:
            default = spec.get("terminationGracePeriodSeconds")
            period = default if isinstance(default, int) and not isinstance(default, bool) else 0
        if not spec.get("nodeName") or (obj.get("status") or {}).get("phase") in ("Failed", "Succeeded"):
            period = 0
        return 1 if period < 0 else period

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

    # pods/ephemeralcontainers: kube's podEphemeralContainersStrategy.

    def prepare_for_ephemeralcontainers_update(self, obj: Obj, old: Obj) -> Obj:
        """``dropNonEphemeralContainerUpdates``: the old pod with the new ephemeral containers."""
        new = dict(old)
        containers = (obj.get("spec") or {}).get("ephemeralContainers")
        spec = {k: v for k, v in (old.get("spec") or {}).items() if k != "ephemeralContainers"}
        if isinstance(containers, list) and containers:
            for c in containers:
                if isinstance(c, dict):
                    _default_container(c)
            spec["ephemeralContainers"] = containers
        new["spec"] = spec
        meta = dict(old.get("metadata") or {})
        new_meta = obj.get("metadata") or {}
        meta["resourceVersion"] = new_meta.get("resourceVersion", meta.get("resourceVersion"))
        if "managedFields" in new_meta:
            meta["managedFields"] = new_meta["managedFields"]
        new["metadata"] = meta
        return new

    def validate_ephemeralcontainers_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        """``ValidatePodEphemeralContainersUpdate``: the new ones valid, existing ones unchanged."""
        spec = obj.get("spec") or {}
        out = validate_ephemeral_containers(spec)
        new = {c.get("name"): c for c in spec.get("ephemeralContainers") or [] if isinstance(c, dict)}
        for c in (old.get("spec") or {}).get("ephemeralContainers") or []:
            name = c.get("name")
            if name not in new:
                out.append(errors.forbidden("spec.ephemeralContainers",
                                            f'existing ephemeral containers "{name}" may not be removed\n'))
            elif new[name] != c:
                out.append(errors.forbidden("spec.ephemeralContainers",
                                            f'existing ephemeral containers "{name}" may not be changed\n'))
        return out


    # pods/resize: kube's podResizeStrategy (in-place resize of containers' cpu and memory).

    def prepare_for_resize_update(self, obj: Obj, old: Obj) -> Obj:
        """``dropNonResizeUpdates``: the old pod with the new containers' resources and resize policies."""
        new = dict(old)
        spec = dict(old.get("spec") or {})
        old_containers = [dict(c) for c in spec.get("containers") or []]
        by_name = {c.get("name"): c for c in (obj.get("spec") or {}).get("containers") or [] if isinstance(c, dict)}
        for c in old_containers:
            given = by_name.get(c.get("name"))
            if given is None:
                continue
            for key in ("resources", "resizePolicy"):
                if key in given:
                    c[key] = given[key]
                else:
                    c.pop(key, None)
        spec["containers"] = old_containers
        new["spec"] = spec
        meta = dict(old.get("metadata") or {})
        new_meta = obj.get("metadata") or {}
        meta["resourceVersion"] = new_meta.get("resourceVersion", meta.get("resourceVersion"))
        if "managedFields" in new_meta:
            meta["managedFields"] = new_meta["managedFields"]
        new["metadata"] = meta
        return new

    def validate_resize_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        """``ValidatePodResize``: only cpu and memory move, none removed, the QoS class kept."""
        out: list[errors.FieldError] = []
        new_containers = (obj.get("spec") or {}).get("containers") or []
        for i, (new, was) in enumerate(zip(new_containers, (old.get("spec") or {}).get("containers") or [],
                                           strict=False)):
            new_res, old_res = new.get("resources") or {}, was.get("resources") or {}
            for kind in ("requests", "limits"):
                new_amounts, old_amounts = new_res.get(kind) or {}, old_res.get(kind) or {}
                if set(old_amounts) - set(new_amounts):
                    out.append(errors.forbidden(f"spec.containers[{i}].resources.{kind}",
                                                f"resource {kind} cannot be removed"))
                for name in set(new_amounts) | set(old_amounts):
                    if name not in ("cpu", "memory") and new_amounts.get(name) != old_amounts.get(name):
                        out.append(errors.forbidden("spec", "only cpu and memory resources are mutable"))
                        break
        old_qos = (old.get("status") or {}).get("qosClass") or pod_qos_class(old.get("spec") or {})
        if pod_qos_class(obj.get("spec") or {}) != old_qos:
            out.append(errors.invalid("spec", old_qos, "Pod QOS Class may not change as a result of resizing"))
        return out


#: EphemeralContainerCommon fields an ephemeral container may set (kube's allowedEphemeralContainerFields).
_EPHEMERAL_ALLOWED = frozenset({
    "name", "image", "command", "args", "workingDir", "env", "envFrom", "volumeMounts", "volumeDevices",
    "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin",
    "stdinOnce", "tty", "targetContainerName"})


def validate_ephemeral_containers(spec: Obj) -> list[errors.FieldError]:
    """``validateEphemeralContainers``: names, images, unique names, allowed fields, the target."""
    out: list[errors.FieldError] = []
    others = {c.get("name") for key in ("containers", "initContainers") for c in spec.get(key) or []
              if isinstance(c, dict)}
    seen: set[str] = set()
    for i, c in enumerate(spec.get("ephemeralContainers") or []):
        path = f"spec.ephemeralContainers[{i}]"
        if not isinstance(c, dict):
            out.append(errors.type_invalid(path, c, "must be an object"))
            continue
        name = c.get("name")
        if not isinstance(name, str) or not name:
            out.append(errors.required(f"{path}.name", ""))
        else:
            out.extend(errors.invalid(f"{path}.name", name, m) for m in metadata.is_dns1123_label(name))
            if name in seen or name in others:
                out.append(errors.duplicate(f"{path}.name", name))
            seen.add(name)
        if not c.get("image"):
            out.append(errors.required(f"{path}.image", ""))
        for key in sorted(c):
            if key not in _EPHEMERAL_ALLOWED and c[key] not in (None, [], {}):
                out.append(errors.forbidden(f"{path}.{key}", "cannot be set for an Ephemeral Container"))
        target = c.get("targetContainerName")
        if target and target not in others:
            out.append(errors.FieldError(errors.FieldErrorType.NOT_FOUND, f"{path}.targetContainerName", target))
    return out


# --- columns ----------------------------------------------------------------------

_CORE = "io.k8s.api.core.v1."


def _get(obj: Obj, *path: str) -> Any:
    cur: Any = obj
    for part in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _length(value: Any) -> int:
    return len(value) if isinstance(value, dict | list) else 0


def _namespace_status(obj: Obj) -> str:
    return _str(_get(obj, "status", "phase"))


def _config_map_data(obj: Obj) -> int:
    return _length(obj.get("data")) + _length(obj.get("binaryData"))


def _secret_type(obj: Obj) -> str:
    return _str(obj.get("type"))


def _secret_data(obj: Obj) -> int:
    # The internal Secret has stringData merged into data already.
    data = obj.get("data")
    keys = set(data) if isinstance(data, dict) else set()
    string_data = obj.get("stringData")
    if isinstance(string_data, dict):
        keys.update(string_data)
    return len(keys)


def _service_account_secrets(obj: Obj) -> int:
    return _length(obj.get("secrets"))


def _restartable(container: Any) -> bool:
    return isinstance(container, dict) and container.get("restartPolicy") == "Always"


def _pod_summary(obj: Obj) -> tuple[str, str, str]:
    """kube's ``printPod``: the Ready, Status and Restarts cells (restarts with how long ago the
    last one was)."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
    assert isinstance(spec, dict) and isinstance(status, dict)
    inits = {c.get("name"): c for c in spec.get("initContainers") or [] if isinstance(c, dict)}
    total = _length(spec.get("containers")) + sum(1 for c in inits.values() if _restartable(c))
    ready = restarts = sidecar_restarts = 0
    last_restart = sidecar_last = ""
    phase = _str(status.get("phase"))
    reason = _str(status.get("reason")) or phase
    for c in status.get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    def finished(cs: Obj) -> str:
        return _str(((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))

    initializing = False
    init_statuses = [cs for cs in status.get("initContainerStatuses") or [] if isinstance(cs, dict)]
    for i, cs in enumerate(init_statuses):
        count = int(cs.get("restartCount") or 0)
        restarts += count
        last_restart = max(last_restart, finished(cs))
        sidecar = _restartable(inits.get(cs.get("name")))
        if sidecar:
            sidecar_restarts += count
            sidecar_last = max(sidecar_last, finished(cs))
        state = cs.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting")
        if isinstance(term, dict) and term.get("exitCode") == 0:
            continue
        if sidecar and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if isinstance(term, dict):
            reason = "Init:" + term["reason"] if term.get("reason") else (
                f"Init:Signal:{term['signal']}" if term.get("signal") else f"Init:ExitCode:{term.get('exitCode')}")
        elif isinstance(waiting, dict) and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or [])}"
        initializing = True
        break
    initialized = any(isinstance(c, dict) and c.get("type") == "Initialized" and c.get("status") == "True"
                      for c in status.get("conditions") or [])
    if not initializing or initialized:
        restarts, last_restart = sidecar_restarts, sidecar_last
        has_running = False
        for cs in reversed([cs for cs in status.get("containerStatuses") or [] if isinstance(cs, dict)]):
            restarts += int(cs.get("restartCount") or 0)
            last_restart = max(last_restart, finished(cs))
            state = cs.get("state") or {}
            term, waiting = state.get("terminated"), state.get("waiting")
            if isinstance(waiting, dict) and waiting.get("reason"):
                reason = waiting["reason"]
            elif isinstance(term, dict) and term.get("reason"):
                reason = term["reason"]
            elif isinstance(term, dict):
                reason = f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode')}"
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            pod_ready = any(isinstance(c, dict) and c.get("type") == "Ready" and c.get("status") == "True"
                            for c in status.get("conditions") or [])
            reason = "Running" if pod_ready else "NotReady"
    meta = obj.get("metadata") or {}
    if meta.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    restarts_cell = str(restarts)
    if restarts and last_restart:
        restarts_cell = f"{restarts} ({age_since(last_restart)} ago)"
    return f"{ready}/{total}", reason or "Pending", restarts_cell


def _pod_ready(obj: Obj) -> str:
    return _pod_summary(obj)[0]


def _pod_status(obj: Obj) -> str:
    return _pod_summary(obj)[1]


def _pod_restarts(obj: Obj) -> str:
    return _pod_summary(obj)[2]


def _pod_ip(obj: Obj) -> str:
    return _str(_get(obj, "status", "podIP")) or "<none>"


def _pod_node(obj: Obj) -> str:
    return _str(_get(obj, "spec", "nodeName")) or "<none>"


def _pod_nominated_node(obj: Obj) -> str:
    return _str(_get(obj, "status", "nominatedNodeName")) or "<none>"


def _pod_readiness_gates(obj: Obj) -> str:
    gates = _get(obj, "spec", "readinessGates")
    if not isinstance(gates, list) or not gates:
        return "<none>"
    conditions = [c for c in _get(obj, "status", "conditions") or [] if isinstance(c, dict)]
    true = 0
    for gate in gates:
        found = next((c for c in conditions if c.get("type") == (gate or {}).get("conditionType")), None)
        if found is not None and found.get("status") == "True":
            true += 1
    return f"{true}/{len(gates)}"


#: printPod: Name, Ready, Status, Restarts, Age; wide: IP, Node.
_POD_COLUMNS = (
    NAME_COLUMN,
    Column("Ready", "string", _pod_ready, description="The aggregate readiness state of this pod for accepting traffic."),
    Column("Status", "string", _pod_status, description="The aggregate status of the containers in this pod."),
    Column("Restarts", "string", _pod_restarts, description="The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
    AGE_COLUMN,
    Column("IP", "string", _pod_ip, priority=1, description="IP address allocated to the pod."),
    Column("Node", "string", _pod_node, priority=1, description="The node the pod is scheduled to."),
    Column("Nominated Node", "string", _pod_nominated_node, priority=1,
           description=description(_CORE + "PodStatus", "nominatedNodeName")),
    Column("Readiness Gates", "string", _pod_readiness_gates, priority=1,
           description="The pod's readiness gates: how many of their conditions are True."),
)


# --- the kinds -------------------------------------------------------------------

_CORE_EVENT_FIELDS = {
    **{f"involvedObject.{f}": field("involvedObject", f)
       for f in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")},
    "reason": field("reason"),
    "reportingComponent": field("reportingComponent"),
    "source": field("source", "component"),
    "type": field("type"),
}


def resources(event_strategy: events.EventStrategy) -> list[Resource]:
    """The core group's kinds, freshly made; ``event_strategy`` is the one events.k8s.io shares."""
    pods = declare("", "v1", "Pod", "pods", "pod", True, PodStrategy(),
                   short_names=("po",), categories=("all",),
                   subresources=frozenset({"status", "binding", "eviction", "log", "exec", "attach",
                                           "portforward", "ephemeralcontainers", "resize"}),
                   field_getters={"spec.nodeName": field("spec", "nodeName"),
                                  "spec.restartPolicy": field("spec", "restartPolicy"),
                                  "spec.schedulerName": field("spec", "schedulerName"),
                                  "spec.serviceAccountName": field("spec", "serviceAccountName"),
                                  "spec.hostNetwork": field("spec", "hostNetwork"),
                                  "status.phase": field("status", "phase"),
                                  "status.podIP": field("status", "podIP"),
                                  "status.nominatedNodeName": field("status", "nominatedNodeName")},
                   columns=_POD_COLUMNS)
    return [
        declare("", "v1", "Namespace", "namespaces", "namespace", False, NamespaceStrategy(),
                short_names=("ns",), subresources=frozenset({"status", "finalize"}),
                field_getters={"status.phase": field("status", "phase")},
                columns=(Column("Status", "string", _namespace_status, description="The status of the namespace"),)),
        declare("", "v1", "ConfigMap", "configmaps", "configmap", True, ConfigMapStrategy(),
                short_names=("cm",),
                columns=(Column("Data", "string", _config_map_data,
                                description=description(_CORE + "ConfigMap", "data")),)),
        declare("", "v1", "Secret", "secrets", "secret", True, SecretStrategy(),
                field_getters={"type": field("type")},
                columns=(Column("Type", "string", _secret_type, description=description(_CORE + "Secret", "type")),
                         Column("Data", "string", _secret_data, description=description(_CORE + "Secret", "data")))),
        pods,
        declare("", "v1", "Binding", "bindings", "binding", True, BindingStrategy(pods), verbs=("create",)),
        declare("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", True, ServiceAccountStrategy(),
                short_names=("sa",), subresources=frozenset({"token"}),
                columns=(Column("Secrets", "string", _service_account_secrets,
                                description=description(_CORE + "ServiceAccount", "secrets")),)),
        declare("", "v1", "Event", "events", "event", True, event_strategy,
                short_names=("ev",), field_getters=_CORE_EVENT_FIELDS,
                columns=events.event_columns(events_group=False),
                convert=events.convert_event, storage_version="v1"),
    ]
