"""Random operation sequences: SQLiteStorage must behave exactly like MemoryStorage."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from setpoint.storage import MemoryStorage, SQLiteStorage, Storage, StorageError

KEYS = st.sampled_from(["/a", "/a/1", "/a/2", "/a/22", "/ab", "/b", "/b/1", "/\u00e9"])
PREFIXES = st.sampled_from(["", "/", "/a", "/a/", "/b/", "/c", "/\u00e9"])
VALUES = st.binary(max_size=6)


def outcome_of(result: Any) -> Any:
    if isinstance(result, StorageError):
        return (type(result).__name__, str(result), getattr(result, "current", None))
    if isinstance(result, BaseException):
        raise result
    return result


class SameAsMemory(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = Path(tempfile.mkdtemp(prefix="setpoint-model-"))
        self.memory: Storage = self.run(self._open_memory())
        self.sqlite: Storage = self.run(self._open_sqlite())

    async def _open_memory(self) -> Storage:
        return MemoryStorage(compact_interval=0)

    async def _open_sqlite(self) -> Storage:
        return SQLiteStorage(self.dir / "model.db", compact_interval=0, synchronous="NORMAL")

    def run(self, coro: Awaitable[Any]) -> Any:
        return self.loop.run_until_complete(coro)

    def both(self, op: Callable[[Storage], Awaitable[Any]]) -> Any:
        async def call(store: Storage) -> Any:
            try:
                return await op(store)
            except StorageError as exc:
                return exc

        expected = outcome_of(self.run(call(self.memory)))
        actual = outcome_of(self.run(call(self.sqlite)))
        assert actual == expected, f"sqlite: {actual!r}\nmemory: {expected!r}"
        return expected

    def revision_choice(self, data: st.DataObject) -> int:
        current: int = self.memory.revision  # type: ignore[attr-defined]
        return data.draw(st.integers(0, current + 1), label="revision")

    @rule(key=KEYS, value=VALUES)
    def create(self, key: str, value: bytes) -> None:
        self.both(lambda s: s.create(key, value))

    @rule(key=KEYS, value=VALUES, data=st.data())
    def update(self, key: str, value: bytes, data: st.DataObject) -> None:
        expected = self.mod_revision_choice(key, data)
        self.both(lambda s: s.update(key, value, expected))

    @rule(key=KEYS, data=st.data())
    def delete(self, key: str, data: st.DataObject) -> None:
        expected = self.mod_revision_choice(key, data)
        self.both(lambda s: s.delete(key, expected))

    def mod_revision_choice(self, key: str, data: st.DataObject) -> int:
        current = self.run(self.memory.get(key))
        right = current.mod_revision if current is not None else 0
        choice: int = data.draw(st.sampled_from([0, right, right + 1, max(right - 1, 0)]), label="expected")
        return choice

    @rule(key=KEYS, data=st.data())
    def get(self, key: str, data: st.DataObject) -> None:
        revision = self.revision_choice(data)
        self.both(lambda s: s.get(key, revision=revision))

    @rule(prefix=PREFIXES, limit=st.integers(0, 4), start_after=st.none() | KEYS, data=st.data())
    def range(self, prefix: str, limit: int, start_after: str | None, data: st.DataObject) -> None:
        revision = self.revision_choice(data)
        self.both(lambda s: s.range(prefix, limit=limit, start_after=start_after, revision=revision))

    @rule(prefix=PREFIXES, limit=st.integers(1, 3), data=st.data())
    def paginate(self, prefix: str, limit: int, data: st.DataObject) -> None:
        """Page through a past snapshot; every page must match."""
        revision = self.revision_choice(data)

        async def pages(store: Storage) -> list[Any]:
            out = [await store.range(prefix, limit=limit, revision=revision)]
            while out[-1].more:
                out.append(
                    await store.range(
                        prefix, limit=limit, start_after=out[-1].kvs[-1].key, revision=out[-1].revision
                    )
                )
            return out

        self.both(pages)

    @rule(prefix=PREFIXES)
    def count(self, prefix: str) -> None:
        self.both(lambda s: s.count(prefix))

    @rule(data=st.data())
    def compact(self, data: st.DataObject) -> None:
        revision = self.revision_choice(data)
        self.both(lambda s: s.compact(revision))

    @rule(prefix=PREFIXES, data=st.data())
    def watch_replay(self, prefix: str, data: st.DataObject) -> None:
        """A watch from a past revision replays the same events."""
        current: int = self.memory.revision  # type: ignore[attr-defined]
        start = data.draw(st.integers(0, current), label="start")
        # A write under the prefix after the watch starts marks the end of the replay.
        marker = prefix + "\U0010ffff-marker"

        async def replay(store: Storage) -> list[Any]:
            watch = store.watch(prefix, start)
            end = await store.create(marker, b"")
            events: list[Any] = []
            try:
                async with asyncio.timeout(10):
                    async for batch in watch:
                        events.extend(batch)
                        if events[-1].revision >= end.mod_revision:
                            break
            finally:
                await watch.close()
                await store.delete(marker)
            return events

        self.both(replay)

    @invariant()
    def same_revisions(self) -> None:
        self.both(lambda s: _revisions(s))

    def teardown(self) -> None:
        try:
            self.run(self.memory.close())
            self.run(self.sqlite.close())
        finally:
            self.loop.close()
            shutil.rmtree(self.dir, ignore_errors=True)


async def _revisions(store: Storage) -> tuple[int, int]:
    return await store.current_revision(), await store.compact_revision()


SameAsMemory.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestSameAsMemory = SameAsMemory.TestCase
