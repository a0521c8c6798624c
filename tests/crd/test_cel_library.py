"""Kube's CEL libraries as CRD rules see them (cases from k8s.io/apiserver/pkg/cel/library's
ip_test.go, cidr_test.go, quantity_test.go, semver_test.go, sets_test.go, regex_test.go)."""

from __future__ import annotations

import pytest

from setpoint.apiserver.apiextensions import crd_validation
from setpoint.apiserver.apiextensions.cel import check, parse
from setpoint.apiserver.apiextensions.customresource import CustomResourceSchema

TRUE_RULES = [
    # evaluated only: kube's estimator cannot size the items of a list literal, so a CRD rule
    # joining one is refused for its cost (test_cel_cost_kube.py)
    "['b', 'a'].join('-') == 'b-a'",
    # ip_test.go
    "isIP('192.168.0.1')", "isIP('2001:db8::abcd')", "!isIP('192.168.0.1/24')", "!isIP('fe80::1%eth0')",
    "!isIP('192.168.0.01')", "!isIP('::ffff:192.168.0.1')",
    "ip('192.168.0.1').family() == 4", "ip('2001:db8::abcd').family() == 6",
    "ip('127.0.0.1').isLoopback()", "ip('::1').isLoopback()", "ip('0.0.0.0').isUnspecified()",
    "ip('224.0.0.1').isLinkLocalMulticast()", "ip('ff02::1').isLinkLocalMulticast()",
    "ip('169.254.169.254').isLinkLocalUnicast()", "ip('fe80::1').isLinkLocalUnicast()",
    "ip('192.168.0.1').isGlobalUnicast()", "!ip('255.255.255.255').isGlobalUnicast()",
    "ip('192.168.0.1') == ip('192.168.0.1')", "ip('2001:db8::abcd') == ip('2001:DB8::ABCD')",
    # cidr_test.go
    "isCIDR('192.168.0.0/24')", "!isCIDR('192.168.0.0')", "!isCIDR('192.168.0.0/33')",
    "cidr('192.168.0.0/24').containsIP(ip('192.168.0.1'))", "cidr('192.168.0.0/24').containsIP('192.168.0.1')",
    "!cidr('192.168.0.0/24').containsIP(ip('192.168.1.1'))", "!cidr('192.168.0.0/24').containsIP('::1')",
    "cidr('192.168.0.0/24').containsCIDR('192.168.0.0/25')", "!cidr('192.168.0.0/24').containsCIDR('192.168.0.0/23')",
    "cidr('192.168.0.1/24').ip() == ip('192.168.0.1')", "cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')",
    "cidr('192.168.0.0/24').prefixLength() == 24",
    # quantity_test.go
    "isQuantity('200M')", "isQuantity('20Mi')", "!isQuantity('200MB')", "!isQuantity('12Mib')",
    "quantity('1Gi').isGreaterThan(quantity('1G'))", "quantity('1G').isLessThan(quantity('1Gi'))",
    "quantity('200M').compareTo(quantity('0.2G')) == 0", "quantity('50k').add(quantity('50k')).compareTo(quantity('100k')) == 0",
    "quantity('50k').sub(20000).compareTo(quantity('30k')) == 0", "quantity('50M').asInteger() == 50000000",
    "quantity('50.5').asApproximateFloat() == 50.5", "quantity('-50k').sign() == -1", "quantity('0').sign() == 0",
    "quantity('50').isInteger()", "!quantity('50m').isInteger()",
    # semver_test.go
    "isSemver('1.0.0')", "!isSemver('v1.0')", "isSemver('v1.0', true)", "!isSemver('1.0.0.0')",
    "semver('1.2.3').major() == 1", "semver('1.2.3').minor() == 2", "semver('1.2.3').patch() == 3",
    "semver('1.0.0').isLessThan(semver('1.10.0'))", "semver('1.0.0-alpha').isLessThan(semver('1.0.0'))",
    "semver('1.0.0-alpha.2').isGreaterThan(semver('1.0.0-alpha.10')) == false",
    "semver('2.0.0').compareTo(semver('1.0.0')) == 1",
    # sets_test.go
    "sets.contains([], [])", "sets.contains([1, 2, 3], [3, 2])", "!sets.contains([1], [1, 2])",
    "sets.equivalent([1, 2], [2, 1, 1])", "!sets.equivalent([1, 2], [1])",
    "sets.intersects([1, 2], [2, 3])", "!sets.intersects([], [])",
    # regex_test.go, with Go's RE2 syntax
    "'abc 123'.find('[0-9]+') == '123'", "'abc 123'.find('xyz') == ''",
    "'123 abc 456'.findAll('[0-9]+') == ['123', '456']", "'123 abc 456'.findAll('[0-9]+', 1) == ['123']",
    "'ABC'.find('(?i)b') == 'B'", "'Ab'.find('^a(?i)b') == ''",
]


