"""The API server in-process: requests built by hand and passed to ``APIServer.handle``.

The server runs on memory storage at port 0; only the streaming test goes over HTTP.
Waits are on the watch cache (a snapshot, then events) with timeouts, never on sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any, cast

import aiohttp
import orjson
import pytest
from apiserver_helpers import WIDGET_CRD, call_raw

from setpoint.apiserver.http import Request, StreamingResponse
from setpoint.apiserver.registry.cacher import DELETED
from setpoint.apiserver.registry.objectstore import EXPIRED_CONTINUE
from setpoint.apiserver.registry.resources import Resource
from setpoint.apiserver.server import APIServer
from setpoint.controllers.manager import ControllerManager

TIMEOUT = 5.0
Obj = dict[str, Any]

CMS = "/api/v1/namespaces/{}/configmaps"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
WIDGETS = "/apis/example.com/v1/namespaces/{}/widgets"



async def call(api: APIServer, method: str, path: str, body: Any = None, *, query: str = "",
               content_type: str = "application/json") -> tuple[int, Obj]:
    status, raw = await call_raw(api, method, path, body, query=query, content_type=content_type)
    out: Obj = orjson.loads(raw)
    return status, out


def cm(name: str, data: str = "v", **meta: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **meta}, "data": {"k": data}}


def ns(name: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def resource(api: APIServer, group: str, version: str, plural: str) -> Resource:
    r = api.registry.get(group, version, plural)
    assert r is not None, (group, version, plural)
    return r


async def revision(api: APIServer) -> int:
    return await api.storage.current_revision()


async def wait_until(api: APIServer, r: Resource, predicate: Callable[[dict[str, Obj]], bool],
                     timeout: float = TIMEOUT) -> dict[str, Obj]:
    """Follow ``r``'s watch cache (snapshot, then events) until ``predicate(objects by key)``."""
    c = api.objects.cacher(r)
    await asyncio.wait_for(c.wait_ready(), timeout)
    w, _ = c.watch(r.key_prefix, 0, None, initial_events=True)
    state: dict[str, Obj] = {}

    def apply(batch: list[Any]) -> None:
        for type_, ev, _ in batch:
            if type_ == DELETED:
                state.pop(ev.obj.key, None)
            else:
                state[ev.obj.key] = ev.obj.obj

    try:
        async with asyncio.timeout(timeout):
            apply(await w.next_batch(0))  # the snapshot
            while not predicate(state):
                apply(await w.next_batch(None))
    finally:
        w.close()
    return state


async def open_watch(api: APIServer, path: str, query: str) -> AsyncGenerator[bytes, None]:
    response = await api.handle(Request("GET", path, query_string=query.encode()))
    assert isinstance(response, StreamingResponse) and response.status == 200
    return cast(AsyncGenerator[bytes, None], response.chunks)


async def next_events(chunks: AsyncGenerator[bytes, None]) -> list[Obj]:
    chunk = await asyncio.wait_for(anext(chunks), TIMEOUT)
    return [orjson.loads(line) for line in chunk.splitlines() if line]


# --- basics ---------------------------------------------------------------------------


async def test_create_get_and_a_quiet_prefix_read_right_after(api: APIServer) -> None:
    status, created = await call(api, "POST", CMS.format("default"), cm("a"))
    assert status == 201 and created["metadata"]["resourceVersion"] == str(await revision(api))
    assert created["metadata"]["uid"] and created["metadata"]["creationTimestamp"]
    # Namespaces saw no write since start: a consistent read of them must not wait for one.
    status, default = await asyncio.wait_for(call(api, "GET", "/api/v1/namespaces/default"), 1.0)
    assert status == 200 and default["status"]["phase"] == "Active"
    status, got = await call(api, "GET", CMS.format("default") + "/a")
    assert status == 200 and got == created

    status, body = await call(api, "POST", CMS.format("default"), cm("b", resourceVersion="3"))
    assert status in (400, 500) and body["message"] == "resourceVersion should not be set on objects to be created"


