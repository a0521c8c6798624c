"""Schema semantics of one served custom resource version, compiled once.

:class:`CustomResourceSchema` is built when a CRD version starts being served (not per
request): the compiled structural schema (:mod:`crdschema`) with its CEL rules
(:mod:`cel`). ``CustomResourceStrategy`` calls it on every write:

* :meth:`CustomResourceSchema.decode` -- what kube does while decoding a request body:
  defaulting, then pruning (the unknown fields are returned, for ``fieldValidation``);
* :meth:`CustomResourceSchema.validate` -- schema validation, embedded-resource
  metadata, list-type invariants and, unless one of those already failed in a way
  that blocks it, the CEL rules (with ``oldSelf`` on updates).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from setpoint.apimachinery import goregexp
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.apiextensions import structural
from setpoint.apiserver.apiextensions.cel import evaluate
from setpoint.apiserver.encoding.errors import FieldError


class CustomResourceSchema:
    """The compiled ``openAPIV3Schema`` of one CRD version."""

    def __init__(self, schema: Obj | None) -> None:
        self.node = structural.compile_schema(schema)
        self.has_rules = evaluate.attach(self.node) if self.node is not None else False
        self._fast = fast_validator(schema) if schema is not None else None
        # Bodies decoded by the HTTP handler, so the strategy does not decode them twice (held
        # strongly, so that an id is never reused while it is here; bounded).
        self._decoded: OrderedDict[int, Obj] = OrderedDict()

    def decode(self, obj: Obj, remember: bool = False) -> list[str]:
        """Default and prune ``obj`` in place; the paths of the unknown fields dropped."""
        if self.node is not None:
            structural.default(obj, self.node)
        unknown = structural.prune(obj, self.node)
        if remember:
            if len(self._decoded) >= 256:
                self._decoded.popitem(last=False)  # (a dict would scan its deleted entries)
            self._decoded[id(obj)] = obj
        return unknown

    def forget(self, obj: Obj) -> None:
        self._decoded.pop(id(obj), None)

    def ensure_decoded(self, obj: Obj) -> None:
        """Decode ``obj`` unless :meth:`decode` already did (the handler, for this very object)."""
        if self._decoded.pop(id(obj), None) is obj:
            return
        self.decode(obj)

    def validate(self, obj: Obj, old: Obj | None = None, extra: list[FieldError] | None = None) -> list[FieldError]:
        """Every error of ``obj``; ``extra`` (the scale subresource's checks) goes where kube
        puts them: after schema validation, before list types and CEL rules."""
        node = self.node
        if node is None:
            return list(extra or [])
        fast = self._fast
        # Valid objects (the common case) are checked by jsonschema-rs (~5 µs for 50 fields); the
        # compiled validator runs only to word the errors of an invalid one as kube does.
        errs = [] if fast is not None and fast.is_valid(obj) else structural.validate(obj, node)
        if old is not None and errs:
            # CRDValidationRatcheting (GA): errors of values an update leaves unchanged are dropped.
            errs = [e for e in errs if not unchanged(e.field, obj, old, node)]
        errs.extend(extra or [])
        errs.extend(structural.validate_structure(obj, node))
        if self.has_rules:
            if evaluate.has_blocking_errors(errs):
                errs.append(evaluate.BLOCKED)
            else:
                errs.extend(evaluate.validate(obj, old, node))
        return errs


# --- the fast path: jsonschema-rs ----------------------------------------------------------------

_DROP = ("description", "default", "example", "externalDocs", "title", "nullable", "format", "pattern")
#: The custom format jsonschema-rs checks a ``pattern`` with: RE2, as kube (jsonschema-rs's own
#: regex engine differs from Go's).
PATTERN_FORMAT = "k8s-pattern:"


def draft4_schema(s: Any) -> Any:
    """A CRD schema as plain JSON Schema draft 4 with the same verdicts as :func:`structural.validate`
    on pruned objects: int-or-string and nullable become type lists, formats kube checks become
    ``k8s-*`` custom formats (the same checkers), a ``pattern`` an ``allOf`` member whose format
    ``k8s-pattern:<pattern>`` RE2 checks, Kubernetes extensions are dropped."""
    if not isinstance(s, dict):
        return s
    out: Obj = {}
    for key, value in s.items():
        if key.startswith("x-kubernetes-") or key in _DROP:
            continue
        if key in ("properties",) and isinstance(value, dict):
            out[key] = {k: draft4_schema(v) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = draft4_schema(value)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [draft4_schema(v) for v in value]
        else:
            out[key] = value
    types: list[str] = []
    if s.get("x-kubernetes-int-or-string") is True:
        types = ["integer", "string"]
    elif isinstance(s.get("type"), str) and s["type"]:
        types = [s["type"]]
    if types:
        if s.get("nullable") is True:
            types.append("null")
        out["type"] = types if len(types) > 1 else types[0]
    fmt = s.get("format")
    if isinstance(fmt, str) and fmt in structural.FORMATS and "string" in types:
        out["format"] = "k8s-" + fmt
    pattern = s.get("pattern")
    if isinstance(pattern, str) and pattern:
        out["allOf"] = [*out.get("allOf", []), {"format": PATTERN_FORMAT + pattern}]
    return out


def _patterns(s: Any, out: set[str]) -> set[str]:
    if isinstance(s, dict):
        p = s.get("pattern")
        if isinstance(p, str) and p:
            out.add(p)
        for k, v in s.items():
            if k != "enum" and k != "default" and k != "example":
                _patterns(v, out)
    elif isinstance(s, list):
        for v in s:
            _patterns(v, out)
    return out


def _pattern_check(pattern: str) -> Callable[[str], bool]:
    try:
        rx = structural.go_regexp(pattern)
    except goregexp.GoRegexpError:
        return lambda _: True  # refused at CRD creation; the compiled validator skips it too
    search = rx.search
    return lambda v: search(v) is not None


def fast_validator(schema: Obj) -> Any:
    """A jsonschema-rs validator of ``schema``, or None (not installed, or a schema it refuses:
    then the compiled validator does all the work)."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - an optional speed-up
        return None
    formats = {f"k8s-{name}": check for name, check in structural.FORMATS.items()}
    for p in _patterns(schema, set()):
        formats[PATTERN_FORMAT + p] = _pattern_check(p)
    try:
        return jsonschema_rs.Draft4Validator(draft4_schema(schema), formats=formats, validate_formats=True)
    except Exception:
        return None


_SEGMENT = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def unchanged(path: str, new: Any, old: Any, node: structural.Node) -> bool:
    """Whether the value at an error's field path is the same in ``old`` (kube's ratcheting:
    values correlate through object fields, map keys and the keys of map-type lists; an atomic
    list or set correlates only as a whole)."""
    s: structural.Node | None = node
    pos = 0
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if m is None:
            return False
        pos = m.end()
        if m.group(1) is not None:
            key = m.group(1)
            if not isinstance(new, dict) or not isinstance(old, dict) or key not in new or key not in old:
                return False
            new, old = new[key], old[key]
            s = s.child(key) if s is not None else None
        else:
            i = int(m.group(2))
            if not isinstance(new, list) or not isinstance(old, list) or i >= len(new):
                return False
            if s is None or s.list_type != "map" or not s.list_map_keys:
                return bool(new == old)  # the nearest correlatable value: the whole list
            item = new[i]
            if not isinstance(item, dict):
                return False
            key_values = [item.get(k) for k in s.list_map_keys]
            match = next((o for o in old if isinstance(o, dict) and [o.get(k) for k in s.list_map_keys] == key_values),
                         None)
            if match is None:
                return False
            new, old = item, match
            s = s.items
    return bool(new == old)


def unknown_field_messages(paths: list[str]) -> list[str]:
    return [f'unknown field "{p}"' for p in paths]


# --- JSONPath of printer columns and selectable fields ----------------------------------------

_JSONPATH_TOKEN = re.compile(
    r"""\.\.?(?P<name>[^.\[\]]+)|\[(?P<index>-?\d+)\]|\[\*\]|\.\*|\[\?\(@\.(?P<fkey>[^=!<>\s]+)\s*(?P<op>==|!=)\s*"""
    r"""(?:"(?P<fdq>[^"]*)"|'(?P<fsq>[^']*)'|(?P<fnum>-?\d+(?:\.\d+)?)|(?P<fbool>true|false))\s*\)\]"""
    r"""|\[['"](?P<qname>[^'"]+)['"]\]""")


def json_path_first(obj: Any, path: str) -> Any:
    """The first value a kubectl-style JSONPath (``.a.b``, ``.a[0]``, ``.a[*].b``,
    ``.conditions[?(@.type=="Ready")].status``) finds, or None; as kube's table convertor
    takes ``results[0][0]`` of a printer column."""
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if text and not text.startswith((".", "[")):
        text = "." + text
    current: list[Any] = [obj]
    pos = 0
    while pos < len(text):
        m = _JSONPATH_TOKEN.match(text, pos)
        if m is None:
            return None
        pos = m.end()
        nxt: list[Any] = []
        name = m.group("name") or m.group("qname")
        for cur in current:
            if name is not None:
                if isinstance(cur, dict) and name in cur:
                    nxt.append(cur[name])
            elif m.group("index") is not None:
                i = int(m.group("index"))
                if isinstance(cur, list) and -len(cur) <= i < len(cur):
                    nxt.append(cur[i])
            elif m.group("fkey") is not None:
                if not isinstance(cur, list):
                    continue
                want: Any
                if m.group("fdq") is not None:
                    want = m.group("fdq")
                elif m.group("fsq") is not None:
                    want = m.group("fsq")
                elif m.group("fnum") is not None:
                    want = float(m.group("fnum"))
                else:
                    want = m.group("fbool") == "true"
                for item in cur:
                    if isinstance(item, dict) and m.group("fkey") in item:
                        have = item[m.group("fkey")]
                        equal = have == want or (isinstance(want, float) and isinstance(have, int | float)
                                                 and float(have) == want)
                        if equal == (m.group("op") == "=="):
                            nxt.append(item)
            else:  # [*] or .*
                if isinstance(cur, list):
                    nxt.extend(cur)
                elif isinstance(cur, dict):
                    nxt.extend(cur.values())
        current = nxt
        if not current:
            return None
    return current[0] if current else None
