"""apps/v1 Deployment, ReplicaSet, StatefulSet, DaemonSet and ControllerRevision
(kube's ``pkg/registry/apps/<kind>/strategy.go``).

Defaults are ``SetDefaults_<Kind>`` of ``pkg/apis/apps/v1/defaults.go``; validation
the common part of ``pkg/apis/apps/validation/validation.go``; columns ``print<Kind>``.
Deployment, ReplicaSet and StatefulSet serve ``/status`` and ``/scale``, DaemonSet ``/status``.
"""

from __future__ import annotations

import orjson

from setpoint.apimachinery import labels
from setpoint.apimachinery.selection import SelectorError
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin import workloads as w
from setpoint.apiserver.builtin.declare import declare, description
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.encoding.errors import GoLiteral
from setpoint.apiserver.endpoints.table import AGE_COLUMN, NAME_COLUMN
from setpoint.apiserver.registry import metadata
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


#: The StatefulSet spec fields an update may change (``ValidateStatefulSetUpdate``).
_STS_MUTABLE = ("replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds")
_STS_IMMUTABLE_MESSAGE = ("updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                          "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' "
                          "are forbidden")
_RETENTION = ["Retain", "Delete"]


def _go_rolling_update_sts(value: object) -> GoLiteral:
    """An ``apps.RollingUpdateStatefulSetStrategy`` as ``%#v`` prints it (without addresses)."""
    partition = w.int_at({"v": value}, "v", "partition")
    unavailable = "nil" if w.get(value, "maxUnavailable") is None else "..."
    return GoLiteral(f"apps.RollingUpdateStatefulSetStrategy{{Partition:{partition}, "
                     f"MaxUnavailable:(*intstr.IntOrString)({unavailable})}}")


def default_claim_template(claim: object) -> None:
    """A volume claim template as kube stores it: ``v1``/``PersistentVolumeClaim``,
    ``volumeMode: Filesystem`` and ``status.phase: Pending`` (``SetDefaults_PersistentVolumeClaim``)."""
    if not isinstance(claim, dict):
        return
    claim.setdefault("apiVersion", "v1")
    claim.setdefault("kind", "PersistentVolumeClaim")
    spec = claim.get("spec")
    if not isinstance(spec, dict):
        spec = claim["spec"] = {}
    spec.setdefault("volumeMode", "Filesystem")
    status = claim.get("status")
    if not isinstance(status, dict):
        status = claim["status"] = {}
    status.setdefault("phase", "Pending")