def _check(rule: str, obj: dict[str, object] | None = None) -> list[str]:
    s = CustomResourceSchema({"type": "object", "properties": {"a": {"type": "string"}},
                              "x-kubernetes-validations": [{"rule": rule}]})
    return [e.detail for e in s.validate(obj or {"a": "x"})]


@pytest.mark.parametrize("rule", TRUE_RULES)
def test_library_rule_holds(rule: str) -> None:
    assert _check(rule) == []


@pytest.mark.parametrize("rule,message", [
    ("ip(self.a).family() == 4",
     'IP Address "x" parse error during conversion from string: ParseAddr("x"): unable to parse IP'),
    ("cidr(self.a).prefixLength() == 4",
     "network address parse error during conversion from string: netip.ParsePrefix(\"x\"): no '/'"),
    ("semver(self.a).major() == 1", 'Semver "x" parse error during conversion from string'),
])
def test_conversion_errors(rule: str, message: str) -> None:
    assert _check(rule) == [f"{message} evaluating rule: {rule}"]


def test_rules_read_the_object() -> None:
    rule = "cidr('10.0.0.0/8').containsIP(self.a)"
    assert _check(rule, {"a": "10.1.2.3"}) == []
    assert _check(rule, {"a": "11.1.2.3"}) == [f"failed rule: {rule}"]


@pytest.mark.parametrize("rule,error", [
    # cel-go checker_test.go: an undeclared identifier, an unknown global or member function.
    ("foo", "ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')\n | foo\n | ^"),
    ("fun()", "ERROR: <input>:1:4: undeclared reference to 'fun' (in container '')\n | fun()\n | ...^"),
    ("'string'.fun()",
     "ERROR: <input>:1:13: undeclared reference to 'fun' (in container '')\n | 'string'.fun()\n | ............^"),
    ("self.all(x, y > 0)",
     "ERROR: <input>:1:13: undeclared reference to 'y' (in container '')\n | self.all(x, y > 0)\n | ............^"),
])
def test_undeclared_references_refused_at_crd_creation(rule: str, error: str) -> None:
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.example.com"},
           "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                        "type": "object", "properties": {"spec": {
                            "type": "object", "x-kubernetes-validations": [{"rule": rule}],
                            "properties": {"items": {"type": "array", "maxItems": 4,
                                                     "items": {"type": "integer"}}}}}}}}]}}
    path = "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule"
    errs = [e for e in crd_validation.validate_crd(crd) if e.field == path]
    assert [e.detail for e in errs] == [f"compilation failed: {error}"]


@pytest.mark.parametrize("rule", ["isIP(self.a)", "sets.contains([1], [1])", "self.a.findAll('x', 1).size() > 0",
                                  "quantity(self.a).isInteger()", "[1].all(x, x > 0)", "type(self) == map"])
def test_library_rules_compile(rule: str) -> None:
    assert check.undeclared(parse.parse(rule)) is None