async def test_update_conflict_and_noop_over_handle(api: APIServer) -> None:
    _, created = await call(api, "POST", CMS.format("default"), cm("a"))
    before = await revision(api)
    status, same = await call(api, "PUT", CMS.format("default") + "/a", created)
    assert status == 200 and same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert await revision(api) == before
    status, _ = await call(api, "PUT", CMS.format("default") + "/a", {**created, "data": {"k": "2"}})
    assert status == 200
    status, body = await call(api, "PUT", CMS.format("default") + "/a", {**created, "data": {"k": "3"}})
    assert status == 409 and body["reason"] == "Conflict"
    assert body["message"] == ('Operation cannot be fulfilled on configmaps "a": the object has been modified; '
                               "please apply your changes to the latest version and try again")


async def test_delete_preconditions_from_delete_options(api: APIServer) -> None:
    _, created = await call(api, "POST", CMS.format("default"), cm("a"))
    uid = created["metadata"]["uid"]
    options = {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": "other"}}
    status, body = await call(api, "DELETE", CMS.format("default") + "/a", options)
    assert status == 409 and body["reason"] == "Conflict"
    assert body["message"] == (f'Operation cannot be fulfilled on ConfigMap "a": the UID in the precondition (other) '
                               f"does not match the UID in record ({uid}). The object might have been deleted and "
                               "then recreated")
    assert body["details"] == {"name": "a", "kind": "ConfigMap"}
    options["preconditions"] = {"uid": uid, "resourceVersion": created["metadata"]["resourceVersion"]}
    status, body = await call(api, "DELETE", CMS.format("default") + "/a", options)
    assert status == 200 and body["status"] == "Success" and body["details"]["uid"] == uid


async def test_dry_run_changes_nothing_over_handle(api: APIServer) -> None:
    path = CMS.format("default")
    _, created = await call(api, "POST", path, cm("a"))
    before = await revision(api)
    dry = "dryRun=All"
    status, out = await call(api, "POST", path, cm("b"), query=dry)
    assert status == 201 and out["metadata"]["name"] == "b"
    status, out = await call(api, "PUT", path + "/a", {**created, "data": {"k": "put"}}, query=dry)
    assert status == 200 and out["data"] == {"k": "put"}
    status, out = await call(api, "PATCH", path + "/a", {"data": {"k": "patch"}}, query=dry,
                             content_type="application/merge-patch+json")
    assert status == 200 and out["data"] == {"k": "patch"}
    status, out = await call(api, "PATCH", path + "/a", [{"op": "replace", "path": "/data/k", "value": "jp"}],
                             query=dry, content_type="application/json-patch+json")
    assert status == 200 and out["data"] == {"k": "jp"}
    status, _ = await call(api, "DELETE", path + "/a", query=dry)
    assert status == 200
    status, _ = await call(api, "DELETE", path, query=dry)
    assert status == 200
    status, body = await call(api, "DELETE", path + "/a", query="dryRun=Some")
    assert status == 400 and body["message"] == 'Invalid dry run value: "Some"; only "All" is supported'

    assert await revision(api) == before
    _, current = await call(api, "GET", path + "/a")
    assert current == created
    status, _ = await call(api, "GET", path + "/b")
    assert status == 404


async def test_list_pages_over_handle_and_expired_continue(api: APIServer) -> None:
    path = CMS.format("default")
    for i in range(5):
        await call(api, "POST", path, cm(f"cm-{i}"))
    status, page = await call(api, "GET", path, query="limit=2")
    assert status == 200 and [o["metadata"]["name"] for o in page["items"]] == ["cm-0", "cm-1"]
    assert page["metadata"]["remainingItemCount"] == 3
    token = page["metadata"]["continue"]
    await call(api, "DELETE", path + "/cm-2")
    status, page2 = await call(api, "GET", path, query=f"limit=2&continue={token}")
    assert [o["metadata"]["name"] for o in page2["items"]] == ["cm-2", "cm-3"]
    assert page2["metadata"]["resourceVersion"] == page["metadata"]["resourceVersion"]

    await api.storage.compact(await revision(api))
    status, body = await call(api, "GET", path, query=f"limit=2&continue={page2['metadata']['continue']}")
    assert (status, body["reason"], body["message"]) == (410, "Expired", EXPIRED_CONTINUE)
    status, rest = await call(api, "GET", path, query=f"limit=2&continue={body['metadata']['continue']}")
    assert status == 200 and [o["metadata"]["name"] for o in rest["items"]] == ["cm-4"]


# --- namespaces -----------------------------------------------------------------------


async def test_namespace_lifecycle_admission(api: APIServer) -> None:
    before = await revision(api)
    status, body = await call(api, "POST", CMS.format("nope"), cm("a"))
    assert (status, body["reason"], body["message"]) == (404, "NotFound", 'namespaces "nope" not found')
    assert await revision(api) == before

    assert (await call(api, "POST", "/api/v1/namespaces", ns("doomed")))[0] == 201
    assert (await call(api, "POST", CMS.format("doomed"), cm("a")))[0] == 201
    status, deleting = await call(api, "DELETE", "/api/v1/namespaces/doomed")
    assert status == 200 and deleting["status"]["phase"] == "Terminating"
    assert deleting["metadata"]["deletionTimestamp"] and deleting["spec"]["finalizers"] == ["kubernetes"]
    key = resource(api, "", "v1", "namespaces").key(None, "doomed")
    await wait_until(api, resource(api, "", "v1", "namespaces"),
                     lambda objs: bool(objs[key]["metadata"].get("deletionTimestamp")))
    before = await revision(api)
    status, body = await call(api, "POST", CMS.format("doomed"), cm("b"))
    assert status == 403 and body["reason"] == "Forbidden"
    assert body["message"] == ('configmaps "b" is forbidden: unable to create new content in namespace doomed '
                               "because it is being terminated")
    assert body["details"]["causes"] == [{"reason": "NamespaceTerminating",
                                          "message": "namespace doomed is being terminated",
                                          "field": "metadata.namespace"}]
    assert await revision(api) == before
    # Content already there can still be read and changed.
    status, _ = await call(api, "GET", CMS.format("doomed") + "/a")
    assert status == 200

    for name in ("default", "kube-system", "kube-public"):
        status, body = await call(api, "DELETE", f"/api/v1/namespaces/{name}")
        assert (status, body["reason"]) == (403, "Forbidden")
        assert body["message"] == f'namespaces "{name}" is forbidden: this namespace may not be deleted'
    assert await revision(api) == before
    _, default = await call(api, "GET", "/api/v1/namespaces/default")
    assert "deletionTimestamp" not in default["metadata"]


async def test_create_straight_after_namespace_delete_is_refused(api: APIServer) -> None:
    # kube plugin/pkg/admission/namespace/lifecycle: on a namespace DELETE the name goes into
    # forceLiveLookupCache, so the next create reads the namespace from storage and sees it terminating.
    assert (await call(api, "POST", "/api/v1/namespaces", ns("doomed")))[0] == 201
    assert (await call(api, "POST", CMS.format("doomed"), cm("a")))[0] == 201  # the cache has the namespace
    assert (await call(api, "DELETE", "/api/v1/namespaces/doomed"))[0] == 200
    status, body = await call(api, "POST", CMS.format("doomed"), cm("b"))
    assert status == 403, body


async def test_deleting_a_terminating_namespace_again_conflicts(api: APIServer) -> None:
    # kube pkg/registry/core/namespace/storage/storage.go REST.Delete: once deletionTimestamp is set and
    # spec.finalizers is not empty, NewConflict(Resource("namespaces"), name, "The system is ensuring ...").
    assert (await call(api, "POST", "/api/v1/namespaces", ns("doomed")))[0] == 201
    assert (await call(api, "DELETE", "/api/v1/namespaces/doomed"))[0] == 200
    status, body = await call(api, "DELETE", "/api/v1/namespaces/doomed")
    assert (status, body.get("reason")) == (409, "Conflict"), body
    assert body["message"] == (
        'Operation cannot be fulfilled on namespaces "doomed": The system is ensuring all content is removed from '
        "this namespace.  Upon completion, this namespace will automatically be purged by the system.")


async def test_namespace_controller_empties_and_removes_a_terminating_namespace(api: APIServer) -> None:
    controller = ControllerManager(api.registry, api.objects)
    await controller.start()
    try:
        namespaces = resource(api, "", "v1", "namespaces")
        configmaps = resource(api, "", "v1", "configmaps")
        assert (await call(api, "POST", "/api/v1/namespaces", ns("gone")))[0] == 201
        assert (await call(api, "POST", "/api/v1/namespaces", ns("stays")))[0] == 201
        for i in range(3):
            assert (await call(api, "POST", CMS.format("gone"), cm(f"cm-{i}")))[0] == 201
        assert (await call(api, "POST", CMS.format("gone"), cm("held", finalizers=["example.com/hold"])))[0] == 201
        lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l"}, "spec": {}}
        assert (await call(api, "POST", "/apis/coordination.k8s.io/v1/namespaces/gone/leases", lease))[0] == 201
        assert (await call(api, "POST", CMS.format("stays"), cm("cm-0")))[0] == 201

        assert (await call(api, "DELETE", "/api/v1/namespaces/gone"))[0] == 200

        def only_held_left(objs: dict[str, Obj]) -> bool:
            mine = [o for o in objs.values() if o["metadata"]["namespace"] == "gone"]
            return [o["metadata"]["name"] for o in mine] == ["held"] and bool(mine[0]["metadata"].get("deletionTimestamp"))

        await wait_until(api, configmaps, only_held_left)
        # The finalizer holds the namespace.
        status, body = await call(api, "GET", "/api/v1/namespaces/gone")
        assert status == 200 and body["status"]["phase"] == "Terminating"

        _, held = await call(api, "GET", CMS.format("gone") + "/held")
        held["metadata"]["finalizers"] = []
        assert (await call(api, "PUT", CMS.format("gone") + "/held", held))[0] == 200
        gone_key = namespaces.key(None, "gone")
        await wait_until(api, namespaces, lambda objs: gone_key not in objs)

        status, _ = await call(api, "GET", "/api/v1/namespaces/gone")
        assert status == 404
        assert (await api.storage.range("/registry/leases/gone/")).kvs == []
        status, listed = await call(api, "GET", CMS.format("stays"))
        # (kube-root-ca.crt, the root-CA publisher's, comes and goes with the namespace.)
        assert [o["metadata"]["name"] for o in listed["items"] if o["metadata"]["name"] != "kube-root-ca.crt"] == [
            "cm-0"]
    finally:
        await controller.stop()


# --- custom resources -----------------------------------------------------------------


def _established(crd: Obj | None) -> bool:
    conditions = ((crd or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


async def test_crd_resource_is_served_then_removed_with_its_objects(api: APIServer) -> None:
    controllers = ControllerManager(api.registry, api.objects)  # the CRD finalizer deletes the objects
    await controllers.start()
    try:
        await _crd_served_then_removed(api)
    finally:
        await controllers.stop()


async def _crd_served_then_removed(api: APIServer) -> None:
    crds = resource(api, "apiextensions.k8s.io", "v1", "customresourcedefinitions")
    crd_key = crds.key(None, "widgets.example.com")
    status, _ = await call(api, "GET", "/apis/example.com/v1")
    assert status == 404

    status, _ = await call(api, "POST", CRDS, WIDGET_CRD)
    assert status == 201
    await wait_until(api, crds, lambda objs: _established(objs.get(crd_key)))
    widgets = api.registry.get("example.com", "v1", "widgets")
    assert widgets is not None and widgets.kind == "Widget" and widgets.namespaced
    status, listing = await call(api, "GET", "/apis/example.com/v1")
    assert status == 200 and listing["groupVersion"] == "example.com/v1"
    served = {r["name"]: r for r in listing["resources"]}
    assert served["widgets"]["kind"] == "Widget" and served["widgets"]["namespaced"] is True
    status, groups = await call(api, "GET", "/apis")
    assert "example.com" in {g["name"] for g in groups["groups"]}

    for name in ("w1", "w2"):
        body = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name}, "spec": {"size": 1}}
        status, created = await call(api, "POST", WIDGETS.format("default"), body)
        assert status == 201, created
    status, listed = await call(api, "GET", WIDGETS.format("default"))
    assert status == 200 and listed["kind"] == "WidgetList" and len(listed["items"]) == 2

    unserved = asyncio.Event()
    api.registry.subscribe(lambda change, r: unserved.set() if (change, r.plural) == ("removed", "widgets") else None)
    status, deleting = await call(api, "DELETE", CRDS + "/widgets.example.com")
    assert status == 200 and deleting["metadata"]["deletionTimestamp"]
    await wait_until(api, crds, lambda objs: crd_key not in objs)
    await asyncio.wait_for(unserved.wait(), TIMEOUT)  # once the CRD controller sees it gone
    assert api.registry.get("example.com", "v1", "widgets") is None
    assert (await api.storage.range(widgets.key_prefix)).kvs == []
    status, _ = await call(api, "GET", "/apis/example.com/v1")
    assert status == 404
    status, groups = await call(api, "GET", "/apis")
    assert "example.com" not in {g["name"] for g in groups["groups"]}
    status, _ = await call(api, "GET", WIDGETS.format("default") + "/w1")
    assert status == 404


# --- watch ----------------------------------------------------------------------------


async def test_watch_streams_events_in_process(api: APIServer) -> None:
    path = CMS.format("default")
    _, first = await call(api, "POST", path, cm("before"))
    cacher = api.objects.cacher(resource(api, "", "v1", "configmaps"))
    watchers = cacher.watcher_count()
    chunks = await open_watch(api, path, f"watch=true&resourceVersion={first['metadata']['resourceVersion']}"
                                         "&labelSelector=app%3Dweb")
    assert cacher.watcher_count() == watchers + 1
    await call(api, "POST", path, cm("other"))
    _, created = await call(api, "POST", path, cm("a", labels={"app": "web"}))
    events = await next_events(chunks)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "a")]
    assert events[0]["object"] == created
    _, relabeled = await call(api, "PATCH", path + "/a", {"metadata": {"labels": {"app": "db"}}},
                              content_type="application/merge-patch+json")
    events = await next_events(chunks)
    assert [e["type"] for e in events] == ["DELETED"]
    assert events[0]["object"]["metadata"]["resourceVersion"] == relabeled["metadata"]["resourceVersion"]
    await chunks.aclose()


