"""Sets of field paths, and their FieldsV1 encoding (structured-merge-diff's ``fieldpath``).

A path element is kept in its serialized form: ``f:name`` (a field), ``k:{"name":"x"}``
(an associative-list item by its keys), ``v:"x"`` (a set item), ``i:3`` (an index).
A :class:`Set` holds the elements that end a path at this level (``members``) and a
sub-set per element that paths continue through (``children``), as kube's does.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

Path = tuple[str, ...]


def field(name: str) -> str:
    return "f:" + name


def key(fields: list[tuple[str, Any]]) -> str:
    """The element of a keyed list item: its key fields sorted by name, as JSON."""
    return "k:" + orjson.dumps(dict(sorted(fields))).decode()


def value(v: Any) -> str:
    return "v:" + orjson.dumps(v).decode()


# --- ordering, as PathElement.Compare / value.Compare ---------------------------------


def _value_rank(v: Any) -> int:
    if isinstance(v, bool):
        return 3
    if isinstance(v, int | float):
        return 1
    if isinstance(v, str):
        return 2
    if isinstance(v, list):
        return 4
    if isinstance(v, dict):
        return 5
    return 6


def _compare_values(a: Any, b: Any) -> int:
    ra, rb = _value_rank(a), _value_rank(b)
    if ra != rb:
        return -1 if ra < rb else 1
    if ra in (1, 2, 3):
        return int((a > b) - (a < b))
    if ra == 4:
        for x, y in zip(a, b, strict=False):
            c = _compare_values(x, y)
            if c:
                return c
        return (len(a) > len(b)) - (len(a) < len(b))
    if ra == 5:
        return _compare_fields(sorted(a.items()), sorted(b.items()))
    return 0


def _compare_fields(a: list[tuple[str, Any]], b: list[tuple[str, Any]]) -> int:
    for (na, va), (nb, vb) in zip(a, b, strict=False):
        if na != nb:
            return -1 if na < nb else 1
        c = _compare_values(va, vb)
        if c:
            return c
    return (len(a) > len(b)) - (len(a) < len(b))


_TYPE_RANK = {"f": 0, "k": 1, "v": 2, "i": 3}


def _compare_elements(a: str, b: str) -> int:
    ta, tb = _TYPE_RANK.get(a[0], 4), _TYPE_RANK.get(b[0], 4)
    if ta != tb:
        return -1 if ta < tb else 1
    if ta == 0:
        return (a > b) - (a < b)
    va, vb = orjson.loads(a[2:]), orjson.loads(b[2:])
    if ta == 1:
        return _compare_fields(sorted(va.items()), sorted(vb.items()))
    return _compare_values(va, vb)


sort_key = functools.cmp_to_key(_compare_elements)


def sort_elements(elements: Iterable[str]) -> list[str]:
    """``elements`` in kube's order. Field elements (``f:``, most of them) order as their strings
    do: only a list with another kind is sorted again by :data:`sort_key`."""
    out = sorted(elements)
    if out and (out[0][0] != "f" or out[-1][0] != "f"):
        out.sort(key=sort_key)
    return out


def element_string(pe: str) -> str:
    """An element as ``Path.String`` prints it: ``.name``, ``[name="x"]``, ``[="x"]``, ``[3]``."""
    kind, text = pe[0], pe[2:]
    if kind == "f":
        return "." + text
    if kind == "i":
        return f"[{text}]"
    if kind == "v":
        return "[=" + _value_string(orjson.loads(text)) + "]"
    fields = orjson.loads(text)
    return "[" + ",".join(f"{k}={_value_string(v)}" for k, v in sorted(fields.items())) + "]"


def _value_string(v: Any) -> str:
    if isinstance(v, str):
        return orjson.dumps(v).decode()
    return orjson.dumps(v).decode()


def path_string(path: Path) -> str:
    return "".join(element_string(pe) for pe in path)


# --- sets ---------------------------------------------------------------------------


class Set:
    """A set of paths, as a tree."""

    __slots__ = ("_fields", "children", "members")

    def __init__(self) -> None:
        self.members: set[str] = set()
        self.children: dict[str, Set] = {}
        #: :meth:`to_fields` once asked for (a FieldsV1 object, never changed once made).
        self._fields: dict[str, Any] | None = None

    @classmethod
    def of(cls, *paths: Path) -> Set:
        s = cls()
        for p in paths:
            s.insert(p)
        return s

    def insert(self, path: Path) -> None:
        if not path:
            return
        node = self
        self._fields = None
        for pe in path[:-1]:
            child = node.children.get(pe)
            if child is None:
                child = node.children[pe] = Set()
            node = child
            node._fields = None
        node.members.add(path[-1])

    def insert_tree(self, path: Path, beneath: Set | None) -> None:
        """:meth:`insert` ``path``, with ``beneath`` (a set being built, taken over) as what is
        under it."""
        self.insert(path)
        if beneath is None or not path:
            return
        node = self
        for pe in path[:-1]:
            node = node.children[pe]
        have = node.children.get(path[-1])
        node.children[path[-1]] = beneath if have is None else have.union(beneath)

    def descend(self, pe: str) -> Set:
        self._fields = None
        child = self.children.get(pe)
        if child is None:
            child = self.children[pe] = Set()
        return child

    def has(self, path: Path) -> bool:
        node: Set | None = self
        for pe in path[:-1]:
            node = node.children.get(pe) if node is not None else None
            if node is None:
                return False
        return node is not None and bool(path) and path[-1] in node.members

    def with_prefix(self, pe: str) -> Set:
        return self.children.get(pe) or _EMPTY

    def empty(self) -> bool:
        if self.members:
            return False
        return all(c.empty() for c in self.children.values())

    def copy(self) -> Set:
        out = Set()
        out.members = set(self.members)
        out.children = {pe: c.copy() for pe, c in self.children.items()}
        return out

    # The operations below build new sets that share every subtree (and members set) they
    # leave unchanged, and answer an operand itself when nothing changes: a set is never
    # changed once built (only :meth:`insert`, :meth:`descend` and :meth:`from_fields` write,
    # and only to a set they are building).

    def union(self, other: Set) -> Set:
        if other is self or other.empty():
            return self
        if self.empty():
            return other
        members = self.members
        if not other.members <= members:
            members = members | other.members
        children = self.children
        for pe, b in other.children.items():
            a = children.get(pe)
            sub = b if a is None else a.union(b)
            if sub is not a:
                if children is self.children:
                    children = dict(children)
                children[pe] = sub
        if members is self.members and children is self.children:
            return self
        out = Set()
        out.members, out.children = members, children
        return out

    def intersection(self, other: Set) -> Set:
        out = Set()
        out.members = self.members & other.members
        for pe, a in self.children.items():
            b = other.children.get(pe)
            if b is not None:
                sub = a.intersection(b)
                if not sub.empty():
                    out.children[pe] = sub
        return out

    def difference(self, other: Set) -> Set:
        """Leaves of ``self`` not in ``other`` (a parent minus its child keeps the parent)."""
        return self._without(other, False)

    def recursive_difference(self, other: Set) -> Set:
        """``self`` without every path of ``other`` and everything under them."""
        return self._without(other, True)

    def _without(self, other: Set, recursive: bool) -> Set:
        if other is self:
            return Set()
        members = self.members
        if other.members and not members.isdisjoint(other.members):
            members = members - other.members
        children = self.children
        if other.members or other.children:
            for pe, a in self.children.items():
                if recursive and pe in other.members:
                    sub: Set | None = None
                else:
                    b = other.children.get(pe)
                    if b is None:
                        continue
                    sub = a._without(b, recursive)
                    if sub is a:
                        continue
                    if sub.empty():
                        sub = None
                if children is self.children:
                    children = dict(children)
                if sub is None:
                    del children[pe]
                else:
                    children[pe] = sub
        if members is self.members and children is self.children:
            return self
        out = Set()
        out.members, out.children = members, children
        return out

    def paths(self, prefix: Path = ()) -> Iterator[Path]:
        """Every path, in kube's order (a member before the paths under it)."""
        for pe in sort_elements(self.members | self.children.keys()):
            if pe in self.members:
                yield (*prefix, pe)
            child = self.children.get(pe)
            if child is not None:
                yield from child.paths((*prefix, pe))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Set):
            return NotImplemented
        return self.to_fields() == other.to_fields()

    def __repr__(self) -> str:
        return f"Set({self.to_fields()!r})"

    # --- FieldsV1 ---------------------------------------------------------------

    def to_fields(self) -> dict[str, Any]:
        """The FieldsV1 object: element keys sorted as kube sorts them, ``.`` for a member
        that also has children. Made once per set: the same object each time, which no one
        changes (objects share their FieldsV1 values, as the watch cache does)."""
        fields = self._fields
        if fields is None:
            fields = self._fields = self._emit(False)
        return fields

    def _emit(self, include_self: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if include_self and (self.members or self.children):
            out["."] = {}
        for pe in sort_elements(self.members | self.children.keys()):
            child = self.children.get(pe)
            if child is None or child.empty():
                out[pe] = {}
            else:
                out[pe] = child._emit(pe in self.members)
        return out

    @classmethod
    def from_fields(cls, fields: Any) -> Set:
        """Decode a FieldsV1 object (ValueError when it is not one)."""
        if not isinstance(fields, dict):
            raise ValueError("FieldsV1 must be an object")
        s = cls()
        for pe, sub in fields.items():
            if pe == ".":
                continue
            if not isinstance(pe, str) or len(pe) < 2 or pe[1] != ":" or pe[0] not in _TYPE_RANK:
                raise ValueError(f"invalid path element {pe!r}")
            if not isinstance(sub, dict):
                raise ValueError("FieldsV1 values must be objects")
            if not sub or "." in sub:
                s.members.add(pe)
            child = cls.from_fields(sub)
            if not child.empty():
                s.children[pe] = child
        return s


_EMPTY = Set()


def fields_set(fields: Any) -> Set:
    """:meth:`Set.from_fields`, remembered by the FieldsV1's JSON: objects made alike (a
    ReplicaSet's pods, a kubelet's status writes) carry the same field sets, and a set is
    never changed once built, so one decoded set serves them all."""
    if not isinstance(fields, dict):
        raise ValueError("FieldsV1 must be an object")
    return _fields_set(orjson.dumps(fields))


@functools.lru_cache(maxsize=4096)
def _fields_set(raw: bytes) -> Set:
    return Set.from_fields(orjson.loads(raw))
