"""The garbage collector: deletes dependents whose owners are gone, as kube-controller-manager's.

As ``pkg/controller/garbagecollector``: informers over every served kind that can be
listed, watched and deleted (built-in and custom; kinds served by new CRDs join as the
CRDs change) keep an ownerReference graph (uid -> node, owner uid -> dependents). A
changed or deleted object puts the uids concerned on the controller's queue; a worker
then does kube's ``attemptToDeleteItem``:

* an object being deleted with the ``foregroundDeletion`` finalizer: its dependents are
  deleted (they see an owner "waiting for dependents deletion"); once no dependent with
  ``blockOwnerDeletion`` is left the finalizer is removed;
* one being deleted with the ``orphan`` finalizer: the ownerReferences to it are removed
  from its dependents, then the finalizer;
* otherwise each owner is looked up through the API by name and checked by uid (an owner
  with the same name and another uid is gone). With a solid owner left, references to
  gone owners are removed; with none, the object is deleted (``Foreground`` when an
  owner waits for its dependents, else as its own finalizers say, else ``Background``),
  with a uid precondition.

A new dependent is looked at only when one of its new owners is not an object of the graph
that its reference matches, as kube's ``addDependentToOwners`` (a ReplicaSet's pods are not
looked at one by one).

Owner references kube cannot resolve: a namespaced owner in another namespace is absent
(the dependent is collected), a namespaced owner of a cluster-scoped dependent is
unresolvable (the dependent is left); both get a Warning Event ``OwnerRefInvalidNamespace``
on the dependent.

It is one :mod:`setpoint.runtime` controller named ``garbagecollector`` whose source is
the CRDs (a CRD request re-discovers the kinds to watch); graph items are queued as
requests whose namespace is :data:`ITEM` and whose name is the object's uid.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.controller import Controller
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.informer import Informer
from setpoint.runtime.manager import Manager
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind, Resource

log = logging.getLogger(__name__)

CRD = Kind("apiextensions.k8s.io/v1", "CustomResourceDefinition")
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
#: The namespace of a request naming a graph item by uid (CRD requests have namespace "").
ITEM = "\x00uid"
#: How many absent owners are remembered (kube's absent-owner cache holds 500).
ABSENT_CACHE = 500
#: How soon the kinds are looked at again when a deleted CRD's kind is still served.
RESYNC_SECONDS = 0.2
#: kube's ``ConcurrentGCSyncs`` default.
WORKERS = 20
#: Kinds kube's garbage collector ignores (``DefaultIgnoredResources``).
IGNORED = frozenset({("", "events"), ("events.k8s.io", "events")})


@dataclass
class Node:
    """One object of the graph: where it is, who owns it, whether it is being deleted."""

    resource: Resource
    namespace: str
    name: str
    owners: list[dict[str, Any]]
    deleting: bool = False
    finalizers: tuple[str, ...] = ()
    dependents: set[str] = field(default_factory=set)

    def waiting_for_dependents(self) -> bool:
        return self.deleting and FOREGROUND in self.finalizers

    def needed(self) -> bool:
        """Whether the graph needs this node: owners to verify, dependents known, or a cascade to carry out."""
        return bool(self.owners or self.dependents
                    or (self.deleting and (FOREGROUND in self.finalizers or ORPHAN in self.finalizers)))


def _gc_deleting(meta: Obj) -> bool:
    """Being deleted with a cascade the collector carries out (foreground or orphan)."""
    if not meta.get("deletionTimestamp"):
        return False
    finalizers = meta.get("finalizers") or ()
    return FOREGROUND in finalizers or ORPHAN in finalizers


class _Monitor:
    """The notifier handler of one kind: feeds the graph, and compares a re-list with it."""

    def __init__(self, gc: GarbageCollector, resource: Resource) -> None:
        self.gc = gc
        self.resource = resource
        #: During a list: the uids listed that the graph knows (as a node or an owner with dependents).
        self.seen: set[str] | None = None

    def on_add(self, obj: Obj) -> None:
        self._observe(obj)

    def on_update(self, old: Obj, new: Obj) -> None:
        self._observe(new)

    def _observe(self, obj: Obj) -> None:
        uid = self.gc.observe(self.resource, obj)
        if self.seen is not None and uid and (uid in self.gc.nodes or uid in self.gc.pending):
            self.seen.add(uid)

    def on_delete(self, obj: Obj) -> None:
        self.gc.forget(obj)

    def on_list(self) -> None:
        self.seen = set()

    def on_listed(self, relist: bool) -> None:
        seen, self.seen = self.seen or set(), None
        if relist:
            self.gc.relisted(self.resource, seen)


class GarbageCollector:
    """The graph, its informer handlers and ``attemptToDeleteItem``."""

    def __init__(self, manager: Manager, client: InProcessClient) -> None:
        self.manager = manager
        self.client = client
        self.nodes: dict[str, Node] = {}
        #: Dependents known before their owner (owner uid -> dependent uids).
        self.pending: dict[str, set[str]] = {}
        self.watched: dict[tuple[str, str], tuple[Informer, _Monitor]] = {}
        #: Owners found gone, by uid and namespace looked in (kube's ``absentOwnerCache``).
        self.absent: OrderedDict[tuple[str, str], None] = OrderedDict()
        self.events = EventRecorder(client, "garbage-collector-controller")
        self.controller: Controller | None = None
        self.sync_monitors()

    # -- graph ----------------------------------------------------------------------------------------

    def sync_monitors(self) -> list[Informer]:
        """Watch every deletable, listable, watchable kind not watched yet; return the informers of
        kinds no longer served (the caller releases them)."""
        served: set[tuple[str, str]] = set()
        for namespaced in (True, False):
            for r in self.client.storage_resources(namespaced=namespaced):
                key = (r.group, r.plural)
                if key in IGNORED or not {"delete", "list", "watch"} <= r.verbs:
                    continue
                served.add(key)
                if key in self.watched:
                    continue
                informer = self.manager.cache.acquire(r, store=False)
                monitor = _Monitor(self, r)
                informer.add_handler(monitor)
                self.watched[key] = (informer, monitor)
        gone = [self.watched.pop(key) for key in set(self.watched) - served]
        for informer, monitor in gone:
            informer.remove_handler(monitor)
        return [informer for informer, _ in gone]

    def enqueue(self, uid: str) -> None:
        if self.controller is not None:
            self.controller.queue.add(Request(ITEM, uid))

    def observe(self, resource: Resource, obj: Obj) -> str | None:
        """An object was added or changed: update its node, queue what that concerns; its uid."""
        meta = obj["metadata"]
        uid = meta.get("uid")
        if not uid:
            return None
        owners = list(meta.get("ownerReferences") or [])
        node = self.nodes.get(uid)
        old_owners: set[str] = set()
        was_deleting = False
        if node is None:
            if not owners and uid not in self.pending and not _gc_deleting(meta):
                return str(uid)  # nothing to verify, no dependent known, no cascade: no node
            node = Node(resource, meta.get("namespace") or "", meta["name"], owners)
            node.dependents = self.pending.pop(uid, set())
            self.nodes[uid] = node
        else:
            old_owners = {o.get("uid", "") for o in node.owners}
            was_deleting = node.deleting
            node.owners = owners
        node.deleting = bool(meta.get("deletionTimestamp"))
        node.finalizers = tuple(meta.get("finalizers") or ())
        new_owners = {o.get("uid", "") for o in owners}
        for gone in old_owners - new_owners:
            self._drop_dependent(gone, uid)
        added = new_owners - old_owners
        for owner in added:
            self._dependents_of(owner).add(uid)
        if added and not all(self._seen_as(ref, node) for ref in owners if ref.get("uid", "") in added):
            self.enqueue(uid)  # verify the new owners
        if node.deleting and (FOREGROUND in node.finalizers or ORPHAN in node.finalizers):
            self.enqueue(uid)
            if not was_deleting and FOREGROUND in node.finalizers:
                for dep in node.dependents:
                    self.enqueue(dep)
        for owner in new_owners:
            o = self.nodes.get(owner)
            if o is not None and o.waiting_for_dependents():
                self.enqueue(owner)
        if not node.needed():
            del self.nodes[uid]  # its owners went, its dependents too
        return str(uid)

    def _seen_as(self, ref: dict[str, Any], dependent: Node) -> bool:
        """Whether the owner ``ref`` names is an object of the graph that the reference matches
        (kind, name, and the dependent's namespace for a namespaced owner): as kube's
        ``addDependentToOwners``, such an owner needs no verifying."""
        owner = self.nodes.get(ref.get("uid", ""))
        if owner is None or owner.name != ref.get("name") or owner.resource.kind != ref.get("kind"):
            return False
        group = str(ref.get("apiVersion") or "").rpartition("/")[0]
        return owner.resource.group == group and (not owner.namespace or owner.namespace == dependent.namespace)

    def _dependents_of(self, uid: str) -> set[str]:
        node = self.nodes.get(uid)
        return node.dependents if node is not None else self.pending.setdefault(uid, set())

    def _drop_dependent(self, owner: str, uid: str) -> None:
        """``uid`` no longer refers to ``owner`` (an owner without a node and dependents is forgotten)."""
        node = self.nodes.get(owner)
        if node is not None:
            node.dependents.discard(uid)
            if not node.needed():
                del self.nodes[owner]
            return
        deps = self.pending.get(owner)
        if deps is not None:
            deps.discard(uid)
            if not deps:
                del self.pending[owner]

    def forget(self, obj: Obj) -> None:
        """An object is gone: its dependents are looked at, and owners waiting for it."""
        uid = str((obj.get("metadata") or {}).get("uid") or "")
        node = self.nodes.pop(uid, None)
        if node is None:
            # An object without a node: what it owned, if anything, waits for it in pending.
            for dep in self.pending.get(uid, ()):
                self.enqueue(dep)
            return
        for owner in {o.get("uid", "") for o in node.owners}:
            o = self.nodes.get(owner)
            if o is not None and o.waiting_for_dependents():
                self.enqueue(owner)
            self._drop_dependent(owner, uid)
        if node.dependents:
            self.pending[uid] = set(node.dependents)
        for dep in node.dependents:
            self.enqueue(dep)

    def relisted(self, resource: Resource, seen: set[str]) -> None:
        """A re-list of ``resource`` after a broken watch listed ``seen`` (of the uids the graph knows):
        what it did not list was deleted meanwhile -- nodes, and owners known only by their dependents."""
        same = (resource.group, resource.kind)
        for uid, node in list(self.nodes.items()):
            if uid not in seen and (node.resource.group, node.resource.kind) == same:
                self.forget({"metadata": {"uid": uid}})
        for owner, deps in list(self.pending.items()):
            if owner in seen or owner in self.nodes:
                continue
            ref = next((o for d in deps if (n := self.nodes.get(d)) is not None
                        for o in n.owners if o.get("uid") == owner), None)
            if ref is not None and (Kind(ref.get("apiVersion", ""), ref.get("kind", "")).group,
                                    ref.get("kind")) == same:
                for dep in deps:
                    self.enqueue(dep)

    # -- reconcile ------------------------------------------------------------------------------------

    async def reconcile(self, request: Request) -> Result | None:
        if request.namespace != ITEM:
            for informer in self.sync_monitors():  # a CRD came, changed or went
                await self.manager.cache.release(informer)
            plural, _, group = request.name.partition(".")
            if (group, plural) in self.watched:
                try:
                    await self.client.get(CRD, request.name)
                except errors.NotFound:
                    return Result(requeue_after=RESYNC_SECONDS)  # its kind is not unregistered yet
            return None
        node = self.nodes.get(request.name)
        if node is None:
            return None
        try:
            latest = await self.client.get(node.resource, node.name, node.namespace or None)
        except errors.NotFound:
            return None
        meta = latest["metadata"]
        if meta.get("uid") != request.name:
            return None
        finalizers = meta.get("finalizers") or []
        if meta.get("deletionTimestamp"):
            if FOREGROUND in finalizers:
                await self._deleting_dependents(node, latest)
            elif ORPHAN in finalizers:
                await self._orphan(node, latest)
            return None
        owners = meta.get("ownerReferences") or []
        if not owners:
            return None
        solid: list[dict[str, Any]] = []
        dangling: list[dict[str, Any]] = []
        waiting: list[dict[str, Any]] = []
        for ref in owners:
            state = await self._classify(node, latest, ref)
            if state == "unresolvable":
                return None  # a cluster-scoped object with a namespaced owner: retrying cannot help
            {"solid": solid, "dangling": dangling, "waiting": waiting}[state].append(ref)
        if solid:
            gone = {r.get("uid") for r in dangling + waiting}
            if gone:
                await self._remove_owner_refs(node, gone)
            return None
        if waiting and node.dependents:
            policy = "Foreground"
        elif ORPHAN in finalizers:
            policy = "Orphan"
        elif FOREGROUND in finalizers:
            policy = "Foreground"
        else:
            policy = "Background"
        try:
            await self.client.delete(node.resource, node.name, node.namespace or None,
                                     propagation_policy=policy, preconditions={"uid": request.name})
        except (errors.NotFound, errors.Conflict):
            pass  # gone, or another object by that name now
        return None

    async def _classify(self, node: Node, latest: Obj, ref: dict[str, Any]) -> str:
        """``solid``, ``dangling``, ``waiting`` (for its dependents) or ``unresolvable``, as kube's ``isDangling``."""
        uid = ref.get("uid", "")
        try:
            owner_resource = await self.client.resource(Kind(ref.get("apiVersion", ""), ref.get("kind", "")))
        except errors.NotFound:
            raise errors.NotFound(404, {"message": f"owner kind {ref.get('apiVersion')}/{ref.get('kind')} "
                                                  "is not served"}) from None
        if owner_resource.namespaced and not node.namespace:
            await self._invalid_namespace(latest, ref)
            return "unresolvable"
        absent_key = (uid, node.namespace if owner_resource.namespaced else "")
        if absent_key in self.absent:
            return "dangling"
        try:
            owner = await self.client.get(owner_resource, ref.get("name", ""), node.namespace or None)
        except errors.NotFound:
            owner = None
        if owner is None or owner["metadata"].get("uid") != uid:
            if owner_resource.namespaced:
                known = self.nodes.get(uid)
                where = known.namespace if known is not None else await self._namespace_of(owner_resource, ref)
                if where is not None and where != node.namespace:
                    await self._invalid_namespace(latest, ref)
            self.absent[absent_key] = None
            if len(self.absent) > ABSENT_CACHE:
                self.absent.popitem(last=False)
            return "dangling"
        ometa = owner["metadata"]
        if ometa.get("deletionTimestamp") and FOREGROUND in (ometa.get("finalizers") or []):
            return "waiting"
        return "solid"

    async def _namespace_of(self, resource: Resource, ref: dict[str, Any]) -> str | None:
        """The namespace the owner ``ref`` names is in, when it has no node (the graph keeps none for
        objects that neither own anything known nor are owned): looked up by name across namespaces."""
        listed = await self.client.list(resource, None, field_selector=f"metadata.name={ref.get('name', '')}")
        for item in listed.get("items") or ():
            meta = item.get("metadata") or {}
            if meta.get("uid") == ref.get("uid"):
                return str(meta.get("namespace") or "")
        return None

    async def _invalid_namespace(self, latest: Obj, ref: dict[str, Any]) -> None:
        """kube's ``reportInvalidNamespaceOwnerRef``: a Warning Event on the dependent."""
        meta = latest["metadata"]
        message = (f"ownerRef [{ref.get('apiVersion')}/{ref.get('kind')}, namespace: {meta.get('namespace', '')}, "
                   f"name: {ref.get('name')}, uid: {ref.get('uid')}] does not exist in namespace "
                   f"\"{meta.get('namespace', '')}\"")
        try:
            await self.events.warning(latest, "OwnerRefInvalidNamespace", message)
        except errors.ApiError as e:
            log.warning("could not record an event: %s", e)

    async def _remove_owner_refs(self, node: Node, uids: set[Any]) -> None:
        """Drop the references to ``uids`` from ``node``'s object (a conflict is retried)."""
        obj = await self.client.get(node.resource, node.name, node.namespace or None)
        refs = obj["metadata"].get("ownerReferences") or []
        kept = [r for r in refs if r.get("uid") not in uids]
        if len(kept) == len(refs):
            return
        meta = dict(obj["metadata"])
        if kept:
            meta["ownerReferences"] = kept
        else:
            meta.pop("ownerReferences", None)
        await self.client.update({**obj, "metadata": meta})

    async def _remove_finalizer(self, node: Node, obj: Obj, finalizer: str) -> None:
        meta = dict(obj["metadata"])
        meta["finalizers"] = [f for f in meta.get("finalizers") or [] if f != finalizer]
        try:
            await self.client.update({**obj, "metadata": meta})
        except errors.NotFound:
            pass

    async def _deleting_dependents(self, node: Node, owner: Obj) -> None:
        """kube's ``processDeletingDependentsItem``: the finalizer goes once no blocking dependent is left."""
        uid = owner["metadata"]["uid"]
        blocking = [d for d in node.dependents if self._blocks(d, uid)]
        if blocking:
            for dep in blocking:
                n = self.nodes.get(dep)
                if n is not None and not n.deleting:
                    self.enqueue(dep)
            return
        await self._remove_finalizer(node, owner, FOREGROUND)

    def _blocks(self, dep: str, owner_uid: str) -> bool:
        n = self.nodes.get(dep)
        return n is not None and any(o.get("uid") == owner_uid and o.get("blockOwnerDeletion") for o in n.owners)

    async def _orphan(self, node: Node, owner: Obj) -> None:
        """kube's ``orphanDependents`` then removal of the ``orphan`` finalizer."""
        uid = owner["metadata"]["uid"]
        for dep in list(node.dependents):
            n = self.nodes.get(dep)
            if n is None:
                continue
            try:
                await self._remove_owner_refs(n, {uid})
            except errors.NotFound:
                continue
        await self._remove_finalizer(node, owner, ORPHAN)


def add_garbage_collector(manager: Manager, client: InProcessClient) -> GarbageCollector:
    """The garbage collector, on ``manager``, writing through ``client``."""
    gc = GarbageCollector(manager, client)
    gc.controller = (Builder(manager)
                     .named("garbagecollector")
                     .for_(CRD)
                     .with_options(max_concurrent_reconciles=WORKERS)
                     .complete(gc))
    return gc
