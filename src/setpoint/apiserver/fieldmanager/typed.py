"""Objects against their schema: field sets, merges, comparisons and removals
(structured-merge-diff's ``schema`` and ``typed``).

An :class:`Atom` is compiled from a structural schema (the inlined built-in
definitions or a CRD's ``openAPIV3Schema``) lazily, field by field, and cached.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from setpoint.apimachinery import goformat
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin import definitions
from setpoint.apiserver.fieldmanager.fieldpath import Path, Set, field, key, path_string, sort_elements, value


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: An absent value (a JSON null is ``None``).
MISSING: Final = _Missing()

#: Key fields kube's schemas default (``ContainerPort.protocol`` and the like).
_KEY_DEFAULTS = {"protocol": "TCP"}


class TypedError(Exception):
    """An object that does not fit its schema as structured-merge-diff requires."""


class Atom:
    """One schema node: ``scalar``, ``map`` (structs and maps), ``list`` or ``untyped``."""

    __slots__ = ("_elem", "_fields", "_schema", "atomic", "keys", "kind", "scalar")

    def __init__(self, schema: Obj, extra_fields: dict[str, Atom] | None = None) -> None:
        self._schema = schema
        self._fields: dict[str, Atom] = dict(extra_fields or {})
        self._elem: Atom | None = None
        self.keys: tuple[str, ...] = ()
        self.atomic = False
        t = schema.get("type")
        #: A scalar's type as structured-merge-diff checks it: string, numeric, boolean ("" any).
        self.scalar = ""
        if schema.get("x-kubernetes-int-or-string") or t in ("string", "integer", "number", "boolean"):
            self.kind = "scalar"
            if not schema.get("x-kubernetes-int-or-string"):
                self.scalar = {"integer": "numeric", "number": "numeric"}.get(str(t), str(t))
        elif t == "array":
            self.kind = "list"
            list_type = schema.get("x-kubernetes-list-type")
            merge_key = schema.get("x-kubernetes-patch-merge-key")
            if list_type == "map":
                self.keys = tuple(schema.get("x-kubernetes-list-map-keys") or ())
            elif list_type == "set":
                pass
            elif list_type is None and "merge" in str(schema.get("x-kubernetes-patch-strategy") or "") and merge_key:
                self.keys = (merge_key,)
            else:
                self.atomic = True
        elif ("properties" in schema or isinstance(schema.get("additionalProperties"), dict) or extra_fields
              or (t == "object" and not schema.get("x-kubernetes-preserve-unknown-fields"))):
            self.kind = "map"
            self.atomic = schema.get("x-kubernetes-map-type") == "atomic"
        else:
            self.kind = "untyped"

    def field(self, name: str) -> Atom | None:
        """The declared field ``name`` (None: not declared)."""
        found = self._fields.get(name)
        if found is None:
            sub = (self._schema.get("properties") or {}).get(name)
            if not isinstance(sub, dict):
                return None
            found = self._fields[name] = compile_schema(sub)
        return found

    def elem(self) -> Atom:
        """The type of map values / list items not declared as fields."""
        if self._elem is None:
            s = self._schema
            sub = s.get("items") if self.kind == "list" else s.get("additionalProperties")
            self._elem = compile_schema(sub) if isinstance(sub, dict) else UNTYPED
        return self._elem

    def child(self, name: str) -> Atom:
        return self.field(name) or self.elem()


def compile_schema(schema: Obj) -> Atom:
    if schema.get("x-kubernetes-embedded-resource"):
        return Atom(schema, _embedded_fields())
    return Atom(schema)


_OBJECT_META: list[Atom] = []


def object_meta() -> Atom:
    if not _OBJECT_META:
        from_defs = _object_meta_schema()
        _OBJECT_META.append(Atom(from_defs))
    return _OBJECT_META[0]


def _object_meta_schema() -> Obj:
    return definitions.inline(definitions.OBJECT_META)


_SCALAR_SCHEMA: Obj = {"type": "string"}


def _embedded_fields() -> dict[str, Atom]:
    return {"apiVersion": Atom(_SCALAR_SCHEMA), "kind": Atom(_SCALAR_SCHEMA), "metadata": object_meta()}


def root(schema: Obj | None) -> Atom:
    """The root type of a kind: its schema, with ``apiVersion``, ``kind`` and ObjectMeta."""
    return Atom(schema or {"type": "object", "x-kubernetes-preserve-unknown-fields": True}, _embedded_fields())


UNTYPED: Final = Atom({})


def _deduce(atom: Atom, v: Any) -> str:
    """What kind of node ``v`` is under ``atom`` (untyped: from the value)."""
    if atom.kind != "untyped":
        return atom.kind
    if isinstance(v, dict):
        return "map"
    if isinstance(v, list):
        return "atomic-list"
    return "scalar"


def _equal(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool) and not isinstance(b, bool):
            return bool(a == b)
        return False
    if isinstance(a, dict | list):
        return orjson.dumps(a, option=orjson.OPT_SORT_KEYS) == orjson.dumps(b, option=orjson.OPT_SORT_KEYS)
    return bool(a == b)


def item_element(atom: Atom, item: Any) -> str:
    """The path element of an associative list's item."""
    if atom.keys:
        if not isinstance(item, dict):
            raise TypedError("associative list with keys may not have non-map elements")
        fields = []
        for k in atom.keys:
            if k in item:
                fields.append((k, item[k]))
            elif k in _KEY_DEFAULTS:
                fields.append((k, _KEY_DEFAULTS[k]))
        if not fields:
            raise TypedError(f"associative list with keys has an element that omits all key fields {list(atom.keys)!r}")
        return key(fields)
    if isinstance(item, dict):
        raise TypedError("associative list without keys has an element that's a map type")
    if isinstance(item, list):
        raise TypedError("not supported: associative list with lists as elements")
    if item is None:
        raise TypedError("associative list without keys has an element that's an explicit null")
    return value(item)


