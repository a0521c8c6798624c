"""The compiled schema, defaulting, pruning, CEL and CRD validation without a server."""

from __future__ import annotations

from typing import Any

import pytest

from setpoint.apiserver.apiextensions import crd_validation, structural
from setpoint.apiserver.apiextensions.cel import cost, evaluate, library, parse
from setpoint.apiserver.apiextensions.customresource import CustomResourceSchema, json_path_first


def messages(errs: list[Any]) -> list[str]:
    return [e.message() for e in errs]


def node(schema: dict[str, Any]) -> structural.Node:
    n = structural.compile_schema(schema)
    assert n is not None
    return n


def test_number_messages() -> None:
    s = node({"type": "object", "properties": {
        "f": {"type": "number", "maximum": 1.5, "exclusiveMaximum": True},
        "g": {"type": "number", "minimum": 1000000},
        "m": {"type": "integer", "multipleOf": 5},
        "i": {"type": "integer"},
    }})
    assert messages(structural.validate({"f": 1.5, "g": 2.5, "m": 7, "i": 2.0}, s)) == [
        "f: Invalid value: 1.5: f in body should be less than 1.5",
        "g: Invalid value: 2.5: g in body should be greater than or equal to 1e+06",
        "m: Invalid value: 7: m in body should be a multiple of 5",
    ]
    assert messages(structural.validate({"i": 2.5}, s)) == [
        'i: Invalid value: "number": i in body must be of type integer: "number"']


def test_null_messages_and_nullable() -> None:
    s = node({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string", "nullable": True}}})
    assert messages(structural.validate({"a": None, "b": None}, s)) == [
        'a: Invalid value: "null": a in body must be of type string: "null"']


def test_defaulting_like_kube() -> None:
    s = node({"type": "object", "properties": {
        "a": {"type": "integer", "default": 1},
        "b": {"type": "string", "default": "x"},
        "n": {"type": "string", "nullable": True, "default": "y"},
        "gone": {"type": "string"},
        "obj": {"type": "object", "default": {}, "properties": {"inner": {"type": "integer", "default": 3}}},
        "list": {"type": "array", "items": {"type": "object", "default": {"k": "d"},
                                            "properties": {"k": {"type": "string"},
                                                           "v": {"type": "integer", "default": 0}}}},
        "map": {"type": "object", "additionalProperties": {"type": "integer", "default": 9}},
    }})
    obj: dict[str, Any] = {"b": None, "n": None, "gone": None, "list": [None, {"k": "z"}], "map": {"x": None, "y": 1}}
    structural.default(obj, s)
    assert structural.prune(obj, s) == []
    assert obj == {"a": 1, "b": "x", "n": None, "obj": {"inner": 3},
                   "list": [{"k": "d", "v": 0}, {"k": "z", "v": 0}], "map": {"x": 9, "y": 1}}


def test_pruning_like_kube() -> None:
    s = node({"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "known": {"type": "string"},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                     "properties": {"strict": {"type": "object", "properties": {"x": {"type": "integer"}}}}},
            "emb": {"type": "object", "x-kubernetes-embedded-resource": True,
                    "x-kubernetes-preserve-unknown-fields": True},
            "items": {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "integer"}}}},
        }}}})
    obj = {"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "a", "bogus": 1},
           "spec": {"known": "k", "unknown": 1, "free": {"anything": {"goes": 1}, "strict": {"x": 1, "y": 2}},
                    "emb": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "nope": 1}, "spec": {}},
                    "items": [{"a": 1, "b": 2}]},
           "status": {}}
    unknown = structural.prune(obj, s)
    assert sorted(unknown) == ["metadata.bogus", "spec.emb.metadata.nope", "spec.free.strict.y",
                               "spec.items[0].b", "spec.unknown", "status"]
    assert obj == {"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "a"},
                   "spec": {"known": "k", "free": {"anything": {"goes": 1}, "strict": {"x": 1}},
                            "emb": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}},
                            "items": [{"a": 1}]}}


