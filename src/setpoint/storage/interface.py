"""The storage contract: an etcd-v3-shaped, revisioned key-value store.

Every backend (in-memory, SQLite, etcd) implements :class:`Storage` with the
same semantics, which the conformance suite in ``tests/storage`` checks:

* One global revision for the whole store, +1 per committed write.
* Each key carries ``create_revision`` and ``mod_revision``; the API server
  uses ``mod_revision`` as the object's resourceVersion.
* ``range`` reads a consistent snapshot at one revision and says which.
* ``create``/``update``/``delete`` are compare-and-swap and never half-apply.
* ``watch`` streams every change after a revision, in order, with no gap and
  no duplicate, or fails at once with :class:`Compacted`.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

#: Largest value a backend accepts, as etcd's default request limit (1.5 MiB).
MAX_VALUE_BYTES = 1536 * 1024
#: Largest key a backend accepts.
MAX_KEY_BYTES = 4096


@dataclass(frozen=True, slots=True)
class KeyValue:
    """One key at one revision."""

    key: str
    value: bytes
    create_revision: int
    mod_revision: int
    #: Read through another than the current writer of an encryption-at-rest wrapper (an old
    #: key): an update must write it even when nothing else changed (kube's ``stale``).
    stale: bool = False


class EventType(enum.Enum):
    PUT = "PUT"
    DELETE = "DELETE"


@dataclass(frozen=True, slots=True)
class Event:
    """A committed change.

    For ``PUT``, ``kv`` is the new state and ``prev`` the state before it
    (``None`` for a create). For ``DELETE``, ``kv`` holds the deleted key with
    its last value and ``mod_revision`` set to the revision of the delete;
    ``prev`` is the state that was deleted.
    """

    type: EventType
    kv: KeyValue
    prev: KeyValue | None

    @property
    def revision(self) -> int:
        return self.kv.mod_revision


@dataclass(frozen=True, slots=True)
class RangeResult:
    """A page of a consistent snapshot.

    ``revision`` is the snapshot's revision: pass it back as ``revision=`` to
    read the next page from the same snapshot. ``more`` says whether keys
    remain after the last one returned; ``remaining`` counts them (0 when
    ``more`` is false).
    """

    kvs: list[KeyValue]
    revision: int
    more: bool
    remaining: int


# --- errors -----------------------------------------------------------------


class StorageError(Exception):
    """Base of every error a backend raises on purpose."""


class InvalidInput(StorageError):
    """The key or value is not acceptable (empty, too large, wrong type)."""


class KeyExists(StorageError):
    """``create`` found the key already present."""

    def __init__(self, current: KeyValue) -> None:
        super().__init__(f"key {current.key!r} already exists")
        self.current = current


class KeyNotFound(StorageError):
    """``update`` or ``delete`` found no such key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"key {key!r} not found")
        self.key = key


class Conflict(StorageError):
    """A compare-and-swap saw another ``mod_revision`` than expected."""

    def __init__(self, current: KeyValue) -> None:
        super().__init__(
            f"key {current.key!r} is at mod_revision {current.mod_revision}, not the expected one"
        )
        self.current = current


class Compacted(StorageError):
    """The requested revision is older than the compacted one."""

    def __init__(self, requested: int, compact_revision: int) -> None:
        super().__init__(
            f"required revision {requested} has been compacted (compact revision {compact_revision})"
        )
        self.requested = requested
        self.compact_revision = compact_revision


class FutureRevision(StorageError):
    """The requested revision is newer than the store's current one."""

    def __init__(self, requested: int, current: int) -> None:
        super().__init__(f"revision {requested} is newer than the current revision {current}")
        self.requested = requested
        self.current = current


class WatchExpired(StorageError):
    """A watch fell too far behind and was ended; re-list and watch again.

    ``revision`` is the last revision the watcher was given, so a caller can
    try to resume after it (which fails with :class:`Compacted` if it is gone).
    """

    def __init__(self, revision: int, reason: str = "watcher fell behind") -> None:
        super().__init__(f"{reason}; last delivered revision {revision}")
        self.revision = revision


class StoreClosed(StorageError):
    """The store was closed."""


# --- the interface ----------------------------------------------------------


class Watch(Protocol):
    """A running watch: iterate it for batches of events, close it when done.

    Iteration yields lists of events (all events of one commit at least stay
    together in order; a batch may span commits). Iteration ends normally only
    after :meth:`close`. It raises :class:`WatchExpired` when the watcher fell
    behind, and :class:`StoreClosed` when the store closes.
    """

    def __aiter__(self) -> AsyncIterator[list[Event]]: ...

    async def close(self) -> None: ...


@runtime_checkable
class Storage(Protocol):
    """An etcd-shaped store. Keys are ``str``, values are ``bytes``."""

    async def current_revision(self) -> int:
        """The revision of the last committed write (0 for an empty store)."""
        ...

    async def compact_revision(self) -> int:
        """The newest compacted revision (0 if never compacted)."""
        ...

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        """The key at ``revision`` (0: latest), or ``None`` if absent."""
        ...

    async def range(
        self,
        prefix: str,
        *,
        limit: int = 0,
        start_after: str | None = None,
        revision: int = 0,
    ) -> RangeResult:
        """Keys starting with ``prefix`` in key order at ``revision`` (0: latest).

        ``limit`` 0 means no limit. ``start_after`` resumes after that key.
        Raises :class:`Compacted` when ``revision`` is below the compact
        revision and :class:`FutureRevision` when it is above the current one.
        """
        ...

    async def count(self, prefix: str) -> int:
        """How many keys start with ``prefix`` at the latest revision."""
        ...

    async def create(self, key: str, value: bytes) -> KeyValue:
        """Create ``key``; raises :class:`KeyExists` if present."""
        ...

    async def update(self, key: str, value: bytes, expected_mod_revision: int) -> KeyValue:
        """Replace ``key`` if it is still at ``expected_mod_revision``.

        ``expected_mod_revision`` 0 means unconditional. Raises
        :class:`KeyNotFound` or :class:`Conflict` (carrying the current state).
        """
        ...

    async def delete(self, key: str, expected_mod_revision: int = 0) -> KeyValue:
        """Delete ``key``; returns the deleted value with ``mod_revision`` set
        to the delete's revision. Raises :class:`KeyNotFound` or
        :class:`Conflict`."""
        ...

    def watch(self, prefix: str, start_revision: int) -> Watch:
        """Watch keys starting with ``prefix`` for changes after ``start_revision``.

        ``start_revision`` is exclusive: events with revision greater than it
        are delivered. Raises :class:`Compacted` at once (from this call) if
        ``start_revision`` is older than the compacted revision.
        """
        ...

    async def compact(self, revision: int) -> None:
        """Drop history at and below ``revision`` (latest values stay)."""
        ...

    async def close(self) -> None:
        """Flush, stop background work, end every watch with StoreClosed."""
        ...
