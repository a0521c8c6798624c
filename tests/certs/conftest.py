"""Certificate controller tests run against the real embedded API server (``setpoint.testing``),
with the controllers either as an operator beside the test (over HTTP, as ``python -m setpoint.certs
run``) or inside the server (as ``setpoint up --certificates`` runs them, on the in-process client)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from certs_helpers import controllers

from setpoint.controlplane import ControlPlane
from setpoint.runtime import HTTPClient
from setpoint.testing import setpoint_api, start_api_server

__all__ = ["certs_client", "setpoint_api"]


@pytest_asyncio.fixture(params=["operator", "in-server"])
async def certs_client(request: pytest.FixtureRequest) -> AsyncIterator[HTTPClient]:
    """A client of a server whose certificate controllers run (cert-manager's defaults otherwise)."""
    if request.param == "operator":
        async with start_api_server() as api, controllers(api.client):
            yield api.client
        return
    with tempfile.TemporaryDirectory(prefix="setpoint-certs-") as tmp:
        plane = ControlPlane("memory://", port=0, data_dir=Path(tmp), tls_options=None, certificates=True)
        await plane.start()
        client = HTTPClient.from_kubeconfig(Path(tmp) / "kubeconfig")
        try:
            yield client
        finally:
            await client.close()
            await plane.stop()
