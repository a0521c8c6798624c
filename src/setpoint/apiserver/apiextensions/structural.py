"""Custom resources against their CRD's structural schema: validation, defaulting, pruning.

A CRD version's ``openAPIV3Schema`` is compiled once (:func:`compile_schema`) into a
tree of :class:`Node` objects; every create, update and patch then runs

* :func:`default` -- the apiextensions-apiserver's ``structuraldefaulting.Default``
  (schema ``default`` values, also inside arrays and maps) followed by
  ``PruneNonNullableNullsWithoutDefaults``;
* :func:`prune` -- ``pruning.PruneWithOptions``: unknown fields are dropped and their
  paths returned, for ``fieldValidation=Strict|Warn``;
* :func:`validate` -- kube-openapi's schema validation with kube's conversion of its
  results to ``field.Error`` (``kubeOpenAPIResultToFieldErrors``): the same field paths
  and messages (``spec.replicas in body should be less than or equal to 10``), then the
  embedded-resource metadata checks (``objectmeta.Validate``) and the
  ``x-kubernetes-list-type`` set/map invariants (``listtype.ValidateListSetsAndMaps``).

The CEL rules (``x-kubernetes-validations``) are compiled onto the same nodes by
:mod:`setpoint.apiserver.apiextensions.cel.evaluate`.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import ipaddress
import json
import re
from collections.abc import Callable
from typing import Any

from setpoint.apimachinery import goregexp
from setpoint.apimachinery.goformat import format_float, quote, sharp_v
from setpoint.apimachinery.types import Obj, json_type
from setpoint.apiserver.apiextensions.cel.rule import CompiledRule
from setpoint.apiserver.builtin import definitions
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.encoding.errors import FieldError, FieldErrorType
from setpoint.apiserver.registry import metadata

#: The fields every resource root (and embedded resource) has, whatever its schema says.
META_FIELDS = frozenset({"apiVersion", "kind", "metadata"})
_OBJECT_META = definitions.inline(definitions.OBJECT_META)


# --- Go-style rendering of values in messages ------------------------------------------


class GoFloat(float):
    """A float rendered in messages as Go renders a float64."""

    def __str__(self) -> str:
        return format_float(float(self))


class GoValue:
    """A value rendered as Go's ``%#v`` of the decoded JSON (``map[string]interface {}{...}``)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return sharp_v(self.value)

    __str__ = __repr__


def _shown(value: Any) -> Any:
    """A bad value as kube's ``field.Error`` prints it."""
    if isinstance(value, float) and not isinstance(value, GoFloat):
        return GoFloat(value)
    if isinstance(value, dict | list):
        return GoValue(value)
    return value


# --- formats (kube-openapi's strfmt registry, as kube keeps it) -------------------------

