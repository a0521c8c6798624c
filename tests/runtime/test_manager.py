"""The manager: health, readiness, metrics, no-op writes, dynamic controllers, graceful shutdown."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from runtime_helpers import CM, install_crd

from setpoint.runtime import Builder, Kind, Manager, Request, Result
from setpoint.runtime.status import update_status
from setpoint.testing import ApiServer, eventually

SECRET = Kind("v1", "Secret")


async def http_get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as s, s.get(url) as r:
        return r.status, await r.text()


async def test_health_readiness_and_controller_runtime_metric_names(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    mgr = Manager(client, health_port=0)

    async def reconcile(req: Request) -> Result:
        if req.name == "boom":
            raise RuntimeError("boom")
        return Result()

    Builder(mgr).for_(CM).complete(reconcile)
    async with mgr.running():
        await mgr.wait_ready()
        base = f"http://127.0.0.1:{mgr.health_port}"
        assert await http_get(base + "/healthz") == (200, "ok")
        assert await http_get(base + "/readyz") == (200, "ok")
        await client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok", "namespace": "default"}})
        await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "boom", "namespace": "default"}})

        async def counted() -> str:
            _, text = await http_get(base + "/metrics")
            assert 'controller_runtime_reconcile_total{controller="configmap",result="success"}' in text
            assert 'controller_runtime_reconcile_errors_total{controller="configmap"}' in text
            return text

        text = await eventually(counted)
        for name in ("controller_runtime_reconcile_time_seconds_bucket", "workqueue_depth",
                     "workqueue_adds_total", "workqueue_retries_total", "workqueue_queue_duration_seconds_bucket",
                     "workqueue_work_duration_seconds_bucket", "workqueue_unfinished_work_seconds",
                     "workqueue_longest_running_processor_seconds", "rest_client_requests_total"):
            assert name in text, name
        assert 'workqueue_adds_total{controller="configmap",name="configmap"}' in text


async def test_readyz_is_503_until_caches_sync(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    mgr = Manager(client, health_port=0)
    missing = Kind("never.example.com/v1", "Ghost")  # never served: its informer never syncs

    async def reconcile(req: Request) -> None:
        return None

    Builder(mgr).for_(missing).with_options(cache_sync_timeout=60).complete(reconcile)
    async with mgr.running():
        await eventually(lambda: mgr.health_port not in (None, 0))
        status, text = await http_get(f"http://127.0.0.1:{mgr.health_port}/readyz")
        assert status == 503 and "ghost" in text
        assert not mgr.ready


async def test_no_op_status_update_sends_no_request(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    kind = await install_crd(client)
    obj = await client.create({"apiVersion": kind.api_version, "kind": "Widget",
                               "metadata": {"name": "w", "namespace": "default"}, "spec": {"value": 3}})
    written = await update_status(client, obj, {"observed": 3, "conditions": []})
    assert written is not None
    patches = await setpoint_api.request_count(verb="PATCH")
    assert patches == 1
    sent = client.requests_sent
    assert await update_status(client, written, {"observed": 3, "conditions": []}) is None
    assert client.requests_sent == sent, "nothing left the client"
    assert await setpoint_api.request_count(verb="PATCH") == patches, "nothing reached the server"

    # and a controller reconciling again and again writes nothing once converged
    mgr = Manager(client)
    runs = 0

    async def reconcile(req: Request) -> Result:
        nonlocal runs
        runs += 1
        current = mgr.cache.get(kind, req.name, req.namespace)
        assert current is not None
        await update_status(client, current, {"observed": current["spec"]["value"], "conditions": []})
        return Result(requeue_after=0.01)

    Builder(mgr).for_(kind).complete(reconcile)
    async with mgr.running():
        await mgr.wait_ready()
        patches = await setpoint_api.request_count(verb="PATCH")
        start = runs
        await eventually(lambda: runs >= start + 20)
        assert await setpoint_api.request_count(verb="PATCH") == patches


async def test_controllers_added_and_removed_at_run_time_start_and_stop_informers(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    mgr = Manager(client)
    seen: dict[str, list[str]] = {"cm": [], "secret": []}

    def recorder(bucket: str) -> Any:
        async def reconcile(req: Request) -> None:
            seen[bucket].append(req.name)
        return reconcile

    Builder(mgr).named("cm").for_(CM).complete(recorder("cm"))
    async with mgr.running():
        await mgr.wait_ready()
        assert [i.kind for i in mgr.cache.informers] == [CM]

        # add a controller while running: its informer starts and it reconciles
        Builder(mgr).named("secret").for_(SECRET).complete(recorder("secret"))
        await client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1", "namespace": "default"}})
        await eventually(lambda: seen["secret"] == ["s1"])
        secret_informer = next(i for i in mgr.cache.informers if i.kind == SECRET)
        assert secret_informer.running
        watches = await setpoint_api.request_count(verb="WATCH", resource="secrets")
        assert watches == 1

        # a second controller on the same kind shares the informer
        Builder(mgr).named("secret-2").for_(SECRET).complete(recorder("secret"))
        await eventually(lambda: seen["secret"].count("s1") == 2)
        assert await setpoint_api.request_count(verb="WATCH", resource="secrets") == 1

        # removing both stops the informer; the ConfigMap controller goes on
        await mgr.remove("secret")
        assert secret_informer.running
        await mgr.remove("secret-2")
        assert not secret_informer.running
        assert SECRET not in [i.kind for i in mgr.cache.informers]
        await client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s2", "namespace": "default"}})
        await client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c1", "namespace": "default"}})
        await eventually(lambda: "c1" in seen["cm"])
        assert "s2" not in seen["secret"]


async def test_graceful_shutdown_lets_running_reconciles_finish(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    mgr = Manager(client)
    started = asyncio.Event()
    finish = asyncio.Event()
    finished: list[str] = []

    async def reconcile(req: Request) -> None:
        if req.name != "slow":  # e.g. the root-CA publisher's kube-root-ca.crt
            return
        started.set()
        await finish.wait()
        finished.append(req.name)

    Builder(mgr).for_(CM).complete(reconcile)
    task = mgr.start()
    await mgr.wait_ready()
    await client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "slow", "namespace": "default"}})
    await asyncio.wait_for(started.wait(), 10)
    mgr.stop()
    await asyncio.sleep(0)
    assert not task.done(), "shutdown waits for the running reconcile"
    finish.set()
    await asyncio.wait_for(task, 10)
    assert finished == ["slow"]