async def test_watch_from_a_revision_older_than_the_cache_window_is_410(api: APIServer) -> None:
    path = CMS.format("default")
    cacher = api.objects.cacher(resource(api, "", "v1", "configmaps"))
    _, first = await call(api, "POST", path, cm("a"))
    cacher._history_max = 2  # a tiny window: older events are trimmed on the next writes
    for i in range(4):
        await call(api, "POST", path, cm(f"b{i}"))
    await asyncio.wait_for(cacher.wait_consistent(), TIMEOUT)
    assert cacher.history_start > int(first["metadata"]["resourceVersion"])
    rv = first["metadata"]["resourceVersion"]
    chunks = await open_watch(api, path, f"watch=true&resourceVersion={rv}")
    events = await next_events(chunks)
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert (status["code"], status["reason"]) == (410, "Expired")
    assert status["message"] == f"too old resource version: {rv} ({cacher.history_start})"
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(chunks), TIMEOUT)


async def test_watch_over_http_streams_initial_events_bookmark_then_live_events(api: APIServer) -> None:
    path = CMS.format("default")
    for name in ("a", "b"):
        await call(api, "POST", path, cm(name))
    query = ("watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan"
             "&timeoutSeconds=10")
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{api.port}{path}?{query}") as resp:
        assert resp.status == 200 and resp.headers["Transfer-Encoding"] == "chunked"

        async def line() -> Obj:
            raw = await asyncio.wait_for(resp.content.readline(), TIMEOUT)
            assert raw.endswith(b"\n")
            out: Obj = orjson.loads(raw)
            return out

        initial = [await line(), await line()]
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in initial] == [("ADDED", "a"), ("ADDED", "b")]
        bookmark = await line()
        assert bookmark["type"] == "BOOKMARK"
        assert bookmark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
        assert int(bookmark["object"]["metadata"]["resourceVersion"]) >= max(
            int(e["object"]["metadata"]["resourceVersion"]) for e in initial)
        _, created = await call(api, "POST", path, cm("c"))
        live = await line()
        assert live == {"type": "ADDED", "object": created}