def test_embedded_resource_metadata_is_validated() -> None:
    s = node({"type": "object", "properties": {"t": {"type": "object", "x-kubernetes-embedded-resource": True,
                                                     "x-kubernetes-preserve-unknown-fields": True}}})
    errs = structural.validate_structure({"t": {"apiVersion": "a/b/c", "kind": "Bad_Kind",
                                               "metadata": {"name": "UPPER"}}}, s)
    text = messages(errs)
    assert 't.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c' in text
    assert any(m.startswith('t.kind: Invalid value: "Bad_Kind": may have mixed case, but should otherwise match')
               for m in text)
    assert not any(m.startswith("t.metadata.name") for m in text)  # path segment names allow upper case


def test_cel_parser_and_old_self() -> None:
    assert parse.uses_old_self(parse.parse("self.a == oldSelf.a"))
    assert not parse.uses_old_self(parse.parse("self.items.all(x, x.size() < 10) && has(self.b)"))
    tree = parse.parse("self.m.exists(k, v, v > 1) ? 'a' : \"b\"")
    assert tree[0] == "cond"
    with pytest.raises(parse.CELSyntaxError):
        parse.parse("self.a +")
    assert library.escape("foo-bar") == "foo__dash__bar"
    assert library.escape("namespace") == "__namespace__"
    assert library.escape("a.b__c") == "a__dot__b__underscores__c"
    assert library.escape("has space") is None


def _cost(rule: str, schema: dict[str, Any]) -> int:
    return cost.estimate(parse.parse(rule), rule, node(schema), False)[0]


def test_cost_estimate_follows_bounds() -> None:
    bounded = {"type": "array", "maxItems": 10, "items": {"type": "string", "maxLength": 10}}
    unbounded = {"type": "array", "items": {"type": "string"}}
    small = _cost("self.all(x, x.startsWith('a'))", bounded)
    big = _cost("self.all(x, x.startsWith('a'))", unbounded)
    assert small < 100
    assert big > 1_000_000
    assert _cost("self.all(x, self.all(y, x == y))", unbounded) > cost.STATIC_ESTIMATED_COST_LIMIT
    with pytest.raises(cost.RuleCheckError, match="undefined field 'nope'"):
        _cost("self.nope", {"type": "object", "properties": {"a": {"type": "string"}}})


def _rules(schema: dict[str, Any], obj: Any, old: Any = None, budget: float = 1.0) -> list[str]:
    root = node(schema)
    evaluate.attach(root)
    return messages(evaluate.validate(obj, old, root, budget))


def test_cel_values_as_kube_types() -> None:
    schema = {"type": "object", "x-kubernetes-validations": [
        {"rule": "self.ratio == 2.0", "message": "number is a double"},
        {"rule": "self.start < self.end", "message": "date-time is a timestamp"},
        {"rule": "self.ttl > duration('1m')", "message": "duration"},
        {"rule": "self.foo__dash__bar == 'x'", "message": "escaped"},
    ], "properties": {"ratio": {"type": "number"}, "start": {"type": "string", "format": "date-time"},
                      "end": {"type": "string", "format": "date-time"}, "ttl": {"type": "string", "format": "duration"},
                      "foo-bar": {"type": "string"}}}
    ok = {"ratio": 2, "start": "2024-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z", "ttl": "1h30m", "foo-bar": "x"}
    assert _rules(schema, ok) == []


