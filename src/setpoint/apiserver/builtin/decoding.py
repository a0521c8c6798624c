"""Decoding a built-in kind as kube-apiserver does: into its Go type, failing where the JSON does not fit.

kube-apiserver decodes a built-in object into the Go struct of its kind
(``sigs.k8s.io/json``, a fork of ``encoding/json``); JSON of the wrong type is
refused before anything else looks at the object.  :func:`type_error` walks an
object against the kind's definition and answers that decoder's first error,
worded as Go words it::

    json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container

Go keeps decoding after a type mismatch (the first one is reported), but stops
at once when a type with its own decoding refuses its input (``Quantity``,
``IntOrString``, ``Time``, ``MicroTime``, base64 ``[]byte``); that error wins.
``null`` fits every type.  Unknown fields are not this module's concern (see
:func:`~setpoint.apiserver.builtin.definitions.unknown_fields`).

The definitions name no Go types of scalars, so a named string (``v1.Protocol``)
is reported as ``string`` and a map's key type as ``string``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from setpoint.apimachinery import clock, quantity
from setpoint.apimachinery.goformat import json_kind
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin import definitions

__all__ = ["object_meta_error", "type_error", "type_meta_error"]

_M: Final = "io.k8s.apimachinery.pkg.apis.meta.v1."
_APIEXT: Final = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1."
_INT_BOUNDS: Final = {"int32": (-(1 << 31), (1 << 31) - 1), "int64": (-(1 << 63), (1 << 63) - 1),
                      "uint8": (0, 255)}


class _Stop(Exception):
    """A custom unmarshaller refused its input: decoding ends with this message."""


class _Context:
    """Where the decoder is (Go's ``errorContext``) and the first type mismatch seen."""

    __slots__ = ("error", "stack", "struct")

    def __init__(self) -> None:
        self.struct = ""
        self.stack: list[str] = []
        self.error: str | None = None

    def mismatch(self, value: str, go_type: str) -> None:
        if self.error is not None:
            return
        if self.struct or self.stack:
            where = f"Go struct field {self.struct}.{'.'.join(self.stack)}"
        else:
            where = "Go value"
        self.error = f"json: cannot unmarshal {value} into {where} of type {go_type}"


Check = Callable[[object, _Context], None]


# --- scalars -----------------------------------------------------------------------


def _string(value: object, ctx: _Context) -> None:
    if not isinstance(value, str):
        ctx.mismatch(json_kind(value), "string")


def _bool(value: object, ctx: _Context) -> None:
    if not isinstance(value, bool):
        ctx.mismatch(json_kind(value), "bool")


def _float(value: object, ctx: _Context) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        ctx.mismatch(json_kind(value), "float64")


def _int_check(go_type: str) -> Check:
    low, high = _INT_BOUNDS[go_type]

    def check(value: object, ctx: _Context) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            ctx.mismatch(json_kind(value), go_type)
        elif isinstance(value, float) or not low <= value <= high:
            ctx.mismatch(f"number {value!r}", go_type)

    return check


def _bytes(value: object, ctx: _Context) -> None:
    """``[]byte``: a base64 string (or, as Go also takes, an array of bytes)."""
    if isinstance(value, str):
        offset = _base64_error(value.encode())
        if offset is not None:
            raise _Stop(f"illegal base64 data at input byte {offset}")
    elif isinstance(value, list):
        for item in value:
            if item is not None:
                _UINT8(item, ctx)
    else:
        ctx.mismatch(json_kind(value), "[]uint8")


_UINT8: Final = _int_check("uint8")
_B64: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def _base64_error(src: bytes) -> int | None:
    """Where ``base64.StdEncoding.Decode`` finds corrupt input (its ``CorruptInputError``), or None."""
    n, si = len(src), 0
    while True:
        j = 0
        while j < 4:
            if si == n:
                return None if j == 0 else si - j
            c = src[si]
            si += 1
            if c in _B64:
                j += 1
                continue
            if c in b"\r\n":
                continue
            if c != 0x3D or j < 2:  # not "=", or padding too early
                return si - 1
            if j == 2:  # "==" expected: the first one is read
                while si < n and src[si] in b"\r\n":
                    si += 1
                if si == n:
                    return n
                if src[si] != 0x3D:
                    return si - 1
                si += 1
            while si < n and src[si] in b"\r\n":
                si += 1
            return si if si < n else None


# --- types with their own JSON decoding -----------------------------------------------


def _quantity(value: object, ctx: _Context) -> None:
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = repr(value)
    else:
        raise _Stop(quantity.ERR_FORMAT_WRONG)
    message = quantity.parse_error(text)
    if message is not None:
        raise _Stop(message)


def _int_or_string(value: object, ctx: _Context) -> None:
    if isinstance(value, str):
        return
    inner = _Context()
    _INT32(value, inner)
    if inner.error is not None:
        raise _Stop(inner.error)


_INT32: Final = _int_check("int32")


def _time_check(layout: str) -> Check:
    def check(value: object, ctx: _Context) -> None:
        if not isinstance(value, str):
            raise _Stop(f"json: cannot unmarshal {json_kind(value)} into Go value of type string")
        message = clock.parse_error(value, layout)
        if message is not None:
            raise _Stop(message)

    return check


def _anything(value: object, ctx: _Context) -> None:
    return None


#: Definitions whose Go type decodes JSON itself, and how.
_CUSTOM: Final[dict[str, Check]] = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": _quantity,
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": _int_or_string,
    _M + "Time": _time_check(clock.RFC3339_LAYOUT),
    _M + "MicroTime": _time_check(clock.RFC3339_MICRO_LAYOUT),
    _M + "FieldsV1": _anything,
    _M + "Patch": _anything,
    "io.k8s.apimachinery.pkg.runtime.RawExtension": _anything,
    _APIEXT + "JSON": _anything,
    _APIEXT + "JSONSchemaPropsOrArray": _anything,
    _APIEXT + "JSONSchemaPropsOrBool": _anything,
    _APIEXT + "JSONSchemaPropsOrStringArray": _anything,
}


