"""One ``setpoint up`` (memory storage, a free port) for the whole CRD suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from crd_helpers import Server, start, stop


@pytest.fixture(scope="session")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start(tmp_path_factory.mktemp("setpoint-crd"))
    try:
        yield server
    finally:
        stop(server.proc)
