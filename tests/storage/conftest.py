"""Fixtures: every conformance test runs once per backend.

Backend construction lives in :func:`store_factory` only; a new backend (etcd)
joins the suite by adding a parameter there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from storage_helpers import StoreFactory

from setpoint.storage import MemoryStorage, SQLiteStorage, Storage

BACKENDS = ["memory", "sqlite"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
async def store_factory(backend: str, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """``await store_factory(**options)`` opens a fresh store of the backend.

    Automatic compaction is off unless a test passes ``compact_interval``.
    Every store opened is closed at teardown.
    """
    opened: list[Storage] = []

    async def make(**options: Any) -> Storage:
        options.setdefault("compact_interval", 0)
        store: Storage
        if backend == "memory":
            store = MemoryStorage(**options)
        elif backend == "sqlite":
            store = SQLiteStorage(tmp_path / f"store-{len(opened)}.db", **options)
        else:  # pragma: no cover
            raise AssertionError(backend)
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()


@pytest.fixture
async def store(store_factory: StoreFactory) -> Storage:
    return await store_factory()
