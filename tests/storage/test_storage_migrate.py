"""``copy_store``: every key, values unchanged, revisions in the same order; a non-empty target
refused unless replaced."""

from __future__ import annotations

import pytest

from setpoint.storage import MemoryStorage
from setpoint.storage.migrate import TargetNotEmpty, copy_store


async def test_copy_keeps_values_and_the_order_of_revisions() -> None:
    source, target = MemoryStorage(compact_interval=0), MemoryStorage(compact_interval=0)
    try:
        await source.create("/registry/b", b"1")
        await source.create("/registry/a", b"2")
        kv = await source.create("/registry/c", b"3")
        await source.update("/registry/b", b"1b", 1)
        await source.delete(kv.key)
        await target.create("/other", b"x")  # another revision space: the copies' revisions differ
        copied = await copy_store(source, target, prefix="/registry/")
        assert (copied.keys, copied.source_revision, copied.deleted) == (2, 5, 0)
        page = await target.range("/registry/")
        assert {kv.key: kv.value for kv in page.kvs} == {"/registry/a": b"2", "/registry/b": b"1b"}
        # a was written before b's update: it still has the smaller revision.
        revisions = {kv.key: kv.mod_revision for kv in page.kvs}
        assert revisions["/registry/a"] < revisions["/registry/b"]
        assert (copied.first_revision, copied.last_revision) == (2, 3)

        with pytest.raises(TargetNotEmpty) as refused:
            await copy_store(source, target, prefix="/registry/")
        assert refused.value.count == 2
        await target.create("/registry/stale", b"s")
        again = await copy_store(source, target, prefix="/registry/", replace=True)
        assert again.deleted == 3
        page = await target.range("/registry/")
        assert [kv.key for kv in page.kvs] == ["/registry/a", "/registry/b"]
        assert await target.get("/other") is not None  # outside the prefix: untouched
    finally:
        await source.close()
        await target.close()
