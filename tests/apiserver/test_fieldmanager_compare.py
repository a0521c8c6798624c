"""``typed.compare`` takes a node only one side has (and everything beneath it) in one walk: its
added, modified and removed sets are exactly those of the leaf-by-leaf walk it replaces."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from test_fieldmanager_create import CASES

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.fieldmanager import typed
from setpoint.apiserver.fieldmanager.fieldpath import Path, field


def _reference(lhs: Any, rhs: Any, atom: typed.Atom, path: Path, out: typed.Comparison) -> None:
    """The leaf-by-leaf walk: every node visited, each inserted on its own."""
    if lhs is rhs and lhs is not typed.MISSING:
        return
    kind = typed._deduce(atom, rhs if rhs is not typed.MISSING else lhs)
    leaf = kind in ("scalar", "atomic-list") or atom.atomic
    if not leaf and kind == "list":
        lval = lhs if isinstance(lhs, list) else []
        rval = rhs if isinstance(rhs, list) else []
        if not lval and not rval:
            leaf = True
        else:
            elem = atom.elem()
            _, obs_l = typed._index(atom, lval, True)
            _, obs_r = typed._index(atom, rval, True)
            for pe in [*obs_l, *(p for p in obs_r if p not in obs_l)]:
                lv, rv = obs_l.get(pe, typed.MISSING), obs_r.get(pe, typed.MISSING)
                _reference(typed.MISSING if lv is None and pe not in obs_l else lv,
                           typed.MISSING if rv is None and pe not in obs_r else rv, elem, (*path, pe), out)
    elif not leaf:
        lmap: dict[str, Any] = lhs if isinstance(lhs, dict) else {}
        rmap: dict[str, Any] = rhs if isinstance(rhs, dict) else {}
        if not lmap and not rmap:
            leaf = True
        else:
            for k in [*lmap, *(k for k in rmap if k not in lmap)]:
                _reference(lmap.get(k, typed.MISSING), rmap.get(k, typed.MISSING), atom.child(k), (*path, field(k)), out)
    if leaf:
        if lhs is typed.MISSING:
            out.added.insert(path)
        elif rhs is typed.MISSING:
            out.removed.insert(path)
        elif not typed._equal(lhs, rhs):
            out.modified.insert(path)
        return
    if lhs is typed.MISSING:
        out.added.insert(path)
    elif rhs is typed.MISSING:
        out.removed.insert(path)


def _changed(obj: Any, rng: random.Random) -> Any:
    """A copy with a few nodes removed, replaced (by a new subtree, an empty one or a scalar) or added."""
    out = copy.deepcopy(obj)
    for _ in range(rng.randrange(1, 5)):
        node: Any = out
        for _ in range(rng.randrange(1, 5)):
            if isinstance(node, dict) and node:
                key = rng.choice(list(node))
                roll = rng.random()
                if roll < 0.2:
                    del node[key]
                    break
                if roll < 0.4 or not isinstance(node[key], dict | list):
                    node[key] = rng.choice([{}, [], "", 0, None, "x", {"a": {"b": [1]}}, [{"name": "n", "x": {}}],
                                            copy.deepcopy(obj.get("metadata") if isinstance(obj, dict) else None)])
                    break
                if roll < 0.5:
                    node["added"] = {"deep": {"er": [{"name": "a"}, {"name": "a"}]}, "leaf": 1}
                    break
                node = node[key]
            elif isinstance(node, list) and node:
                node = rng.choice(node)
    return out


def _sets(cmp: typed.Comparison) -> tuple[Any, ...]:
    return cmp.added.to_fields(), cmp.modified.to_fields(), cmp.removed.to_fields()


@pytest.mark.parametrize(("name", "fm", "obj"), CASES, ids=[c[0] for c in CASES])
def test_compare_is_the_leaf_by_leaf_walk(name: str, fm: Any, obj: Obj) -> None:
    rng = random.Random(name)
    versions = [obj, *(_changed(obj, rng) for _ in range(40)), {}, {"metadata": {}}]
    checked = 0
    for lhs in versions:
        for rhs in rng.sample(versions, 8):
            expected = typed.Comparison()
            try:
                _reference(lhs, rhs, fm.atom, (), expected)
            except typed.TypedError:
                with pytest.raises(typed.TypedError):
                    typed.compare(lhs, rhs, fm.atom)
                continue
            assert _sets(typed.compare(lhs, rhs, fm.atom)) == _sets(expected), (lhs, rhs)
            checked += 1
    assert checked >= 200
    for version in versions[:10]:  # a whole object only one side has
        for lhs, rhs in ((typed.MISSING, version), (version, typed.MISSING)):
            expected = typed.Comparison()
            _reference(lhs, rhs, fm.atom, (), expected)
            assert _sets(typed.compare(lhs, rhs, fm.atom)) == _sets(expected)
