"""The root CA publisher: a ``kube-root-ca.crt`` ConfigMap in every namespace.

As kube-controller-manager's (``pkg/controller/certificates/rootcacertpublisher``): a namespace
added (or updated while ``Active``), or the ConfigMap changed or deleted, enqueues the
namespace; the ConfigMap is created with ``ca.crt`` (the CA that verifies the API server, the
in-process client's ``ca_data``) and the ``kubernetes.io/description`` annotation, and put
back when its data or annotation differ. A create refused because the namespace is gone or
terminating is not an error.
"""

from __future__ import annotations

from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.serviceaccount import namespace_terminating
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.manager import Manager
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

NAMESPACE = Kind("v1", "Namespace")
CONFIG_MAP = Kind("v1", "ConfigMap")
ROOT_CA_CONFIG_MAP = "kube-root-ca.crt"
#: The publisher watches only its own ConfigMaps, as kube's (a field selector on the name).
OURS = f"metadata.name={ROOT_CA_CONFIG_MAP}"
DESCRIPTION_ANNOTATION = "kubernetes.io/description"
DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
               "such as the internal service IP or kubernetes.default.svc. "
               "No other usage is guaranteed across distributions of Kubernetes clusters.")


class RootCAPublisher:
    """Keeps one namespace's ``kube-root-ca.crt`` as it should be."""

    def __init__(self, manager: Manager, client: InProcessClient) -> None:
        #: The informer of the ``kube-root-ca.crt`` ConfigMaps (the one the controller's source acquires).
        self.config_maps = manager.cache.informer(CONFIG_MAP, field_selector=OURS)
        self.client = client
        self.data = {"ca.crt": client.ca_data.decode()}

    async def reconcile(self, request: Request) -> Result | None:
        ns = request.name
        cm = self.config_maps.store.get_by_name(ROOT_CA_CONFIG_MAP, ns)
        if cm is None:
            try:
                await self.client.create({
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": ROOT_CA_CONFIG_MAP, "namespace": ns,
                                 "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION}},
                    "data": self.data})
            except (errors.NotFound, errors.AlreadyExists):
                pass
            except errors.ApiError as e:
                if not namespace_terminating(e):
                    raise
            return None
        annotations = cm["metadata"].get("annotations") or {}
        if cm.get("data") == self.data and annotations.get(DESCRIPTION_ANNOTATION):
            return None
        meta: Obj = {**cm["metadata"], "annotations": {**annotations, DESCRIPTION_ANNOTATION: DESCRIPTION}}
        await self.client.update({**cm, "metadata": meta, "data": self.data})
        return None


def add_root_ca_publisher(manager: Manager, client: InProcessClient) -> None:
    """The root CA publisher, on ``manager``, writing through ``client`` (publishing its ``ca_data``)."""
    active = Funcs(update=lambda _o, new: (new.get("status") or {}).get("phase") == "Active", name="active")
    changed = Funcs(create=lambda _: False, name="updates and deletes")
    (Builder(manager)
     .named("root-ca-cert-publisher")
     .for_(NAMESPACE, active)
     .watches(CONFIG_MAP, lambda cm: [Request("", cm["metadata"]["namespace"])], changed, field_selector=OURS)
     .complete(RootCAPublisher(manager, client)))
