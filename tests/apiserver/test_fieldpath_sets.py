"""Field path sets: union and differences agree with the same operations on plain sets of
paths, share what they leave unchanged, and never change their operands."""

from __future__ import annotations

import random

import orjson
import pytest

from setpoint.apiserver.fieldmanager.fieldpath import (
    Path,
    Set,
    field,
    fields_set,
    key,
    sort_elements,
    sort_key,
    value,
)

ELEMENTS = ["f:a", "f:b", "f:c", 'k:{"name":"x"}', "i:0"]


def _paths(rng: random.Random) -> list[Path]:
    return [tuple(rng.choice(ELEMENTS) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(0, 12))]


def _under(path: Path, prefixes: set[Path]) -> bool:
    return any(path[:i] in prefixes for i in range(1, len(path) + 1))


@pytest.mark.parametrize("seed", range(40))
def test_set_operations_match_plain_sets_of_paths(seed: int) -> None:
    rng = random.Random(seed)
    pa, pb = _paths(rng), _paths(rng)
    a, b = Set.of(*pa), Set.of(*pb)
    before = (orjson.dumps(a.to_fields()), orjson.dumps(b.to_fields()))
    sa, sb = set(a.paths()), set(b.paths())
    assert set(a.union(b).paths()) == sa | sb
    assert set(a.difference(b).paths()) == sa - sb
    assert set(a.recursive_difference(b).paths()) == {p for p in sa if not _under(p, sb)}
    assert set(a.intersection(b).paths()) == sa & sb
    # the encodings of results are those of the same sets built path by path
    for result, expected in ((a.union(b), sa | sb), (a.difference(b), sa - sb)):
        assert result.to_fields() == Set.of(*expected).to_fields()
    # operands unchanged (results share their subtrees)
    assert (orjson.dumps(a.to_fields()), orjson.dumps(b.to_fields())) == before
    assert set(a.paths()) == sa and set(b.paths()) == sb


def test_operations_that_change_nothing_answer_the_operand_itself() -> None:
    a = Set.of(("f:spec", "f:replicas"), ("f:spec", "f:template", "f:metadata"))
    status = Set.of(("f:status", "f:phase"))
    assert a.difference(status) is a
    assert a.recursive_difference(status) is a
    assert a.union(Set()) is a
    assert a.union(Set.of(("f:spec", "f:replicas"))) is a
    changed = a.difference(Set.of(("f:spec", "f:replicas")))
    assert changed is not a
    assert changed.children["f:spec"].children["f:template"] is a.children["f:spec"].children["f:template"]


def test_a_set_grown_after_its_encoding_was_asked_for_encodes_again() -> None:
    s = Set.of(("f:a", "f:b"))
    assert s.to_fields() == {"f:a": {"f:b": {}}}
    s.insert(("f:a", "f:c"))
    assert s.to_fields() == {"f:a": {"f:b": {}, "f:c": {}}}


def test_decoded_field_sets_are_remembered_by_their_json() -> None:
    raw = {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}, "f:spec": {"f:replicas": {}}}
    first = fields_set(raw)
    assert fields_set(orjson.loads(orjson.dumps(raw))) is first  # an equal object: the same set
    assert first.to_fields() == raw
    with pytest.raises(ValueError, match="FieldsV1"):
        fields_set(["not", "an", "object"])


@pytest.mark.parametrize("seed", range(20))
def test_elements_sort_in_kubes_order(seed: int) -> None:
    # Fields alone sort as strings; with keys, values or indexes among them, by kube's rules
    # (a key's values compared as values: "a" before "a b", unlike their JSON).
    rng = random.Random(seed)
    pool = [field(n) for n in ("a", "a b", "a-b", "B", "ab", "z", "é")]
    pool += [key([("name", n)]) for n in ("a", "a b", "b")] + [key([("port", 80), ("protocol", "TCP")])]
    pool += [value(v) for v in ("x", 1, True)] + ["i:0", "i:10", "i:2"]
    fields_only = [pe for pe in pool if pe.startswith("f:")]
    for elements in (rng.sample(fields_only, rng.randint(0, len(fields_only))),
                     rng.sample(pool, rng.randint(1, len(pool)))):
        assert sort_elements(elements) == sorted(elements, key=sort_key)