def _index(atom: Atom, items: list[Any], allow_duplicates: bool) -> tuple[list[str], dict[str, Any]]:
    pes: list[str] = []
    seen: dict[str, Any] = {}
    for item in items:
        pe = item_element(atom, item)
        if pe in seen:
            if not allow_duplicates:
                raise TypedError(f"duplicate entries for key {pe[2:]}")
            seen[pe] = None
        else:
            seen[pe] = item
        pes.append(pe)
    return pes, seen


# --- field sets -------------------------------------------------------------------


def to_set(v: Any, atom: Atom) -> Set:
    """The fields ``v`` sets (``ToFieldSet``)."""
    out = Set()
    _to_set(v, atom, (), out)
    return out


def _to_set(v: Any, atom: Atom, path: Path, out: Set) -> None:
    kind = _deduce(atom, v)
    if kind == "scalar" or kind == "atomic-list":
        if atom.scalar and v is not None and not _is_scalar(atom.scalar, v):
            expected = "numeric (int or float)" if atom.scalar == "numeric" else atom.scalar
            raise TypedError(f"{_where(path)}expected {expected}, got {_go_value(v)}")
        out.insert(path)
    elif kind == "list":
        if atom.atomic:
            out.insert(path)
            return
        if not isinstance(v, list):
            if v is not None:
                raise TypedError(f"{_where(path)}expected list, got {_go_value(v)}")
            return
        elem = atom.elem()
        seen: set[str] = set()
        for item in v:
            pe = item_element(atom, item)
            child = (*path, pe)
            if pe not in seen:
                _to_set(item, elem, child, out)
            seen.add(pe)
            out.insert(child)
    else:
        if atom.atomic:
            out.insert(path)
            return
        if not isinstance(v, dict):
            if v is not None:
                raise TypedError(f"{_where(path)}expected map, got {_go_value(v)}")
            return
        for k, val in v.items():
            sub = atom.field(k)
            child = (*path, field(k))
            _to_set(val, sub or atom.elem(), child, out)
            if val is None or (isinstance(val, dict) and not val) or sub is None:
                out.insert(child)


def _is_scalar(scalar: str, v: Any) -> bool:
    if scalar == "string":
        return isinstance(v, str)
    if scalar == "boolean":
        return isinstance(v, bool)
    return isinstance(v, int | float) and not isinstance(v, bool)


def _go_value(v: Any) -> str:
    """A value as structured-merge-diff prints one (``%v`` of its unstructured value: ``&{5}``)."""
    return "&{" + goformat.verb_v(v) + "}"


def _where(path: Path) -> str:
    return f"{path_string(path)}: " if path else ""


def ensure_named_fields(s: Set, atom: Atom) -> Set:
    """``s`` plus the declared (struct) fields its paths go through (``EnsureNamedFieldsAreMembers``)."""
    out = Set()
    out.members = set(s.members)
    for pe, child in s.children.items():
        if pe[0] == "f":
            name = pe[2:]
            sub = atom.field(name) if atom.kind in ("map", "untyped") else None
            if sub is not None:
                out.members.add(pe)
            child_atom = sub or (atom.elem() if atom.kind == "map" else UNTYPED)
        elif pe[0] == "k" and atom.kind == "list":
            child_atom = atom.elem()
        else:
            child_atom = UNTYPED
        out.children[pe] = ensure_named_fields(child, child_atom)
    return out


