"""The job controller: runs a Job's pods to completion (kube's ``pkg/controller/job``).

As kube-controller-manager's: pods are made from the template (``generateName <job>-``, the
Job as controller owner, the ``batch.kubernetes.io/job-tracking`` finalizer); up to
``parallelism`` run at once until ``completions`` succeed (NonIndexed), or one pod per index
(Indexed: the ``batch.kubernetes.io/job-completion-index`` annotation and label,
``JOB_COMPLETION_INDEX``, ``status.completedIndexes``). Finished pods are counted through
``status.uncountedTerminatedPods`` before their finalizer is removed, so none is counted twice
or lost. Failed pods are retried after kube's backoff (10 s doubling to 6 min, injectable)
until ``backoffLimit``, or per index (``backoffLimitPerIndex``, ``maxFailedIndexes``, the
``job-index-failure-count`` annotations, ``status.failedIndexes``); ``activeDeadlineSeconds``,
``podFailurePolicy`` (FailJob, FailIndex, Ignore, Count on exit codes and pod conditions),
``successPolicy``, ``suspend``. A Job ends through kube's interim
conditions: ``FailureTarget`` then ``Failed`` (reasons ``BackoffLimitExceeded``,
``DeadlineExceeded``, ``PodFailurePolicy``, ``FailedIndexes``, ``MaxFailedIndexesExceeded``),
``SuccessCriteriaMet`` then ``Complete`` (``CompletionsReached``, ``SuccessPolicy``); Events
``SuccessfulCreate``, ``SuccessfulDelete``, ``Completed``, ``Suspended``, ``Resumed`` and
the failure's reason. Pods whose Job is gone or finished lose their finalizer (``syncOrphanPod``).

Nothing runs pods yet: their phase comes from whoever writes ``pods/status``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from setpoint.apimachinery.clock import REAL_CLOCK, Clock, format_time, parse_time
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.pods import is_ready, pod_from_template
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.client import PatchType
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.labels import from_label_selector
from setpoint.runtime.manager import Manager
from setpoint.runtime.objects import mutable
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

log = logging.getLogger(__name__)

JOB: Final = Kind("batch/v1", "Job")
POD: Final = Kind("v1", "Pod")
TRACKING_FINALIZER: Final = "batch.kubernetes.io/job-tracking"
COMPLETION_INDEX: Final = "batch.kubernetes.io/job-completion-index"
COMPLETION_INDEX_ENV: Final = "JOB_COMPLETION_INDEX"
INDEX_FAILURE_COUNT: Final = "batch.kubernetes.io/job-index-failure-count"
INDEX_IGNORED_FAILURE_COUNT: Final = "batch.kubernetes.io/job-index-ignored-failure-count"
#: kube's ``DefaultJobPodFailureBackOff`` and ``MaxJobPodFailureBackOff`` (seconds).
DEFAULT_BACKOFF: Final = 10.0
MAX_BACKOFF: Final = 360.0
#: kube's ``MaxUncountedPods`` and ``MaxPodCreateDeletePerSync``.
MAX_UNCOUNTED: Final = 500
MAX_CREATE_DELETE: Final = 500
#: How long expected pod creations and deletions are waited for (kube's ExpectationsTimeout).
EXPECTATIONS_TIMEOUT: Final = 300.0
COMPONENT: Final = "job-controller"


# --- pods -----------------------------------------------------------------------------


def _phase(pod: dict[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def _deleting(obj: dict[str, Any]) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


def is_active(pod: dict[str, Any]) -> bool:
    """``controller.FilterActivePods``: not finished and not being deleted."""
    return _phase(pod) not in ("Succeeded", "Failed") and not _deleting(pod)


def is_terminating(pod: dict[str, Any]) -> bool:
    return _deleting(pod) and _phase(pod) not in ("Succeeded", "Failed")


def has_finalizer(pod: dict[str, Any]) -> bool:
    return TRACKING_FINALIZER in list (pod["metadata"].get("finalizers") or ())


def completion_index(pod: dict[str, Any]) -> int:
    """``getCompletionIndex``: the annotation's index, -1 when absent or invalid."""
    text = (pod["metadata"].get("annotations") or {}).get(COMPLETION_INDEX)
    if not isinstance(text, str) or not text.isdigit():
        return -1
    return int(text)


def controller_ref(obj: dict[str, Any]) -> dict[str, Any] | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return dict(ref)
    return None


def finished_time(pod: dict[str, Any], now: datetime) -> datetime:
    """``getFinishedTime``: the last container's end, else the Ready condition's change, else the
    deletion or creation time."""
    latest: datetime | None = None
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses"):
        for cs in status.get(key) or ():
            t = parse_time(str(((cs.get("state") or {}).get("terminated") or {}).get("finishedAt") or ""))
            if t is not None and (latest is None or t > latest):
                latest = t
    if latest is not None:
        return latest
    for c in status.get("conditions") or ():
        if c.get("type") == "Ready" and c.get("status") == "False":
            t = parse_time(str(c.get("lastTransitionTime") or ""))
            if t is not None:
                return t
    meta = pod["metadata"]
    return (parse_time(str(meta.get("deletionTimestamp") or "")) or parse_time(str(meta.get("creationTimestamp") or ""))
            or now)


# --- job helpers ----------------------------------------------------------------------


def _conditions(job: dict[str, Any]) -> list[dict[str, Any]]:
    status = job.setdefault("status", {})
    conds = status.get("conditions")
    if not isinstance(conds, list):
        conds = status["conditions"] = []
    out: list[dict[str, Any]] = conds
    return out


