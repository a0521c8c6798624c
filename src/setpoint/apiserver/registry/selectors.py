"""The list/watch filter of a resource's ``labelSelector`` and ``fieldSelector``.

One builder for every caller (the HTTP handlers and the in-process client), so a
selector means the same wherever it is sent. A bad selector is kube's 400
``BadRequest`` with the parser's message as it is.
"""

from __future__ import annotations

from setpoint.apimachinery import fields, labels
from setpoint.apimachinery.selection import SelectorError
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry import fieldlabels
from setpoint.apiserver.registry.cacher import Filter
from setpoint.apiserver.registry.resources import Resource

__all__ = ["selector_filter"]


def selector_filter(r: Resource, label_selector: str | None, field_selector: str | None) -> Filter:
    """The filter selecting what both selectors select (None: everything)."""
    try:
        label_sel = labels.parse(label_selector) if label_selector else None
        field_sel = fields.parse(field_selector) if field_selector else None
        if field_sel is not None:
            field_sel = fieldlabels.check(field_sel, r.selectable_fields(), r.kind, group=r.group,
                                          version=r.version, custom=r.custom)
    except SelectorError as err:
        raise errors.bad_request(str(err)) from None
    if label_sel is not None and label_sel.empty:
        label_sel = None
    if field_sel is not None and not field_sel.requirements:
        field_sel = None
    if label_sel is None and field_sel is None:
        return None
    convert = r.convert if r.storage_version else None
    served_version = r.group_version

    def matches(obj: Obj) -> bool:
        if label_sel is not None and not label_sel.matches((obj.get("metadata") or {}).get("labels")):
            return False
        if field_sel is not None:
            # Field values are read from the object as served (a stored older version is converted).
            view = obj if convert is None or obj.get("apiVersion") == served_version else convert(obj, served_version)
            values = {req.field: (r.field_value(view, req.field) or "") for req in field_sel.requirements}
            if not field_sel.matches(values):
                return False
        return True

    return matches
