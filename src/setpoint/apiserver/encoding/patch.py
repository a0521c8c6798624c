"""PATCH bodies: JSON patch, JSON merge patch, strategic merge patch, apply.

Everything here is a pure function over decoded JSON values (``dict``, ``list``,
``str``, ``int``, ``float``, ``bool``, ``None``).  Inputs are never mutated; a
result shares every subtree the patch did not touch with the document it was
computed from, so callers must treat results (and inputs) as immutable.

The behaviour follows kube-apiserver (``endpoints/handlers/patch.go``):

* ``application/json-patch+json``: RFC 6902 with the semantics of
  ``gopkg.in/evanphx/json-patch.v4``, applied with the ``jsonpatch`` library.
  A body that is not a list of operations is a 400; an operation that cannot be
  applied (a failed ``test``, a missing path, an unknown ``op``) is the 422 that
  ``errors.NewGenericServerResponse(422, ...)`` builds, whose message never
  names the operation.
* ``application/merge-patch+json``: RFC 7386 as evanphx's ``MergePatch``.
* ``application/strategic-merge-patch+json``: ``strategicpatch.StrategicMergeMapPatch``
  driven by a :class:`PatchSchema` (the ``patchStrategy``/``patchMergeKey`` Go
  struct tags of the kind).  Custom resources have no schema and get the 415
  kube answers.
* ``application/apply-patch+yaml``: see :func:`apply_patch`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal

import jsonpatch
import orjson
import yaml
from jsonpointer import JsonPointer, JsonPointerException

from setpoint.apimachinery import goformat
from setpoint.apimachinery.goformat import json_kind
from setpoint.apiserver.encoding import yamljson
from setpoint.apiserver.encoding.errors import (
    StatusError,
    bad_request,
    invalid,
    invalid_object,
    unknown,
    unsupported_media_type,
)

__all__ = [
    "APPLY_PATCH",
    "CUSTOM_RESOURCE_PATCH_CONTENT_TYPES",
    "JSON_PATCH",
    "MAX_JSON_PATCH_OPERATIONS",
    "MERGE_PATCH",
    "OBJECT_META_SCHEMA",
    "PATCH_CONTENT_TYPES",
    "SCALE_PATCH_SCHEMA",
    "STRATEGIC_MERGE_PATCH",
    "PatchSchema",
    "apply_json_patch",
    "apply_merge_patch",
    "apply_patch",
    "apply_strategic_merge_patch",
    "decode_apply",
    "object_schema",
]

JSON_PATCH: Final = "application/json-patch+json"
MERGE_PATCH: Final = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH: Final = "application/strategic-merge-patch+json"
APPLY_PATCH: Final = "application/apply-patch+yaml"

#: Media types a PATCH of a built-in kind accepts, in kube's order (the order
#: is the one the 415 message lists).
PATCH_CONTENT_TYPES: Final[tuple[str, ...]] = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)
#: Media types a PATCH of a custom resource accepts (no strategic merge patch).
CUSTOM_RESOURCE_PATCH_CONTENT_TYPES: Final[tuple[str, ...]] = (JSON_PATCH, MERGE_PATCH, APPLY_PATCH)

#: ``maxJSONPatchOperations`` in patch.go.
MAX_JSON_PATCH_OPERATIONS: Final = 10000


# --------------------------------------------------------------------------- errors


def _unprocessable() -> StatusError:
    """``NewGenericServerResponse(422, "", GroupResource{}, "", msg, 0, false)``: the
    server message is dropped and ``details`` is an empty object."""
    return StatusError(
        422, "Invalid", "the server rejected our request due to an error in our request", details={}
    )


_FIND_KIND = (
    'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }'
)


def _not_an_object(value: Any) -> StatusError:
    """The patched document is not a JSON object, so decoding it into the kind
    fails (``field.Invalid(field.NewPath("patch"), string(patchedJS), err)``)."""
    text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    if value is None:
        detail = "Object 'Kind' is missing in 'null'"
    else:
        detail = f"couldn't get version/kind; json parse error: json: cannot unmarshal {json_kind(value)} into Go value of type {_FIND_KIND}"
    return invalid_object("", "", "", [invalid("patch", text, detail)])


def _go_quote_char(ch: str) -> str:
    """``quoteChar`` of ``encoding/json``'s scanner."""
    if ch == "'":
        return "'\\''"
    if ch == '"':
        return "'\"'"
    return "'" + orjson.dumps(ch).decode()[1:-1] + "'"


# orjson's message -> the context encoding/json's scanner names.
_SCANNER_CONTEXT: Final = (
    ("expected a JSON value", "looking for beginning of value"),
    ("expected ':' after key", "after object key"),
    ("unexpected content after document", "after top-level value"),
    ("expected ',' or ']'", "after array element"),
    ("expected ',' or '}'", "after object key:value pair"),
    ("expected a string key", "looking for beginning of object key string"),
)


