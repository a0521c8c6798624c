"""An API server in-process (memory storage) for the built-in controllers' tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from controllers_helpers import RefuseDeletes

from setpoint import storage
from setpoint.apimachinery.clock import FakeClock
from setpoint.apiserver.registry.admission import AdmissionChain
from setpoint.apiserver.server import APIServer
from setpoint.controllers.inprocess import InProcessClient


@pytest.fixture
def refuse() -> RefuseDeletes:
    return RefuseDeletes()


@pytest.fixture
async def api(refuse: RefuseDeletes) -> AsyncIterator[APIServer]:
    store = await storage.open_storage("memory://", compact_interval=0)
    server = APIServer(store, admission=AdmissionChain([refuse]))
    await server.start("127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.stop()
        await store.close()


@pytest.fixture
def client(api: APIServer) -> InProcessClient:
    return InProcessClient(api.registry, api.objects)


@pytest.fixture
def clock() -> FakeClock:
    """A clock standing at now (whole seconds) until a test moves it."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0))
