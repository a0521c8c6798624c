"""``metadata.managedFields`` and server-side apply: structured-merge-diff's ``Updater``
wrapped as kube's ``FieldManager`` (strip meta, managers merged per manager, operation,
apiVersion and subresource, times, conflicts as kube words them, the last-applied
annotation kept in step for kubectl)."""

from __future__ import annotations

import functools
import unicodedata
import weakref
from dataclasses import dataclass
from typing import Any

import orjson

from setpoint.apimachinery.clock import now_rfc3339
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin import definitions
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.fieldmanager import typed
from setpoint.apiserver.fieldmanager.fieldpath import Path, Set, field, fields_set, path_string
from setpoint.apiserver.registry.resources import Resource

MAX_MANAGER_LENGTH = 128
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

#: Never tracked (kube's stripMetaManager).
_STRIP_META = tuple(field(f) for f in ("name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName",
                                        "generation", "managedFields", "resourceVersion"))
_STRIP = Set.of((field("apiVersion"),), (field("kind"),), (field("metadata"),),
                *((field("metadata"), f) for f in _STRIP_META))


@dataclass(slots=True)
class Managed:
    """One manager's fields (a VersionedSet), with its time."""

    fields: Set
    api_version: str
    applied: bool
    time: str | None = None


Managers = dict[str, Managed]


class Conflicts(Exception):
    def __init__(self, conflicts: list[tuple[str, tuple[str, ...]]]) -> None:
        super().__init__("conflicts")
        self.conflicts = conflicts


def identifier(manager: str, operation: str, api_version: str, subresource: str) -> str:
    """``BuildManagerIdentifier``: the entry's JSON without fields or time (nor the
    apiVersion for appliers)."""
    entry: dict[str, str] = {}
    if manager:
        entry["manager"] = manager
    entry["operation"] = operation
    if operation != "Apply" and api_version:
        entry["apiVersion"] = api_version
    if subresource:
        entry["subresource"] = subresource
    return orjson.dumps(entry).decode()


def _print_manager(ident: str) -> str:
    e = orjson.loads(ident)
    out = orjson.dumps(e.get("manager", "")).decode()
    if e.get("subresource"):
        out += f" with subresource {orjson.dumps(e['subresource']).decode()}"
    if e.get("operation") == "Update":
        out += f" using {e.get('apiVersion', '')}"
    return out


def conflict_error(conflicts: list[tuple[str, tuple[str, ...]]]) -> errors.StatusError:
    """kube's ``NewConflictError``: 409 with a FieldManagerConflict cause per field."""
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {_print_manager(m)}",
               "field": path_string(p)} for m, p in conflicts]
    if len(conflicts) == 1:
        m, p = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {_print_manager(m)}: {path_string(p)}"
    else:
        by: dict[str, list[str]] = {}
        for m, p in conflicts:
            by.setdefault(_print_manager(m), []).append(path_string(p))
        lines = []
        for m in sorted(by):
            lines.append(f"conflicts with {m}:")
            lines.extend(f"- {p}" for p in by[m])
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return errors.StatusError(409, "Conflict", message, details={"causes": causes})


# --- managedFields entries ------------------------------------------------------------


def decode(entries: Any) -> Managers:
    """``DecodeManagedFields`` (ValueError when an entry is not valid)."""
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise ValueError("managedFields must be a list")
    out: Managers = {}
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            raise ValueError("entry must be an object")
        op = e.get("operation")
        if op not in ("Apply", "Update"):
            raise ValueError("operation must be `Apply` or `Update`")
        if not e.get("apiVersion"):
            raise ValueError("apiVersion must not be empty")
        if e.get("fieldsType") != "FieldsV1":
            raise ValueError(f"invalid fieldsType in managed fields entry {i}")
        ident = identifier(str(e.get("manager") or ""), op, str(e["apiVersion"]), str(e.get("subresource") or ""))
        out[ident] = Managed(fields_set(e.get("fieldsV1") or {}), str(e["apiVersion"]), op == "Apply",
                             e.get("time"))
    return out