# --- structs, lists, maps ------------------------------------------------------------


def _go_name(definition: str) -> str:
    """``io.k8s.api.core.v1.PodSpec`` -> ``v1.PodSpec``: the Go type as ``reflect.Type.String`` prints it."""
    package, _, name = definition.rpartition(".")
    return f"{package.rpartition('.')[2]}.{name}"


#: A checker per definition; a struct's fields are compiled on its first use.
_DEFINITION_CHECKS: dict[str, tuple[Check, str]] = {}


def _definition(name: str) -> tuple[Check, str]:
    known = _DEFINITION_CHECKS.get(name)
    if known is not None:
        return known
    custom = _CUSTOM.get(name)
    schema = definitions.DEFINITIONS[name]
    go = _go_name(name)
    if custom is not None:
        out = (custom, go)
    elif "properties" in schema or (schema.get("type") == "object" and "additionalProperties" not in schema):
        out = (_struct_check(name, go), go)
    else:
        out = _compile(schema)
    _DEFINITION_CHECKS[name] = out
    return out


def _struct_check(name: str, go: str) -> Check:
    struct = go.rpartition(".")[2]
    fields: dict[str, Check] | None = None

    def check(value: object, ctx: _Context) -> None:
        nonlocal fields
        if not isinstance(value, dict):
            ctx.mismatch(json_kind(value), go)
            return
        if fields is None:
            props = definitions.DEFINITIONS[name].get("properties") or {}
            fields = {field: _compile(sub)[0] for field, sub in props.items()}
        outer = ctx.struct
        stack = ctx.stack
        for key, child in value.items():
            if child is None:
                continue
            field = fields.get(key)
            if field is None:
                continue  # an unknown field: strict decoding's business
            stack.append(key)
            ctx.struct = struct
            field(child, ctx)
            stack.pop()
        ctx.struct = outer

    return check


def _compile(schema: Obj) -> tuple[Check, str]:
    """The checker of one schema, and the Go type it stands for."""
    target = definitions.ref_target(schema)
    if target is not None:
        return _definition(target)
    kind = schema.get("type")
    if kind == "string":
        return (_bytes, "[]uint8") if schema.get("format") == "byte" else (_string, "string")
    if kind == "integer":
        go = "int32" if schema.get("format") == "int32" else "int64"
        return _int_check(go), go
    if kind == "number":
        return _float, "float64"
    if kind == "boolean":
        return _bool, "bool"
    if kind == "array" and isinstance(schema.get("items"), dict):
        return _list_check(*_compile(schema["items"]))
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return _map_check(*_compile(schema["additionalProperties"]))
    return _anything, "interface {}"


def _list_check(item: Check, item_go: str) -> tuple[Check, str]:
    go = "[]" + item_go

    def check(value: object, ctx: _Context) -> None:
        if not isinstance(value, list):
            ctx.mismatch(json_kind(value), go)
            return
        for child in value:
            if child is not None:
                item(child, ctx)

    return check, go


def _map_check(item: Check, item_go: str) -> tuple[Check, str]:
    go = "map[string]" + item_go

    def check(value: object, ctx: _Context) -> None:
        if not isinstance(value, dict):
            ctx.mismatch(json_kind(value), go)
            return
        for child in value.values():
            if child is not None:
                item(child, ctx)

    return check, go


def type_error(obj: Obj, group: str, version: str, kind: str) -> str | None:
    """The error kube's decoder gives ``obj`` as a ``group/version`` ``kind``, or None when it fits.

    None too for a kind without a definition (custom resources are decoded
    unstructured, and checked against their CRD's schema instead).
    """
    name = definitions.GVK_DEFINITIONS.get((group, version, kind))
    if name is None:
        return None
    ctx = _Context()
    try:
        _definition(name)[0](obj, ctx)
    except _Stop as stop:
        return str(stop)
    return ctx.error


def object_meta_error(metadata: object) -> str | None:
    """The error decoding a custom resource's ``metadata`` into ``v1.ObjectMeta`` gives, or None.

    The CRD handler decodes the body unstructured and then unmarshals its ``metadata`` alone
    into ObjectMeta (apiextensions' ``schemaobjectmeta.GetObjectMetaWithOptions``), so Go's
    error names the field from ObjectMeta (``ObjectMeta.labels``), not from the object."""
    ctx = _Context()
    try:
        _definition(_M + "ObjectMeta")[0](metadata, ctx)
    except _Stop as stop:
        return str(stop)
    return ctx.error


def type_meta_error(obj: Obj) -> str | None:
    """Go's error reading ``apiVersion``/``kind`` (runtime.SimpleMetaFactory.Interpret decodes
    them into an anonymous struct of two strings), or None when both are strings or absent."""
    for key, value in obj.items():
        if key in ("apiVersion", "kind") and value is not None and not isinstance(value, str):
            return f"json: cannot unmarshal {json_kind(value)} into Go struct field .{key} of type string"
    return None
