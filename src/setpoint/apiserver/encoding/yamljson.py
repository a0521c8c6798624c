"""YAML request bodies read as kube-apiserver reads them: converted to JSON by
sigs.k8s.io/yaml (go-yaml v2 underneath), then decoded as a JSON body.

What that conversion does, and Python's YAML loader does not: timestamps stay strings (go-yaml
resolves ``!!timestamp`` only into a ``time.Time``), a plain ``=`` is the string ``"="`` (PyYAML
resolves it to YAML 1.1's ``!!value`` tag, which it cannot construct), ``y``/``Y``/``n``/``N`` are
booleans as ``yes``/``no`` are (go-yaml v2's resolve table), integers beyond 64 bits become floats
(go-yaml falls back to ``ParseFloat``), and map keys that are not strings become strings
(``convertToJSONableObject``: ints as decimals, floats as ``%g``, booleans as ``true``/``false``).
Duplicate keys keep the last value, as the non-strict conversion does.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from setpoint.apimachinery.goformat import format_float

__all__ = ["Loader", "PyLoader", "YAMLToJSONError", "load"]

_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_DROPPED = ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value")
_BOOL = "tag:yaml.org,2002:bool"
_BOOL_VALUES = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False,
                "y": True, "n": False}


def _construct_bool(loader: Any, node: Any) -> bool:
    return _BOOL_VALUES[loader.construct_scalar(node).lower()]


def _go_yaml_v2(cls: Any) -> Any:
    """Give a PyYAML loader class go-yaml v2's implicit tags: no timestamps, no ``=`` as
    ``!!value``, ``y``/``n`` as booleans."""
    cls.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED]
        for first, resolvers in cls.yaml_implicit_resolvers.items()
    }
    cls.add_implicit_resolver(_BOOL, re.compile(r"^(?:y|Y|n|N)$"), list("yYnN"))
    cls.add_constructor(_BOOL, _construct_bool)
    return cls


@_go_yaml_v2
class Loader(_BASE):  # type: ignore[misc]
    """The (C when available: 10x faster) safe loader with go-yaml v2's implicit tags."""


@_go_yaml_v2
class PyLoader(yaml.SafeLoader):
    """The pure-Python safe loader with go-yaml v2's implicit tags (its error marks and problems
    are what the apply path words as go-yaml does)."""


_INT_MIN = -(1 << 63)
_UINT_MAX = (1 << 64) - 1


class YAMLToJSONError(ValueError):
    """A YAML document with no JSON form (a map key of an unsupported type)."""


def load(body: bytes) -> Any:
    """The YAML document in ``body`` as the JSON value kube converts it to.

    Raises ``yaml.YAMLError`` for YAML that does not parse, :class:`YAMLToJSONError` for YAML
    with no JSON form."""
    return _jsonable(yaml.load(body, Loader=Loader))


def _key(k: Any) -> str:
    if isinstance(k, str):
        return k
    if isinstance(k, bool):
        return "true" if k else "false"
    if isinstance(k, int):
        return str(k)
    if isinstance(k, float):
        if k != k:
            return ".nan"
        if k in (float("inf"), float("-inf")):
            return ".inf" if k > 0 else "-.inf"
        return format_float(k)
    raise YAMLToJSONError(f"unsupported map key of type: {type(k).__name__}, key: {k!r}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {_key(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and not _INT_MIN <= value <= _UINT_MAX:
        return float(value)
    if isinstance(value, bytes):  # !!binary: go-yaml gives the base64 text's bytes back as a string
        raise YAMLToJSONError("unsupported !!binary value")
    return value