def encode(managers: Managers) -> list[Obj] | None:
    """``encodeManagedFields``: entries sorted by operation, time, manager, apiVersion, subresource."""
    if not managers:
        return None
    out: list[Obj] = []
    for ident, m in managers.items():
        e = orjson.loads(ident)
        entry: Obj = {}
        if "manager" in e:
            entry["manager"] = e["manager"]
        entry["operation"] = "Apply" if m.applied else e.get("operation", "Update")
        entry["apiVersion"] = m.api_version
        if m.time:
            entry["time"] = m.time
        entry["fieldsType"] = "FieldsV1"
        entry["fieldsV1"] = m.fields.to_fields()
        if e.get("subresource"):
            entry["subresource"] = e["subresource"]
        out.append(entry)
    out.sort(key=lambda x: (x["operation"], x.get("time") or "", x.get("manager", ""), x["apiVersion"],
                            x.get("subresource", "")))
    return out


def _is_reset(entries: Any) -> bool:
    """``[]`` or ``[{}]``: the client clears managedFields."""
    return isinstance(entries, list) and (not entries or (len(entries) == 1 and entries[0] == {}))


def _without_managed(obj: Obj) -> Obj:
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        meta = {k: v for k, v in meta.items() if k != "managedFields"}
        return {**obj, "metadata": meta}
    return obj


def _set_managed(obj: Obj, managers: Managers, like: Obj | None = None) -> Obj:
    """``obj`` with ``managers`` encoded, at the place ``like`` had them (so that an
    unchanged object encodes to the same bytes)."""
    return _place_managed(obj, encode(managers), like)


