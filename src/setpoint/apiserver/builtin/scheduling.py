"""scheduling.k8s.io/v1 PriorityClass (kube's ``pkg/registry/scheduling/priorityclass``).

Defaulted as ``SetDefaults_PriorityClass`` (``preemptionPolicy: PreemptLowerPriority``),
validated as ``ValidatePriorityClass``/``ValidatePriorityClassUpdate`` (names starting with
``system-`` are kube's own two classes only, user values at most one billion, value and
preemption policy immutable; the system classes cannot be deleted). kube-apiserver creates ``system-node-critical`` and
``system-cluster-critical`` at start-up: :data:`SYSTEM_PRIORITY_CLASSES`. That only one class is
the global default is checked by the Priority admission plugin
(:mod:`setpoint.apiserver.admission.priority`).
"""

from __future__ import annotations

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin import workloads as w
from setpoint.apiserver.builtin.declare import declare, description
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.endpoints.table import AGE_COLUMN, NAME_COLUMN
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000
SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY
SYSTEM_PREFIX = "system-"
PREEMPTION_POLICIES = ["Never", "PreemptLowerPriority"]

#: kube's ``SystemPriorityClasses()``: created by kube-apiserver when it starts.
SYSTEM_PRIORITY_CLASSES: tuple[Obj, ...] = (
    {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "system-node-critical"},
     "value": SYSTEM_CRITICAL_PRIORITY + 1000,
     "description": "Used for system critical pods that must not be moved from their current node."},
    {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "system-cluster-critical"},
     "value": SYSTEM_CRITICAL_PRIORITY,
     "description": "Used for system critical pods that must run in the cluster, but can be moved to another node "
                    "if necessary."},
)


def _known_system_class(name: str, value: object, global_default: bool) -> str | None:
    """``IsKnownSystemPriorityClass``: None when it is one, else why not."""
    for spc in SYSTEM_PRIORITY_CLASSES:
        if spc["metadata"]["name"] == name:
            if spc["value"] != value:
                return f"value of {name} PriorityClass must be {spc['value']}"
            if global_default:
                return f"globalDefault of {name} PriorityClass must be false"
            return None
    return f"{name} is not a known system priority class"


class PriorityClassStrategy(Strategy):
    has_generation = False

    def prepare_for_create(self, obj: Obj) -> None:
        obj.setdefault("preemptionPolicy", "PreemptLowerPriority")

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        obj.setdefault("preemptionPolicy", "PreemptLowerPriority")

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        out: list[errors.FieldError] = []
        name = str((obj.get("metadata") or {}).get("name") or "")
        value = obj.get("value")
        if name.startswith(SYSTEM_PREFIX):
            why = _known_system_class(name, value, bool(obj.get("globalDefault")))
            if why is not None:
                out.append(errors.forbidden("metadata.name", f"priority class names with '{SYSTEM_PREFIX}' prefix "
                                                             f"are reserved for system use only. error: {why}"))
        elif isinstance(value, int) and value > HIGHEST_USER_DEFINABLE_PRIORITY:
            out.append(errors.forbidden("value", "maximum allowed value of a user defined priority is "
                                                 f"{HIGHEST_USER_DEFINABLE_PRIORITY}"))
        policy = obj.get("preemptionPolicy")
        if policy is not None and policy not in PREEMPTION_POLICIES:
            out.append(errors.not_supported("preemptionPolicy", policy, PREEMPTION_POLICIES))
        return out

    def on_delete(self, obj: Obj) -> Obj | None:
        """kube's priorityclass REST refuses to delete the system classes."""
        name = str((obj.get("metadata") or {}).get("name") or "")
        if any(spc["metadata"]["name"] == name for spc in SYSTEM_PRIORITY_CLASSES):
            raise errors.StatusError(
                403, "Forbidden", f'priorityclasses.scheduling.k8s.io "{name}" is forbidden: this is a system '
                                  "priority class and cannot be deleted",
                details={"name": name, "group": "scheduling.k8s.io", "kind": "priorityclasses"})
        return None

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        out = self.validate(obj)
        if obj.get("value") != old.get("value"):
            out.append(errors.forbidden("value", "may not be changed in an update."))
        if obj.get("preemptionPolicy") != old.get("preemptionPolicy"):
            out.append(errors.invalid("preemptionPolicy", obj.get("preemptionPolicy"), "field is immutable"))
        return out


_SCHEDULING = "io.k8s.api.scheduling.v1.PriorityClass"

#: printPriorityClass: Name, Value, Global-Default, Age, PreemptionPolicy.
_COLUMNS = (
    NAME_COLUMN,
    Column("Value", "integer", lambda o: w.int_at(o, "value"), description=description(_SCHEDULING, "value")),
    Column("Global-Default", "boolean", lambda o: bool(o.get("globalDefault")),
           description=description(_SCHEDULING, "globalDefault")),
    AGE_COLUMN,
    Column("PreemptionPolicy", "string", lambda o: str(o.get("preemptionPolicy") or ""),
           description=description(_SCHEDULING, "preemptionPolicy")),
)


def resources() -> list[Resource]:
    """scheduling.k8s.io's kinds, freshly made."""
    return [
        declare("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", "priorityclass", False,
                PriorityClassStrategy(), short_names=("pc",), columns=_COLUMNS),
    ]
