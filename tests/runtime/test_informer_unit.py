"""Informer bookkeeping (store swaps, handler dispatch), fed by a fake list/watch: no server."""

from __future__ import annotations

from typing import Any

from runtime_fakes import FakeListWatch, FakeStream, cm, page

from setpoint.runtime import store, watcher
from setpoint.runtime.backoff import Backoff
from setpoint.runtime.informer import FuncHandler, Informer
from setpoint.runtime.resource import Kind


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def handler(self) -> FuncHandler:
        return FuncHandler(
            on_add=lambda o: self.events.append(("add", o["metadata"]["name"], o["metadata"]["resourceVersion"])),
            on_update=lambda old, new: self.events.append(("update", new["metadata"]["name"],
                                                           new["metadata"]["resourceVersion"])),
            on_delete=lambda o: self.events.append(("delete", o["metadata"]["name"],
                                                    o["metadata"]["resourceVersion"])))


async def feed(informer: Informer, lw: FakeListWatch, stop_after: int) -> None:
    """Consume watcher events until ``stop_after`` non-failure events went by."""
    count = 0

    async def limited() -> Any:
        nonlocal count
        gen = watcher.watch(lw, backoff=Backoff(rand=lambda: 0.0, initial=0.001, maximum=0.001))
        async for ev in gen:
            yield ev
            count += 1
            if count >= stop_after:
                await gen.aclose()
                return

    await informer.consume(limited())


async def test_relist_swaps_and_reports_only_differences() -> None:
    inf = Informer(client=None, kind=Kind("v1", "ConfigMap"))
    rec = Recorder()
    inf.add_handler(rec.handler())
    lw = FakeListWatch()
    gone = {"kind": "Status", "code": 410, "reason": "Expired"}
    lw.lists.extend([page([cm("a", "1"), cm("b", "2")], rv="2"),
                     page([cm("b", "2"), cm("c", "5"), cm("a", "4")], rv="5")])
    lw.watches.extend([FakeStream([("ERROR", gone)]), FakeStream([])])
    await feed(inf, lw, stop_after=7)  # Init Page InitDone Failed Init Page InitDone
    assert rec.events == [("add", "a", "1"), ("add", "b", "2"),
                          ("add", "c", "5"), ("update", "a", "4")]
    assert sorted(inf.store.keys()) == ["default/a", "default/b", "default/c"]
    assert inf.lists == 2 and inf.has_synced and inf.failures == 1


async def test_objects_gone_while_not_watching_are_deleted_on_relist() -> None:
    inf = Informer(client=None, kind=Kind("v1", "ConfigMap"))
    rec = Recorder()
    inf.add_handler(rec.handler())
    lw = FakeListWatch()
    lw.lists.extend([page([cm("a", "1"), cm("b", "2")], rv="2"), page([cm("b", "2")], rv="9")])
    lw.watches.extend([FakeStream([("ERROR", {"code": 410, "reason": "Expired"})]), FakeStream([])])
    await feed(inf, lw, stop_after=7)
    assert ("delete", "a", "1") in rec.events
    assert inf.store.keys() == ["default/b"]


async def test_watch_events_update_store_and_indexes() -> None:
    inf = Informer(client=None, kind=Kind("v1", "ConfigMap"), indexers={"owner": store.by_owner_uid})
    rec = Recorder()
    inf.add_handler(rec.handler())
    owned = cm("x", "3")
    owned["metadata"]["ownerReferences"] = [{"uid": "u1", "kind": "P", "name": "p", "apiVersion": "v1"}]
    lw = FakeListWatch()
    lw.lists.append(page([], rv="2"))
    lw.watches.append(FakeStream([("ADDED", owned), ("MODIFIED", cm("x", "4")), ("ADDED", cm("y", "5", "other")),
                                  ("DELETED", cm("y", "6", "other"))]))
    await feed(inf, lw, stop_after=6)
    assert rec.events == [("add", "x", "3"), ("update", "x", "4"), ("add", "y", "5"), ("delete", "y", "6")]
    assert inf.store.by_index("owner", "u1") == [], "the index follows the new version (no owner)"
    assert [o["metadata"]["name"] for o in inf.store.list("default")] == ["x"]
    assert inf.store.list("other") == []


async def test_late_handler_is_told_about_cached_objects() -> None:
    inf = Informer(client=None, kind=Kind("v1", "ConfigMap"))
    lw = FakeListWatch()
    lw.lists.append(page([cm("a", "1")], rv="1"))
    lw.watches.append(FakeStream([]))
    await feed(inf, lw, stop_after=3)
    rec = Recorder()
    inf.add_handler(rec.handler())
    assert rec.events == [("add", "a", "1")]


def test_store_label_selection_and_custom_index() -> None:
    s = store.Store({store.LABEL: store.by_label, "first-letter": lambda o: [o["metadata"]["name"][0]]})
    for name, labels in [("alpha", {"app": "web", "tier": "fe"}), ("beta", {"app": "web"}), ("gamma", {})]:
        obj = cm(name, "1")
        obj["metadata"]["labels"] = labels
        s.upsert(obj)

    def names(objs: list[store.Obj]) -> list[str]:
        return sorted(o["metadata"]["name"] for o in objs)

    assert names(s.list(label_selector="app=web")) == ["alpha", "beta"]
    assert names(s.list(label_selector="app=web,tier!=fe")) == ["beta"]
    assert names(s.list(label_selector="tier notin (fe)")) == ["beta", "gamma"]
    assert names(s.list(label_selector="!app")) == ["gamma"]
    assert names(s.list(label_selector="app in (web, db),tier")) == ["alpha"]
    assert names(s.by_index("first-letter", "b")) == ["beta"]
    s.delete("default/beta")
    assert names(s.list(label_selector="app=web")) == ["alpha"]
    assert s.index_keys(store.LABEL, "app=web") == {"default/alpha"}
