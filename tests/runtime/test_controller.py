"""Controllers built with the builder, against the real embedded server."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

import pytest
from runtime_helpers import CM, install_crd

from setpoint.runtime import Builder, Kind, Manager, Request, Result, predicate
from setpoint.runtime import objects as objs
from setpoint.runtime.controller import Controller
from setpoint.runtime.status import update_status
from setpoint.testing import ApiServer, eventually


def widget(kind: Kind, name: str, value: int = 1, ns: str = "default") -> dict[str, Any]:
    return {"apiVersion": kind.api_version, "kind": kind.kind, "metadata": {"name": name, "namespace": ns},
            "spec": {"value": value}}


async def test_reconciler_drives_status_to_spec_and_is_told_only_the_key(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    widget_kind = await install_crd(client)
    mgr = Manager(client)
    seen: list[Request] = []

    async def reconcile(req: Request) -> Result | None:
        seen.append(req)
        obj = mgr.cache.get(widget_kind, req.name, req.namespace)
        if obj is None:
            return None
        await update_status(client, obj, {"observed": obj["spec"]["value"]})
        return None

    Builder(mgr).for_(widget_kind).complete(reconcile)
    async with mgr.running():
        await mgr.wait_ready()
        for i in range(5):
            await client.create(widget(widget_kind, f"w{i}", i))

        async def converged() -> bool:
            items = (await client.list(widget_kind, "default"))["items"]
            return len(items) == 5 and all(i.get("status", {}).get("observed") == i["spec"]["value"] for i in items)

        await eventually(converged)
        assert all(isinstance(r, Request) and r.namespace == "default" for r in seen)


async def test_owner_events_map_to_the_parent(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    parent_kind = await install_crd(client)
    mgr = Manager(client)
    reconciled: Counter[str] = Counter()

    async def reconcile(req: Request) -> None:
        reconciled[req.name] += 1
        parent = mgr.cache.get(parent_kind, req.name, req.namespace)
        if parent is None:
            return

        def mutate(cm: dict[str, Any]) -> None:
            objs.set_controller_reference(parent, cm)
            cm["data"] = {"value": str(parent["spec"]["value"])}

        await objs.create_or_patch(client, CM, f"{req.name}-child", req.namespace, mutate,
                                   current=mgr.cache.get(CM, f"{req.name}-child", req.namespace),
                                   read_current=False)

    Builder(mgr).for_(parent_kind).owns(CM).complete(reconcile)
    async with mgr.running():
        await mgr.wait_ready()
        await client.create(widget(parent_kind, "p", 7))
        child = await eventually(lambda: mgr.cache.get(CM, "p-child", "default"))
        assert child is not None and child["data"] == {"value": "7"}
        ref = child["metadata"]["ownerReferences"][0]
        assert ref["controller"] is True and ref["blockOwnerDeletion"] is True and ref["kind"] == "Widget"
        # an unrelated ConfigMap does not wake the parent; touching the child does
        await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "unrelated", "namespace": "default"}})
        before = reconciled["p"]
        await client.patch(CM, "p-child", {"data": {"value": "tampered"}}, "default")
        await eventually(lambda: reconciled["p"] > before)
        # ... and the level-based reconcile puts the child back
        await eventually(lambda: (mgr.cache.get(CM, "p-child", "default") or {}).get("data") == {"value": "7"})
        assert "unrelated" not in reconciled


async def test_watches_with_a_mapping_function_and_predicates(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    mgr = Manager(client)
    reconciled: list[str] = []

    def by_label(cm: Any) -> list[Request]:
        target = (cm["metadata"].get("labels") or {}).get("target")
        return [Request("default", target)] if target else []

    async def reconcile(req: Request) -> None:
        reconciled.append(req.name)

    (Builder(mgr).named("mapper")
     .watches(CM, by_label, predicate.labels_changed() | predicate.has_label("always"))
     .complete(reconcile))
    async with mgr.running():
        await mgr.wait_ready()
        await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "src", "namespace": "default", "labels": {"target": "t1"}}})
        await eventually(lambda: reconciled == ["t1"])
        # a data change does not pass labels_changed(); a label change does (both old and new targets)
        await client.patch(CM, "src", {"data": {"x": "1"}}, "default")
        await client.patch(CM, "src", {"metadata": {"labels": {"target": "t2"}}}, "default")
        await eventually(lambda: sorted(reconciled[1:]) == ["t1", "t2"])
        assert reconciled.count("t1") == 2


async def test_errors_retry_with_backoff_and_requeue_after_runs_again(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    mgr = Manager(client)
    attempts: Counter[str] = Counter()
    done = asyncio.Event()

    async def reconcile(req: Request) -> Result | None:
        attempts[req.name] += 1
        if req.name == "flaky" and attempts[req.name] < 3:
            raise RuntimeError("not yet")
        if req.name == "periodic":
            if attempts[req.name] >= 3:
                done.set()
                return None
            return Result(requeue_after=0.05)
        return None

    ctrl = Builder(mgr).for_(CM).complete(reconcile)
    async with mgr.running():
        await mgr.wait_ready()
        await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "flaky", "namespace": "default"}})
        await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "periodic", "namespace": "default"}})
        await eventually(lambda: attempts["flaky"] == 3)
        await asyncio.wait_for(done.wait(), 10)
        assert ctrl.queue.num_requeues(Request("default", "flaky")) == 0, "success forgets the failures"


async def test_a_conflict_is_retried_with_one_quiet_line(setpoint_api: ApiServer,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """A write with a stale resourceVersion (409) is retried like any error, logged as one INFO
    line without a traceback: it is what a busy cluster does, not a failure."""
    client = setpoint_api.client
    mgr = Manager(client)
    attempts: Counter[str] = Counter()

    async def reconcile(req: Request) -> Result | None:
        attempts[req.name] += 1
        cm = await client.get(CM, req.name, req.namespace)
        if attempts[req.name] == 1:
            await client.update({**cm, "data": {"by": "someone else"}})
            await client.update({**cm, "data": {"by": "me"}})  # stale: 409
        return None

    Builder(mgr).for_(CM).complete(reconcile)
    caplog.set_level(logging.INFO, logger="setpoint.runtime.controller")
    async with mgr.running():
        await mgr.wait_ready()
        await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "contended", "namespace": "default"}})
        await eventually(lambda: attempts["contended"] >= 2)
    lines = [r for r in caplog.records if "contended" in r.getMessage()]
    assert lines and all(r.levelno == logging.INFO and r.exc_info is None for r in lines)
    assert "met a conflict, retrying: " in lines[0].getMessage()


async def test_max_concurrent_reconciles_and_no_key_twice(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    mgr = Manager(client)
    running: set[str] = set()
    peak = 0
    release = asyncio.Event()
    count = 0

    async def reconcile(req: Request) -> None:
        nonlocal peak, count
        assert req.name not in running
        running.add(req.name)
        peak = max(peak, len(running))
        count += 1
        await release.wait()
        running.discard(req.name)

    Builder(mgr).for_(CM).with_options(max_concurrent_reconciles=3).complete(reconcile)
    async with mgr.running():
        await mgr.wait_ready()
        for i in range(6):
            await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": f"c{i}", "namespace": "default"}})
        await eventually(lambda: len(running) == 3)
        assert peak == 3
        release.set()
        await eventually(lambda: count >= 6 and not running)


async def test_builder_validates(setpoint_api: ApiServer) -> None:
    import pytest

    from setpoint.runtime.builder import BuildError

    mgr = Manager(setpoint_api.client)

    async def r(req: Request) -> None:
        return None

    with pytest.raises(BuildError):
        Builder(mgr).owns(CM).complete(r)
    with pytest.raises(BuildError):
        Builder(mgr).for_(CM).for_(CM)
    Builder(mgr).for_(CM).complete(r)
    with pytest.raises(ValueError, match="already exists"):
        Builder(mgr).for_(CM).complete(r)
    assert isinstance(mgr.controllers["configmap"], Controller)


async def test_a_reconciler_that_is_not_async_is_refused_when_built(setpoint_api: ApiServer) -> None:
    mgr = Manager(setpoint_api.client)

    def reconcile(req: Request) -> None:
        return None

    class Plain:
        def reconcile(self, req: Request) -> None:
            return None

    class Callable_:
        async def __call__(self, req: Request) -> None:
            return None

    with pytest.raises(TypeError, match=r"the reconciler .*reconcile is not async: define it as "
                                        r"`async def reconcile\(request\)`"):
        Builder(mgr).for_(CM).complete(reconcile)
    with pytest.raises(TypeError, match=r"the reconciler Plain\.reconcile is not async"):
        Builder(mgr).named("plain").for_(CM).complete(Plain())
    assert not mgr.controllers  # nothing half-added
    Builder(mgr).named("callable").for_(CM).complete(Callable_())  # an async __call__ is fine