_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_UUID3 = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?3[0-9a-fA-F]{3}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_UUID4 = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?4[0-9a-fA-F]{3}-?[89abAB][0-9a-fA-F]{3}-?[0-9a-fA-F]{12}$")
_UUID5 = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?5[0-9a-fA-F]{3}-?[89abAB][0-9a-fA-F]{3}-?[0-9a-fA-F]{12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_HOSTNAME = re.compile(r"^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$")
_MAC = re.compile(r"^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$")
_HEXCOLOR = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_RGBCOLOR = re.compile(r"^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$")
_BSON = re.compile(r"^[0-9a-fA-F]{24}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$")
_DURATION = re.compile(
    r"^(\s*[-+]?\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|"
    r"seconds?|minutes?|hours?|days?|weeks?|sec|secs|min|mins|hr|hrs)\s*)+$")
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$")


def _is_date(v: str) -> bool:
    if not _DATE.match(v):
        return False
    try:
        datetime.date.fromisoformat(v)
    except ValueError:
        return False
    return True


def _is_datetime(v: str) -> bool:
    if not _DATETIME.match(v):
        return False
    try:
        datetime.date.fromisoformat(v[:10])
    except ValueError:
        return False
    return True


def _is_byte(v: str) -> bool:
    try:
        base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _is_ipv4(v: str) -> bool:
    try:
        ipaddress.IPv4Address(v)
    except ValueError:
        return False
    return True


def _is_ipv6(v: str) -> bool:
    try:
        ipaddress.IPv6Address(v)
    except ValueError:
        return False
    return True


def _is_cidr(v: str) -> bool:
    try:
        ipaddress.ip_network(v, strict=False)
    except ValueError:
        return False
    return "/" in v


def _is_rgb(v: str) -> bool:
    m = _RGBCOLOR.match(v)
    return m is not None and all(int(g) <= 255 for g in m.groups())


#: kube's supported string formats (``StripUnsupportedFormatsPostProcess``); others are ignored.
FORMATS: dict[str, Callable[[str], bool]] = {
    "bsonobjectid": lambda v: bool(_BSON.match(v)),
    "uri": lambda v: bool(_URI.match(v)),
    "email": lambda v: bool(_EMAIL.match(v)),
    "hostname": lambda v: bool(_HOSTNAME.match(v)) and len(v) <= 255,
    "ipv4": _is_ipv4,
    "ipv6": _is_ipv6,
    "cidr": _is_cidr,
    "mac": lambda v: bool(_MAC.match(v)),
    "uuid": lambda v: bool(_UUID.match(v)),
    "uuid3": lambda v: bool(_UUID3.match(v)),
    "uuid4": lambda v: bool(_UUID4.match(v)),
    "uuid5": lambda v: bool(_UUID5.match(v)),
    "hexcolor": lambda v: bool(_HEXCOLOR.match(v)),
    "rgbcolor": _is_rgb,
    "byte": _is_byte,
    "password": lambda v: True,
    "date": _is_date,
    "datetime": _is_datetime,
    "date-time": _is_datetime,
    "duration": lambda v: bool(_DURATION.match(v)),
}


def go_regexp(pattern: str) -> goregexp.Regexp:
    """A schema ``pattern`` (Go RE2 syntax, unanchored), compiled once; GoRegexpError if invalid."""
    return goregexp.compile(pattern)


# --- the compiled schema --------------------------------------------------------------------


class Node:
    """One schema node, compiled. ``additional`` is a Node, True (any value, unpruned
    keys but pruned contents), or None (no additionalProperties)."""

    __slots__ = (
        "additional", "all_of", "any_of", "cel_fields", "cel_functions", "cel_plain", "checks_number",
        "checks_string", "default", "description", "embedded", "enum", "enum_shown", "exclusive_maximum",
        "exclusive_minimum", "format", "has_default", "has_defaults", "has_lists", "has_rules",
        "int_or_string", "items", "junctors", "list_map_keys", "list_type", "map_type", "max_items",
        "max_length", "max_properties", "maximum", "min_items", "min_length", "min_properties", "minimum",
        "multiple_of", "not_", "nullable", "one_of", "pattern", "pattern_text", "preserve", "properties",
        "required", "rules", "schema", "type", "types",
    )

    def __init__(self, schema: Obj) -> None:
        self.schema = schema
        t = schema.get("type")
        self.type: str = t if isinstance(t, str) else ""
        self.int_or_string = schema.get("x-kubernetes-int-or-string") is True
        self.types: tuple[str, ...] = ("integer", "string") if self.int_or_string else (
            (self.type,) if self.type else ())
        self.nullable = schema.get("nullable") is True
        self.format: str = str(schema.get("format") or "")
        self.description: str = str(schema.get("description") or "")
        self.preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
        self.embedded = schema.get("x-kubernetes-embedded-resource") is True
        self.list_type: str = str(schema.get("x-kubernetes-list-type") or "")
        self.map_type: str = str(schema.get("x-kubernetes-map-type") or "")
        keys = schema.get("x-kubernetes-list-map-keys")
        self.list_map_keys: tuple[str, ...] = tuple(str(k) for k in keys) if isinstance(keys, list) else ()
        self.has_default = "default" in schema and schema["default"] is not None
        self.default: Any = schema.get("default")
        enum = schema.get("enum")
        self.enum: list[Any] | None = list(enum) if isinstance(enum, list) else None
        self.enum_shown: list[str] = []
        if self.enum is not None:
            import orjson

            self.enum_shown = [v if isinstance(v, str) else orjson.dumps(v).decode() for v in self.enum]
        self.pattern_text: str = str(schema.get("pattern") or "")
        self.pattern: goregexp.Regexp | None = None
        if self.pattern_text:
            try:
                self.pattern = go_regexp(self.pattern_text)
            except goregexp.GoRegexpError:
                self.pattern = None
        self.maximum = _num(schema.get("maximum"))
        self.minimum = _num(schema.get("minimum"))
        self.exclusive_maximum = schema.get("exclusiveMaximum") is True
        self.exclusive_minimum = schema.get("exclusiveMinimum") is True
        self.multiple_of = _num(schema.get("multipleOf"))
        self.max_length = _int(schema.get("maxLength"))
        self.min_length = _int(schema.get("minLength"))
        self.max_items = _int(schema.get("maxItems"))
        self.min_items = _int(schema.get("minItems"))
        self.max_properties = _int(schema.get("maxProperties"))
        self.min_properties = _int(schema.get("minProperties"))
        req = schema.get("required")
        self.required: tuple[str, ...] = tuple(str(r) for r in req) if isinstance(req, list) else ()
        props = schema.get("properties")
        self.properties: dict[str, Node] | None = (
            {str(k): Node(v) for k, v in props.items() if isinstance(v, dict)} if isinstance(props, dict) else None)
        add = schema.get("additionalProperties")
        self.additional: Node | bool | None
        if isinstance(add, dict):
            self.additional = Node(add)
        elif add is True:
            self.additional = True
        elif add is False:
            self.additional = False
        else:
            self.additional = None
        items = schema.get("items")
        self.items: Node | None = Node(items) if isinstance(items, dict) else None
        self.all_of = [Node(s) for s in schema.get("allOf") or [] if isinstance(s, dict)]
        self.any_of = [Node(s) for s in schema.get("anyOf") or [] if isinstance(s, dict)]
        self.one_of = [Node(s) for s in schema.get("oneOf") or [] if isinstance(s, dict)]
        n = schema.get("not")
        self.not_: Node | None = Node(n) if isinstance(n, dict) else None
        self.rules: list[CompiledRule] = []
        self.checks_string = (self.max_length is not None or self.min_length is not None or self.pattern is not None
                              or self.format in FORMATS)
        self.checks_number = self.maximum is not None or self.minimum is not None or bool(self.multiple_of)
        self.junctors = bool(self.all_of or self.any_of or self.one_of or self.not_ is not None)
        children = self.children()
        self.has_defaults: bool = self.has_default or any(c.has_defaults for c in children)
        self.has_lists: bool = self.list_type in ("set", "map") or self.embedded or any(
            c.has_lists for c in children)
        self.has_rules = False
        self.cel_plain = True
        #: The properties the node's CEL rules can see (None: the whole value).
        self.cel_fields: frozenset[str] | None = None
        #: The Python functions (kube's CEL libraries) the node's rules call.
        self.cel_functions: dict[str, Callable[..., Any]] = {}

    def children(self) -> list[Node]:
        out = list((self.properties or {}).values())
        if isinstance(self.additional, Node):
            out.append(self.additional)
        if self.items is not None:
            out.append(self.items)
        return out

    def walk(self) -> list[Node]:
        out = [self]
        for c in self.children():
            out.extend(c.walk())
        return out

    def child(self, key: str) -> Node | None:
        """The schema of property ``key`` (declared, else additionalProperties)."""
        if self.properties is not None:
            sub = self.properties.get(key)
            if sub is not None:
                return sub
        return self.additional if isinstance(self.additional, Node) else None


def _num(v: Any) -> float | int | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return v


def _int(v: Any) -> int | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return int(v)


def compile_schema(schema: Obj | None) -> Node | None:
    if not isinstance(schema, dict):
        return None
    return Node(schema)


# --- defaulting -------------------------------------------------------------------------


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def default(value: Any, node: Node | None) -> None:
    """Apply schema defaults in place (``structuraldefaulting.Default``). Nulls of non-nullable
    fields without a default (``PruneNonNullableNullsWithoutDefaults``) go in :func:`prune`,
    or in :func:`prune_nulls` when nothing is pruned."""
    if node is None:
        return
    if node.has_defaults:
        _default(value, node)


def _default(x: Any, s: Node) -> None:
    if isinstance(x, dict):
        props = s.properties
        if props is not None:
            for k, prop in props.items():
                if not prop.has_default:
                    continue
                if k not in x or (x[k] is None and not prop.nullable):
                    x[k] = _copy(prop.default)
        additional = s.additional if isinstance(s.additional, Node) else None
        for k, v in list(x.items()):
            known = props.get(k) if props is not None else None
            if known is not None:
                if known.has_defaults and isinstance(v, dict | list):
                    _default(v, known)
            elif additional is not None:
                if v is None and not additional.nullable and additional.has_default:
                    x[k] = v = _copy(additional.default)
                if additional.has_defaults and isinstance(v, dict | list):
                    _default(v, additional)
    elif isinstance(x, list):
        items = s.items
        if items is None:
            return
        for i, v in enumerate(x):
            if v is None and not items.nullable and items.has_default:
                x[i] = v = _copy(items.default)
            if items.has_defaults and isinstance(v, dict | list):
                _default(v, items)


def prune_nulls(value: Any, node: Node) -> None:
    _prune_nulls(value, node)


def _prune_nulls(x: Any, s: Node) -> None:
    if isinstance(x, dict):
        props = s.properties
        for k in list(x):
            v = x[k]
            prop = props.get(k) if props is not None else None
            if prop is None and isinstance(s.additional, Node):
                prop = s.additional
            if prop is None:
                continue
            if v is None:
                if not prop.nullable and not prop.has_default:
                    del x[k]
            elif isinstance(v, dict | list):
                _prune_nulls(v, prop)
    elif isinstance(x, list) and s.items is not None:
        for v in x:
            if isinstance(v, dict | list):
                _prune_nulls(v, s.items)


# --- pruning ----------------------------------------------------------------------------


def prune(obj: Obj, node: Node | None) -> list[str]:
    """Drop unknown fields in place (``pruning.PruneWithOptions`` plus ObjectMeta coercion);
    returns their paths as kube's strict decoding names them (``spec.foo``, ``spec.l[0].x``)."""
    out: list[str] = []
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        _prune_plain(meta, _OBJECT_META, "metadata", out)
    if node is None:
        return out
    if node.preserve:
        _skip_prune(obj, node, "", out, root=True)
    else:
        _prune_map(obj, node, "", out, root=True)
    return out


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _prune(x: Any, s: Node | None, path: str, out: list[str]) -> None:
    if s is not None and s.preserve:
        _skip_prune(x, s, path, out, False)
        return
    if isinstance(x, dict):
        if s is None:
            for k in list(x):
                out.append(_join(path, k))
                del x[k]
            return
        _prune_map(x, s, path, out, False)
    elif isinstance(x, list):
        items = s.items if s is not None else None
        for i, v in enumerate(x):
            if isinstance(v, dict | list):
                _prune(v, items, f"{path}[{i}]", out)


def _prune_map(x: Obj, s: Node, path: str, out: list[str], root: bool) -> None:
    props = s.properties
    additional = s.additional
    for k in list(x):
        v = x[k]
        if (root or s.embedded) and k in META_FIELDS:
            if k == "metadata":
                if isinstance(v, dict) and not root:
                    _prune_plain(v, _OBJECT_META, _join(path, k), out)
                continue
            if isinstance(v, str) or root:
                continue
        prop = props.get(k) if props is not None else None
        if prop is not None:
            if isinstance(v, dict | list):
                _prune(v, prop, _join(path, k), out)
            elif v is None and not prop.nullable and not prop.has_default:
                del x[k]  # PruneNonNullableNullsWithoutDefaults
        elif additional is not None and additional is not False:
            if isinstance(v, dict | list):
                _prune(v, additional if isinstance(additional, Node) else None, _join(path, k), out)
            elif v is None and isinstance(additional, Node) and not additional.nullable and \
                    not additional.has_default:
                del x[k]
        else:
            out.append(_join(path, k))
            del x[k]


def _skip_prune(x: Any, s: Node, path: str, out: list[str], root: bool) -> None:
    if isinstance(x, dict):
        for k, v in x.items():
            if (s.embedded or root) and k in META_FIELDS:
                if k == "metadata" and isinstance(v, dict) and not root:
                    _prune_plain(v, _OBJECT_META, _join(path, k), out)
                continue
            prop = s.properties.get(k) if s.properties is not None else None
            if prop is None and isinstance(s.additional, Node):
                prop = s.additional
            if prop is not None and isinstance(v, dict | list):
                _prune(v, prop, _join(path, k), out)
    elif isinstance(x, list) and s.items is not None:
        for i, v in enumerate(x):
            if isinstance(v, dict | list):
                _skip_prune(v, s.items, f"{path}[{i}]", out, False)


def _prune_plain(value: Any, schema: Obj, path: str, out: list[str]) -> None:
    """Prune against a plain (inlined built-in) schema, as decoding into ObjectMeta does."""
    if isinstance(value, dict):
        props: Obj | None = schema.get("properties")
        additional = schema.get("additionalProperties")
        if props is None and additional is None:
            return
        for key in list(value):
            sub = props.get(key) if props is not None else None
            if sub is None:
                if isinstance(additional, dict):
                    sub = additional
                else:
                    out.append(_join(path, key))
                    del value[key]
                    continue
            if isinstance(value[key], dict | list):
                _prune_plain(value[key], sub, _join(path, key), out)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for i, child in enumerate(value):
                _prune_plain(child, items, f"{path}[{i}]", out)


# --- validation -----------------------------------------------------------------------------


def _type_name(s: Node) -> str:
    return ",".join(s.types)


def _type_error(path: str, s: Node, actual: str) -> FieldError:
    return FieldError(FieldErrorType.TYPE_INVALID, path, actual,
                      f'{path} in body must be of type {_type_name(s)}: "{actual}"')


def _invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError(FieldErrorType.INVALID, path, _shown(value), detail)


def too_many(path: str, actual: int, maximum: int) -> FieldError:
    noun = "item" if maximum == 1 else "items"
    return FieldError(FieldErrorType.TOO_MANY, path, actual, f"must have at most {maximum} {noun}")


def _type_ok(value: Any, jt: str, s: Node) -> bool:
    types = s.types
    if jt in types:
        return True
    if jt == "number" and "integer" in types and float(value).is_integer():
        return True
    return jt == "integer" and "number" in types


def validate(value: Any, s: Node, path: str = "") -> list[FieldError]:
    """The schema errors of ``value`` (a whole object when ``path`` is empty)."""
    errs: list[FieldError] = []
    _validate(value, s, path, errs)
    return errs


_JSON_TYPES: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean", list: "array",
                                dict: "object"}


