"""The namespace controller: empties a terminating namespace, then releases it.

As kube-controller-manager's namespace controller (``pkg/controller/namespace``): when
a namespace has a deletionTimestamp and still the ``kubernetes`` finalizer in
``spec.finalizers``, every namespaced object in it is deleted; the namespace's status
conditions say how that goes (``NamespaceDeletionDiscoveryFailure``,
``NamespaceDeletionGroupVersionParsingFailure``, ``NamespaceDeletionContentFailure``,
``NamespaceContentRemaining``, ``NamespaceFinalizersRemaining``, with kube's reasons
and messages); once nothing is left the finalizer is removed through ``/finalize`` and
the namespace goes away.

It is a :mod:`setpoint.runtime` controller named ``namespace`` (its
``controller_runtime_*`` and ``workqueue_*`` metrics carry that label) over the
in-process client. A delete that fails fails the reconcile, which is retried with
per-item exponential backoff -- kube's ``nsControllerRateLimiter``: 5 ms doubling up
to 60 s, under a 10 qps / burst 100 bucket. Content still finalizing (objects whose
finalizers hold them) is looked at again after :data:`RECHECK_SECONDS`, as kube
requeues after its estimate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime import conditions, errors, ratelimit
from setpoint.runtime.builder import Builder
from setpoint.runtime.client import items
from setpoint.runtime.manager import Manager
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind, Resource

log = logging.getLogger(__name__)

NAMESPACE = Kind("v1", "Namespace")
#: The finalizer this controller owns (``v1.FinalizerKubernetes``).
FINALIZER = "kubernetes"
#: How soon a namespace whose content is still finalizing is looked at again (kube estimates 15 s
#: for objects with finalizers, for kubelets; here nothing but controllers holds them).
RECHECK_SECONDS = 0.5

#: The condition types the controller keeps, in kube's order, with their "ok" reason and message.
CONDITIONS: tuple[tuple[str, str, str], ...] = (
    ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"),
    ("NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions",
     "All legacy kube types successfully parsed"),
    ("NamespaceDeletionContentFailure", "ContentDeleted",
     "All content successfully deleted, may be waiting on finalization"),
    ("NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"),
    ("NamespaceFinalizersRemaining", "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
)


class ContentDeletionFailed(Exception):
    """Some content of a terminating namespace could not be deleted (retried with backoff)."""


@dataclass
class _Content:
    """What deleting a namespace's content found: instances left, their finalizers, delete errors."""

    remaining: dict[str, int] = field(default_factory=dict)
    finalizers: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def failures_message(self) -> str:
        return (f"Failed to delete all resource types, {len(self.failures)} remaining: "
                + ", ".join(sorted(self.failures)))

    def failed(self) -> dict[str, tuple[str, str, str]]:
        """The failing conditions (type -> status, reason, message), as kube's condition updater."""
        out: dict[str, tuple[str, str, str]] = {}
        if self.failures:
            out["NamespaceDeletionContentFailure"] = (conditions.TRUE, "ContentDeletionFailed",
                                                      self.failures_message())
        left = sorted(f"{r} has {n} resource instances" for r, n in self.remaining.items() if n)
        if left:
            out["NamespaceContentRemaining"] = (conditions.TRUE, "SomeResourcesRemain",
                                                "Some resources are remaining: " + ", ".join(left))
        held = sorted(f"{f} in {n} resource instances" for f, n in self.finalizers.items() if n)
        if held:
            out["NamespaceFinalizersRemaining"] = (
                conditions.TRUE, "SomeFinalizersRemain",
                "Some content in the namespace has finalizers remaining: " + ", ".join(held))
        return out


def _qualified(r: Resource) -> str:
    """``plural.group`` as kube prints a GroupVersionResource here (``configmaps.`` for the core group)."""
    return f"{r.plural}.{r.group}"


class NamespaceReconciler:
    """Deletes a terminating namespace's content, keeps its conditions, then finalizes it."""

    def __init__(self, client: InProcessClient) -> None:
        self.client = client

    async def reconcile(self, request: Request) -> Result | None:
        client = self.client
        try:
            ns = await client.get(NAMESPACE, request.name)
        except errors.NotFound:
            return None
        if not ns["metadata"].get("deletionTimestamp"):
            return None
        if FINALIZER not in ((ns.get("spec") or {}).get("finalizers") or []):
            return None
        content = await self._delete_content(request.name)
        ns = await self._update_conditions(ns, content)
        if content.failures:
            raise ContentDeletionFailed(content.failures_message())
        if content.remaining:
            return Result(requeue_after=RECHECK_SECONDS)
        spec = dict(ns.get("spec") or {})
        spec["finalizers"] = [f for f in spec.get("finalizers") or [] if f != FINALIZER]
        meta = {k: v for k, v in ns["metadata"].items() if k != "resourceVersion"}
        try:
            await client.update({**ns, "metadata": meta, "spec": spec}, subresource="finalize")
        except errors.NotFound:
            pass  # finalized meanwhile
        return None

    async def _delete_content(self, namespace: str) -> _Content:
        """Delete every namespaced object in ``namespace`` not yet being deleted; count what is left."""
        client = self.client
        content = _Content()
        for r in client.storage_resources(namespaced=True):
            if "delete" not in r.verbs or "list" not in r.verbs:
                continue
            failure = ""
            for item in items(await client.list(r, namespace)):
                meta = item["metadata"]
                if meta.get("deletionTimestamp"):
                    continue
                try:
                    await client.delete(r, meta["name"], namespace)
                except errors.NotFound:
                    continue
                except errors.ApiError as e:
                    failure = failure or e.message
            if failure:
                content.failures.append(failure)
            left = items(await client.list(r, namespace))
            if left:
                content.remaining[_qualified(r)] = len(left)
                for item in left:
                    for f in item["metadata"].get("finalizers") or ():
                        content.finalizers[f] = content.finalizers.get(f, 0) + 1
        return content

    async def _update_conditions(self, ns: Obj, content: _Content) -> Obj:
        """Write the deletion conditions when they changed (a failed write is only logged, as kube)."""
        status = dict(ns.get("status") or {})
        conds: list[Obj] = [dict(c) for c in status.get("conditions") or []]
        failed = content.failed()
        changed = False
        for type_, ok_reason, ok_message in CONDITIONS:
            state, reason, message = failed.get(type_, (conditions.FALSE, ok_reason, ok_message))
            changed = conditions.set_condition(conds, type_, state, reason, message) or changed
        if not changed:
            return ns
        status["conditions"] = conds
        try:
            return await self.client.update_status({**ns, "status": status})
        except errors.ApiError as e:
            log.warning("couldn't update status condition for namespace %q: %s", ns["metadata"]["name"], e)
            return ns


def add_namespace_controller(manager: Manager, client: InProcessClient) -> None:
    """The namespace controller, on ``manager``, writing through ``client``."""
    limiter = ratelimit.MaxOf(ratelimit.ItemExponential(0.005, 60.0), ratelimit.Bucket(10.0, 100))
    (Builder(manager)
     .named("namespace")
     .for_(NAMESPACE)
     .with_options(rate_limiter=limiter)
     .complete(NamespaceReconciler(client)))
