"""The serviceaccount controller: a ``default`` ServiceAccount in every active namespace.

As kube-controller-manager's (``pkg/controller/serviceaccount/serviceaccounts_controller.go``):
a namespace added or updated, or a ServiceAccount deleted, enqueues the namespace; an active
namespace without ``default`` gets one (created again when deleted). Namespaces not
``Active`` get nothing, and a create refused because the namespace is terminating is not an error.
"""

from __future__ import annotations

from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.manager import Manager
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

NAMESPACE = Kind("v1", "Namespace")
SERVICE_ACCOUNT = Kind("v1", "ServiceAccount")
#: The ServiceAccounts every active namespace gets.
SERVICE_ACCOUNTS_TO_ENSURE = ("default",)


def namespace_terminating(e: errors.ApiError) -> bool:
    """apimachinery's ``HasStatusCause(err, NamespaceTerminatingCause)``."""
    causes = (e.status.get("details") or {}).get("causes") or ()
    return any(c.get("reason") == "NamespaceTerminating" for c in causes)


class ServiceAccountsReconciler:
    """Creates the missing ``default`` ServiceAccount of an active namespace."""

    def __init__(self, manager: Manager, client: InProcessClient) -> None:
        self.cache = manager.cache
        self.client = client

    async def reconcile(self, request: Request) -> Result | None:
        ns = self.cache.get(NAMESPACE, request.name)
        if ns is None or (ns.get("status") or {}).get("phase") != "Active" \
                or ns["metadata"].get("deletionTimestamp"):
            return None
        for name in SERVICE_ACCOUNTS_TO_ENSURE:
            if self.cache.get(SERVICE_ACCOUNT, name, request.name) is not None:
                continue
            try:
                await self.client.create({"apiVersion": "v1", "kind": "ServiceAccount",
                                          "metadata": {"name": name, "namespace": request.name}})
            except errors.AlreadyExists:
                pass
            except errors.ApiError as e:
                if not namespace_terminating(e):
                    raise
        return None


def add_serviceaccount_controller(manager: Manager, client: InProcessClient) -> None:
    """The serviceaccount controller, on ``manager``, writing through ``client``."""
    deleted_only = Funcs(create=lambda _: False, update=lambda _o, _n: False, name="deleted")
    (Builder(manager)
     .named("serviceaccount")
     .for_(NAMESPACE)
     .watches(SERVICE_ACCOUNT, lambda sa: [Request("", sa["metadata"]["namespace"])], deleted_only)
     .complete(ServiceAccountsReconciler(manager, client)))