def _validate(value: Any, s: Node, path: str, errs: list[FieldError]) -> None:
    if value is None:
        if s.types and not s.nullable:
            errs.append(_type_error(path, s, "null"))
        elif s.enum is not None and None not in s.enum:
            errs.append(errors.FieldError(FieldErrorType.NOT_SUPPORTED, path, None,
                                          "supported values: " + ", ".join(quote(v)
                                                                          for v in s.enum_shown)))
        return
    jt = _JSON_TYPES.get(type(value)) or json_type(value)
    types = s.types
    if types and jt not in types and not _type_ok(value, jt, s):
        errs.append(_type_error(path, s, jt))
        return
    if s.junctors:
        _validate_junctors(value, s, path, errs)
    if jt == "object":
        if s.enum is not None and value not in s.enum:
            errs.append(errors.FieldError(FieldErrorType.NOT_SUPPORTED, path, _shown(value),
                                          "supported values: " + ", ".join(quote(v)
                                                                          for v in s.enum_shown)))
        _validate_object(value, s, path, errs)
        return
    if jt == "string":
        if s.checks_string:
            _validate_string(value, s, path, errs)
    elif jt == "integer" or jt == "number":
        if s.checks_number:
            _validate_number(value, s, path, errs)
    elif jt == "array":
        n = len(value)
        if s.max_items is not None and n > s.max_items:
            errs.append(too_many(path, n, s.max_items))
        if s.min_items is not None and n < s.min_items:
            errs.append(_invalid(path, n, f"{path} in body should have at least {s.min_items} items"))
        items = s.items
        if items is not None:
            for i, v in enumerate(value):
                _validate(v, items, f"{path}[{i}]", errs)
    if s.enum is not None and value not in s.enum:
        errs.append(errors.FieldError(FieldErrorType.NOT_SUPPORTED, path, _shown(value),
                                      "supported values: " + ", ".join(quote(v)
                                                                      for v in s.enum_shown)))