class StatefulSetStrategy(_ReplicatedStrategy):
    selector_word = "statefulset"
    name_fn = staticmethod(metadata.name_is_dns_label)

    def prepare_for_create(self, obj: Obj) -> None:
        self.default(obj)
        # An empty apps/v1 StatefulSetStatus: its two fields without omitempty.
        obj["status"] = {"replicas": 0, "availableReplicas": 0}

    def default(self, obj: Obj) -> None:
        super().default(obj)
        spec = obj["spec"]
        spec.setdefault("podManagementPolicy", "OrderedReady")
        strategy = spec.get("updateStrategy")
        if not isinstance(strategy, dict):
            strategy = spec["updateStrategy"] = {}
        if not strategy.get("type"):
            strategy["type"] = "RollingUpdate"
            if strategy.get("rollingUpdate") is None:
                strategy["rollingUpdate"] = {}
        rolling = strategy.get("rollingUpdate")
        if strategy["type"] == "RollingUpdate" and isinstance(rolling, dict):
            rolling.setdefault("partition", 0)
            rolling.setdefault("maxUnavailable", 1)  # MaxUnavailableStatefulSet: beta, on by default
        policy = spec.get("persistentVolumeClaimRetentionPolicy")
        if not isinstance(policy, dict):
            policy = spec["persistentVolumeClaimRetentionPolicy"] = {}
        policy.setdefault("whenDeleted", "Retain")
        policy.setdefault("whenScaled", "Retain")
        spec.setdefault("revisionHistoryLimit", 10)
        for claim in spec.get("volumeClaimTemplates") or ():
            default_claim_template(claim)

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        """``ValidateStatefulSetSpec`` (the pod spec itself is not validated, as in kube)."""
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [errors.required("spec", "")]
        out: list[errors.FieldError] = []
        policy = spec.get("podManagementPolicy")
        if not policy:
            out.append(errors.required("spec.podManagementPolicy", ""))
        elif policy not in ("OrderedReady", "Parallel"):
            out.append(errors.invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"))
        out.extend(self._validate_update_strategy(spec.get("updateStrategy")))
        retention = spec.get("persistentVolumeClaimRetentionPolicy")
        if isinstance(retention, dict):
            for key in ("whenDeleted", "whenScaled"):
                if retention.get(key) not in _RETENTION:
                    out.append(errors.not_supported(f"spec.persistentVolumeClaimRetentionPolicy.{key}",
                                                    retention.get(key) or "", _RETENTION))
        out.extend(w.non_negative(spec.get("replicas"), "spec.replicas"))
        out.extend(w.non_negative(spec.get("minReadySeconds"), "spec.minReadySeconds"))
        out.extend(w.non_negative(w.get(spec, "ordinals", "start"), "spec.ordinals.start"))
        selector = spec.get("selector")
        compiled: labels.Selector | None = None
        if selector is None:
            out.append(errors.required("spec.selector", ""))
        elif isinstance(selector, dict):
            out.extend(metadata.validate_label_selector(selector, "spec.selector"))
            if not selector.get("matchLabels") and not selector.get("matchExpressions"):
                out.append(errors.invalid("spec.selector", w.go_label_selector(selector),
                                          "empty selector is invalid for statefulset"))
            try:
                compiled = labels.as_selector(selector)
            except SelectorError:
                compiled = None
        found = spec.get("template")
        template: Obj = found if isinstance(found, dict) else {}
        found = template.get("metadata")
        tmeta: Obj = found if isinstance(found, dict) else {}
        tlabels = tmeta.get("labels")
        if compiled is not None and selector and (selector.get("matchLabels") or selector.get("matchExpressions")) \
                and not compiled.matches(tlabels if isinstance(tlabels, dict) else {}):
            out.append(errors.invalid("spec.template.metadata.labels", w.go_string_map(tlabels),
                                      "`selector` does not match template `labels`"))
        out.extend(metadata.validate_labels(tlabels, "spec.template.labels"))
        out.extend(metadata.validate_annotations(tmeta.get("annotations"), "spec.template.annotations"))
        found = template.get("spec")
        pod: Obj = found if isinstance(found, dict) else {}
        restart = pod.get("restartPolicy")
        if restart != "Always":
            out.append(errors.not_supported("spec.template.spec.restartPolicy", restart or "", ["Always"]))
        if pod.get("activeDeadlineSeconds") is not None:
            out.append(errors.forbidden("spec.template.spec.activeDeadlineSeconds",
                                        "activeDeadlineSeconds in StatefulSet is not Supported"))
        return out

    @staticmethod
    def _validate_update_strategy(strategy: object) -> list[errors.FieldError]:
        strategy = strategy if isinstance(strategy, dict) else {}
        kind = strategy.get("type")
        rolling = strategy.get("rollingUpdate")
        path = "spec.updateStrategy"
        if not kind:
            return [errors.required(path, "")]
        if kind == "OnDelete":
            if rolling is not None:
                return [errors.invalid(f"{path}.rollingUpdate", _go_rolling_update_sts(rolling),
                                       "only allowed for updateStrategy 'RollingUpdate'")]
            return []
        if kind == "RollingUpdate":
            if not isinstance(rolling, dict):
                return []
            out = w.non_negative(rolling.get("partition"), f"{path}.rollingUpdate.partition")
            unavailable = rolling.get("maxUnavailable")
            if unavailable is not None:
                upath = f"{path}.rollingUpdate.maxUnavailable"
                out.extend(w.validate_positive_int_or_percent(unavailable, upath))
                if w.int_or_percent_value(unavailable) == 0:
                    out.append(errors.invalid(upath, w.go_int_or_string(unavailable), "cannot be 0"))
                out.extend(w.not_more_than_100_percent(unavailable, upath))
            return out
        ru = "(*apps.RollingUpdateStatefulSetStrategy)(nil)" if rolling is None else "(*apps.RollingUpdateStatefulSetStrategy)(...)"
        value = GoLiteral(f"apps.StatefulSetUpdateStrategy{{Type:{w.go_quote(str(kind))}, RollingUpdate:{ru}}}")
        return [errors.invalid(path, value, "must be 'RollingUpdate' or 'OnDelete'")]

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        out = self.validate(obj)
        new_spec, old_spec = obj.get("spec"), old.get("spec")
        new_rest = {k: v for k, v in (new_spec or {}).items() if k not in _STS_MUTABLE}
        old_rest = {k: v for k, v in (old_spec or {}).items() if k not in _STS_MUTABLE}
        if new_rest != old_rest:
            out.append(errors.forbidden("spec", _STS_IMMUTABLE_MESSAGE))
        out.extend(_statefulset_status_errors(obj, old))
        return out

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        return obj.get("spec") != old.get("spec")


def _status_errors(obj: Obj, old: Obj, fields: tuple[str, ...]) -> list[errors.FieldError]:
    """The status checks shared by ``ValidateStatefulSetStatusUpdate`` and
    ``ValidateDaemonSetStatusUpdate``: counts not negative, ``collisionCount`` not decremented.
    (Only a ``/status`` write can change a status: the main resource keeps the stored one.)"""
    found = obj.get("status")
    status: Obj = found if isinstance(found, dict) else {}
    out: list[errors.FieldError] = []
    for key in fields:
        out.extend(w.non_negative(status.get(key), f"status.{key}"))
    new_count, old_count = status.get("collisionCount"), w.get(old, "status", "collisionCount")
    if isinstance(old_count, int) and (not isinstance(new_count, int) or new_count < old_count):
        out.append(errors.invalid("status.collisionCount", new_count if isinstance(new_count, int) else 0,
                                  "cannot be decremented"))
    return out


#: The non-negative status fields, in the order kube checks them.
_STS_STATUS_COUNTS = ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas",
                      "observedGeneration", "collisionCount")
