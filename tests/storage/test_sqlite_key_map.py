"""The SQLite store's key map: each key's state in as little memory as the store can hold it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from setpoint.storage import Conflict, KeyExists, SQLiteStorage
from setpoint.storage.sqlite import _live_revision, _pack_state, _unpack_state


@pytest.mark.parametrize("state", [
    (5, 5, False), (5, 5, True), (5, 9, False), (5, 9, True), (1, 1, False),
    (2**40, 2**40 + 3, False), (2**62, 2**62, True), (7, 2**62, False),
])
def test_every_state_packs_and_unpacks_to_itself(state: tuple[int, int, bool]) -> None:
    packed = _pack_state(*state)
    assert _unpack_state(packed) == state
    assert _live_revision(packed) == (None if state[2] else state[1])


def test_a_live_key_never_updated_is_its_revision_itself() -> None:
    rev = 123_456_789
    assert _pack_state(rev, rev, False) is rev  # no int of its own
    assert sys.getsizeof(_pack_state(rev, rev + 1, False)) <= 36  # and the others in two digits or three


async def test_the_key_map_keeps_each_write_checked_as_before(tmp_path: Path) -> None:
    store = SQLiteStorage(tmp_path / "store.db", compact_interval=0)
    try:
        created = await store.create("/a", b"1")
        assert store._keys["/a"] is created.mod_revision
        with pytest.raises(KeyExists):
            await store.create("/a", b"2")
        updated = await store.update("/a", b"2", expected_mod_revision=created.mod_revision)
        assert (updated.create_revision, updated.mod_revision) == (created.mod_revision, created.mod_revision + 1)
        with pytest.raises(Conflict):
            await store.update("/a", b"3", expected_mod_revision=created.mod_revision)
        await store.delete("/a", expected_mod_revision=updated.mod_revision)
        again = await store.create("/a", b"4")
        assert again.create_revision == again.mod_revision > updated.mod_revision
    finally:
        await store.close()
    reopened = SQLiteStorage(tmp_path / "store.db", compact_interval=0)
    try:
        assert _unpack_state(reopened._keys["/a"]) == (again.mod_revision, again.mod_revision, False)
        with pytest.raises(KeyExists):
            await reopened.create("/a", b"5")
    finally:
        await reopened.close()
