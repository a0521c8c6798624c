"""The cronjob controller: Jobs on a schedule (kube's ``pkg/controller/cronjob``, the v2 controller).

As kube-controller-manager's: at each scheduled time (robfig/cron semantics,
:mod:`setpoint.apimachinery.cron`; in ``spec.timeZone`` when set, else UTC) a Job named
``<cronjob>-<scheduled minutes since the epoch>`` is made from ``spec.jobTemplate`` (the
CronJob as controller owner, the ``batch.kubernetes.io/cronjob-scheduled-timestamp``
annotation); a time missed by more than ``startingDeadlineSeconds`` is skipped
(``MissSchedule``); ``concurrencyPolicy`` Forbid skips while a Job runs (``JobAlreadyActive``),
Replace deletes the running ones first; finished Jobs beyond the history limits are deleted
(oldest first). ``status.active``, ``lastScheduleTime`` and ``lastSuccessfulTime`` follow;
Events ``SuccessfulCreate``, ``SawCompletedJob``, ``SuccessfulDelete``, ``MissingJob``.

The clock is injected (:class:`~setpoint.apimachinery.clock.Clock`): a test moves a
:class:`~setpoint.apimachinery.clock.FakeClock` and every CronJob is looked at again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import format_datetime
from typing import Any, Final

from setpoint.apimachinery import cron
from setpoint.apimachinery.clock import REAL_CLOCK, Clock, format_time, parse_time
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.manager import Manager
from setpoint.runtime.objects import mutable, owner_reference
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

CRON_JOB: Final = Kind("batch/v1", "CronJob")
JOB: Final = Kind("batch/v1", "Job")
SCHEDULED_TIMESTAMP: Final = "batch.kubernetes.io/cronjob-scheduled-timestamp"
#: kube's ``nextScheduleDelta``: wake a little after the scheduled time.
NEXT_SCHEDULE_DELTA: Final = 0.1
COMPONENT: Final = "cronjob-controller"


def _finished_type(job: dict[str, Any]) -> str | None:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return str(c["type"])
    return None


def _controller_name(job: dict[str, Any]) -> str | None:
    for ref in job["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return str(ref.get("name"))
    return None


def format_schedule(cj: dict[str, Any]) -> str:
    """kube's ``formatSchedule``: the schedule with the time zone prefixed (``TZ=zone``)."""
    spec = cj.get("spec") or {}
    schedule = str(spec.get("schedule") or "")
    if "TZ" in schedule:
        return schedule
    tz = spec.get("timeZone")
    if tz is not None:
        try:
            cron.load_location(str(tz))
        except cron.CronError:
            return schedule
        return f"TZ={tz} {schedule}"
    return schedule


def most_recent_schedule_time(cj: dict[str, Any], now: datetime, schedule: cron.Schedule,
                              include_deadline: bool) -> tuple[datetime, datetime | None, int]:
    """``mostRecentScheduleTime``: (earliest time considered, the last missed time or None, how many missed)."""
    status, spec = cj.get("status") or {}, cj.get("spec") or {}
    earliest = parse_time(str(cj["metadata"].get("creationTimestamp") or "")) or now
    last = parse_time(str(status.get("lastScheduleTime") or ""))
    if last is not None:
        earliest = last
    deadline = spec.get("startingDeadlineSeconds")
    if include_deadline and deadline is not None:
        earliest = max(earliest, now - timedelta(seconds=deadline))
    t = schedule.next(earliest)
    if t is None or now < t:
        return earliest, None, 0
    missed = 1
    while True:
        following = schedule.next(t)
        if following is None or following > now:
            return earliest, t, missed
        t = following
        missed += 1
        if missed > 100_000:  # a runaway: the most recent is close enough
            return earliest, t, missed


def next_schedule_delay(cj: dict[str, Any], now: datetime, schedule: cron.Schedule) -> float | None:
    """``nextScheduleTimeDuration``: seconds until the next run (plus kube's 100 ms)."""
    earliest, recent, missed = most_recent_schedule_time(cj, now, schedule, False)
    base = recent if recent is not None else (earliest if missed == 0 else now)
    following = schedule.next(base)
    if following is None:
        return None
    return (following - now).total_seconds() + NEXT_SCHEDULE_DELTA


def _location(cj: dict[str, Any]) -> tzinfo:
    try:
        return cron.load_location(str((cj.get("spec") or {}).get("timeZone") or ""))
    except cron.CronError:
        return UTC


def _rfc3339(t: datetime) -> str:
    """Go's ``time.RFC3339`` of ``t`` in its zone (``Z`` for UTC)."""
    offset = t.utcoffset() or timedelta(0)
    if offset == timedelta(0):
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    total = int(offset.total_seconds())
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"


def job_name(cj: dict[str, Any], scheduled: datetime) -> str:
    """``getJobName``: ``<cronjob>-<minutes since the epoch>``."""
    return f"{cj['metadata']['name']}-{int(scheduled.timestamp()) // 60}"