_DS_STATUS_COUNTS = ("currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady",
                     "observedGeneration", "updatedNumberScheduled", "numberAvailable", "numberUnavailable",
                     "collisionCount")


def _statefulset_status_errors(obj: Obj, old: Obj) -> list[errors.FieldError]:
    """``ValidateStatefulSetStatus``'s order: counts, then each one against ``replicas``."""
    out = _status_errors(obj, old, _STS_STATUS_COUNTS)
    found = obj.get("status")
    status: Obj = found if isinstance(found, dict) else {}
    replicas, ready = w.int_at(status, "replicas"), w.int_at(status, "readyReplicas")
    for key in ("readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"):
        if w.int_at(status, key) > replicas:
            out.append(errors.invalid(f"status.{key}", w.int_at(status, key), "cannot be greater than status.replicas"))
    if w.int_at(status, "availableReplicas") > ready:
        out.append(errors.invalid("status.availableReplicas", w.int_at(status, "availableReplicas"),
                                  "cannot be greater than status.readyReplicas"))
    decremented = [e for e in out if e.detail == "cannot be decremented"]
    return [e for e in out if e not in decremented] + decremented


#: The annotation apps/v1 keeps a DaemonSet's ``templateGeneration`` in.
TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"


def _template_generation(obj: Obj) -> int:
    text = (w.get(obj, "metadata", "annotations") or {}).get(TEMPLATE_GENERATION_ANNOTATION)
    try:
        return int(text) if isinstance(text, str) else 0
    except ValueError:
        return 0


def _set_template_generation(obj: Obj, generation: int) -> None:
    meta = obj.setdefault("metadata", {})
    annotations = meta.get("annotations")
    if not isinstance(annotations, dict):
        annotations = meta["annotations"] = {}
    annotations[TEMPLATE_GENERATION_ANNOTATION] = str(generation)


