"""Kube's API definitions, and everything setpoint derives from them.

:data:`DEFINITIONS` holds kube-apiserver's component schemas of every API type
of Kubernetes 1.37 (named as kube names them, e.g. ``io.k8s.api.core.v1.Pod``)
with ``$ref``s between them: exactly the shape ``/openapi/v3`` publishes and
``kubectl explain`` walks.  They are read from ``definitions.json``, which
``scripts/gen_definitions.py`` generates from kube's published definitions.
From them, for any kind (by group, version and kind):

* :data:`BUILTIN_SCHEMAS`: the definition with every reference inlined, a
  structural schema (the ``JSONSchemaProps`` shape CRDs use), for
  :func:`unknown_fields` (kube's strict decoding: ``unknown field "spec.foo"``);
* :func:`patch_schema`: the strategic-merge-patch metadata (the Go struct tags
  ``patchStrategy``/``patchMergeKey``, published as
  ``x-kubernetes-patch-strategy``/``x-kubernetes-patch-merge-key``);
* :func:`type_node`: the list and map semantics (``x-kubernetes-list-type``,
  ``x-kubernetes-list-map-keys``, ``x-kubernetes-map-type``) of every field, as
  structured-merge-diff (server-side apply) reads them.

Inlined schemas and patch metadata are built on first use, for the kinds a
server serves.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import orjson

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding.patch import PatchSchema

#: Where ``$ref`` points in an OpenAPI v3 document.
REF_PREFIX = "#/components/schemas/"

_M = "io.k8s.apimachinery.pkg.apis.meta.v1."
_APIEXT = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1."

OBJECT_META = _M + "ObjectMeta"
LIST_META = _M + "ListMeta"
STATUS = _M + "Status"
DELETE_OPTIONS = _M + "DeleteOptions"
PATCH = _M + "Patch"
TIME = _M + "Time"
MICRO_TIME = _M + "MicroTime"
FIELDS_V1 = _M + "FieldsV1"
SCALE = "io.k8s.api.autoscaling.v1.Scale"

_DATA = orjson.loads((Path(__file__).parent / "definitions.json").read_bytes())

#: The package the definitions were generated from (``kubernetes-validate==<kube version>``).
SOURCE: str = _DATA["source"]
#: Every component schema, by kube's definition name.
DEFINITIONS: dict[str, Obj] = _DATA["schemas"]


def _gvk_definitions() -> dict[tuple[str, str, str], str]:
    out: dict[tuple[str, str, str], str] = {}
    for name, schema in DEFINITIONS.items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            out.setdefault((gvk["group"], gvk["version"], gvk["kind"]), name)
    return out


#: The definition describing each group/version/kind (kinds and their lists).
GVK_DEFINITIONS: dict[tuple[str, str, str], str] = _gvk_definitions()


# --- naming, references ---------------------------------------------------------


def definition_name(group: str, version: str, kind: str) -> str:
    """The component name of a kind: kube's for built-ins, ``<reversed group>.<version>.<Kind>`` else.

    ``stable.example.com/v1 CronTab`` is ``com.example.stable.v1.CronTab``, as
    the apiextensions-apiserver names custom resources.
    """
    known = GVK_DEFINITIONS.get((group, version, kind))
    if known is not None:
        return known
    reversed_group = ".".join(reversed(group.split("."))) if group else "io.k8s.api.core"
    return f"{reversed_group}.{version}.{kind}"


def refs_of(schema: object) -> Iterable[str]:
    """The definition names ``schema`` references directly (anywhere inside it)."""
    stack: list[object] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(REF_PREFIX):
                yield ref[len(REF_PREFIX) :]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def closure(names: Iterable[str]) -> list[str]:
    """``names`` and every definition they reference, transitively, sorted."""
    seen: set[str] = set()
    todo = [n for n in names if n in DEFINITIONS]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(r for r in refs_of(DEFINITIONS[name]) if r not in seen and r in DEFINITIONS)
    return sorted(seen)


def ref_target(schema: Obj) -> str | None:
    """The definition a schema stands for: a ``$ref``, or an ``allOf`` of one ``$ref``."""
    ref = schema.get("$ref")
    if ref is None:
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
            ref = all_of[0].get("$ref")
    if isinstance(ref, str) and ref.startswith(REF_PREFIX):
        return ref[len(REF_PREFIX) :]
    return None


# --- inlining -------------------------------------------------------------------

#: Types with their own JSON decoding (any JSON is accepted), and the recursive
#: JSONSchemaProps (checked by CRD validation): inlined as preserve-unknown-fields.
_OPAQUE = frozenset({FIELDS_V1, PATCH, "io.k8s.apimachinery.pkg.runtime.RawExtension", _APIEXT + "JSONSchemaProps"})
_SCHEMA_ONLY = ("allOf", "default", "$ref")


def _inline(schema: Obj, stack: tuple[str, ...]) -> Obj:
    target = ref_target(schema)
    if target is not None:
        out = _inline_ref(target, stack)
        for key, value in schema.items():
            if key not in _SCHEMA_ONLY:
                out[key] = value
        return out
    out = {}
    for key, value in schema.items():
        if key == "properties":
            out[key] = {name: _inline(sub, stack) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _inline(value, stack)
        elif key != "default":
            out[key] = value  # immutable leaves (strings, lists of names) are shared
    return out


def _inline_ref(name: str, stack: tuple[str, ...]) -> Obj:
    schema = DEFINITIONS[name]
    if name in _OPAQUE or name in stack:
        out = {k: v for k, v in schema.items() if k in ("description", "type")}
        out["x-kubernetes-preserve-unknown-fields"] = True
        return out
    out = _inline(schema, (*stack, name))
    out.pop("x-kubernetes-group-version-kind", None)
    return out


def inline(name: str) -> Obj:
    """The definition ``name`` with every reference inlined: a structural schema.

    A new object each call; a recursive reference becomes a
    ``x-kubernetes-preserve-unknown-fields`` object.
    """
    out = _inline(DEFINITIONS[name], (name,))
    out.pop("x-kubernetes-group-version-kind", None)
    return out


class _InlinedKinds(Mapping[tuple[str, str, str], Obj]):
    """The inlined schema of every kind (not lists), by (group, version, kind), built on first use."""

    def __init__(self) -> None:
        self._kinds = {gvk: name for gvk, name in GVK_DEFINITIONS.items() if not gvk[2].endswith("List")}
        self._built: dict[tuple[str, str, str], Obj] = {}

    def __getitem__(self, gvk: tuple[str, str, str]) -> Obj:
        found = self._built.get(gvk)
        if found is None:
            found = self._built[gvk] = inline(self._kinds[gvk])
        return found

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def __contains__(self, gvk: object) -> bool:
        return gvk in self._kinds


#: Structural (fully inlined) schemas of the built-in kinds, by (group, version, kind).
#: Treat them as read-only: they are shared by every server.
BUILTIN_SCHEMAS: Mapping[tuple[str, str, str], Obj] = _InlinedKinds()


# --- list/map semantics -----------------------------------------------------------


class TypeNode:
    """One node of a definition, references followed: what server-side apply reads of it.

    ``kind`` is ``struct``, ``map``, ``list``, ``scalar`` or ``untyped``;
    ``list_type`` is ``atomic`` (kube's default), ``set`` or ``map`` (with
    ``list_map_keys``); ``map_type`` is ``granular`` (the default) or
    ``atomic``.  :meth:`field`, :meth:`elements` and :meth:`values` walk on.
    """

    __slots__ = ("definition", "schema")

    def __init__(self, schema: Obj, definition: str = "") -> None:
        target = ref_target(schema)
        if target is not None:
            merged = dict(DEFINITIONS[target])
            merged.update((k, v) for k, v in schema.items() if k not in _SCHEMA_ONLY)
            schema, definition = merged, target
        self.schema = schema
        self.definition = definition

    @property
    def kind(self) -> str:
        s = self.schema
        if s.get("type") == "array":
            return "list"
        if "properties" in s:
            return "struct"
        if isinstance(s.get("additionalProperties"), dict):
            return "map"
        if s.get("type") in ("string", "integer", "number", "boolean") or "oneOf" in s:
            return "scalar"
        return "untyped"

    @property
    def list_type(self) -> str:
        return str(self.schema.get("x-kubernetes-list-type") or "atomic")

    @property
    def list_map_keys(self) -> tuple[str, ...]:
        return tuple(self.schema.get("x-kubernetes-list-map-keys") or ())

    @property
    def map_type(self) -> str:
        return str(self.schema.get("x-kubernetes-map-type") or "granular")

    @property
    def patch_strategy(self) -> tuple[str, ...]:
        value = self.schema.get("x-kubernetes-patch-strategy")
        return tuple(value.split(",")) if isinstance(value, str) and value else ()

    @property
    def patch_merge_key(self) -> str:
        return str(self.schema.get("x-kubernetes-patch-merge-key") or "")

    def field(self, name: str) -> TypeNode | None:
        sub = (self.schema.get("properties") or {}).get(name)
        return TypeNode(sub) if isinstance(sub, dict) else None

    def fields(self) -> Iterator[tuple[str, TypeNode]]:
        for name, sub in (self.schema.get("properties") or {}).items():
            yield name, TypeNode(sub)

    def elements(self) -> TypeNode | None:
        items = self.schema.get("items")
        return TypeNode(items) if isinstance(items, dict) else None

    def values(self) -> TypeNode | None:
        values = self.schema.get("additionalProperties")
        return TypeNode(values) if isinstance(values, dict) else None


def type_node(group: str, version: str, kind: str) -> TypeNode | None:
    """The root :class:`TypeNode` of a built-in kind, or None (not a built-in)."""
    name = GVK_DEFINITIONS.get((group, version, kind))
    return TypeNode(DEFINITIONS[name], name) if name is not None else None


# --- strategic merge patch ----------------------------------------------------------


class _PatchFields(Mapping[str, PatchSchema]):
    """The fields of a struct, their patch metadata derived on first access (so that
    recursive definitions, e.g. JSONSchemaProps, need no eager walk)."""

    def __init__(self, node: TypeNode) -> None:
        self._props: Obj = node.schema.get("properties") or {}
        self._built: dict[str, PatchSchema] = {}

    def __getitem__(self, key: str) -> PatchSchema:
        found = self._built.get(key)
        if found is None:
            found = self._built[key] = _patch_schema_of(TypeNode(self._props[key]))
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._props)

    def __len__(self) -> int:
        return len(self._props)

    def __contains__(self, key: object) -> bool:
        return key in self._props


@functools.cache
def _struct_patch_schema(name: str) -> PatchSchema:
    return PatchSchema(members=_PatchFields(TypeNode(DEFINITIONS[name], name)))


def _element_schema(node: TypeNode | None) -> PatchSchema | None:
    if node is None:
        return None
    if node.kind == "struct":
        return _struct_patch_schema(node.definition) if node.definition else _patch_schema_of(node)
    if node.kind in ("map", "list"):
        return _patch_schema_of(node)
    return None


def _patch_schema_of(node: TypeNode) -> PatchSchema:
    strategy = node.patch_strategy
    retain_keys = "retainKeys" in strategy
    kind = node.kind
    if kind == "list":
        if "merge" in strategy:
            key = node.patch_merge_key
            if key:
                return PatchSchema.merge_list(key, _element_schema(node.elements()), retain_keys=retain_keys)
            return PatchSchema.merge_primitive_list()
        return PatchSchema()  # replaced whole, as an untagged Go slice
    if "replace" in strategy:
        return PatchSchema.atomic()
    if kind == "struct":
        if node.definition and not retain_keys:
            return _struct_patch_schema(node.definition)
        return PatchSchema(members=_PatchFields(node), retain_keys=retain_keys)
    if kind == "map":
        values = _element_schema(node.values())
        return PatchSchema.map_of(values) if values is not None else PatchSchema()
    return PatchSchema()


def patch_schema(group: str, version: str, kind: str) -> PatchSchema | None:
    """The strategic-merge-patch metadata of a built-in kind, or None (not a built-in)."""
    name = GVK_DEFINITIONS.get((group, version, kind))
    return _struct_patch_schema(name) if name is not None else None


def definition_patch_schema(name: str) -> PatchSchema:
    """The strategic-merge-patch metadata of the definition ``name``."""
    return _struct_patch_schema(name)


# --- unknown fields -----------------------------------------------------------


_OBJECT_META_INLINE = inline(OBJECT_META)


def unknown_fields(obj: object, schema: Obj, path: str = "", *, prune: bool = False) -> list[str]:
    """The fields of ``obj`` that ``schema`` does not declare, as kube names them.

    Paths are those of kube-apiserver's strict decoding errors
    (``unknown field "spec.foo"``): dot-separated field names, ``[i]`` for
    list items, map keys as fields. ``additionalProperties``,
    ``x-kubernetes-preserve-unknown-fields`` and
    ``x-kubernetes-embedded-resource`` are honoured; at the root (``path``
    empty) and in embedded resources ``apiVersion``, ``kind`` and ``metadata``
    (as ObjectMeta) are always known. An object schema with neither
    ``properties`` nor ``additionalProperties`` declares no field at all.
    Nothing is allocated but the result when every field is known. With
    ``prune`` the unknown fields are also removed from ``obj`` (in place), as
    decoding into kube's typed structs drops them.
    """
    stack: list[str | int] = []
    found = _walk(obj, schema, stack, None, not path, prune)
    if found is None:
        return []
    if path:
        return [f"{path}{p}" if p.startswith("[") else f"{path}.{p}" for p in found]
    return found


def _format_path(stack: list[str | int]) -> str:
    parts: list[str] = []
    for item in stack:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif parts:
            parts.append("." + item)
        else:
            parts.append(item)
    return "".join(parts)


def _walk(
    value: object, schema: Obj, stack: list[str | int], out: list[str] | None, resource: bool, prune: bool
) -> list[str] | None:
    if isinstance(value, dict):
        props: Obj | None = schema.get("properties")
        additional = schema.get("additionalProperties")
        preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
        resource = resource or schema.get("x-kubernetes-embedded-resource") is True
        if (
            props is None
            and additional is None
            and not resource
            and (preserve or schema.get("type") != "object")
        ):
            return out
        unknown: list[str] | None = None
        for key, child in value.items():
            sub = props.get(key) if props is not None else None
            if resource and key in ("apiVersion", "kind", "metadata"):
                if key != "metadata":
                    continue
                if sub is None or "properties" not in sub:
                    sub = _OBJECT_META_INLINE
            if sub is None:
                if isinstance(additional, dict):
                    sub = additional
                elif additional is True or preserve:
                    continue
                else:
                    stack.append(key)
                    if out is None:
                        out = []
                    out.append(_format_path(stack))
                    stack.pop()
                    if prune:
                        unknown = [*(unknown or ()), key]
                    continue
            if isinstance(child, dict | list):
                stack.append(key)
                out = _walk(child, sub, stack, out, False, prune)
                stack.pop()
        for key in unknown or ():
            del value[key]
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for index, child in enumerate(value):
                if isinstance(child, dict | list):
                    stack.append(index)
                    out = _walk(child, items, stack, out, False, prune)
                    stack.pop()
    return out
