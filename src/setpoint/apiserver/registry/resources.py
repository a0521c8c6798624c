"""What the API server serves: one :class:`Resource` per group/version/resource.

A :class:`Resource` is a plain description (names, scope, verbs, table
columns, field selectors) plus a :class:`Strategy` holding the kind-specific
behaviour (defaulting, validation, what counts as a spec change). The
:class:`Registry` is the live set of served resources; CRDs add and remove
entries at run time and listeners (discovery, OpenAPI, the watch caches)
follow it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from setpoint.apimachinery.types import Obj as Obj  # re-exported: modules that name Resource use it too
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.encoding.patch import PatchSchema

#: Every verb a full read-write resource supports.
ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True, slots=True)
class Column:
    """A Table column: ``value`` computes the cell from the object."""

    name: str
    type: str
    value: Callable[[Obj], Any]
    format: str = ""
    description: str = ""
    priority: int = 0

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


class Strategy:
    """Kind-specific behaviour around create and update.

    The defaults are those of a generic object with ``spec`` and ``status``;
    built-in kinds and custom resources override what differs.
    """

    #: Whether PUT without a resourceVersion is accepted (built-ins: yes).
    allow_unconditional_update: bool = True
    #: Whether PUT of a missing object creates it.
    allow_create_on_update: bool = False
    #: Whether DELETE answers with the object (custom resources) or a Status.
    return_deleted_object: bool = False
    #: kube's ``DefaultGarbageCollectionPolicy``: ``DeleteDependents`` (most kinds),
    #: ``OrphanDependents`` (a DELETE without a policy adds the ``orphan`` finalizer: kube's
    #: v1 ReplicationController and the old extensions/apps beta workloads) or ``Unsupported``.
    default_gc_policy: str = "DeleteDependents"
    #: Held in the watch cache as JSON, with the values at these paths (what its field selectors
    #: read) beside it: for kinds that are many and seldom read whole (Events).
    cache_json_fields: tuple[str, ...] | None = None

    def prepare_for_create(self, obj: Obj) -> None:
        """Clear or default what a client may not set on create (in place)."""

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        """Carry over what a client may not change on update (in place)."""

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        """Kind-specific validation beyond object metadata."""
        return []

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        return self.validate(obj)

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        """Whether ``metadata.generation`` should move."""
        for key in obj.keys() | old.keys():
            if key in ("metadata", "status", "apiVersion", "kind"):
                continue
            if obj.get(key) != old.get(key):
                return True
        return False

    def on_delete(self, obj: Obj) -> Obj | None:
        """A copy of ``obj`` marked for deletion, when the kind defers deletes
        (namespaces, CRDs); None to delete normally (finalizers permitting)."""
        return None

    def check_graceful_delete(self, obj: Obj, grace: int | None) -> int | None:
        """kube's ``CheckGracefulDelete``: the grace period (seconds) a DELETE with ``grace``
        (None: not given) leaves ``obj``, or None when the kind is not deleted gracefully."""
        return None

    def prepare_for_status_update(self, obj: Obj, old: Obj) -> Obj:
        """A write to ``/status``: keep everything of ``old`` but the status."""
        new = dict(old)
        if "status" in obj:
            new["status"] = obj["status"]
        else:
            new.pop("status", None)
        meta = dict(old.get("metadata") or {})
        new_meta = obj.get("metadata") or {}
        # Labels, annotations and finalizers written through /status are ignored
        # like everything else but status, as kube-apiserver does.
        meta["resourceVersion"] = new_meta.get("resourceVersion", meta.get("resourceVersion"))
        if "managedFields" in new_meta:  # recorded for the status write
            meta["managedFields"] = new_meta["managedFields"]
        new["metadata"] = meta
        return new


@dataclass(eq=False)
class Resource:
    """One served resource (group, version, plural) and how to serve it."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    strategy: Strategy = field(default_factory=Strategy)
    verbs: tuple[str, ...] = ALL_VERBS
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    #: Subresources served beside the main resource: "status", "scale", ...
    subresources: frozenset[str] = frozenset()
    #: Field selectors beyond metadata.name/metadata.namespace: label -> getter.
    field_getters: Mapping[str, Callable[[Obj], str]] = field(default_factory=dict)
    #: Table columns after NAME (AGE is added unless ``columns_replace_age``).
    columns: tuple[Column, ...] = ()
    #: Whether ``columns`` replace AGE (CRDs with additionalPrinterColumns).
    columns_replace_age: bool = False
    #: Strategic-merge-patch metadata; ``None`` means SMP is not supported (CRs).
    patch_schema: PatchSchema | None = None
    #: OpenAPI v3 schema of the kind (structural), for /openapi and validation.
    schema: Obj | None = None
    #: The storage version of the kind, when objects are stored in another version.
    storage_version: str = ""
    #: Resource name used in storage keys (events of two groups share one).
    storage_resource: str = ""
    #: Whether this version is the group's preferred one.
    preferred: bool = True
    #: Whether this is a custom resource served from a CRD.
    custom: bool = False
    #: Kind-specific encoding of an object read from another version, or None.
    convert: Callable[[Obj, str], Obj] | None = None
    #: The conversion of objects to another version through a call (a CRD's conversion webhook):
    #: ``await convert_batch(objects, apiVersion)``; ``convert`` then answers what it converted.
    convert_batch: Callable[[list[Obj], str], Awaitable[list[Obj]]] | None = None
    #: Whether objects are computed on read by a handler of their own rather than stored
    #: (``metrics.k8s.io``, as an aggregated API server serves it): no storage, no watch cache.
    computed: bool = False

    def __post_init__(self) -> None:
        self.group_version = f"{self.group}/{self.version}" if self.group else self.version
        self.list_kind = f"{self.kind}List"
        resource = self.storage_resource or self.plural
        base = (f"/registry/{self.group}/{resource}/" if self.custom or self.computed
                else f"/registry/{resource}/")
        #: Storage key prefix of every object of this resource.
        self.key_prefix = base
        self.qualified = f"{self.plural}.{self.group}" if self.group else self.plural

    def key(self, namespace: str | None, name: str) -> str:
        if self.namespaced:
            return f"{self.key_prefix}{namespace}/{name}"
        return f"{self.key_prefix}{name}"

    def prefix(self, namespace: str | None) -> str:
        """The storage prefix for a list in ``namespace`` (None or "": all)."""
        if self.namespaced and namespace:
            return f"{self.key_prefix}{namespace}/"
        return self.key_prefix

    def field_value(self, obj: Obj, label: str) -> str | None:
        """The value of a field selector label, or None if not selectable."""
        meta = obj.get("metadata") or {}
        if label == "metadata.name":
            return str(meta.get("name", ""))
        if label == "metadata.namespace":
            return str(meta.get("namespace", ""))
        getter = self.field_getters.get(label)
        return None if getter is None else getter(obj)

    def selectable_fields(self) -> list[str]:
        # Cluster-scoped custom resources and Namespaces have no metadata.namespace label.
        if not self.namespaced and (self.custom or self.plural == "namespaces"):
            return ["metadata.name", *self.field_getters]
        return ["metadata.name", "metadata.namespace", *self.field_getters]


