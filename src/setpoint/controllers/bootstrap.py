"""The ``kubernetes`` Service: how a pod finds the API server, as kube-apiserver's bootstrap
controller keeps it (``pkg/controlplane/controller/kubernetesservice`` and the endpoints
reconciler of ``pkg/controlplane/reconcilers``).

In ``default``: the Service ``kubernetes`` (ClusterIP ``10.96.0.1``, the first address of the
service range; port ``https`` 443 to the server's port; labels ``component: apiserver`` and
``provider: kubernetes``; no selector), put back when deleted and reset when its ports or type
change; and, when the server has an address to advertise, its Endpoints (labelled
``endpointslice.kubernetes.io/skip-mirror``) and the EndpointSlice ``kubernetes`` pointing at it.
As kube-apiserver, the advertised address is the host's (the interface of the default route),
never a loopback one, which Endpoints may not hold: without one, only the Service is kept.
This is kube-apiserver's, not kube-controller-manager's: it always runs.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket

from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.manager import Manager
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

SERVICE = Kind("v1", "Service")
ENDPOINTS = Kind("v1", "Endpoints")
ENDPOINT_SLICE = Kind("discovery.k8s.io/v1", "EndpointSlice")
NAME, NAMESPACE = "kubernetes", "default"
#: The first address of the service range (``10.96.0.0/12``).
SERVICE_IP = "10.96.0.1"
SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror"


def host_address() -> str | None:
    """kube's ``ChooseHostInterface``: the host's IPv4 address on its default route (None when
    there is none, or only a loopback one). No packet is sent: a UDP socket is only connected."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("203.0.113.1", 9))  # TEST-NET-3: routed by the default route, never answered
        address = str(sock.getsockname()[0])
        ip = ipaddress.ip_address(address)
        if not (ip.is_loopback or ip.is_unspecified or ip.is_link_local):
            return address
    return None


class KubernetesServiceReconciler:
    """Keeps the ``kubernetes`` Service, Endpoints and EndpointSlice as they should be."""

    def __init__(self, manager: Manager, client: InProcessClient, *, port: int, address: str | None) -> None:
        self.cache = manager.cache
        self.client = client
        self.port = port
        self.address = address

    def service_ports(self) -> list[Obj]:
        return [{"name": "https", "protocol": "TCP", "port": 443, "targetPort": self.port}]

    async def reconcile(self, request: Request) -> Result | None:
        await self._service()
        if self.address is not None:
            await self._endpoints()
            await self._slice()
        return None

    async def _service(self) -> None:
        """``CreateOrUpdateMasterServiceIfNeeded`` (reconciling the ports and type)."""
        current = self.cache.get(SERVICE, NAME, NAMESPACE)
        ports = self.service_ports()
        if current is None:
            with contextlib.suppress(errors.AlreadyExists):
                await self.client.create({
                    "apiVersion": "v1", "kind": "Service",
                    "metadata": {"name": NAME, "namespace": NAMESPACE,
                                 "labels": {"component": "apiserver", "provider": "kubernetes"}},
                    "spec": {"ports": ports, "clusterIP": SERVICE_IP, "ipFamilyPolicy": "SingleStack",
                             "sessionAffinity": "None", "type": "ClusterIP"}})
            return
        spec = current.get("spec") or {}
        if spec.get("type") == "ClusterIP" and spec.get("ports") == ports:
            return
        await self.client.update({**current, "spec": {**spec, "ports": ports, "type": "ClusterIP"}})

    async def _endpoints(self) -> None:
        subsets = [{"addresses": [{"ip": self.address}],
                    "ports": [{"name": "https", "port": self.port, "protocol": "TCP"}]}]
        current = self.cache.get(ENDPOINTS, NAME, NAMESPACE)
        if current is None:
            with contextlib.suppress(errors.AlreadyExists):
                await self.client.create({"apiVersion": "v1", "kind": "Endpoints",
                                          "metadata": {"name": NAME, "namespace": NAMESPACE,
                                                       "labels": {SKIP_MIRROR_LABEL: "true"}},
                                          "subsets": subsets})
            return
        labels = current["metadata"].get("labels") or {}
        if current.get("subsets") == subsets and labels.get(SKIP_MIRROR_LABEL) == "true":
            return
        meta = {**current["metadata"], "labels": {**labels, SKIP_MIRROR_LABEL: "true"}}
        await self.client.update({**current, "metadata": meta, "subsets": subsets})

    async def _slice(self) -> None:
        """``EndpointsAdapter``'s slice of the Endpoints: same name, ``kubernetes.io/service-name``."""
        wanted: Obj = {
            "addressType": "IPv4",
            "endpoints": [{"addresses": [self.address], "conditions": {"ready": True}}],
            "ports": [{"name": "https", "port": self.port, "protocol": "TCP"}],
        }
        labels = {"kubernetes.io/service-name": NAME}
        current = self.cache.get(ENDPOINT_SLICE, NAME, NAMESPACE)
        if current is None:
            with contextlib.suppress(errors.AlreadyExists):
                await self.client.create({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                                          "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": labels},
                                          **wanted})
            return
        if all(current.get(k) == v for k, v in wanted.items()) and current["metadata"].get("labels") == labels:
            return
        await self.client.update({**current, "metadata": {**current["metadata"], "labels": labels}, **wanted})


def _ours(obj: Obj) -> bool:
    meta = obj["metadata"]
    return bool(meta.get("name") == NAME and meta.get("namespace") == NAMESPACE)


def add_kubernetes_service(manager: Manager, client: InProcessClient, *, port: int, address: str | None) -> None:
    """The ``kubernetes`` Service's controller, for an API server on ``port`` advertising ``address``."""
    ours = Funcs(create=_ours, update=lambda _o, new: _ours(new), delete=_ours, generic=_ours, name="kubernetes")
    (Builder(manager)
     .named("kubernetes-service")
     .for_(SERVICE, ours)
     .watches(ENDPOINTS, lambda _: [Request(NAMESPACE, NAME)], ours)
     .watches(ENDPOINT_SLICE, lambda _: [Request(NAMESPACE, NAME)], ours)
     .watches(Kind("v1", "Namespace"), lambda _: [Request(NAMESPACE, NAME)],
              Funcs(create=lambda ns: ns["metadata"]["name"] == NAMESPACE, update=lambda _o, _n: False,
                    delete=lambda _: False, name="default-namespace"))
     .complete(KubernetesServiceReconciler(manager, client, port=port, address=address)))
