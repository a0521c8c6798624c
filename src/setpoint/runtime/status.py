"""Status updates that send nothing when nothing changed.

:func:`update_status` compares the desired ``status`` with the object's current one
and sends a JSON merge patch of the difference to the status subresource (or to
the object, for kinds without one). Equal: no request at all -- a level-based
reconciler that runs again and again costs the API server nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.runtime.client import Client
from setpoint.runtime.objects import merge_patch
from setpoint.runtime.resource import Kind


async def update_status(client: Client, obj: Obj, status: Mapping[str, Any], *,
                        optimistic: bool = False, field_manager: str | None = None) -> Obj | None:
    """Make ``obj``'s status equal ``status``; returns the written object, or None if nothing was sent.

    ``optimistic=True`` adds the object's resourceVersion to the patch, so a concurrent
    write makes it fail with 409 (then the reconcile is retried with fresh data).
    """
    current = obj.get("status") or {}
    diff = merge_patch(current, status)
    if not diff:
        return None
    res = await client.resource(Kind.of(obj))
    meta = obj["metadata"]
    body: dict[str, Any] = {"status": diff}
    if optimistic:
        body["metadata"] = {"resourceVersion": meta["resourceVersion"]}
    sub = "status" if "status" in res.subresources else None
    written: Obj = await client.patch(res, meta["name"], body, meta.get("namespace"), subresource=sub,
                                      field_manager=field_manager)
    return written