@pytest.mark.parametrize("rule", [
    "ip.isCanonical('127.0.0.1')", "!ip.isCanonical('2001:DB8::1')", "optional.of(1).orValue(2) == 1",
    "'%s-%d'.format(['a', 1]) == 'a-1'", "'a,b'.split(',') == ['a', 'b']",
    # cel-go ext/lists_test.go (ext.Lists version 3) and kube's lists library
    "[1, 2, 3].slice(1, 2) == [2]", "[[1], [2, 3]].flatten() == [1, 2, 3]", "[dyn([1]), dyn([[2, 3]])].flatten(2) == [1, 2, 3]",
    "[dyn(1), dyn(1.0), dyn(2), dyn(true)].distinct() == [dyn(1), dyn(2), dyn(true)]", "[3, 1, 2].sort() == [1, 2, 3]", "['b', 'a'].sort() == ['a', 'b']",
    "['bb', 'a', 'ccc'].sortBy(x, x.size()) == ['a', 'bb', 'ccc']", "[1, 2].first().value() == 1",
    "!([] + [1]).slice(0, 0).first().hasValue()", "[1, 2].last().value() == 2", "lists.range(3) == [0, 1, 2]",
    "[1, 2].reverse() == [2, 1]", "[1, 2, 3].isSorted() && [1, 2].sum() == 3 && [1, 2].min() == 1",
    "[1, 2, 1].indexOf(1) == 0 && [1, 2, 1].lastIndexOf(1) == 2",
])
def test_more_of_kubes_libraries(rule: str) -> None:
    assert [e.detail for e in crd_validation.validate_crd(_crd(rule)) if "x-kubernetes-validations" in e.field] == []
    assert _check(rule) == []


@pytest.mark.parametrize("rule,message", [
    ("[1, 2].slice(2, 1) == []", "cannot slice(2, 1), start index must be less than or equal to end index"),
    ("[1, 2].slice(0, 3) == []", "cannot slice(0, 3), list is length 2"),
    ("[[1], [2]].sort() == []", "list elements must be comparable"),
    ("[dyn(1), dyn('a')].sort() == []", "list elements must have the same type"),
])
def test_list_library_errors(rule: str, message: str) -> None:
    details = _check(rule)
    assert len(details) == 1 and message in details[0], details


@pytest.mark.parametrize("rule,position,name", [
    # kube's CRD environment has no math, encoders or bindings extensions
    ("math.greatest(1, 2) == 2", 1, "math"),
    ("base64.decode('aGk=') == b'hi'", 1, "base64"),
    ("cel.bind(x, 1, x == 1)", 1, "cel"),
    ("[1].all(x, __pairs(x) == [])", 19, "__pairs"),
])
def test_extensions_kube_does_not_enable_are_undeclared(rule: str, position: int, name: str) -> None:
    path = "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule"
    details = [e.detail for e in crd_validation.validate_crd(_crd(rule)) if e.field == path]
    assert len(details) == 1, details
    assert details[0].startswith(f"compilation failed: ERROR: <input>:1:{position}: undeclared reference to "
                                 f"'{name}' (in container '')"), details


def _crd(rule: str, props: dict[str, object] | None = None) -> dict[str, object]:
    """A CRD whose spec has ``rule`` and ``props`` (by default a short string and an object)."""
    if props is None:
        props = {"s": {"type": "string", "maxLength": 8},
                 "o": {"type": "object", "properties": {"n": {"type": "integer"}}}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                     "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
                     "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                         "type": "object", "properties": {"spec": {
                             "type": "object", "x-kubernetes-validations": [{"rule": rule}],
                             "properties": props}}}}}]}}


