"""The selector operators (apimachinery ``pkg/selection``) and the error selectors raise.

Parsing a label or field selector fails with a :class:`SelectorError` carrying kube's
message exactly; kube-apiserver answers a list or watch with that message as a 400
``BadRequest`` (``metainternalversion`` decoding wraps the parser's error in
``NewBadRequest(err.Error())`` unchanged), which the API server does at its edge.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DOES_NOT_EXIST",
    "DOUBLE_EQUALS",
    "EQUALS",
    "EXISTS",
    "GREATER_THAN",
    "IN",
    "LESS_THAN",
    "NOT_EQUALS",
    "NOT_IN",
    "SelectorError",
]

# ``selection.Operator`` values.
DOES_NOT_EXIST: Final = "!"
EQUALS: Final = "="
DOUBLE_EQUALS: Final = "=="
IN: Final = "in"
NOT_EQUALS: Final = "!="
NOT_IN: Final = "notin"
EXISTS: Final = "exists"
GREATER_THAN: Final = "gt"
LESS_THAN: Final = "lt"


class SelectorError(ValueError):
    """A selector that does not parse or validate; ``str()`` is kube's message."""