def test_cel_kube_libraries() -> None:
    rules = [
        "self.name.lowerAscii() == 'abc'", "self.name.upperAscii() == 'ABC'", "self.csv.split(',').size() == 3",
        "self.list.join('-') == 'a-b'", "[1, 2, 3].isSorted()", "[1, 2, 3].sum() == 6", "[3, 1].min() == 1",
        "self.name.indexOf('b') == 1", "self.name.substring(1) == 'bC'", "self.name.replace('b', 'x') == 'axC'",
        "' x '.trim() == 'x'", "'%s-%d'.format(['a', 1]) == 'a-1'", "'abc123'.find('[0-9]+') == '123'",
        "isURL('https://example.com/x')", "url('https://example.com:8443/x').getPort() == '8443'",
    ]
    schema = {"type": "object", "x-kubernetes-validations": [{"rule": r} for r in rules],
              "properties": {"name": {"type": "string"}, "csv": {"type": "string"},
                             "list": {"type": "array", "items": {"type": "string"}}}}
    assert _rules(schema, {"name": "abC", "csv": "a,b,c", "list": ["a", "b"]}) == []


def test_cel_errors_reasons_and_transition_rules() -> None:
    schema = {"type": "object", "properties": {
        "a": {"type": "object", "x-kubernetes-validations": [
            {"rule": "self.missing > 1"},
            {"rule": "self.x > 1", "messageExpression": "'x is ' + string(self.x)", "reason": "FieldValueRequired"},
            {"rule": "self.x == oldSelf.x", "message": "x is immutable"},
            {"rule": "self.x < 100", "messageExpression": "42", "message": "fallback message"},
        ], "properties": {"x": {"type": "integer"}, "missing": {"type": "integer"}}}}}
    assert _rules(schema, {"a": {"x": 100}}) == [
        'a: Invalid value: "object": no such key: missing evaluating rule: self.missing > 1',
        "a: Invalid value: \"object\": fallback message",
    ]
    assert _rules(schema, {"a": {"x": 1}}, {"a": {"x": 2}}) == [
        'a: Invalid value: "object": no such key: missing evaluating rule: self.missing > 1',
        "a: Required value: x is 1",
        'a: Invalid value: "object": x is immutable',
    ]
    root = {"type": "object", "x-kubernetes-validations": [{"rule": "false", "message": "never"}]}
    assert _rules(root, {}) == ['<nil>: Invalid value: "object": never']
    assert _rules(root, {}, budget=-1) == [
        '<nil>: Invalid value: "object": validation failed due to running out of cost budget, no further '
        "validation rules will be run"]


def test_transition_rules_correlate_map_lists_only() -> None:
    item = {"type": "object", "properties": {"k": {"type": "string"}, "v": {"type": "integer",
            "x-kubernetes-validations": [{"rule": "self >= oldSelf", "message": "v only grows"}]}}}
    schema = {"type": "object", "properties": {"l": {"type": "array", "x-kubernetes-list-type": "map",
                                                     "x-kubernetes-list-map-keys": ["k"], "items": item}}}
    old = {"l": [{"k": "a", "v": 5}, {"k": "b", "v": 1}]}
    new = {"l": [{"k": "b", "v": 2}, {"k": "a", "v": 4}, {"k": "c", "v": 0}]}
    assert _rules(schema, new, old) == ['l[1].v: Invalid value: "integer": v only grows']


def test_schema_errors_block_rules() -> None:
    crs = CustomResourceSchema({"type": "object", "properties": {"spec": {
        "type": "object", "x-kubernetes-validations": [{"rule": "self.n > 5", "message": "big"}],
        "properties": {"n": {"type": "integer"}, "e": {"type": "string", "enum": ["a"]}}}}})
    assert messages(crs.validate({"spec": {"n": 1}})) == ['spec: Invalid value: "object": big']
    assert messages(crs.validate({"spec": {"n": 1, "e": "b"}})) == [
        'spec.e: Unsupported value: "b": supported values: "a"',
        '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; '
        "correct the existing errors to complete validation"]


def _crd(schema: dict[str, Any], **version: Any) -> dict[str, Any]:
    return {"metadata": {"name": "xs.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                     "names": {"plural": "xs", "singular": "x", "kind": "X", "listKind": "XList"},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": schema}, **version}]}}


