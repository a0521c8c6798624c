"""Kinds and resources: ``Kind`` names a type (apiVersion + kind), ``Resource`` is where it is served.

A :class:`Kind` is what users write (``Kind("v1", "ConfigMap")``,
``Kind("example.com/v1", "ConfigWatcher")``); the client resolves it through discovery
into a :class:`Resource` (plural, scope, subresources), which knows its URL paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote


@dataclass(frozen=True, slots=True)
class Kind:
    """A group/version/kind, spelled as in manifests: ``Kind("apps/v1", "Deployment")``."""

    api_version: str
    kind: str

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> Kind:
        """The kind of an object, from its ``apiVersion`` and ``kind`` fields."""
        try:
            return cls(obj["apiVersion"], obj["kind"])
        except KeyError as e:
            raise ValueError(f"object has no {e.args[0]}: cannot tell its kind") from None

    def __str__(self) -> str:
        return f"{self.api_version}/{self.kind}"


@dataclass(frozen=True, slots=True)
class Resource:
    """A kind as served: its plural name, its scope and its subresources."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool
    subresources: frozenset[str] = frozenset()
    verbs: frozenset[str] = frozenset()
    short_names: tuple[str, ...] = ()
    _base: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        base = f"/api/{self.api_version}" if "/" not in self.api_version else f"/apis/{self.api_version}"
        object.__setattr__(self, "_base", base)

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def kind_key(self) -> Kind:
        return Kind(self.api_version, self.kind)

    def path(self, namespace: str | None = None, name: str | None = None,
             subresource: str | None = None) -> str:
        """The URL path of the collection (no name) or of one object (and its subresource)."""
        parts = [self._base]
        if self.namespaced and namespace:
            parts.append(f"/namespaces/{quote(namespace, safe='')}")
        parts.append(f"/{self.plural}")
        if name is not None:
            parts.append(f"/{quote(name, safe='')}")
            if subresource:
                parts.append(f"/{subresource}")
        return "".join(parts)


def object_key(namespace: str | None, name: str) -> str:
    """The cache key of an object: ``namespace/name``, or ``name`` when cluster-scoped."""
    return f"{namespace}/{name}" if namespace else name


def key_of(obj: Mapping[str, Any]) -> str:
    meta = obj["metadata"]
    ns = meta.get("namespace")
    return f"{ns}/{meta['name']}" if ns else meta["name"]