class DaemonSetStrategy(Strategy):
    """A DaemonSet: ``templateGeneration`` (in its apps/v1 annotation) moves with the template."""

    def prepare_for_create(self, obj: Obj) -> None:
        self.default(obj)
        obj["status"] = {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0,
                         "numberReady": 0}
        _set_template_generation(obj, max(_template_generation(obj), 1))

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        self.default(obj)
        generation = _template_generation(old)
        if w.get(obj, "spec", "template") != w.get(old, "spec", "template"):
            generation += 1
        _set_template_generation(obj, generation)

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        w.default_template(spec.get("template"))
        strategy = spec.get("updateStrategy")
        if not isinstance(strategy, dict):
            strategy = spec["updateStrategy"] = {}
        if not strategy.get("type"):
            strategy["type"] = "RollingUpdate"
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.get("rollingUpdate")
            if not isinstance(rolling, dict):
                rolling = strategy["rollingUpdate"] = {}
            rolling.setdefault("maxUnavailable", 1)
            rolling.setdefault("maxSurge", 0)
        spec.setdefault("revisionHistoryLimit", 10)

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        """``ValidateDaemonSetSpec``."""
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [errors.required("spec", "")]
        out: list[errors.FieldError] = []
        selector = spec.get("selector")
        out.extend(metadata.validate_label_selector(selector, "spec.selector"))
        found = spec.get("template")
        template: Obj = found if isinstance(found, dict) else {}
        tlabels = w.get(template, "metadata", "labels")
        try:
            matches = isinstance(selector, dict) and labels.as_selector(selector).matches(
                tlabels if isinstance(tlabels, dict) else {})
            valid = True
        except SelectorError:
            matches, valid = False, False
        if valid and not matches:
            out.append(errors.invalid("spec.template.metadata.labels", w.go_string_map(tlabels),
                                      "`selector` does not match template `labels`"))
        if isinstance(selector, dict) and not selector.get("matchLabels") and not selector.get("matchExpressions"):
            out.append(errors.invalid("spec.selector", w.go_label_selector(selector),
                                      "empty selector is invalid for daemonset"))
        out.extend(w.validate_pod_template(template, "spec.template", restart_policies=("Always",)))
        if w.get(template, "spec", "activeDeadlineSeconds") is not None:
            out.append(errors.forbidden("spec.template.spec.activeDeadlineSeconds",
                                        "activeDeadlineSeconds in DaemonSet is not Supported"))
        out.extend(w.non_negative(spec.get("minReadySeconds"), "spec.minReadySeconds"))
        out.extend(self._validate_update_strategy(spec.get("updateStrategy")))
        out.extend(w.non_negative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit"))
        return out

    @staticmethod
    def _validate_update_strategy(strategy: object) -> list[errors.FieldError]:
        """``ValidateDaemonSetUpdateStrategy`` and ``ValidateRollingUpdateDaemonSet``."""
        strategy = strategy if isinstance(strategy, dict) else {}
        path = "spec.updateStrategy"
        kind = strategy.get("type")
        if kind == "OnDelete":
            return []
        if kind != "RollingUpdate":
            value = GoLiteral(f"apps.DaemonSetUpdateStrategy{{Type:{w.go_quote(str(kind or ''))}, "
                              "RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}")
            return [errors.not_supported(path, value, ["RollingUpdate", "OnDelete"])]
        rolling = strategy.get("rollingUpdate")
        if not isinstance(rolling, dict):
            return [errors.required(f"{path}.rollingUpdate", "")]
        rpath = f"{path}.rollingUpdate"
        unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
        out = w.validate_positive_int_or_percent(unavailable, f"{rpath}.maxUnavailable")
        out.extend(w.validate_positive_int_or_percent(surge, f"{rpath}.maxSurge"))
        out.extend(w.not_more_than_100_percent(unavailable, f"{rpath}.maxUnavailable"))
        out.extend(w.not_more_than_100_percent(surge, f"{rpath}.maxSurge"))
        has_unavailable = w.int_or_percent_value(unavailable) != 0
        has_surge = w.int_or_percent_value(surge) != 0
        if has_unavailable and has_surge:
            out.append(errors.invalid(f"{rpath}.maxSurge", w.go_int_or_string(surge),
                                      "may not be set when maxUnavailable is non-zero"))
        elif not has_unavailable and not has_surge:
            out.append(errors.required(f"{rpath}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
        return out

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        out = self.validate(obj)
        new_sel, old_sel = w.get(obj, "spec", "selector"), w.get(old, "spec", "selector")
        if new_sel != old_sel:
            out.append(errors.invalid("spec.selector", w.go_label_selector(new_sel), "field is immutable"))
        out.extend(_status_errors(obj, old, _DS_STATUS_COUNTS))
        return out

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        return obj.get("spec") != old.get("spec")


class ControllerRevisionStrategy(Strategy):
    """A ControllerRevision: ``data`` is required and immutable; no generation."""

    has_generation = False

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        out: list[errors.FieldError] = []
        if obj.get("data") is None:
            out.append(errors.required("data", "data is mandatory"))
        out.extend(w.non_negative(obj.get("revision"), "revision"))
        return out

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        out = self.validate(obj)
        if obj.get("data") != old.get("data"):
            raw = orjson.dumps(obj.get("data"))
            data = ", ".join(f"0x{b:x}" for b in raw)
            out.append(errors.invalid("data", GoLiteral(
                f'runtime.Unknown{{TypeMeta:runtime.TypeMeta{{APIVersion:"", Kind:""}}, Raw:[]uint8{{{data}}}, '
                'ContentEncoding:"", ContentType:""}'), "field is immutable"))
        return out

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        return False


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


def _statefulset_ready(obj: Obj) -> str:
    return f"{w.int_at(obj, 'status', 'readyReplicas')}/{w.int_at(obj, 'spec', 'replicas')}"


_STATEFUL_SET_COLUMNS = (
    NAME_COLUMN,
    Column("Ready", "string", _statefulset_ready, description="Number of the pod with ready state"),
    AGE_COLUMN,
    *_wide_columns("")[:2],
)


def _ds_status(field: str) -> Column:
    return Column(_DS_COLUMN_NAMES[field], "integer", lambda o: w.int_at(o, "status", field),
                  description=description(_APPS + "DaemonSetStatus", field))


_DS_COLUMN_NAMES = {"desiredNumberScheduled": "Desired", "currentNumberScheduled": "Current",
                    "numberReady": "Ready", "updatedNumberScheduled": "Up-to-date", "numberAvailable": "Available"}

_DAEMON_SET_COLUMNS = (
    NAME_COLUMN,
    *(_ds_status(f) for f in _DS_COLUMN_NAMES),
    Column("Node Selector", "string", lambda o: w.format_labels(w.get(o, "spec", "template", "spec", "nodeSelector")),
           description=description("io.k8s.api.core.v1.PodSpec", "nodeSelector")),
    AGE_COLUMN,
    *_wide_columns(description(_APPS + "DaemonSetSpec", "selector")),
)


def _revision_controller(obj: Obj) -> str:
    """``printControllerRevision``'s controller: ``kind.group/name`` in lower case, or ``<none>``."""
    for ref in w.get(obj, "metadata", "ownerReferences") or ():
        if isinstance(ref, dict) and ref.get("controller") is True:
            group = str(ref.get("apiVersion", "")).rpartition("/")[0]
            kind = str(ref.get("kind", ""))
            qualified = f"{kind}.{group}" if group else kind
            return f"{qualified.lower()}/{ref.get('name', '')}" if kind else str(ref.get("name", ""))
    return "<none>"


_CONTROLLER_REVISION_COLUMNS = (
    NAME_COLUMN,
    Column("Controller", "string", _revision_controller, description="Controller of the object"),
    Column("Revision", "string", lambda o: w.int_at(o, "revision"),
           description=description(_APPS + "ControllerRevision", "revision")),
    AGE_COLUMN,
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
        declare("apps", "v1", "StatefulSet", "statefulsets", "statefulset", True, StatefulSetStrategy(),
                short_names=("sts",), categories=("all",), subresources=subresources,
                columns=_STATEFUL_SET_COLUMNS),
        declare("apps", "v1", "DaemonSet", "daemonsets", "daemonset", True, DaemonSetStrategy(),
                short_names=("ds",), categories=("all",), subresources=frozenset({"status"}),
                columns=_DAEMON_SET_COLUMNS),
        declare("apps", "v1", "ControllerRevision", "controllerrevisions", "controllerrevision", True,
                ControllerRevisionStrategy(), columns=_CONTROLLER_REVISION_COLUMNS),
    ]
