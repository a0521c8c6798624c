"""Server-side printing: ``meta.k8s.io/v1`` Table and PartialObjectMetadata.

kubectl asks for ``application/json;as=Table;v=v1;g=meta.k8s.io`` and prints
what the server sends: the column definitions (``priority`` > 0 only with
``-o wide``) and one row of cells per object. The server always renders the
wide cells, as kube-apiserver does. The built-in columns and cell formats
are those of kube's ``pkg/printers/internalversion/printers.go``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from setpoint.apimachinery import clock
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.registry.resources import Column, Resource

TABLE_API_VERSION = "meta.k8s.io/v1"

# --- durations -----------------------------------------------------------------

_NS_PER_SECOND = 1_000_000_000
_NS_PER_MINUTE = 60 * _NS_PER_SECOND
_NS_PER_HOUR = 60 * _NS_PER_MINUTE


def _nanoseconds(d: timedelta | float) -> int:
    if isinstance(d, timedelta):
        return ((d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds) * 1000
    return int(d * _NS_PER_SECOND)


def human_duration(d: timedelta | float) -> str:
    """``k8s.io/apimachinery/pkg/util/duration.HumanDuration``: ~2-3 significant figures.

    ``d`` is a ``timedelta`` or a number of seconds.
    """
    ns = _nanoseconds(d)
    seconds = -(-ns // _NS_PER_SECOND) if ns < 0 else ns // _NS_PER_SECOND  # Go truncates toward zero
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = ns // _NS_PER_MINUTE
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = ns // _NS_PER_HOUR
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 ``metav1.Time``/``MicroTime``; None when unset, zero or unparseable."""
    if not isinstance(value, str):
        return None
    t = clock.parse_time(value)
    return None if t is None or clock.is_zero(t) else t


def age_since(timestamp: object, now: datetime | None = None) -> str:
    """kube's ``translateTimestampSince``: ``<unknown>`` for a zero time, else :func:`human_duration`."""
    t = parse_time(timestamp)
    if t is None:
        return "<unknown>"
    return human_duration((now or datetime.now(UTC)) - t)


# --- PartialObjectMetadata -------------------------------------------------------


def partial_object_metadata(obj: Obj, api_version: str = TABLE_API_VERSION) -> Obj:
    """``meta.k8s.io/v1 PartialObjectMetadata`` of ``obj``: its whole ``metadata``."""
    return {"kind": "PartialObjectMetadata", "apiVersion": api_version, "metadata": obj.get("metadata") or {}}


def partial_object_metadata_list(objects: list[Obj], list_meta: Obj | None = None) -> Obj:
    """``PartialObjectMetadataList`` (``as=PartialObjectMetadataList;g=meta.k8s.io;v=v1``)."""
    return {
        "kind": "PartialObjectMetadataList",
        "apiVersion": TABLE_API_VERSION,
        "metadata": list_meta or {},
        "items": [partial_object_metadata(o) for o in objects],
    }


# --- Table ---------------------------------------------------------------------


#: ObjectMeta's ``name`` and ``creationTimestamp`` docs, as Go's ``SwaggerDoc()`` has them.
NAME_DESCRIPTION = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources may "
    "allow a client to request the generation of an appropriate name automatically. Name is primarily intended "
    "for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
CREATION_TIMESTAMP_DESCRIPTION = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. "
    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)

NAME_COLUMN_DEFINITION: Obj = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": NAME_DESCRIPTION,
    "priority": 0,
}
AGE_COLUMN_DEFINITION: Obj = {
    "name": "Age",
    "type": "string",
    "format": "",
    "description": CREATION_TIMESTAMP_DESCRIPTION,
    "priority": 0,
}


def _name(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _creation_age(obj: Obj) -> str:
    return age_since((obj.get("metadata") or {}).get("creationTimestamp"))


def _layout(resource: Resource) -> tuple[bool, bool]:
    """(prepend Name, append Age) for ``resource``'s table.

    ``resource.columns`` holding a ``format: name`` column are the whole
    table (core Event: its Name is a wide column at the end; the CRD's
    default table). Otherwise Name comes first and Age last, unless
    ``columns_replace_age`` (custom resources' printer columns carry their own).
    """
    for column in resource.columns:
        if column.format == "name":
            return False, False
    return True, not resource.columns_replace_age


def column_definitions(resource: Resource) -> list[Obj]:
    """The Table ``columnDefinitions`` of ``resource``."""
    name_first, age_last = _layout(resource)
    out = [dict(NAME_COLUMN_DEFINITION)] if name_first else []
    out.extend(c.definition() for c in resource.columns)
    if age_last:
        out.append(dict(AGE_COLUMN_DEFINITION))
    return out


def _cells(columns: tuple[Column, ...], name_first: bool, age_last: bool, obj: Obj) -> list[Any]:
    cells: list[Any] = [_name(obj)] if name_first else []
    for column in columns:
        cells.append(column.value(obj))
    if age_last:
        cells.append(_creation_age(obj))
    return cells


def render_table(
    resource: Resource,
    objects: list[Obj],
    *,
    include_object: str = "Metadata",
    list_meta: Obj | None = None,
) -> Obj:
    """``meta.k8s.io/v1 Table`` of ``objects`` (served-version objects of ``resource``).

    ``include_object`` is the ``includeObject`` query parameter: ``Metadata``
    (kubectl's default: each row's ``object`` is a PartialObjectMetadata),
    ``Object`` (the whole object) or ``None`` (``object: null``, as kube's
    empty RawExtension encodes). ``list_meta`` is the list's metadata; without
    it a single object's resourceVersion is the table's.
    """
    name_first, age_last = _layout(resource)
    columns = resource.columns
    rows: list[Obj] = []
    for obj in objects:
        if include_object == "Object":
            row_object: Obj | None = obj
        elif include_object == "None":
            row_object = None
        else:
            row_object = partial_object_metadata(obj)
        rows.append({"cells": _cells(columns, name_first, age_last, obj), "object": row_object})
    if list_meta is not None:
        meta = list_meta
    elif len(objects) == 1:
        rv = (objects[0].get("metadata") or {}).get("resourceVersion")
        meta = {"resourceVersion": rv} if rv else {}
    else:
        meta = {}
    return {
        "kind": "Table",
        "apiVersion": TABLE_API_VERSION,
        "metadata": meta,
        "columnDefinitions": column_definitions(resource),
        "rows": rows,
    }


# --- generic columns -------------------------------------------------------------


def created_at(obj: Obj) -> str:
    """``metadata.creationTimestamp`` as RFC 3339 in UTC (Go's zero time when unset)."""
    t = parse_time((obj.get("metadata") or {}).get("creationTimestamp"))
    return clock.ZERO_TIME if t is None else clock.format_time(t)


#: The Name and Age columns, for kinds whose printer places them itself (printPod).
NAME_COLUMN = Column("Name", "string", _name, format="name", description=NAME_DESCRIPTION)
AGE_COLUMN = Column("Age", "string", _creation_age, description=CREATION_TIMESTAMP_DESCRIPTION)

#: ``rest.NewDefaultTableConvertor``: Name and "Created At" (RFC 3339, UTC), no Age.
DEFAULT_COLUMNS: tuple[Column, ...] = (
    NAME_COLUMN,
    Column("Created At", "date", created_at, description=CREATION_TIMESTAMP_DESCRIPTION),
)