def _place_managed(obj: Obj, entries: list[Obj] | None, like: Obj | None) -> Obj:
    """``obj`` with managedFields ``entries`` (none: without), where ``like`` had them."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "managedFields"}
    if entries is not None:
        keys = list((like or {}).get("metadata") or {})
        at = keys.index("managedFields") if "managedFields" in keys else -1
        prev = keys[at - 1] if at > 0 else None
        if at < 0 or (prev is not None and prev not in meta):
            meta["managedFields"] = entries
        elif prev is None:
            meta = {"managedFields": entries, **meta}
        else:
            placed: Obj = {}
            for k, v in meta.items():
                placed[k] = v
                if k == prev:
                    placed["managedFields"] = entries
            meta = placed
    return {**obj, "metadata": meta}


def _set_created(obj: Obj, fields: dict[str, Any], manager: str, api_version: str, like: Obj) -> Obj:
    """``obj`` with the one managedFields entry of its create by ``manager`` (none when it
    sets no field that is managed), where ``like`` had managedFields."""
    if not fields:
        return _place_managed(obj, None, like)
    entry: Obj = {}
    if manager:
        entry["manager"] = manager
    entry.update(operation="Update", apiVersion=api_version, time=now_rfc3339(), fieldsType="FieldsV1",
                 fieldsV1=fields)
    return _place_managed(obj, [entry], like)


# --- the updater ---------------------------------------------------------------------------


class FieldManager:
    """Field management of one resource (one served version): built once, cached."""

    def __init__(self, api_version: str, schema: Obj | None, *, has_status: bool, custom: bool,
                 kind: str = "") -> None:
        self.api_version = api_version
        self.kind = kind
        group, _, version = api_version.rpartition("/")
        self._gvk = (group, version, kind)
        self.atom = typed.root(schema)
        self.has_status = has_status
        # A create compares with the kind's new, empty object: Go's zero value has the
        # spec and status structs of a built-in kind; an unstructured one has nothing.
        self.empty: Obj = {} if custom else {
            k: {} for k in ("spec", "status") if self.atom.field(k) is not None}

    @classmethod
    def of(cls, resource: Resource) -> FieldManager:
        return cls(resource.group_version, resource.schema, has_status="status" in resource.subresources,
                   custom=resource.custom, kind=resource.kind)

    def _ignored(self, subresource: str) -> Set:
        if not self.has_status:
            return Set()
        if subresource == "status":
            return Set.of((field("spec"),))
        return Set.of((field("status"),)) if not subresource else Set()

    def _update_sets(self, old: Obj, new: Obj, managers: Managers, workflow: str, force: bool,
                     ignored: Set) -> tuple[Managers, typed.Comparison]:
        cmp = typed.compare(old, new, self.atom)
        if not ignored.empty():
            cmp.added = cmp.added.recursive_difference(ignored)
            cmp.modified = cmp.modified.recursive_difference(ignored)
            cmp.removed = cmp.removed.recursive_difference(ignored)
        changed = cmp.modified.union(cmp.added)
        conflicts: dict[str, Set] = {}
        for ident, m in managers.items():
            if ident == workflow:
                continue
            c = m.fields.intersection(changed)
            if not c.empty():
                conflicts[ident] = c
        if conflicts and not force:
            raise Conflicts([(ident, p) for ident in sorted(conflicts) for p in conflicts[ident].paths()])
        out: Managers = {}
        for ident, m in managers.items():
            fields = m.fields
            if ident in conflicts:
                fields = fields.difference(conflicts[ident])
            if ident != workflow and not cmp.removed.empty():
                fields = fields.difference(cmp.removed)
            if not fields.empty():
                out[ident] = Managed(fields, m.api_version, m.applied, m.time)
        return out, cmp

    def update(self, live: Obj | None, new: Obj, manager: str, subresource: str = "") -> Obj:
        """``FieldManager.UpdateNoErrors``: ``new`` with its managedFields after ``manager``'s
        update (or create, ``live`` None) through ``subresource``."""
        new_meta = new.get("metadata")
        if not isinstance(new_meta, dict):
            return new  # not an object: validation refuses it with kube's message
        live_meta = (live or {}).get("metadata") or {}
        new_entries = new_meta.get("managedFields")
        try:
            live_managers = decode(live_meta.get("managedFields"))
        except ValueError:
            live_managers = {}
        managers = live_managers
        if not subresource:
            if _is_reset(new_entries) and new_entries is not None and (new_entries == [{}] or new_entries == []):
                managers = {}
            else:
                try:
                    from_new = decode(new_entries)
                except ValueError:
                    from_new = {}
                if from_new:
                    managers = from_new
        new_obj = _without_managed(new)
        if live is None and not subresource and not managers:
            try:
                created = self._created_fields(new_obj)
            except typed.TypedError:
                return _set_managed(new_obj, {}, new)
            if created is not None:
                return _set_created(new_obj, created, manager, self.api_version, new)
        old_obj = _without_managed(live) if live is not None else self.empty
        try:
            managers = self._update_managers(old_obj, new_obj, managers, manager, subresource)
        except typed.TypedError:
            return _set_managed(new_obj, live_managers, new)
        return _set_managed(new_obj, managers, new)

    def _created_fields(self, new: Obj) -> dict[str, Any] | None:
        """The FieldsV1 a create gives its manager (what :meth:`_update_managers` makes of
        ``self.empty`` -> ``new``), in one walk; ``None`` for an object it does not cover
        (a zero-valued ``spec``/``status`` that is not a map)."""
        out: dict[str, Any] = {}
        child, empty = self.atom.child, self.empty
        for k in sorted(new):
            if k == "apiVersion" or k == "kind":
                continue  # never managed
            v = new[k]
            if k in empty:
                atom = child(k)
                if not isinstance(v, dict) or atom.atomic or atom.kind not in ("map", "untyped"):
                    return None
                children = typed.added_fields(v, atom) if v else None
                if children:
                    out["f:" + k] = children  # in Go's zero value already: not a member itself
            else:
                # A scalar or empty value is a leaf whatever its type says.
                out["f:" + k] = typed.added_node(v, child(k)) if isinstance(v, dict | list) and v else {}
        if self.has_status:
            out.pop("f:status", None)
        meta = out.get("f:metadata")
        if meta is not None:
            meta.pop(".", None)
            for name in _STRIP_META:
                meta.pop(name, None)
            if not meta:
                del out["f:metadata"]
        return out

    def _update_managers(self, old: Obj, new: Obj, managers: Managers, manager: str, subresource: str) -> Managers:
        ignored = self._ignored(subresource)
        current = "current-operation"
        managers, cmp = self._update_sets(old, new, managers, current, True, ignored)
        fields = cmp.modified.union(cmp.added)
        fields = fields.recursive_difference(ignored).difference(_STRIP)
        ident = identifier(manager, "Update", self.api_version, subresource)
        if not fields.empty():
            previous = managers.get(ident)
            if previous is not None:
                fields = fields.union(previous.fields)
            managers[ident] = Managed(fields, self.api_version, False, now_rfc3339())
        for m in managers.values():
            m.fields = m.fields.difference(_STRIP)
        return _cap_updaters({i: m for i, m in managers.items() if not m.fields.empty()})

    def check_apply_version(self, config: Obj) -> None:
        """kube's ``versionCheckManager``, the outermost of its field manager: an applied
        configuration names exactly this resource's group, version and kind (nothing is
        defaulted), else 400 ``invalid object type: <group>/<version>, Kind=<kind>``."""
        api_version = config.get("apiVersion")
        kind = config.get("kind")
        gvk = _parse_gvk(api_version if isinstance(api_version, str) else "", kind if isinstance(kind, str) else "")
        if gvk != self._gvk:
            group, version, kind_ = gvk
            raise errors.bad_request(f"invalid object type: {group}/{version}, Kind={kind_}")

    def check_apply_shape(self, config: Obj) -> None:
        """An applied configuration that does not fit the schema is kube's reason-less 500 (what
        ``apply`` answers too; the handler checks this before it reads the name of an object
        the apply would create)."""
        try:
            typed.to_set(config, self.atom)
        except typed.TypedError as exc:
            raise self._typed_patch_error(config, exc) from None

    def _typed_patch_error(self, config: Obj, exc: typed.TypedError) -> errors.StatusError:
        """kube answers a plain error here (a 500 with no reason), naming the object as objectGVKNN does."""
        group, _, version = self.api_version.rpartition("/")
        meta = config.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        return errors.unknown(f"failed to create typed patch object ({group}/{version}, Kind={config.get('kind', '')} "
                              f"{meta.get('namespace', '')}/{meta.get('name', '')}): {exc}")

    def apply(self, live: Obj, config: Obj, manager: str, *, force: bool, subresource: str = "") -> Obj:
        """Server-side apply of ``config`` by ``manager`` onto ``live`` ({} to create):
        the new object with its managedFields; 409 on conflicts unless ``force``."""
        self.check_apply_version(config)
        meta = config.get("metadata")
        if isinstance(meta, dict) and meta.get("managedFields") is not None:
            raise errors.bad_request("metadata.managedFields must be nil")
        try:
            managers = decode((live.get("metadata") or {}).get("managedFields"))
        except ValueError as exc:
            raise errors.internal_error(f"failed to decode managed fields: {exc}") from None
        live_obj = _without_managed(live)
        try:
            result, managers = self._apply(live_obj, config, managers, manager, force, subresource)
        except Conflicts as exc:
            allowed = self._allowed_from_last_applied(live_obj) if manager == "kubectl" else None
            remaining = [c for c in exc.conflicts if allowed is None or not allowed.has(c[1])]
            if remaining:
                raise conflict_error(remaining) from None
            result, managers = self._apply(live_obj, config, managers, manager, True, subresource)
        except typed.TypedError as exc:
            raise self._typed_patch_error(config, exc) from None
        if manager == "kubectl":
            result = _sync_last_applied(result, config)
        return _set_managed(result, managers, live)

    def _apply(self, live: Obj, config: Obj, managers: Managers, manager: str, force: bool,
               subresource: str) -> tuple[Obj, Managers]:
        ignored = self._ignored(subresource)
        ident = identifier(manager, "Apply", self.api_version, subresource)
        managers = dict(managers)
        merged = typed.merge(live, config, self.atom)
        last = managers.get(ident)
        applied = typed.to_set(config, self.atom).recursive_difference(ignored)
        managers[ident] = Managed(applied, self.api_version, True, last.time if last else None)
        merged = self._prune(merged, managers, ident, last)
        managers, _ = self._update_sets(live, merged, managers, ident, force, ignored)
        changed = not typed._equal(live, merged)
        for m in managers.values():
            m.fields = m.fields.difference(_STRIP)
        if changed and ident in managers:
            managers[ident].time = now_rfc3339()
        return (merged if changed else live), {i: m for i, m in managers.items() if not m.fields.empty()}

    def _prune(self, merged: Obj, managers: Managers, ident: str, last: Managed | None) -> Obj:
        if last is None or last.fields.empty():
            return merged
        atom = self.atom
        ensure = typed.ensure_named_fields
        pruned = typed.remove_items(merged, ensure(last.fields, atom), atom)
        pruned = pruned if pruned is not typed.MISSING else {}
        managed = Set()
        for m in managers.values():
            managed = managed.union(m.fields)
        merged_set = ensure(typed.to_set(merged, atom), atom)
        pruned_set = ensure(typed.to_set(pruned, atom), atom)
        pruned = typed.remove_items(merged, merged_set.difference(pruned_set.union(ensure(managed, atom))), atom)
        pruned = pruned if pruned is not typed.MISSING else {}
        pruned_set = ensure(typed.to_set(pruned, atom), atom)
        result = typed.remove_items(merged, merged_set.difference(pruned_set).intersection(ensure(last.fields, atom)),
                                    atom)
        return result if result is not typed.MISSING else {}

    def _allowed_from_last_applied(self, live: Obj) -> Set | None:
        """The fields kubectl's client-side apply owned (``lastAppliedManager``)."""
        text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
        if not text:
            return None
        try:
            last = orjson.loads(text)
            if not isinstance(last, dict) or last.get("apiVersion") != self.api_version:
                return None
            fields = typed.to_set(last, self.atom)
            cmp = typed.compare(last, live, self.atom)
        except (orjson.JSONDecodeError, typed.TypedError):
            return None
        return fields.difference(cmp.modified).difference(cmp.added).difference(cmp.removed)


