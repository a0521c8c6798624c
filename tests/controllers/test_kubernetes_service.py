"""The ``kubernetes`` Service in ``default``, kept by the control plane as kube-apiserver's bootstrap
controller keeps it: created at start-up, pointing at the server, put back when deleted or changed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controlplane import ControlPlane
from setpoint.runtime import errors
from setpoint.runtime.client import items
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

SERVICE = Kind("v1", "Service")
ENDPOINTS = Kind("v1", "Endpoints")
SLICE = Kind("discovery.k8s.io/v1", "EndpointSlice")
ADDRESS = "192.0.2.10"
TIMEOUT = 10.0


@pytest.fixture
async def plane() -> AsyncIterator[ControlPlane]:
    cp = ControlPlane("memory://", port=0, advertise_address=ADDRESS, compact_interval=0)
    await cp.start()
    try:
        yield cp
    finally:
        await cp.stop()


@pytest.fixture
def client(plane: ControlPlane) -> InProcessClient:
    assert plane.server is not None
    return InProcessClient(plane.server.registry, plane.server.objects)


async def _get(client: InProcessClient, kind: Kind, name: str = "kubernetes") -> Obj:
    try:
        return await client.get(kind, name, "default")
    except errors.NotFound:
        raise AssertionError(f"no {kind.kind} {name}") from None


async def test_the_kubernetes_service_points_at_the_server(plane: ControlPlane, client: InProcessClient) -> None:
    port = plane.port
    svc = await eventually(lambda: _get(client, SERVICE), timeout=TIMEOUT)
    assert svc["metadata"]["labels"] == {"component": "apiserver", "provider": "kubernetes"}
    spec = svc["spec"]
    assert spec["clusterIP"] == "10.96.0.1" and spec["clusterIPs"] == ["10.96.0.1"]
    assert spec["type"] == "ClusterIP" and "selector" not in spec
    assert spec["ports"] == [{"name": "https", "protocol": "TCP", "port": 443, "targetPort": port}]
    ep = await eventually(lambda: _get(client, ENDPOINTS), timeout=TIMEOUT)
    assert ep["metadata"]["labels"] == {"endpointslice.kubernetes.io/skip-mirror": "true"}
    assert ep["subsets"] == [{"addresses": [{"ip": ADDRESS}],
                              "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}]
    es = await eventually(lambda: _get(client, SLICE), timeout=TIMEOUT)
    assert es["metadata"]["labels"] == {"kubernetes.io/service-name": "kubernetes"}
    assert (es["addressType"], es["endpoints"], es["ports"]) == (
        "IPv4", [{"addresses": [ADDRESS], "conditions": {"ready": True}}],
        [{"name": "https", "port": port, "protocol": "TCP"}])
    # Not the EndpointSlice controller's: it leaves a Service without a selector alone.
    assert [s["metadata"]["name"] for s in items(await client.list(SLICE, "default"))] == ["kubernetes"]

    await client.update({**svc, "spec": {**spec, "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}})
    await client.delete(ENDPOINTS, "kubernetes", "default")

    async def restored() -> bool:
        again = await _get(client, SERVICE)
        assert again["spec"]["ports"] == spec["ports"]
        assert (await _get(client, ENDPOINTS))["subsets"] == ep["subsets"]
        return True
    await eventually(restored, timeout=TIMEOUT)

    await client.delete(SERVICE, "kubernetes", "default")

    async def recreated() -> bool:
        again = await _get(client, SERVICE)
        assert again["metadata"]["uid"] != svc["metadata"]["uid"] and again["spec"]["clusterIP"] == "10.96.0.1"
        return True
    await eventually(recreated, timeout=TIMEOUT)
