"""The one type every layer passes objects around as.

An API object is what ``encoding/json`` gives Go's ``unstructured.Unstructured``:
a JSON object decoded into plain Python values (``dict``, ``list``, ``str``, ``int``,
``float``, ``bool``, ``None``), as orjson decodes it -- no typed wrappers, so the
server stores, serves and watches the very dicts that clients send and get.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: A Kubernetes object (or a list, a Status, a patch): a decoded JSON object.
Obj = dict[str, Any]

__all__ = ["Obj", "json_type"]


def json_type(value: Any) -> str:
    """The OpenAPI ``type`` of a decoded JSON value: ``object``, ``array``, ``string``, ``integer``,
    ``number``, ``boolean`` or ``null``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__