def find_condition(job: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") == kind:
            return dict(c)
    return None


def condition_true(job: dict[str, Any], kind: str) -> bool:
    c = find_condition(job, kind)
    return c is not None and c.get("status") == "True"


def is_finished(job: dict[str, Any]) -> bool:
    """``IsJobFinished``: a Complete or Failed condition that is True."""
    return condition_true(job, "Complete") or condition_true(job, "Failed")


def new_condition(kind: str, status: str, reason: str, message: str, now: datetime) -> dict[str, Any]:
    t = format_time(now)
    cond = {"type": kind, "status": status, "lastProbeTime": t, "lastTransitionTime": t}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def ensure_condition(job: dict[str, Any], kind: str, status: str, reason: str, message: str,
                     now: datetime) -> bool:
    """``ensureJobConditionStatus``: set or add the condition (a new False one is not added)."""
    conds = _conditions(job)
    for i, c in enumerate(conds):
        if c.get("type") == kind:
            if c.get("status") != status or c.get("reason", "") != reason or c.get("message", "") != message:
                conds[i] = new_condition(kind, status, reason, message, now)
                return True
            return False
    if status != "False":
        conds.append(new_condition(kind, status, reason, message, now))
        return True
    return False


def _spec(job: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = job.get("spec") or {}
    return spec


def is_indexed(job: dict[str, Any]) -> bool:
    return _spec(job).get("completionMode") == "Indexed"


def is_suspended(job: dict[str, Any]) -> bool:
    return _spec(job).get("suspend") is True


def only_replace_failed(job: dict[str, Any]) -> bool:
    spec = _spec(job)
    return spec.get("podReplacementPolicy") == "Failed" or spec.get("podFailurePolicy") is not None


def is_pod_failed(pod: dict[str, Any], job: dict[str, Any]) -> bool:
    """``isPodFailed``: Failed, or (unless only failed pods are replaced) deleted before succeeding."""
    if _phase(pod) == "Failed":
        return True
    if only_replace_failed(job):
        return False
    return _deleting(pod) and _phase(pod) != "Succeeded"


# --- pod failure policy (kube's pod_failure_policy.go) -------------------------------


def _exit_code_matches(code: int, req: dict[str, Any]) -> bool:
    values = req.get("values") or []
    return (code in values) if req.get("operator") == "In" else (code not in values)


def _matching_container(pod: dict[str, Any], req: dict[str, Any]) -> dict[str, Any] | None:
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses"):
        for cs in status.get(key) or ():
            terminated = (cs.get("state") or {}).get("terminated")
            if not terminated:
                continue
            if req.get("containerName") is not None and req["containerName"] != cs.get("name"):
                continue
            code = terminated.get("exitCode", 0)
            if code != 0 and _exit_code_matches(code, req):
                return dict(cs)
    return None


def _matching_condition(pod: dict[str, Any], patterns: list[dict[str, Any]]) -> dict[str, Any] | None:
    for pattern in patterns:
        for c in (pod.get("status") or {}).get("conditions") or ():
            if c.get("type") == pattern.get("type") and c.get("status") == pattern.get("status", "True"):
                return dict(c)
    return None


def match_pod_failure_policy(policy: dict[str, Any] | None, pod: dict[str, Any]) -> tuple[str | None, bool, str | None]:
    """``matchPodFailurePolicy``: (the Job's failure message, whether the failure counts, the action)."""
    if policy is None:
        return None, True, None
    meta = pod["metadata"]
    for i, rule in enumerate(policy.get("rules") or ()):
        action = rule.get("action")
        subject = ""
        on_exit = rule.get("onExitCodes")
        if on_exit is not None:
            cs = _matching_container(pod, on_exit)
            if cs is None:
                continue
            code = ((cs.get("state") or {}).get("terminated") or {}).get("exitCode")
            subject = (f"Container {cs.get('name')} for pod {meta.get('namespace')}/{meta['name']} failed with "
                       f"exit code {code} matching {action} rule at index {i}")
        else:
            c = _matching_condition(pod, rule.get("onPodConditions") or [])
            if c is None:
                continue
            subject = (f"Pod {meta.get('namespace')}/{meta['name']} has condition {c.get('type')} matching "
                       f"{action} rule at index {i}")
        if action == "Ignore":
            return None, False, action
        if action == "FailJob":
            return subject, True, action
        return None, True, action  # Count, FailIndex
    return None, True, None


# --- indexes --------------------------------------------------------------------------


def parse_indexes(text: str, completions: int) -> set[int]:
    """``parseIndexesFromString``: ``1,3-5`` as a set (out-of-range or malformed parts skipped)."""
    out: set[int] = set()
    for part in (text or "").split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            first, last = int(lo), int(hi) if hi else int(lo)
        except ValueError:
            continue
        out.update(i for i in range(first, last + 1) if 0 <= i < completions)
    return out


def format_indexes(indexes: set[int]) -> str:
    """``orderedIntervals.String``: consecutive indexes as ranges, ``0-2,5``."""
    parts: list[str] = []
    run: list[int] = []
    for i in sorted(indexes):
        if run and i == run[-1] + 1:
            run.append(i)
            continue
        if run:
            parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
        run = [i]
    if run:
        parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ",".join(parts)


# --- bookkeeping the controller keeps between syncs ------------------------------------


@dataclass
class _Backoff:
    """kube's ``backoffRecord``: failures since the last success and when the last one failed."""

    failures: int = 0
    last_failure: datetime | None = None

    def remaining(self, now: datetime, base: float, cap: float) -> float:
        if self.failures == 0 or self.last_failure is None:
            return 0.0
        delay = base
        for _ in range(1, self.failures):
            delay *= 2
            if delay >= cap:
                delay = cap
                break
        elapsed = (now - self.last_failure).total_seconds()
        return 0.0 if delay < elapsed else delay - elapsed


@dataclass
class _Expectations:
    """Pods created, deleted or released by this controller that its cache has not seen yet."""

    creations: dict[str, float] = field(default_factory=dict)  # pod name -> expiry
    deletions: dict[str, float] = field(default_factory=dict)  # pod uid -> expiry
    removed: set[str] = field(default_factory=set)  # pod uids whose finalizer was removed


# --- the reconciler ----------------------------------------------------------------------


class JobReconciler:
    """Syncs one Job: kube's ``syncJob``."""

    def __init__(self, manager: Manager, client: InProcessClient, *, clock: Clock = REAL_CLOCK,
                 backoff_base: float = DEFAULT_BACKOFF, backoff_max: float = MAX_BACKOFF) -> None:
        self.cache = manager.cache
        self.client = client
        self.clock = clock
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.recorder = EventRecorder(client, COMPONENT)
        self.backoffs: dict[str, _Backoff] = {}
        self.expectations: dict[str, _Expectations] = {}
        #: The last status this controller wrote per Job: read instead of an older cached Job, so that
        #: pods counted and released in one sync are not counted out again before the cache catches up.
        self.written: dict[str, dict[str, Any]] = {}

    # -- expectations --

    def _satisfied(self, key: str, pods: list[dict[str, Any]], mono: float) -> bool:
        exp = self.expectations.get(key)
        if exp is None:
            return True
        names = {p["metadata"]["name"] for p in pods}
        alive = {p["metadata"]["uid"] for p in pods if not _deleting(p)}
        exp.creations = {n: t for n, t in exp.creations.items() if n not in names and t > mono}
        exp.deletions = {u: t for u, t in exp.deletions.items() if u in alive and t > mono}
        return not exp.creations and not exp.deletions

    def _expected_removed(self, key: str, pods: list[dict[str, Any]]) -> set[str]:
        exp = self.expectations.get(key)
        if exp is None:
            return set()
        still = {p["metadata"]["uid"] for p in pods if has_finalizer(p)}
        exp.removed &= still
        return set(exp.removed)

    def _exp(self, key: str) -> _Expectations:
        return self.expectations.setdefault(key, _Expectations())

    # -- the sync --

    async def reconcile(self, request: Request) -> Result | None:
        key = f"{request.namespace}/{request.name}"
        cached = self.cache.get(JOB, request.name, request.namespace)
        if cached is None:
            self.expectations.pop(key, None)
            self.backoffs.pop(key, None)
            self.written.pop(key, None)
            return None
        written = self.written.get(key)
        if written is not None:
            if written["metadata"].get("uid") == cached["metadata"].get("uid") \
                    and _revision(written) > _revision(cached):
                cached = written
            else:
                del self.written[key]
        if _spec(cached).get("managedBy") not in (None, "kubernetes.io/job-controller"):
            return None
        if is_finished(cached):
            self.backoffs.pop(key, None)
            self.written.pop(key, None)
            return None
        job = mutable(cached)
        spec = _spec(job)
        if spec.get("completionMode") not in (None, "NonIndexed", "Indexed"):
            await self.recorder.warning(job, "UnknownCompletionMode",
                                        "Skipped Job sync because completion mode is unknown")
            return None
        sync = _Sync(self, key, job)
        await sync.run()
        return Result(requeue_after=sync.requeue_after) if sync.requeue_after is not None else None


class _Sync:
    """One ``syncJob`` pass (kube's ``syncJobCtx`` and the functions it flows through)."""

    def __init__(self, r: JobReconciler, key: str, job: dict[str, Any]) -> None:
        self.r = r
        self.key = key
        self.job = job
        self.status: dict[str, Any] = job.setdefault("status", {})
        self.now = r.clock.now()
        self.requeue_after: float | None = None
        self.failed_indexes: set[int] | None = None
        self.prev_indexes: set[int] = set()
        self.succeeded_indexes: set[int] = set()

    def _requeue(self, seconds: float) -> None:
        seconds = max(seconds, 0.0)
        if self.requeue_after is None or seconds < self.requeue_after:
            self.requeue_after = seconds

    def _pods(self) -> list[dict[str, Any]]:
        job = self.job
        selector = _spec(job).get("selector")
        if not isinstance(selector, dict):
            return []
        uid = job["metadata"]["uid"]
        pods = self.r.cache.list(POD, job["metadata"]["namespace"], from_label_selector(selector))
        return [p for p in pods if (controller_ref(p) or {}).get("uid") == uid]

    async def run(self) -> None:
        r, job, status, spec = self.r, self.job, self.status, _spec(self.job)
        uncounted = status.get("uncountedTerminatedPods") or {}
        self.uncounted_succeeded: list[str] = list(uncounted.get("succeeded") or [])
        self.uncounted_failed: list[str] = list(uncounted.get("failed") or [])
        pods = self._pods()
        satisfied = r._satisfied(self.key, pods, _monotonic())
        self.pods = pods
        self.expected_removed = r._expected_removed(self.key, pods)
        self.active_pods = [p for p in pods if is_active(p)]
        self.ready = sum(1 for p in self.active_pods if is_ready(p))
        self.terminating = sum(1 for p in pods if is_terminating(p))
        active = len(self.active_pods)
        new_succeeded, new_failed = self._new_finished()
        policy = spec.get("podFailurePolicy")
        not_ignored = sum(1 for p in new_failed if match_pod_failure_policy(policy, p)[1])
        self.succeeded = int(status.get("succeeded") or 0) + len(new_succeeded) + len(self.uncounted_succeeded)
        self.failed = int(status.get("failed") or 0) + not_ignored + len(self.uncounted_failed)
        if not status.get("startTime") and not is_suspended(job):
            status["startTime"] = format_time(self.now)
        self.backoff = self._new_backoff(new_succeeded, new_failed)

        finished: dict[str, Any] | None = None
        success_met = find_condition(job, "SuccessCriteriaMet")
        if success_met is not None and success_met.get("status") == "True":
            finished = success_met
        if finished is None:
            target = find_condition(job, "FailureTarget")
            if target is not None and target.get("status") == "True":
                finished = new_condition("Failed", "True", target.get("reason", ""), target.get("message", ""),
                                         self.now)
            elif (message := self._fail_job_message()) is not None:
                finished = new_condition("FailureTarget", "True", "PodFailurePolicy", message, self.now)
        if finished is None:
            if self.failed > int(spec.get("backoffLimit", 6)) or self._past_backoff_limit_on_failure():
                finished = new_condition("FailureTarget", "True", "BackoffLimitExceeded",
                                         "Job has reached the specified backoff limit", self.now)
            elif self._past_deadline():
                finished = new_condition("FailureTarget", "True", "DeadlineExceeded",
                                         "Job was active longer than specified deadline", self.now)
            elif spec.get("activeDeadlineSeconds") is not None and not is_suspended(job):
                start = parse_time(str(status.get("startTime")))
                if start is not None:
                    self._requeue(spec["activeDeadlineSeconds"] - (self.now - start).total_seconds())
        completions = spec.get("completions")
        if is_indexed(job):
            self.prev_indexes = parse_indexes(str(status.get("completedIndexes") or ""), int(completions or 0))
            self.succeeded_indexes = self.prev_indexes | {
                completion_index(p) for p in pods
                if _phase(p) == "Succeeded" and 0 <= completion_index(p) < int(completions or 0) and has_finalizer(p)}
            self.succeeded = len(self.succeeded_indexes)
            if spec.get("backoffLimitPerIndex") is not None:
                self.failed_indexes = self._calculate_failed_indexes(int(completions or 0))
                max_failed = spec.get("maxFailedIndexes")
                if finished is None and max_failed is not None and len(self.failed_indexes) > int(max_failed):
                    finished = new_condition("FailureTarget", "True", "MaxFailedIndexesExceeded",
                                             "Job has exceeded the specified maximal number of failed indexes",
                                             self.now)
                elif finished is None and self.failed_indexes and \
                        len(self.failed_indexes) + len(self.succeeded_indexes) >= int(completions or 0):
                    finished = new_condition("FailureTarget", "True", "FailedIndexes", "Job has failed indexes",
                                             self.now)
            if finished is None and (message := self._match_success_policy(int(completions or 0))):
                finished = new_condition("SuccessCriteriaMet", "True", "SuccessPolicy", message, self.now)
        self.finished = finished
        suspend_changed = False
        if finished is not None:
            deleted_ready, deleted = await self._delete_active(self.active_pods, remove_finalizer=False)
            if deleted != active or not satisfied:
                self.finished = None
            active -= deleted
            self.terminating += deleted
            self.ready -= deleted_ready
        else:
            manage_called = False
            if satisfied and not _deleting(job):
                active = await self._manage(active)
                manage_called = True
            if completions is None:
                complete = self.succeeded > 0 and active == 0
            else:
                complete = self.succeeded >= int(completions) and active == 0
            if complete:
                self.finished = new_condition("SuccessCriteriaMet", "True", "CompletionsReached",
                                              "Reached expected number of succeeded pods", self.now)
            elif manage_called:
                if is_suspended(job):
                    if ensure_condition(job, "Suspended", "True", "JobSuspended", "Job suspended", self.now):
                        suspend_changed = True
                        await r.recorder.normal(job, "Suspended", "Job suspended")
                    if status.pop("startTime", None) is not None:
                        # A suspended Job has not started: its active deadline restarts on resume (and the
                        # API refuses a changed startTime of a Job that is not suspended).
                        suspend_changed = True
                elif ensure_condition(job, "Suspended", "False", "JobResumed", "Job resumed", self.now):
                    suspend_changed = True
                    await r.recorder.normal(job, "Resumed", "Job resumed")
                    status["startTime"] = format_time(self.now)
        needs_flush = (suspend_changed or active != int(status.get("active") or 0)
                       or self.ready != status.get("ready") or self.terminating != status.get("terminating"))
        _set_count(status, "active", active)
        status["ready"] = self.ready
        status["terminating"] = self.terminating
        await self._track_and_remove_finalizers(needs_flush)

    # -- counting --

    def _new_finished(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        succeeded, failed = [], []
        completions = int(_spec(self.job).get("completions") or 0)
        for p in self.pods:
            uid = p["metadata"]["uid"]
            if not has_finalizer(p) or uid in self.expected_removed:
                continue
            if is_indexed(self.job) and not 0 <= completion_index(p) < completions:
                continue
            if _phase(p) == "Succeeded" and uid not in self.uncounted_succeeded:
                succeeded.append(p)
            elif is_pod_failed(p, self.job) and uid not in self.uncounted_failed:
                failed.append(p)
        return succeeded, failed

    def _new_backoff(self, succeeded: list[dict[str, Any]], failed: list[dict[str, Any]]) -> _Backoff:
        old = self.r.backoffs.get(self.key) or _Backoff()
        record = _Backoff(old.failures, old.last_failure)
        failed_times = sorted(finished_time(p, self.now) for p in failed)
        if not succeeded:
            if failed_times:
                record.failures += len(failed_times)
                record.last_failure = failed_times[-1]
            return record
        last_success = max(finished_time(p, self.now) for p in succeeded)
        record = _Backoff()
        for t in reversed(failed_times):
            if t <= last_success:
                break
            if record.last_failure is None:
                record.last_failure = t
            record.failures += 1
        return record

    def _fail_job_message(self) -> str | None:
        policy = _spec(self.job).get("podFailurePolicy")
        if policy is None:
            return None
        for p in self.pods:
            if is_pod_failed(p, self.job):
                message = match_pod_failure_policy(policy, p)[0]
                if message is not None:
                    return message
        return None

    def _past_backoff_limit_on_failure(self) -> bool:
        spec = _spec(self.job)
        if ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy") != "OnFailure":
            return False
        restarts = 0
        for p in self.pods:
            if _phase(p) in ("Running", "Pending"):
                st = p.get("status") or {}
                for key in ("initContainerStatuses", "containerStatuses"):
                    restarts += sum(int(cs.get("restartCount") or 0) for cs in st.get(key) or ())
        limit = int(spec.get("backoffLimit", 6))
        return bool(restarts > 0 if limit == 0 else restarts >= limit)

    def _past_deadline(self) -> bool:
        spec, status = _spec(self.job), self.status
        deadline = spec.get("activeDeadlineSeconds")
        start = parse_time(str(status.get("startTime") or ""))
        if deadline is None or start is None or is_suspended(self.job):
            return False
        return (self.now - start).total_seconds() >= float(deadline)

    # -- pods: create and delete --

    async def _delete_active(self, pods: list[dict[str, Any]], *, remove_finalizer: bool) -> tuple[int, int]:
        """DELETE ``pods`` (first removing the tracking finalizer when asked); (ready, total) deleted."""
        deleted = deleted_ready = 0
        exp = self.r._exp(self.key)
        for p in pods:
            meta = p["metadata"]
            try:
                if remove_finalizer and has_finalizer(p):
                    await _remove_finalizer(self.r.client, p)
                exp.deletions[meta["uid"]] = _monotonic() + EXPECTATIONS_TIMEOUT
                await self.r.client.delete(POD, meta["name"], meta["namespace"])
                await self.r.recorder.normal(self.job, "SuccessfulDelete", f"Deleted pod: {meta['name']}")
            except errors.NotFound:
                exp.deletions.pop(meta["uid"], None)
            except errors.ApiError as e:
                exp.deletions.pop(meta["uid"], None)
                await self.r.recorder.warning(self.job, "FailedDelete", f"Error deleting: {e}")
                continue
            deleted += 1
            deleted_ready += is_ready(p)
        return deleted_ready, deleted

    async def _manage(self, active: int) -> int:
        """``manageJob``: delete the pods too many, create the ones missing (after the backoff)."""
        job, spec = self.job, _spec(self.job)
        if is_suspended(job):
            ready, removed = await self._delete_active(self.active_pods, remove_finalizer=True)
            self.terminating += removed
            self.ready -= ready
            return active - removed
        parallelism = int(spec.get("parallelism") or 0)
        completions = spec.get("completions")
        if completions is None:
            want = active if self.succeeded > 0 else parallelism
        else:
            want = max(min(int(completions) - self.succeeded, parallelism), 0)
        to_delete = self._pods_for_removal(max(active - want, 0))[:MAX_CREATE_DELETE]
        if to_delete:
            ready, removed = await self._delete_active(to_delete, remove_finalizer=True)
            self.terminating += removed
            self.ready -= ready
            return active - removed
        terminating = self.terminating if only_replace_failed(job) else 0
        diff = want - terminating - active
        if diff <= 0:
            return active
        per_index = spec.get("backoffLimitPerIndex") is not None
        if not per_index:
            remaining = self.backoff.remaining(self.now, self.r.backoff_base, self.r.backoff_max)
            if remaining > 0:
                self._requeue(remaining)
                return active
        diff = min(diff, MAX_CREATE_DELETE)
        indexes: list[int | None] = [None] * diff
        if is_indexed(job):
            indexes = list(self._first_pending_indexes(diff, int(completions or 0)))
            if per_index:
                indexes = self._indexes_past_backoff(indexes)
        exp = self.r._exp(self.key)
        for index in indexes:
            pod = self._pod_from_template(index)
            try:
                created = await self.r.client.create(pod)
            except errors.ApiError as e:
                if _namespace_terminating(e):
                    return active
                await self.r.recorder.warning(job, "FailedCreate", f"Error creating: {e}")
                raise
            exp.creations[created["metadata"]["name"]] = _monotonic() + EXPECTATIONS_TIMEOUT
            active += 1
            await self.r.recorder.normal(job, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
        return active

    # -- backoffLimitPerIndex and successPolicy --

    def _index_failed(self, pod: dict[str, Any]) -> bool:
        """``isIndexFailed``: a FailIndex rule matched, or the index has used up its backoff."""
        job = self.job
        if not is_pod_failed(pod, job):
            return False
        counted = True
        policy = _spec(job).get("podFailurePolicy")
        if policy is not None:
            _, counted, action = match_pod_failure_policy(policy, pod)
            if action == "FailIndex":
                return True
        limit = int(_spec(job).get("backoffLimitPerIndex") or 0)
        return counted and _annotation_int(pod, INDEX_FAILURE_COUNT) >= limit

    def _calculate_failed_indexes(self, completions: int) -> set[int]:
        """``calculateFailedIndexes``: the recorded ones and those of newly failed pods."""
        failed = parse_indexes(str(self.status.get("failedIndexes") or ""), completions)
        for p in self.pods:
            ix = completion_index(p)
            if has_finalizer(p) and 0 <= ix < completions and self._index_failed(p):
                failed.add(ix)
        return failed

    def _last_failed_pod(self, index: int) -> dict[str, Any] | None:
        failed = [p for p in self.pods if completion_index(p) == index and is_pod_failed(p, self.job)]
        if not failed:
            return None
        return max(failed, key=lambda p: (_annotation_int(p, INDEX_FAILURE_COUNT)
                                          + _annotation_int(p, INDEX_IGNORED_FAILURE_COUNT),
                                          finished_time(p, self.now)))

    def _new_index_failure_counts(self, index: int) -> tuple[int, int]:
        """``getNewIndexFailureCounts``: the replaced pod's counts, plus its own failure."""
        replaced = self._last_failed_pod(index)
        if replaced is None:
            return 0, 0
        counted = _annotation_int(replaced, INDEX_FAILURE_COUNT)
        ignored = _annotation_int(replaced, INDEX_IGNORED_FAILURE_COUNT)
        if match_pod_failure_policy(_spec(self.job).get("podFailurePolicy"), replaced)[1]:
            counted += 1
        else:
            ignored += 1
        return counted, ignored

    def _indexes_past_backoff(self, indexes: list[int | None]) -> list[int | None]:
        """``getPodCreationInfoForIndependentIndexes``: the indexes whose own backoff has passed."""
        ready: list[int | None] = []
        soonest: float | None = None
        for index in indexes:
            last = self._last_failed_pod(index) if index is not None else None
            remaining = 0.0
            if last is not None:
                failures = (_annotation_int(last, INDEX_FAILURE_COUNT)
                            + _annotation_int(last, INDEX_IGNORED_FAILURE_COUNT) + 1)
                remaining = _Backoff(failures, finished_time(last, self.now)).remaining(
                    self.now, self.r.backoff_base, self.r.backoff_max)
            if remaining <= 0:
                ready.append(index)
            elif soonest is None or remaining < soonest:
                soonest = remaining
        if not ready and soonest is not None:
            self._requeue(soonest)
        return ready

    def _match_success_policy(self, completions: int) -> str | None:
        """``matchSuccessPolicy``: kube's message for the first rule the succeeded indexes meet."""
        policy = _spec(self.job).get("successPolicy")
        if not isinstance(policy, dict) or not self.succeeded_indexes:
            return None
        for i, rule in enumerate(policy.get("rules") or ()):
            count = rule.get("succeededCount")
            if rule.get("succeededIndexes") is not None:
                required = parse_indexes(str(rule["succeededIndexes"]), completions)
                if not required:
                    continue
                met = len(required & self.succeeded_indexes)
                if (count is not None and met >= int(count)) or (count is None and met == len(required)):
                    return f"Matched rules at index {i}"
            elif count is not None and len(self.succeeded_indexes) >= int(count):
                return f"Matched rules at index {i}"
        return None

    def _pods_for_removal(self, at_least: int) -> list[dict[str, Any]]:
        """``activePodsForRemoval``: indexed pods with bad or repeated indexes, then the least advanced."""
        rm: list[dict[str, Any]] = []
        left = list(self.active_pods)
        if is_indexed(self.job):
            completions = int(_spec(self.job).get("completions") or 0)
            seen: set[int] = set()
            left = []
            for p in sorted(self.active_pods, key=_activity_rank):
                ix = completion_index(p)
                if not 0 <= ix < completions or ix in seen:
                    rm.append(p)
                else:
                    seen.add(ix)
                    left.append(p)
        if len(rm) < at_least:
            rm.extend(sorted(left, key=_activity_rank)[:at_least - len(rm)])
        return rm

    def _first_pending_indexes(self, count: int, completions: int) -> list[int | None]:
        taken = set(self.succeeded_indexes) | (self.failed_indexes or set())
        pods = self.active_pods + ([p for p in self.pods if is_terminating(p)] if only_replace_failed(self.job) else [])
        taken.update(completion_index(p) for p in pods)
        out: list[int | None] = []
        for i in range(completions):
            if len(out) >= count:
                break
            if i not in taken:
                out.append(i)
        return out

    def _pod_from_template(self, index: int | None) -> dict[str, Any]:
        """``GetPodFromTemplate`` plus the tracking finalizer and, for an index, kube's index marks."""
        job = self.job
        name = job["metadata"]["name"]
        pod = pod_from_template(_spec(job).get("template") or {}, job)
        meta, pod_spec = pod["metadata"], pod["spec"]
        finalizers = meta.setdefault("finalizers", [])
        if TRACKING_FINALIZER not in finalizers:
            finalizers.append(TRACKING_FINALIZER)
        if index is None:
            return pod
        annotations = meta.setdefault("annotations", {})
        if _spec(job).get("backoffLimitPerIndex") is not None:
            counted, ignored = self._new_index_failure_counts(index)
            annotations[INDEX_FAILURE_COUNT] = str(counted)
            if ignored:
                annotations[INDEX_IGNORED_FAILURE_COUNT] = str(ignored)
        annotations[COMPLETION_INDEX] = str(index)
        meta.setdefault("labels", {})[COMPLETION_INDEX] = str(index)
        pod_spec["hostname"] = f"{name}-{index}"
        appendix = f"-{index}-"
        meta["generateName"] = name[:58 - len(appendix)] + appendix
        for key in ("initContainers", "containers"):
            for c in pod_spec.get(key) or ():
                env = c.setdefault("env", [])
                if not any(e.get("name") == COMPLETION_INDEX_ENV for e in env):
                    env.append({"name": COMPLETION_INDEX_ENV, "valueFrom": {"fieldRef": {
                        "apiVersion": "v1", "fieldPath": f"metadata.annotations['{COMPLETION_INDEX}']"}}})
        return pod

    # -- status: count finished pods, then release them --

    async def _track_and_remove_finalizers(self, needs_flush: bool) -> None:
        """``trackJobStatusAndRemoveFinalizers``."""
        job, status, spec = self.job, self.status, _spec(self.job)
        indexed = is_indexed(job)
        completions = int(spec.get("completions") or 0)
        pods = sorted(self.pods, key=completion_index) if indexed else self.pods
        with_finalizer = {p["metadata"]["uid"] for p in pods
                          if has_finalizer(p) and p["metadata"]["uid"] not in self.expected_removed}
        if self._clean_uncounted(with_finalizer):
            needs_flush = True
        to_release: list[dict[str, Any]] = []
        new_indexes: list[int] = []
        policy = spec.get("podFailurePolicy")
        finishing_failed = self.finished is not None and self.finished["type"] != "SuccessCriteriaMet"
        reached_max = False
        for p in pods:
            uid = p["metadata"]["uid"]
            if not has_finalizer(p) or uid in self.expected_removed:
                continue
            failed = is_pod_failed(p, job)
            if not (_deleting(job) or self.finished is not None or _phase(p) == "Succeeded" or failed):
                continue
            to_release.append(p)
            if _phase(p) == "Succeeded" and uid not in self.uncounted_failed:
                if indexed:
                    ix = completion_index(p)
                    if 0 <= ix < completions and ix not in self.prev_indexes:
                        new_indexes.append(ix)
                        needs_flush = True
                elif uid not in self.uncounted_succeeded:
                    needs_flush = True
                    self.uncounted_succeeded.append(uid)
            elif failed or finishing_failed:
                ix = completion_index(p)
                if uid not in self.uncounted_failed and (not indexed or 0 <= ix < completions) \
                        and match_pod_failure_policy(policy, p)[1]:
                    needs_flush = True
                    self.uncounted_failed.append(uid)
            if len(new_indexes) + len(self.uncounted_succeeded) + len(self.uncounted_failed) >= MAX_UNCOUNTED:
                reached_max = True
                break
        if indexed:
            self.succeeded_indexes |= set(new_indexes)
            text = format_indexes(self.succeeded_indexes)
            if text != (status.get("completedIndexes") or ""):
                needs_flush = True
            _set_count(status, "succeeded", len(self.succeeded_indexes))
            if text:
                status["completedIndexes"] = text
            else:
                status.pop("completedIndexes", None)
            if self.failed_indexes is not None:
                failed_text = format_indexes(self.failed_indexes)
                if status.get("failedIndexes") != failed_text:
                    status["failedIndexes"] = failed_text
                    needs_flush = True
        self._write_uncounted()
        if self.finished is not None and self.finished["type"] == "FailureTarget":
            _conditions(job).append(self.finished)
            needs_flush = True
            self.finished = new_condition("Failed", "True", self.finished.get("reason", ""),
                                          self.finished.get("message", ""), self.now)
        if self.finished is not None and self.finished["type"] == "SuccessCriteriaMet":
            if find_condition(job, "SuccessCriteriaMet") is None:
                _conditions(job).append(self.finished)
                needs_flush = True
            self.finished = new_condition("Complete", "True", self.finished.get("reason", ""),
                                          self.finished.get("message", ""), self.now)
        needs_flush = await self._flush_and_release(to_release, with_finalizer, needs_flush)
        finished = not reached_max and self._enact_finished()
        if finished:
            needs_flush = True
        if needs_flush:
            await self._update_status()
            if finished and self.finished is not None:
                if self.finished["type"] == "Complete":
                    await self.r.recorder.normal(job, "Completed", "Job completed")
                else:
                    await self.r.recorder.warning(job, self.finished.get("reason", ""),
                                                  self.finished.get("message", ""))

    def _clean_uncounted(self, with_finalizer: set[str]) -> bool:
        """``cleanUncountedPodsWithoutFinalizers``: released pods move from the lists to the counters."""
        status = self.status
        changed = False
        keep = [u for u in self.uncounted_succeeded if u in with_finalizer]
        if len(keep) != len(self.uncounted_succeeded):
            _set_count(status, "succeeded", int(status.get("succeeded") or 0) + len(self.uncounted_succeeded)
                       - len(keep))
            self.uncounted_succeeded = keep
            changed = True
        keep = [u for u in self.uncounted_failed if u in with_finalizer]
        if len(keep) != len(self.uncounted_failed):
            _set_count(status, "failed", int(status.get("failed") or 0) + len(self.uncounted_failed) - len(keep))
            self.uncounted_failed = keep
            changed = True
        self._write_uncounted()
        return changed

    def _write_uncounted(self) -> None:
        uncounted: dict[str, Any] = {}
        if self.uncounted_succeeded:
            uncounted["succeeded"] = list(self.uncounted_succeeded)
        if self.uncounted_failed:
            uncounted["failed"] = list(self.uncounted_failed)
        self.status["uncountedTerminatedPods"] = uncounted

    async def _flush_and_release(self, pods: list[dict[str, Any]], with_finalizer: set[str],
                                 needs_flush: bool) -> bool:
        """``flushUncountedAndRemoveFinalizers``: write the uncounted pods, release them, count them."""
        if needs_flush:
            await self._update_status()
            self.r.backoffs[self.key] = self.backoff
            needs_flush = False
        exp = self.r._exp(self.key)
        failure: errors.ApiError | None = None
        for p in pods:
            uid = p["metadata"]["uid"]
            try:
                exp.removed.add(uid)
                await _remove_finalizer(self.r.client, p)
            except errors.NotFound:
                pass
            except errors.ApiError as e:
                exp.removed.discard(uid)
                failure = e
                continue
            with_finalizer.discard(uid)
        if self._clean_uncounted(with_finalizer):
            needs_flush = True
        if failure is not None:
            if needs_flush:
                await self._update_status()
            raise failure
        return needs_flush

    def _enact_finished(self) -> bool:
        """``enactJobFinished``: the final condition, once no pod is uncounted or terminating."""
        if self.finished is None:
            return False
        if self.uncounted_succeeded or self.uncounted_failed or self.terminating > 0:
            if self.terminating > 0:
                self._requeue(1.0)
            return False
        cond = self.finished
        ensure_condition(self.job, cond["type"], cond["status"], cond.get("reason", ""), cond.get("message", ""),
                         self.now)
        if cond["type"] == "Complete":
            self.status["completionTime"] = cond["lastTransitionTime"]
        return True

    async def _update_status(self) -> None:
        written = await self.r.client.update_status(self.job)
        self.job["metadata"]["resourceVersion"] = written["metadata"]["resourceVersion"]
        self.r.written[self.key] = written


def _revision(obj: dict[str, Any]) -> int:
    text = str(obj["metadata"].get("resourceVersion") or "0")
    return int(text) if text.isdigit() else 0


def _annotation_int(pod: dict[str, Any], key: str) -> int:
    text = (pod["metadata"].get("annotations") or {}).get(key)
    return int(text) if isinstance(text, str) and text.isdigit() else 0


def _set_count(status: dict[str, Any], key: str, value: int) -> None:
    """An ``omitempty`` int32 counter: absent when zero."""
    if value:
        status[key] = value
    else:
        status.pop(key, None)


def _activity_rank(pod: dict[str, Any]) -> tuple[int, int, int]:
    """``controller.ActivePods`` order, the first deleted first: unscheduled, pending, not ready."""
    spec = pod.get("spec") or {}
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(_phase(pod), 1)
    return (1 if spec.get("nodeName") else 0, phase_rank, 1 if is_ready(pod) else 0)


async def _remove_finalizer(client: InProcessClient, pod: dict[str, Any]) -> None:
    meta = pod["metadata"]
    await client.patch(POD, meta["name"], {"metadata": {"$deleteFromPrimitiveList/finalizers": [TRACKING_FINALIZER]}},
                       meta["namespace"], type=PatchType.STRATEGIC)


def _namespace_terminating(e: errors.ApiError) -> bool:
    causes = (e.status.get("details") or {}).get("causes") or ()
    return any(c.get("reason") == "NamespaceTerminating" for c in causes)


def _monotonic() -> float:
    return time.monotonic()


# --- orphan pods ---------------------------------------------------------------------------


class OrphanPodReconciler:
    """kube's ``syncOrphanPod``: a pod whose Job is gone, another, or finished loses its finalizer."""

    def __init__(self, manager: Manager, client: InProcessClient) -> None:
        self.cache = manager.cache
        self.client = client

    async def reconcile(self, request: Request) -> Result | None:
        pod = self.cache.get(POD, request.name, request.namespace)
        if pod is None or not has_finalizer(pod):
            return None
        ref = controller_ref(pod)
        if ref is not None:
            if ref.get("kind") != "Job" or ref.get("apiVersion") != "batch/v1":
                return None
            job = self.cache.get(JOB, str(ref.get("name")), request.namespace)
            if job is not None and job["metadata"].get("uid") == ref.get("uid"):
                if _spec(job).get("managedBy") not in (None, "kubernetes.io/job-controller"):
                    return None
                if not is_finished(job):
                    return None
        try:
            await _remove_finalizer(self.client, pod)
        except errors.NotFound:
            pass
        return None


def _job_of(pod: dict[str, Any]) -> list[Request]:
    ref = controller_ref(pod)
    if ref is None or ref.get("kind") != "Job":
        return []
    return [Request(pod["metadata"].get("namespace") or "", str(ref.get("name")))]


def add_job_controller(manager: Manager, client: InProcessClient, *, clock: Clock = REAL_CLOCK,
                       backoff_base: float = DEFAULT_BACKOFF, backoff_max: float = MAX_BACKOFF) -> None:
    """The job controller on ``manager``; ``clock`` and the pod-failure backoff are injectable."""
    reconciler = JobReconciler(manager, client, clock=clock, backoff_base=backoff_base, backoff_max=backoff_max)
    controller = (Builder(manager)
                  .named("job")
                  .for_(JOB)
                  .watches(POD, _job_of)
                  .complete(reconciler))
    with_finalizer = Funcs(create=has_finalizer, update=lambda _o, n: has_finalizer(n),
                           delete=lambda _o: False, name="job-tracking-finalizer")
    (Builder(manager)
     .named("job-orphan-pods")
     .for_(POD, with_finalizer)
     .watches(JOB, lambda job: [Request(job["metadata"]["namespace"], p["metadata"]["name"])
                                for p in manager.cache.list(POD, job["metadata"]["namespace"])
                                if has_finalizer(p) and (controller_ref(p) or {}).get("uid") == job["metadata"]["uid"]]
              if is_finished(job) else [])
     .complete(OrphanPodReconciler(manager, client)))

    def wake() -> None:
        for job in manager.cache.list(JOB):
            controller.queue.add(Request.of(job))
    clock.subscribe(wake)


__all__ = ["COMPLETION_INDEX", "JOB", "TRACKING_FINALIZER", "JobReconciler", "add_job_controller"]
