"""apps/v1 Deployment and ReplicaSet (kube's ``pkg/registry/apps/<kind>/strategy.go``).

Defaults are ``SetDefaults_Deployment``/``SetDefaults_ReplicaSet`` of
``pkg/apis/apps/v1/defaults.go``; validation the common part of
``pkg/apis/apps/validation/validation.go``; columns ``printDeployment`` and
``printReplicaSet``.  Both serve ``/status`` and ``/scale``.
"""

from __future__ import annotations

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin import workloads as w
from setpoint.apiserver.builtin.declare import declare, description
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.endpoints.table import AGE_COLUMN, NAME_COLUMN
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

_APPS = "io.k8s.api.apps.v1."


class _ReplicatedStrategy(Strategy):
    """A kind with ``spec.replicas``, a selector and a pod template; status reset on create."""

    #: ``/scale``: spec replicas, status replicas, and the selector (a string, :meth:`scale_selector`).
    scale_paths = (".spec.replicas", ".status.replicas", "")
    #: The word of kube's ``empty selector is invalid for ...`` message.
    selector_word = ""

    def prepare_for_create(self, obj: Obj) -> None:
        self.default(obj)
        obj["status"] = {}

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        self.default(obj)

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        spec.setdefault("replicas", 1)
        w.default_template(spec.get("template"))

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [errors.required("spec", "")]
        out = w.non_negative(spec.get("replicas"), "spec.replicas")
        out.extend(w.validate_selector_and_template(spec, self.selector_word))
        out.extend(w.non_negative(spec.get("minReadySeconds"), "spec.minReadySeconds"))
        return out

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        out = self.validate(obj)
        new_sel, old_sel = w.get(obj, "spec", "selector"), w.get(old, "spec", "selector")
        if new_sel != old_sel:
            out.append(errors.invalid("spec.selector", w.go_label_selector(new_sel), "field is immutable"))
        return out

    @staticmethod
    def scale_selector(obj: Obj) -> str:
        """The Scale's ``status.selector``: the selector as a string."""
        return w.selector_string(w.get(obj, "spec", "selector"))


class DeploymentStrategy(_ReplicatedStrategy):
    selector_word = "deployment"

    def default(self, obj: Obj) -> None:
        super().default(obj)
        spec = obj["spec"]
        strategy = spec.get("strategy")
        if not isinstance(strategy, dict):
            strategy = spec["strategy"] = {}
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.get("rollingUpdate")
            if not isinstance(rolling, dict):
                rolling = strategy["rollingUpdate"] = {}
            rolling.setdefault("maxUnavailable", "25%")
            rolling.setdefault("maxSurge", "25%")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        out = super().validate(obj)
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return out
        found = spec.get("strategy")
        strategy: Obj = found if isinstance(found, dict) else {}
        kind = strategy.get("type")
        if kind not in ("Recreate", "RollingUpdate"):
            out.append(errors.not_supported("spec.strategy.type", kind, ["Recreate", "RollingUpdate"]))
        elif kind == "Recreate" and strategy.get("rollingUpdate") is not None:
            out.append(errors.forbidden("spec.strategy.rollingUpdate",
                                        "may not be specified when strategy `type` is 'Recreate'"))
        out.extend(w.non_negative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit"))
        deadline = spec.get("progressDeadlineSeconds")
        out.extend(w.non_negative(deadline, "spec.progressDeadlineSeconds"))
        ready = spec.get("minReadySeconds")
        if isinstance(deadline, int) and isinstance(ready, int) and deadline <= ready:
            out.append(errors.invalid("spec.progressDeadlineSeconds", deadline,
                                      "must be greater than minReadySeconds"))
        return out

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        # Annotations bump the generation too: they are copied onto the ReplicaSets.
        return obj.get("spec") != old.get("spec") or (
            w.get(obj, "metadata", "annotations") or {}) != (w.get(old, "metadata", "annotations") or {})


    def prepare_for_status_update(self, obj: Obj, old: Obj) -> Obj:
        """``deploymentStatusStrategy``: a ``/status`` write keeps the spec and the labels, not the
        rest of the metadata (the controller writes the revision annotation there)."""
        new = dict(obj)
        new["spec"] = old.get("spec")
        meta = dict(obj.get("metadata") or {})
        labels = (old.get("metadata") or {}).get("labels")
        if labels is None:
            meta.pop("labels", None)
        else:
            meta["labels"] = labels
        new["metadata"] = meta
        return new


class ReplicaSetStrategy(_ReplicatedStrategy):
    selector_word = "replicaset"

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        return obj.get("spec") != old.get("spec")


# --- columns --------------------------------------------------------------------


def _deployment_ready(obj: Obj) -> str:
    return f"{w.int_at(obj, 'status', 'readyReplicas')}/{w.int_at(obj, 'spec', 'replicas')}"


def _wide_columns(selector_doc: str) -> tuple[Column, ...]:
    return (
        Column("Containers", "string", w.template_containers, priority=1,
               description="Names of each container in the template."),
        Column("Images", "string", w.template_images, priority=1,
               description="Images referenced by each container in the template."),
        Column("Selector", "string", w.spec_selector, priority=1, description=selector_doc),
    )


_DEPLOYMENT_COLUMNS = (
    NAME_COLUMN,
    Column("Ready", "string", _deployment_ready, description="Number of the pod with ready state"),
    Column("Up-to-date", "string", lambda o: w.int_at(o, "status", "updatedReplicas"),
           description=description(_APPS + "DeploymentStatus", "updatedReplicas")),
    Column("Available", "string", lambda o: w.int_at(o, "status", "availableReplicas"),
           description=description(_APPS + "DeploymentStatus", "availableReplicas")),
    AGE_COLUMN,
    *_wide_columns(description(_APPS + "DeploymentSpec", "selector")),
)

_REPLICA_SET_COLUMNS = (
    NAME_COLUMN,
    Column("Desired", "integer", lambda o: w.int_at(o, "spec", "replicas"),
           description=description(_APPS + "ReplicaSetSpec", "replicas")),
    Column("Current", "integer", lambda o: w.int_at(o, "status", "replicas"),
           description=description(_APPS + "ReplicaSetStatus", "replicas")),
    Column("Ready", "integer", lambda o: w.int_at(o, "status", "readyReplicas"),
           description=description(_APPS + "ReplicaSetStatus", "readyReplicas")),
    AGE_COLUMN,
    *_wide_columns(description(_APPS + "ReplicaSetSpec", "selector")),
)


def resources() -> list[Resource]:
    """apps/v1's kinds, freshly made."""
    subresources = frozenset({"status", "scale"})
    return [
        declare("apps", "v1", "Deployment", "deployments", "deployment", True, DeploymentStrategy(),
                short_names=("deploy",), categories=("all",), subresources=subresources,
                columns=_DEPLOYMENT_COLUMNS),
        declare("apps", "v1", "ReplicaSet", "replicasets", "replicaset", True, ReplicaSetStrategy(),
                short_names=("rs",), categories=("all",), subresources=subresources,
                columns=_REPLICA_SET_COLUMNS),
    ]
