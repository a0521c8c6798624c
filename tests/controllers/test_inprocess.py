"""The in-process client against a real registry and object store (memory storage).

Every operation of the runtime's Client protocol, with the server's semantics
(admission, conflicts, finalizers, Status answers) and the runtime's errors; lists
and watches come from the watch cache itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.server import APIServer
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime import errors
from setpoint.runtime.client import Client, PatchType, WatchEvent, items
from setpoint.runtime.informer import FuncHandler, Informer
from setpoint.runtime.resource import Kind, Resource
from setpoint.testing import eventually

CONFIG_MAP = Kind("v1", "ConfigMap")
NAMESPACE = Kind("v1", "Namespace")
TIMEOUT = 5.0


def cm(name: str, namespace: str = "default", **meta: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace, **meta},
            "data": {"k": "v"}}


def test_it_is_a_runtime_client(client: InProcessClient) -> None:
    typed: Client = client  # mypy checks the protocol; this checks nothing is missing at run time
    for op in ("resource", "get", "list", "watch", "create", "update", "update_status", "patch", "apply", "delete", "close"):
        assert callable(getattr(typed, op))


async def test_resource_resolves_kinds_from_the_registry(client: InProcessClient) -> None:
    r = await client.resource(CONFIG_MAP)
    assert (r.plural, r.namespaced, r.api_version) == ("configmaps", True, "v1")
    ns = await client.resource(NAMESPACE)
    assert not ns.namespaced and {"status", "finalize"} <= ns.subresources
    assert await client.resource(r) is r
    with pytest.raises(errors.NotFound):
        await client.resource(Kind("example.com/v1", "Widget"))
    with pytest.raises(errors.NotFound):
        await client.resource(Resource("example.com/v1", "Widget", "widgets", True))


async def test_create_get_update_and_conflict(client: InProcessClient) -> None:
    body = cm("a")
    created = await client.create(body)
    assert created["metadata"]["uid"] and created["metadata"]["resourceVersion"]
    assert "uid" not in body["metadata"], "the caller's object is not changed"

    got = await client.get(CONFIG_MAP, "a", "default")
    assert got == created
    got["data"]["k"] = "changed locally"
    assert (await client.get(CONFIG_MAP, "a", "default"))["data"]["k"] == "v", "get hands out a private copy"

    got["data"]["k"] = "v2"
    updated = await client.update(got)
    assert updated["data"]["k"] == "v2"
    assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    with pytest.raises(errors.Conflict):
        await client.update(got)  # got's resourceVersion is stale now
    with pytest.raises(errors.AlreadyExists):
        await client.create(cm("a"))
    with pytest.raises(errors.NotFound):
        await client.get(CONFIG_MAP, "missing", "default")
    with pytest.raises(errors.Invalid):
        await client.create(cm("Not_A_Name"))


async def test_list_is_the_watch_cache_itself(api: APIServer, client: InProcessClient) -> None:
    await client.create(cm("x", labels={"app": "one"}))
    await client.create(cm("y", labels={"app": "two"}))
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    await client.create(cm("z", namespace="other"))

    listed = await client.list(CONFIG_MAP, "default")
    assert listed["kind"] == "ConfigMapList" and listed["metadata"]["resourceVersion"]
    assert [o["metadata"]["name"] for o in items(listed)] == ["x", "y"]
    r = api.registry.get("", "v1", "configmaps")
    assert r is not None
    cached = api.objects.cacher(r).get(r.key("default", "x"))
    assert cached is not None and items(listed)[0] == cached.obj, "ConfigMaps are held as JSON: decoded"
    await client.create({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa", "namespace": "default"}})
    sa = api.registry.get("", "v1", "serviceaccounts")
    assert sa is not None
    listed_sa = items(await client.list(Kind("v1", "ServiceAccount"), "default"))
    held = api.objects.cacher(sa).get(sa.key("default", "sa"))
    assert held is not None and listed_sa[0] is held.obj, "no copy, no JSON round trip"

    assert len(items(await client.list(CONFIG_MAP))) == 3
    selected = await client.list(CONFIG_MAP, label_selector="app=two")
    assert [o["metadata"]["name"] for o in items(selected)] == ["y"]
    by_field = await client.list(CONFIG_MAP, field_selector="metadata.namespace=other")
    assert [o["metadata"]["name"] for o in items(by_field)] == ["z"]
    with pytest.raises(errors.BadRequest):
        await client.list(CONFIG_MAP, label_selector="app in (")


async def test_patch_types(client: InProcessClient) -> None:
    await client.create(cm("p", labels={"a": "1"}))
    merged = await client.patch(CONFIG_MAP, "p", {"data": {"n": "1"}, "metadata": {"labels": {"a": None}}}, "default")
    assert merged["data"] == {"k": "v", "n": "1"} and not merged["metadata"].get("labels")
    jsoned = await client.patch(CONFIG_MAP, "p", [{"op": "replace", "path": "/data/k", "value": "j"}], "default",
                                type=PatchType.JSON)
    assert jsoned["data"]["k"] == "j"
    strategic = await client.patch(CONFIG_MAP, "p", {"metadata": {"finalizers": ["example.com/f"]}}, "default",
                                   type=PatchType.STRATEGIC)
    assert strategic["metadata"]["finalizers"] == ["example.com/f"]
    with pytest.raises(errors.Conflict):  # a resourceVersion in the patch is a precondition
        await client.patch(CONFIG_MAP, "p", {"metadata": {"resourceVersion": "1"}, "data": {"k": "x"}}, "default")
    with pytest.raises(errors.NotFound):
        await client.patch(CONFIG_MAP, "nope", {"data": {}}, "default")
    applied = await client.patch(CONFIG_MAP, "new", cm("new"), "default", type=PatchType.APPLY, field_manager="t")
    assert applied["metadata"]["uid"], "apply creates what does not exist"


async def test_status_subresource_and_finalize(client: InProcessClient) -> None:
    ns = await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "st"}})
    ns["status"] = {"phase": "Active", "conditions": [{"type": "X", "status": "True"}]}
    ns["metadata"]["labels"]["ignored"] = "by /status"
    written = await client.update_status(ns)
    assert written["status"]["conditions"] == [{"type": "X", "status": "True"}]
    assert "ignored" not in written["metadata"]["labels"]
    patched = await client.patch(NAMESPACE, "st", {"status": {"phase": "Active", "conditions": []}},
                                 subresource="status")
    assert patched["status"]["conditions"] == []


async def test_delete_answers_a_status_or_the_object_kept_by_finalizers(client: InProcessClient) -> None:
    created = await client.create(cm("d"))
    status = await client.delete(CONFIG_MAP, "d", "default")
    assert (status["kind"], status["status"]) == ("Status", "Success")
    assert status["details"] == {"name": "d", "kind": "configmaps", "uid": created["metadata"]["uid"]}
    with pytest.raises(errors.NotFound):
        await client.delete(CONFIG_MAP, "d", "default")

    await client.create(cm("held", finalizers=["example.com/hold"]))
    kept = await client.delete(CONFIG_MAP, "held", "default")
    assert kept["metadata"]["deletionTimestamp"] and kept["metadata"]["finalizers"] == ["example.com/hold"]
    await client.create(cm("pre"))
    with pytest.raises(errors.Conflict):
        await client.delete(CONFIG_MAP, "pre", "default", preconditions={"uid": "not-its-uid"})


async def _next(stream: Any) -> WatchEvent:
    event: WatchEvent = await asyncio.wait_for(stream.__anext__(), TIMEOUT)
    return event


async def test_watch_from_a_list_sees_every_change(client: InProcessClient) -> None:
    await client.create(cm("before"))
    listed = await client.list(CONFIG_MAP, "default")
    stream = await client.watch(CONFIG_MAP, "default", resource_version=listed["metadata"]["resourceVersion"],
                                timeout_seconds=60)
    try:
        created = await client.create(cm("w"))
        event = await _next(stream)
        assert (event.type, event.object["metadata"]["name"]) == ("ADDED", "w")
        assert event.object["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
        await client.patch(CONFIG_MAP, "w", {"data": {"k": "2"}}, "default")
        event = await _next(stream)
        assert (event.type, event.object["data"]["k"]) == ("MODIFIED", "2")
        await client.delete(CONFIG_MAP, "w", "default")
        assert (await _next(stream)).type == "DELETED"
    finally:
        stream.close()
    with pytest.raises(StopAsyncIteration):
        await _next(stream)


async def test_watch_without_a_resource_version_starts_with_the_current_objects(client: InProcessClient) -> None:
    await client.create(cm("one", labels={"w": "yes"}))
    await client.create(cm("two"))
    stream = await client.watch(CONFIG_MAP, "default", label_selector="w=yes", timeout_seconds=60)
    try:
        event = await _next(stream)
        assert (event.type, event.object["metadata"]["name"]) == ("ADDED", "one")
        # Leaving the selected set is a DELETED, as a watch request sees it.
        await client.patch(CONFIG_MAP, "one", {"metadata": {"labels": {"w": "no"}}}, "default")
        assert (await _next(stream)).type == "DELETED"
    finally:
        stream.close()


async def test_watch_ends_after_its_timeout(client: InProcessClient) -> None:
    stream = await client.watch(CONFIG_MAP, "default", resource_version="0", timeout_seconds=0)
    with pytest.raises(StopAsyncIteration):
        await _next(stream)


async def test_an_informer_runs_over_it(client: InProcessClient) -> None:
    await client.create(cm("seen"))
    informer = Informer(client, CONFIG_MAP, namespace="default")
    added: asyncio.Queue[str] = asyncio.Queue()
    informer.add_handler(FuncHandler(on_add=lambda obj: added.put_nowait(obj["metadata"]["name"])))
    informer.start()
    try:
        await asyncio.wait_for(informer.wait_synced(), TIMEOUT)
        assert await asyncio.wait_for(added.get(), TIMEOUT) == "seen"
        await client.create(cm("later"))
        assert await asyncio.wait_for(added.get(), TIMEOUT) == "later"
        assert informer.store.get("default/later") is not None
    finally:
        await informer.stop()


def _managers(obj: Obj) -> dict[str, Obj]:
    return {e["manager"]: e for e in obj["metadata"].get("managedFields", [])}


async def test_writes_record_managed_fields_and_apply_is_server_side_apply(client: InProcessClient) -> None:
    created = await client.create(cm("mf"))
    entry = _managers(created)["kube-controller-manager"]
    assert entry["operation"] == "Update" and entry["fieldsV1"] == {"f:data": {".": {}, "f:k": {}}}
    created["data"]["k"] = "w"
    updated = await client.update(created, field_manager="editor")
    assert _managers(updated)["editor"]["fieldsV1"] == {"f:data": {"f:k": {}}}

    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mf", "namespace": "default"},
              "data": {"k": "applied", "a": "1"}}
    with pytest.raises(errors.Conflict) as conflict:  # editor owns data.k
        await client.patch(CONFIG_MAP, "mf", config, "default", type=PatchType.APPLY, field_manager="applier")
    assert "conflict with \"editor\"" in str(conflict.value)
    applied = await client.apply(config, field_manager="applier", force=True)
    assert applied["data"] == {"k": "applied", "a": "1"}
    assert _managers(applied)["applier"]["operation"] == "Apply"
    # Dropping a field from the applied configuration removes it.
    config["data"] = {"k": "applied"}
    again = await client.patch(CONFIG_MAP, "mf", config, "default", type=PatchType.APPLY, field_manager="applier")
    assert again["data"] == {"k": "applied"}
    with pytest.raises(errors.Invalid):
        await client.patch(CONFIG_MAP, "mf", config, "default", type=PatchType.APPLY)  # no fieldManager


async def test_crd_status_is_written_by_kube_apiserver(client: InProcessClient) -> None:
    crd = await client.create({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": {"type": "object"}}}]}})

    async def established() -> Obj | None:
        got = await client.get(Kind("apiextensions.k8s.io/v1", "CustomResourceDefinition"), crd["metadata"]["name"])
        return got if "kube-apiserver" in _managers(got) else None

    got = await eventually(established)
    entry = _managers(got)["kube-apiserver"]
    assert entry["subresource"] == "status" and entry["operation"] == "Update"
    assert "f:conditions" in entry["fieldsV1"]["f:status"]


async def test_a_kind_held_as_json_is_paged_from_one_snapshot_of_the_cache(client: InProcessClient) -> None:
    """ConfigMaps are decoded for each reader: a list with a limit decodes a page at a time, every page
    from the objects as they were at the first page's revision."""
    for name in "abcde":
        await client.create(cm(name))
    first = await client.list(CONFIG_MAP, "default", limit=2)
    rv, token = first["metadata"]["resourceVersion"], first["metadata"]["continue"]
    assert [o["metadata"]["name"] for o in items(first)] == ["a", "b"]
    changed = await client.get(CONFIG_MAP, "d", "default")
    changed["data"] = {"k": "changed"}
    await client.update(changed)
    await client.delete(CONFIG_MAP, "e", "default")
    second = await client.list(CONFIG_MAP, "default", limit=2, continue_token=token)
    assert [o["metadata"]["name"] for o in items(second)] == ["c", "d"]
    assert items(second)[1]["data"] == {"k": "v"}, "the snapshot's d, not the newer one"
    assert second["metadata"]["resourceVersion"] == rv
    last = await client.list(CONFIG_MAP, "default", limit=2, continue_token=second["metadata"]["continue"])
    assert [o["metadata"]["name"] for o in items(last)] == ["e"] and "continue" not in last["metadata"]
    with pytest.raises(errors.Gone):  # a snapshot's token serves once; one let go is 410 Expired
        await client.list(CONFIG_MAP, "default", limit=2, continue_token=token)
    # without a limit, or for kinds held decoded, the whole list at once
    assert len(items(await client.list(CONFIG_MAP, "default"))) == 4
    assert "continue" not in (await client.list(Kind("v1", "Namespace"), limit=1))["metadata"]
