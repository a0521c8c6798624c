"""Mistakes in what a controller is given fail fast, with a message that says what to write instead.

Against the real embedded API server: functions of the wrong shape are refused when the
controller (or the index) is built; a mapping or index function answering the wrong type is
reported once, naming it, when it first runs; a kind the server does not serve is said once,
clearly, and the controller starts when it appears.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from runtime_helpers import CM, install_crd

from setpoint.runtime import Builder, Kind, Manager, Request
from setpoint.testing import ApiServer, eventually


def configmap(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default",
                                                                  "labels": labels}}


async def noop(req: Request) -> None:
    return None


# -- refused when built ------------------------------------------------------------------------------

async def test_an_async_mapping_function_is_refused_when_the_controller_is_built(setpoint_api: ApiServer) -> None:
    mgr = Manager(setpoint_api.client)

    async def watchers_of(cm: Any) -> list[Request]:
        return []

    with pytest.raises(TypeError, match=r"the mapping function .*watchers_of is async: setpoint calls it "
                                        r"synchronously, from the informer; write `def map\(obj\) -> "
                                        r"list\[Request\]`"):
        Builder(mgr).named("m").watches(CM, watchers_of)
    assert not mgr.controllers


@pytest.mark.parametrize("shape", ["none", "two"])
async def test_a_mapping_function_of_the_wrong_arity_is_refused(setpoint_api: ApiServer, shape: str) -> None:
    mgr = Manager(setpoint_api.client)

    def no_args() -> list[Request]:
        return []

    def two_args(obj: Any, other: Any) -> list[Request]:
        return []

    fn: Any = no_args if shape == "none" else two_args
    with pytest.raises(TypeError, match=r"the mapping function .*_args\(.*\) must take one argument, the object: "
                                        r"write `def map\(obj\) -> list\[Request\]`"):
        Builder(mgr).named("m").watches(CM, fn)


async def test_a_bound_method_and_a_lambda_are_accepted(setpoint_api: ApiServer) -> None:
    mgr = Manager(setpoint_api.client)

    class Mapper:
        def watchers_of(self, obj: Any) -> list[Request]:
            return []

    ctrl = Builder(mgr).named("m").watches(CM, Mapper().watchers_of).watches(CM, lambda o: []).complete(noop)
    assert len(ctrl.sources) == 2


async def test_index_functions_of_the_wrong_shape_are_refused(setpoint_api: ApiServer) -> None:
    mgr = Manager(setpoint_api.client)

    async def by_target(obj: Any) -> list[str]:
        return []

    def two(obj: Any, other: Any) -> list[str]:
        return []

    with pytest.raises(TypeError, match=r"the index function .*by_target is async: .* write "
                                        r"`def index\(obj\) -> list\[str\]`"):
        mgr.cache.informer(CM, indexers={"target": by_target})
    with pytest.raises(TypeError, match=r"the index function .*two\(obj, other\) must take one argument, the object"):
        mgr.cache.informer(CM, indexers={"target2": two})


# -- reported when they first answer wrongly -------------------------------------------------------

@pytest.mark.parametrize("answer", ["str", "request", "list of str"])
async def test_a_mapping_function_answering_the_wrong_type_is_reported_once_by_name(
        setpoint_api: ApiServer, caplog: pytest.LogCaptureFixture, answer: str) -> None:
    client = setpoint_api.client
    mgr = Manager(client)
    calls = 0
    reconciled: list[Request] = []

    def target_of(cm: Any) -> Any:
        nonlocal calls
        calls += 1
        target = (cm["metadata"].get("labels") or {}).get("target")
        if target is None:
            return []  # kube-root-ca.crt
        if answer == "str":
            return f"default/{target}"
        if answer == "request":
            return Request("default", target)
        return [target]

    async def reconcile(req: Request) -> None:
        reconciled.append(req)

    Builder(mgr).named("mapper").watches(CM, target_of).complete(reconcile)
    caplog.set_level(logging.DEBUG, logger="setpoint.runtime")
    async with mgr.running():
        await mgr.wait_ready()
        await client.create(configmap("a", target="t1"))
        await client.create(configmap("b", target="t2"))
        await eventually(lambda: calls >= 2)
        # the right answer from then on is enqueued: the wrong ones were not
        await client.create(configmap("c", target="t3"))
        await eventually(lambda: calls >= 3)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    expected = {"str": "returned a str 'default/t1'",
                "request": "returned a single Request (default/t1)",
                "list of str": "returned a list holding a str 't1'"}[answer]
    assert errors == [f"the mapping function {target_of.__qualname__} {expected}: return a list of Request, "
                      "e.g. `[Request(namespace, name)]` or `[Request.of(obj)]` ([] for none)"]
    assert not reconciled


async def test_an_index_function_answering_a_str_is_reported_and_indexes_nothing(
        setpoint_api: ApiServer, caplog: pytest.LogCaptureFixture) -> None:
    client = setpoint_api.client
    mgr = Manager(client)

    def by_target(cm: Any) -> Any:
        target = (cm["metadata"].get("labels") or {}).get("target")
        return f"default/{target}" if target else []  # should be [f"default/{target}"]

    informer = mgr.cache.informer(CM, indexers={"target": by_target})
    Builder(mgr).for_(CM).complete(noop)
    await client.create(configmap("a", target="t1"))
    await client.create(configmap("b", target="t2"))
    async with mgr.running():
        await mgr.wait_ready()
        await client.create(configmap("c", target="t3"))
        await eventually(lambda: informer.store.get_by_name("c", "default") is not None)
        # not indexed under each character of "default/t1"
        assert mgr.cache.by_index(CM, "target", "d") == []
        assert mgr.cache.by_index(CM, "target", "default/t1") == []
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [f"the index function {by_target.__qualname__} returned a str ('default/t1'), which would "
                      "index the object under each character: return a list of str, e.g. `['default/t1']` "
                      "([] for none)"] or errors == [
        f"the index function {by_target.__qualname__} returned a str ('default/t2'), which would "
        "index the object under each character: return a list of str, e.g. `['default/t2']` ([] for none)"]


# -- a kind the server does not serve -----------------------------------------------------------------

async def test_a_kind_not_served_is_reported_once_and_the_controller_starts_when_it_appears(
        setpoint_api: ApiServer, caplog: pytest.LogCaptureFixture) -> None:
    client = setpoint_api.client
    mgr = Manager(client)
    kind = Kind("k8spatterns.io/v1", "ConfigWatcher")
    reconciled: list[str] = []

    async def reconcile(req: Request) -> None:
        reconciled.append(req.name)

    ctrl = Builder(mgr).for_(kind).complete(reconcile)
    caplog.set_level(logging.DEBUG, logger="setpoint.runtime")
    async with mgr.running():
        informer = ctrl.sources[0].informer
        assert informer is not None
        await eventually(lambda: informer.failures >= 2, timeout=15)
        said = [r for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith("setpoint.runtime")
                and "ConfigWatcher" in r.getMessage()]
        assert [(r.levelname, r.getMessage()) for r in said] == [
            ("WARNING", "no resource k8spatterns.io/v1 ConfigWatcher on this server: is its CRD installed? If it is, "
                        "check the group, version and kind (`kubectl api-resources` lists what the server "
                        "serves); waiting for it to appear")]
        assert any(r.levelno == logging.DEBUG and "ConfigWatcher" in r.getMessage() for r in caplog.records)

        await install_crd(client, "k8spatterns.io", "ConfigWatcher", "configwatchers")
        await client.create({"apiVersion": kind.api_version, "kind": kind.kind,
                             "metadata": {"name": "cw", "namespace": "default"}, "spec": {}})
        await eventually(lambda: reconciled == ["cw"], timeout=20)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert "k8spatterns.io/v1 ConfigWatcher is now served: watching it" in messages
    assert sum("no resource k8spatterns.io/v1 ConfigWatcher" in r.getMessage() for r in caplog.records) == 1


async def test_a_core_kind_misspelt_gets_a_hint_without_crd(setpoint_api: ApiServer,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    mgr = Manager(setpoint_api.client)
    ctrl = Builder(mgr).for_(Kind("v1", "ConfigMapp")).complete(noop)
    async with mgr.running():
        informer = ctrl.sources[0].informer
        assert informer is not None
        await eventually(lambda: informer.failures >= 1)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "no resource v1 ConfigMapp on this server: check the version and kind (`kubectl api-resources` lists "
        "what the server serves); waiting for it to appear"]


async def test_a_controller_not_synced_in_time_says_why_and_starts_when_its_kind_appears(
        setpoint_api: ApiServer, caplog: pytest.LogCaptureFixture) -> None:
    client = setpoint_api.client
    mgr = Manager(client)
    kind = Kind("late.example.com/v1", "Late")
    reconciled: list[str] = []

    async def reconcile(req: Request) -> None:
        reconciled.append(req.name)

    Builder(mgr).for_(kind).with_options(cache_sync_timeout=0.2).complete(reconcile)
    async with mgr.running():
        def warned() -> list[str]:
            return [r.getMessage() for r in caplog.records if "caches not synced" in r.getMessage()]

        said = await eventually(warned)
        assert said == ["controller late: caches not synced after 0.2 s, still waiting for <Informer "
                        "late.example.com/v1/Late> (404 NotFound: the server does not serve late.example.com/v1/Late "
                        "(discovery))"]
        await install_crd(client, "late.example.com", "Late", "lates")
        await client.create({"apiVersion": kind.api_version, "kind": kind.kind,
                             "metadata": {"name": "l", "namespace": "default"}})
        await eventually(lambda: reconciled == ["l"], timeout=20)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_plain_function_given_as_a_predicate_is_refused(setpoint_api: ApiServer) -> None:
    mgr = Manager(setpoint_api.client)

    def only_labelled(obj: Any) -> bool:
        return bool(obj["metadata"].get("labels"))

    fix = (r"is not a predicate: wrap a function in one, e\.g\. `predicate\.matching\(fn\)` \(every event of "
           r"objects for which fn\(obj\) is true\) or `predicate\.func\(create=\.\.\., update=\.\.\., delete=\.\.\.\)`")
    with pytest.raises(TypeError, match=r"for_\(v1/ConfigMap\): .*only_labelled " + fix):
        Builder(mgr).for_(CM, only_labelled)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"with_event_filter\(\): .*only_labelled " + fix):
        Builder(mgr).with_event_filter(only_labelled)  # type: ignore[arg-type]


async def test_predicate_functions_of_the_wrong_shape_are_refused() -> None:
    from setpoint.runtime import predicate

    async def created(obj: Any) -> bool:
        return True

    with pytest.raises(TypeError, match=r"the create predicate .*created is async: .*write `def create\(obj\) -> bool`"):
        predicate.func(create=created)
    with pytest.raises(TypeError, match=r"the update predicate .*<lambda>\(new\) must take two arguments, the old and "
                                        r"the new object: write `def update\(old, new\) -> bool`"):
        predicate.func(update=lambda new: True)
