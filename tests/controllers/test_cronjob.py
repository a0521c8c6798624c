"""The cronjob controller, driven by an injected clock: nothing waits for the real minute."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from controllers_helpers import running

from setpoint.apimachinery.clock import FakeClock, format_time, parse_time
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.server import APIServer
from setpoint.controllers.cronjob import SCHEDULED_TIMESTAMP, add_cronjob_controller
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime.manager import Manager
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

CRON_JOB = Kind("batch/v1", "CronJob")
JOB = Kind("batch/v1", "Job")
EVENT = Kind("v1", "Event")
NS = "cron"
TIMEOUT = 10.0


@pytest.fixture
async def crons(api: APIServer, client: InProcessClient, clock: FakeClock) -> AsyncIterator[Manager]:
    async with running(client, NS, lambda m: add_cronjob_controller(m, client, clock=clock)) as manager:
        yield manager


def cronjob(name: str, schedule: str = "*/1 * * * *", **spec: Any) -> Obj:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": NS},
            "spec": {"schedule": schedule, "jobTemplate": {"metadata": {"labels": {"app": name}}, "spec": {
                "template": {"spec": {"containers": [{"name": "c", "image": "busybox"}],
                                      "restartPolicy": "OnFailure"}}}}, **spec}}


def next_minute(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0) + timedelta(minutes=1)


async def jobs_of(client: InProcessClient, name: str, n: int) -> list[Obj]:
    listed = [j for j in (await client.list(JOB, NS))["items"]
              if j["metadata"]["ownerReferences"][0]["name"] == name]
    assert len(listed) == n, [j["metadata"]["name"] for j in listed]
    return sorted(listed, key=lambda j: j["metadata"]["name"])


async def finish(client: InProcessClient, job: Obj, kind: str = "Complete") -> None:
    current = await client.get(JOB, job["metadata"]["name"], NS)
    now = format_time(datetime.now(UTC))
    interim = "SuccessCriteriaMet" if kind == "Complete" else "FailureTarget"
    current["status"] = {"startTime": now, "conditions": [
        {"type": interim, "status": "True", "lastProbeTime": now, "lastTransitionTime": now},
        {"type": kind, "status": "True", "lastProbeTime": now, "lastTransitionTime": now}]}
    if kind == "Complete":
        current["status"]["completionTime"] = now
    await client.update_status(current)


async def reasons(client: InProcessClient, name: str) -> list[str]:
    return [e["reason"] for e in (await client.list(EVENT, NS))["items"] if e["involvedObject"]["name"] == name]


async def test_fires_on_schedule_with_the_injected_clock(client: InProcessClient, crons: Manager,
                                                         clock: FakeClock) -> None:
    created = await client.create(cronjob("tick"))
    start = parse_time(created["metadata"]["creationTimestamp"])
    assert start is not None
    await jobs_of(client, "tick", 0)
    due = next_minute(start)
    clock.set(due + timedelta(seconds=1))
    (job,) = await eventually(lambda: jobs_of(client, "tick", 1), timeout=TIMEOUT)
    assert job["metadata"]["name"] == f"tick-{int(due.timestamp()) // 60}"
    assert job["metadata"]["annotations"][SCHEDULED_TIMESTAMP] == format_time(due)
    assert job["metadata"]["labels"] == {"app": "tick"}
    assert job["metadata"]["ownerReferences"][0]["uid"] == created["metadata"]["uid"]
    assert job["spec"]["backoffLimit"] == 6  # the Job got its defaults from the server

    async def active() -> Obj:
        cj = await client.get(CRON_JOB, "tick", NS)
        assert [a["name"] for a in cj["status"].get("active") or ()] == [job["metadata"]["name"]]
        return cj
    cj = await eventually(active, timeout=TIMEOUT)
    assert cj["status"]["lastScheduleTime"] == format_time(due)
    assert cj["status"]["active"][0]["kind"] == "Job" and cj["status"]["active"][0]["apiVersion"] == "batch/v1"

    await finish(client, job)

    async def saw_it() -> Obj:
        cj = await client.get(CRON_JOB, "tick", NS)
        assert "active" not in cj["status"] and cj["status"].get("lastSuccessfulTime"), cj["status"]
        return cj
    await eventually(saw_it, timeout=TIMEOUT)
    assert {"SuccessfulCreate", "SawCompletedJob"} <= set(await reasons(client, "tick"))
    # The next minute makes the next Job.
    clock.set(due + timedelta(minutes=1, seconds=1))
    await eventually(lambda: jobs_of(client, "tick", 2), timeout=TIMEOUT)


async def test_forbid_skips_while_a_job_runs_and_replace_replaces(client: InProcessClient, crons: Manager,
                                                                  clock: FakeClock) -> None:
    forbid = await client.create(cronjob("one-at-a-time", concurrencyPolicy="Forbid"))
    replace = await client.create(cronjob("newest", concurrencyPolicy="Replace"))
    due = next_minute(max(parse_time(o["metadata"]["creationTimestamp"]) or clock.now() for o in (forbid, replace)))
    clock.set(due + timedelta(seconds=1))
    await eventually(lambda: jobs_of(client, "one-at-a-time", 1), timeout=TIMEOUT)
    (first,) = await eventually(lambda: jobs_of(client, "newest", 1), timeout=TIMEOUT)
    clock.set(due + timedelta(minutes=1, seconds=1))

    async def replaced() -> bool:
        (job,) = await jobs_of(client, "newest", 1)
        assert job["metadata"]["name"] != first["metadata"]["name"]
        return True
    await eventually(replaced, timeout=TIMEOUT)
    async def forbidden() -> bool:
        assert "JobAlreadyActive" in await reasons(client, "one-at-a-time")
        return True
    await eventually(forbidden, timeout=TIMEOUT)
    await jobs_of(client, "one-at-a-time", 1)
    assert "SuccessfulDelete" in await reasons(client, "newest")


async def test_history_limit_and_starting_deadline(client: InProcessClient, crons: Manager,
                                                   clock: FakeClock) -> None:
    created = await client.create(cronjob("short", successfulJobsHistoryLimit=1, startingDeadlineSeconds=10))
    due = next_minute(parse_time(created["metadata"]["creationTimestamp"]) or clock.now())
    for i in range(2):
        clock.set(due + timedelta(minutes=i, seconds=1))
        jobs = await eventually(lambda i=i: jobs_of(client, "short", i + 1), timeout=TIMEOUT)
        await finish(client, jobs[-1])
    # The older of two completed Jobs is deleted: one is kept.
    (kept,) = await eventually(lambda: jobs_of(client, "short", 1), timeout=TIMEOUT)
    assert kept["metadata"]["name"] == f"short-{int((due + timedelta(minutes=1)).timestamp()) // 60}"
    # Thirty seconds late with a ten-second deadline: that run is skipped; the next one is made.
    clock.set(due + timedelta(minutes=2, seconds=30))
    clock.set(due + timedelta(minutes=3, seconds=1))

    async def next_on_time() -> bool:
        names = [j["metadata"]["name"] for j in (await client.list(JOB, NS))["items"]]
        assert f"short-{int((due + timedelta(minutes=3)).timestamp()) // 60}" in names, names
        assert f"short-{int((due + timedelta(minutes=2)).timestamp()) // 60}" not in names, names
        return True
    await eventually(next_on_time, timeout=TIMEOUT)
    assert "UnexpectedJob" not in await reasons(client, "short")


async def test_time_zone(client: InProcessClient, crons: Manager, clock: FakeClock) -> None:
    await client.create(cronjob("tokyo", "0 9 * * *", timeZone="Asia/Tokyo"))
    start = clock.now()
    midnight_utc = start.replace(hour=0, minute=0, second=0) + timedelta(days=1)  # 09:00 in Tokyo
    clock.set(midnight_utc + timedelta(seconds=5))
    (job,) = await eventually(lambda: jobs_of(client, "tokyo", 1), timeout=TIMEOUT)
    assert job["metadata"]["annotations"][SCHEDULED_TIMESTAMP] == midnight_utc.strftime("%Y-%m-%dT09:00:00+09:00")
    assert job["metadata"]["name"] == f"tokyo-{int(midnight_utc.timestamp()) // 60}"