def _validate_string(value: str, s: Node, path: str, errs: list[FieldError]) -> None:
    if s.max_length is not None and len(value) > s.max_length:
        errs.append(errors.too_long(path, s.max_length))
    if s.min_length is not None and len(value) < s.min_length:
        errs.append(_invalid(path, value, f"{path} in body should be at least {s.min_length} chars long"))
    if s.pattern is not None and s.pattern.search(value) is None:
        errs.append(_invalid(path, value, f"{path} in body should match '{s.pattern_text}'"))
    if s.format:
        check = FORMATS.get(s.format)
        if check is not None and not check(value):
            errs.append(FieldError(FieldErrorType.TYPE_INVALID, path, value,
                                   f"{path} in body must be of type {s.format}: {quote(value)}"))


def _bound(value: int | float, bound: int | float) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(int(bound))
    return format_float(float(bound))


def _validate_number(value: int | float, s: Node, path: str, errs: list[FieldError]) -> None:
    if s.maximum is not None and (value >= s.maximum if s.exclusive_maximum else value > s.maximum):
        rel = "less than" if s.exclusive_maximum else "less than or equal to"
        errs.append(_invalid(path, value, f"{path} in body should be {rel} {_bound(value, s.maximum)}"))
    if s.minimum is not None and (value <= s.minimum if s.exclusive_minimum else value < s.minimum):
        rel = "greater than" if s.exclusive_minimum else "greater than or equal to"
        errs.append(_invalid(path, value, f"{path} in body should be {rel} {_bound(value, s.minimum)}"))
    if s.multiple_of:
        q = value / s.multiple_of
        if not float(q).is_integer():
            m = s.multiple_of
            shown = str(m) if isinstance(m, int) else format_float(float(m))
            errs.append(_invalid(path, value, f"{path} in body should be a multiple of {shown}"))