def test_crd_validation_details() -> None:
    ok = {"type": "object", "properties": {"spec": {"type": "object"}}}
    assert crd_validation.validate_crd(_crd(ok)) == []
    with_status = {"type": "object", "properties": {"spec": {"type": "object"}}, "anyOf": [{"required": ["spec"]}]}
    text = messages(crd_validation.validate_crd(_crd(with_status, subresources={"status": {}})))
    assert any("only [Description Type Format Title" in m for m in text), text
    meta = {"type": "object", "properties": {"metadata": {"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 10}, "labels": {"type": "object"}}}}}
    assert messages(crd_validation.validate_crd(_crd(meta))) == [
        "spec.validation.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than "
        "name and generateName, but metadata is implicitly specified"]
    listmap = {"type": "object", "properties": {"l": {"type": "array", "x-kubernetes-list-type": "map",
                                                      "x-kubernetes-list-map-keys": ["k"], "items": {
                                                          "type": "object", "properties": {"k": {"type": "string"}}}}}}
    assert messages(crd_validation.validate_crd(_crd(listmap))) == [
        "spec.validation.openAPIV3Schema.properties[l].items.properties[k].default: Required value: this property "
        "is in x-kubernetes-list-map-keys, so it must have a default or be a required property"]
    scale = _crd(ok, subresources={"scale": {"specReplicasPath": ".status.x", "statusReplicasPath": "status.y"}})
    assert messages(crd_validation.validate_crd(scale)) == [
        'spec.subresources.scale.specReplicasPath: Invalid value: ".status.x": should be a json path under .spec',
        'spec.subresources.scale.statusReplicasPath: Invalid value: "status.y": must be a simple json path '
        "starting with ."]
    columns = _crd(ok, additionalPrinterColumns=[{"name": "A", "type": "text", "jsonPath": ".spec.a"}])
    assert messages(crd_validation.validate_crd(columns)) == [
        'spec.additionalPrinterColumns[0].type: Invalid value: "text": must be one of '
        "boolean,date,integer,number,string"]
    selectable = _crd({"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "o": {"type": "object"}}}}}, selectableFields=[{"jsonPath": ".spec.o"}, {"jsonPath": ".spec.nope"}])
    assert messages(crd_validation.validate_crd(selectable)) == [
        'spec.selectableFields[0].jsonPath: Invalid value: ".spec.o": must point to a field of type string, boolean '
        "or integer. Enum string fields and strings with formats are allowed.",
        'spec.selectableFields[1].jsonPath: Invalid value: ".spec.nope": is an invalid path: does not refer to a '
        "valid field"]


def test_json_path_first() -> None:
    obj = {"status": {"conditions": [{"type": "A", "status": "False"}, {"type": "Ready", "status": "True"}]},
           "spec": {"l": [1, 2]}}
    assert json_path_first(obj, '.status.conditions[?(@.type=="Ready")].status') == "True"
    assert json_path_first(obj, ".spec.l[1]") == 2
    assert json_path_first(obj, "{.spec.l[*]}") == 1
    assert json_path_first(obj, ".spec.none") is None


def test_ratcheting_of_unchanged_values() -> None:
    crs = CustomResourceSchema({"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "n": {"type": "integer", "maximum": 5},
        "s": {"type": "string", "x-kubernetes-validations": [{"rule": "self.size() < 3", "message": "short"}]},
        "l": {"type": "array", "items": {"type": "string", "maxLength": 2}},
        "m": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["k"],
              "items": {"type": "object", "required": ["k"], "properties": {
                  "k": {"type": "string"}, "v": {"type": "integer", "maximum": 1}}}},
        "other": {"type": "string"}}}}})
    old = {"spec": {"n": 9, "s": "long", "l": ["abc"], "m": [{"k": "a", "v": 7}]}}
    # Stored before the schema tightened: an update that leaves those values alone passes.
    assert crs.validate({"spec": {**old["spec"], "other": "x"}}, old) == []
    # The list items moved: a map-type list correlates by key.
    new = {"spec": {**old["spec"], "m": [{"k": "b", "v": 0}, {"k": "a", "v": 7}]}}
    assert crs.validate(new, old) == []
    # Changed values are validated.
    assert messages(crs.validate({"spec": {**old["spec"], "n": 8, "s": "longer", "l": ["abcd"]}}, old)) == [
        "spec.n: Invalid value: 8: spec.n in body should be less than or equal to 5",
        "spec.l[0]: Too long: may not be more than 2 bytes",
        '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; '
        "correct the existing errors to complete validation"]
    assert messages(crs.validate({"spec": {**old["spec"], "s": "longer"}}, old)) == [
        'spec.s: Invalid value: "string": short']
    # On create nothing is ratcheted.
    assert len(crs.validate(old)) == 4


FAST_SCHEMA: dict[str, Any] = {"type": "object", "properties": {"spec": {"type": "object", "required": ["a"],
    "properties": {
        "a": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 5, "minLength": 2},
        "e": {"type": "string", "enum": ["x", "y"]},
        "n": {"type": "integer", "minimum": 1, "maximum": 5, "exclusiveMaximum": True},
        "f": {"type": "number", "multipleOf": 0.5},
        "q": {"x-kubernetes-int-or-string": True},
        "z": {"type": "string", "nullable": True},
        "t": {"type": "string", "format": "date-time"},
        "d": {"type": "string", "format": "duration"},
        "l": {"type": "array", "maxItems": 2, "minItems": 1, "items": {"type": "integer"}},
        "m": {"type": "object", "maxProperties": 1, "additionalProperties": {"type": "boolean"}},
        "o": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "any": {"anyOf": [{"maxLength": 2}, {"minLength": 4}], "type": "string"},
    }}}}


