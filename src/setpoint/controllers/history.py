"""ControllerRevisions: the saved pod templates of a StatefulSet or a DaemonSet.

kube's ``pkg/controller/history/controller_history.go`` and the controllers' ``getPatch``:
a revision's ``data`` is the patch ``{"spec": {"template": {..., "$patch": "replace"}}}``
that brings its owner back to that template (what ``kubectl rollout undo`` applies),
its ``revision`` a number that only grows, its name ``<owner>-<hash>`` with the hash of
the data (and of the owner's ``collisionCount``, bumped when another revision already
has the name). Revisions carry the template's labels, so the owner's selector finds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from setpoint.apimachinery.goformat import json_marshal
from setpoint.apimachinery.randstr import ALPHANUMS
from setpoint.apimachinery.types import Obj
from setpoint.runtime import errors
from setpoint.runtime import labels as labelsel
from setpoint.runtime.client import Client
from setpoint.runtime.objects import owner_reference
from setpoint.runtime.resource import Kind

CONTROLLER_REVISION = Kind("apps/v1", "ControllerRevision")
#: The label a revision carries its hash in (``history.ControllerRevisionHashLabel``).
HASH_LABEL = "controller.kubernetes.io/hash"
#: The label pods carry their revision in (``apps.ControllerRevisionHashLabelKey``).
POD_REVISION_LABEL = "controller-revision-hash"


def safe_encode(text: str) -> str:
    """``rand.SafeEncodeString`` (over utilrand's alphabet)."""
    return "".join(ALPHANUMS[b % len(ALPHANUMS)] for b in text.encode())


def fnv32(data: bytes) -> int:
    """FNV-1, 32 bits (Go's ``hash/fnv.New32``)."""
    h = 0x811C9DC5
    for b in data:
        h = (h * 0x01000193) & 0xFFFFFFFF
        h ^= b
    return h


def fnv32a(data: bytes) -> int:
    """FNV-1a, 32 bits (Go's ``hash/fnv.New32a``)."""
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def template_patch(template: Mapping[str, Any]) -> Obj:
    """``getPatch``: the revision data restoring ``template``."""
    return {"spec": {"template": {**template, "$patch": "replace"}}}


def template_of(revision: Obj) -> Obj:
    """The pod template a revision saved (``ApplyRevision`` of its patch)."""
    template = ((revision.get("data") or {}).get("spec") or {}).get("template") or {}
    return {k: v for k, v in template.items() if k != "$patch"}


def data_bytes(data: object) -> bytes:
    """The revision data as ``json.Marshal`` writes it (map keys sorted)."""
    return json_marshal(data).encode()


def hash_revision(data: object, collision_count: int | None) -> str:
    """``HashControllerRevision``: FNV-1 of the data and the collision count, safely encoded."""
    raw = data_bytes(data)
    if collision_count is not None:
        raw += str(collision_count).encode()
    return safe_encode(str(fnv32(raw)))


def revision_name(prefix: str, hash_: str) -> str:
    """``ControllerRevisionName``: ``<prefix>-<hash>``, the prefix cut to 223 characters."""
    return f"{prefix[:223]}-{hash_}"


def new_revision(parent: Obj, template_labels: Mapping[str, str] | None, data: Obj, revision: int,
                 collision_count: int | None) -> Obj:
    """``NewControllerRevision``: a revision of ``parent``, named from the hash of its data."""
    hash_ = hash_revision(data, collision_count)
    meta = parent["metadata"]
    labels = dict(template_labels or {})
    labels[HASH_LABEL] = hash_
    return {"apiVersion": "apps/v1", "kind": "ControllerRevision",
            "metadata": {"name": revision_name(meta["name"], hash_), "namespace": meta.get("namespace"),
                         "labels": labels, "ownerReferences": [owner_reference(parent)]},
            "data": data, "revision": revision}


def sort_revisions(revisions: Iterable[Obj]) -> list[Obj]:
    """``SortControllerRevisions``: by revision, then creation time, then name."""
    return sorted(revisions, key=lambda r: (r.get("revision") or 0, r["metadata"].get("creationTimestamp") or "",
                                            r["metadata"]["name"]))


def equal_revision(a: Obj, b: Obj) -> bool:
    """``EqualRevision``: same hash label (when both have one) and the same data."""
    ha = (a["metadata"].get("labels") or {}).get(HASH_LABEL)
    hb = (b["metadata"].get("labels") or {}).get(HASH_LABEL)
    if ha is not None and hb is not None and ha != hb:
        return False
    return bool(a.get("data") == b.get("data"))


def find_equal_revisions(revisions: Sequence[Obj], needle: Obj) -> list[Obj]:
    """``FindEqualRevisions``: the revisions whose data is the needle's."""
    return [r for r in revisions if equal_revision(r, needle)]


def next_revision(revisions: Sequence[Obj]) -> int:
    """One more than the highest revision number (1 for none)."""
    return max((r.get("revision") or 0 for r in revisions), default=0) + 1


async def create_revision(client: Client, parent: Obj, revision: Obj, collision_count: int) -> tuple[Obj, int]:
    """``CreateControllerRevision``: create ``revision``, renamed with a new hash while another
    revision with other data holds the name; returns it and the collision count used."""
    while True:
        hash_ = hash_revision(revision["data"], collision_count)
        body = {**revision, "metadata": {**revision["metadata"],
                                         "name": revision_name(parent["metadata"]["name"], hash_)}}
        try:
            return await client.create(body), collision_count
        except errors.AlreadyExists:
            existing = await client.get(CONTROLLER_REVISION, body["metadata"]["name"],
                                        parent["metadata"].get("namespace"))
            if existing.get("data") == revision["data"]:
                return existing, collision_count
            collision_count += 1


async def update_revision(client: Client, revision: Obj, number: int) -> Obj:
    """``UpdateControllerRevision``: give ``revision`` the number ``number``."""
    if revision.get("revision") == number:
        return revision
    meta = revision["metadata"]
    return await client.patch(CONTROLLER_REVISION, meta["name"], {"revision": number}, meta.get("namespace"))


async def truncate_history(client: Client, revisions: Sequence[Obj], live: set[str], limit: int) -> None:
    """Delete the oldest revisions not in ``live`` beyond ``limit`` (``truncateHistory``)."""
    history = [r for r in sort_revisions(revisions) if r["metadata"]["name"] not in live]
    for r in history[:max(len(history) - limit, 0)]:
        try:
            await client.delete(CONTROLLER_REVISION, r["metadata"]["name"], r["metadata"].get("namespace"))
        except errors.NotFound:
            pass


async def claim_revisions(client: Client, revisions: Iterable[Obj], owner: Obj,
                          selector: labelsel.Selector) -> list[Obj]:
    """``ClaimControllerRevisions``: the revisions ``owner`` controls, and the orphans its selector
    selects, adopted (as after ``kubectl delete --cascade=orphan`` and a new owner of the name)."""
    uid = owner["metadata"]["uid"]
    out: list[Obj] = []
    for revision in revisions:
        meta = revision["metadata"]
        refs = meta.get("ownerReferences") or []
        controller = next((r for r in refs if r.get("controller")), None)
        if controller is not None:
            if controller.get("uid") == uid:
                out.append(revision)
            continue
        if owner["metadata"].get("deletionTimestamp") or not selector.matches(meta.get("labels")):
            continue
        try:
            out.append(await client.patch(CONTROLLER_REVISION, meta["name"], {"metadata": {
                "ownerReferences": [*refs, owner_reference(owner)], "uid": meta["uid"]}}, meta.get("namespace")))
        except errors.NotFound:
            continue
    return out