MAX_UPDATE_MANAGERS = 10


def _cap_updaters(managers: Managers) -> Managers:
    """``capManagersManager``: beyond 10 Update entries, the oldest are merged into one
    ``ancient-changes`` entry per apiVersion."""
    updaters = [i for i, m in managers.items() if not m.applied]
    if len(updaters) <= MAX_UPDATE_MANAGERS:
        return managers
    updaters.sort(key=lambda i: (managers[i].time or "", i))
    first: dict[str, str] = {}
    length = len(updaters)
    for ident in updaters:
        if length <= MAX_UPDATE_MANAGERS:
            break
        m = managers[ident]
        bucket = identifier("ancient-changes", "Update", m.api_version, "")
        if m.api_version not in first:
            first[m.api_version] = ident
            continue
        if bucket not in managers:
            managers[bucket] = managers.pop(first[m.api_version])
        managers[bucket] = Managed(m.fields.union(managers[bucket].fields), m.api_version, False, m.time)
        del managers[ident]
        length -= 1
    return managers


def _sync_last_applied(obj: Obj, config: Obj) -> Obj:
    """``lastAppliedUpdater``: kubectl's server-side apply keeps an existing
    last-applied annotation equal to what it applied."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if not annotations.get(LAST_APPLIED):
        return obj
    applied_meta = dict(config.get("metadata") or {})
    applied_ann = {k: v for k, v in (applied_meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    if applied_ann:
        applied_meta["annotations"] = applied_ann
    else:
        applied_meta.pop("annotations", None)
    text = orjson.dumps({**config, "metadata": applied_meta}).decode() + "\n"
    meta = dict(obj["metadata"])
    meta["annotations"] = {**annotations, LAST_APPLIED: text}
    return {**obj, "metadata": meta}


_MANAGERS: weakref.WeakKeyDictionary[Resource, FieldManager] = weakref.WeakKeyDictionary()


def _parse_gvk(api_version: str, kind: str) -> tuple[str, str, str]:
    """Go's ``Unstructured.GroupVersionKind``: an apiVersion with more than one ``/`` gives
    the empty GroupVersionKind."""
    if api_version in ("", "/"):
        return "", "", kind
    group, sep, version = api_version.partition("/")
    if not sep:
        return "", api_version, kind
    if "/" in version:
        return "", "", ""
    return group, version, kind


def for_resource(resource: Resource) -> FieldManager:
    """The resource's field manager, built on first use."""
    fm = _MANAGERS.get(resource)
    if fm is None:
        fm = _MANAGERS[resource] = FieldManager.of(resource)
    return fm


