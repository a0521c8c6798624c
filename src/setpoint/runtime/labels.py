"""Label selectors: parse ``app=web,tier!=db,env in (a,b),!legacy`` and match labels against it.

The grammar, semantics and error messages are the API server's own
(:mod:`setpoint.apimachinery.labels`, a port of apimachinery's ``labels.Parse``):
``!=`` and ``notin`` match objects that lack the key, requirements are kept sorted by
key, and a bad selector raises :class:`SelectorError` (a :class:`ValueError`) with the
message kube-apiserver would answer. :func:`from_label_selector` turns a
``metav1.LabelSelector`` (``matchLabels`` / ``matchExpressions``, as in ``spec.selector``
fields) into the same :class:`Selector`. For convenience, no selector at all (``None``,
``""``, ``{}``) selects everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from setpoint.apimachinery import labels
from setpoint.apimachinery.labels import Requirement, Selector
from setpoint.apimachinery.selection import SelectorError

__all__ = ["EVERYTHING", "Requirement", "Selector", "SelectorError", "from_label_selector", "parse"]

#: The selector that selects every object.
EVERYTHING: Final = labels.everything()


def parse(text: str | None) -> Selector:
    """Parse the ``labelSelector`` query syntax; ``None`` or blank selects everything."""
    if not text or text.isspace():
        return EVERYTHING
    return labels.parse(text)


def from_label_selector(selector: Mapping[str, Any] | None) -> Selector:
    """A ``metav1.LabelSelector`` (``metav1.LabelSelectorAsSelector``); ``None`` or ``{}`` selects everything.

    (Kube turns a nil selector into one that matches nothing; here ``None`` means no
    selector was given.)
    """
    if not selector:
        return EVERYTHING
    return labels.as_selector(selector)
