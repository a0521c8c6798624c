"""What the Deployment controller computes, as kube's ``pkg/controller/deployment/util``: the
pod-template hash, surge and unavailability bounds, revisions and their annotations, replica
counts over ReplicaSets, Deployment conditions and whether a rollout completed, progresses or
timed out. Pure functions over plain objects (ReplicaSets and Deployments as dicts).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from setpoint.apimachinery.clock import now_rfc3339
from setpoint.apimachinery.types import Obj
from setpoint.controllers.history import fnv32a, safe_encode
from setpoint.controllers.pods import timestamp

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
#: ``DefaultDeploymentUniqueLabelKey``.
HASH_LABEL = "pod-template-hash"
#: kube's ``maxRevHistoryLengthInChars``.
MAX_REV_HISTORY_CHARS = 2000
_SKIP_COPY = frozenset({"kubectl.kubernetes.io/last-applied-configuration", REVISION, REVISION_HISTORY,
                        DESIRED_REPLICAS, MAX_REPLICAS, "deprecated.deployment.rollback.to"})
MAX_INT32 = 2**31 - 1

# Condition types and reasons (``pkg/controller/deployment/util``).
AVAILABLE, PROGRESSING, REPLICA_FAILURE = "Available", "Progressing", "ReplicaFailure"
NEW_RS_REASON = "NewReplicaSetCreated"
FOUND_NEW_RS_REASON = "FoundNewReplicaSet"
RS_UPDATED_REASON = "ReplicaSetUpdated"
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
FAILED_RS_CREATE_REASON = "ReplicaSetCreateError"
PAUSED_REASON = "DeploymentPaused"
RESUMED_REASON = "DeploymentResumed"
MIN_AVAILABLE_REASON = "MinimumReplicasAvailable"
MIN_UNAVAILABLE_REASON = "MinimumReplicasUnavailable"

def compute_hash(template: Mapping[str, Any], collision_count: int | None) -> str:
    """``controller.ComputeHash``: fnv-32a of the template (then of the collision count, as 8
    little-endian bytes), its decimal rendered by :func:`safe_encode`. Kube hashes the Go struct's
    spew dump; here the template's canonical JSON is hashed, so values differ from kube's while
    keeping its properties (stable, changes with the template and with ``collisionCount``)."""
    data = orjson.dumps(template, option=orjson.OPT_SORT_KEYS)
    if collision_count is not None:
        data += (collision_count & 0xFFFFFFFF).to_bytes(8, "little")
    return safe_encode(str(fnv32a(data)))


# -- accessors ---------------------------------------------------------------------------------------

def replicas(obj: Obj) -> int:
    """``*spec.replicas`` (1 when unset, the API default)."""
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def status_int(obj: Obj, field: str) -> int:
    return int((obj.get("status") or {}).get(field) or 0)


def annotations_of(obj: Obj) -> Mapping[str, str]:
    return obj["metadata"].get("annotations") or {}


def revision(obj: Obj) -> int:
    """``Revision``: the revision annotation as a number (0 when absent or not a number)."""
    try:
        return int(annotations_of(obj).get(REVISION, "0"))
    except ValueError:
        return 0


def max_revision(rss: Iterable[Obj]) -> int:
    return max((revision(rs) for rs in rss), default=0)


def _int_annotation(obj: Obj, key: str) -> int | None:
    value = annotations_of(obj).get(key)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def desired_replicas_annotation(rs: Obj) -> int | None:
    return _int_annotation(rs, DESIRED_REPLICAS)


# -- bounds -------------------------------------------------------------------------------------

def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%"):
        try:
            percent = int(value[:-1])
        except ValueError:
            raise ValueError(f"invalid value for IntOrString: invalid value {value!r}") from None
        exact = percent * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")


def is_rolling(d: Obj) -> bool:
    strategy = (d.get("spec") or {}).get("strategy") or {}
    return bool(strategy.get("type", "RollingUpdate") == "RollingUpdate")


def resolve_fenceposts(d: Obj) -> tuple[int, int]:
    """``ResolveFenceposts``: maxSurge rounded up, maxUnavailable down; never both zero."""
    rolling = ((d["spec"].get("strategy") or {}).get("rollingUpdate") or {})
    desired = replicas(d)
    surge = scaled_value(rolling.get("maxSurge", "25%"), desired, True)
    unavailable = scaled_value(rolling.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: Obj) -> int:
    return resolve_fenceposts(d)[0] if is_rolling(d) else 0


def max_unavailable(d: Obj) -> int:
    if not is_rolling(d) or replicas(d) == 0:
        return 0
    return min(resolve_fenceposts(d)[1], replicas(d))


# -- counts -------------------------------------------------------------------------------------

def spec_replicas(rss: Iterable[Obj | None]) -> int:
    """``GetReplicaCountForReplicaSets``."""
    return sum(replicas(rs) for rs in rss if rs is not None)


def actual_replicas(rss: Iterable[Obj | None]) -> int:
    return sum(status_int(rs, "replicas") for rs in rss if rs is not None)


def ready_replicas(rss: Iterable[Obj | None]) -> int:
    return sum(status_int(rs, "readyReplicas") for rs in rss if rs is not None)


def available_replicas(rss: Iterable[Obj | None]) -> int:
    return sum(status_int(rs, "availableReplicas") for rs in rss if rs is not None)


def active(rss: Iterable[Obj | None]) -> list[Obj]:
    """``FilterActiveReplicaSets``: those with replicas."""
    return [rs for rs in rss if rs is not None and replicas(rs) > 0]


def by_creation(rs: Obj) -> tuple[float, str]:
    """``ReplicaSetsByCreationTimestamp``'s key."""
    return (timestamp(rs["metadata"].get("creationTimestamp")) or 0.0, rs["metadata"]["name"])


