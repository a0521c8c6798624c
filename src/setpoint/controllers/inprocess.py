"""A runtime :class:`~setpoint.runtime.client.Client` inside the API server's own process.

What kube-controller-manager reaches over the loopback connection, setpoint's built-in
controllers reach through a direct call: :class:`InProcessClient` serves the runtime's
operations from the server's :class:`~setpoint.apiserver.registry.resources.Registry`
(discovery: which kinds are served, where) and its
:class:`~setpoint.apiserver.registry.objectstore.ObjectStore` (reads, writes, watches),
with the same admission, validation and conflict semantics as an HTTP request, but no
HTTP and no JSON encoding in between.

Lists and watches come from the watch cache: a list is the cache's current objects (one
page, whatever ``limit`` says: nothing crosses a wire), a watch is a cache watcher. The
objects they yield are the cache's own -- read-only, as everything in the runtime's
shared cache already is. ``get`` hands out a private copy (decoded from the cache's
encoding of the object, made once for every reader), and writes copy what they are
given, as a request body would be, so a caller's dict is never changed.

Errors are the runtime's :class:`~setpoint.runtime.errors.ApiError` s, made from the
``metav1.Status`` the server would have answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import orjson

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin.binding import BindingStrategy, bind
from setpoint.apiserver.encoding import errors as apierrors
from setpoint.apiserver.encoding import patch as patches
from setpoint.apiserver.endpoints import handlers
from setpoint.apiserver.fieldmanager import manager as fieldmanager
from setpoint.apiserver.registry import resources as registry
from setpoint.apiserver.registry.cacher import CachedObject
from setpoint.apiserver.registry.objectstore import ObjectStore, parse_resource_version
from setpoint.apiserver.registry.selectors import selector_filter
from setpoint.apiserver.registry.watch import Watch
from setpoint.runtime import errors
from setpoint.runtime.client import KindLike, PatchType, WatchEvent
from setpoint.runtime.resource import Kind, Resource


@contextlib.contextmanager
def _api_errors() -> Iterator[None]:
    """Raise the Status the server answers with as the runtime's :class:`ApiError`."""
    try:
        yield
    except apierrors.StatusError as e:
        raise errors.from_status(e.code, e.status()) from None


def _copy(obj: Mapping[str, Any]) -> Obj:
    """A deep copy the store may change in place (an orjson round trip: faster than deepcopy)."""
    out: Obj = orjson.loads(orjson.dumps(obj))
    return out


def _patch_resource_version(type_: PatchType, patch: Any) -> str | None:
    """The ``metadata.resourceVersion`` a patch sets (a precondition), if any."""
    if type_ is PatchType.JSON:
        for op in patch if isinstance(patch, list) else ():
            if isinstance(op, dict) and op.get("path") == "/metadata/resourceVersion" \
                    and op.get("op") in ("add", "replace"):
                return str(op.get("value"))
        return None
    meta = patch.get("metadata") if isinstance(patch, Mapping) else None
    rv = meta.get("resourceVersion") if isinstance(meta, Mapping) else None
    return str(rv) if rv else None


#: How many lists of kinds held as JSON may be paged at once (the oldest snapshot is let go).
PAGED_LISTS = 64
#: The start of a continue token of a watch-cache snapshot (never one of storage's: those are base64).
_SNAPSHOT = "in-process:"
_SNAPSHOT_GONE = "the list this continue token pages was let go (too many paged at once): list again"


def _not_served(kind: KindLike) -> errors.NotFound:
    return errors.NotFound(404, {"reason": "NotFound", "message": f"the server does not serve {kind} (discovery)"})


class InProcessWatch:
    """A :class:`~setpoint.runtime.client.WatchStream` over a watch-cache watcher."""

    def __init__(self, objects: ObjectStore, resource: registry.Resource, watch: Watch, *,
                 timeout: float, bookmarks: bool) -> None:
        self._objects = objects
        self._resource = resource
        self._watch = watch
        self._bookmarks = bookmarks
        self._loop = asyncio.get_running_loop()  # (each get_running_loop() is a getpid() system call)
        self._deadline = self._loop.time() + timeout
        self._events: list[WatchEvent] = []
        self._done = False
        if watch.error is not None:
            # A watch that could not start is one ERROR event (410 Expired), as over HTTP.
            self._events.append(WatchEvent("ERROR", watch.error))
            self._done = True

    def __aiter__(self) -> InProcessWatch:
        return self

    async def __anext__(self) -> WatchEvent:
        loop = self._loop
        while not self._events:
            remaining = self._deadline - loop.time()
            if self._done or remaining <= 0:
                self.close()
                raise StopAsyncIteration
            batch = await self._watch.next_batch(remaining)
            if batch is None:
                self.close()
                raise StopAsyncIteration
            if not batch:
                continue
            r = self._resource
            to_served = self._objects.to_served
            for type_, event, revision in batch:
                if event is not None:
                    self._events.append(WatchEvent(type_, to_served(r, event.object)))
                elif self._bookmarks:
                    self._events.append(WatchEvent("BOOKMARK", {
                        "kind": r.kind, "apiVersion": r.group_version,
                        "metadata": {"resourceVersion": str(revision)}}))
            self._events.reverse()
        return self._events.pop()

    def close(self) -> None:
        self._done = True
        self._watch.close()


