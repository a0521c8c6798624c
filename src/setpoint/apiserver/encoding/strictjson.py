"""Duplicate fields in a JSON body, as kube's strict decoding (``sigs.k8s.io/json``) finds them.

orjson keeps the last of duplicate keys without a word; with ``fieldValidation=Strict`` kube
refuses ``{"a": 1, "a": 2}`` (``duplicate field "a"``) and with ``Warn`` it warns. Only those
two modes pay for this second, slower parse.
"""

from __future__ import annotations

import json
import re
from typing import Any


class _Object(dict[str, Any]):
    """A decoded JSON object that remembers its duplicate keys, in order."""

    __slots__ = ("duplicates",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        seen: set[str] = set()
        self.duplicates = [k for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]


_KEY_END = re.compile(rb'"\s*:')


def duplicate_fields(body: bytes, decoded: Any = None) -> list[str]:
    """The paths of duplicate fields in ``body`` (``metadata.labels.a``, ``spec.ports[0].port``);
    empty when there are none or the body is not JSON. With ``decoded`` (the body as orjson read
    it), a body whose keys are all distinct is recognised without a second parse."""
    if decoded is not None:
        # Every key is followed by `":` (maybe with blanks between), so these marks are at least the
        # keys written; no more marks than distinct keys decoded means no key was written twice.
        # Colons alone are such marks too (and more): counted first, in C.
        distinct = _count_keys(decoded)
        if body.count(b":") <= distinct or len(_KEY_END.findall(body)) <= distinct:
            return []
    try:
        doc = json.loads(body, object_pairs_hook=_Object)
    except (ValueError, RecursionError):
        return []
    out: list[str] = []
    _collect(doc, "", out)
    return out


def _count_keys(value: Any) -> int:
    """How many keys ``value``'s objects have, all levels together (a walk with a stack of its own:
    no generator for each object)."""
    count = 0
    stack = [value]
    pop, push = stack.pop, stack.extend
    while stack:
        v = pop()
        if isinstance(v, dict):
            count += len(v)
            push(v.values())
        elif isinstance(v, list):
            push(v)
    return count


def _collect(value: Any, path: str, out: list[str]) -> None:
    if isinstance(value, _Object):
        prefix = f"{path}." if path else ""
        out.extend(prefix + k for k in value.duplicates)
        for k, v in value.items():
            _collect(v, prefix + k, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _collect(v, f"{path}[{i}]", out)
