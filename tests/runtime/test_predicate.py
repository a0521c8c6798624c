"""Predicates: the built-ins and their combinations (and, or, not)."""

from __future__ import annotations

from typing import Any

from setpoint.runtime import predicate


def obj(generation: int = 1, labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None,
        rv: str = "1") -> dict[str, Any]:
    return {"metadata": {"name": "x", "generation": generation, "labels": labels or {},
                         "annotations": annotations or {}, "resourceVersion": rv}}


def test_builtins_filter_updates_only() -> None:
    gen = predicate.generation_changed()
    assert gen.create(obj()) and gen.delete(obj()) and gen.generic(obj())
    assert not gen.update(obj(1, rv="1"), obj(1, rv="2")), "status-only writes do not bump generation"
    assert gen.update(obj(1), obj(2))
    assert predicate.labels_changed().update(obj(labels={"a": "1"}), obj(labels={"a": "2"}))
    assert not predicate.labels_changed().update(obj(labels={"a": "1"}), obj(labels={"a": "1"}))
    assert predicate.annotations_changed().update(obj(), obj(annotations={"k": "v"}))
    rv = predicate.resource_version_changed()
    assert not rv.update(obj(rv="5"), obj(rv="5")), "a resync re-announces the same version"
    assert rv.update(obj(rv="5"), obj(rv="6"))


def test_combinators() -> None:
    gen, labels = predicate.generation_changed(), predicate.labels_changed()
    old, relabelled = obj(1, {"a": "1"}), obj(1, {"a": "2"})
    assert (gen | labels).update(old, relabelled)
    assert not (gen & labels).update(old, relabelled)
    assert (~gen).update(old, relabelled)
    assert predicate.and_(gen, ~labels).update(obj(1), obj(2))
    assert not predicate.or_().update(old, relabelled) and predicate.and_().update(old, relabelled)


def test_custom_predicates() -> None:
    only_web = predicate.has_label("app", "web")
    assert only_web.create(obj(labels={"app": "web"})) and not only_web.create(obj())
    assert only_web.update(obj(), obj(labels={"app": "web"})), "updates test the new object"
    deletes_only = predicate.func(create=lambda o: False, update=lambda a, b: False)
    assert deletes_only.delete(obj()) and not deletes_only.create(obj())
