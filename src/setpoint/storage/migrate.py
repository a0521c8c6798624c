"""Copy every key of one store into another (``setpoint migrate``): SQLite to etcd, say.

The source is read at one revision (a consistent snapshot); its keys are written to the target
one at a time in the order of their ``mod_revision``, with their values unchanged. The target
gives each key a revision of its own (etcd numbers its own writes), so resourceVersions change but
keep their order: an object changed after another still has the greater resourceVersion. History
(older revisions, deleted keys) is not copied, as an etcd snapshot restore keeps none either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .interface import KeyValue, Storage, StorageError

#: Keys read from the source per range.
PAGE: int = 1000


class TargetNotEmpty(StorageError):
    """The target already holds keys under the prefix (copy over them only when told)."""

    def __init__(self, count: int) -> None:
        super().__init__(f"the target already holds {count} keys")
        self.count = count


@dataclass(frozen=True)
class Copied:
    """What a copy did: how many keys, the source's snapshot revision, the target's revisions."""

    keys: int
    source_revision: int
    first_revision: int
    last_revision: int
    deleted: int


async def snapshot(store: Storage, prefix: str = "") -> tuple[list[KeyValue], int]:
    """Every key under ``prefix`` at one revision, and that revision."""
    kvs: list[KeyValue] = []
    revision = 0
    start_after: str | None = None
    while True:
        page = await store.range(prefix, limit=PAGE, start_after=start_after, revision=revision)
        revision = page.revision
        kvs.extend(page.kvs)
        if not page.more or not page.kvs:
            return kvs, revision
        start_after = page.kvs[-1].key


async def copy_store(source: Storage, target: Storage, *, prefix: str = "", replace: bool = False,
                     progress: Callable[[int, int], None] | None = None) -> Copied:
    """Copy every key of ``source`` under ``prefix`` into ``target``, oldest change first.

    A target holding keys under ``prefix`` raises :class:`TargetNotEmpty`, unless ``replace``:
    then those keys are deleted first, so the target ends holding what the source holds.
    ``progress(done, total)`` is called now and then.
    """
    kvs, revision = await snapshot(source, prefix)
    present, _ = await snapshot(target, prefix)
    if present and not replace:
        raise TargetNotEmpty(len(present))
    for kv in present:
        await target.delete(kv.key)
    kvs.sort(key=lambda kv: kv.mod_revision)
    first = last = 0
    for done, kv in enumerate(kvs, 1):
        written = await target.create(kv.key, kv.value)
        first = first or written.mod_revision
        last = written.mod_revision
        if progress is not None and (done % PAGE == 0 or done == len(kvs)):
            progress(done, len(kvs))
    return Copied(len(kvs), revision, first, last, len(present))