def without_hash(template: Mapping[str, Any] | None) -> Any:
    """The template with the pod-template-hash label left out (``EqualIgnoreHash``)."""
    template = template or {}
    meta = template.get("metadata") or {}
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != HASH_LABEL}
    return {**template, "metadata": {**meta, "labels": labels}}


def find_new(d: Obj, rss: Sequence[Obj]) -> Obj | None:
    """``FindNewReplicaSet``: the oldest ReplicaSet whose template is the Deployment's."""
    want = without_hash(d["spec"].get("template"))
    for rs in sorted(rss, key=by_creation):
        if without_hash(rs["spec"].get("template")) == want:
            return rs
    return None


def new_rs_new_replicas(d: Obj, all_rss: Sequence[Obj | None], new_rs: Obj) -> int:
    """``NewRSNewReplicas``: how big the new ReplicaSet may be now."""
    if not is_rolling(d):
        return replicas(d)
    surge = max_surge(d)
    current = spec_replicas(all_rss)
    max_total = replicas(d) + surge
    if current >= max_total:
        return replicas(new_rs)
    scale_up = min(max_total - current, replicas(d) - replicas(new_rs))
    return replicas(new_rs) + scale_up


def is_saturated(d: Obj, rs: Obj | None) -> bool:
    return rs is not None and replicas(rs) == replicas(d) and desired_replicas_annotation(rs) == replicas(d) \
        and status_int(rs, "availableReplicas") == replicas(d)


def replicas_annotations_need_update(rs: Obj, desired: int, max_replicas: int) -> bool:
    a = annotations_of(rs)
    return a.get(DESIRED_REPLICAS) != str(desired) or a.get(MAX_REPLICAS) != str(max_replicas)


def set_replicas_annotations(rs: dict[str, Any], desired: int, max_replicas: int) -> bool:
    a = rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in ((DESIRED_REPLICAS, str(desired)), (MAX_REPLICAS, str(max_replicas))):
        if a.get(key) != value:
            a[key] = value
            changed = True
    return changed


def set_new_rs_annotations(d: Obj, rs: dict[str, Any], new_revision: str, exists: bool) -> bool:
    """``SetNewReplicaSetAnnotations``: the Deployment's annotations, the revision (and the history of
    revisions a rolled-back-to ReplicaSet had), and for a new ReplicaSet desired/max replicas."""
    a: dict[str, str] = rs["metadata"].setdefault("annotations", {})
    changed = False
    for k, v in annotations_of(d).items():
        if k in _SKIP_COPY or a.get(k) == v:
            continue
        a[k] = v
        changed = True
    had = REVISION in a
    old = a.get(REVISION, "")
    try:
        old_int = int(old) if old else 0
    except ValueError:
        return False
    new_int = int(new_revision)
    if old_int < new_int:
        a[REVISION] = new_revision
        changed = True
    if had and old_int < new_int:
        history = a.get(REVISION_HISTORY, "")
        olds = history.split(",")
        if not olds[0]:
            a[REVISION_HISTORY] = old
        else:
            total = len(history) + len(old) + 1
            start = 0
            while total > MAX_REV_HISTORY_CHARS and start < len(olds):
                total -= len(olds[start]) + 1
                start += 1
            if total <= MAX_REV_HISTORY_CHARS:
                a[REVISION_HISTORY] = ",".join([*olds[start:], old])
    if not exists and set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)):
        changed = True
    return changed


