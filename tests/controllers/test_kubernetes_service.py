"""The ``kubernetes`` Service in ``default``, kept by the control plane as kube-apiserver's bootstrap
controller keeps it: created at start-up, pointing at the server, put back when deleted or changed."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from setpoint.apimachinery.clock import micro_time
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


LEASE = Kind("coordination.k8s.io/v1", "Lease")


def identity_lease(name: str, address: str, *, renewed_ago: float = 0.0, duration: int = 3600) -> Obj:
    """Another API server's identity Lease, as kube-apiserver writes it."""
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": name, "namespace": "kube-system",
                         "labels": {"apiserver.kubernetes.io/identity": "kube-apiserver",
                                    "kubernetes.io/hostname": "elsewhere"},
                         "annotations": {"kubernetes.io/peer-advertise-address": address}},
            "spec": {"holderIdentity": f"{name}_1", "leaseDurationSeconds": duration,
                     "renewTime": micro_time(time.time() - renewed_ago)}}


async def test_every_live_server_is_in_the_endpoints(plane: ControlPlane, client: InProcessClient) -> None:
    port = plane.port
    https = {"name": "https", "port": port, "protocol": "TCP"}
    # This server's own identity Lease, as kube-apiserver's.
    leases = await eventually(lambda: _identity_leases(client), timeout=TIMEOUT)
    (own,) = leases
    assert own["metadata"]["name"].startswith("apiserver-")
    assert own["metadata"]["annotations"] == {"kubernetes.io/peer-advertise-address": f"{ADDRESS}:{port}"}
    assert own["spec"]["leaseDurationSeconds"] == 3600

    # A second server on the same port (kube's replicas behind a load balancer): one subset, sorted;
    # a third on another port: a subset of its own.
    await client.create(identity_lease("apiserver-b", f"192.0.2.9:{port}"))
    await client.create(identity_lease("apiserver-c", "192.0.2.11:7443", renewed_ago=12.0))

    async def listed(want: list[Obj]) -> bool:
        return bool((await _get(client, ENDPOINTS)).get("subsets") == want)

    # (addresses in byte order, as kube's RepackSubsets sorts them)
    both = [{"addresses": [{"ip": ADDRESS}, {"ip": "192.0.2.9"}], "ports": [https]},
            {"addresses": [{"ip": "192.0.2.11"}], "ports": [{"name": "https", "port": 7443, "protocol": "TCP"}]}]
    both.sort(key=lambda s: s["ports"][0]["port"])
    await eventually(lambda: listed(both), timeout=TIMEOUT)
    es = await _get(client, SLICE)
    assert [e["addresses"] for e in es["endpoints"]] == [[a["ip"]] for a in both[0]["addresses"]]
    # The third was last renewed 12 s ago: 15 s after that it is dropped, with no other change.
    await eventually(lambda: listed([{"addresses": [{"ip": ADDRESS}, {"ip": "192.0.2.9"}], "ports": [https]}]),
                     timeout=TIMEOUT)


async def test_an_expired_identity_lease_is_deleted(plane: ControlPlane, client: InProcessClient) -> None:
    await client.create(identity_lease("apiserver-gone", "192.0.2.50:6443", renewed_ago=7200.0))
    await eventually(lambda: gone(client, LEASE, "apiserver-gone", "kube-system"), timeout=TIMEOUT)
    assert "192.0.2.50" not in str((await _get(client, ENDPOINTS))["subsets"])


async def _identity_leases(client: InProcessClient) -> list[Obj]:
    return [lease for lease in items(await client.list(LEASE, "kube-system",
                                                       label_selector="apiserver.kubernetes.io/identity"))]


async def gone(client: InProcessClient, kind: Kind, name: str, namespace: str) -> bool:
    try:
        await client.get(kind, name, namespace)
    except errors.NotFound:
        return True
    return False