async def test_a_watch_without_timeout_ends_between_min_request_timeout_and_twice_that(api: APIServer) -> None:
    # kube-apiserver's --min-request-timeout: a randomized timeout in [t, 2t), here t = 1 s.
    api.min_request_timeout = 1.0
    path = CMS.format("default")
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            started = loop.time()
            async with session.get(f"http://127.0.0.1:{api.port}{path}?watch=true") as resp:
                assert resp.status == 200
                assert await asyncio.wait_for(resp.content.read(), TIMEOUT) == b""  # no events: it just ends
            assert 1.0 <= loop.time() - started < 2.0 + 1.0


# --- Events: held in the watch cache as JSON -------------------------------------------

EVENTS = "/api/v1/namespaces/{}/events"
EVENTS_V1 = "/apis/events.k8s.io/v1/namespaces/{}/events"


def event(name: str, pod: str, reason: str = "Started", **meta: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, **meta},
            "involvedObject": {"kind": "Pod", "namespace": "default", "name": pod, "uid": f"uid-{pod}",
                               "apiVersion": "v1", "fieldPath": "spec.containers{app}"},
            "reason": reason, "message": f"{reason} container app", "type": "Normal",
            "source": {"component": "kubelet", "host": "node-1"}, "count": 1}


async def test_events_are_held_as_json_and_selected_without_decoding(api: APIServer) -> None:
    path = EVENTS.format("default")
    chunks = await open_watch(api, path, "watch=true&fieldSelector=involvedObject.name%3Dp1")
    _, created = await call(api, "POST", path, event("p1.a", "p1"))
    await call(api, "POST", path, event("p2.a", "p2"))
    await call(api, "POST", path, event("p1.b", "p1", "Pulled", labels={"tier": "web"}))
    cacher = api.objects.cacher(resource(api, "", "v1", "events"))
    await asyncio.wait_for(cacher.wait_consistent(), TIMEOUT)
    held = cacher.get("/registry/events/default/p1.a")
    assert held is not None and held._obj is None  # only its encoding and the selectors' view
    assert held.view["involvedObject"]["name"] == "p1" and "message" not in held.view
    assert held.view["source"] == {"component": "kubelet"} and held.view["metadata"]["namespace"] == "default"
    assert held.obj == created and held.obj is not held.obj  # each read decodes a copy of its own

    # lists and watches select on the view, and serve the whole object
    _, listed = await call(api, "GET", path, query="fieldSelector=involvedObject.name%3Dp1,reason%3DPulled")
    assert [e["metadata"]["name"] for e in listed["items"]] == ["p1.b"]
    assert listed["items"][0]["message"] == "Pulled container app"
    _, listed = await call(api, "GET", path, query="labelSelector=tier%3Dweb")
    assert [e["metadata"]["name"] for e in listed["items"]] == ["p1.b"]
    events = await next_events(chunks)
    while len(events) < 2:
        events += await next_events(chunks)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "p1.a"), ("ADDED", "p1.b")]
    assert events[0]["object"] == created
    # an Event that stops matching leaves the watch as a DELETED of its last state
    _, moved = await call(api, "PATCH", path + "/p1.a", {"involvedObject": {"name": "p3"}},
                          content_type="application/merge-patch+json")
    events = await next_events(chunks)
    assert [(e["type"], e["object"]["involvedObject"]["name"]) for e in events] == [("DELETED", "p1")]
    assert events[0]["object"]["metadata"]["resourceVersion"] == moved["metadata"]["resourceVersion"]
    await chunks.aclose()

    # events.k8s.io/v1 serves the same Events converted, selected by its own field names
    _, listed = await call(api, "GET", EVENTS_V1.format("default"), query="fieldSelector=regarding.name%3Dp3")
    assert [(e["metadata"]["name"], e["note"]) for e in listed["items"]] == [("p1.a", "Started container app")]
    _, got = await call(api, "GET", path + "/p1.a")
    assert got == moved


