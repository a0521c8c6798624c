"""How a group module declares a built-in kind: one :func:`declare` call per kind.

What kube-apiserver takes from a kind's Go type comes from kube's published
definitions by group, version and kind: the structural schema (unknown-field
detection) and the strategic-merge-patch metadata.  The group module says
the rest: resource names, strategy, table columns, field selectors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin import definitions
from setpoint.apiserver.registry.resources import Resource, Strategy


def declare(
    group: str,
    version: str,
    kind: str,
    plural: str,
    singular: str,
    namespaced: bool,
    strategy: Strategy,
    **options: Any,
) -> Resource:
    """A built-in :class:`Resource`, its schema and patch metadata those of kube's definition.

    ``options`` are :class:`Resource`'s other fields (short names, columns,
    field getters, subresources, conversion...).
    """
    gvk = (group, version, kind)
    if gvk not in definitions.GVK_DEFINITIONS:
        raise ValueError(f"no definition of {group}/{version} {kind} in {definitions.SOURCE}")
    return Resource(
        group, version, kind, plural, singular, namespaced, strategy,
        schema=definitions.BUILTIN_SCHEMAS[gvk],
        patch_schema=definitions.patch_schema(*gvk),
        **options,
    )


def field(*path: str) -> Callable[[Obj], str]:
    """A field selector's getter: the value at ``path`` as a string ("" when unset)."""

    def getter(obj: Obj) -> str:
        cur: Any = obj
        for p in path:
            if not isinstance(cur, dict):
                return ""
            cur = cur.get(p)
        if cur is None:
            return ""
        return str(cur)

    return getter


def description(definition: str, name: str) -> str:
    """The doc of field ``name`` of ``definition`` (a column's description, as printers.go
    takes it from the Go type's ``SwaggerDoc()``)."""
    prop = definitions.DEFINITIONS[definition]["properties"][name]
    return str(prop.get("description", ""))
