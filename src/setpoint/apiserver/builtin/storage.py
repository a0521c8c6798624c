"""core/v1 PersistentVolumeClaim (kube's ``pkg/registry/core/persistentvolumeclaim``).

Defaults are ``SetDefaults_PersistentVolumeClaim``/``_PersistentVolumeClaimSpec`` of
``pkg/apis/core/v1/defaults.go`` (``volumeMode: Filesystem``, ``status.phase: Pending``);
validation the common part of ``ValidatePersistentVolumeClaim``; columns
``printPersistentVolumeClaim``.  Nothing binds claims yet: they stay ``Pending``.
"""

from __future__ import annotations

from setpoint.apimachinery import quantity
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin import workloads as w
from setpoint.apiserver.builtin.declare import declare, description
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.endpoints.table import AGE_COLUMN, NAME_COLUMN
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

_CORE = "io.k8s.api.core.v1."
#: ``supportedAccessModes``, sorted as the set's ``List()`` gives them.
ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
_IMMUTABLE = "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"
#: ``GetAccessModesAsString``'s order and abbreviations.
_MODE_SHORT = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"),
               ("ReadWriteOncePod", "RWOP"))


class PersistentVolumeClaimStrategy(Strategy):
    has_generation = False

    @staticmethod
    def _default(obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        spec.setdefault("volumeMode", "Filesystem")

    def prepare_for_create(self, obj: Obj) -> None:
        self._default(obj)
        obj["status"] = {"phase": "Pending"}

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        self._default(obj)

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        """``ValidatePersistentVolumeClaimSpec``: access modes and the storage request."""
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [errors.required("spec", "")]
        out: list[errors.FieldError] = []
        modes = spec.get("accessModes")
        if not modes:
            out.append(errors.required("spec.accessModes", "at least 1 access mode is required"))
        for mode in modes if isinstance(modes, list) else ():
            if mode not in ACCESS_MODES:
                out.append(errors.not_supported("spec.accessModes", mode, ACCESS_MODES))
        path = "spec.resources.requests.storage"
        storage = w.get(spec, "resources", "requests", "storage")
        if storage is None:
            out.append(errors.required(path, ""))
        else:
            try:
                positive = quantity.value(str(storage)) > 0
            except ValueError:
                positive = True  # the decoder refused it already
            if not positive:
                out.append(errors.invalid(path, str(storage), "must be greater than zero"))
        mode = spec.get("volumeMode")
        if mode is not None and mode not in ("Block", "Filesystem"):
            out.append(errors.not_supported("spec.volumeMode", mode, ["Block", "Filesystem"]))
        return out

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        out = self.validate(obj)
        new_spec = dict(obj.get("spec") or {})
        old_spec = dict(old.get("spec") or {})
        if old_spec.get("volumeName"):  # bound: requests and the attributes class may change
            for spec in (new_spec, old_spec):
                spec.pop("volumeAttributesClassName", None)
                resources = dict(spec.get("resources") or {})
                resources.pop("requests", None)
                spec["resources"] = resources
        if new_spec != old_spec:
            out.append(errors.forbidden("spec", _IMMUTABLE))
        return out


def _claim_phase(obj: Obj) -> str:
    if w.get(obj, "metadata", "deletionTimestamp"):
        return "Terminating"
    return str(w.get(obj, "status", "phase") or "")


def _access_modes(modes: object) -> str:
    """``GetAccessModesAsString``."""
    present = set(modes) if isinstance(modes, list) else set()
    return ",".join(short for mode, short in _MODE_SHORT if mode in present)


def _bound(obj: Obj) -> bool:
    return bool(w.get(obj, "spec", "volumeName"))


def _storage_class(obj: Obj) -> str:
    """``GetPersistentVolumeClaimClass``: the beta annotation, else ``spec.storageClassName``."""
    annotations = w.get(obj, "metadata", "annotations") or {}
    beta = annotations.get("volume.beta.kubernetes.io/storage-class") if isinstance(annotations, dict) else None
    if beta is not None:
        return str(beta)
    return str(w.get(obj, "spec", "storageClassName") or "")


_COLUMNS = (
    NAME_COLUMN,
    Column("Status", "string", _claim_phase, description=description(_CORE + "PersistentVolumeClaimStatus", "phase")),
    Column("Volume", "string", lambda o: str(w.get(o, "spec", "volumeName") or ""),
           description=description(_CORE + "PersistentVolumeClaimSpec", "volumeName")),
    Column("Capacity", "string",
           lambda o: str(w.get(o, "status", "capacity", "storage") or "") if _bound(o) else "",
           description=description(_CORE + "PersistentVolumeClaimStatus", "capacity")),
    Column("Access Modes", "string",
           lambda o: _access_modes(w.get(o, "status", "accessModes")) if _bound(o) else "",
           description=description(_CORE + "PersistentVolumeClaimStatus", "accessModes")),
    Column("StorageClass", "string", _storage_class, description="StorageClass of the pvc"),
    Column("VolumeAttributesClass", "string",
           lambda o: str(w.get(o, "spec", "volumeAttributesClassName") or "<unset>"),
           description="VolumeAttributesClass of the pvc"),
    AGE_COLUMN,
    Column("VolumeMode", "string", lambda o: str(w.get(o, "spec", "volumeMode") or "<unset>"), priority=1,
           description=description(_CORE + "PersistentVolumeClaimSpec", "volumeMode")),
)


def resources() -> list[Resource]:
    """core/v1 PersistentVolumeClaim, freshly made."""
    return [
        declare("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", True,
                PersistentVolumeClaimStrategy(), short_names=("pvc",), subresources=frozenset({"status"}),
                columns=_COLUMNS),
    ]