def job_from_template(cj: dict[str, Any], scheduled: datetime) -> dict[str, Any]:
    """``getJobFromTemplate2``."""
    template = mutable((cj.get("spec") or {}).get("jobTemplate") or {})
    tmeta = template.get("metadata") or {}
    annotations = dict(tmeta.get("annotations") or {})
    annotations[SCHEDULED_TIMESTAMP] = _rfc3339(scheduled.astimezone(_location(cj)))
    meta: dict[str, Any] = {"name": job_name(cj, scheduled), "namespace": cj["metadata"]["namespace"],
                            "annotations": annotations, "ownerReferences": [owner_reference(cj)]}
    if tmeta.get("labels"):
        meta["labels"] = dict(tmeta["labels"])
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": template.get("spec") or {}}


def _ref(job: dict[str, Any]) -> dict[str, Any]:
    meta = job["metadata"]
    return {"kind": "Job", "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"],
            "apiVersion": "batch/v1", "resourceVersion": meta.get("resourceVersion", "")}


class CronJobReconciler:
    """Syncs one CronJob: kube's ``sync``, ``cleanupFinishedJobs`` and ``syncCronJob``."""

    def __init__(self, manager: Manager, client: InProcessClient, *, clock: Clock = REAL_CLOCK) -> None:
        self.cache = manager.cache
        self.client = client
        self.clock = clock
        self.recorder = EventRecorder(client, COMPONENT)

    async def reconcile(self, request: Request) -> Result | None:
        cached = self.cache.get(CRON_JOB, request.name, request.namespace)
        if cached is None:
            return None
        cj = mutable(cached)
        cj.setdefault("status", {})
        jobs = [j for j in self.cache.list(JOB, request.namespace) if _controller_name(j) == request.name]
        update = await self._cleanup_finished(cj, jobs)
        delay, synced = await self._sync(cj, jobs)
        if update or synced:
            await self.client.update_status(cj)
        return Result(requeue_after=max(delay, 0.0)) if delay is not None else None

    async def _delete_job(self, cj: dict[str, Any], job: dict[str, Any]) -> bool:
        """``deleteJob``: delete it (Background) and drop it from the active list."""
        meta = job["metadata"]
        try:
            await self.client.delete(JOB, meta["name"], meta["namespace"], propagation_policy="Background")
        except errors.NotFound:
            pass
        except errors.ApiError as e:
            await self.recorder.warning(cj, "FailedDelete", f"Deleted job: {e}")
            return False
        _drop_active(cj, meta["uid"])
        await self.recorder.normal(cj, "SuccessfulDelete", f"Deleted job {meta['name']}")
        return True

    async def _cleanup_finished(self, cj: dict[str, Any], jobs: list[dict[str, Any]]) -> bool:
        spec = cj.get("spec") or {}
        update = False
        for kind, limit_key in (("Complete", "successfulJobsHistoryLimit"), ("Failed", "failedJobsHistoryLimit")):
            limit = spec.get(limit_key)
            if limit is None:
                continue
            done = [j for j in jobs if _finished_type(j) == kind]
            extra = len(done) - int(limit)
            if extra <= 0:
                continue
            done.sort(key=_start_key)
            for job in done[:extra]:
                if await self._delete_job(cj, job):
                    update = True
        return update

    async def _sync(self, cj: dict[str, Any], jobs: list[dict[str, Any]]) -> tuple[float | None, bool]:
        """``syncCronJob``: (seconds until the next look, whether the status changed)."""
        now = self.clock.now()
        status, spec = cj["status"], cj.get("spec") or {}
        update = False
        children = set()
        for j in jobs:
            uid = j["metadata"]["uid"]
            children.add(uid)
            found = any(a.get("uid") == uid for a in status.get("active") or ())
            finished = _finished_type(j)
            if not found and finished is None:
                # The cache may not have our own status update yet: ask the server, as kube does.
                fresh = await self.client.get(CRON_JOB, cj["metadata"]["name"], cj["metadata"]["namespace"])
                fresh.setdefault("status", {})
                if any(a.get("uid") == uid for a in fresh["status"].get("active") or ()):
                    cj.clear()
                    cj.update(fresh)
                    status = cj["status"]
                    continue
                await self.recorder.warning(cj, "UnexpectedJob",
                                            f"Saw a job that the controller did not create or forgot: "
                                            f"{j['metadata']['name']}")
            elif found and finished is not None:
                _drop_active(cj, uid)
                await self.recorder.normal(cj, "SawCompletedJob",
                                           f"Saw completed job: {j['metadata']['name']}, status: {finished}")
                update = True
            if finished == "Complete":
                completed = (j.get("status") or {}).get("completionTime")
                last = parse_time(str(status.get("lastSuccessfulTime") or ""))
                done = parse_time(str(completed or ""))
                if completed and (last is None or (done is not None and done > last)):
                    status["lastSuccessfulTime"] = completed
                    update = True
        for ref in list(status.get("active") or ()):
            if ref.get("uid") in children:
                continue
            try:
                await self.client.get(JOB, str(ref.get("name")), str(ref.get("namespace")))
            except errors.NotFound:
                await self.recorder.normal(cj, "MissingJob", f"Active job went missing: {ref.get('name')}")
                _drop_active(cj, str(ref.get("uid")))
                update = True
        if cj["metadata"].get("deletionTimestamp"):
            return None, update
        tz = spec.get("timeZone")
        if tz is not None:
            try:
                cron.load_location(str(tz))
            except cron.CronError as e:
                await self.recorder.warning(cj, "UnknownTimeZone", f'invalid timeZone: "{tz}": {e}')
                return None, update
        if spec.get("suspend") is True:
            return None, update
        try:
            schedule = cron.parse_standard(format_schedule(cj))
        except cron.CronError as e:
            await self.recorder.warning(cj, "UnparseableSchedule",
                                        f'unparseable schedule: "{spec.get("schedule")}" : {e}')
            return None, update
        _, scheduled, missed = most_recent_schedule_time(cj, now, schedule, True)
        if scheduled is None:
            return next_schedule_delay(cj, now, schedule), update
        if missed > 100:
            await self.recorder.warning(cj, "TooManyMissedTimes", "too many missed start times. Set or decrease "
                                        ".spec.startingDeadlineSeconds or check clock skew")
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None and scheduled + timedelta(seconds=deadline) < now:
            await self.recorder.warning(cj, "MissSchedule", "Missed scheduled time to start a job: "
                                        + format_datetime(scheduled.astimezone(UTC)).replace("-0000", "+0000"))
            return next_schedule_delay(cj, now, schedule), update
        name = job_name(cj, scheduled)
        if any(a.get("name") == name for a in status.get("active") or ()) \
                or status.get("lastScheduleTime") == format_time(scheduled):
            return next_schedule_delay(cj, now, schedule), update
        if spec.get("concurrencyPolicy") == "Forbid" and status.get("active"):
            await self.recorder.normal(cj, "JobAlreadyActive",
                                       "Not starting job because prior execution is running and concurrency policy "
                                       "is Forbid")
            return next_schedule_delay(cj, now, schedule), update
        if spec.get("concurrencyPolicy") == "Replace":
            for ref in list(status.get("active") or ()):
                try:
                    running = await self.client.get(JOB, str(ref.get("name")), str(ref.get("namespace")))
                except errors.ApiError as e:
                    await self.recorder.warning(cj, "FailedGet", f"Get job: {e}")
                    raise
                if not await self._delete_job(cj, running):
                    raise RuntimeError(f"could not replace job {ref.get('namespace')}/{ref.get('name')}")
                update = True
        request = job_from_template(cj, scheduled)
        try:
            created = await self.client.create(request)
            await self.recorder.normal(cj, "SuccessfulCreate", f"Created job {created['metadata']['name']}")
        except errors.AlreadyExists:
            created = await self.client.get(JOB, name, cj["metadata"]["namespace"])
            if _controller_uid(created) != cj["metadata"]["uid"]:
                return None, update
            if any(a.get("uid") == created["metadata"]["uid"] for a in status.get("active") or ()):
                return None, update
        except errors.ApiError as e:
            causes = (e.status.get("details") or {}).get("causes") or ()
            if not any(c.get("reason") == "NamespaceTerminating" for c in causes):
                await self.recorder.warning(cj, "FailedCreate", f"Error creating job: {e}")
            raise
        status.setdefault("active", []).append(_ref(created))
        status["lastScheduleTime"] = format_time(scheduled)
        return next_schedule_delay(cj, now, schedule), True