class InProcessClient:
    """The runtime's :class:`~setpoint.runtime.client.Client` over a registry and an object store."""

    def __init__(self, registry_: registry.Registry, objects: ObjectStore, *,
                 field_manager: str = "kube-controller-manager", ca_data: bytes = b"") -> None:
        self.registry = registry_
        self.objects = objects
        #: The PEM CA bundle that verifies the API server (a rest.Config's ``CAData``).
        self.ca_data = ca_data
        #: The manager of writes that name none (kube derives it from the user agent).
        self.field_manager = field_manager
        #: Discovery, made again whenever the registry changes (CRDs come and go).
        self._by_kind: dict[Kind, tuple[registry.Resource, Resource]] = {}
        self._generation = -1
        #: Lists being paged from a watch-cache snapshot: token -> (revision, objects, next index).
        self._paging: dict[str, tuple[int, Sequence[CachedObject], int]] = {}
        self._tokens = itertools.count(1)

    # -- discovery --------------------------------------------------------------------------------

    @staticmethod
    def _runtime_resource(r: registry.Resource) -> Resource:
        return Resource(api_version=r.group_version, kind=r.kind, plural=r.plural, namespaced=r.namespaced,
                        subresources=r.subresources, verbs=frozenset(r.verbs), short_names=r.short_names)

    def _discover(self, kind: Kind) -> tuple[registry.Resource, Resource] | None:
        if self._generation != self.registry.generation:
            self._generation = self.registry.generation
            self._by_kind = {Kind(r.group_version, r.kind): (r, self._runtime_resource(r))
                             for r in self.registry.all()}
        return self._by_kind.get(kind)

    def _served(self, kind: KindLike) -> registry.Resource:
        """The registry's resource for ``kind``; NotFound (as discovery says) when not served."""
        if isinstance(kind, Resource):
            found = self.registry.get(kind.group, kind.api_version.rpartition("/")[2], kind.plural)
        else:
            entry = self._discover(kind)
            found = entry[0] if entry is not None else None
        if found is None:
            raise _not_served(kind)
        return found

    async def resource(self, kind: KindLike) -> Resource:
        if isinstance(kind, Resource):
            self._served(kind)
            return kind
        entry = self._discover(kind)
        if entry is None:
            raise _not_served(kind)
        return entry[1]

    def storage_resources(self, *, namespaced: bool) -> list[Resource]:
        """One served resource per stored kind (its preferred version), of one scope."""
        seen: dict[str, registry.Resource] = {}
        for r in self.registry.all():
            if r.namespaced == namespaced and (r.key_prefix not in seen or r.preferred):
                seen[r.key_prefix] = r
        return [self._runtime_resource(r) for r in seen.values()]

    # -- reads ------------------------------------------------------------------------------------

    @staticmethod
    def _ns(r: registry.Resource, namespace: str | None, obj: Mapping[str, Any] | None = None) -> str | None:
        if not r.namespaced:
            return None
        if namespace:
            return namespace
        if obj is not None:
            ns = (obj.get("metadata") or {}).get("namespace")
            if ns:
                return str(ns)
        return "default"

    async def get(self, kind: KindLike, name: str, namespace: str | None = None, *,
                  subresource: str | None = None) -> Obj:
        r = self._served(kind)
        if subresource and subresource not in r.subresources:
            raise errors.NotFound(404, {"reason": "NotFound",
                                        "message": f"the server does not serve {r.qualified}/{subresource}"})
        with _api_errors():
            cobj = await self.objects.get(r, self._ns(r, namespace), name)
            if subresource == "scale":
                return _copy(handlers.scale_of(r, self.objects.to_served(r, cobj.obj)))
        if cobj.api_version == r.group_version:
            out: Obj = orjson.loads(cobj.json())
            return out
        return _copy(self.objects.to_served(r, cobj.obj))

    async def list(self, kind: KindLike, namespace: str | None = None, *, label_selector: str | None = None,
                   field_selector: str | None = None, limit: int | None = None,
                   continue_token: str | None = None, resource_version: str | None = None) -> Obj:
        """The whole list from the watch cache (``limit`` is not needed in-process and ignored;
        a ``continue_token`` from another client pages through storage).

        A kind held as JSON (ConfigMaps, Secrets, Events) is decoded for each reader: with a ``limit``
        its list is paged, a page decoded at a time, from one snapshot of the watch cache (its
        objects at one revision, held by reference until the last page: consistent, and no storage
        read); a continue token of a snapshot let go (more than :data:`PAGED_LISTS` lists paged at
        once) is 410 Expired, as an old one is over HTTP."""
        r = self._served(kind)
        ns = namespace if r.namespaced else None
        with _api_errors():
            matches = selector_filter(r, label_selector, field_selector)
            if continue_token and continue_token.startswith(_SNAPSHOT):
                paging = self._paging.pop(continue_token, None)
                if paging is None:
                    raise apierrors.gone(_SNAPSHOT_GONE)
                return self._page(r, *paging, limit or 0)
            if continue_token:
                listed = await self.objects.list(r, ns, matches, limit=limit or 0, continue_token=continue_token)
            else:
                listed = await self.objects.list(r, ns, matches, resource_version=resource_version or "")
                if limit and len(listed.items) > limit and r.strategy.cache_json_fields is not None:
                    return self._page(r, listed.revision, listed.items, 0, limit)
        to_served = self.objects.to_served
        meta: Obj = {"resourceVersion": str(listed.revision)}
        if listed.continue_token:
            meta["continue"] = listed.continue_token
        return {"kind": r.list_kind, "apiVersion": r.group_version, "metadata": meta,
                "items": [to_served(r, c.obj) for c in listed.items]}

    def _page(self, r: registry.Resource, revision: int, items: Sequence[CachedObject], start: int,
              limit: int) -> Obj:
        """``items[start:start + limit]`` decoded, with a continue token for the rest (kept aside)."""
        end = start + limit if limit else len(items)
        meta: Obj = {"resourceVersion": str(revision)}
        if end < len(items):
            token = f"{_SNAPSHOT}{next(self._tokens)}"
            self._paging[token] = (revision, items, end)
            while len(self._paging) > PAGED_LISTS:
                self._paging.pop(next(iter(self._paging)))
            meta["continue"] = token
        to_served = self.objects.to_served
        return {"kind": r.list_kind, "apiVersion": r.group_version, "metadata": meta,
                "items": [to_served(r, c.obj) for c in items[start:end]]}

    async def watch(self, kind: KindLike, namespace: str | None = None, *, resource_version: str | None = None,
                    label_selector: str | None = None, field_selector: str | None = None,
                    allow_bookmarks: bool = True, timeout_seconds: int | None = None) -> InProcessWatch:
        """A watch cache watcher; without a resource_version (or with "0") it starts with the current
        objects, as a watch request does."""
        r = self._served(kind)
        initial = resource_version in (None, "", "0")
        with _api_errors():
            matches = selector_filter(r, label_selector, field_selector)
            rv = 0 if initial else parse_resource_version(resource_version or "")
            w = await self.objects.watch(r, namespace if r.namespaced else None, rv, matches,
                                         initial_events=initial, fresh=not resource_version)
        timeout = float(timeout_seconds) if timeout_seconds is not None else float(random.randint(300, 600))
        return InProcessWatch(self.objects, r, w, timeout=timeout, bookmarks=allow_bookmarks)

    # -- writes -----------------------------------------------------------------------------------

    async def create(self, obj: Mapping[str, Any], namespace: str | None = None, *,
                     field_manager: str | None = None) -> Obj:
        r = self._served(Kind.of(obj))
        if isinstance(r.strategy, BindingStrategy):  # not stored: it assigns a pod to a node
            with _api_errors():
                await bind(self.objects, r.strategy.pods, self._ns(r, namespace, obj), _copy(obj))
            return {**apierrors.status_success(), "code": 201}
        with _api_errors():
            body = fieldmanager.for_resource(r).update(None, _copy(obj), self._manager(field_manager))
            created = await self.objects.create(r, self._ns(r, namespace, obj), body)
        return self.objects.to_served(r, created)

    def _manager(self, field_manager: str | None) -> str:
        if field_manager:
            fieldmanager.validate_manager(field_manager, "UpdateOptions")
        return field_manager or self.field_manager

    async def update(self, obj: Mapping[str, Any], *, subresource: str | None = None,
                     field_manager: str | None = None) -> Obj:
        r = self._served(Kind.of(obj))
        name = str(obj["metadata"]["name"])
        fm, manager = fieldmanager.for_resource(r), self._manager(field_manager)

        def managed(current: Obj | None, new: Obj) -> Obj:
            return fm.update(current, new, manager, subresource or "")

        with _api_errors():
            written, _ = await self.objects.update(r, self._ns(r, None, obj), name, _copy(obj),
                                                   subresource=subresource or "", transform=managed)
        return self.objects.to_served(r, written)

    async def update_status(self, obj: Mapping[str, Any]) -> Obj:
        return await self.update(obj, subresource="status")

    async def patch(self, kind: KindLike, name: str, patch: Any, namespace: str | None = None, *,
                    type: PatchType = PatchType.MERGE, subresource: str | None = None,
                    field_manager: str | None = None, force: bool | None = None) -> Obj:
        """A PATCH as the server applies one, server-side apply included (managed fields,
        conflicts unless ``force``)."""
        r = self._served(kind)
        ns = self._ns(r, namespace)
        body = patch if isinstance(patch, bytes) else orjson.dumps(patch)
        precondition = _patch_resource_version(type, patch)
        fm, sub = fieldmanager.for_resource(r), subresource or ""
        with _api_errors():
            if type is PatchType.APPLY and not field_manager:
                raise apierrors.invalid_object("PatchOptions", "meta.k8s.io", "", [
                    apierrors.required("fieldManager", "is required for apply patch")])
            manager = self._manager(field_manager)
            config = patches.decode_apply(body) if type is PatchType.APPLY else None

        def write_scale(view: Obj) -> Obj:
            if config is not None:
                return fieldmanager.for_scale().apply(view, config, manager, force=force is True, subresource=sub)
            patched = patches.apply_patch(type.value, view, body, patches.SCALE_PATCH_SCHEMA)
            return fieldmanager.for_scale().update(view, patched, manager, sub)

        async def mutate(current: Obj) -> Obj:
            if sub == "scale":
                return handlers.write_scale(r, current, write_scale)
            if config is not None:
                return fm.apply(current, config, manager, force=force is True, subresource=sub)
            patched = patches.apply_patch(type.value, current, body, r.patch_schema)
            meta = patched.get("metadata")
            if not isinstance(meta, dict):
                raise apierrors.bad_request("metadata must be an object")
            if meta.get("name") != name:
                raise apierrors.bad_request(
                    f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})")
            if precondition is None:
                # Only a resourceVersion the patch sets is a precondition. The patched object may
                # share its metadata with the stored one (JSON patch copies only what it changes).
                patched["metadata"] = meta = {k: v for k, v in meta.items() if k != "resourceVersion"}
            return fm.update(current, patched, manager, sub)

        async def create_missing() -> Obj:
            assert config is not None
            return await self.objects.create(r, ns, fm.apply({}, config, manager, force=force is True))

        with _api_errors():
            written, _ = await self.objects.guaranteed_update(
                r, ns, name, mutate, verb="patch", subresource="" if sub == "scale" else sub,
                create_missing=create_missing if type is PatchType.APPLY and sub != "scale" else None)
            if sub == "scale":
                return _copy(handlers.scale_of(r, self.objects.to_served(r, written)))
        return self.objects.to_served(r, written)

    async def apply(self, obj: Mapping[str, Any], *, field_manager: str, force: bool = False,
                    subresource: str | None = None) -> Obj:
        meta = obj["metadata"]
        return await self.patch(Kind.of(obj), str(meta["name"]), dict(obj), meta.get("namespace"),
                                type=PatchType.APPLY, subresource=subresource, field_manager=field_manager,
                                force=force)

    async def delete(self, kind: KindLike, name: str, namespace: str | None = None, *,
                     propagation_policy: str | None = None, grace_period_seconds: int | None = None,
                     preconditions: Mapping[str, str] | None = None) -> Obj:
        """Delete; the object while finalizers keep it (or for kinds that answer so), else a Success Status."""
        r = self._served(kind)
        pre = preconditions or {}
        with _api_errors():
            obj, gone = await self.objects.delete(r, self._ns(r, namespace), name, uid=pre.get("uid"),
                                                  resource_version=pre.get("resourceVersion"),
                                                  propagation=propagation_policy,
                                                  grace_period_seconds=grace_period_seconds)
        served = self.objects.to_served(r, obj)
        if gone and not r.strategy.return_deleted_object:
            meta = served.get("metadata") or {}
            details = {"name": meta.get("name"), "kind": r.plural, "uid": meta.get("uid")}
            if r.group:
                details["group"] = r.group
            return apierrors.status_success(details)
        return served

    async def close(self) -> None:
        """Nothing to release: the registry and the store belong to the server."""

    async def __aenter__(self) -> InProcessClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


__all__ = ["InProcessClient", "InProcessWatch"]
