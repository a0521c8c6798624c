"""The one type every layer passes objects around as.

An API object is what ``encoding/json`` gives Go's ``unstructured.Unstructured``:
a JSON object decoded into plain Python values (``dict``, ``list``, ``str``, ``int``,
``float``, ``bool``, ``None``), as orjson decodes it -- no typed wrappers, so the
server stores, serves and watches the very dicts that clients send and get.
"""

from __future__ import annotations

from typing import Any

#: A Kubernetes object (or a list, a Status, a patch): a decoded JSON object.
Obj = dict[str, Any]

__all__ = ["Obj"]
