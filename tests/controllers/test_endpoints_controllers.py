"""The endpoints and EndpointSlice controllers with the API server in-process: a Service's
Endpoints and EndpointSlices follow its pods' IPs and readiness, named ports, headless
Services, selector changes, terminating pods and the Service's deletion."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.server import APIServer
from setpoint.controllers.endpointslice import plan
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.manager import ControllerManager
from setpoint.runtime import errors
from setpoint.runtime.client import items
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

POD = Kind("v1", "Pod")
SERVICE = Kind("v1", "Service")
ENDPOINTS = Kind("v1", "Endpoints")
SLICE = Kind("discovery.k8s.io/v1", "EndpointSlice")
NS = "default"
TIMEOUT = 10.0
TRIGGER = "endpoints.kubernetes.io/last-change-trigger-time"


@pytest.fixture
async def controllers(api: APIServer) -> AsyncIterator[ControllerManager]:
    cm = ControllerManager(api.registry, api.objects,
                           controllers=["endpoint", "endpointslice", "garbagecollector"])
    await cm.start()
    try:
        yield cm
    finally:
        await cm.stop()


def service(name: str = "web", selector: dict[str, str] | None = None, **spec: Any) -> Obj:
    spec.setdefault("ports", [{"name": "http", "port": 80, "targetPort": "http"},
                              {"name": "metrics", "port": 9090}])
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"team": "a"}},
            "spec": {"selector": selector if selector is not None else {"app": name}, **spec}}


async def pod(client: InProcessClient, name: str, labels: dict[str, str], ip: str | None = None,
              ready: bool = False, **meta: Any) -> Obj:
    created = await client.create({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS, "labels": labels, **meta},
        "spec": {"containers": [{"name": "c", "image": "nginx",
                                 "ports": [{"name": "http", "containerPort": 8080}]}]}})
    if ip is None:
        return created
    return await set_ready(client, created, ip, ready)


async def set_ready(client: InProcessClient, obj: Obj, ip: str, ready: bool,
                    when: str = "2026-01-01T00:00:00Z") -> Obj:
    current = await client.get(POD, obj["metadata"]["name"], NS)
    status = {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
              "conditions": [{"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": when}]}
    return await client.update_status({**current, "status": status})


async def get_endpoints(client: InProcessClient, name: str = "web") -> Obj:
    try:
        return await client.get(ENDPOINTS, name, NS)
    except errors.NotFound:
        raise AssertionError(f"no Endpoints {name}") from None


async def get_slices(client: InProcessClient, name: str = "web") -> list[Obj]:
    return items(await client.list(SLICE, NS, label_selector=f"kubernetes.io/service-name={name}"))


async def test_endpoints_and_slices_follow_pod_readiness(client: InProcessClient,
                                                         controllers: ControllerManager) -> None:
    svc = await client.create(service())
    web1 = await pod(client, "web-1", {"app": "web"}, "10.1.0.5")
    await pod(client, "web-2", {"app": "web"})  # no IP yet: not listed
    await pod(client, "other", {"app": "other"}, "10.1.0.9", ready=True)

    ref = {"kind": "Pod", "namespace": NS, "name": "web-1", "uid": web1["metadata"]["uid"]}
    ports = [{"name": "http", "port": 8080, "protocol": "TCP"}, {"name": "metrics", "port": 9090, "protocol": "TCP"}]

    async def not_ready() -> Obj:
        ep = await get_endpoints(client)
        assert ep.get("subsets") == [{"notReadyAddresses": [{"ip": "10.1.0.5", "targetRef": ref}], "ports": ports}]
        return ep
    ep = await eventually(not_ready, timeout=TIMEOUT)
    assert ep["metadata"]["labels"] == {"team": "a"}
    assert ep["metadata"]["annotations"][TRIGGER]

    async def one_slice(ready: bool) -> Obj:
        slices = await get_slices(client)
        assert len(slices) == 1
        s = slices[0]
        assert s["endpoints"] == [{"addresses": ["10.1.0.5"], "targetRef": ref,
                                   "conditions": {"ready": ready, "serving": ready, "terminating": False}}]
        return s
    s = await eventually(lambda: one_slice(False), timeout=TIMEOUT)
    assert s["addressType"] == "IPv4"
    assert s["metadata"]["name"].startswith("web-") and s["metadata"]["generateName"] == "web-"
    assert s["metadata"]["labels"] == {"team": "a", "kubernetes.io/service-name": "web",
                                       "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
    assert s["metadata"]["ownerReferences"] == [{"apiVersion": "v1", "kind": "Service", "name": "web",
                                                 "uid": svc["metadata"]["uid"], "controller": True,
                                                 "blockOwnerDeletion": True}]
    assert sorted(s["ports"], key=lambda p: p["name"]) == ports
    assert s["metadata"]["annotations"][TRIGGER]

    await set_ready(client, web1, "10.1.0.5", True, when="2026-01-01T00:00:07Z")

    async def ready() -> bool:
        ep = await get_endpoints(client)
        assert ep["subsets"] == [{"addresses": [{"ip": "10.1.0.5", "targetRef": ref}], "ports": ports}]
        assert ep["metadata"]["annotations"][TRIGGER] == "2026-01-01T00:00:07Z"
        return True
    await eventually(ready, timeout=TIMEOUT)
    again = await eventually(lambda: one_slice(True), timeout=TIMEOUT)
    assert again["metadata"]["name"] == s["metadata"]["name"]
    assert again["metadata"]["annotations"][TRIGGER] == "2026-01-01T00:00:07Z"

    # The selector moves to the other pod: web-1 leaves, "other" (ready) comes in.
    current = await client.get(SERVICE, "web", NS)
    await client.update({**current, "spec": {**current["spec"], "selector": {"app": "other"}}})

    async def moved() -> bool:
        ep = await get_endpoints(client)
        assert [a["ip"] for s in ep.get("subsets") or () for a in s.get("addresses") or ()] == ["10.1.0.9"]
        slices = await get_slices(client)
        assert [e["addresses"] for sl in slices for e in sl["endpoints"]] == [["10.1.0.9"]]
        return True
    await eventually(moved, timeout=TIMEOUT)

    await client.delete(SERVICE, "web", NS)

    async def gone() -> bool:
        try:
            await client.get(ENDPOINTS, "web", NS)
        except errors.NotFound:
            pass
        else:
            raise AssertionError("the Endpoints are still there")
        assert await get_slices(client) == []
        return True
    await eventually(gone, timeout=TIMEOUT)


async def test_no_pods_leave_a_placeholder_slice_and_empty_endpoints(
        client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(service("lonely"))

    async def placeholder() -> Obj:
        slices = await get_slices(client, "lonely")
        assert len(slices) == 1
        assert not slices[0].get("endpoints") and slices[0]["ports"] == []
        ep = await get_endpoints(client, "lonely")
        assert "subsets" not in ep
        return slices[0]
    first = await eventually(placeholder, timeout=TIMEOUT)

    await pod(client, "lonely-1", {"app": "lonely"}, "10.1.0.7", ready=True)

    async def filled() -> bool:
        slices = await get_slices(client, "lonely")
        assert [s["metadata"]["name"] for s in slices] == [first["metadata"]["name"]]  # reused, not replaced
        assert [e["addresses"] for e in slices[0].get("endpoints") or ()] == [["10.1.0.7"]]
        return True
    await eventually(filled, timeout=TIMEOUT)


async def test_headless_service_without_ports(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(service("db", clusterIP="None", ports=[]))
    db0 = await pod(client, "db-0", {"app": "db"}, "10.1.0.3", ready=True)

    async def listed() -> bool:
        ep = await get_endpoints(client, "db")
        assert ep["metadata"]["labels"] == {"team": "a", "service.kubernetes.io/headless": ""}
        assert ep.get("subsets") == [{"addresses": [{"ip": "10.1.0.3", "targetRef": {
            "kind": "Pod", "namespace": NS, "name": "db-0", "uid": db0["metadata"]["uid"]}}]}]
        slices = await get_slices(client, "db")
        assert len(slices) == 1
        assert slices[0]["ports"] == []
        assert slices[0]["metadata"]["labels"]["service.kubernetes.io/headless"] == ""
        assert [e["addresses"] for e in slices[0].get("endpoints") or ()] == [["10.1.0.3"]]
        return True
    await eventually(listed, timeout=TIMEOUT)


async def test_terminating_pods_and_publish_not_ready(client: InProcessClient,
                                                      controllers: ControllerManager) -> None:
    await client.create(service("api"))
    await pod(client, "api-1", {"app": "api"}, "10.1.0.4", ready=True, finalizers=["example.com/hold"])
    await eventually(lambda: _addresses(client, "api", "addresses", ["10.1.0.4"]), timeout=TIMEOUT)
    await client.delete(POD, "api-1", NS)

    async def terminating() -> bool:
        ep = await get_endpoints(client, "api")
        assert "subsets" not in ep
        slices = await get_slices(client, "api")
        assert [e["conditions"] for e in slices[0].get("endpoints") or ()] == [
            {"ready": False, "serving": True, "terminating": True}]
        return True
    await eventually(terminating, timeout=TIMEOUT)

    current = await client.get(SERVICE, "api", NS)
    await client.update({**current, "spec": {**current["spec"], "publishNotReadyAddresses": True}})

    async def published() -> bool:
        await _addresses(client, "api", "addresses", ["10.1.0.4"])
        slices = await get_slices(client, "api")
        assert [e["conditions"] for e in slices[0].get("endpoints") or ()] == [
            {"ready": True, "serving": True, "terminating": True}]
        return True
    await eventually(published, timeout=TIMEOUT)
    held = await client.get(POD, "api-1", NS)
    await client.update({**held, "metadata": {**held["metadata"], "finalizers": []}})


async def _addresses(client: InProcessClient, name: str, field: str, ips: list[str]) -> bool:
    ep = await get_endpoints(client, name)
    assert [a["ip"] for s in ep.get("subsets") or () for a in s.get(field) or ()] == ips
    return True


def _pod(i: int) -> Obj:
    return {"metadata": {"name": f"p{i}", "namespace": NS, "uid": f"u{i}", "labels": {"app": "x"}},
            "spec": {"containers": [{"name": "c"}]},
            "status": {"podIPs": [{"ip": f"10.2.0.{i}"}], "conditions": [{"type": "Ready", "status": "True"}]}}


def test_slices_hold_at_most_the_maximum_and_are_filled_before_new_ones() -> None:
    svc = {"metadata": {"name": "x", "namespace": NS, "uid": "s"},
           "spec": {"clusterIP": "10.96.0.9", "ports": [{"name": "", "port": 80, "targetPort": 80}]}}
    first = plan(svc, [_pod(i) for i in range(5)], [], "IPv4", max_per_slice=2)
    assert [len(s["endpoints"]) for s in first.create] == [2, 2, 1] and not first.update and not first.delete
    existing = [{**s, "metadata": {**s["metadata"], "name": f"x-{n}"}} for n, s in enumerate(first.create)]
    # One pod more fits into the slice with room; nothing is created.
    second = plan(svc, [_pod(i) for i in range(6)], existing, "IPv4", max_per_slice=2)
    assert not second.create and not second.delete
    assert [(s["metadata"]["name"], len(s["endpoints"])) for s in second.update] == [("x-2", 2)]
    # Every pod gone: the slices go, one is kept as the placeholder.
    third = plan(svc, [], existing, "IPv4", max_per_slice=2)
    assert not third.create and len(third.delete) == 2
    assert [(s["endpoints"], s["ports"]) for s in third.update] == [([], [])]


async def test_an_endpoint_carries_its_nodes_zone(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create({"apiVersion": "v1", "kind": "Node",
                         "metadata": {"name": "node-a", "labels": {"topology.kubernetes.io/zone": "zone-1"}}})
    await client.create(service("zoned"))
    created = await client.create({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "zoned-1", "namespace": NS, "labels": {"app": "zoned"}},
        "spec": {"nodeName": "node-a", "containers": [{"name": "c", "image": "nginx"}]}})
    await set_ready(client, created, "10.1.0.21", True)

    async def zoned() -> bool:
        slices = await get_slices(client, "zoned")
        assert [(e.get("zone"), e.get("nodeName")) for s in slices for e in s.get("endpoints") or ()] == [
            ("zone-1", "node-a")]
        ep = await get_endpoints(client, "zoned")
        assert [a.get("nodeName") for s in ep.get("subsets") or () for a in s.get("addresses") or ()] == ["node-a"]
        return True
    await eventually(zoned, timeout=TIMEOUT)
