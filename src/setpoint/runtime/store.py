"""The store: the informer's in-memory copy of a kind, with indexes.

One writer (the informer that owns it) and many readers. Reads cost no API call
and no copy: the dicts handed out *are* the cached objects, shared by every
controller in the process. Treat them as read-only; to change one, take a
mutable copy with :func:`setpoint.runtime.objects.mutable` (an orjson round trip,
several times faster than ``copy.deepcopy``) and send that.

Indexes map an index value to the keys of the objects that produce it. The
``namespace`` index is always there; :func:`by_owner_uid`, :func:`by_label` and any
function ``obj -> iterable of str`` can be added with :meth:`Store.add_indexer`.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping

from setpoint.apimachinery.types import Obj
from setpoint.runtime import checks
from setpoint.runtime import labels as labelsel
from setpoint.runtime.resource import key_of, object_key

IndexFunc = Callable[[Obj], Iterable[str]]

NAMESPACE = "namespace"
OWNER_UID = "owner-uid"
LABEL = "label"

log = logging.getLogger(__name__)


def by_namespace(obj: Obj) -> Iterable[str]:
    ns = obj["metadata"].get("namespace")
    return (ns,) if ns else ()


def by_owner_uid(obj: Obj) -> Iterable[str]:
    """The uid of every owner in ``metadata.ownerReferences``."""
    return [ref["uid"] for ref in obj["metadata"].get("ownerReferences") or () if "uid" in ref]


def by_label(obj: Obj) -> Iterable[str]:
    """``key=value`` for every label (narrows equality label selectors)."""
    return [f"{k}={v}" for k, v in (obj["metadata"].get("labels") or {}).items()]


_BUILTIN: frozenset[IndexFunc] = frozenset({by_namespace, by_owner_uid, by_label})


class Store:
    """Objects of one informer by ``namespace/name`` key, plus indexes."""

    def __init__(self, indexers: Mapping[str, IndexFunc] | None = None) -> None:
        self._items: dict[str, Obj] = {}
        self._indexers: dict[str, IndexFunc] = {NAMESPACE: by_namespace}
        self._given: dict[str, IndexFunc] = {NAMESPACE: by_namespace}  # as added (before checking)
        self._indices: dict[str, dict[str, set[str]]] = {NAMESPACE: {}}
        for name, fn in (indexers or {}).items():
            self.add_indexer(name, fn)

    # -- reading --------------------------------------------------------------------------------

    def get(self, key: str) -> Obj | None:
        return self._items.get(key)

    def get_by_name(self, name: str, namespace: str | None = None) -> Obj | None:
        return self._items.get(object_key(namespace, name))

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[Obj]:
        return iter(list(self._items.values()))

    def keys(self) -> list[str]:
        return list(self._items)

    def list(self, namespace: str | None = None, label_selector: str | labelsel.Selector | None = None) -> list[Obj]:
        """Objects in ``namespace`` (all if ``None``) whose labels match ``label_selector``."""
        selector = label_selector if isinstance(label_selector, labelsel.Selector) else labelsel.parse(label_selector)
        keys: Iterable[str] | None = None
        if namespace:
            keys = self._indices[NAMESPACE].get(namespace, set())
        if selector and LABEL in self._indices:
            for k, v in selector.equalities():
                narrowed = self._indices[LABEL].get(f"{k}={v}", set())
                keys = narrowed if keys is None else (set(keys) & narrowed)
        items = self._items
        candidates: Iterable[Obj] = (items[k] for k in keys) if keys is not None else list(items.values())
        if not selector:
            return list(candidates)
        return [o for o in candidates if selector.matches(o["metadata"].get("labels"))]

    def index_keys(self, index: str, value: str) -> set[str]:
        try:
            return set(self._indices[index].get(value, ()))
        except KeyError:
            raise KeyError(f"no index named {index!r}; add it with add_indexer") from None

    def by_index(self, index: str, value: str) -> builtins.list[Obj]:
        """Objects whose indexer ``index`` produced ``value``."""
        items = self._items
        return [items[k] for k in self.index_keys(index, value)]

    def add_indexer(self, name: str, fn: IndexFunc) -> None:
        """Add an index (built over the current contents at once).

        ``fn`` must be a plain function of one argument (refused at once otherwise); an answer that
        is not an iterable of ``str`` -- a ``str`` above all -- is logged as an error naming it.
        """
        if name in self._given and self._given[name] is not fn:
            raise ValueError(f"index {name!r} already exists")
        self._given[name] = fn
        if fn not in _BUILTIN:
            checks.check_sync_one_arg(fn, "index function", "def index(obj) -> list[str]")
            fn = checks.Reported(fn, checks.index_values_of, log)
        self._indexers[name] = fn
        index: dict[str, set[str]] = {}
        self._indices[name] = index
        for key, obj in self._items.items():
            for value in fn(obj):
                index.setdefault(value, set()).add(key)

    @property
    def indexers(self) -> Mapping[str, IndexFunc]:
        return dict(self._given)

    # -- writing (the informer only) -------------------------------------------------------------

    def upsert(self, obj: Obj, key: str | None = None) -> Obj | None:
        """Insert or replace; returns the previous object."""
        key = key or key_of(obj)
        old = self._items.get(key)
        self._items[key] = obj
        if old is not None:
            self._unindex(key, old)
        self._index(key, obj)
        return old

    def delete(self, key: str) -> Obj | None:
        old = self._items.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    def replace(self, items: dict[str, Obj]) -> dict[str, Obj]:
        """Swap in a whole new content (after a list); returns the old one."""
        old = self._items
        self._items = items
        for name, fn in self._indexers.items():
            index: dict[str, set[str]] = {}
            for key, obj in items.items():
                for value in fn(obj):
                    index.setdefault(value, set()).add(key)
            self._indices[name] = index
        return old

    def _index(self, key: str, obj: Obj) -> None:
        for name, fn in self._indexers.items():
            index = self._indices[name]
            for value in fn(obj):
                bucket = index.get(value)
                if bucket is None:
                    index[value] = {key}
                else:
                    bucket.add(key)

    def _unindex(self, key: str, obj: Obj) -> None:
        for name, fn in self._indexers.items():
            index = self._indices[name]
            for value in fn(obj):
                bucket = index.get(value)
                if bucket is not None:
                    bucket.discard(key)
                    if not bucket:
                        del index[value]