def _controller_uid(obj: dict[str, Any]) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def _drop_active(cj: dict[str, Any], uid: str) -> None:
    status = cj["status"]
    active = [a for a in status.get("active") or () if a.get("uid") != uid]
    if active:
        status["active"] = active
    else:
        status.pop("active", None)


def _start_key(job: dict[str, Any]) -> tuple[int, str, str]:
    """``byJobStartTime``: jobs without a start time last, then by start time, then name."""
    start = (job.get("status") or {}).get("startTime")
    return (0 if start else 1, str(start or ""), str(job["metadata"]["name"]))


def add_cronjob_controller(manager: Manager, client: InProcessClient, *, clock: Clock = REAL_CLOCK) -> None:
    """The cronjob controller on ``manager``; ``clock`` is injectable."""
    controller = (Builder(manager)
                  .named("cronjob")
                  .for_(CRON_JOB)
                  .owns(JOB)
                  .complete(CronJobReconciler(manager, client, clock=clock)))

    def wake() -> None:
        for cj in manager.cache.list(CRON_JOB):
            controller.queue.add(Request.of(cj))
    clock.subscribe(wake)


__all__ = ["CRON_JOB", "SCHEDULED_TIMESTAMP", "CronJobReconciler", "add_cronjob_controller", "job_name"]
