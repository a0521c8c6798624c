"""The garbage collector's graph holds only what it needs: objects that own nothing known and are
owned by nothing have no node, and still cascade as kube's do -- in the background, in the
foreground, orphaning -- and an owner deleted while the collector's watch was down is noticed by the
re-list.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from gc_helpers import cm, gone, ref

from setpoint.apimachinery.types import Obj
from setpoint.controllers.garbagecollector import GarbageCollector, add_garbage_collector
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime import metrics
from setpoint.runtime.manager import Manager
from setpoint.runtime.notifier import Notifier
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

CONFIG_MAP = Kind("v1", "ConfigMap")
SECRET = Kind("v1", "Secret")
TIMEOUT = 10.0


@pytest.fixture
async def gc(client: InProcessClient) -> AsyncIterator[GarbageCollector]:
    manager = Manager(client)
    collector = add_garbage_collector(manager, client)
    async with manager.running():
        await eventually(lambda: manager.ready, timeout=TIMEOUT)
        yield collector





async def owner_first(client: InProcessClient, gc: GarbageCollector, *children: tuple[str, bool]) -> Obj:
    """An owner created before its dependents (``(name, blockOwnerDeletion)``): it never gets a node,
    its dependents wait for it in ``pending``."""
    owner = await cm(client, "owner")
    for name, block in children:
        await cm(client, name, ref(owner, block=block))
    uid = owner["metadata"]["uid"]
    await eventually(lambda: len(gc.pending.get(uid, ())) == len(children), timeout=TIMEOUT)
    assert uid not in gc.nodes
    return owner


async def test_objects_that_own_nothing_and_are_owned_by_nothing_have_no_node(
        client: InProcessClient, gc: GarbageCollector) -> None:
    plain = [await cm(client, f"plain-{i}") for i in range(20)]
    owner = await owner_first(client, gc, ("child", False))
    child = await client.get(CONFIG_MAP, "child", "default")
    assert child["metadata"]["uid"] in gc.nodes, "a dependent has a node: its owners are verified"
    assert not any(p["metadata"]["uid"] in gc.nodes for p in plain)
    # its owner reference removed, the dependent needs no node any more
    meta = {k: v for k, v in child["metadata"].items() if k != "ownerReferences"}
    await client.update({**child, "metadata": meta})
    await eventually(lambda: child["metadata"]["uid"] not in gc.nodes and not gc.pending, timeout=TIMEOUT)
    assert owner["metadata"]["uid"] not in gc.nodes


async def test_an_owner_without_a_node_deleted_in_the_background(client: InProcessClient, gc: GarbageCollector) -> None:
    await owner_first(client, gc, ("child-1", False), ("child-2", True))
    await client.delete(CONFIG_MAP, "owner", "default")
    for name in ("child-1", "child-2"):
        await eventually(lambda n=name: gone(client, CONFIG_MAP, n), timeout=TIMEOUT)  # type: ignore[misc]
    await eventually(lambda: not gc.nodes and not gc.pending, timeout=TIMEOUT)


async def test_an_owner_without_a_node_deleted_in_the_foreground(client: InProcessClient, gc: GarbageCollector) -> None:
    owner = await owner_first(client, gc, ("blocking", True), ("plain", False))
    blocking = await client.get(CONFIG_MAP, "blocking", "default")
    await client.update({**blocking, "metadata": {**blocking["metadata"], "finalizers": ["example.com/hold"]}})
    await client.delete(CONFIG_MAP, "owner", "default", propagation_policy="Foreground")
    await eventually(lambda: gone(client, CONFIG_MAP, "plain"), timeout=TIMEOUT)

    async def held() -> bool:
        o = await client.get(CONFIG_MAP, "owner", "default")
        b = await client.get(CONFIG_MAP, "blocking", "default")
        return bool(b["metadata"].get("deletionTimestamp")) and o["metadata"]["finalizers"] == ["foregroundDeletion"]

    await eventually(held, timeout=TIMEOUT)
    assert gc.nodes[owner["metadata"]["uid"]].waiting_for_dependents(), "being deleted in the foreground: a node"
    blocking = await client.get(CONFIG_MAP, "blocking", "default")
    await client.update({**blocking, "metadata": {**blocking["metadata"], "finalizers": []}})
    await eventually(lambda: gone(client, CONFIG_MAP, "owner"), timeout=TIMEOUT)
    await eventually(lambda: not gc.nodes and not gc.pending, timeout=TIMEOUT)


async def test_an_owner_without_a_node_orphans_its_dependents(client: InProcessClient, gc: GarbageCollector) -> None:
    other = await cm(client, "other")
    owner = await owner_first(client, gc, ("only-child", False))
    await cm(client, "child", ref(owner), ref(other))
    await client.delete(CONFIG_MAP, "owner", "default", propagation_policy="Orphan")
    await eventually(lambda: gone(client, CONFIG_MAP, "owner"), timeout=TIMEOUT)
    only = await client.get(CONFIG_MAP, "only-child", "default")
    assert "ownerReferences" not in only["metadata"]
    child = await client.get(CONFIG_MAP, "child", "default")
    assert [r["name"] for r in child["metadata"]["ownerReferences"]] == ["other"]
    await eventually(lambda: only["metadata"]["uid"] not in gc.nodes, timeout=TIMEOUT)


async def test_a_relist_notices_an_owner_deleted_while_the_watch_was_down(
        client: InProcessClient, gc: GarbageCollector) -> None:
    await owner_first(client, gc, ("child", False))
    secret_owner = await client.create({"apiVersion": "v1", "kind": "Secret",
                                        "metadata": {"name": "s", "namespace": "default"}})
    await cm(client, "secret-child", ref(secret_owner))
    await eventually(lambda: secret_owner["metadata"]["uid"] in gc.pending, timeout=TIMEOUT)
    notifier = gc.watched[("", "configmaps")][0]
    assert isinstance(notifier, Notifier)
    lists = notifier.lists
    await notifier.stop()  # the watch of ConfigMaps is down while the owner goes
    await client.delete(CONFIG_MAP, "owner", "default")
    notifier.start()
    await eventually(lambda: notifier.lists > lists, timeout=TIMEOUT)
    await eventually(lambda: gone(client, CONFIG_MAP, "child"), timeout=TIMEOUT)
    # an owner of another kind, still there, keeps its dependent
    assert not await gone(client, CONFIG_MAP, "secret-child")
    assert secret_owner["metadata"]["uid"] in gc.pending


def reconciles() -> float:
    return sum(metrics.REGISTRY.get_sample_value("controller_runtime_reconcile_total",
                                                 {"controller": "garbagecollector", "result": result}) or 0.0
               for result in ("success", "requeue", "requeue_after", "error"))


async def test_a_dependent_of_an_owner_the_graph_has_seen_is_not_verified_unless_its_reference_differs(
        client: InProcessClient, gc: GarbageCollector) -> None:
    # As kube's graph builder: a new dependent's owners are looked up only when one of them is not
    # an object the graph has seen, or the reference does not match what it saw.
    grand = await cm(client, "grand")
    owner = await cm(client, "owner", ref(grand))  # owned: a node of the graph
    await eventually(lambda: owner["metadata"]["uid"] in gc.nodes, timeout=TIMEOUT)
    assert gc.controller is not None
    queue = gc.controller.queue

    async def settled(uid: str) -> bool:
        return uid in gc.nodes and not len(queue) and not queue.processing

    await eventually(lambda: settled(owner["metadata"]["uid"]), timeout=TIMEOUT)
    before = reconciles()
    child = await cm(client, "child", ref(owner))
    await eventually(lambda: settled(child["metadata"]["uid"]), timeout=TIMEOUT)
    assert reconciles() == before
    # the same owner's uid under another name: looked up, found gone, the dependent collected
    await cm(client, "misnamed", {**ref(owner), "name": "someone-else"})
    await eventually(lambda: gone(client, CONFIG_MAP, "misnamed"), timeout=TIMEOUT)
    assert reconciles() > before
    assert not await gone(client, CONFIG_MAP, "child")
