"""A :class:`setpoint.storage.Storage` that encrypts the configured resources' values.

It sits where kube's transformer sits in its etcd3 store: between the API server (the
object store, the watch cache) and the backend. Writes are encrypted with the resource's
first provider; reads, range pages and watch events are decrypted once here, so the watch
cache's one storage watch decrypts each event once, however many clients watch. Keys of
resources the configuration does not name pass through untouched (one dict lookup).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from setpoint import storage
from setpoint.apiserver import builtin
from setpoint.apiserver.encryption.config import EncryptionConfig
from setpoint.apiserver.encryption.transformers import PrefixTransformers, TransformFailed
from setpoint.apiserver.registry.resources import Registry

KV = storage.KeyValue


class TransformError(storage.StorageError):
    """A stored value did not decrypt (a wrong or removed key): kube's wording."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f'unable to transform key "{key}": {reason}')
        self.key = key


def _builtin_resources() -> dict[str, tuple[str, str]]:
    """The storage name of every built-in resource -> its (group, resource) (core first)."""
    registry = Registry()
    builtin.register_builtins(registry)
    out: dict[str, tuple[str, str]] = {}
    for r in registry.all():
        name = r.storage_resource or r.plural
        if name not in out or not r.group:
            out[name] = (r.group, name)
    return out


class EncryptedStorage:
    """``inner`` with values encrypted at rest per ``config``."""

    def __init__(self, inner: storage.Storage, config: EncryptionConfig) -> None:
        self.inner = inner
        self.config = config
        self._builtin = _builtin_resources()
        self._transformers: dict[str, PrefixTransformers | None] = {}

    # --- which transformer ------------------------------------------------------------

    def transformer(self, key: str) -> PrefixTransformers | None:
        """The transformer of ``key``'s resource: built-ins are ``/registry/<resource>/...``,
        custom resources ``/registry/<group>/<resource>/...`` (a CRD's group has a dot)."""
        parts = key.split("/", 4)
        if len(parts) < 4:
            return None
        seg = parts[2]
        known = self._transformers
        if seg in known:
            return known[seg]
        gr = self._builtin.get(seg)
        if gr is not None:
            t = known[seg] = self.config.for_resource(*gr)
            return t
        if "." not in seg:
            return None
        both = f"{seg}/{parts[3]}"
        if both not in known:
            known[both] = self.config.for_resource(seg, parts[3])
        return known[both]

    def _decrypt(self, kv: KV) -> KV:
        t = self.transformer(kv.key)
        if t is None:
            return kv
        try:
            value, stale = t.from_storage(kv.value, kv.key)
        except TransformFailed as exc:
            raise TransformError(kv.key, str(exc)) from None
        return KV(kv.key, value, kv.create_revision, kv.mod_revision, stale)

    def _event(self, ev: storage.Event) -> storage.Event:
        if self.transformer(ev.kv.key) is None:
            return ev
        return storage.Event(ev.type, self._decrypt(ev.kv), None if ev.prev is None else self._decrypt(ev.prev))

    # --- the Storage protocol ----------------------------------------------------------

    async def current_revision(self) -> int:
        return await self.inner.current_revision()

    async def compact_revision(self) -> int:
        return await self.inner.compact_revision()

    async def get(self, key: str, *, revision: int = 0) -> KV | None:
        kv = await self.inner.get(key, revision=revision)
        return None if kv is None else self._decrypt(kv)

    async def range(self, prefix: str, *, limit: int = 0, start_after: str | None = None,
                    revision: int = 0) -> storage.RangeResult:
        page = await self.inner.range(prefix, limit=limit, start_after=start_after, revision=revision)
        if not page.kvs:
            return page
        decrypt = self._decrypt
        return storage.RangeResult([decrypt(kv) for kv in page.kvs], page.revision, page.more, page.remaining)

    async def count(self, prefix: str) -> int:
        return await self.inner.count(prefix)

    async def create(self, key: str, value: bytes) -> KV:
        t = self.transformer(key)
        if t is None:
            return await self.inner.create(key, value)
        try:
            kv = await self.inner.create(key, t.to_storage(value, key))
        except storage.KeyExists as exc:
            raise storage.KeyExists(self._decrypt(exc.current)) from None
        return KV(key, value, kv.create_revision, kv.mod_revision)

    async def update(self, key: str, value: bytes, expected_mod_revision: int) -> KV:
        t = self.transformer(key)
        if t is None:
            return await self.inner.update(key, value, expected_mod_revision)
        try:
            kv = await self.inner.update(key, t.to_storage(value, key), expected_mod_revision)
        except storage.Conflict as exc:
            raise storage.Conflict(self._decrypt(exc.current)) from None
        return KV(key, value, kv.create_revision, kv.mod_revision)

    async def delete(self, key: str, expected_mod_revision: int = 0) -> KV:
        try:
            kv = await self.inner.delete(key, expected_mod_revision)
        except storage.Conflict as exc:
            raise storage.Conflict(self._decrypt(exc.current)) from None
        return self._decrypt(kv)

    def watch(self, prefix: str, start_revision: int) -> storage.Watch:
        return _DecryptingWatch(self, self.inner.watch(prefix, start_revision))

    async def compact(self, revision: int) -> None:
        await self.inner.compact(revision)

    async def close(self) -> None:
        await self.inner.close()

    def _prefixes(self, root: str) -> list[str]:
        """The key prefixes of the configured resources (the whole ``root`` for wildcards)."""
        out: list[str] = []
        for group, resource in self.config.transformers:
            if "*" in (group, resource):
                return [root]
            names = [name for name, gr in self._builtin.items() if gr == (group, resource)]
            out.extend(f"{root}{name}/" for name in names)
            if not names:
                out.append(f"{root}{group}/{resource}/")
        return sorted(set(out))

    async def verify(self, root: str = "/registry/") -> int:
        """Decrypt every stored value of an encrypted resource once, so a wrong or removed key
        is a clear error at start-up (:class:`TransformError`), not failures later. Returns how
        many values were checked."""
        checked = 0
        for prefix in self._prefixes(root):
            start_after: str | None = None
            revision = 0
            while True:
                page = await self.inner.range(prefix, limit=10_000, start_after=start_after, revision=revision)
                revision = page.revision
                for kv in page.kvs:
                    if self.transformer(kv.key) is not None:
                        self._decrypt(kv)
                        checked += 1
                if not page.more or not page.kvs:
                    break
                start_after = page.kvs[-1].key
        return checked


class _DecryptingWatch:
    """The inner watch's batches, each event decrypted (unencrypted keys untouched)."""

    def __init__(self, owner: EncryptedStorage, inner: storage.Watch) -> None:
        self._owner = owner
        self._inner = inner

    def __aiter__(self) -> AsyncIterator[list[storage.Event]]:
        return self._batches()

    async def _batches(self) -> AsyncIterator[list[storage.Event]]:
        event = self._owner._event
        async for batch in self._inner:
            yield [event(ev) for ev in batch]

    @property
    def revision(self) -> int:
        """The inner watch's progress (a watch cache reads it after an empty batch)."""
        return int(getattr(self._inner, "revision", 0))

    def request_progress(self) -> None:
        """Ask the inner watch for progress, if it can be asked (etcd's)."""
        request = getattr(self._inner, "request_progress", None)
        if request is not None:
            request()

    async def close(self) -> None:
        await self._inner.close()
