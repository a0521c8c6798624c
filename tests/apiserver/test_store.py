"""``ObjectStore`` (``apiserver/store.py``): kube-apiserver's registry semantics over memory storage.

Called directly, without the HTTP layer or admission; every "nothing changed" claim is
checked against the storage revision, which moves on every committed write.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest
from apiserver_helpers import WIDGET_CRD

from setpoint.apiserver import builtin
from setpoint.apiserver.apiextensions import crds
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.objectstore import EXPIRED_CONTINUE, ExpiredContinue, ObjectStore
from setpoint.apiserver.registry.resources import Registry, Resource
from setpoint.storage import MemoryStorage

Obj = dict[str, Any]

_REGISTRY = Registry()
builtin.register_builtins(_REGISTRY)
_cm = _REGISTRY.get("", "v1", "configmaps")
assert _cm is not None
CM: Resource = _cm

WIDGET: Resource = crds.resources_for(WIDGET_CRD)[0]

CONFLICT = ('Operation cannot be fulfilled on configmaps "{}": the object has been modified; '
            "please apply your changes to the latest version and try again")


@pytest.fixture
async def objects() -> AsyncIterator[ObjectStore]:
    s = MemoryStorage(compact_interval=0)
    o = ObjectStore(s)
    await o.start()
    yield o
    await o.close()
    await s.close()


def cm(name: str = "", data: dict[str, str] | None = None, **meta: Any) -> Obj:
    metadata: Obj = {**meta}
    if name:
        metadata["name"] = name
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data or {"k": "v"}}


def widget(name: str, size: int = 1, **meta: Any) -> Obj:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name, **meta},
            "spec": {"size": size}}


def fresh(obj: Obj) -> Obj:
    """A deep copy, as a client would send back what it read."""
    out: Obj = orjson.loads(orjson.dumps(obj))
    return out


async def revision(o: ObjectStore) -> int:
    return await o.storage.current_revision()


async def stored(o: ObjectStore, r: Resource, namespace: str | None, name: str) -> Obj | None:
    kv = await o.storage.get(r.key(namespace, name))
    return None if kv is None else orjson.loads(kv.value)


# --- create ---------------------------------------------------------------------------


async def test_create_sets_system_fields(objects: ObjectStore) -> None:
    before = await revision(objects)
    out = await objects.create(CM, "ns", cm("a", uid="client-uid", creationTimestamp="2000-01-01T00:00:00Z",
                                            deletionTimestamp="2000-01-01T00:00:00Z", namespace="ns"))
    meta = out["metadata"]
    assert meta["name"] == "a" and meta["namespace"] == "ns"
    assert uuid.UUID(meta["uid"]) and meta["uid"] != "client-uid"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["creationTimestamp"])
    created = datetime.datetime.strptime(meta["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    assert abs((datetime.datetime.now(datetime.UTC) - created).total_seconds()) < 60
    assert "deletionTimestamp" not in meta
    assert meta["resourceVersion"] == str(before + 1) == str(await revision(objects))
    got = await objects.get(CM, "ns", "a")
    assert got.obj == out and got.revision == before + 1
    # What is stored carries no resourceVersion (it is the key's mod_revision).
    raw = await stored(objects, CM, "ns", "a")
    assert raw is not None and "resourceVersion" not in raw["metadata"] and raw["metadata"]["uid"] == meta["uid"]

    with pytest.raises(errors.StatusError) as exc:
        await objects.create(CM, "ns", cm("a"))
    assert (exc.value.code, exc.value.reason, exc.value.message) == (409, "AlreadyExists", 'configmaps "a" already exists')


async def test_resource_version_set_on_create_is_refused(objects: ObjectStore) -> None:
    before = await revision(objects)
    with pytest.raises(errors.StatusError) as exc:
        await objects.create(CM, "ns", cm("a", resourceVersion="7"))
    # kube: the storage layer's errResourceVersionSetOnCreate (answered as a 500 with no reason).
    assert exc.value.code in (400, 500)
    assert exc.value.message == "resourceVersion should not be set on objects to be created"
    assert await revision(objects) == before
    assert await stored(objects, CM, "ns", "a") is None


async def test_generate_name(objects: ObjectStore) -> None:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    a = await objects.create(CM, "ns", cm(generateName="web-"))
    b = await objects.create(CM, "ns", cm(generateName="web-"))
    for out in (a, b):
        assert re.fullmatch(rf"web-[{alphabet}]{{5}}", out["metadata"]["name"])
        assert out["metadata"]["generateName"] == "web-"
        assert await stored(objects, CM, "ns", out["metadata"]["name"]) is not None
    assert a["metadata"]["name"] != b["metadata"]["name"]
    # A name wins over generateName; a long prefix is cut to leave room for the suffix (63 in all).
    named = await objects.create(CM, "ns", cm("fixed", generateName="web-"))
    assert named["metadata"]["name"] == "fixed"
    long = await objects.create(CM, "ns", cm(generateName="x" * 70))
    assert re.fullmatch(rf"x{{58}}[{alphabet}]{{5}}", long["metadata"]["name"])


# --- update ---------------------------------------------------------------------------


async def test_update_with_stale_resource_version_conflicts(objects: ObjectStore) -> None:
    created = await objects.create(CM, "ns", cm("a"))
    first = fresh(created)
    first["data"] = {"k": "v2"}
    updated, _ = await objects.update(CM, "ns", "a", first)
    assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])

    stale = fresh(created)
    stale["data"] = {"k": "v3"}
    before = await revision(objects)
    with pytest.raises(errors.StatusError) as exc:
        await objects.update(CM, "ns", "a", stale)
    assert (exc.value.code, exc.value.reason) == (409, "Conflict")
    assert exc.value.message == CONFLICT.format("a")
    assert exc.value.details == {"name": "a", "kind": "configmaps"}
    assert await revision(objects) == before
    assert (await objects.get(CM, "ns", "a")).obj["data"] == {"k": "v2"}


async def test_unconditional_update_for_builtins_only(objects: ObjectStore) -> None:
    await objects.create(CM, "ns", cm("a"))
    blind = cm("a", {"k": "blind"})
    out, created = await objects.update(CM, "ns", "a", blind)
    assert not created and out["metadata"]["resourceVersion"] == str(await revision(objects))
    assert (await objects.get(CM, "ns", "a")).obj["data"] == {"k": "blind"}

    w = await objects.create(WIDGET, "ns", widget("w"))
    before = await revision(objects)
    with pytest.raises(errors.StatusError) as exc:
        await objects.update(WIDGET, "ns", "w", widget("w", 2))
    assert (exc.value.code, exc.value.reason) == (422, "Invalid")
    assert "metadata.resourceVersion: Invalid value: " in exc.value.message
    assert exc.value.message.endswith(": must be specified for an update")
    assert await revision(objects) == before

    with pytest.raises(errors.StatusError) as exc:
        await objects.update(WIDGET, "ns", "w", widget("w", 2, resourceVersion="1"))
    assert exc.value.code == 409
    out, _ = await objects.update(WIDGET, "ns", "w", widget("w", 2, resourceVersion=w["metadata"]["resourceVersion"]))
    assert out["spec"] == {"size": 2} and out["metadata"]["generation"] == 2


async def test_custom_resource_update_without_resource_version_message_is_kubes(objects: ObjectStore) -> None:
    # kube registry/store.go Update: NewInvalid(GroupKind{Group, Kind: qualifiedResource.Resource}, name,
    # field.Invalid(metadata.resourceVersion, uint64(0), ...)); field.Error renders a uint64 with %#v.
    await objects.create(WIDGET, "ns", widget("w"))
    with pytest.raises(errors.StatusError) as exc:
        await objects.update(WIDGET, "ns", "w", widget("w", 2))
    assert exc.value.message == (
        'widgets.example.com "w" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update')
    assert exc.value.details is not None and exc.value.details["kind"] == "widgets"


async def test_noop_update_writes_nothing(objects: ObjectStore) -> None:
    created = await objects.create(CM, "ns", cm("a", labels={"x": "y"}))
    before = await revision(objects)
    same, _ = await objects.update(CM, "ns", "a", fresh(created))
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    unconditional = fresh(created)
    del unconditional["metadata"]["resourceVersion"]
    same, _ = await objects.update(CM, "ns", "a", unconditional)
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]

    async def identity(current: Obj) -> Obj:
        return current

    same, _ = await objects.guaranteed_update(CM, "ns", "a", identity, verb="patch")
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    # System fields a client leaves out are carried over, so this is a no-op too.
    bare = fresh(created)
    for field in ("uid", "creationTimestamp", "resourceVersion"):
        del bare["metadata"][field]
    await objects.update(CM, "ns", "a", bare)
    assert await revision(objects) == before


# --- an update's first guess: the watch cache's object -----------------------------------


def count_gets(objects: ObjectStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys storage is read at from now on."""
    keys: list[str] = []
    read = objects.storage.get

    async def counted(key: str, **kwargs: Any) -> Any:
        keys.append(key)
        return await read(key, **kwargs)

    monkeypatch.setattr(objects.storage, "get", counted)
    return keys


