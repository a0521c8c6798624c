"""CEL cost estimates against kube's own figures.

The cases are apiextensions-apiserver's ``TestCostEstimation``
(``pkg/apiserver/schema/cel/compilation_test.go``): each schema is estimated once without
bounds (kube's "calc" cost) and once with ``maxItems``/``maxProperties``/``maxLength`` set
("set" cost); the expected numbers are kube's. As in kube's test, an expectation of 0 is not
checked (the ``has()`` cases; the presence test itself is free, its operand is not).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from setpoint.apiserver.apiextensions import crd_validation
from setpoint.apiserver.apiextensions.cel import cost, parse
from setpoint.apiserver.apiextensions.structural import Node

Schema = dict[str, Any]
Gen = Callable[[int | None], Schema]
LIMIT = cost.PER_CALL_LIMIT


def _rule_type(t: str) -> Schema:
    if t in ("duration", "date", "date-time"):
        return {"type": "string", "format": t}
    if t == "int-or-string":
        return {"x-kubernetes-int-or-string": True}
    return {"type": t}


def _bound(s: Schema, key: str, n: int | None) -> Schema:
    return {**s, key: n} if n is not None else s


def array(t: str, rule: str) -> Gen:
    return lambda n: _bound({"type": "array", "items": _rule_type(t), "rule": rule}, "maxItems", n)


def array_of_arrays(t: str, rule: str) -> Gen:
    return lambda n: _bound({"type": "array", "items": {"type": "array", "items": {"type": t}}, "rule": rule},
                            "maxItems", n)


_OBJ = {"type": "object", "required": ["required"],
        "properties": {"required": {"type": "string"}, "optional": {"type": "string"}}}


def object_array(rule: str) -> Gen:
    return lambda n: _bound({"type": "array", "items": _OBJ, "rule": rule}, "maxItems", n)


def map_array(t: str, rule: str) -> Gen:
    return lambda n: _bound({"type": "array", "items": {"type": "object", "additionalProperties": {"type": t}},
                             "rule": rule}, "maxItems", n)


def map_of(t: str, rule: str) -> Gen:
    return lambda n: _bound({"type": "object", "additionalProperties": _rule_type(t), "rule": rule},
                            "maxProperties", n)


def map_custom(item: Schema, rule: str) -> Gen:
    return lambda n: _bound({"type": "object", "additionalProperties": item, "rule": rule}, "maxProperties", n)


def string(rule: str) -> Gen:
    return lambda n: _bound({"type": "string", "rule": rule}, "maxLength", n)


def enum(rule: str, *values: str) -> Gen:
    return lambda n: _bound({"type": "string", "enum": list(values), "rule": rule}, "maxLength", n)


def bytes_(rule: str) -> Gen:
    return lambda n: _bound({"type": "string", "format": "byte", "rule": rule}, "maxLength", n)


def nested_spec(rule: str) -> Gen:
    return lambda n: _bound({"type": "object", "additionalProperties": _bound({"type": "string"}, "maxLength", n),
                             "rule": rule}, "maxProperties", n)


def all_max_nested(rule: str) -> Gen:
    def gen(n: int | None) -> Schema:
        inner = _bound(_OBJ, "maxProperties", n)
        item = _bound({"type": "object", "additionalProperties": inner}, "maxProperties", n)
        return _bound({"type": "array", "items": item, "rule": rule}, "maxItems", n)
    return gen


def one_max_nested(rule: str) -> Gen:
    def gen(n: int | None) -> Schema:
        item = _bound({"type": "object", "additionalProperties": _OBJ}, "maxProperties", n)
        return {"type": "array", "items": item, "rule": rule}
    return gen


def strings_array(rule: str) -> Gen:
    return lambda n: _bound({"type": "array", "items": _bound({"type": "string"}, "maxLength", n), "rule": rule},
                            "maxItems", n)


def replace_case(n: int | None) -> Schema:
    return {"type": "object", "rule": "self.str.replace(self.before, self.after) == 'does not matter'",
            "properties": {"str": _bound({"type": "string"}, "maxLength", n),
                           "before": {"type": "string", "maxLength": 2}, "after": {"type": "string", "maxLength": 4}}}


def split_case(n: int | None) -> Schema:
    s = _bound({"type": "string"}, "maxLength", n)
    return {"type": "object", "rule": "self.str.split(self.separator) == []",
            "properties": {"str": s, "separator": s}}


def int_or_string(rule: str) -> Gen:
    return lambda n: _bound({"x-kubernetes-int-or-string": True, "rule": rule}, "maxLength", n)


# (name, generator, calc cost (or "exceeds"), set bound, set cost)
CASES: list[tuple[str, Gen, int | str, int, int]] = [
    ("number array with all", array("number", "self.all(x, true)"), 4718591, 10, 32),
    ("string array with all", array("string", "self.all(x, true)"), 3145727, 20, 62),
    ("boolean array with all", array("boolean", "self.all(x, true)"), 1887437, 5, 17),
    ("array of number arrays with all", array_of_arrays("number", "self.all(x, true)"), 3145727, 100, 302),
    ("array of objects with all", object_array("self.all(x, true)"), 555128, 50, 152),
    ("map of numbers with all", map_of("number", "self.all(x, true)"), 1348169, 10, 32),
    ("map of numbers with has", map_of("number", "has(self.x)"), 0, 100, 0),
    ("map of strings with all", map_of("string", "self.all(x, true)"), 1179647, 3, 11),
    ("map of strings with has", map_of("string", "has(self.x)"), 0, 550, 0),
    ("map of booleans with all", map_of("boolean", "self.all(x, true)"), 943718, 100, 302),
    ("map of booleans with has", map_of("boolean", "has(self.x)"), 0, 1024, 0),
    ("string with contains", string("self.contains('test')"), 314574, 10, 5),
    ("string with startsWith", string("self.startsWith('test')"), 2, 15, 2),
    ("string with endsWith", string("self.endsWith('test')"), 2, 30, 2),
    ("concat string", string('size(self + "hello") > size("hello")'), 314578, 4, 7),
    ("index of array with numbers", array("number", "self[1] == 0.0"), 2, 5000, 2),
    ("index of array with strings", array("string", "self[1] == self[1]"), 314577, 8, 314577),
    ("O(n^2) loop with numbers", array("number", "self.all(x, self.all(y, true))"), "exceeds", 10, 352),
    ("O(n^3) loop with numbers", array("number", "self.all(x, self.all(y, self.all(z, true)))"), "exceeds", 10,
     3552),
    ("regex matches simple", string('self.matches("x")'), 314574, 50, 22),
    ("regex matches empty string", string('"".matches("(((((((((())))))))))[0-9]")'), 7, 10, 7),
    ("regex matches empty regex", string('self.matches("")'), 1, 100, 1),
    ("map of strings with value length", nested_spec("self.all(x, x.contains(self[x]))"), 2752507, 10, 72),
    ("set array maxLength to zero", array("number", "self[3] == 0.0"), 2, 0, 2),
    ("set map maxLength to zero", map_of("number", 'self["x"] == 0.0'), 2, 0, 2),
    ("set string maxLength to zero", string('self == "x"'), 2, 0, 1),
    ("set bytes maxLength to zero", bytes_('self == b"x"'), 2, 0, 1),
    ("set maxLength greater than estimated maxLength", array("number", "self.all(x, x == 0.0)"), 6291454,
     3 * 1024 * 2048, 25165826),
    ("nested types with root rule with all supporting maxLength",
     all_max_nested('self.all(x, x["y"].required == "z")'), 7340027, 10, 72),
    ("nested types with root rule with one supporting maxLength",
     one_max_nested('self.all(x, x["y"].required == "z")'), 7340027, 10, 7340027),
    ("int-or-string array with all", array("int-or-string", "self.all(x, true)"), 4718591, 10, 32),
    ("index of array with int-or-strings", array("int-or-string", "self[0] == 5"), 3, 10, 3),
    ("index of array with booleans", array("boolean", "self[0] == false"), 2, 25, 2),
    ("index of array of objects", object_array("self[0] == null"), 2, 422, 2),
    ("index of array of array of numbers", array_of_arrays("number", "self[0][0] == -1.0"), 3, 51, 3),
    ("array of number maps with all", map_array("number", "self.all(x, x.y == 25.2)"), 6291452, 12, 74),
    ("index of array of number maps", map_array("number", "self[0].x > 2.0"), 4, 3000, 4),
    ("duration array with all", array("duration", "self.all(x, true)"), 2359295, 5, 17),
    ("index of duration array", array("duration", "self[0].getHours() == 2"), 4, 525, 4),
    ("date array with all", array("date", "self.all(x, true)"), 725936, 15, 47),
    ("index of date array", array("date", "self[2].getDayOfMonth() == 13"), 4, 42, 4),
    ("date-time array with all", array("date-time", "self.all(x, true)"), 428963, 25, 77),
    ("index of date-time array", array("date-time", "self[2].getMinutes() == 45"), 4, 99, 4),
    ("map of int-or-strings with all", map_of("int-or-string", "self.all(x, true)"), 1348169, 15, 47),
    ("map of int-or-strings with has", map_of("int-or-string", "has(self.x)"), 0, 5000, 0),
    ("map of objects with all", map_custom(_OBJ, "self.all(x, true)"), 428963, 20, 62),
    ("map of objects with has", map_custom(_OBJ, "has(self.x)"), 0, 9001, 0),
    ("map of number maps with all", map_custom({"type": "object", "additionalProperties": {"type": "number"}},
                                                "self.all(x, true)"), 1179647, 10, 32),
    ("map of number arrays with all", map_custom({"type": "array", "items": {"type": "number"}},
                                                  "self.all(x, true)"), 1179647, 25, 77),
    ("map of durations with all", map_of("duration", "self.all(x, true)"), 1048577, 5, 17),
    ("map of durations with has", map_of("duration", "has(self.x)"), 0, 256, 0),
    ("map of dates with all", map_of("date", "self.all(x, true)"), 524288, 10, 32),
    ("map of date-times with all", map_of("date-time", "self.all(x, true)"), 349526, 25, 77),
    ("extended library regex find", string("self.find('[0-9]+') == ''"), 629147, 10, 11),
    ("extended library join", strings_array("self.join(' ') == 'aa bb'"), 329853068905, 10, 43),
    ("extended library isSorted", strings_array("self.isSorted() == true"), 329854432052, 10, 52),
    ("extended library replace", replace_case, 629154, 4, 12),
    ("extended library split", split_case, 629160, 10, 22),
    ("extended library lowerAscii", string("self.lowerAscii() == 'lower!'"), 314575, 10, 6),
    ("check cost of size call", map_of("integer", "oldSelf.size() == self.size()"), 5, 10, 5),
    ("check cost of timestamp comparison", map_of("date-time", 'self["a"] == self["b"]'), 8, 7, 8),
    ("check cost of duration comparison", map_of("duration", 'self["c"] == self["d"]'), 8, 42, 8),
    ("enums with maxLength equals to the longest possible value",
     enum("self.contains('A')", "A", "B", "C", "LongValue"), 2, 1000, 401),
    ("IntOrString type with quantity rule", int_or_string("isQuantity(self)"), 314574, 20, 9),
]


def _estimate(schema: Schema) -> int:
    schema = dict(schema)
    rule = schema.pop("rule")
    return cost.estimate(parse.parse(rule), rule, Node(schema), False)[0]


@pytest.mark.parametrize(("gen", "calc", "bound", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_cost_as_kube_estimates(gen: Gen, calc: int | str, bound: int, expected: int) -> None:
    unbounded = _estimate(gen(None))
    if calc == "exceeds":
        assert unbounded >= LIMIT
    elif calc:
        assert unbounded == calc
    if expected:
        assert _estimate(gen(bound)) == expected


def test_presence_test_costs_only_its_operand() -> None:
    assert _estimate(map_of("string", "has(self.x)")(None)) == 1
    assert _estimate({"type": "object", "properties": {"a": _OBJ}, "rule": "has(self.a.optional)"}) == 2


def test_metadata_name_is_bounded_at_the_resource_root() -> None:
    """kube caps metadata.name at 253 characters (generateName at 252) when the schema does not."""
    root = Node({"type": "object", "properties": {"metadata": {"type": "object"}}})
    name = "self.metadata.name.contains('x')"
    assert cost.estimate(parse.parse(name), name, root, True)[0] == 3 + 102
    generate = "self.metadata.generateName.contains('x')"
    assert cost.estimate(parse.parse(generate), generate, root, True)[0] == 3 + 101


# --- per-rule and per-CRD limits: apiextensions validation_test.go's cost cases ----------------

ROOT = "spec.validation.openAPIV3Schema"
HINT = ("(try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and "
        "strings are declared)")
CONTRIBUTED = "contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema"


def _errors(schema: Schema) -> list[tuple[str, str, str]]:
    return sorted((e.type.value, e.field, e.detail) for e in crd_validation.validate_schema(schema, ROOT))


def _rules(*rules: Schema) -> list[Schema]:
    return list(rules)


def test_total_cost_names_the_rules_costing_at_least_one_percent() -> None:
    """2001 x 100000 for the list's items, 2001 x 1000 for the map's values, 4 for the field."""
    contains = _rules({"rule": "self.contains('keyword')"})
    schema = {"type": "object", "properties": {
        "list": {"type": "array", "maxItems": 100000,
                 "items": {"type": "string", "maxLength": 5000, "x-kubernetes-validations": contains}},
        "map": {"type": "object", "maxProperties": 1000, "additionalProperties": {
            "type": "string", "maxLength": 5000, "x-kubernetes-validations": contains}},
        "field": {"type": "integer", "x-kubernetes-validations": _rules({"rule": "self > 50 && self < 100"})}}}
    forbidden = "FieldValueForbidden"
    assert _errors(schema) == sorted([
        (forbidden, f"{ROOT}.properties[list].items.x-kubernetes-validations[0].rule",
         f"estimated rule cost exceeds budget by factor of 20.0x {HINT}"),
        (forbidden, f"{ROOT}.properties[list].items.x-kubernetes-validations[0].rule", CONTRIBUTED),
        (forbidden, f"{ROOT}.properties[map].additionalProperties.x-kubernetes-validations[0].rule", CONTRIBUTED),
        (forbidden, ROOT, "x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds "
                          f"budget by factor of 2.0x {HINT}"),
    ])


def test_message_expression_cost_is_its_own() -> None:
    """Eight unbounded strings concatenated: 11,010,060 (not multiplied by a cardinality)."""
    schema = {"type": "object", "properties": {"f": {"type": "array", "items": {"type": "string"},
                                                     "x-kubernetes-validations": _rules({
        "rule": "true", "messageExpression": " + ".join(f"self[{i}]" for i in range(8))})}}}
    assert _errors(schema) == [
        ("FieldValueForbidden", f"{ROOT}.properties[f].x-kubernetes-validations[0].messageExpression",
         f"estimated messageExpression cost exceeds budget by factor of 1.101006x {HINT}")]


def test_message_expression_counts_towards_the_total() -> None:
    """string() of a string has no size estimate: the sum is unbounded."""
    path = f"{ROOT}.properties[f].x-kubernetes-validations[0].messageExpression"
    schema = {"type": "object", "properties": {"f": {"type": "array", "items": {"type": "string"},
                                                     "x-kubernetes-validations": _rules({
        "rule": "true", "messageExpression": "string(self[0]) + string(self[1]) + string(self[2])"})}}}
    assert _errors(schema) == sorted([
        ("FieldValueForbidden", path, f"estimated messageExpression cost exceeds budget by factor of more than 100x {HINT}"),
        ("FieldValueForbidden", path, CONTRIBUTED),
        ("FieldValueForbidden", ROOT, "x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 "
                                      f"schema exceeds budget by factor of more than 100x {HINT}"),
    ])


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"f": {
        "type": "array", "maxItems": 5, "items": {"type": "string", "maxLength": 5},
        "x-kubernetes-validations": [{"rule": "self.all(x, self.exists_one(y, x.lowerAscii() == y.lowerAscii()))"}]}}},
    {"type": "object", "x-kubernetes-validations": [{
        "rule": "self.metadata.name.contains(self.metadata.name) && "
                "self.metadata.generateName.contains(self.metadata.generateName)"}]},
], ids=["lowerAscii", "metadata-name"])
def test_within_limits(schema: Schema) -> None:
    assert _errors(schema) == []


def test_unbounded_parent_uses_the_request_size() -> None:
    """Under a list without maxItems the cardinality is 3 MiB / (smallest item + 1), even when
    lists further up are bounded: here an object needing ``"name":""`` (2+4+2+4 bytes)."""
    item = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "maxLength": 4}}}
    inner = {"type": "array", "items": item}
    node = Node({"type": "array", "maxItems": 2, "items": inner})
    assert node.items is not None and node.items.items is not None
    assert cost.cardinality([node, node.items], node.items.items, False) == 3 * 1024 * 1024 // 13
    bounded = Node({"type": "array", "maxItems": 2, "items": {**inner, "maxItems": 3}})
    assert bounded.items is not None and bounded.items.items is not None
    assert cost.cardinality([bounded, bounded.items], bounded.items.items, False) == 6


def _crd(schema: Schema, **extra: Any) -> Schema:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "things.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                     "names": {"plural": "things", "singular": "thing", "kind": "Thing", "listKind": "ThingList"},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": schema}, **extra}]}}


def test_update_keeping_the_schema_suppresses_the_per_expression_limit() -> None:
    """kube's suppressPerExpressionCost: a version whose schema an update leaves as it was keeps
    its rules, even over the per-rule limit (the per-CRD total still applies)."""
    expensive = {"type": "object", "properties": {"l": {
        "type": "array", "items": {"type": "string"},
        "x-kubernetes-validations": [{"rule": "self.all(x, self.all(y, x == y))"}]}}}
    crd = _crd(expensive)
    rule = f"{ROOT}.properties[l].x-kubernetes-validations[0].rule"
    fresh = [(e.field, e.detail) for e in crd_validation.validate_crd(crd)]
    assert (rule, f"estimated rule cost exceeds budget by factor of more than 100x {HINT}") in fresh
    updated = _crd(expensive, deprecated=True)
    on_update = [(e.field, e.detail) for e in crd_validation.validate_crd(updated, crd)]
    assert (rule, f"estimated rule cost exceeds budget by factor of more than 100x {HINT}") not in on_update
    assert (rule, CONTRIBUTED) in on_update
    changed = _crd({**expensive, "description": "changed"})
    assert (rule, f"estimated rule cost exceeds budget by factor of more than 100x {HINT}") in [
        (e.field, e.detail) for e in crd_validation.validate_crd(changed, crd)]


def test_optional_old_self_is_an_optional_value() -> None:
    """With optionalOldSelf, ``oldSelf.value()`` is a call: its result has no field path, so the
    selected field's size is unknown to the estimator, and ``.s`` of it (0..0 at the path ``[s]``)
    compares for free: 2 (hasValue) + max(3 + 2 + 0, 0) = 7."""
    root = Node({"type": "object", "properties": {"s": {"type": "string", "maxLength": 10}}})
    rule = "oldSelf.hasValue() ? oldSelf.value().s == self.s : true"
    assert cost.estimate(parse.parse(rule), rule, root, False, optional_old_self=True) == (7, "bool")


@pytest.mark.parametrize(("rule", "expected"), [
    # 2 (self.l) + 10 ([]) + 1 (result) + 4 x (1 + 1 + 10 + 1) + 1 (size) + 1 (>)
    ("self.l.map(x, x).size() > 0", 67),
    # the same loop with the transform v * 2 (2 more a step)
    ("self.l.transformList(i, v, v * 2).size() > 0", 71),
    # 2 + 1 + 4 x (2 (not_strictly_false) + 1 (@result) + 1 (v) + 0 (== 1 on an integer: no size)) + 0 (no init cost)
    ("self.l.all(i, v, v == 1)", 19),
])
def test_comprehension_costs(rule: str, expected: int) -> None:
    root = Node({"type": "object", "properties": {"l": {"type": "array", "maxItems": 4, "items": {"type": "integer"}}}})
    assert cost.estimate(parse.parse(rule), rule, root, False)[0] == expected


def _array(t: str, fmt: str = "", max_items: int | None = None) -> Schema:
    items: Schema = {"type": t, **({"format": fmt} if fmt else {})}
    return _bound({"type": "array", "items": items}, "maxItems", max_items)


# apiextensions model/schemas_test.go TestEstimateMaxLengthJSON: the declaration's largest size
DECL_SIZES: list[tuple[str, Schema, int | None]] = [
    ("booleanArray", _array("boolean"), 629145),
    ("durationArray", _array("string", "duration"), 786431),
    ("datetimeArray", _array("string", "date-time"), 142987),
    ("dateArray", _array("string", "date"), 241978),
    ("numberArray", _array("integer"), 1572863),
    ("stringArray", _array("string"), 1048575),
    ("stringMap", {"type": "object", "additionalProperties": {"type": "string"}}, 393215),
    ("objectOptionalPropertyArray", {"type": "array", "items": _OBJ}, 185042),
    ("arrayWithLength", _array("integer", "int64", 10), 10),
    ("stringWithLength", {"type": "string", "maxLength": 20}, 80),
    ("mapWithLength", {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 15}, 15),
    ("durationMaxSize", {"type": "string", "format": "duration"}, 32),
    ("dateSize", {"type": "string", "format": "date"}, 12),
    ("maxdatetimeSize", {"type": "string", "format": "date-time"}, 32),
    ("maxintOrStringSize", {"x-kubernetes-int-or-string": True}, 3 * 1024 * 1024 - 2),
    ("objectDefaultFieldArray", {"type": "array", "items": {
        "type": "object", "required": ["field"], "properties": {"field": {"type": "string", "default": "default"}}}},
     1048575),
    ("byteStringSize", {"type": "string", "format": "byte"}, 3145726),
    ("byteStringSetMaxLength", {"type": "string", "format": "byte", "maxLength": 20}, 20),
    ("Property under array", {"type": "array", "properties": {"field": {"type": "string"}}}, None),
]


@pytest.mark.parametrize(("schema", "expected"), [c[1:] for c in DECL_SIZES], ids=[c[0] for c in DECL_SIZES])
def test_declared_sizes_as_kube_estimates_them(schema: Schema, expected: int | None) -> None:
    decl = cost.decl_of(Node(schema), False)
    if expected is None:
        assert decl is None
    else:
        assert decl is not None and decl.max_elements == expected


def test_map_keys_have_no_size_of_their_own() -> None:
    """Gateway API's label-key checks: ``key`` walks ``@keys`` of the map, whose declared type (a
    plain string) has no size, so ``key.matches(re)`` costs ceil(0.1 x 1) x ceil(len(re) / 4).
    1 (self) + 1 (result) + 16 x (2 (not_strictly_false) + 1 (@result) + 1 (key) + 1 x 2)."""
    schema = {"type": "object", "maxProperties": 16, "additionalProperties": {"type": "string", "maxLength": 63},
              "rule": "self.all(key, key.matches('^[a-z]+$'))"}
    assert _estimate(schema) == 98


def test_constant_rules_under_unbounded_lists() -> None:
    """Crossplane's ``!(has(self.name) && has(self.matchLabels))`` costs 3 (each has() is its
    operand, self); under lists without maxItems it runs 3 MiB / (2 + 1) times: 3,145,728, under
    the 10M limit (the old estimate multiplied every list's estimated length)."""
    item = {"type": "object", "properties": {"name": {"type": "string"}, "matchLabels": {
        "type": "object", "additionalProperties": {"type": "string"}}},
        "x-kubernetes-validations": [{"rule": "!(has(self.name) && has(self.matchLabels))"}]}
    steps: Schema = {"type": "array", "items": {"type": "object", "properties": {"refs": {"type": "array",
                                                                                     "items": item}}}}
    schema = {"type": "object", "properties": {"steps": steps}}
    assert _errors(schema) == []
    rule = "!(has(self.name) && has(self.matchLabels))"
    assert cost.estimate(parse.parse(rule), rule, Node(item), False)[0] == 3
    outer = Node(steps)
    assert outer.items is not None and outer.items.properties is not None
    refs = outer.items.properties["refs"]
    assert refs.items is not None
    assert cost.cardinality([outer, refs], refs.items, False) == 3 * 1024 * 1024 // 3


def test_join_of_a_list_literal_is_unbounded() -> None:
    """kube's join estimate sizes the items through their field path; a list literal has none,
    so the items' size is unknown and the rule is refused (a field's list is fine)."""
    schema: Schema = {"type": "object", "properties": {"l": {"type": "array", "maxItems": 4, "items": {
        "type": "string", "maxLength": 2}}}}
    literal = "['b', 'a'].join('-') == 'b-a'"
    assert _estimate({**schema, "rule": literal}) > 10**18  # (2 x 2^64, saturated) x 0.1
    # 2 (self.l) + ceil((4 x 8 + 1 x 3) x 0.1) + 1 (== 'b-a': ceil(0.1 x 3))
    assert _estimate({**schema, "rule": "self.l.join('-') == 'b-a'"}) == 2 + 4 + 1


def test_message_expression_must_evaluate_to_a_string() -> None:
    schema = {"type": "object", "properties": {"f": {"type": "integer", "x-kubernetes-validations": [
        {"rule": "self > 0", "messageExpression": "self + 1"}]}}}
    errs = crd_validation.validate_schema(schema, ROOT)
    assert [(e.type.value, e.field, e.detail) for e in errs] == [
        ("FieldValueInvalid", f"{ROOT}.properties[f].x-kubernetes-validations[0].messageExpression",
         "messageExpression must evaluate to a string")]
