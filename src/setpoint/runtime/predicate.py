"""Predicates: which events reach a controller's queue.

A :class:`Predicate` answers four questions -- ``create(obj)``, ``update(old, new)``,
``delete(obj)``, ``generic(obj)`` -- with True (let it through) or False. Built-ins
follow controller-runtime's ``pkg/predicate``:

* :func:`generation_changed` -- updates only when ``metadata.generation`` moved
  (spec changes; status-only writes are dropped);
* :func:`labels_changed`, :func:`annotations_changed`;
* :func:`resource_version_changed` -- drops resync updates where nothing changed;
* :func:`func` / :func:`matching` -- your own.

Combine with ``a & b``, ``a | b``, ``~a`` (or :func:`and_`, :func:`or_`, :func:`not_`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.runtime import checks


class Predicate:
    """Lets every event through; subclass or use the functions below."""

    def create(self, obj: Obj) -> bool:
        return True

    def update(self, old: Obj, new: Obj) -> bool:
        return True

    def delete(self, obj: Obj) -> bool:
        return True

    def generic(self, obj: Obj) -> bool:
        return True

    def __and__(self, other: Predicate) -> Predicate:
        return and_(self, other)

    def __or__(self, other: Predicate) -> Predicate:
        return or_(self, other)

    def __invert__(self) -> Predicate:
        return not_(self)


class Funcs(Predicate):
    """A predicate from optional functions; a missing one lets events through."""

    def __init__(self, *, create: Callable[[Obj], bool] | None = None,
                 update: Callable[[Obj, Obj], bool] | None = None,
                 delete: Callable[[Obj], bool] | None = None,
                 generic: Callable[[Obj], bool] | None = None, name: str = "funcs") -> None:
        for event, fn in (("create", create), ("delete", delete), ("generic", generic)):
            if fn is not None:
                checks.check_sync_one_arg(fn, f"{event} predicate", f"def {event}(obj) -> bool")
        if update is not None:
            checks.check_sync_one_arg(update, "update predicate", "def update(old, new) -> bool", args=2)
        self._create, self._update, self._delete, self._generic = create, update, delete, generic
        self.name = name

    def __repr__(self) -> str:
        return f"<predicate {self.name}>"

    def create(self, obj: Obj) -> bool:
        return self._create is None or self._create(obj)

    def update(self, old: Obj, new: Obj) -> bool:
        return self._update is None or self._update(old, new)

    def delete(self, obj: Obj) -> bool:
        return self._delete is None or self._delete(obj)

    def generic(self, obj: Obj) -> bool:
        return self._generic is None or self._generic(obj)


class _And(Predicate):
    def __init__(self, parts: tuple[Predicate, ...]) -> None:
        self.parts = parts

    def create(self, obj: Obj) -> bool:
        return all(p.create(obj) for p in self.parts)

    def update(self, old: Obj, new: Obj) -> bool:
        return all(p.update(old, new) for p in self.parts)

    def delete(self, obj: Obj) -> bool:
        return all(p.delete(obj) for p in self.parts)

    def generic(self, obj: Obj) -> bool:
        return all(p.generic(obj) for p in self.parts)


class _Or(Predicate):
    def __init__(self, parts: tuple[Predicate, ...]) -> None:
        self.parts = parts

    def create(self, obj: Obj) -> bool:
        return any(p.create(obj) for p in self.parts)

    def update(self, old: Obj, new: Obj) -> bool:
        return any(p.update(old, new) for p in self.parts)

    def delete(self, obj: Obj) -> bool:
        return any(p.delete(obj) for p in self.parts)

    def generic(self, obj: Obj) -> bool:
        return any(p.generic(obj) for p in self.parts)


class _Not(Predicate):
    def __init__(self, inner: Predicate) -> None:
        self.inner = inner

    def create(self, obj: Obj) -> bool:
        return not self.inner.create(obj)

    def update(self, old: Obj, new: Obj) -> bool:
        return not self.inner.update(old, new)

    def delete(self, obj: Obj) -> bool:
        return not self.inner.delete(obj)

    def generic(self, obj: Obj) -> bool:
        return not self.inner.generic(obj)


def and_(*predicates: Predicate) -> Predicate:
    return _And(predicates)


def or_(*predicates: Predicate) -> Predicate:
    return _Or(predicates)


def not_(predicate: Predicate) -> Predicate:
    return _Not(predicate)


def _meta(obj: Obj, field: str) -> Any:
    return obj["metadata"].get(field)


def generation_changed() -> Predicate:
    """Updates pass only when ``metadata.generation`` changed (others pass)."""
    return Funcs(update=lambda old, new: _meta(old, "generation") != _meta(new, "generation"),
                 name="generation_changed")


def labels_changed() -> Predicate:
    return Funcs(update=lambda old, new: (_meta(old, "labels") or {}) != (_meta(new, "labels") or {}),
                 name="labels_changed")


def annotations_changed() -> Predicate:
    return Funcs(update=lambda old, new: (_meta(old, "annotations") or {}) != (_meta(new, "annotations") or {}),
                 name="annotations_changed")


def resource_version_changed() -> Predicate:
    """Drops updates whose resourceVersion did not move (resyncs)."""
    return Funcs(update=lambda old, new: _meta(old, "resourceVersion") != _meta(new, "resourceVersion"),
                 name="resource_version_changed")


def func(create: Callable[[Obj], bool] | None = None, update: Callable[[Obj, Obj], bool] | None = None,
         delete: Callable[[Obj], bool] | None = None, generic: Callable[[Obj], bool] | None = None) -> Predicate:
    """Your own predicate; events with no function pass."""
    return Funcs(create=create, update=update, delete=delete, generic=generic)


def matching(test: Callable[[Obj], bool]) -> Predicate:
    """One test for every event (on updates, applied to the new object)."""
    return Funcs(create=test, update=lambda old, new: test(new), delete=test, generic=test, name="matching")


def has_label(key: str, value: str | None = None) -> Predicate:
    def test(obj: Obj) -> bool:
        labels = _meta(obj, "labels") or {}
        return key in labels if value is None else labels.get(key) == value
    return matching(test)
