"""The garbage collector with the API server in-process: background, foreground and orphan
cascades, owners that never existed or were recreated, custom-resource owners, chains and
owner references kube cannot resolve.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator

import pytest
from gc_helpers import cm, gone, ref

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.server import APIServer
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.manager import ControllerManager
from setpoint.runtime import conditions, errors
from setpoint.runtime.client import items
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

CONFIG_MAP = Kind("v1", "ConfigMap")
SECRET = Kind("v1", "Secret")
NAMESPACE = Kind("v1", "Namespace")
EVENT = Kind("v1", "Event")
CRD = Kind("apiextensions.k8s.io/v1", "CustomResourceDefinition")
TIMEOUT = 10.0

GADGET_CRD: Obj = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
        "versions": [{
            "name": "v1", "served": True, "storage": True,
            "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
        }],
    },
}


@pytest.fixture
async def controllers(api: APIServer) -> AsyncIterator[ControllerManager]:
    cm = ControllerManager(api.registry, api.objects)
    await cm.start()
    try:
        yield cm
    finally:
        await cm.stop()




async def exists(client: InProcessClient, kind: Kind, name: str, namespace: str | None = "default") -> Obj | None:
    try:
        return await client.get(kind, name, namespace)
    except errors.NotFound:
        return None



async def test_background_deletes_dependents(client: InProcessClient, controllers: ControllerManager) -> None:
    owner = await cm(client, "owner")
    await cm(client, "child-1", ref(owner))
    await client.create({"apiVersion": "v1", "kind": "Secret",
                         "metadata": {"name": "child-2", "namespace": "default", "ownerReferences": [ref(owner)]}})
    await client.delete(CONFIG_MAP, "owner", "default")
    await eventually(lambda: gone(client, CONFIG_MAP, "child-1"), timeout=TIMEOUT)
    await eventually(lambda: gone(client, SECRET, "child-2"), timeout=TIMEOUT)


async def test_a_dependent_of_an_owner_that_never_existed_is_deleted(
        client: InProcessClient, controllers: ControllerManager) -> None:
    ghost = {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": "00000000-0000-0000-0000-000000000001"}
    await cm(client, "orphaned", ghost)
    await eventually(lambda: gone(client, CONFIG_MAP, "orphaned"), timeout=TIMEOUT)


async def test_an_owner_recreated_with_another_uid_is_gone(
        client: InProcessClient, controllers: ControllerManager) -> None:
    first = await cm(client, "owner")
    await client.delete(CONFIG_MAP, "owner", "default")
    await cm(client, "owner")  # same name, new uid
    await cm(client, "child", ref(first))
    await eventually(lambda: gone(client, CONFIG_MAP, "child"), timeout=TIMEOUT)
    assert await exists(client, CONFIG_MAP, "owner") is not None


async def test_a_live_owner_keeps_its_dependents_and_dead_refs_are_dropped(
        client: InProcessClient, controllers: ControllerManager) -> None:
    live = await cm(client, "live")
    ghost = {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": "00000000-0000-0000-0000-000000000002"}
    await cm(client, "child", ref(live), ghost)

    async def one_ref() -> bool:
        child = await client.get(CONFIG_MAP, "child", "default")
        return [r["uid"] for r in child["metadata"]["ownerReferences"]] == [live["metadata"]["uid"]]

    await eventually(one_ref, timeout=TIMEOUT)


async def test_foreground_keeps_the_owner_until_blocking_dependents_are_gone(
        client: InProcessClient, controllers: ControllerManager) -> None:
    owner = await cm(client, "owner")
    await cm(client, "blocking", ref(owner, block=True), finalizers=["example.com/hold"])
    await cm(client, "plain", ref(owner))
    await client.delete(CONFIG_MAP, "owner", "default", propagation_policy="Foreground")

    async def blocking_deleting() -> bool:
        b = await exists(client, CONFIG_MAP, "blocking")
        return b is not None and bool(b["metadata"].get("deletionTimestamp"))

    await eventually(blocking_deleting, timeout=TIMEOUT)
    await eventually(lambda: gone(client, CONFIG_MAP, "plain"), timeout=TIMEOUT)
    held = await client.get(CONFIG_MAP, "owner", "default")
    assert held["metadata"]["deletionTimestamp"]
    assert held["metadata"]["finalizers"] == ["foregroundDeletion"]
    blocking = await client.get(CONFIG_MAP, "blocking", "default")
    await client.update({**blocking, "metadata": {**blocking["metadata"], "finalizers": []}})
    await eventually(lambda: gone(client, CONFIG_MAP, "owner"), timeout=TIMEOUT)


async def test_orphan_keeps_dependents_and_removes_the_refs(
        client: InProcessClient, controllers: ControllerManager) -> None:
    owner = await cm(client, "owner")
    other = await cm(client, "other")
    await cm(client, "child", ref(owner), ref(other))
    await cm(client, "only-child", ref(owner))
    await client.delete(CONFIG_MAP, "owner", "default", propagation_policy="Orphan")
    await eventually(lambda: gone(client, CONFIG_MAP, "owner"), timeout=TIMEOUT)
    child = await client.get(CONFIG_MAP, "child", "default")
    assert [r["name"] for r in child["metadata"]["ownerReferences"]] == ["other"]
    only = await client.get(CONFIG_MAP, "only-child", "default")
    assert "ownerReferences" not in only["metadata"]


async def test_a_chain_is_collected(client: InProcessClient, controllers: ControllerManager) -> None:
    owner = await cm(client, "owner")
    child = await cm(client, "child", ref(owner, block=True))
    await cm(client, "grandchild", ref(child, block=True))
    await client.delete(CONFIG_MAP, "owner", "default", propagation_policy="Foreground")
    for name in ("grandchild", "child", "owner"):
        await eventually(lambda n=name: gone(client, CONFIG_MAP, n), timeout=TIMEOUT)  # type: ignore[misc]


async def test_a_custom_resource_owner(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(copy.deepcopy(GADGET_CRD))

    async def served() -> bool:
        crd = await client.get(CRD, "gadgets.example.com")
        return conditions.is_true(crd["status"].get("conditions"), "Established")

    await eventually(served, timeout=TIMEOUT)
    gadget = await client.create({"apiVersion": "example.com/v1", "kind": "Gadget",
                                  "metadata": {"name": "g", "namespace": "default"}})
    child = await client.create({"apiVersion": "example.com/v1", "kind": "Gadget",
                                 "metadata": {"name": "g-child", "namespace": "default",
                                              "ownerReferences": [ref(gadget)]}})
    await cm(client, "g-config", ref(gadget))
    await cm(client, "g-grandchild", ref(child))
    await client.delete(Kind("example.com/v1", "Gadget"), "g", "default")
    await eventually(lambda: gone(client, CONFIG_MAP, "g-config"), timeout=TIMEOUT)
    await eventually(lambda: gone(client, CONFIG_MAP, "g-grandchild"), timeout=TIMEOUT)

    gadget_kind = Kind("example.com/v1", "Gadget")
    assert any(i.kind == gadget_kind for i in controllers.manager.cache.informers)
    await client.delete(CRD, "gadgets.example.com")

    async def released() -> bool:
        return await gone(client, CRD, "gadgets.example.com", None) and not any(
            i.kind == gadget_kind for i in controllers.manager.cache.informers)

    await eventually(released, timeout=TIMEOUT)


async def test_owner_refs_across_namespaces(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    owner = await cm(client, "owner")
    # A namespaced owner in another namespace is absent: the dependent goes, with an event.
    await cm(client, "elsewhere", ref(owner), namespace="other")
    await eventually(lambda: gone(client, CONFIG_MAP, "elsewhere", "other"), timeout=TIMEOUT)
    # A cluster-scoped dependent of a namespaced owner cannot be resolved: it stays, with an event.
    await client.create({"apiVersion": "v1", "kind": "Namespace",
                         "metadata": {"name": "owned-ns", "ownerReferences": [ref(owner)]}})

    async def warned() -> list[Obj]:
        found = [e for e in items(await client.list(EVENT))
                 if e.get("reason") == "OwnerRefInvalidNamespace"]
        assert {e["involvedObject"]["name"] for e in found} == {"elsewhere", "owned-ns"}, found
        return found

    found = await eventually(warned, timeout=TIMEOUT)
    uid = owner["metadata"]["uid"]
    messages = {e["involvedObject"]["name"]: e["message"] for e in found}
    assert messages["owned-ns"] == (f"ownerRef [v1/ConfigMap, namespace: , name: owner, uid: {uid}] "
                                    'does not exist in namespace ""')
    assert messages["elsewhere"] == (f"ownerRef [v1/ConfigMap, namespace: other, name: owner, uid: {uid}] "
                                     'does not exist in namespace "other"')
    assert all(e["type"] == "Warning" for e in found)
    assert await exists(client, NAMESPACE, "owned-ns", None) is not None
    # A namespaced dependent of a cluster-scoped owner is fine.
    ns = await client.get(NAMESPACE, "owned-ns")
    await cm(client, "of-a-namespace", ref(ns))
    await client.delete(NAMESPACE, "other")


async def test_delete_options_set_the_gc_finalizers_as_kube(client: InProcessClient) -> None:
    """No collector here: what DELETE leaves (deletionFinalizersForGarbageCollection)."""
    await cm(client, "x", finalizers=["example.com/hold"])

    async def delete(policy: str | None) -> list[str]:
        out = await client.delete(CONFIG_MAP, "x", "default", propagation_policy=policy)
        assert out["metadata"]["deletionTimestamp"]
        return list(out["metadata"]["finalizers"])

    assert await delete("Orphan") == ["example.com/hold", "orphan"]
    assert await delete(None) == ["example.com/hold", "orphan"], "an existing gc finalizer stays"
    assert await delete("Foreground") == ["example.com/hold", "foregroundDeletion"], "an explicit policy wins"
    assert await delete("Background") == ["example.com/hold"]
    assert await delete(None) == ["example.com/hold"], "DeleteDependents is the default: no finalizer"
