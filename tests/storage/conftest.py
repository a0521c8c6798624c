"""Fixtures: every conformance test runs once per backend.

Backend construction lives in :func:`store_factory` only. The etcd backend runs
the modules of :data:`ETCD_MODULES` on the session's 3-member cluster: each
store under its own key prefix, its revisions counted from the cluster's
revision when it opened (``relative_revisions``), so tests share the cluster
and still see revisions 1, 2, 3...
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from storage_helpers import StoreFactory

from etcd_cluster import etcd_prefix
from setpoint.storage import MemoryStorage, SQLiteStorage, Storage
from setpoint.storage.etcd import EtcdStorage

BACKENDS = ["memory", "sqlite"]
#: The modules that also run on etcd (the others test in-process internals: watch buffers, replay chunks).
ETCD_MODULES = {"test_storage_conformance", "test_storage_watch", "test_storage_compaction"}


#: Tests of those modules that cannot hold on etcd, and why.
ETCD_EXCLUDED = {
    "test_slow_watcher_expires_without_slowing_writers": "reads the in-process watch hub",
    "test_expired_watch_reports_last_delivered_revision": (
        "etcd holds a slow watcher back (gRPC flow control, as kube-apiserver's etcd3 watcher) instead of expiring it"
    ),
    "test_compaction_in_many_steps_matches_one_step": (
        "two independent stores: on one cluster their revisions interleave and one compaction covers both"
    ),
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        module = metafunc.module.__name__.rpartition(".")[2]
        on_etcd = module in ETCD_MODULES and metafunc.function.__name__ not in ETCD_EXCLUDED
        etcd = ["etcd"] if on_etcd else []
        metafunc.parametrize("backend", BACKENDS + etcd, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
async def store_factory(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[StoreFactory]:
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
        elif backend == "etcd":
            cluster = request.getfixturevalue("etcd_cluster")
            store = await EtcdStorage.open(
                cluster.endpoints, prefix=etcd_prefix(), relative_revisions=True, **options
            )
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
