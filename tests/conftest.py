"""Fixtures shared by the test directories: the in-process API server."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import AsyncIterator, Iterator

import pytest

from etcd_cluster import EtcdCluster, etcd_binary, scratch_dir
from setpoint import storage
from setpoint.apiserver.server import APIServer


@pytest.fixture
async def api() -> AsyncIterator[APIServer]:
    """An API server on memory storage, listening on a free port."""
    store = await storage.open_storage("memory://", compact_interval=0)
    server = APIServer(store)
    await server.start("127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.stop()
        await store.close()


@pytest.fixture(scope="session")
def etcd_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdCluster]:
    """A throwaway 3-member etcd cluster on free loopback ports, shared by the session.

    Tests sharing it keep apart by key prefix. Skipped (with the reason) when etcd is missing.
    """
    binary, reason = etcd_binary()
    if binary is None:
        # Said twice: a skip's reason shows only with -rs, a warning in every summary.
        warnings.warn(f"etcd tests skipped: {reason}", stacklevel=1)
        pytest.skip(reason)
    directory = scratch_dir(tmp_path_factory.mktemp("etcd"))
    cluster = EtcdCluster(directory, members=3, binary=binary)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