@pytest.mark.parametrize("spec", [
    {"a": "ok"}, {"a": "OK"}, {"a": "toolong"}, {"a": "o"}, {}, {"a": "ok", "e": "z"}, {"a": "ok", "n": 5},
    {"a": "ok", "n": 0}, {"a": "ok", "n": 4}, {"a": "ok", "n": 2.0}, {"a": "ok", "n": 2.5}, {"a": "ok", "f": 1.5},
    {"a": "ok", "f": 1.2}, {"a": "ok", "q": 1}, {"a": "ok", "q": "50%"}, {"a": "ok", "q": True},
    {"a": "ok", "z": None}, {"a": "ok", "e": None}, {"a": "ok", "t": "2024-01-01T00:00:00Z"},
    {"a": "ok", "t": "nope"}, {"a": "ok", "d": "1h30m"}, {"a": "ok", "d": "soon"}, {"a": "ok", "l": []},
    {"a": "ok", "l": [1, 2, 3]}, {"a": "ok", "l": ["x"]}, {"a": "ok", "m": {"a": True}},
    {"a": "ok", "m": {"a": True, "b": False}}, {"a": "ok", "m": {"a": 1}}, {"a": "ok", "o": {"x": [1, {"y": 2}]}},
    {"a": "ok", "any": "abc"}, {"a": "ok", "any": "ab"}, {"a": 1},
])
def test_fast_path_agrees_with_the_compiled_validator(spec: dict[str, Any]) -> None:
    from setpoint.apiserver.apiextensions.customresource import fast_validator

    fast = fast_validator(FAST_SCHEMA)
    assert fast is not None
    slow = structural.validate({"spec": spec}, node(FAST_SCHEMA))
    if spec.get("n") == 2.0:
        # Draft 4 calls 2.0 a number, kube an integer: the fast path only ever defers to the slow one.
        assert not fast.is_valid({"spec": spec}) and slow == []
        return
    assert fast.is_valid({"spec": spec}) == (slow == []), messages(slow)