Listener = Callable[[str, Resource], None]


class Registry:
    """The resources the server serves now, by group/version/plural."""

    def __init__(self) -> None:
        self._by_path: dict[tuple[str, str, str], Resource] = {}
        self._listeners: list[Listener] = []
        #: Bumped on every change; discovery and OpenAPI cache on it.
        self.generation = 0

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener("added"|"removed", resource)`` on every change."""
        self._listeners.append(listener)

    def add(self, resource: Resource) -> None:
        key = (resource.group, resource.version, resource.plural)
        old = self._by_path.get(key)
        if old is not None:
            self.remove(old)
        self._by_path[key] = resource
        self.generation += 1
        for listener in self._listeners:
            listener("added", resource)

    def remove(self, resource: Resource) -> None:
        key = (resource.group, resource.version, resource.plural)
        if self._by_path.get(key) is resource:
            del self._by_path[key]
            self.generation += 1
            for listener in self._listeners:
                listener("removed", resource)

    def get(self, group: str, version: str, plural: str) -> Resource | None:
        return self._by_path.get((group, version, plural))

    def all(self) -> list[Resource]:
        return list(self._by_path.values())

    def groups(self) -> dict[str, list[Resource]]:
        """Resources by group, in registration order."""
        out: dict[str, list[Resource]] = {}
        for r in self._by_path.values():
            out.setdefault(r.group, []).append(r)
        return out

    def find_storage(self, key_prefix: str) -> list[Resource]:
        """Every version served from one storage prefix."""
        return [r for r in self._by_path.values() if r.key_prefix == key_prefix]