# --- merge ----------------------------------------------------------------------------


def merge(lhs: Any, rhs: Any, atom: Atom) -> Any:
    """``rhs`` merged onto ``lhs`` (``TypedValue.Merge``): leaves and atomic values from
    ``rhs``; granular maps key by key; associative lists item by item."""
    if rhs is MISSING:
        return lhs
    if lhs is MISSING:
        return rhs
    kind = _deduce(atom, rhs)
    if kind == "list" and not atom.atomic and isinstance(lhs, list) and isinstance(rhs, list) and (lhs or rhs):
        return _merge_lists(lhs, rhs, atom)
    if kind == "map" and not atom.atomic and isinstance(lhs, dict) and isinstance(rhs, dict) and (lhs or rhs):
        out = {}
        for k in [*lhs, *(k for k in rhs if k not in lhs)]:
            merged = merge(lhs.get(k, MISSING), rhs.get(k, MISSING), atom.child(k))
            if merged is not MISSING:
                out[k] = merged
        return out
    if kind == "map" and not atom.atomic and rhs is None and isinstance(lhs, dict) and lhs:
        return lhs
    return rhs


def _merge_lists(lhs: list[Any], rhs: list[Any], atom: Atom) -> list[Any]:
    elem = atom.elem()
    rpes, obs_r = _index(atom, rhs, False)
    lpes, obs_l = _index(atom, lhs, True)
    shared = [pe for pe in rpes if pe in obs_l]
    shared.reverse()
    next_shared = shared.pop() if shared else None
    merged_r: set[str] = set()
    out: list[Any] = []
    li = ri = 0
    while li < len(lpes) or ri < len(rpes):
        if li < len(lpes) and ri < len(rpes):
            pe = lpes[li]
            if pe == rpes[ri]:
                merged_r.add(pe)
                out.append(merge(obs_l[pe] if obs_l[pe] is not None else MISSING, obs_r[pe], elem))
                li += 1
                ri += 1
                next_shared = shared.pop() if shared else None
                continue
            if pe in obs_r and next_shared is not None and next_shared != pe:
                li += 1
                continue
        if li < len(lpes):
            pe = lpes[li]
            if pe not in obs_r:
                out.append(lhs[li])
                li += 1
                continue
            if pe in merged_r:
                li += 1
        if ri < len(rpes):
            pe = rpes[ri]
            merged_r.add(pe)
            left = obs_l.get(pe)
            out.append(merge(left if left is not None else MISSING, obs_r[pe], elem))
            ri += 1
            if next_shared is not None and next_shared == pe:
                next_shared = shared.pop() if shared else None
    return out


# --- compare ---------------------------------------------------------------------------


class Comparison:
    """Fields added, modified and removed going from one object to another."""

    __slots__ = ("added", "modified", "removed")

    def __init__(self) -> None:
        self.added = Set()
        self.modified = Set()
        self.removed = Set()

    def same(self) -> bool:
        return self.added.empty() and self.modified.empty() and self.removed.empty()


def compare(lhs: Any, rhs: Any, atom: Atom) -> Comparison:
    out = Comparison()
    _compare(lhs, rhs, atom, (), out)
    return out