@pytest.mark.parametrize("rule,obj,ok", [
    ('self.?s.orValue("") != "bad"', {}, True),
    ('self.?s.orValue("") != "bad"', {"s": "bad"}, False),
    ("self.?o.n.orValue(0) < 3 && !self.?s.hasValue()", {"o": {"n": 2}}, True),
    ("self.o.?n.orValue(0) < 3", {"o": {"n": 5}}, False),
    ("optional.none().orValue(1) == 1", {}, True),
    # optional indexing and optional entries (cel-go's optional syntax)
    ("self.?o.?n.orValue(0) == 2", {"o": {"n": 2}}, True),
    ("self.?o.?n.orValue(0) == 2", {"o": {}}, False),
    ("[1, 2][?5].orValue(9) == 9 && {'a': 1}[?'a'].value() == 1", {}, True),
    ("[?self.?s, 'x'] == ['x']", {}, True),
    ("[?self.?s, 'x'] == ['x']", {"s": "y"}, False),
    ("{?'s': self.?s, 'k': 1}.size() == 1", {}, True),
    ("{?'s': self.?s, 'k': 1}.size() == 1", {"s": "y"}, False),
])
def test_optional_field_selection(rule: str, obj: dict[str, object], ok: bool) -> None:
    assert [e.detail for e in crd_validation.validate_crd(_crd(rule)) if "x-kubernetes-validations" in e.field] == []
    s = CustomResourceSchema({"type": "object", "x-kubernetes-validations": [{"rule": rule}],
                              "properties": {"s": {"type": "string"}, "o": {"type": "object", "properties": {
                                  "n": {"type": "integer"}}}}})
    assert (s.validate(obj) == []) is ok


@pytest.mark.parametrize("rule", [
    # cel-go ext/comprehensions.go (two-variable comprehensions, which kube enables)
    "[1, 2, 3].all(i, j, i < j)", "!{'hello': 'world', 'taco': 'taco'}.all(k, v, k != v)",
    "{'h': ['hello', 'hi'], 'j': ['joke', 'jog']}.all(k, vals, vals.all(v, v.startsWith(k)))",
    "{'greeting': 'hello', 'farewell': 'goodbye'}.exists(k, v, k.startsWith('good') || v.endsWith('bye'))",
    "![1, 2, 4, 8, 16].exists(i, v, v == 1024 && i == 10)", "![1, 2, 1, 3, 1, 4].existsOne(i, v, i == 1 || v == 1)",
    "[1, 1, 2, 2, 3, 3].existsOne(i, v, i == 2 && v == 2)", "{'i': 0, 'j': 1, 'k': 2}.exists_one(i, v, i == 'l' || v == 1)",
    "[1, 2, 3].transformList(i, v, (i * v) + v) == [1, 4, 9]",
    "[1, 2, 3].transformList(i, v, i % 2 == 0, (i * v) + v) == [1, 9]",
    "[1, 2, 3].transformMap(i, v, (i * v) + v) == {0: 1, 1: 4, 2: 9}",
    "[1, 2, 3].transformMap(i, v, i % 2 == 0, (i * v) + v) == {0: 1, 2: 9}",
    "{'greeting': 'hello'}.transformMap(k, v, v + '!') == {'greeting': 'hello!'}",
    "{'a': 1, 'b': 2}.transformMapEntry(k, v, {v: k}) == {1: 'a', 2: 'b'}",
    "{'a': {'x': 1}}.all(k, v, v.?x.orValue(0) == 1 && [k].all(k, k == 'a'))",
    # kube's format library (format_test.go)
    "!format.dns1123Label().validate('my-name').hasValue()",
    "format.dns1123Label().validate('-x').value().size() == 1",
    "format.named('dns1123Label').hasValue()", "!format.named('nope').hasValue()",
    "format.named('labelValue').value().validate('a b').hasValue()",
    "!format.dns1123LabelPrefix().validate('abc-').hasValue()", "format.dns1123Label().validate('abc-').hasValue()",
    "format.uri().validate('foo').value() == ['parse \"foo\": invalid URI for request']",
    "!format.uri().validate('https://example.com/x').hasValue()",
    "!format.uuid().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()",
    "format.byte().validate('!!').value() == ['invalid base64']",
    # matches() is Go's RE2: \d is ASCII only, flags may be set mid-pattern
    "!'\u0663'.matches('^\\\\d$')", "'1'.matches('^\\\\d$')", "'xAB'.matches('^x(?i)ab$')", "matches('ab', 'B$') == false",
])
def test_two_variable_comprehensions_format_and_re2(rule: str) -> None:
    assert [e.detail for e in crd_validation.validate_crd(_crd(rule)) if "x-kubernetes-validations" in e.field] == []
    assert _check(rule) == []


