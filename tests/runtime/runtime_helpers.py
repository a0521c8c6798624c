"""Shared helpers of the runtime tests: kinds, a CRD maker, and installing a CRD."""

from __future__ import annotations

from typing import Any

from setpoint.runtime import Client, Kind, errors
from setpoint.testing import eventually

__all__ = ["CM", "LEASE", "crd", "install_crd"]

CM = Kind("v1", "ConfigMap")
LEASE = Kind("coordination.k8s.io/v1", "Lease")


def crd(group: str, kind: str, plural: str, *, scope: str = "Namespaced", status: bool = True) -> dict[str, Any]:
    """A CustomResourceDefinition with an open schema (and a status subresource)."""
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    version: dict[str, Any] = {"name": "v1", "served": True, "storage": True, "schema": schema}
    if status:
        version["subresources"] = {"status": {}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": scope, "versions": [version],
                     "names": {"kind": kind, "plural": plural, "singular": kind.lower(),
                               "listKind": f"{kind}List"}}}


async def install_crd(client: Client, group: str = "test.setpoint.dev", kind: str = "Widget",
                      plural: str = "widgets", **options: Any) -> Kind:
    """Create a CRD and wait until discovery serves it."""
    await client.create(crd(group, kind, plural, **options))
    k = Kind(f"{group}/v1", kind)

    async def served() -> bool:
        client.forget_discovery()
        try:
            await client.resource(k)
        except errors.NotFound:
            return False
        return True

    await eventually(served)
    return k


