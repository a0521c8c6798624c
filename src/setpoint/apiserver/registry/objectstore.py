"""Generic object storage semantics: kube-apiserver's registry ``Store``.

:class:`ObjectStore` implements get/list/create/update/delete for any
:class:`~setpoint.apiserver.registry.resources.Resource` over the storage engine and
the watch caches: metadata system fields, generation, optimistic concurrency,
finalizers and deletionTimestamp, dry runs and admission. HTTP lives in
``handlers``; in-process controllers call this class directly.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import dataclasses
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from setpoint import storage
from setpoint.apimachinery.clock import format_time, now_rfc3339, parse_time
from setpoint.apimachinery.randstr import RandomStrings
from setpoint.apimachinery.types import Obj
from setpoint.apimachinery.uids import UidSource
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.encoding.jsonbytes import dumps_kept
from setpoint.apiserver.registry import metadata
from setpoint.apiserver.registry.admission import ANONYMOUS_ADMIN, AdmissionChain, Attributes
from setpoint.apiserver.registry.cacher import CachedObject, Cacher, CacheSet, Filter, decode_object
from setpoint.apiserver.registry.resources import Resource
from setpoint.apiserver.registry.watch import Watch

#: generateName suffix length (its alphabet: ``randstr.ALPHANUMS``), as ``names.SimpleNameGenerator``.
_NAME_SUFFIX = 5
_MAX_GENERATE_PREFIX = 58
_MAX_RETRIES = 5
#: How many of the keys last written through this server an object store remembers (an update's
#: first guess is not taken from a watch cache that has not seen this server's own last write).
OWN_WRITES_KEPT = 4096
#: A graceful deletion already runs (:meth:`ObjectStore._graceful`).
_PENDING = object()


class _Retry(Exception):
    """A write lost a race: read again and retry."""
#: kube's ``maxNameGenerationCreateAttempts``: creates with a generated name that collides are retried.
_MAX_NAME_GENERATION_ATTEMPTS = 8

Mutate = Callable[[Obj], Awaitable[Obj]]
Matcher = Callable[[Obj], bool] | None


def encode_for_storage(obj: Obj) -> bytes:
    """The stored form: the object without its resourceVersion."""
    meta = obj.get("metadata") or {}
    if "resourceVersion" in meta:
        meta = dict(meta)
        del meta["resourceVersion"]
        obj = {**obj, "metadata": meta}
    return dumps_kept(obj)  # kept by the storage's history (and memory storage) for a while


def stamp(obj: Obj, revision: int) -> Obj:
    obj["metadata"]["resourceVersion"] = str(revision)
    return obj


@dataclass(slots=True)
class ListResult:
    items: list[CachedObject]
    revision: int
    continue_token: str = ""
    remaining: int | None = None


def encode_continue(revision: int, start_after: str) -> str:
    raw = orjson.dumps({"v": "meta.k8s.io/v1", "rv": revision, "start": start_after})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = orjson.loads(raw)
        if data.get("v") != "meta.k8s.io/v1":
            raise ValueError("bad version")
        return int(data["rv"]), str(data["start"])
    except (ValueError, KeyError, TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
        # As ValidateListOptions wraps DecodeContinue's error.
        raise errors.bad_request(f"invalid continue token: continue key is not valid: {exc}") from None


EXPIRED_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter, or use the continue token in "
    "this response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted between "
    "the time the first chunk was returned and now may show up in the list."
)


class ExpiredContinue(errors.StatusError):
    """410 for a continue token whose revision is compacted, carrying a token to go on
    inconsistently (as kube's ``handleCompactedErrorForPaging``: its ``metadata.continue``)."""

    def __init__(self, token: str) -> None:
        super().__init__(410, "Expired", EXPIRED_CONTINUE)
        self.continue_token = token

    def status(self) -> dict[str, Any]:
        out = super().status()
        out["metadata"] = {"continue": self.continue_token}
        return out


#: Subresources whose writes are stored as their handler made them, without the kind's
#: strategy or validation (kube's BindingREST writes the pod with the storage's own
#: GuaranteedUpdate).
DIRECT_SUBRESOURCES = frozenset({"binding"})


class ObjectStore:
    """CRUD with Kubernetes semantics for every resource, over one storage."""

    def __init__(self, store: storage.Storage, admission: AdmissionChain | None = None) -> None:
        self.storage = store
        self.admission = admission or AdmissionChain()
        self.caches = CacheSet(store)
        self._uid = UidSource()
        self._random = RandomStrings()
        # (ordered by last write; a plain dict would scan its deleted entries to find the oldest)
        self._own_writes: OrderedDict[str, int] = OrderedDict()

    # --- caches ------------------------------------------------------------

    async def start(self) -> None:
        await self.caches.start()

    def _wrote(self, resource: Resource, key: str, revision: int) -> None:
        c = self.caches.existing(resource.key_prefix)
        if c is not None:
            c.note_write(revision)
        # The newest keys written through this server, with their revisions: a cached object older
        # than this server's own last write of it is no guess of the current one.
        own = self._own_writes
        if key in own:
            own.move_to_end(key)
        own[key] = revision
        if len(own) > OWN_WRITES_KEPT:
            own.popitem(last=False)

    def cacher(self, resource: Resource) -> Cacher:
        return self.caches.get(resource.key_prefix, resource.strategy.cache_json_fields)

    async def drop_cacher(self, key_prefix: str) -> None:
        await self.caches.drop(key_prefix)

    async def close(self) -> None:
        await self.caches.stop()

    async def watch(
        self,
        resource: Resource,
        namespace: str | None,
        resource_version: int,
        matches: Filter,
        *,
        initial_events: bool,
        fresh: bool,
    ) -> Watch:
        """Watch ``resource`` in ``namespace`` (None: all) after ``resource_version`` (0: now).

        ``initial_events`` first sends an ADDED for every current object; ``fresh`` waits
        until the cache has caught up with storage (or with ``resource_version``) first,
        as a consistent read does. A revision older than the cache's history gives a
        :class:`Watch` carrying the 410 Expired Status.
        """
        c = self.cacher(resource)
        await c.wait_ready()
        if fresh:
            await (c.wait_fresh(resource_version) if resource_version else c.wait_consistent())
        try:
            watcher, start = c.watch(resource.prefix(namespace), resource_version, matches,
                                     initial_events=initial_events)
        except storage.Compacted:
            status = errors.gone(f"too old resource version: {resource_version} ({c.history_start})").status()
            return Watch(resource_version, error=status)
        return Watch(start, watcher)

    # --- conversion between served and stored versions ---------------------

    def to_served(self, resource: Resource, obj: Obj) -> Obj:
        """The object as ``resource``'s version shows it (no copy when equal)."""
        if obj.get("apiVersion") == resource.group_version:
            return obj
        if resource.convert is not None:
            return resource.convert(obj, resource.group_version)
        return {**obj, "apiVersion": resource.group_version}

    def to_stored(self, resource: Resource, obj: Obj) -> Obj:
        target = resource.storage_version
        if not target or obj.get("apiVersion") == target:
            return obj
        if resource.convert is not None:
            return resource.convert(obj, target)
        return {**obj, "apiVersion": target}

    async def served_async(self, resource: Resource, objs: list[Obj]) -> list[Obj]:
        """``objs`` as ``resource``'s version shows them, the ones in another version converted in
        one call of the kind's conversion webhook when it has one (which remembers them, so that
        :meth:`to_served` answers them too)."""
        batch = resource.convert_batch
        if batch is None:
            return [self.to_served(resource, o) for o in objs]
        want = resource.group_version
        todo = [o for o in objs if o.get("apiVersion") != want]
        if not todo:
            return objs
        converted = iter(await batch(todo, want))
        return [o if o.get("apiVersion") == want else next(converted) for o in objs]

    async def _served_copy(self, resource: Resource, stored: Obj) -> Obj:
        """A stored object as served, to be changed by a write (a webhook's answers are remembered)."""
        if resource.convert_batch is None or stored.get("apiVersion") == resource.group_version:
            return self.to_served(resource, stored)
        served: Obj = orjson.loads(orjson.dumps((await self.served_async(resource, [stored]))[0]))
        return served

    async def stored_async(self, resource: Resource, obj: Obj) -> Obj:
        """:meth:`to_stored`, through the kind's conversion webhook when it has one."""
        target = resource.storage_version
        if resource.convert_batch is None or not target or obj.get("apiVersion") == target:
            return self.to_stored(resource, obj)
        return (await resource.convert_batch([obj], target))[0]

    async def convert_to(self, resource: Resource, obj: Obj) -> Obj:
        """``obj`` (of any version of ``resource``'s kind) as ``resource``'s version shows it."""
        if obj.get("apiVersion") == resource.group_version:
            return obj
        if resource.convert_batch is not None:
            return (await resource.convert_batch([obj], resource.group_version))[0]
        if resource.convert is not None:
            return resource.convert(obj, resource.group_version)
        return {**obj, "apiVersion": resource.group_version}

    # --- reads -------------------------------------------------------------

    async def get(self, resource: Resource, namespace: str | None, name: str) -> CachedObject:
        c = self.cacher(resource)
        await c.wait_consistent()
        cobj = c.get(resource.key(namespace, name))
        if cobj is None:
            raise errors.not_found(resource.plural, resource.group, name)
        return cobj

    async def list(
        self,
        resource: Resource,
        namespace: str | None,
        matches: Matcher = None,
        *,
        limit: int = 0,
        continue_token: str = "",
        resource_version: str = "",
        resource_version_match: str = "",
    ) -> ListResult:
        """A list, from the watch cache or, for pages, from a storage snapshot."""
        prefix = resource.prefix(namespace)
        # The list handler's ValidateListOptions: a 422 on ListOptions.
        match = resource_version_match
        option_errs: builtins.list[errors.FieldError] = []
        if match:
            if not resource_version:
                option_errs.append(errors.forbidden(
                    "resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"))
            if continue_token:
                option_errs.append(errors.forbidden(
                    "resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"))
            if match not in ("Exact", "NotOlderThan"):
                option_errs.append(errors.not_supported("resourceVersionMatch", match, ["Exact", "NotOlderThan", ""]))
            if match == "Exact" and resource_version == "0":
                option_errs.append(errors.forbidden(
                    "resourceVersionMatch", 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'))
        if option_errs:
            raise errors.invalid_object("ListOptions", "meta.k8s.io", "", option_errs)
        if continue_token and resource_version not in ("", "0"):
            raise errors.bad_request(
                "specifying resource version is not allowed when using continue"
            )
        rv = _parse_rv(resource_version) if resource_version else 0
        paged = limit > 0 or continue_token or resource_version_match == "Exact"
        if not paged:
            c = self.cacher(resource)
            if resource_version in ("", ) or rv > 0:
                await c.wait_consistent() if not rv else await self._wait_cache(c, rv)
            else:
                await c.wait_ready()
            items = c.list(prefix)
            if matches is not None:
                items = [o for o in items if matches(o.view)]
            return ListResult(items, c.revision)
        return await self._list_from_storage(resource, prefix, matches, limit, continue_token, rv,
                                             resource_version_match)

    async def _wait_cache(self, c: Cacher, rv: int) -> None:
        await c.wait_ready()
        current = await self.storage.current_revision()
        if rv > current:
            raise errors.StatusError(
                504, "Timeout", f"Too large resource version: {rv}, current: {current}",
                details={"causes": [{"reason": "ResourceVersionTooLarge",
                                     "message": "Too large resource version"}],
                         "retryAfterSeconds": 1},
            )
        await c.wait_fresh(rv)

    async def _list_from_storage(
        self,
        resource: Resource,
        prefix: str,
        matches: Matcher,
        limit: int,
        continue_token: str,
        rv: int,
        rv_match: str,
    ) -> ListResult:
        start_after: str | None = None
        revision = 0
        start_key = ""
        if continue_token:
            revision, start_key = decode_continue(continue_token)
            # -1: the token of a 410 (an inconsistent continuation), read at the latest revision.
            revision = max(revision, 0)
            start_after = prefix + start_key if start_key else None
            if start_after is not None and not start_after.startswith(prefix):
                raise errors.bad_request("invalid continue token: continue key is not valid: key is not in the listed prefix")
        elif rv_match == "Exact":
            revision = rv
        items: list[CachedObject] = []
        more = False
        remaining: int | None = None
        want = limit if limit > 0 else 0
        cacher = self.cacher(resource)
        if want and rv_match != "Exact":
            # A page at a revision after which the resource has not changed is the watch cache's
            # (kube's paginated lists from cache snapshots): no storage read, nothing decoded.
            # (A continuation at a compacted revision stays a 410, as from etcd.)
            if not revision:
                await cacher.wait_consistent()
                revision = cacher.revision
            compacted = await self.storage.compact_revision()
            if revision >= compacted and cacher.unchanged_since(revision):  # no await until it is read
                items, more, remaining = cacher.page(prefix, start_after, want, matches)
                token = encode_continue(revision, items[-1].key[len(prefix):]) if more and items else ""
                return ListResult(items, revision, token, remaining if more else None)
        # An object the watch cache holds at the same revision is that one: its decoding (and
        # encoding, once served) are reused rather than made again for every page.
        cached = cacher.get
        while True:
            try:
                page = await self.storage.range(prefix, limit=want, start_after=start_after, revision=revision)
            except storage.Compacted:
                if continue_token:
                    raise ExpiredContinue(encode_continue(-1, start_key)) from None
                raise errors.gone(f"too old resource version: {rv} ({await self.storage.compact_revision()})") from None
            except storage.FutureRevision as exc:
                raise errors.StatusError(504, "Timeout", f"Too large resource version: {exc.requested}, current: {exc.current}") from None
            revision = page.revision
            for kv in page.kvs:
                cobj = cached(kv.key)
                if cobj is None or cobj.revision != kv.mod_revision:
                    cobj = CachedObject(kv.key, decode_object(kv), kv.mod_revision)
                if matches is None or matches(cobj.view):
                    items.append(cobj)
            more = page.more
            if page.kvs:
                start_after = page.kvs[-1].key
            if not more or not want or len(items) >= want:
                if matches is None and more:
                    remaining = page.remaining
                break
        if want and len(items) > want:
            # The last page overshot while filtering: cut and continue after the cut.
            items = items[:want]
            start_after = items[-1].key
            more = True
        token = ""
        if more and start_after is not None:
            token = encode_continue(revision, start_after[len(prefix):])
        return ListResult(items, revision, token, remaining)

    # --- writes ------------------------------------------------------------

    def _attrs(self, resource: Resource, verb: str, namespace: str | None, name: str,
               subresource: str, attrs: Attributes | None, dry_run: bool) -> Attributes:
        if attrs is not None:
            # The dry-run flag comes with the request's options (the same warning and annotation sinks).
            return dataclasses.replace(attrs, dry_run=True) if dry_run and not attrs.dry_run else attrs
        return Attributes(ANONYMOUS_ADMIN, verb, resource.group, resource.version, resource.plural,
                          subresource, namespace or "", name, resource.kind, dry_run)

    def _validate_create(self, resource: Resource, obj: Obj) -> None:
        meta = obj.get("metadata")
        errs = metadata.validate_object_meta(meta if isinstance(meta, dict) else {},
                                               namespaced=resource.namespaced,
                                               name_fn=_name_fn(resource))
        errs = errs + resource.strategy.validate(obj)
        if errs:
            raise errors.invalid_object(resource.kind, resource.group, _name_of(obj), errs)

    def _validate_update(self, resource: Resource, obj: Obj, old: Obj, subresource: str = "") -> None:
        errs = metadata.validate_object_meta_update(obj.get("metadata") or {}, old.get("metadata") or {})
        # A subresource with its own strategy (pods/ephemeralcontainers): validate_<sub>_update.
        own = getattr(resource.strategy, f"validate_{subresource}_update", None) if subresource else None
        errs = [*errs, *(own or resource.strategy.validate_update)(obj, old)]
        if errs:
            raise errors.invalid_object(resource.kind, resource.group, _name_of(obj), errs)

    async def create(
        self,
        resource: Resource,
        namespace: str | None,
        obj: Obj,
        *,
        dry_run: bool = False,
        attrs: Attributes | None = None,
    ) -> Obj:
        """Create ``obj`` (already decoded and kind-checked); returns it stored.

        A name made from ``generateName`` that is taken is made again, the whole create
        retried on a fresh copy, up to kube's ``maxNameGenerationCreateAttempts`` (8) times.
        """
        meta = obj.get("metadata")
        if not (isinstance(meta, dict) and not meta.get("name") and isinstance(meta.get("generateName"), str)
                and meta["generateName"]):
            return await self._create(resource, namespace, obj, dry_run=dry_run, attrs=attrs)
        pristine = orjson.dumps(obj)
        for _attempt in range(_MAX_NAME_GENERATION_ATTEMPTS - 1):
            try:
                return await self._create(resource, namespace, obj, dry_run=dry_run, attrs=attrs)
            except errors.StatusError as e:
                if e.reason != "AlreadyExists":
                    raise
            obj = orjson.loads(pristine)
        return await self._create(resource, namespace, obj, dry_run=dry_run, attrs=attrs)

    async def _create(
        self,
        resource: Resource,
        namespace: str | None,
        obj: Obj,
        *,
        dry_run: bool = False,
        attrs: Attributes | None = None,
    ) -> Obj:
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            meta = obj["metadata"] = {}
        if resource.namespaced:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if meta.get("resourceVersion"):
            raise errors.bad_request("resourceVersion should not be set on objects to be created")
        generate = meta.get("generateName")
        if not meta.get("name") and isinstance(generate, str) and generate:
            meta["name"] = _generate_name(generate, self._random)
        # System fields: never taken from the client.
        meta["uid"] = self._uid()
        meta["creationTimestamp"] = now_rfc3339()
        meta.pop("deletionTimestamp", None)
        meta.pop("deletionGracePeriodSeconds", None)
        if _has_generation(resource):
            meta["generation"] = 1
        resource.strategy.prepare_for_create(obj)
        attrs = self._attrs(resource, "create", namespace, str(meta.get("name", "")), "", attrs, dry_run)
        if not attrs.name and meta.get("name"):
            # A POST names no object in its URL: admission sees the body's name (kube's create handler).
            attrs = attrs.with_name(str(meta["name"]))
        await self.admission.admit(attrs, obj, None)
        self._validate_create(resource, obj)
        await self.admission.validate(attrs, obj, None)
        name = meta["name"]
        key = resource.key(namespace, name)
        stored = await self.stored_async(resource, obj)
        data = encode_for_storage(stored)
        if dry_run:
            if (await self.storage.get(key)) is not None:
                raise errors.already_exists(resource.plural, resource.group, name)
            return obj
        try:
            kv = await self.storage.create(key, data)
            self._wrote(resource, key, kv.mod_revision)
        except storage.KeyExists:
            raise errors.already_exists(resource.plural, resource.group, name) from None
        except storage.InvalidInput as exc:
            raise errors.StatusError(413, "RequestEntityTooLarge", f"etcdserver: request is too large: {exc}") from None
        return stamp(obj, kv.mod_revision)

    async def guaranteed_update(
        self,
        resource: Resource,
        namespace: str | None,
        name: str,
        mutate: Mutate,
        *,
        verb: str = "update",
        subresource: str = "",
        dry_run: bool = False,
        create_missing: Callable[[], Awaitable[Obj]] | None = None,
        attrs: Attributes | None = None,
        retry_conflicts: bool = True,
    ) -> tuple[Obj, bool]:
        """Read-modify-write with retries: kube's ``GuaranteedUpdate``.

        ``mutate(current)`` returns the desired object (it may raise a
        StatusError). A resourceVersion left in the result is a precondition:
        when it differs from the stored one the answer is 409 Conflict.
        Returns (object, created).
        """
        key = resource.key(namespace, name)
        # As kube's cacher: the watch cache's object is the first guess of the current one (no
        # storage read); whatever that guess leads to short of a write -- an error, a conflict,
        # nothing to change -- is decided again on the object read from storage (attempt -1 is
        # the guess's, and does not count).
        guess = None if dry_run else self._cached_state(resource, key)
        failed_on_guess: tuple[int, errors.StatusError] | None = None
        # What a failed compare-and-swap said the key holds (as etcd's failed txn answers, the
        # next attempt's object without a read).
        known: storage.KeyValue | None = None
        for attempt in range(-1 if guess is not None else 0, _MAX_RETRIES):
            if guess is not None:
                (stored_current, revision), guess = guess, None
                stale = False
            else:
                kv, known = known if known is not None else await self.storage.get(key), None
                if kv is None:
                    if create_missing is not None:
                        obj = await create_missing()
                        return obj, True
                    raise errors.not_found(resource.plural, resource.group, name)
                if failed_on_guess is not None:
                    if failed_on_guess[0] == kv.mod_revision:  # the guess was current: so is its error
                        raise failed_on_guess[1]
                    failed_on_guess = None
                stored_current, revision, stale = decode_object(kv), kv.mod_revision, kv.stale
            current = await self._served_copy(resource, stored_current)
            try:
                new = await mutate(current)
                new_meta = new.get("metadata")
                if not isinstance(new_meta, dict):
                    new_meta = new["metadata"] = {}
                want_rv = new_meta.get("resourceVersion")
                if want_rv not in (None, "") and want_rv != str(revision):
                    raise errors.conflict(resource.plural, resource.group, name, errors.MODIFIED_DETAIL)
                if want_rv in (None, "") and not resource.strategy.allow_unconditional_update and verb == "update":
                    # kube names the resource here and prints the uint64 as Go's %#v does.
                    raise errors.invalid_object(resource.plural, resource.group, name, [
                        errors.invalid("metadata.resourceVersion", errors.GoLiteral("0x0"),
                                       "must be specified for an update")])
                new_meta["resourceVersion"] = str(revision)
                obj = self._prepare_update(resource, new, current, subresource)
                attrs_ = self._attrs(resource, verb, namespace, name, subresource, attrs, dry_run)
                await self.admission.admit(attrs_, obj, current)
                if subresource not in DIRECT_SUBRESOURCES:
                    self._validate_update(resource, obj, current, subresource)
                await self.admission.validate(attrs_, obj, current)
            except errors.StatusError as exc:
                if attempt >= 0:
                    raise
                failed_on_guess = (revision, exc)
                continue
            cur_meta = current["metadata"]
            obj_meta = obj["metadata"]
            # Removing the last finalizer of an object being deleted deletes it.
            if obj_meta.get("deletionTimestamp") and not obj_meta.get("finalizers") and _no_spec_finalizers(resource, obj):
                if dry_run:
                    return obj, False
                try:
                    deleted = await self.storage.delete(key, revision)
                    self._wrote(resource, key, deleted.mod_revision)
                except (storage.Conflict, storage.KeyNotFound) as exc:
                    if attempt < 0 or (attempt + 1 < _MAX_RETRIES and (retry_conflicts or want_rv in (None, ""))):
                        known = exc.current if isinstance(exc, storage.Conflict) else None
                        continue
                    raise errors.conflict(resource.plural, resource.group, name, errors.MODIFIED_DETAIL) from None
                return stamp(obj, deleted.mod_revision), False
            stored_old = encode_for_storage(stored_current if resource.convert_batch is not None
                                            else self.to_stored(resource, current))
            stored_new = encode_for_storage(await self.stored_async(resource, obj))
            if stored_new != stored_old and (times := _old_managed_times(obj, current)) is not None:
                # kube's IgnoreManagedFieldsTimestampsTransformer: when only managedFields times
                # moved (an apply whose atomic list lost defaults the server then put back), keep
                # the old times, so that nothing is written.
                reverted = {**obj, "metadata": {**obj_meta, "managedFields": times}}
                if encode_for_storage(await self.stored_async(resource, reverted)) == stored_old:
                    obj, obj_meta, stored_new = reverted, reverted["metadata"], stored_old
            if stored_new == stored_old and not stale:
                if attempt < 0:  # nothing to change in the guess: is it the current object?
                    continue
                # Nothing changed: no write, no new revision (as kube-apiserver); a value under
                # an old encryption key is rewritten (key rotation).
                obj_meta["resourceVersion"] = cur_meta["resourceVersion"]
                return obj, False
            if dry_run:
                return obj, False
            try:
                new_kv = await self.storage.update(key, stored_new, revision)
                self._wrote(resource, key, new_kv.mod_revision)
            except storage.Conflict as exc:
                if attempt < 0 or (attempt + 1 < _MAX_RETRIES and want_rv in (None, "") and retry_conflicts):
                    known = exc.current
                    continue
                raise errors.conflict(resource.plural, resource.group, name, errors.MODIFIED_DETAIL) from None
            except storage.KeyNotFound:
                if attempt < 0:
                    continue
                raise errors.not_found(resource.plural, resource.group, name) from None
            except storage.InvalidInput as exc:
                raise errors.StatusError(413, "RequestEntityTooLarge", f"etcdserver: request is too large: {exc}") from None
            return stamp(obj, new_kv.mod_revision), False
        raise errors.conflict(resource.plural, resource.group, name, errors.MODIFIED_DETAIL)

    def _cached_state(self, resource: Resource, key: str) -> tuple[Obj, int] | None:
        """A copy of the watch cache's object at ``key`` and its revision, if its cache is running
        and holds it (a guess of the current object: the cache may be behind)."""
        c = self.caches.existing(resource.key_prefix)
        if c is None or not c.ready:
            return None
        cobj = c.get(key)
        if cobj is None or cobj.revision < self._own_writes.get(key, 0):
            return None
        return cobj.copy(), cobj.revision

    def _prepare_update(self, resource: Resource, new: Obj, current: Obj, subresource: str) -> Obj:
        strategy = resource.strategy
        if subresource == "status":
            obj = strategy.prepare_for_status_update(new, current)
        elif subresource in DIRECT_SUBRESOURCES:
            obj = new
        elif subresource and (own := getattr(strategy, f"prepare_for_{subresource}_update", None)) is not None:
            obj = own(new, current)
        elif subresource == "finalize":
            finalize = getattr(strategy, "prepare_for_finalize", None)
            if finalize is None:
                raise errors.not_found(resource.plural, resource.group, str(current["metadata"].get("name")))
            obj = finalize(new, current)
        else:
            obj = new
            if "status" in resource.subresources:
                # The main resource ignores status; /status owns it.
                if "status" in current:
                    obj["status"] = current["status"]
                else:
                    obj.pop("status", None)
            strategy.prepare_for_update(obj, current)
        meta = obj["metadata"]
        cur_meta = current["metadata"]
        for field in ("namespace", "name"):
            if field in cur_meta and field not in meta:
                meta[field] = cur_meta[field]
        # rest.BeforeUpdate: an empty uid is the old one, and "ignore changes to timestamp"
        # (so kubectl's `creationTimestamp: null` re-applies cleanly).
        if "uid" in cur_meta and not meta.get("uid"):
            meta["uid"] = cur_meta["uid"]
        if cur_meta.get("creationTimestamp"):
            meta["creationTimestamp"] = cur_meta["creationTimestamp"]
        # deletionTimestamp is not settable through updates.
        if "deletionTimestamp" in cur_meta:
            meta["deletionTimestamp"] = cur_meta["deletionTimestamp"]
            if "deletionGracePeriodSeconds" in cur_meta:
                meta["deletionGracePeriodSeconds"] = cur_meta["deletionGracePeriodSeconds"]
        else:
            meta.pop("deletionTimestamp", None)
            meta.pop("deletionGracePeriodSeconds", None)
        # Clients cannot set generation (rest.BeforeUpdate); kinds that track it move it on spec changes.
        generation = cur_meta.get("generation")
        if _has_generation(resource):
            generation = generation or 1
            if not subresource and strategy.spec_changed(obj, current):
                generation += 1
        if generation:
            meta["generation"] = generation
        else:
            meta.pop("generation", None)
        return obj

    async def update(
        self,
        resource: Resource,
        namespace: str | None,
        name: str,
        obj: Obj,
        *,
        subresource: str = "",
        dry_run: bool = False,
        attrs: Attributes | None = None,
        transform: Callable[[Obj | None, Obj], Obj] | None = None,
    ) -> tuple[Obj, bool]:
        """PUT: replace the object (or create it where the kind allows). ``transform(current,
        new)`` (current None on create) may rework the object written (managedFields)."""

        async def mutate(current: Obj) -> Obj:
            # A copy of its top level and metadata (where the write stamps the resourceVersion
            # it was made on): called again on a fresher object, ``obj`` is as it was sent.
            sent = {**obj, "metadata": {**(obj.get("metadata") or {})}}
            return transform(current, sent) if transform is not None else sent

        create_missing = None
        if resource.strategy.allow_create_on_update and not subresource:

            async def create_missing_() -> Obj:
                fresh = dict(obj)
                fresh["metadata"] = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "resourceVersion"}
                if transform is not None:
                    fresh = transform(None, fresh)
                return await self.create(resource, namespace, fresh, dry_run=dry_run, attrs=attrs)

            create_missing = create_missing_
        return await self.guaranteed_update(
            resource, namespace, name, mutate, subresource=subresource, dry_run=dry_run,
            create_missing=create_missing, attrs=attrs, retry_conflicts=False,
        )

    async def delete(
        self,
        resource: Resource,
        namespace: str | None,
        name: str,
        *,
        uid: str | None = None,
        resource_version: str | None = None,
        propagation: str | None = None,
        dry_run: bool = False,
        attrs: Attributes | None = None,
        grace_period_seconds: int | None = None,
    ) -> tuple[Obj, bool]:
        """Delete, or mark for deletion when finalizers remain or the kind deletes gracefully
        (pods: kube's ``rest.BeforeDelete`` with the strategy's ``check_graceful_delete``).

        Returns (object, gone): ``gone`` is False when the object stays with a
        deletionTimestamp until its finalizers are removed or its grace period ends.
        """
        if grace_period_seconds is not None and grace_period_seconds < 0:
            grace_period_seconds = 1  # as kube: a negative grace period is 1 s
        key = resource.key(namespace, name)
        for _attempt in range(_MAX_RETRIES):
            kv = await self.storage.get(key)
            if kv is None:
                raise errors.not_found(resource.plural, resource.group, name)
            current = await self._served_copy(resource, decode_object(kv))
            meta = current["metadata"]
            # As rest.BeforeDelete: the Conflict names the kind (not the resource).
            if uid and meta.get("uid") != uid:
                raise errors.conflict(
                    resource.kind, resource.group, name,
                    f"the UID in the precondition ({uid}) does not match the UID in record ({meta.get('uid', '')}). "
                    "The object might have been deleted and then recreated",
                )
            if resource_version and meta.get("resourceVersion") != resource_version:
                raise errors.conflict(
                    resource.kind, resource.group, name,
                    f"the ResourceVersion in the precondition ({resource_version}) does not match the "
                    f"ResourceVersion in record ({meta.get('resourceVersion', '')}). The object might have been "
                    "modified",
                )
            attrs_ = self._attrs(resource, "delete", namespace, name, "", attrs, dry_run)
            await self.admission.admit(attrs_, None, current)
            await self.admission.validate(attrs_, None, current)
            deleting_conflict = getattr(resource.strategy, "deleting_conflict", None)
            if meta.get("deletionTimestamp") and deleting_conflict:
                raise errors.conflict(resource.plural, resource.group, name, deleting_conflict)
            graceful = self._graceful(resource, current, grace_period_seconds)
            if graceful is _PENDING:
                return current, False  # already being deleted, no sooner than asked
            if isinstance(graceful, dict):
                try:
                    return await self._delete_gracefully(resource, key, kv, current, graceful, propagation, dry_run)
                except _Retry:
                    continue
            marked = None if meta.get("deletionTimestamp") else resource.strategy.on_delete(current)
            base = marked if marked is not None else current
            finalizers = gc_finalizers(resource, base["metadata"].get("finalizers") or [], propagation)
            if finalizers or marked is not None or not _no_spec_finalizers(resource, current):
                if meta.get("deletionTimestamp") and finalizers == list(meta.get("finalizers") or []):
                    return current, False  # already being deleted
                new = dict(base)
                new_meta = dict(new["metadata"])
                new_meta.setdefault("deletionTimestamp", now_rfc3339())
                new_meta.setdefault("deletionGracePeriodSeconds", 0)
                if finalizers:
                    new_meta["finalizers"] = finalizers
                new["metadata"] = new_meta
                if dry_run:
                    return new, False
                try:
                    new_kv = await self.storage.update(key, encode_for_storage(await self.stored_async(resource, new)),
                                                       kv.mod_revision)
                    self._wrote(resource, key, new_kv.mod_revision)
                except storage.Conflict:
                    continue
                except storage.KeyNotFound:
                    raise errors.not_found(resource.plural, resource.group, name) from None
                return stamp(new, new_kv.mod_revision), False
            if dry_run:
                return current, True
            try:
                deleted = await self.storage.delete(key, kv.mod_revision)
                self._wrote(resource, key, deleted.mod_revision)
            except storage.Conflict:
                continue
            except storage.KeyNotFound:
                raise errors.not_found(resource.plural, resource.group, name) from None
            return stamp(current, deleted.mod_revision), True
        raise errors.conflict(resource.plural, resource.group, name, errors.MODIFIED_DETAIL)

    def _graceful(self, resource: Resource, current: Obj, grace: int | None) -> Obj | object | None:
        """kube's ``rest.BeforeDelete`` for a kind that deletes gracefully: the deletion's
        (deletionTimestamp, deletionGracePeriodSeconds) to write, :data:`_PENDING` when a
        graceful deletion already runs and ``grace`` would not shorten it, or None (not graceful,
        or a deletion without grace left: deleted as any object)."""
        meta = current["metadata"]
        period = resource.strategy.check_graceful_delete(current, grace)
        if period is None:
            return None
        if meta.get("deletionTimestamp"):
            pending = meta.get("deletionGracePeriodSeconds")
            if not isinstance(pending, int) or pending <= 0:
                return None
            if grace is None or grace >= pending:
                return _PENDING
            since = parse_time(str(meta["deletionTimestamp"]))
            at = (since.timestamp() if since is not None else time.time()) - pending + grace
            return {"deletionTimestamp": format_time(datetime.fromtimestamp(int(at), UTC)),
                    "deletionGracePeriodSeconds": grace}
        return {"deletionTimestamp": format_time(datetime.fromtimestamp(int(time.time()) + period, UTC)),
                "deletionGracePeriodSeconds": period}

    async def _delete_gracefully(self, resource: Resource, key: str, kv: storage.KeyValue, current: Obj,
                                 deletion: Obj, propagation: str | None, dry_run: bool) -> tuple[Obj, bool]:
        """Write the deletion's timestamp and grace period; delete at once when no grace is left
        and no finalizer waits (kube's ``updateForGracefulDeletionAndFinalizers``)."""
        meta = current["metadata"]
        new_meta = {**meta, **deletion}
        if not meta.get("deletionTimestamp") and isinstance(meta.get("generation"), int) and meta["generation"] > 0:
            new_meta["generation"] = meta["generation"] + 1
        finalizers = gc_finalizers(resource, meta.get("finalizers") or [], propagation)
        if finalizers:
            new_meta["finalizers"] = finalizers
        new = {**current, "metadata": new_meta}
        if dry_run:
            return new, not finalizers and deletion["deletionGracePeriodSeconds"] == 0
        name = str(meta.get("name", ""))
        if finalizers or deletion["deletionGracePeriodSeconds"] > 0:
            try:
                new_kv = await self.storage.update(key, encode_for_storage(self.to_stored(resource, new)),
                                                   kv.mod_revision)
                self._wrote(resource, key, new_kv.mod_revision)
            except storage.Conflict:
                raise _Retry from None
            except storage.KeyNotFound:
                raise errors.not_found(resource.plural, resource.group, name) from None
            return stamp(new, new_kv.mod_revision), False
        try:
            deleted = await self.storage.delete(key, kv.mod_revision)
            self._wrote(resource, key, deleted.mod_revision)
        except storage.Conflict:
            raise _Retry from None
        except storage.KeyNotFound:
            raise errors.not_found(resource.plural, resource.group, name) from None
        return stamp(new, deleted.mod_revision), True

    async def delete_collection(
        self,
        resource: Resource,
        namespace: str | None,
        matches: Matcher,
        *,
        propagation: str | None = None,
        dry_run: bool = False,
        attrs: Attributes | None = None,
        grace_period_seconds: int | None = None,
    ) -> builtins.list[Obj]:
        listed = await self.list(resource, namespace, matches)
        out: builtins.list[Obj] = []
        for cobj in listed.items:
            meta = cobj.obj["metadata"]
            try:
                obj, _ = await self.delete(resource, meta.get("namespace"), meta["name"],
                                           propagation=propagation, dry_run=dry_run, attrs=attrs,
                                           grace_period_seconds=grace_period_seconds)
            except errors.StatusError as exc:
                if exc.code == 404:
                    continue
                raise
            out.append(obj)
        return out


def _old_managed_times(obj: Obj, current: Obj) -> list[Any] | None:
    """``obj``'s managedFields with ``current``'s times, when the two lists are the same length,
    pairwise equal but for ``time``, and some time differs; else None."""
    new = (obj.get("metadata") or {}).get("managedFields")
    old = (current.get("metadata") or {}).get("managedFields")
    if not isinstance(new, list) or not isinstance(old, list) or not new or len(new) != len(old):
        return None
    if not all(isinstance(a, dict) and isinstance(b, dict) for a, b in zip(new, old, strict=True)):
        return None
    if all(a.get("time") == b.get("time") for a, b in zip(new, old, strict=True)):
        return None
    out = []
    for a, b in zip(new, old, strict=True):
        if {k: v for k, v in a.items() if k != "time"} != {k: v for k, v in b.items() if k != "time"}:
            return None
        out.append({**a, "time": b["time"]} if "time" in b else {k: v for k, v in a.items() if k != "time"})
    return out


def _parse_rv(value: str) -> int:
    try:
        rv = int(value)
        if rv < 0:
            raise ValueError
        return rv
    except ValueError:
        raise errors.bad_request(f"invalid resource version: {value!r}") from None


def parse_resource_version(value: str) -> int:
    """A resourceVersion from a client: a non-negative integer, else 400."""
    return _parse_rv(value)


def _name_of(obj: Obj) -> str:
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        name = meta.get("name") or meta.get("generateName") or ""
        return str(name)
    return ""


def _generate_name(prefix: str, random_string: RandomStrings) -> str:
    if len(prefix) > _MAX_GENERATE_PREFIX:
        prefix = prefix[:_MAX_GENERATE_PREFIX]
    return prefix + random_string(_NAME_SUFFIX)


def _name_fn(resource: Resource) -> Callable[[str, bool], list[str]]:
    fn = getattr(resource.strategy, "name_fn", None)
    if fn is not None:
        return fn  # type: ignore[no-any-return]
    if resource.custom:
        return metadata.name_is_path_segment
    return metadata.name_is_dns_subdomain


def _has_generation(resource: Resource) -> bool:
    """Whether the kind sets metadata.generation (CRDs and custom resources; not ConfigMaps and the like)."""
    return bool(getattr(resource.strategy, "has_generation", True))


#: The garbage collector's finalizers (``metav1.FinalizerOrphanDependents``, ``FinalizerDeleteDependents``).
ORPHAN_FINALIZER = "orphan"
FOREGROUND_FINALIZER = "foregroundDeletion"


def gc_finalizers(resource: Resource, current: Iterable[str], propagation: str | None) -> list[str]:
    """The finalizers a delete leaves, as kube's ``deletionFinalizersForGarbageCollection``.

    An explicit ``propagation`` wins; else an ``orphan`` or ``foregroundDeletion`` finalizer
    already there stays; else the kind's default policy (``default_gc_policy`` on its
    strategy: ``DeleteDependents``, ``OrphanDependents`` or ``Unsupported``) decides.
    """
    current = list(current)
    default = resource.strategy.default_gc_policy
    if default == "Unsupported":
        return current
    orphan = foreground = False
    if propagation is not None:
        orphan, foreground = propagation == "Orphan", propagation == "Foreground"
    elif ORPHAN_FINALIZER in current or FOREGROUND_FINALIZER in current:
        first = next(f for f in current if f in (ORPHAN_FINALIZER, FOREGROUND_FINALIZER))
        orphan, foreground = first == ORPHAN_FINALIZER, first == FOREGROUND_FINALIZER
    else:
        orphan = default == "OrphanDependents"
    out = [f for f in current if f not in (ORPHAN_FINALIZER, FOREGROUND_FINALIZER)]
    if orphan:
        out.append(ORPHAN_FINALIZER)
    if foreground:
        out.append(FOREGROUND_FINALIZER)
    return current if set(out) == set(current) else out


def _no_spec_finalizers(resource: Resource, obj: Obj) -> bool:
    if resource.group == "" and resource.plural == "namespaces":
        spec = obj.get("spec") or {}
        return not spec.get("finalizers")
    return True
