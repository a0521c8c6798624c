"""Storage: an etcd-v3-shaped revisioned key-value store and its backends.

``await open_storage(url)`` opens a backend by URL:

* ``memory://``: :class:`MemoryStorage`, in memory (tests, reference);
* ``sqlite:///abs/path/to/file.db`` or a plain path: :class:`SQLiteStorage`;
* ``etcd://host:port[,host:port...][?prefix=P&cafile=F&certfile=F&keyfile=F]``:
  :class:`~setpoint.storage.etcd.EtcdStorage`, an etcd v3 cluster (imported on first use: it
  brings gRPC).
"""

from __future__ import annotations

from typing import Any

from .interface import (
    MAX_KEY_BYTES,
    MAX_VALUE_BYTES,
    Compacted,
    Conflict,
    Event,
    EventType,
    FutureRevision,
    InvalidInput,
    KeyExists,
    KeyNotFound,
    KeyValue,
    RangeResult,
    Storage,
    StorageError,
    StoreClosed,
    Watch,
    WatchExpired,
)
from .memory import MemoryStorage
from .sqlite import SQLiteStorage, StoreLocked

__all__ = [
    "MAX_KEY_BYTES",
    "MAX_VALUE_BYTES",
    "Compacted",
    "Conflict",
    "Event",
    "EventType",
    "FutureRevision",
    "InvalidInput",
    "KeyExists",
    "KeyNotFound",
    "KeyValue",
    "MemoryStorage",
    "RangeResult",
    "SQLiteStorage",
    "Storage",
    "StorageError",
    "StoreClosed",
    "StoreLocked",
    "Watch",
    "WatchExpired",
    "open_storage",
]


async def open_storage(url: str, **options: Any) -> Storage:
    """Open the store at ``url``; ``options`` go to the backend's constructor.

    Raises :class:`ValueError` for an unknown scheme.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        if not url:
            raise ValueError("empty storage URL")
        return SQLiteStorage(url, **options)
    if scheme == "memory":
        if rest:
            raise ValueError(f"memory:// takes no path, got {url!r}")
        return MemoryStorage(**options)
    if scheme == "sqlite":
        if not rest:
            raise ValueError(f"sqlite URL needs a path: {url!r}")
        return SQLiteStorage(rest, **options)
    if scheme == "etcd":
        from .etcd import EtcdStorage, parse_url

        endpoints, params = parse_url(url)
        for name, option in (("prefix", "prefix"), ("cafile", "ca_file"), ("certfile", "cert_file"),
                             ("keyfile", "key_file")):
            if name in params:
                options.setdefault(option, params[name])
        return await EtcdStorage.open(endpoints, **options)
    raise ValueError(
        f"unknown storage URL scheme {scheme!r} in {url!r} (known: memory://, sqlite://, etcd://)"
    )