async def guess_stays(objects: ObjectStore, monkeypatch: pytest.MonkeyPatch, r: Resource, ns: str,
                      name: str) -> int:
    """From now on the watch cache's guess of ``name`` is what it holds now, as a cache that has
    not caught up with the writes after it; the revision of that guess."""
    key = r.key(ns, name)
    held = await objects.get(r, ns, name)
    held_obj, held_rev = held.copy(), held.revision
    monkeypatch.setattr(objects, "_cached_state",
                        lambda _r, k: (fresh(held_obj), held_rev) if k == key else None)
    return held_rev


async def test_an_update_of_a_cached_object_reads_no_storage_and_leaves_the_cached_one_alone(
        objects: ObjectStore, monkeypatch: pytest.MonkeyPatch) -> None:
    w = await objects.create(WIDGET, "ns", widget("w", labels={"a": "1"}))
    cached = await objects.get(WIDGET, "ns", "w")  # the cache has caught up
    as_cached = fresh(cached.obj)
    gets = count_gets(objects, monkeypatch)
    new = widget("w", 2, labels={"a": "2"}, resourceVersion=w["metadata"]["resourceVersion"])
    out, _ = await objects.update(WIDGET, "ns", "w", new)
    assert gets == []
    assert out["spec"] == {"size": 2} and out["metadata"]["generation"] == 2
    assert (await stored(objects, WIDGET, "ns", "w") or {})["metadata"]["labels"] == {"a": "2"}
    assert cached.obj == as_cached  # the update changed a copy, never what readers share