def _go_syntax_error(body: bytes, exc: orjson.JSONDecodeError) -> str:
    """An approximation of the ``encoding/json`` syntax error for ``body``."""
    text = body.decode("utf-8", errors="replace")
    pos = min(exc.pos, len(text))
    msg = exc.msg
    if pos >= len(text.rstrip()) or "end of data" in msg or "empty" in msg:
        return "unexpected end of JSON input"
    if "trailing comma" in msg:
        rest = text[pos + 1 :].lstrip()
        if not rest:
            return "unexpected end of JSON input"
        context = (
            "looking for beginning of object key string"
            if rest[0] == "}"
            else "looking for beginning of value"
        )
        return f"invalid character {_go_quote_char(rest[0])} {context}"
    if msg.startswith("invalid literal"):
        for literal in ("true", "false", "null"):
            if literal[0] == text[pos]:
                for i, want in enumerate(literal):
                    if pos + i >= len(text):
                        return "unexpected end of JSON input"
                    if text[pos + i] != want:
                        return (
                            f"invalid character {_go_quote_char(text[pos + i])} in literal {literal} "
                            f"(expecting {_go_quote_char(want)})"
                        )
    if "escaped sequence" in msg and pos + 1 < len(text):
        return f"invalid character {_go_quote_char(text[pos + 1])} in string escape code"
    for needle, context in _SCANNER_CONTEXT:
        if needle in msg:
            return f"invalid character {_go_quote_char(text[pos])} {context}"
    return f"invalid character {_go_quote_char(text[pos])}: {msg}"


def _decode_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad_request(_go_syntax_error(body, exc)) from None


# --------------------------------------------------------------------------- JSON patch