def test_transform_map_entry_refuses_a_duplicate_key() -> None:
    details = _check("{'a': 1, 'b': 1}.transformMapEntry(k, v, {v: k}).size() == 2")
    assert len(details) == 1 and "insert failed: key 1 already exists" in details[0], details


def _typed_crd(rule: str) -> dict[str, object]:
    props = {"s": {"type": "string"}, "n": {"type": "integer"}, "r": {"type": "number"}, "b": {"type": "boolean"},
             "ts": {"type": "string", "format": "date-time"}, "d": {"type": "string", "format": "duration"},
             "l": {"type": "array", "maxItems": 4, "items": {"type": "integer"}},
             "m": {"type": "object", "maxProperties": 4, "additionalProperties": {"type": "string", "maxLength": 8}},
             "o": {"type": "object", "properties": {"x": {"type": "integer"}}},
             "ios": {"x-kubernetes-int-or-string": True}}
    return _crd(rule, props)


@pytest.mark.parametrize("rule,error", [
    # kube's validation_test.go
    ("self.s != null", "found no matching overload for '_!=_' applied to '(string, null)'"),
    ("self.n == 'abc'", "found no matching overload for '_==_' applied to '(int, string)'"),
    ("self.r == 0", "found no matching overload for '_==_' applied to '(double, int)'"),
    ("self.s + 1 == 'a1'", "found no matching overload for '_+_' applied to '(string, int)'"),
    ("self.n < 'x'", "found no matching overload for '_<_' applied to '(int, string)'"),
    ("!self.n", "found no matching overload for '!_' applied to '(int)'"),
    ("self.b && self.n", "found no matching overload for '_&&_' applied to '(bool, int)'"),
    ("self.l.all(i, i == 'x')", "found no matching overload for '_==_' applied to '(int, string)'"),
    ("self.m.all(k, v, v == 1)", "found no matching overload for '_==_' applied to '(string, int)'"),
    ("'x' in self.l", "found no matching overload for '@in' applied to '(string, list(int))'"),
    ("self.ts - self.d == self.d", "found no matching overload for '_==_' applied to "
                                   "'(google.protobuf.Timestamp, google.protobuf.Duration)'"),
    ("self.s.startsWith(1)", "found no matching overload for 'startsWith' applied to 'string.(int)'"),
    ("self.n.size() > 0", "found no matching overload for 'size' applied to 'int.()'"),
    ("size(self.b) > 0", "found no matching overload for 'size' applied to '(bool)'"),
    ("self.l.join(',') == ''", "found no matching overload for 'join' applied to 'list(int).(string)'"),
    ("self.s.reverse() == ''", "found no matching overload for 'reverse' applied to 'string.()'"),
    # kube's libraries' functions are type-checked too
    ("quantity(self.s).isLessThan('4Gi')", "found no matching overload for 'isLessThan' applied to "
                                           "'kubernetes.Quantity.(string)'"),
    ("isIP(self.n)", "1:5: found no matching overload for 'isIP' applied to '(int)'"),
    ("cidr(self.s).containsIP(1)", "found no matching overload for 'containsIP' applied to 'net.CIDR.(int)'"),
    ("ip(self.s).family() == '4'", "found no matching overload for '_==_' applied to '(int, string)'"),
    ("self.s.major() == 1", "found no matching overload for 'major' applied to 'string.()'"),
    ("self.l.slice(0, '1') == []", "found no matching overload for 'slice' applied to 'list(int).(int, string)'"),
    ("self.s.format(self.s) == ''", "found no matching overload for 'format' applied to 'string.(string)'"),
    ("self.nope == 1", "1:5: undefined field 'nope'"),
    ("has(self.o.y)", "1:11: undefined field 'y'"),
    ("self.l.all(x, x > 0) && self.o.z == 1", "1:31: undefined field 'z'"),
    # kube's AST validators: constant arguments and homogeneous literals
    ("duration('1x') > duration('1s')", "1:10: invalid duration argument"),
    ("self.ts < timestamp('2023-13-01T00:00:00Z')", "1:21: invalid timestamp argument"),
    ("self.s.matches('[')", "1:16: invalid matches argument"),
    ("[1, 'a'].size() == 2", "1:5: expected type 'int' but found 'string'"),
    ("{'a': 1, 'b': 'x'}.size() == 2", "1:15: expected type 'int' but found 'string'"),
])
def test_operator_type_errors_refused_at_crd_creation(rule: str, error: str) -> None:
    path = "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule"
    details = [e.detail for e in crd_validation.validate_crd(_typed_crd(rule)) if e.field == path]
    assert len(details) == 1 and details[0].startswith("compilation failed: ERROR: <input>:1:"), details
    assert error in details[0], details