async def test_a_stale_guess_is_decided_again_on_storage(objects: ObjectStore,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    created = await objects.create(CM, "ns", cm("a", {"k": "v1"}))
    guessed = await guess_stays(objects, monkeypatch, CM, "ns", "a")
    second, _ = await objects.update(CM, "ns", "a", cm("a", {"k": "v2"}))
    gets = count_gets(objects, monkeypatch)

    # A precondition on the stale revision: 409, nothing written.
    before = await revision(objects)
    with pytest.raises(errors.StatusError) as exc:
        await objects.update(CM, "ns", "a", {**fresh(created), "data": {"k": "v3"}})
    assert exc.value.code == 409 and exc.value.message == CONFLICT.format("a")
    assert await revision(objects) == before
    assert gets == []  # the failed compare-and-swap said what storage holds

    # A precondition on the current one: written, though the guess is older.
    out, _ = await objects.update(CM, "ns", "a", {**fresh(second), "data": {"k": "v3"}})
    assert out["metadata"]["resourceVersion"] == str(before + 1)
    # Unconditional: the guess's revision conflicts in storage, and the update is made on the
    # current object (one write).
    out, _ = await objects.update(CM, "ns", "a", cm("a", {"k": "v4"}))
    assert out["metadata"]["resourceVersion"] == str(before + 2)
    # What the stale guess has already is no reason to skip a write the current object needs.
    out, _ = await objects.update(CM, "ns", "a", cm("a", {"k": "v1"}))
    assert out["metadata"]["resourceVersion"] == str(before + 3)
    assert (await stored(objects, CM, "ns", "a") or {})["data"] == {"k": "v1"}
    assert guessed < int(second["metadata"]["resourceVersion"])

    # Deleted behind the guess: 404.
    await objects.delete(CM, "ns", "a")
    with pytest.raises(errors.StatusError) as exc:
        await objects.update(CM, "ns", "a", cm("a", {"k": "v5"}))
    assert exc.value.code == 404


async def test_no_guess_from_a_cache_that_has_not_seen_this_servers_own_last_write(
        objects: ObjectStore, monkeypatch: pytest.MonkeyPatch) -> None:
    await objects.create(CM, "ns", cm("a"))
    await objects.get(CM, "ns", "a")  # the cache has caught up
    swaps: list[int] = []
    swap = objects.storage.update

    async def counted(key: str, value: bytes, expected: int) -> Any:
        swaps.append(expected)
        return await swap(key, value, expected)

    monkeypatch.setattr(objects.storage, "update", counted)
    second, _ = await objects.update(CM, "ns", "a", cm("a", {"k": "v2"}))
    cache = objects.caches.existing(CM.key_prefix)
    assert cache is not None
    held = cache.get(CM.key("ns", "a"))
    assert held is not None and held.revision < int(second["metadata"]["resourceVersion"])  # behind
    await objects.update(CM, "ns", "a", cm("a", {"k": "v3"}))
    # Read from storage, not guessed and refused: one compare-and-swap, on the current revision.
    assert swaps == [held.revision, int(second["metadata"]["resourceVersion"])]


async def test_an_error_on_a_current_guess_is_answered_after_one_storage_read(
        objects: ObjectStore, monkeypatch: pytest.MonkeyPatch) -> None:
    w = await objects.create(WIDGET, "ns", widget("w"))
    await objects.get(WIDGET, "ns", "w")  # the cache has caught up
    gets = count_gets(objects, monkeypatch)
    before = await revision(objects)
    with pytest.raises(errors.StatusError) as exc:
        await objects.update(WIDGET, "ns", "w", widget("w", 2))  # no resourceVersion: 422
    assert exc.value.code == 422
    assert gets == [WIDGET.key("ns", "w")] and await revision(objects) == before
    # An unchanged object: no write, its revision as it was.
    out, _ = await objects.update(WIDGET, "ns", "w", fresh(w))
    assert out["metadata"]["resourceVersion"] == w["metadata"]["resourceVersion"]
    assert await revision(objects) == before


# --- delete ---------------------------------------------------------------------------


async def test_finalizers_defer_deletion_until_the_last_one_is_removed(objects: ObjectStore) -> None:
    await objects.create(CM, "ns", cm("f", finalizers=["example.com/a", "example.com/b"]))
    marked, gone = await objects.delete(CM, "ns", "f")
    assert not gone
    assert marked["metadata"]["deletionTimestamp"] and marked["metadata"]["deletionGracePeriodSeconds"] == 0
    current = (await objects.get(CM, "ns", "f")).obj
    assert current["metadata"]["deletionTimestamp"] == marked["metadata"]["deletionTimestamp"]
    assert current["metadata"]["resourceVersion"] == marked["metadata"]["resourceVersion"]

    # Deleting again while finalizers remain changes nothing.
    before = await revision(objects)
    again, gone = await objects.delete(CM, "ns", "f")
    assert not gone and again["metadata"]["deletionTimestamp"] == marked["metadata"]["deletionTimestamp"]
    assert await revision(objects) == before

    # An update cannot clear deletionTimestamp, nor add a finalizer.
    attempt = fresh(current)
    del attempt["metadata"]["deletionTimestamp"]
    attempt["data"] = {"k": "changed"}
    out, _ = await objects.update(CM, "ns", "f", attempt)
    assert out["metadata"]["deletionTimestamp"] == marked["metadata"]["deletionTimestamp"]
    more = fresh(out)
    more["metadata"]["finalizers"].append("example.com/c")
    with pytest.raises(errors.StatusError) as exc:
        await objects.update(CM, "ns", "f", more)
    assert exc.value.code == 422 and "no new finalizers can be added" in exc.value.message

    # Removing one finalizer keeps it; removing the last deletes it.
    one = fresh(out)
    one["metadata"]["finalizers"] = ["example.com/b"]
    out, _ = await objects.update(CM, "ns", "f", one)
    assert await stored(objects, CM, "ns", "f") is not None
    last = fresh(out)
    last["metadata"]["finalizers"] = []
    await objects.update(CM, "ns", "f", last)
    assert await stored(objects, CM, "ns", "f") is None
    with pytest.raises(errors.StatusError) as exc:
        await objects.get(CM, "ns", "f")
    assert (exc.value.code, exc.value.message) == (404, 'configmaps "f" not found')


async def test_delete_preconditions(objects: ObjectStore) -> None:
    created = await objects.create(CM, "ns", cm("a"))
    uid = created["metadata"]["uid"]
    rv = created["metadata"]["resourceVersion"]
    before = await revision(objects)
    # kube rest.BeforeDelete: a Conflict on the Kind (not the resource).
    with pytest.raises(errors.StatusError) as exc:
        await objects.delete(CM, "ns", "a", uid="not-" + uid)
    assert (exc.value.code, exc.value.reason) == (409, "Conflict")
    assert exc.value.message == (
        f'Operation cannot be fulfilled on ConfigMap "a": the UID in the precondition (not-{uid}) does not match '
        f"the UID in record ({uid}). The object might have been deleted and then recreated")
    with pytest.raises(errors.StatusError) as exc:
        await objects.delete(CM, "ns", "a", resource_version="999")
    assert (exc.value.code, exc.value.reason) == (409, "Conflict")
    assert exc.value.message == (
        f'Operation cannot be fulfilled on ConfigMap "a": the ResourceVersion in the precondition (999) does not match '
        f"the ResourceVersion in record ({rv}). The object might have been modified")
    assert await revision(objects) == before and await stored(objects, CM, "ns", "a") is not None

    deleted, gone = await objects.delete(CM, "ns", "a", uid=uid, resource_version=rv)
    assert gone and deleted["metadata"]["resourceVersion"] == str(await revision(objects))
    assert await stored(objects, CM, "ns", "a") is None


async def test_delete_collection_deletes_what_matches(objects: ObjectStore) -> None:
    for i in range(4):
        await objects.create(CM, "ns", cm(f"a{i}", labels={"app": "a" if i % 2 else "b"}))
    await objects.create(CM, "other", cm("a1", labels={"app": "a"}))
    out = await objects.delete_collection(CM, "ns", lambda o: o["metadata"]["labels"]["app"] == "a")
    assert sorted(o["metadata"]["name"] for o in out) == ["a1", "a3"]
    left = await objects.list(CM, None)
    assert sorted((o.obj["metadata"]["namespace"], o.obj["metadata"]["name"]) for o in left.items) == [
        ("ns", "a0"), ("ns", "a2"), ("other", "a1")]


# --- dry run --------------------------------------------------------------------------


async def test_dry_run_changes_nothing(objects: ObjectStore) -> None:
    before = await revision(objects)
    out = await objects.create(CM, "ns", cm("dry"), dry_run=True)
    assert out["metadata"]["name"] == "dry" and out["metadata"]["uid"]
    assert await revision(objects) == before and await stored(objects, CM, "ns", "dry") is None

    created = await objects.create(CM, "ns", cm("a", finalizers=["example.com/keep"]))
    before = await revision(objects)
    with pytest.raises(errors.StatusError) as exc:
        await objects.create(CM, "ns", cm("a"), dry_run=True)
    assert exc.value.code == 409

    change = fresh(created)
    change["data"] = {"k": "dry"}
    out, _ = await objects.update(CM, "ns", "a", change, dry_run=True)
    assert out["data"] == {"k": "dry"}

    async def patch(current: Obj) -> Obj:
        return {**current, "data": {"k": "patched"}}

    out, _ = await objects.guaranteed_update(CM, "ns", "a", patch, verb="patch", dry_run=True)
    assert out["data"] == {"k": "patched"}

    out, gone = await objects.delete(CM, "ns", "a", dry_run=True)
    assert not gone and out["metadata"]["deletionTimestamp"]
    await objects.create(CM, "ns", cm("plain"))
    before = await revision(objects)
    _, gone = await objects.delete(CM, "ns", "plain", dry_run=True)
    assert gone
    await objects.delete_collection(CM, "ns", None, dry_run=True)

    assert await revision(objects) == before
    current = (await objects.get(CM, "ns", "a")).obj
    assert current["data"] == {"k": "v"} and "deletionTimestamp" not in current["metadata"]
    assert current["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert await stored(objects, CM, "ns", "plain") is not None


async def _names_paged(objects: ObjectStore, matches: Callable[[Obj], bool], limit: int) -> list[str]:
    """The names of the ConfigMaps of ``ns`` that ``matches``, paged by ``limit``: every page full
    but the last."""
    page = await objects.list(CM, "ns", matches, limit=limit)
    names = [o.obj["metadata"]["name"] for o in page.items]
    while page.continue_token:
        assert len(page.items) == limit
        page = await objects.list(CM, "ns", matches, limit=limit, continue_token=page.continue_token)
        names += [o.obj["metadata"]["name"] for o in page.items]
    return names


# --- lists ----------------------------------------------------------------------------


async def test_paginated_list_is_one_snapshot_while_writes_happen(objects: ObjectStore) -> None:
    snapshot = {}
    for i in range(10):
        out = await objects.create(CM, "ns", cm(f"cm-{i:02}"))
        snapshot[out["metadata"]["name"]] = out["metadata"]["resourceVersion"]
    await objects.create(CM, "elsewhere", cm("cm-00"))

    first = await objects.list(CM, "ns", limit=4)
    assert first.continue_token and first.remaining == 6
    # Between pages: a delete in the next page, a create before it, an update and a create after it.
    await objects.delete(CM, "ns", "cm-05")
    await objects.create(CM, "ns", cm("cm-03a"))
    second = await objects.list(CM, "ns", limit=4, continue_token=first.continue_token)
    await objects.update(CM, "ns", "cm-08", cm("cm-08", {"k": "changed"}))
    await objects.create(CM, "ns", cm("cm-99"))
    third = await objects.list(CM, "ns", limit=4, continue_token=second.continue_token)
    assert not third.continue_token
    pages = [first, second, third]
    assert [len(p.items) for p in pages] == [4, 4, 2]
    assert [p.remaining for p in pages] == [6, 2, None]
    assert {p.revision for p in pages} == {first.revision}
    seen = {o.obj["metadata"]["name"]: o.obj["metadata"]["resourceVersion"] for p in pages for o in p.items}
    assert [o.obj["metadata"]["name"] for p in pages for o in p.items] == sorted(snapshot)
    assert seen == snapshot

    # Filtering happens before the limit: pages are full unless they are the last.
    def is_odd(o: Obj) -> bool:
        return bool(o["metadata"]["name"][-1] in "13579")

    assert await _names_paged(objects, is_odd, 2) == ["cm-01", "cm-03", "cm-07", "cm-09", "cm-99"]


async def test_expired_continue_token_is_410_with_a_token_to_go_on(objects: ObjectStore) -> None:
    for i in range(6):
        await objects.create(CM, "ns", cm(f"cm-{i}"))
    first = await objects.list(CM, "ns", limit=2)
    await objects.delete(CM, "ns", "cm-4")
    await objects.create(CM, "ns", cm("cm-9"))
    await objects.storage.compact(await revision(objects))

    with pytest.raises(ExpiredContinue) as exc:
        await objects.list(CM, "ns", limit=2, continue_token=first.continue_token)
    status = exc.value.status()
    assert (status["code"], status["reason"], status["message"]) == (410, "Expired", EXPIRED_CONTINUE)
    token = status["metadata"]["continue"]
    assert token
    # The token in the 410 goes on from where the list was, at the latest revision (inconsistently).
    rest = []
    page = await objects.list(CM, "ns", limit=2, continue_token=token)
    rest += [o.obj["metadata"]["name"] for o in page.items]
    while page.continue_token:
        page = await objects.list(CM, "ns", limit=2, continue_token=page.continue_token)
        rest += [o.obj["metadata"]["name"] for o in page.items]
    assert rest == ["cm-2", "cm-3", "cm-5", "cm-9"]

    # A list at an exact compacted revision is 410 too.
    with pytest.raises(errors.StatusError) as plain:
        await objects.list(CM, "ns", resource_version=str(first.revision), resource_version_match="Exact")
    assert (plain.value.code, plain.value.reason) == (410, "Expired")


async def test_unpaged_list_reads_the_cache_consistently(objects: ObjectStore) -> None:
    for i in range(3):
        await objects.create(CM, "ns", cm(f"cm-{i}"))
    listed = await objects.list(CM, "ns")
    assert listed.revision == await revision(objects)
    assert [o.obj["metadata"]["name"] for o in listed.items] == ["cm-0", "cm-1", "cm-2"]
    # Straight after a write (no yield in between) the cache has caught up.
    await objects.delete(CM, "ns", "cm-1")
    assert [o.obj["metadata"]["name"] for o in (await objects.list(CM, "ns")).items] == ["cm-0", "cm-2"]
    got = await objects.get(CM, "ns", "cm-2")
    kv = await objects.storage.get(CM.key("ns", "cm-2"))
    assert kv is not None and got.obj["metadata"]["resourceVersion"] == str(kv.mod_revision)


async def test_pages_of_an_unchanged_resource_are_read_from_the_watch_cache(
        objects: ObjectStore, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(25):
        await objects.create(CM, "ns", cm(f"cm-{i:02}", labels={"odd": str(i % 2)}))
    await objects.create(CM, "other", cm("cm-00"))
    await objects.list(CM, "ns")  # the cache has caught up
    ranges = 0
    read = objects.storage.range

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal ranges
        ranges += 1
        return await read(*args, **kwargs)

    monkeypatch.setattr(objects.storage, "range", counted)
    pages = [await objects.list(CM, "ns", limit=10)]
    while pages[-1].continue_token:
        pages.append(await objects.list(CM, "ns", limit=10, continue_token=pages[-1].continue_token))
    assert ranges == 0
    assert [len(p.items) for p in pages] == [10, 10, 5]
    assert [p.remaining for p in pages] == [15, 5, None]
    assert {p.revision for p in pages} == {await revision(objects)}
    assert [o.obj["metadata"]["name"] for p in pages for o in p.items] == [f"cm-{i:02}" for i in range(25)]

    # Filtered, pages are full until the last.
    def odd(o: Obj) -> bool:
        return bool(o["metadata"]["labels"]["odd"] == "1")

    assert await _names_paged(objects, odd, 5) == [f"cm-{i:02}" for i in range(1, 25, 2)]
    assert ranges == 0

    # Once the resource changes, the next page is read from storage at the list's revision.
    first = await objects.list(CM, "ns", limit=10)
    await objects.delete(CM, "ns", "cm-12")
    await objects.list(CM, "ns")  # the cache has seen the delete
    second = await objects.list(CM, "ns", limit=10, continue_token=first.continue_token)
    assert ranges == 1
    assert "cm-12" in [o.obj["metadata"]["name"] for o in second.items]
