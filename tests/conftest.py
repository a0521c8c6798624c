"""Fixtures shared by the test directories: the in-process API server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

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