@pytest.mark.parametrize("rule", [
    "self.n < 1.5 && self.r > 1", "self.ts < timestamp('2030-01-01T00:00:00Z')", "self.l.all(i, i > 0)",
    "self.m['k'] == 'v' && 'k' in self.m", "2 in self.l", "self.d + duration('1s') > duration('2s')",
    "self.ios == 1 || self.ios == 'a'", "self.o.x == 1 && self.o == self.o", "has(self.s) && self.s.size() > 0",
    "self.l + [1] == [1]", "self.n % 2 == 0 && -self.n < 0", "self.ts - self.ts == duration('0s')",
    "self.l.map(x, x * 2).size() > 0", "type(self.s) == string", "[self.ios, 1].size() == 2",
    "self.s.split(',', 2).size() < 3 && self.s.lowerAscii().startsWith('a')", "size(self.m) + self.l.size() > 0",
    "self.ios.startsWith('x')", "self.s.indexOf('a', 1) > 0 && self.s.substring(1, 2) != ''",
    "quantity(self.s).isLessThan(quantity('4Gi')) && quantity(self.s).add(1).sign() == 1",
    "cidr(self.s).containsIP(ip('1.2.3.4')) && cidr(self.s).containsIP('1.2.3.4') && cidr(self.s).prefixLength() < 9",
    "semver(self.s, true).major() == 1 && url(self.s).getHost() != ''",
])
def test_well_typed_rules_are_accepted(rule: str) -> None:
    path = "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule"
    assert [e.detail for e in crd_validation.validate_crd(_typed_crd(rule)) if e.field == path] == []


@pytest.mark.parametrize("rule,error", [
    ("self.metadata.name.size() < 10 && self.apiVersion != '' && self.kind == 'Widget'", None),
    ("self.metadata.generateName == '' || has(self.spec)", None),
    ("self.metadata.labels.size() > 0", "ERROR: <input>:1:14: undefined field 'labels'"),
    ("self.spec.missing == 1", "ERROR: <input>:1:10: undefined field 'missing'"),
])
def test_a_resources_root_declares_only_name_and_generate_name_of_its_metadata(rule: str, error: str | None) -> None:
    crd = _typed_crd("true")
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]  # type: ignore[index]
    schema["x-kubernetes-validations"] = [{"rule": rule}]
    details = [e.detail for e in crd_validation.validate_crd(crd)
               if e.field == "spec.validation.openAPIV3Schema.x-kubernetes-validations[0].rule"]
    if error is None:
        assert details == []
    else:
        assert len(details) == 1 and details[0].startswith(f"compilation failed: {error}"), details


@pytest.mark.parametrize("message_expression,error", [
    ("fun(self.s)", "ERROR: <input>:1:4: undeclared reference to 'fun' (in container '')"),
    ("'n: ' + self.n", "ERROR: <input>:1:7: found no matching overload for '_+_' applied to '(string, int)'"),
    ("self.nope", "ERROR: <input>:1:5: undefined field 'nope'"),
])
def test_message_expressions_are_checked_as_rules_are(message_expression: str, error: str) -> None:
    crd = _typed_crd("true")
    rule = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"][  # type: ignore[index]
        "x-kubernetes-validations"][0]
    rule["messageExpression"] = message_expression
    path = "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].messageExpression"
    details = [e.detail for e in crd_validation.validate_crd(crd) if e.field == path]
    assert len(details) == 1 and details[0].startswith(f"messageExpression compilation failed: {error}"), details
