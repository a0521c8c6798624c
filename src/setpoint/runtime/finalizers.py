"""Finalizers: keep an object around until your controller has cleaned up after it.

:func:`add_finalizer` and :func:`remove_finalizer` patch ``metadata.finalizers`` only
when needed, with the object's resourceVersion in the patch so a concurrent change
makes them fail (409) instead of overwriting another controller's finalizer.
"""

from __future__ import annotations

from setpoint.apimachinery.types import Obj
from setpoint.runtime.client import Client
from setpoint.runtime.resource import Kind


def has_finalizer(obj: Obj, name: str) -> bool:
    return name in (obj["metadata"].get("finalizers") or ())


def is_being_deleted(obj: Obj) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


async def _set(client: Client, obj: Obj, finalizers: list[str]) -> Obj:
    meta = obj["metadata"]
    patch = {"metadata": {"finalizers": finalizers, "resourceVersion": meta["resourceVersion"]}}
    written: Obj = await client.patch(Kind.of(obj), meta["name"], patch, meta.get("namespace"))
    return written


async def add_finalizer(client: Client, obj: Obj, name: str) -> Obj | None:
    """Add ``name`` unless present; returns the written object, or None if nothing was sent."""
    current = list(obj["metadata"].get("finalizers") or ())
    if name in current:
        return None
    return await _set(client, obj, [*current, name])


async def remove_finalizer(client: Client, obj: Obj, name: str) -> Obj | None:
    """Remove ``name`` if present; returns the written object, or None if nothing was sent."""
    current = list(obj["metadata"].get("finalizers") or ())
    if name not in current:
        return None
    return await _set(client, obj, [f for f in current if f != name])
