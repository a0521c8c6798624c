"""What objects held as JSON encode alike is held once (``registry/sharedfields.py``): every reader
still gets each object's own encoding, byte for byte.

Unit tests of the cut, then the API server in-process (memory storage): lists, gets and watches of
ConfigMaps created alike, and updated so that their managedFields differ.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncGenerator
from typing import Any, cast

import orjson
import pytest
from apiserver_helpers import call_raw

from setpoint.apiserver.http import GatheredResponse, Request, StreamingResponse
from setpoint.apiserver.registry.cacher import (
    CachedObject,
    Interner,
    JsonView,
    SplicedObject,
    append_encodings,
)
from setpoint.apiserver.registry.sharedfields import SharedParts
from setpoint.apiserver.server import APIServer

TIMEOUT = 5.0
Obj = dict[str, Any]
CMS = "/api/v1/namespaces/default/configmaps"
TIME = "2026-12-07T10:00:00Z"


def configmap(name: str, *, namespace: str = "default", manager: str = "kubectl", time: str = TIME,
              data: str = "v", **meta: Any) -> Obj:
    """A ConfigMap as the cache decodes it from storage (fresh, with its own managedFields)."""
    return orjson.loads(orjson.dumps({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, **meta,
                     "managedFields": [{"manager": manager, "operation": "Update", "apiVersion": "v1", "time": time,
                                        "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {".": {}, "f:k": {}}}}],
                     "uid": f"uid-{name}", "creationTimestamp": time, "resourceVersion": "7"},
        "data": {"k": data}}))


def held(parts: SharedParts, obj: Obj, revision: int = 7) -> CachedObject:
    meta = obj.get("metadata") or {}
    return CachedObject.held_as_json(f"/registry/configmaps/{meta.get('namespace')}/{meta.get('name')}", obj,
                                     revision, JsonView((), Interner().share), parts)


# --- the cut -----------------------------------------------------------------------------------


def test_objects_written_alike_share_all_but_their_name_and_the_rest() -> None:
    parts = SharedParts()
    first, second, third = (held(parts, configmap(n)) for n in ("a", "bb", "c"))
    assert type(first) is CachedObject, "parts seen once: the object keeps its whole encoding"
    assert type(second) is SplicedObject and type(third) is SplicedObject
    assert second._shared is third._shared  # one tuple for both
    for name, cobj in (("a", first), ("bb", second), ("c", third)):
        assert cobj.json() == orjson.dumps(configmap(name)), "byte for byte the object's encoding"
        assert cobj.obj == configmap(name)
    assert third._name == b'"c"'
    assert b"managedFields" not in third._json and b"kubectl" not in third._json  # held once, not here


@pytest.mark.parametrize("other", [
    configmap("x", manager="other"),  # another manager
    configmap("x", time="2026-12-07T10:00:01Z"),  # another second
    configmap("x", namespace="other"),  # another namespace
    configmap("x", labels={"app": "web"}),  # labels between the name and managedFields
])
def test_objects_that_differ_around_the_name_share_nothing(other: Obj) -> None:
    parts = SharedParts()
    base = [held(parts, configmap(n)) for n in ("a", "b")]
    alone = held(parts, other)
    assert type(alone) is CachedObject and alone.json() == orjson.dumps(other)
    again = held(parts, orjson.loads(orjson.dumps(other)))  # the second such object is cut, apart
    assert type(again) is SplicedObject and again._shared is not base[1]._shared  # type: ignore[attr-defined]
    assert again.json() == orjson.dumps(other)


@pytest.mark.parametrize("obj", [
    configmap('q"uote\\d'),  # a name whose encoding escapes
    configmap("ünï"),
    {**configmap("early"), "data": {"managedFields": "x"}},
    # the object's own managedFields after a key that looks alike, and a name that appears earlier
    orjson.loads(b'{"data":{"\\"managedFields":[1]},"apiVersion":"v1","metadata":{"labels":{"l":"twin"},'
                 b'"name":"twin","managedFields":[{"manager":"m"}],"uid":"u"}}'),
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bare", "namespace": "default"}},
    {**configmap("nometa"), "metadata": None},
])
def test_every_cut_is_exact_whatever_the_object(obj: Obj) -> None:
    parts = SharedParts()
    for _ in range(3):
        cobj = held(parts, orjson.loads(orjson.dumps(obj)))
        assert cobj.json() == orjson.dumps(obj)
        assert cobj.obj == obj


def test_parts_no_object_holds_are_dropped_when_the_table_doubles() -> None:
    parts = SharedParts()
    kept = [held(parts, configmap(n, manager="keep")) for n in ("a", "b")]
    for i in range(5000):  # each seen once: remembered, then dropped
        held(parts, configmap("x", manager=f"m{i}"))
    assert len(parts) < 1000
    assert held(parts, configmap("c", manager="keep"))._shared is kept[1]._shared  # type: ignore[attr-defined]
    del kept
    for i in range(10000):
        held(parts, configmap("x", manager=f"n{i}"))
    assert len(parts) < 5000


def test_a_list_of_spliced_plain_and_converted_objects_is_every_encoding_comma_separated() -> None:
    parts = SharedParts()
    objs = [configmap(n) for n in ("a", "b", "c")]
    items = [held(parts, orjson.loads(orjson.dumps(o))) for o in objs]
    items.append(CachedObject("/registry/configmaps/default/d", {"apiVersion": "v2", "kind": "ConfigMap"}, 9))
    assert [type(c) for c in items] == [CachedObject, SplicedObject, SplicedObject, CachedObject]
    for order in (items, items[::-1], items[1:], items[-1:], []):
        out = [b"["]
        append_encodings(out, order, "v1", lambda c: b'"other"')
        expected = [c.json() if c.api_version == "v1" else b'"other"' for c in order]
        assert b"".join(out) == b"[" + b",".join(expected)


def test_a_spliced_object_holds_less_than_half_its_whole_encoding() -> None:
    parts = SharedParts()
    held(parts, configmap("a", data="v" * 10))
    cobj = held(parts, configmap("cm-000001", data="v" * 10))
    assert type(cobj) is SplicedObject
    own = sys.getsizeof(cobj._name) + sys.getsizeof(cobj._json)
    assert own < sys.getsizeof(cobj.json()) / 2, own


# --- through the API server ------------------------------------------------------------------


def cm(name: str) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"app": "x"}},
            "data": {"k": name}}


async def create_alike(api: APIServer, count: int) -> list[bytes]:
    """``count`` ConfigMaps created at once by one manager; their encodings as the creates answered."""
    answers = await asyncio.gather(*(call_raw(api, "POST", CMS, cm(f"cm-{i:03d}"), query="fieldManager=alike")
                                     for i in range(count)))
    assert all(status == 201 for status, _ in answers)
    return [body for _, body in answers]


async def cached(api: APIServer) -> list[CachedObject]:
    r = api.registry.get("", "v1", "configmaps")
    assert r is not None
    cacher = api.objects.cacher(r)
    await asyncio.wait_for(cacher.wait_consistent(), TIMEOUT)
    return cacher.list("/registry/configmaps/default/")


def whole(cobj: CachedObject) -> bytes:
    """What the cache would serve for this object held whole, decoded and encoded anew."""
    return CachedObject(cobj.key, orjson.loads(cobj.json()), cobj.revision).json()


async def test_a_list_of_configmaps_created_alike_is_byte_for_byte_their_encodings(api: APIServer) -> None:
    created = await create_alike(api, 40)
    held = await cached(api)
    assert sum(type(c) is SplicedObject for c in held) >= 30, "the managedFields are shared"
    assert [orjson.loads(c.json()) for c in held] == [orjson.loads(b) for b in created]
    status, body = await call_raw(api, "GET", CMS)
    assert status == 200
    listed = orjson.loads(body)
    rv = orjson.dumps(listed["metadata"]["resourceVersion"])
    assert body == (b'{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":' + rv
                    + b'},"items":[' + b",".join(whole(c) for c in held) + b"]}")
    # paged: every page is the same bytes
    status, page = await call_raw(api, "GET", CMS, query="limit=7")
    assert status == 200 and orjson.loads(page)["items"] == listed["items"][:7]
    assert b",".join(whole(c) for c in held[:7]) in page
    for cobj in held:
        status, got = await call_raw(api, "GET", f"{CMS}/{cobj.key.rsplit('/', 1)[1]}")
        assert status == 200 and got == whole(cobj)


async def test_a_large_list_is_written_from_its_pieces_and_is_the_same_bytes(api: APIServer) -> None:
    await asyncio.gather(*(call_raw(api, "POST", CMS, {**cm(f"big-{i:03d}"), "data": {"k": "v" * 2000}},
                                query="fieldManager=alike") for i in range(150)))
    held = await cached(api)
    response = await api.handle(Request("GET", CMS, query_string=b"", headers={}, body=b""))
    assert isinstance(response, GatheredResponse), "over 256 KiB: never joined"
    assert response.length == len(response.body)
    assert b",".join(whole(c) for c in held) in response.body
    assert [i["metadata"]["name"] for i in orjson.loads(response.body)["items"]] == \
        [f"big-{i:03d}" for i in range(150)]


async def test_an_update_that_changes_managedfields_is_not_served_with_the_old_shared_ones(
        api: APIServer) -> None:
    await create_alike(api, 10)
    status, patched = await call_raw(api, "PATCH", f"{CMS}/cm-003", {"data": {"k": "new"}},
                                 query="fieldManager=another", content_type="application/merge-patch+json")
    assert status == 200
    managers = [e["manager"] for e in orjson.loads(patched)["metadata"]["managedFields"]]
    assert managers == ["alike", "another"]
    status, got = await call_raw(api, "GET", f"{CMS}/cm-003")
    assert orjson.loads(got) == orjson.loads(patched)
    _, body = await call_raw(api, "GET", CMS)
    items = {i["metadata"]["name"]: i for i in orjson.loads(body)["items"]}
    assert items["cm-003"] == orjson.loads(patched)
    for name, item in items.items():
        if name != "cm-003":
            assert [e["manager"] for e in item["metadata"]["managedFields"]] == ["alike"]
            assert item["data"] == {"k": name}
    held = await cached(api)
    assert [orjson.loads(c.json()) for c in held] == [items[c.key.rsplit("/", 1)[1]] for c in held]
    assert all(c.json() == whole(c) for c in held)


async def test_a_watch_from_before_the_creates_replays_each_encoding(api: APIServer) -> None:
    _, first = await call_raw(api, "POST", CMS, cm("before"), query="fieldManager=alike")
    rv = orjson.loads(first)["metadata"]["resourceVersion"]
    created = await create_alike(api, 12)
    await cached(api)
    response = await api.handle(Request("GET", CMS, query_string=f"watch=true&resourceVersion={rv}".encode()))
    assert isinstance(response, StreamingResponse) and response.status == 200
    chunks = cast(AsyncGenerator[bytes, None], response.chunks)
    lines: list[bytes] = []
    try:
        while len(lines) < 12:
            chunk = await asyncio.wait_for(anext(chunks), TIMEOUT)
            lines += [line for line in chunk.splitlines() if line]
    finally:
        await chunks.aclose()
    events = [orjson.loads(line) for line in lines]
    assert [e["type"] for e in events] == ["ADDED"] * 12
    assert sorted(orjson.dumps(e["object"]) for e in events) == sorted(
        orjson.dumps(orjson.loads(b)) for b in created)