# --- the scale subresource (kube's ScaleHandler) ---------------------------------------------------

SCALE_API_VERSION = "autoscaling/v1"
_REPLICAS_IN_SCALE: Path = (field("spec"), field("replicas"))


@functools.cache
def for_scale() -> FieldManager:
    """The field manager of autoscaling/v1 Scale objects, which ``/scale`` applies to."""
    return FieldManager(SCALE_API_VERSION, definitions.BUILTIN_SCHEMAS[("autoscaling", "v1", "Scale")],
                        has_status=False, custom=False, kind="Scale")


def replicas_path(dotted: str) -> Path:
    """``.spec.replicas`` as a field path."""
    return tuple(field(p) for p in dotted.strip(".").split("."))


def scale_entries(parent: Obj, replicas: Path) -> list[Obj] | None:
    """``ScaleHandler.ToSubresource``: the parent's managers that own its replicas, as owners of
    a Scale's ``spec.replicas``."""
    managers = decode((parent.get("metadata") or {}).get("managedFields"))
    return encode({ident: Managed(Set.of(_REPLICAS_IN_SCALE), SCALE_API_VERSION, m.applied, m.time)
                   for ident, m in managers.items() if m.fields.has(replicas)})


def parent_entries(parent: Obj, scale: Obj, replicas: Path) -> list[Obj] | None:
    """``ScaleHandler.ToParent``: the parent's managers after a write of its Scale; those that
    no longer own the Scale's replicas lose the parent's."""
    parents = decode((parent.get("metadata") or {}).get("managedFields"))
    scales = decode((scale.get("metadata") or {}).get("managedFields"))
    out: Managers = {}
    for ident, m in parents.items():
        if not m.fields.has(replicas):
            out[ident] = m
        elif ident in scales:
            out[ident] = m
            del scales[ident]
        else:
            rest = m.fields.difference(Set.of(replicas))
            if not rest.empty():
                out[ident] = Managed(rest, m.api_version, m.applied, m.time)
    api_version = str(parent.get("apiVersion") or "")
    for ident, m in scales.items():
        if m.fields.has(_REPLICAS_IN_SCALE):
            # kube keeps the parent's time of the manager: none for one new to the parent
            old = parents.get(ident)
            out[ident] = Managed(Set.of(replicas), api_version, m.applied, old.time if old else None)
    return encode(out)


# --- manager names -----------------------------------------------------------------------


def _printable(ch: str) -> bool:
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


def validate_manager(name: str, kind: str) -> None:
    """``ValidateFieldManager`` for ``<kind>`` (CreateOptions, UpdateOptions, PatchOptions)."""
    errs: list[errors.FieldError] = []
    if len(name.encode()) > MAX_MANAGER_LENGTH:
        errs.append(errors.too_long("fieldManager", MAX_MANAGER_LENGTH))
    for i, ch in enumerate(name):
        if not _printable(ch):
            errs.append(errors.invalid("fieldManager", name, f"invalid character U+{ord(ch):04X} (at position {i})"))
    if errs:
        raise errors.invalid_object(kind, "meta.k8s.io", "", errs)


def manager_or_user_agent(manager: str, user_agent: str) -> str:
    """``managerOrUserAgent``: the fieldManager, else the user agent up to its first '/'."""
    if manager:
        return manager
    out = ""
    for ch in user_agent.split("/")[0]:
        if not _printable(ch):
            continue
        if len((out + ch).encode()) > MAX_MANAGER_LENGTH:
            break
        out += ch
    return out
