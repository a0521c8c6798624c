"""The event pipeline: stages between a controller's sources and its work queue, with their metrics."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from runtime_helpers import CM

from setpoint.runtime import Builder, Manager, Request
from setpoint.runtime import metrics as m
from setpoint.runtime.pipeline import Buffer, Filter, Pipeline, Priority, Retry, Schedule, drop_low_priority
from setpoint.runtime.workqueue import WorkQueue
from setpoint.testing import ApiServer, eventually

APP = "app=pipeline-test"  # not the kube-root-ca.crt ConfigMap every namespace gets


def cm(name: str, namespace: str = "default", **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app": "pipeline-test"}}, "data": data}


def metric(name: str, **labels: str) -> float:
    """One sample of the runtime's registry (0 if absent)."""
    want = dict(labels)
    for line in m.render().decode().splitlines():
        if not line.startswith(name + "{"):
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.rindex("}")]))
        if all(got.get(k) == v for k, v in want.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def namespace(client: Any, name: str) -> None:
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


async def test_a_thousand_updates_of_one_key_coalesce_into_a_few_reconciles(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    await namespace(client, "hot")
    await client.create(cm("hot", "hot", v="-1"))
    mgr = Manager(client)
    buffered: list[str] = []
    plain: list[str] = []

    async def reconcile_buffered(req: Request) -> None:
        if req.name == "hot":  # not kube-root-ca.crt
            buffered.append(mgr.cache.get(CM, req.name, req.namespace)["data"]["v"])  # type: ignore[index]
        await asyncio.sleep(0.005)

    async def reconcile_plain(req: Request) -> None:
        if req.name == "hot":  # not kube-root-ca.crt
            plain.append(mgr.cache.get(CM, req.name, req.namespace)["data"]["v"])  # type: ignore[index]
        await asyncio.sleep(0.005)

    Builder(mgr).named("buffered").for_(CM, namespace="hot") \
        .with_pipeline(Buffer(window=0.5, max_delay=10.0)).complete(reconcile_buffered)
    Builder(mgr).named("plain").for_(CM, namespace="hot").complete(reconcile_plain)
    async with mgr.running():
        await mgr.wait_ready()
        await eventually(lambda: buffered == ["-1"] and plain == ["-1"])
        for i in range(1000):
            await client.patch(CM, "hot", {"data": {"v": str(i)}}, "hot")
        await eventually(lambda: buffered[-1] == "999" and plain[-1] == "999")
        await asyncio.sleep(0.6)  # one more window: nothing else comes out of the buffer
    # the initial list, then at most a few for the thousand updates (one per max_delay, and the last)
    assert len(buffered) - 1 <= 3, buffered
    assert len(plain) - 1 > 10  # without the buffer the same stream makes many reconciles
    assert metric("setpoint_pipeline_coalesced_total", controller="buffered", stage="buffer") >= 1000 - 3
    # and kube-root-ca.crt's initial request
    assert metric("setpoint_pipeline_passed_total", controller="buffered", stage="buffer") == len(buffered) + 1
    assert metric("setpoint_pipeline_latency_seconds_count", controller="buffered", stage="buffer") == len(buffered) + 1
    assert metric("setpoint_pipeline_depth", controller="buffered", stage="buffer") == 0


async def test_user_facing_changes_run_before_the_initial_list(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    await namespace(client, "prio")
    for i in range(40):
        await client.create(cm(f"old-{i:02}", "prio"))
    mgr = Manager(client)
    order: list[str] = []

    async def reconcile(req: Request) -> None:
        order.append(req.name)
        await asyncio.sleep(0.05)

    Builder(mgr).named("prio").for_(CM, label_selector=APP, namespace="prio").with_options(max_concurrent_reconciles=1) \
        .with_pipeline(Schedule(max_waiting=1)).complete(reconcile)
    async with mgr.running():
        await eventually(lambda: len(order) >= 3)
        for i in range(3):
            await client.create(cm(f"new-{i}", "prio"))
        await eventually(lambda: len(order) == 43, timeout=20)
    positions = [order.index(f"new-{i}") for i in range(3)]
    # each new object overtook the initial list still waiting (created while ~35 of it waited; in
    # the queue's order they would come after all 40)
    assert max(positions) < 25, order
    assert sorted(order) == sorted([f"old-{i:02}" for i in range(40)] + [f"new-{i}" for i in range(3)])
    assert metric("setpoint_pipeline_passed_total", controller="prio", stage="schedule") == 43


async def test_filters_drop_resyncs_and_retries_are_counted(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    await namespace(client, "filtered")
    mgr = Manager(client, resync=0.1)
    seen: list[str] = []
    failed: list[str] = []

    async def reconcile(req: Request) -> None:
        seen.append(req.name)

    async def failing(req: Request) -> None:
        failed.append(req.name)
        if len(failed) < 4:
            raise RuntimeError("not yet")

    Builder(mgr).named("no-resyncs").for_(CM, label_selector=APP, namespace="filtered") \
        .with_pipeline(Filter(drop_low_priority)).complete(reconcile)
    Builder(mgr).named("retried").for_(CM, label_selector=APP, namespace="filtered") \
        .with_pipeline(Filter(lambda req, prio: req.name == "flaky" and prio > Priority.LOW), retry=Retry(base=0.01, qps=None)) \
        .complete(failing)
    async with mgr.running():
        await mgr.wait_ready()
        await client.create(cm("changed", "filtered"))
        await client.create(cm("flaky", "filtered"))
        await eventually(lambda: "changed" in seen and len(failed) >= 4)
        await eventually(lambda: metric("setpoint_pipeline_dropped_total", controller="no-resyncs",
                                        stage="filter") >= 4)  # two resyncs of two objects
    assert seen.count("changed") == 1 and seen.count("flaky") == 1
    assert failed == ["flaky"] * 4
    assert metric("setpoint_pipeline_retries_total", controller="retried") == 3
    assert metric("setpoint_pipeline_backoff_seconds_count", controller="retried") == 3
    assert metric("setpoint_pipeline_dropped_total", controller="retried", stage="filter") >= 1  # "changed"


async def test_schedule_rate_limits_and_orders_by_priority() -> None:
    out: list[tuple[str, int]] = []
    queue: WorkQueue[str] = WorkQueue("sched-unit")
    pipeline: Pipeline[str] = Pipeline(Schedule(qps=20, burst=1, name="rate"))
    pipeline.bind("sched-unit", queue)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for i in range(5):
        pipeline.add(f"low-{i}", Priority.LOW)
    pipeline.add("high", Priority.HIGH)
    pipeline.add("low-3", Priority.NORMAL)  # pushed again, raised: held once
    for _ in range(6):
        item = await queue.get()
        out.append((item, round((loop.time() - started) * 20)))
        queue.done(item)
    # the first token went at once to low-0; then one every 50 ms, highest priority first
    assert [o[0] for o in out] == ["low-0", "high", "low-3", "low-1", "low-2", "low-4"]
    assert out[-1][1] >= 4  # five waits of 1/20 s (a little under, by rounding)
    pipeline.close()


def test_pipelines_refuse_duplicate_stage_names() -> None:
    with pytest.raises(ValueError, match="two stages named 'buffer'"):
        Pipeline(Buffer(), Buffer())
    with pytest.raises(ValueError, match="max_delay"):
        Buffer(1.0, max_delay=0.5)