def _validate_object(value: Obj, s: Node, path: str, errs: list[FieldError]) -> None:
    n = len(value)
    if s.max_properties is not None and n > s.max_properties:
        errs.append(too_many(path, n, s.max_properties))
    if s.min_properties is not None and n < s.min_properties:
        errs.append(_invalid(path, n, f"{path} in body should have at least {s.min_properties} properties"))
    for r in s.required:
        if r not in value:
            errs.append(errors.required(_join(path, r), ""))
    props = s.properties
    additional = s.additional
    for k, v in value.items():
        sub = props.get(k) if props is not None else None
        if sub is None:
            if isinstance(additional, Node):
                sub = additional
            elif additional is False and props is not None:
                errs.append(_invalid(_join(path, k), k, f"{_join(path, k)} in body is a forbidden property"))
                continue
            else:
                continue
        _validate(v, sub, _join(path, k), errs)


def _validate_junctors(value: Any, s: Node, path: str, errs: list[FieldError]) -> None:
    name = path or "."
    for sub in s.all_of:
        sub_errs = validate(value, sub, path)
        errs.extend(sub_errs)
    if s.any_of:
        first: list[FieldError] | None = None
        for sub in s.any_of:
            sub_errs = validate(value, sub, path)
            if not sub_errs:
                break
            if first is None:
                first = sub_errs
        else:
            errs.append(_invalid(path, "", f'"{name}" must validate at least one schema (anyOf)'))
            errs.extend(first or [])
    if s.one_of:
        ok = sum(1 for sub in s.one_of if not validate(value, sub, path))
        if ok != 1:
            errs.append(_invalid(path, "", f'"{name}" must validate one and only one schema (oneOf)'))
    if s.not_ is not None and not validate(value, s.not_, path):
        errs.append(_invalid(path, "", f'"{name}" must not validate the schema (not)'))