def replica_set_fraction(rs: Obj, d: Obj) -> int:
    """``getReplicaSetFraction``: the change of ``rs`` that proportional scaling gives it."""
    if replicas(d) == 0:
        return -replicas(rs)
    deployment_replicas = replicas(d) + max_surge(d)
    annotated = _int_annotation(rs, MAX_REPLICAS)
    if annotated is None:
        annotated = status_int(d, "replicas")
    if annotated == 0:
        return 0
    size = replicas(rs) * deployment_replicas / annotated
    return int(math.floor(size + 0.5) if size >= 0 else -math.floor(-size + 0.5)) - replicas(rs)


def proportion(rs: Obj | None, d: Obj, to_add: int, added: int) -> int:
    """``GetProportion``."""
    if rs is None or replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = replica_set_fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


# -- conditions ---------------------------------------------------------------------------------

def has_progress_deadline(d: Obj) -> bool:
    deadline = d["spec"].get("progressDeadlineSeconds")
    return deadline is not None and deadline != MAX_INT32


def has_revision_history_limit(d: Obj) -> bool:
    limit = d["spec"].get("revisionHistoryLimit")
    return limit is not None and limit != MAX_INT32


def get_condition(status: Mapping[str, Any], type: str) -> dict[str, Any] | None:
    for c in status.get("conditions") or ():
        if c.get("type") == type:
            return c  # type: ignore[no-any-return]
    return None


def new_condition(type: str, status: str, reason: str, message: str) -> dict[str, Any]:
    now = now_rfc3339()
    return {"type": type, "status": status, "lastUpdateTime": now, "lastTransitionTime": now,
            "reason": reason, "message": message}


def set_condition(status: dict[str, Any], condition: dict[str, Any]) -> None:
    """``SetDeploymentCondition``: same status and reason change nothing; same status keeps the
    transition time."""
    current = get_condition(status, condition["type"])
    if current is not None and current.get("status") == condition["status"] \
            and current.get("reason") == condition["reason"]:
        return
    if current is not None and current.get("status") == condition["status"]:
        condition["lastTransitionTime"] = current.get("lastTransitionTime")
    remove_condition(status, condition["type"])
    status.setdefault("conditions", []).append(condition)


def remove_condition(status: dict[str, Any], type: str) -> None:
    conditions = [c for c in status.get("conditions") or () if c.get("type") != type]
    if conditions:
        status["conditions"] = conditions
    else:
        status.pop("conditions", None)


def complete(d: Obj, status: Mapping[str, Any]) -> bool:
    """``DeploymentComplete``."""
    n = replicas(d)
    return int(status.get("updatedReplicas") or 0) == n and int(status.get("replicas") or 0) == n \
        and int(status.get("availableReplicas") or 0) == n \
        and int(status.get("observedGeneration") or 0) >= int(d["metadata"].get("generation") or 0)


def progressing(d: Obj, status: Mapping[str, Any]) -> bool:
    """``DeploymentProgressing``: more updated, fewer old, more ready or more available pods."""
    old = d.get("status") or {}

    def g(s: Mapping[str, Any], k: str) -> int:
        return int(s.get(k) or 0)

    return (g(status, "updatedReplicas") > g(old, "updatedReplicas")
            or g(status, "replicas") - g(status, "updatedReplicas") < g(old, "replicas") - g(old, "updatedReplicas")
            or g(status, "readyReplicas") > g(old, "readyReplicas")
            or g(status, "availableReplicas") > g(old, "availableReplicas"))


def timed_out(d: Obj, status: Mapping[str, Any], now: float | None = None) -> bool:
    """``DeploymentTimedOut``: the Progressing condition was last updated longer ago than the deadline."""
    if not has_progress_deadline(d):
        return False
    cond = get_condition(status, PROGRESSING)
    if cond is None or cond.get("reason") == NEW_RS_AVAILABLE_REASON:
        return False
    if cond.get("reason") == TIMED_OUT_REASON:
        return True
    since = timestamp(cond.get("lastUpdateTime"))
    if since is None:
        return False
    return since + int(d["spec"]["progressDeadlineSeconds"]) < (time.time() if now is None else now)