def _compare(lhs: Any, rhs: Any, atom: Atom, path: Path, out: Comparison) -> None:
    if lhs is rhs and lhs is not MISSING:
        return  # one value on both sides (a patch shares what it leaves alone): nothing changed
    if (lhs is MISSING or rhs is MISSING) and path:
        # A node only one side has: it and everything beneath it, in one walk.
        one = rhs if lhs is MISSING else lhs
        (out.added if lhs is MISSING else out.removed).insert_tree(
            path, added_set(one, atom) if isinstance(one, dict | list) and one else None)
        return
    kind = _deduce(atom, rhs)
    leaf = kind in ("scalar", "atomic-list") or atom.atomic
    if not leaf and kind == "list":
        lval = lhs if isinstance(lhs, list) else []
        rval = rhs if isinstance(rhs, list) else []
        if not lval and not rval:
            leaf = True
        else:
            elem = atom.elem()
            _, obs_l = _index(atom, lval, True)
            _, obs_r = _index(atom, rval, True)
            for pe in [*obs_l, *(p for p in obs_r if p not in obs_l)]:
                lv, rv = obs_l.get(pe, MISSING), obs_r.get(pe, MISSING)
                _compare(MISSING if lv is None and pe not in obs_l else lv,
                         MISSING if rv is None and pe not in obs_r else rv, elem, (*path, pe), out)
    elif not leaf:
        lmap: dict[str, Any] = lhs if isinstance(lhs, dict) else {}
        rmap: dict[str, Any] = rhs if isinstance(rhs, dict) else {}
        if not lmap and not rmap:
            leaf = True
        else:
            for k in [*lmap, *(k for k in rmap if k not in lmap)]:
                _compare(lmap.get(k, MISSING), rmap.get(k, MISSING), atom.child(k), (*path, field(k)), out)
    if leaf:
        if lhs is MISSING:
            out.added.insert(path)
        elif rhs is MISSING:
            out.removed.insert(path)
        elif not _equal(lhs, rhs):
            out.modified.insert(path)
        return
    if lhs is MISSING:
        out.added.insert(path)
    elif rhs is MISSING:
        out.removed.insert(path)


# --- the fields of new values, as FieldsV1 ------------------------------------------------


def added_fields(v: Any, atom: Atom) -> dict[str, Any] | None:
    """The FieldsV1 beneath a node new to an object (``compare(MISSING, v)``'s added set
    under it, encoded), built in one walk; ``None`` when the node is a leaf."""
    kind = _deduce(atom, v)
    if kind == "scalar" or kind == "atomic-list" or atom.atomic:
        return None
    if kind == "list":
        if not isinstance(v, list) or not v:
            return None
        elem = atom.elem()
        _, items = _index(atom, v, True)
        return {pe: added_node(items[pe], elem) for pe in sort_elements(items)}
    if not isinstance(v, dict) or not v:
        return None
    # Field elements sort as their names do. A scalar or empty value is a leaf whatever its type
    # says (added_fields is None for it): no type looked up.
    child = atom.child
    return {"f:" + k: added_node(x, child(k)) if isinstance(x := v[k], dict | list) and x else {}
            for k in sorted(v)}


def added_set(v: Any, atom: Atom) -> Set | None:
    """What is beneath a node new to an object (``compare(MISSING, v)``'s added set under
    it), built in one walk; ``None`` when the node is a leaf or has nothing beneath it."""
    kind = _deduce(atom, v)
    if kind == "scalar" or kind == "atomic-list" or atom.atomic:
        return None
    out = Set()
    if kind == "list":
        if not isinstance(v, list) or not v:
            return None
        elem = atom.elem()
        _, items = _index(atom, v, True)
        out.members.update(items)
        for pe, item in items.items():
            if isinstance(item, dict | list) and item and (sub := added_set(item, elem)) is not None:
                out.children[pe] = sub
        return out
    if not isinstance(v, dict) or not v:
        return None
    child = atom.child
    for k, x in v.items():
        pe = "f:" + k
        out.members.add(pe)
        if isinstance(x, dict | list) and x and (sub := added_set(x, child(k))) is not None:
            out.children[pe] = sub
    return out


def added_node(v: Any, atom: Atom) -> dict[str, Any]:
    """The FieldsV1 of a node new to an object: ``{}`` for a leaf, else ``.`` and what is beneath."""
    children = added_fields(v, atom)
    return {} if children is None else {".": {}, **children}


# --- removal ------------------------------------------------------------------------------


def remove_items(v: Any, to_remove: Set, atom: Atom) -> Any:
    """``v`` without the fields and items of ``to_remove`` (``RemoveItems``); an emptied
    map or list gives MISSING, so its field goes too."""
    kind = _deduce(atom, v)
    if kind == "list" and not atom.atomic and isinstance(v, list) and v:
        elem = atom.elem()
        items = []
        for item in v:
            pe = item_element(atom, item)
            if pe in to_remove.members:
                continue
            sub = to_remove.children.get(pe)
            if sub is not None and not sub.empty():
                item = remove_items(item, sub, elem)
                if item is MISSING:
                    continue
            items.append(item)
        return items if items else MISSING
    if kind == "map" and not atom.atomic and isinstance(v, dict) and v:
        out = {}
        for k, val in v.items():
            pe = field(k)
            if pe in to_remove.members:
                continue
            sub = to_remove.children.get(pe)
            if sub is not None and not sub.empty():
                val = remove_items(val, sub, atom.child(k))
                if val is MISSING:
                    continue
            out[k] = val
        return out if out else MISSING
    return v