# --- embedded resources and list types ------------------------------------------------------


def validate_structure(obj: Obj, s: Node) -> list[FieldError]:
    """``objectmeta.Validate`` (embedded resources) and ``listtype.ValidateListSetsAndMaps``."""
    errs: list[FieldError] = []
    if s.has_lists:
        _structure(obj, s, "", errs, True)
    return errs


def _structure(x: Any, s: Node, path: str, errs: list[FieldError], root: bool) -> None:
    if isinstance(x, dict):
        if s.embedded and not root:
            _validate_embedded(path, x, errs)
        for k, v in x.items():
            if root and k in META_FIELDS:
                continue
            sub = s.child(k)
            if sub is not None and sub.has_lists and isinstance(v, dict | list):
                _structure(v, sub, _join(path, k), errs, False)
    elif isinstance(x, list):
        if s.list_type == "set":
            seen: list[Any] = []
            for i, v in enumerate(x):
                if v in seen:
                    errs.append(errors.duplicate(f"{path}[{i}]", _shown(v)))
                else:
                    seen.append(v)
        elif s.list_type == "map" and s.items is not None:
            keys: set[str] = set()
            item_props = s.items.properties or {}
            for i, v in enumerate(x):
                if not isinstance(v, dict):
                    continue
                key_fields: dict[str, Any] = {}
                for kf in s.list_map_keys:
                    if kf in v:
                        key_fields[kf] = v[kf]
                    else:
                        prop = item_props.get(kf)
                        if prop is not None and prop.has_default:
                            key_fields[kf] = prop.default
                key = json.dumps(key_fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                if key in keys:
                    # listtype.validateListMap reports the item's key fields only, which
                    # field.Error prints as JSON: Duplicate value: {"name":"same"}.
                    errs.append(errors.duplicate(f"{path}[{i}]", errors.GoLiteral(key)))
                else:
                    keys.add(key)
        items = s.items
        if items is not None and items.has_lists:
            for i, v in enumerate(x):
                if isinstance(v, dict | list):
                    _structure(v, items, f"{path}[{i}]", errs, False)


def _validate_embedded(path: str, x: Obj, errs: list[FieldError]) -> None:
    if "apiVersion" not in x:
        errs.append(errors.required(_join(path, "apiVersion"), "must not be empty"))
    if "kind" not in x:
        errs.append(errors.required(_join(path, "kind"), "must not be empty"))
    for k, v in x.items():
        p = _join(path, k)
        if k == "apiVersion":
            if not isinstance(v, str):
                errs.append(_invalid(p, v, "must be a string"))
            elif not v:
                errs.append(errors.invalid(p, v, "must not be empty"))
            elif v.count("/") > 1:
                errs.append(errors.invalid(p, v, f"unexpected GroupVersion string: {v}"))
        elif k == "kind":
            if not isinstance(v, str):
                errs.append(_invalid(p, v, "must be a string"))
            elif not v:
                errs.append(errors.invalid(p, v, "must not be empty"))
            else:
                problems = metadata.is_dns1035_label(v.lower())
                if problems:
                    errs.append(errors.invalid(p, v, "may have mixed case, but should otherwise match: "
                                               + ",".join(problems)))
        elif k == "metadata":
            if not isinstance(v, dict):
                errs.append(_invalid(p, v, "must be an object"))
                continue
            meta = dict(v)
            if not meta.get("name"):
                meta["name"] = "fakename"
            errs.extend(metadata.validate_object_meta(meta, namespaced=bool(meta.get("namespace")),
                                                        name_fn=metadata.validate_path_segment_name,
                                                        path=p))
