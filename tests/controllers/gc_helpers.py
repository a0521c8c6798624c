"""Objects for the garbage collector's tests: owner references, ConfigMaps that own or are owned."""

from __future__ import annotations

from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime import errors
from setpoint.runtime.resource import Kind


def ref(owner: Obj, *, block: bool = False) -> dict[str, Any]:
    """An ownerReference to ``owner`` (``blockOwnerDeletion`` with ``block``)."""
    out: dict[str, Any] = {"apiVersion": owner["apiVersion"], "kind": owner["kind"],
                           "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"]}
    if block:
        out["blockOwnerDeletion"] = True
    return out


async def cm(client: InProcessClient, name: str, *owners: dict[str, Any], finalizers: list[str] | None = None,
             namespace: str = "default") -> Obj:
    """A ConfigMap created with these owners and finalizers."""
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if owners:
        meta["ownerReferences"] = list(owners)
    if finalizers:
        meta["finalizers"] = finalizers
    return await client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta})


async def gone(client: InProcessClient, kind: Kind, name: str, namespace: str | None = "default") -> bool:
    """Whether the object is absent."""
    try:
        await client.get(kind, name, namespace)
    except errors.NotFound:
        return True
    return False