def _json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values where ``true`` is not ``1`` and ``1`` is not
    ``1.0`` (evanphx compares scalars by their encoding)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return len(a) == len(b) and all(k in b and _json_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class _TestOperation(jsonpatch.TestOperation):
    """``test`` as evanphx v4 does it: a missing member or a ``null`` equals an
    absent or ``null`` value, and scalars compare with their JSON type."""

    def _apply(self, obj: Any, journal: Any) -> Any:
        try:
            subobj, part = self.pointer.to_last(obj)
            if part is None:
                current = subobj
            elif isinstance(subobj, dict):
                current = subobj.get(part)
            else:
                current = self.pointer.walk(subobj, part)
        except JsonPointerException as exc:
            raise jsonpatch.JsonPatchTestFailed(str(exc), op=self) from None
        expected = self.operation.get("value")
        if current is None or expected is None:
            if current is None and expected is None:
                return obj
            raise jsonpatch.JsonPatchTestFailed("test failed", op=self)
        if not _json_equal(current, expected):
            raise jsonpatch.JsonPatchTestFailed("test failed", op=self)
        return obj


class _KubeJsonPatch(jsonpatch.JsonPatch):
    operations = MappingProxyType(dict(jsonpatch.JsonPatch.operations, test=_TestOperation))


def _pointer_parts(pointer: Any) -> list[str] | None:
    if not isinstance(pointer, str):
        return None
    try:
        parts: list[str] = JsonPointer(pointer).parts
    except JsonPointerException:
        return None
    return parts


def _own_parents(root: Any, parts: list[str], owned: dict[int, Any]) -> None:
    """Replace the containers on the way to ``parts``' parent by private copies,
    so the operation can mutate them in place."""
    node = root
    for part in parts[:-1]:
        child: Any
        if isinstance(node, dict):
            if part not in node:
                return
            child = node[part]
            key: Any = part
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return
            key = int(part)
            child = node[key]
        else:
            return
        if isinstance(child, dict | list) and id(child) not in owned:
            child = dict(child) if isinstance(child, dict) else list(child)
            owned[id(child)] = child
            node[key] = child
        node = child


def apply_json_patch(doc: dict[str, Any], patch: object) -> dict[str, Any]:
    """Apply an RFC 6902 JSON patch (already decoded) to ``doc``.

    Raises :class:`StatusError`: 400 when ``patch`` is not a list of operation
    objects (``jsonpatch.DecodePatch`` fails), 413 beyond
    :data:`MAX_JSON_PATCH_OPERATIONS`, 422 (kube's generic message) when an
    operation cannot be applied, and the 422 of a failed decode when the
    result is no longer an object.  ``None`` (JSON ``null``) is an empty patch.
    """
    if patch is None:
        return doc
    if not isinstance(patch, list):
        raise bad_request(
            f"json: cannot unmarshal {json_kind(patch)} into Go value of type jsonpatch.Patch"
        )
    for op in patch:
        if op is not None and not isinstance(op, dict):
            raise bad_request(
                f"json: cannot unmarshal {json_kind(op)} into Go value of type jsonpatch.Operation"
            )
    if len(patch) > MAX_JSON_PATCH_OPERATIONS:
        raise StatusError(
            413,
            "RequestEntityTooLarge",
            "Request entity too large: The allowed maximum operations in a JSON patch is "
            f"{MAX_JSON_PATCH_OPERATIONS}, got {len(patch)}",
        )
    if any(op is None for op in patch):
        raise _unprocessable()  # Operation{}.Kind() is "unknown"
    try:
        compiled = [_KubeJsonPatch([op]) for op in patch]
    except (jsonpatch.JsonPatchException, JsonPointerException, TypeError, ValueError):
        raise _unprocessable() from None
    result: Any = dict(doc)
    owned: dict[int, Any] = {id(result): result}
    for op, single in zip(patch, compiled, strict=True):
        kind = op["op"]
        if kind in ("add", "move", "copy") and op.get("path") == "":
            raise _unprocessable()  # findObject finds no parent for the root
        if kind != "test":
            for pointer in (op.get("path"), op.get("from") if kind == "move" else None):
                parts = _pointer_parts(pointer)
                if parts:
                    _own_parents(result, parts, owned)
        try:
            result = single.apply(result, in_place=True)
        except (
            jsonpatch.JsonPatchException,
            JsonPointerException,
            TypeError,
            ValueError,
            KeyError,
            IndexError,
        ):
            raise _unprocessable() from None
        if kind == "replace" and op.get("path") == "":
            if not isinstance(result, dict | list):
                raise _unprocessable()  # "replace operation value must be object or array"
            owned[id(result)] = result
    if not isinstance(result, dict):
        raise _not_an_object(result)
    return result


# --------------------------------------------------------------------------- merge patch


def _prune_nulls(value: Any) -> Any:
    """evanphx's ``pruneNulls``: drop ``null`` object members and array elements."""
    if isinstance(value, dict):
        return {k: _prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune_nulls(v) for v in value if v is not None]
    return value


def _merge_docs(doc: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    result = dict(doc)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
            continue
        current = result.get(key)
        if not isinstance(current, dict):  # absent, null or not an object
            result[key] = _prune_nulls(value)
        elif not isinstance(value, dict):
            result[key] = value  # evanphx replaces an object without pruning the new value
        else:
            result[key] = _merge_docs(current, value)
    return result


def apply_merge_patch(doc: dict[str, Any], patch: object) -> dict[str, Any]:
    """Apply an RFC 7386 JSON merge patch (already decoded) to ``doc``.

    ``null`` deletes a member, objects merge recursively, anything else
    replaces.  Like evanphx's ``MergePatch`` (which kube uses), ``null`` elements
    of arrays the patch sets are dropped too.  A ``null`` or scalar patch is a
    400 ``Invalid JSON Patch``; an array patch replaces the whole document,
    which kube then fails to decode (422).
    """
    if isinstance(patch, dict):
        return _merge_docs(doc, patch)
    if isinstance(patch, list):
        raise _not_an_object(_prune_nulls(patch))
    raise bad_request("Invalid JSON Patch")


# --------------------------------------------------------------------------- strategic merge patch


@dataclass(frozen=True, slots=True, eq=False)
class PatchSchema:
    """The strategic-merge-patch metadata of a field (Go struct tags).

    * ``members``: fields of a struct that have metadata (or contain fields
      that do).  A field that is not listed merges like an untagged field: an
      object merges recursively, a list is replaced atomically.
    * ``values``: schema of every value of a ``map[string]Struct``.
    * ``strategy``: ``"merge"`` for ``patchStrategy:"merge"`` lists; ``"replace"``
      for an object replaced wholesale (``patchStrategy:"replace"``).
    * ``merge_key``: ``patchMergeKey`` of a list of objects; empty for a list of
      primitives merged as a set.
    * ``items``: schema of the elements of a merged list of objects.
    * ``retain_keys``: ``patchStrategy`` includes ``retainKeys``.  Only patch
      *generation* reads it; applying honours any ``$retainKeys`` directive.

    Build schemas with :meth:`fields`, :meth:`merge_list`,
    :meth:`merge_primitive_list`, :meth:`map_of` and :meth:`atomic`.
    """

    members: Mapping[str, PatchSchema] = field(default_factory=lambda: _NO_MEMBERS)
    values: PatchSchema | None = None
    strategy: Literal["", "merge", "replace"] = ""
    merge_key: str = ""
    items: PatchSchema | None = None
    retain_keys: bool = False

    @classmethod
    def fields(
        cls, members: Mapping[str, PatchSchema] | None = None, *, retain_keys: bool = False
    ) -> PatchSchema:
        """A struct whose listed fields carry metadata."""
        return cls(members=MappingProxyType(dict(members or {})), retain_keys=retain_keys)

    @classmethod
    def merge_list(
        cls, merge_key: str, items: PatchSchema | None = None, *, retain_keys: bool = False
    ) -> PatchSchema:
        """``patchStrategy:"merge" patchMergeKey:"<merge_key>"``: a list of objects
        merged element by element, matched on ``merge_key``."""
        return cls(strategy="merge", merge_key=merge_key, items=items, retain_keys=retain_keys)

    @classmethod
    def merge_primitive_list(cls) -> PatchSchema:
        """``patchStrategy:"merge"`` on a list of scalars: merged as a set."""
        return cls(strategy="merge")

    @classmethod
    def map_of(cls, values: PatchSchema) -> PatchSchema:
        """A ``map[string]T`` whose values have ``values``' metadata."""
        return cls(values=values)

    @classmethod
    def atomic(cls) -> PatchSchema:
        """``patchStrategy:"replace"``: the patch value replaces the field whole."""
        return cls(strategy="replace")

    def child(self, key: str) -> PatchSchema:
        """The schema of field (or map value) ``key``."""
        found = self.members.get(key)
        if found is not None:
            return found
        return self.values if self.values is not None else _DEFAULT

    def element(self) -> PatchSchema:
        """The schema of the elements of this list."""
        return self.items if self.items is not None else _DEFAULT


_NO_MEMBERS: Mapping[str, PatchSchema] = MappingProxyType({})
_DEFAULT = PatchSchema()

_DIRECTIVE: Final = "$patch"
_RETAIN_KEYS: Final = "$retainKeys"
_DELETE_FROM_PRIMITIVE_LIST: Final = "$deleteFromPrimitiveList"
_SET_ELEMENT_ORDER: Final = "$setElementOrder"

_ERR_PRIMITIVE_LIST = "invalid patch format of primitive list"
_ERR_RETAIN_KEYS = "invalid patch format of retainKeys"
_ERR_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list"


def _is_directive_key(key: str) -> bool:
    return (
        key in (_DIRECTIVE, _RETAIN_KEYS)
        or key.startswith(_DELETE_FROM_PRIMITIVE_LIST + "/")
        or key.startswith(_SET_ELEMENT_ORDER + "/")
    )


def _extract_key(key: str, prefix: str, error: str) -> str:
    head, sep, tail = key.partition("/")
    if not sep or head != prefix:
        raise bad_request(error)
    return tail


def _go_key(value: Any) -> Any:
    """A hashable stand-in for a value, equal exactly when Go's ``==`` on the
    two ``interface{}`` values would be (``1``, ``1.0`` and ``true`` differ)."""
    if isinstance(value, dict):
        return (dict, tuple(sorted((k, _go_key(v)) for k, v in value.items())))
    if isinstance(value, list):
        return (list, tuple(_go_key(v) for v in value))
    return (type(value), value)


def _clean(value: Any) -> tuple[Any, bool]:
    """A patch value stored as is: kube's ``discardNullValuesFromPatch`` and
    ``removeDirectives`` (an object carrying ``$patch`` is dropped), plus the
    directive keys decoding into the Go struct would have dropped."""
    if isinstance(value, dict):
        if _DIRECTIVE in value:
            return None, False
        out: dict[str, Any] = {}
        for key, item in value.items():
            if item is None or _is_directive_key(key):
                continue
            cleaned, keep = _clean(item)
            if keep:
                out[key] = cleaned
        return out, True
    if isinstance(value, list):
        items: list[Any] = []
        for item in value:
            cleaned, keep = _clean(item)
            if keep:
                items.append(cleaned)
        return items, True
    return value, True


def _element_kind(*lists: list[Any]) -> type:
    """``sliceElementType``: the one type of every element of ``lists``."""
    kind: type | None = None
    for values in lists:
        for value in values:
            current = type(value)
            if kind is None:
                if current is list:
                    raise _unprocessable()  # mergepatch.ErrNoListOfLists
                kind = current
            elif current is not kind:
                raise unknown(f"list element types are not identical: {goformat.verb_v(list(lists))}")
    if kind is None:
        raise unknown("no elements in any of the given slices")
    return kind


def _no_merge_key(item: dict[str, Any], merge_key: str) -> StatusError:
    return unknown(f"map: {goformat.verb_v(item)} does not contain declared merge key: {merge_key}")


def _bad_arg_type(expected: str, actual: Any) -> StatusError:
    return unknown(f"expected a {expected}, but received a {goformat.reflect_type_s(actual)}")


def _require_merge_keys(merge_key: str, *lists: list[Any]) -> None:
    for values in lists:
        for value in values:
            if not isinstance(value, dict):
                raise _bad_arg_type("map[string]interface {}", value)
            if merge_key not in value:
                raise _no_merge_key(value, merge_key)


def _identity(item: Any, merge_key: str) -> Any:
    """What ``index()`` compares: the merge key of an object, a scalar itself."""
    if merge_key:
        return _go_key(item.get(merge_key)) if isinstance(item, dict) else _go_key(None)
    return _go_key(item)


def _first_positions(order: list[Any], merge_key: str) -> dict[Any, int]:
    positions: dict[Any, int] = {}
    for i, item in enumerate(order):
        positions.setdefault(_identity(item, merge_key), i)
    return positions


def _sort_by(items: list[Any], order: list[Any], merge_key: str) -> list[Any]:
    """``normalizeSliceOrder``: stable sort by position in ``order``; with a merge
    key, ``$patch: delete`` elements go last."""
    deleted: list[Any] = []
    if merge_key:
        _require_merge_keys(merge_key, items, order)
        deleted = [v for v in items if v.get(_DIRECTIVE) == "delete"]
        items = [v for v in items if v.get(_DIRECTIVE) != "delete"]
    positions = _first_positions(order, merge_key)
    keys = [positions.get(_identity(v, merge_key)) for v in items]
    if all(k is not None for k in keys):
        ordered = [v for _, _, v in sorted(zip(keys, range(len(items)), items, strict=True))]
    else:
        # Go's comparator treats an element missing from ``order`` as smaller
        # than anything; sort.SliceStable is an insertion sort for short lists.
        ordered = list(items)
        for i in range(1, len(ordered)):
            j = i
            while j > 0:
                a = positions.get(_identity(ordered[j], merge_key))
                b = positions.get(_identity(ordered[j - 1], merge_key))
                if a is not None and b is not None and a >= b:
                    break
                ordered[j - 1], ordered[j] = ordered[j], ordered[j - 1]
                j -= 1
    return ordered + deleted


def _merge_sorted(left: list[Any], right: list[Any], server_order: list[Any], merge_key: str) -> list[Any]:
    """``mergeSortedSlice``: interleave server-only items (``left``) into the patch
    items (``right``) by their positions in the live list."""
    positions = _first_positions(server_order, merge_key)
    out: list[Any] = []
    i = j = 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li = positions.get(_identity(left[i], merge_key))
            ri = positions.get(_identity(right[j], merge_key))
            if li is not None and ri is not None and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


def _partition(merged: list[Any], by: list[Any], merge_key: str) -> tuple[list[Any], list[Any]]:
    """Split ``merged`` into the items present in ``by`` and the others
    (``partitionMapsByPresentInList`` / ``partitionPrimitivesByPresentInList``)."""
    if merge_key:
        for item in merged:
            if not isinstance(item, dict):
                raise _bad_arg_type("map[string]interface {}", item)
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
        for i, other in enumerate(by):
            if not isinstance(other, dict):
                raise unknown(f"value for key {i} is not a map")
        present = {_go_key(v[merge_key]) for v in by if merge_key in v}
        inside = [v for v in merged if _go_key(v[merge_key]) in present]
        outside = [v for v in merged if _go_key(v[merge_key]) not in present]
        return inside, outside
    present = {_go_key(v) for v in by}
    return [v for v in merged if _go_key(v) in present], [v for v in merged if _go_key(v) not in present]


def _normalize_order(
    patch_items: list[Any],
    server_only: list[Any],
    patch_order: list[Any],
    server_order: list[Any],
    merge_key: str,
) -> list[Any]:
    """``normalizeElementOrder``."""
    return _merge_sorted(
        _sort_by(server_only, server_order, merge_key),
        _sort_by(patch_items, patch_order, merge_key),
        server_order,
        merge_key,
    )


def _merge_slice(
    original: list[Any], patch: list[Any], schema: PatchSchema, is_delete_list: bool
) -> tuple[list[Any], list[Any]]:
    """``mergeSlice``: merge two lists with the ``merge`` strategy (or apply a
    ``$deleteFromPrimitiveList``).

    Also returns what Go's ``mergeSlice`` leaves in the array under
    ``original``: ``deleteMatchingEntries`` shifts it in place and appends then
    fill the freed slots.  ``$setElementOrder`` orders by that array.
    """
    if not original and not patch:
        return original, original
    kind = _element_kind(original, patch)
    if kind is not dict:
        if is_delete_list:
            doomed = {_go_key(v) for v in patch}
            return [v for v in original if _go_key(v) not in doomed], original
        merged: list[Any] = []
        seen: set[Any] = set()
        for value in (*original, *patch):
            key = _go_key(value)
            if key not in seen:
                seen.add(key)
                merged.append(value)
        patch_items, server_only = _partition(merged, patch, "")
        return _normalize_order(patch_items, server_only, patch, original, ""), original

    merge_key = schema.merge_key
    if not merge_key:
        raise unknown("cannot merge lists without merge key for struct")
    size = len(original)
    backing = list(original)
    length = size
    plain: list[Any] = []
    replace = False
    for item in patch:  # mergeSliceWithSpecialElements
        if _DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[_DIRECTIVE]
        if directive == "delete":
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            doomed = _go_key(item[merge_key])
            i = 0
            while i < length:
                if merge_key in backing[i] and _go_key(backing[i][merge_key]) == doomed:
                    backing[i : length - 1] = backing[i + 1 : length]
                    length -= 1
                else:
                    i += 1
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise unknown("merging lists cannot yet be specified in the patch")
        else:
            raise unknown(f"unknown patch type: {goformat.verb_s(directive)} in map: {goformat.verb_v(item)}")
    # Elements taken from the patch as they are (appended, or kept by a
    # ``$patch: replace``) are cleaned once the order is settled.
    raw: set[int] = set()
    if replace:
        original, patch, in_place = plain, [], False
        raw.update(id(v) for v in plain)
    else:
        original, patch, in_place = backing[:length], plain, True
    merged = list(original)
    for item in patch:  # mergeSliceWithoutSpecialElements
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        wanted = _go_key(item[merge_key])
        for i, current in enumerate(merged):
            if merge_key in current and _go_key(current[merge_key]) == wanted:
                merged[i] = _merge_map(current, item, schema.element())
                if id(current) in raw:
                    raw.add(id(merged[i]))
                break
        else:
            if in_place and len(merged) < size:
                backing[len(merged)] = item
            else:
                in_place = False  # append reallocates
            merged.append(item)
            raw.add(id(item))
    patch_items, server_only = _partition(merged, patch, merge_key)
    result = _normalize_order(patch_items, server_only, patch, original, merge_key)
    return _clean_raw(result, raw), backing


def _clean_raw(values: list[Any], raw: set[int]) -> list[Any]:
    """Clean the list elements that were taken from the patch unmerged."""
    if not raw:
        return values
    out: list[Any] = []
    for value in values:
        if id(value) in raw:
            value, keep = _clean(value)
            if not keep:
                continue
        out.append(value)
    return out


def _merge_list_field(
    original: list[Any], patch: list[Any], schema: PatchSchema, is_delete_list: bool
) -> tuple[list[Any], list[Any]]:
    """``mergeSliceHandler``; also returns the Go view of ``original`` (see
    :func:`_merge_slice`)."""
    if schema.strategy == "merge" or is_delete_list:
        return _merge_slice(original, patch, schema, is_delete_list)
    cleaned, _ = _clean(patch)
    return cleaned, original


def _apply_retain_keys(result: dict[str, Any], patch: dict[str, Any]) -> None:
    retain = patch[_RETAIN_KEYS]
    if not isinstance(retain, list):
        raise bad_request(_ERR_RETAIN_KEYS)
    keep = {k for k in retain if isinstance(k, str)}
    for key, value in patch.items():
        if key == _RETAIN_KEYS or value is None:
            continue
        if key.startswith(_DELETE_FROM_PRIMITIVE_LIST) or key.startswith(_SET_ELEMENT_ORDER):
            continue
        if key not in keep:
            raise bad_request(_ERR_RETAIN_KEYS)
    for key in [k for k in result if k not in keep]:
        del result[key]


def _apply_set_element_order(
    result: dict[str, Any], patch: dict[str, Any], key: str, schema: PatchSchema, done: set[str]
) -> None:
    """One ``$setElementOrder/<field>`` directive (``mergePatchIntoOriginal``)."""
    order = patch[key]
    if not isinstance(order, list):
        raise _bad_arg_type("[]interface {}", order)
    field_name = _extract_key(key, _SET_ELEMENT_ORDER, _ERR_SET_ELEMENT_ORDER)
    found_original = field_name in result
    found_patch = field_name in patch and field_name not in done
    original: list[Any] = []
    patch_list: list[Any] = []
    if found_original:
        if not isinstance(result[field_name], list):
            raise _bad_arg_type("[]interface {}", result[field_name])
        original = result[field_name]
    if found_patch:
        if not isinstance(patch[field_name], list):
            raise _bad_arg_type("[]interface {}", patch[field_name])
        patch_list = patch[field_name]
    field_schema = schema.child(field_name)
    merge_key = field_schema.merge_key
    _check_set_element_order(patch_list, order, merge_key)
    server_order = original
    if found_original and found_patch:
        merged, server_order = _merge_list_field(original, patch_list, field_schema, False)
    elif found_patch:
        merged, _ = _clean(patch_list)
    elif found_original:
        merged = original
    else:
        return
    kind = _element_kind(original, patch_list)
    key_for_kind = merge_key if kind is dict else ""
    patch_items, server_only = _partition(merged, order, key_for_kind)
    result[field_name] = _normalize_order(patch_items, server_only, order, server_order, key_for_kind)
    done.add(field_name)


def _check_set_element_order(patch_list: list[Any], order: list[Any], merge_key: str) -> None:
    """``validatePatchWithSetOrderList``: the patch list must follow the order."""
    if not order or not patch_list:
        return
    items = patch_list
    if merge_key:
        for item in patch_list:
            if not isinstance(item, dict):
                raise _bad_arg_type("map[string]interface {}", item)
        items = [v for v in patch_list if v.get(_DIRECTIVE) != "delete"]
    p = s = 0
    while p < len(items) and s < len(order):
        item = items[p]
        if isinstance(item, dict) and _DIRECTIVE in item:
            p += 1
            continue
        if merge_key:
            target = order[s]
            for side in (item, target):
                if not isinstance(side, dict):
                    raise _bad_arg_type("map[string]interface {}", side)
                if merge_key not in side:
                    raise _no_merge_key(side, merge_key)
            equal = _go_key(item[merge_key]) == _go_key(target[merge_key])
        else:
            equal = _go_key(item) == _go_key(order[s])
        if equal:
            p += 1
        s += 1
    if p < len(items) and s >= len(order):
        raise unknown(
            f"The order in patch list:\n{goformat.verb_v(patch_list)}\n doesn't match "
            f"{_SET_ELEMENT_ORDER} list:\n{goformat.verb_v(order)}\n"
        )


def _merge_map(original: dict[str, Any] | None, patch: dict[str, Any], schema: PatchSchema) -> dict[str, Any]:
    """``mergeMap`` with ``MergeParallelList`` and ``IgnoreUnmatchedNulls`` (the
    server side), copy-on-write."""
    if _DIRECTIVE in patch:
        directive = patch[_DIRECTIVE]
        if directive == "replace":
            replaced, _ = _clean({k: v for k, v in patch.items() if k != _DIRECTIVE})
            result: dict[str, Any] = replaced
            return result
        if directive == "delete":
            return {}
        raise unknown(f"unknown patch type: {goformat.verb_s(directive)} in map: {goformat.verb_v(patch)}")

    result = dict(original) if original else {}
    if _RETAIN_KEYS in patch:
        _apply_retain_keys(result, patch)

    done: set[str] = {_RETAIN_KEYS}
    for key in patch:
        if key.startswith(_SET_ELEMENT_ORDER):
            _apply_set_element_order(result, patch, key, schema, done)
            done.add(key)

    for key, value in patch.items():
        if key in done:
            continue
        is_delete_list = key.startswith(_DELETE_FROM_PRIMITIVE_LIST)
        if is_delete_list:
            key = _extract_key(key, _DELETE_FROM_PRIMITIVE_LIST, _ERR_PRIMITIVE_LIST)
        if value is None:
            result.pop(key, None)
            continue
        current: Any = result.get(key)
        if key not in result or type(current) is not type(value):
            if not is_delete_list:
                cleaned, keep = _clean(value)
                if keep:
                    result[key] = cleaned
                else:
                    result.pop(key, None)
            continue
        child = schema.child(key)
        if isinstance(value, dict):
            if child.strategy == "replace":  # kube keeps the raw value; decoding drops "$patch"
                result[key], _ = _clean({k: v for k, v in value.items() if k != _DIRECTIVE})
            else:
                result[key] = _merge_map(current, value, child)
        elif isinstance(value, list):
            result[key], _ = _merge_list_field(current, value, child, is_delete_list)
        else:
            result[key] = value
    return result


def apply_strategic_merge_patch(
    doc: dict[str, Any], patch: dict[str, Any] | None, schema: PatchSchema
) -> dict[str, Any]:
    """Apply a strategic merge patch (already decoded) to ``doc``.

    Lists whose ``schema`` has the ``merge`` strategy merge by key (objects) or
    as sets (scalars), every other list is replaced; objects merge recursively
    unless atomic; ``null`` deletes.  Directives: ``$patch: replace|delete`` (in
    objects and in merged list elements), ``$deleteFromPrimitiveList/<field>``,
    ``$setElementOrder/<field>`` and ``$retainKeys``.  ``$patch: merge`` is
    rejected, as kube-apiserver rejects it.  Merged lists keep kube's order:
    with ``$setElementOrder`` the given order, otherwise the patch's items in
    patch order with the live items interleaved where they were (new items
    come first).  Errors are the ones kube answers: 400 for a malformed
    directive, 422 for lists of lists, 500 (reason ``Unknown``) for the rest.
    A ``None`` patch changes nothing.
    """
    if patch is None:
        return doc
    if not isinstance(patch, dict):
        raise bad_request(
            f"json: cannot unmarshal {json_kind(patch)} into Go value of type map[string]interface {{}}"
        )
    return _merge_map(doc, patch, schema)


# --------------------------------------------------------------------------- apply (YAML)


#: YAML 1.1 as ``sigs.k8s.io/yaml`` (go-yaml v2) resolves it: timestamps stay strings, ``=`` is a string.
_YAMLLoader = yamljson.PyLoader
_MISSING: Any = object()


class _NotJSON(Exception):
    pass


def _yaml_to_json(value: Any) -> Any:
    """Convert loaded YAML to JSON values as ``sigs.k8s.io/yaml`` does."""
    if isinstance(value, dict):
        return {_yaml_key(k): _yaml_to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_yaml_to_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise _NotJSON(f"json: unsupported value: {goformat.verb_v(value)}")
    if isinstance(value, str):
        # A lone surrogate escape ("\\ud800") becomes U+FFFD, as Go's decoders write it.
        return value if value.isascii() else _SURROGATE.sub("\ufffd", value)
    if isinstance(value, int) and not isinstance(value, bool) and not -(1 << 63) <= value < (1 << 64):
        return float(value)  # go-yaml resolves an integer beyond int64 and uint64 as a float
    if value is None or isinstance(value, bool | int | float):
        return value
    raise _NotJSON(f"json: unsupported type: {type(value).__name__}")


_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _yaml_key(key: Any) -> str:
    if isinstance(key, str):
        return key if key.isascii() else _SURROGATE.sub("\ufffd", key)
    if isinstance(key, bool | int | float) or key is None:
        return "null" if key is None else goformat.verb_v(key)
    raise _NotJSON(f"json: unsupported type: map[{type(key).__name__}]interface {{}}")


def _go_yaml_problem(problem: str) -> str:
    """Word a PyYAML problem the way go-yaml words it, for the common ones."""
    if problem == "mapping values are not allowed here":
        return "mapping values are not allowed in this context"
    if problem.startswith("found character") and problem.endswith("that cannot start any token"):
        return "found character that cannot start any token"
    if match := re.fullmatch(r"expected (.+?), but (?:found|got) .*", problem, re.S):
        return f"did not find expected {match.group(1)}"
    return problem


def _decode_yaml(body: bytes) -> Any:
    try:
        # The C loader first (a CRD of a few hundred kB takes 50 ms rather than 600 ms); YAML it
        # refuses is read again by the pure-Python one, whose problems the messages are worded from.
        loaded = next(iter(yaml.load_all(body, Loader=yamljson.Loader)), None)
    except yaml.YAMLError:
        loaded = _MISSING
    try:
        if loaded is _MISSING:
            documents: Iterable[Any] = yaml.load_all(body, Loader=_YAMLLoader)
            loaded = next(iter(documents), None)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else 1
        problem = _go_yaml_problem(exc.problem or "")
        raise bad_request(
            f"error decoding YAML: error converting YAML to JSON: yaml: line {line}: {problem}"
        ) from None
    except yaml.YAMLError as exc:
        raise bad_request(f"error decoding YAML: error converting YAML to JSON: yaml: {exc}") from None
    try:
        return _yaml_to_json(loaded)
    except _NotJSON as exc:
        raise bad_request(f"error decoding YAML: error converting YAML to JSON: {exc}") from None


# --------------------------------------------------------------------------- dispatch


def _restful_consumes(content_type: str, accepted: tuple[str, ...]) -> bool:
    """go-restful's ``Route.matchesContentType`` for a PATCH route."""
    for media_type in (content_type or "application/octet-stream").split(","):
        if media_type.split(";", 1)[0].strip(" ") in accepted:
            return True
    return False


def apply_patch(
    content_type: str, doc: dict[str, Any], body: bytes, schema: PatchSchema | None
) -> dict[str, Any]:
    """Decode a PATCH ``body`` of ``content_type`` and apply it to ``doc``.

    ``schema`` is the kind's strategic-merge schema, or ``None`` for a custom
    resource (which, as in kube, cannot take a strategic merge patch).  Bodies
    are JSON, except ``application/apply-patch+yaml`` which is YAML (JSON being
    YAML).  Parameters after ``;`` in ``content_type`` are ignored.

    An unaccepted media type is a 415.  For a custom resource (served by the
    CRD handler) its message lists :data:`CUSTOM_RESOURCE_PATCH_CONTENT_TYPES`.
    For a built-in kind, go-restful's route matching answers first, with its
    terse ``415: Unsupported Media Type``; the handler's listing message is only
    reached by a type go-restful's laxer parsing let through (e.g. with
    surrounding blanks).

    ``application/apply-patch+yaml`` is *not* server-side apply: there are no
    managed fields, no ownership, no conflicts and no ``force``.  The applied
    configuration is merged into ``doc`` as an RFC 7386 merge patch, so lists
    it sets replace the live ones and a ``null`` deletes.  The caller creates
    the object when it does not exist (apply to ``{}``).
    """
    accepted = PATCH_CONTENT_TYPES if schema is not None else CUSTOM_RESOURCE_PATCH_CONTENT_TYPES
    if schema is not None and not _restful_consumes(content_type, accepted):
        message = "415: Unsupported Media Type"
        if not body:
            message += "\n\nAvailable representations: "
        raise StatusError(415, "UnsupportedMediaType", message, details={})
    if (index := content_type.find(";")) > 0:
        content_type = content_type[:index]
    if content_type not in accepted:
        raise unsupported_media_type("", list(accepted))
    if content_type == JSON_PATCH:
        return apply_json_patch(doc, _decode_json(body))
    if content_type == MERGE_PATCH:
        try:
            patch = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise bad_request("Invalid JSON Patch") from None
        return apply_merge_patch(doc, patch)
    if content_type == STRATEGIC_MERGE_PATCH:
        assert schema is not None
        return apply_strategic_merge_patch(doc, _decode_json(body), schema)
    applied = _decode_yaml(body)
    if applied is None:
        return doc
    return apply_merge_patch(doc, _require_object(applied))


def _require_object(applied: Any) -> dict[str, Any]:
    if not isinstance(applied, dict):
        raise bad_request(
            "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
            f"{json_kind(applied)} into Go value of type map[string]interface {{}}"
        )
    return applied


def decode_apply(body: bytes) -> dict[str, Any]:
    """Decode an ``application/apply-patch+yaml`` body into the applied object
    (what to create when the target does not exist).  Same 400s as
    :func:`apply_patch`; an empty document decodes to ``{}``."""
    applied = _decode_yaml(body)
    return {} if applied is None else _require_object(applied)


# --------------------------------------------------------------------------- schemas
#
# From the ``patchStrategy``/``patchMergeKey`` struct tags of k8s.io/api and
# k8s.io/apimachinery (``listType=map`` markers do not matter to a strategic
# merge patch; only the struct tags do).  Kinds without tagged fields (ConfigMap,
# Secret, Event, Lease, CustomResourceDefinition) only merge their metadata.

_merge = PatchSchema.merge_list
_fields = PatchSchema.fields

OBJECT_META_SCHEMA: Final = _fields(
    {"ownerReferences": _merge("uid"), "finalizers": PatchSchema.merge_primitive_list()}
)


def object_schema(members: Mapping[str, PatchSchema] | None = None) -> PatchSchema:
    """The schema of a kind: ``metadata`` (ObjectMeta) plus ``members``."""
    return _fields({"metadata": OBJECT_META_SCHEMA, **(members or {})})


#: autoscaling/v1 Scale (the ``scale`` subresource): no tagged fields.
SCALE_PATCH_SCHEMA: Final = object_schema()