# --- ConfigMaps and Secrets: held in the watch cache as JSON too ------------------------

SECRETS = "/api/v1/namespaces/{}/secrets"


def secret(name: str, type_: str = "Opaque", **meta: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, **meta}, "type": type_,
            "stringData": {"k": name}}


async def test_configmaps_and_secrets_are_held_as_json_and_selected_as_before(api: APIServer) -> None:
    from setpoint.controllers.inprocess import InProcessClient
    from setpoint.runtime.resource import Kind

    await call(api, "POST", "/api/v1/namespaces", ns("other"))
    cms, secrets = CMS.format("default"), SECRETS.format("default")
    cm_watch = await open_watch(api, cms, "watch=true&labelSelector=tier%3Dweb")
    all_cm_watch = await open_watch(api, "/api/v1/configmaps", "watch=true&fieldSelector=metadata.name%3Da")
    secret_watch = await open_watch(api, "/api/v1/secrets", "watch=true&fieldSelector=type%3Dexample.com%2Fx")
    _, a = await call(api, "POST", cms, cm("a", labels={"tier": "web"}))
    _, b = await call(api, "POST", cms, cm("b", labels={"tier": "db"}))
    _, other_a = await call(api, "POST", CMS.format("other"), cm("a"))
    _, s1 = await call(api, "POST", secrets, secret("s1", ""))
    assert s1["type"] == "Opaque"  # defaulted: what the field selector reads
    _, s2 = await call(api, "POST", secrets, secret("s2", "example.com/x", labels={"tier": "web"}))
    assert s2["data"] == {"k": "czI="} and "stringData" not in s2
    for plural, key in (("configmaps", "/registry/configmaps/default/a"), ("secrets", "/registry/secrets/default/s2")):
        cacher = api.objects.cacher(resource(api, "", "v1", plural))
        await asyncio.wait_for(cacher.wait_consistent(), TIMEOUT)
        held = cacher.get(key)
        assert held is not None and held._obj is None  # its encoding and the selectors' view only
        assert held.obj == (a if plural == "configmaps" else s2)
    assert "data" not in held.view and held.view["type"] == "example.com/x"

    async def names(path: str, query: str) -> list[str]:
        status, listed = await call(api, "GET", path, query=query)
        assert status == 200, listed
        return [f"{o['metadata']['namespace']}/{o['metadata']['name']}" for o in listed["items"]]

    # lists: label and field selectors, in a namespace and across them, whole objects served
    assert await names(cms, "labelSelector=tier%3Dweb") == ["default/a"]
    assert await names(cms, "labelSelector=tier+in+(web,db)") == ["default/a", "default/b"]
    assert await names("/api/v1/configmaps", "fieldSelector=metadata.name%3Da") == ["default/a", "other/a"]
    assert await names("/api/v1/configmaps", "fieldSelector=metadata.namespace%3Dother") == ["other/a"]
    assert await names("/api/v1/configmaps", "fieldSelector=metadata.namespace!%3Ddefault,metadata.name%3Da") \
        == ["other/a"]
    assert await names(secrets, "fieldSelector=type%3Dexample.com%2Fx") == ["default/s2"]
    assert await names(secrets, "fieldSelector=type!%3DOpaque&labelSelector=tier%3Dweb") == ["default/s2"]
    assert await names(secrets, "fieldSelector=type%3DOpaque") == ["default/s1"]
    status, bad = await call(api, "GET", cms, query="fieldSelector=data.k%3Dv")
    assert status == 400 and bad["message"].startswith('"data.k" is not a known field selector')
    _, listed = await call(api, "GET", cms, query="labelSelector=tier%3Dweb")
    assert listed["items"] == [a]
    _, got = await call(api, "GET", secrets + "/s2")
    assert got == s2

    # watches: selected on the view, the whole object on the wire; leaving the selection is a
    # DELETED of the last state at the new revision
    assert [(e["type"], e["object"]) for e in await next_events(cm_watch)] == [("ADDED", a)]
    events = await next_events(all_cm_watch)
    while len(events) < 2:
        events += await next_events(all_cm_watch)
    assert [(e["type"], e["object"]) for e in events] == [("ADDED", a), ("ADDED", other_a)]
    assert [(e["type"], e["object"]) for e in await next_events(secret_watch)] == [("ADDED", s2)]
    _, moved = await call(api, "PATCH", cms + "/a", {"metadata": {"labels": {"tier": "db"}}},
                          content_type="application/merge-patch+json")
    events = await next_events(cm_watch)
    assert [(e["type"], e["object"]["metadata"]["labels"]) for e in events] == [("DELETED", {"tier": "web"})]
    assert events[0]["object"]["metadata"]["resourceVersion"] == moved["metadata"]["resourceVersion"]
    assert [(e["type"], e["object"]) for e in await next_events(all_cm_watch)] == [("MODIFIED", moved)]
    await call(api, "DELETE", secrets + "/s2")
    events = await next_events(secret_watch)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("DELETED", "s2")]
    for chunks in (cm_watch, all_cm_watch, secret_watch):
        await chunks.aclose()

    # in-process: each read a copy of its own, selectors as over HTTP, watches from a resourceVersion
    client = InProcessClient(api.registry, api.objects)
    got_a = await client.get(Kind("v1", "ConfigMap"), "a", "default")
    assert got_a == moved and got_a is not await client.get(Kind("v1", "ConfigMap"), "a", "default")
    got_a["data"]["k"] = "changed"  # a private copy: the cache is untouched
    assert (await client.get(Kind("v1", "ConfigMap"), "a", "default"))["data"] == {"k": "v"}
    listed = await client.list(Kind("v1", "ConfigMap"), None, label_selector="tier=db")
    assert [o["metadata"]["name"] for o in listed["items"]] == ["a", "b"]
    listed = await client.list(Kind("v1", "Secret"), "default", field_selector="type=Opaque")
    assert [o["metadata"]["name"] for o in listed["items"]] == ["s1"]
    watch = await client.watch(Kind("v1", "ConfigMap"), "default", resource_version=moved["metadata"]["resourceVersion"],
                               field_selector="metadata.name=b", timeout_seconds=5)
    _, b2 = await call(api, "PATCH", cms + "/b", {"data": {"k": "w"}}, content_type="application/merge-patch+json")
    seen = await asyncio.wait_for(anext(watch), TIMEOUT)
    assert (seen.type, seen.object) == ("MODIFIED", b2) and b["data"] == {"k": "v"}
    watch.close()
