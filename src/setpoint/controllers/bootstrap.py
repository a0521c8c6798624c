"""The ``kubernetes`` Service: how a pod finds the API server, as kube-apiserver's bootstrap
controller keeps it (``pkg/controlplane/controller/kubernetesservice``).

In ``default``: the Service ``kubernetes`` (ClusterIP ``10.96.0.1``, the first address of the
service range; port ``https`` 443 to the server's port; labels ``component: apiserver`` and
``provider: kubernetes``; no selector), put back when deleted and reset when its ports or type
change. Its Endpoints (labelled ``endpointslice.kubernetes.io/skip-mirror``) and EndpointSlice
list every server (:mod:`setpoint.controllers.apiserverlease`) at the address each advertises: as
kube-apiserver, the host's (the interface of the default route), never a loopback one, which
Endpoints may not hold: a server without one is left out. This is kube-apiserver's, not
kube-controller-manager's: it always runs (with leader election, in the leader: servers on
different ports would otherwise rewrite the Service's ``targetPort`` in turn).
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
    """Keeps the ``kubernetes`` Service as it should be."""

    def __init__(self, manager: Manager, client: InProcessClient, *, port: int) -> None:
        self.cache = manager.cache
        self.client = client
        self.port = port

    def service_ports(self) -> list[Obj]:
        return [{"name": "https", "protocol": "TCP", "port": 443, "targetPort": self.port}]

    async def reconcile(self, request: Request) -> Result | None:
        await self._service()
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


def _ours(obj: Obj) -> bool:
    meta = obj["metadata"]
    return bool(meta.get("name") == NAME and meta.get("namespace") == NAMESPACE)


def add_kubernetes_service(manager: Manager, client: InProcessClient, *, port: int) -> None:
    """The ``kubernetes`` Service's controller, for API servers on ``port``."""
    ours = Funcs(create=_ours, update=lambda _o, new: _ours(new), delete=_ours, generic=_ours, name="kubernetes")
    (Builder(manager)
     .named("kubernetes-service")
     .for_(SERVICE, ours)
     .watches(Kind("v1", "Namespace"), lambda _: [Request(NAMESPACE, NAME)],
              Funcs(create=lambda ns: ns["metadata"]["name"] == NAMESPACE, update=lambda _o, _n: False,
                    delete=lambda _: False, name="default-namespace"))
     .complete(KubernetesServiceReconciler(manager, client, port=port)))
