"""Name and ``ObjectMeta`` validation, as kube-apiserver does it.

A port of the parts of apimachinery (v0.37) that every resource shares:

* ``pkg/util/validation`` and ``pkg/api/validate/content``: the name checks
  (:func:`is_dns1123_subdomain`, :func:`is_qualified_name`, ...), which return
  kube's detail strings (empty list = valid), live in
  :mod:`setpoint.apimachinery.validation` and are re-exported here;
* ``pkg/api/validation/generic.go``: the ``ValidateNameFunc`` name validators
  (:func:`name_is_dns_subdomain`, ...), where ``prefix=True`` is used for
  ``generateName``;
* ``pkg/api/validation/objectmeta.go`` and ``pkg/apis/meta/v1/validation``:
  :func:`validate_object_meta` (``ValidateObjectMetaAccessor``) and
  :func:`validate_object_meta_update` (``ValidateObjectMetaAccessorUpdate``),
  which return :class:`~setpoint.apiserver.encoding.errors.FieldError` lists whose
  ``message()`` is character for character what kube-apiserver prints.

Everything here is pure and works on decoded JSON. Values of the wrong JSON
type never raise: they become ``FieldValueTypeInvalid`` errors worded like
the OpenAPI schema errors kube-apiserver returns for custom resources
(``metadata.labels: Invalid value: "string": metadata.labels in body must be
of type object: "string"``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any, Final

from setpoint.apimachinery.clock import format_time, parse_time
from setpoint.apimachinery.goformat import is_print, quote
from setpoint.apimachinery.types import json_type
from setpoint.apimachinery.validation import (
    DNS1035_LABEL_MAX_LENGTH,
    DNS1123_LABEL_MAX_LENGTH,
    DNS1123_SUBDOMAIN_MAX_LENGTH,
    LABEL_VALUE_MAX_LENGTH,
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
    is_valid_path_segment_name,
    is_valid_path_segment_prefix,
)
from setpoint.apimachinery.validation import byte_len as _blen
from setpoint.apiserver.encoding.errors import (
    FieldError,
    forbidden,
    invalid,
    not_supported,
    required,
    too_long,
    type_invalid,
)

__all__ = [
    "DNS1035_LABEL_MAX_LENGTH",
    "DNS1123_LABEL_MAX_LENGTH",
    "DNS1123_SUBDOMAIN_MAX_LENGTH",
    "FIELD_IMMUTABLE_ERROR_MSG",
    "FINALIZER_DELETE_DEPENDENTS",
    "FINALIZER_ORPHAN_DEPENDENTS",
    "LABEL_VALUE_MAX_LENGTH",
    "TOTAL_ANNOTATION_SIZE_LIMIT_B",
    "NameFn",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_qualified_name",
    "is_valid_label_value",
    "is_valid_path_segment_name",
    "is_valid_path_segment_prefix",
    "name_is_dns1035_label",
    "name_is_dns_label",
    "name_is_dns_subdomain",
    "name_is_path_segment",
    "validate_annotations",
    "validate_finalizers",
    "validate_label_name",
    "validate_label_selector",
    "validate_labels",
    "validate_managed_fields",
    "validate_namespace_name",
    "validate_object_meta",
    "validate_object_meta_update",
    "validate_owner_references",
    "validate_path_segment_name",
]

#: ``ValidateNameFunc``: ``(name, prefix) -> detail strings``; ``prefix`` is
#: True when the value is a ``generateName`` that gets a suffix appended.
NameFn = Callable[[str, bool], list[str]]

#: ``TotalAnnotationSizeLimitB``: keys plus values, in bytes.
TOTAL_ANNOTATION_SIZE_LIMIT_B: Final = 256 * (1 << 10)
FIELD_IMMUTABLE_ERROR_MSG: Final = "field is immutable"
IS_NEGATIVE_ERROR_MSG: Final = "must be greater than or equal to 0"
FIELD_MANAGER_MAX_LENGTH: Final = 128
MAX_SUBRESOURCE_NAME_LENGTH: Final = 256
FINALIZER_ORPHAN_DEPENDENTS: Final = "orphan"
FINALIZER_DELETE_DEPENDENTS: Final = "foregroundDeletion"
FINALIZER_KUBERNETES: Final = "kubernetes"
_STANDARD_FINALIZERS: Final = frozenset(
    {FINALIZER_KUBERNETES, FINALIZER_ORPHAN_DEPENDENTS, FINALIZER_DELETE_DEPENDENTS}
)


def _mask_trailing_dash(name: str) -> str:
    # Kube's maskTrailingDash drops the last *two* characters and appends "a".
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


def name_is_dns_subdomain(name: str, prefix: bool) -> list[str]:
    """``NameIsDNSSubdomain``."""
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1123_subdomain(name)


def name_is_dns_label(name: str, prefix: bool) -> list[str]:
    """``NameIsDNSLabel``."""
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1123_label(name)


def name_is_dns1035_label(name: str, prefix: bool) -> list[str]:
    """``NameIsDNS1035Label``."""
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1035_label(name)


def validate_path_segment_name(name: str, prefix: bool) -> list[str]:
    """``path.ValidatePathSegmentName``: the generic registry's name rule."""
    if prefix:
        return is_valid_path_segment_prefix(name)
    return is_valid_path_segment_name(name)


#: ``ValidateNamespaceName``.
validate_namespace_name: NameFn = name_is_dns_label
#: Alias of :func:`validate_path_segment_name`, named like the other ``NameFn``\ s.
name_is_path_segment: NameFn = validate_path_segment_name


def _go_string_slice(values: list[str]) -> str:
    """``%#v`` of a ``[]string``."""
    return "[]string{" + ", ".join(quote(v) for v in values) + "}"


# --------------------------------------------------------------------------
# JSON shape helpers
# --------------------------------------------------------------------------


def _type_error(path: str, value: Any, expected: str) -> FieldError:
    """A type mismatch, worded as kube-openapi's schema validation does."""
    actual = json_type(value)
    return type_invalid(path, actual, f'{path} in body must be of type {expected}: "{actual}"')


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _opt_str(meta: Mapping[str, Any], key: str, path: str, errs: list[FieldError]) -> str | None:
    """A string field: ``""`` when absent or null, ``None`` (and an error) when mistyped."""
    value = meta.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    errs.append(_type_error(_child(path, key), value, "string"))
    return None


def _str_map(value: Any, path: str, errs: list[FieldError]) -> dict[str, str]:
    """A ``map[string]string``; entries of the wrong type are reported and skipped."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errs.append(_type_error(path, value, "object"))
        return {}
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(k, str):
            errs.append(_type_error(path, k, "object with string keys"))
            continue
        if v is None:
            out[k] = ""
            continue
        if not isinstance(v, str):
            errs.append(_type_error(_child(path, k), v, "string"))
            continue
        out[k] = v
    return out


def _str_list(value: Any, path: str, errs: list[FieldError]) -> list[str]:
    """A ``[]string``; items of the wrong type are reported and skipped."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        errs.append(_type_error(path, value, "array"))
        return []
    out: list[str] = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            out.append(item)
        elif item is None:
            out.append("")
        else:
            errs.append(_type_error(_index(path, i), item, "string"))
    return out


def _object_list(value: Any, path: str, errs: list[FieldError]) -> list[Mapping[str, Any] | None]:
    """A list of objects; mistyped items are reported and come back as ``None``."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        errs.append(_type_error(path, value, "array"))
        return []
    out: list[Mapping[str, Any] | None] = []
    for i, item in enumerate(value):
        if item is None:
            out.append({})
        elif isinstance(item, Mapping):
            out.append(item)
        else:
            errs.append(_type_error(_index(path, i), item, "object"))
            out.append(None)
    return out


def _opt_int(meta: Mapping[str, Any], key: str, path: str, errs: list[FieldError]) -> int | None:
    value = meta.get(key)
    if value is None:
        return None
    if _is_int(value):
        return int(value)
    errs.append(_type_error(_child(path, key), value, "integer"))
    return None


def _opt_bool(ref: Mapping[str, Any], key: str, path: str, errs: list[FieldError]) -> bool | None:
    value = ref.get(key)
    if value is None or isinstance(value, bool):
        return value
    errs.append(_type_error(_child(path, key), value, "boolean"))
    return None


_CANONICAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _timestamp(
    meta: Mapping[str, Any], key: str, path: str, errs: list[FieldError] | None
) -> tuple[Any, Any]:
    """A ``metav1.Time`` field as ``(json_value, comparison_key)``.

    The JSON value is what Go marshals (UTC RFC 3339 in whole seconds, or
    ``None`` when unset); the key compares at full precision, as
    ``apiequality.Semantic`` does. A mistyped or unparsable value is reported
    when ``errs`` is given and comes back raw.
    """
    value = meta.get(key)
    if value is None:
        return (None, None)
    if isinstance(value, str) and len(value) == 20 and _CANONICAL_TIME.fullmatch(value):
        return (value, value)  # already what Go marshals: no parse needed
    if not isinstance(value, str):
        if errs is not None:
            errs.append(_type_error(_child(path, key), value, "string"))
        return (value, value)
    parsed = parse_time(value)
    if parsed is None:
        if errs is not None:
            field = _child(path, key)
            errs.append(
                type_invalid(field, value, f"{field} in body must be of type date-time: {quote(value)}")
            )
        return (value, value)
    utc = parsed.astimezone(UTC)
    canonical = format_time(utc)
    # Compare as text: canonical whole seconds, else full precision.
    return (canonical, canonical if utc.microsecond == 0 else utc.isoformat())


# --------------------------------------------------------------------------
# ObjectMeta pieces
# --------------------------------------------------------------------------


def validate_label_name(name: str, path: str) -> list[FieldError]:
    """``ValidateLabelName``."""
    return [invalid(path, name, msg) for msg in is_qualified_name(name)]


def validate_labels(labels: Any, path: str) -> list[FieldError]:
    """``ValidateLabels``: every key a qualified name, every value a label value.

    Errors are reported at ``path`` itself (``metadata.labels``), as kube does.
    """
    errs: list[FieldError] = []
    for k, v in _str_map(labels, path, errs).items():
        for msg in is_qualified_name(k):
            errs.append(invalid(path, k, msg))
        for msg in is_valid_label_value(v):
            errs.append(invalid(path, v, msg))
    return errs


def validate_annotations(annotations: Any, path: str) -> list[FieldError]:
    """``ValidateAnnotations``: qualified-name keys (case-insensitive), 256 KiB in total."""
    errs: list[FieldError] = []
    values = _str_map(annotations, path, errs)
    total = 0
    for k, v in values.items():
        for msg in is_qualified_name(k.lower()):
            errs.append(invalid(path, k, msg))
        total += _blen(k) + _blen(v)
    if total > TOTAL_ANNOTATION_SIZE_LIMIT_B:
        errs.append(too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT_B))
    return errs


def _parse_group_version(gv: str) -> tuple[str, str] | None:
    """``schema.ParseGroupVersion``: ``(group, version)`` or ``None`` on error."""
    if gv in ("", "/"):
        return ("", "")
    slashes = gv.count("/")
    if slashes == 0:
        return ("", gv)
    if slashes == 1:
        group, version = gv.split("/")
        return (group, version)
    return None


def _owner_reference_json(ref: Mapping[str, Any]) -> dict[str, Any]:
    """An ``OwnerReference`` as Go's ``json.Marshal`` writes it (field order, omitempty)."""
    out: dict[str, Any] = {}
    for key in ("apiVersion", "kind", "name", "uid"):
        value = ref.get(key)
        out[key] = value if isinstance(value, str) else ""
    for key in ("controller", "blockOwnerDeletion"):
        value = ref.get(key)
        if isinstance(value, bool):
            out[key] = value
    return out


def validate_owner_references(refs: Any, path: str) -> list[FieldError]:
    """``ValidateOwnerReferences``."""
    errs: list[FieldError] = []
    items = _object_list(refs, path, errs)
    first_controller = ""
    for idx, ref in enumerate(items):
        if ref is None:
            continue
        ref_path = _index(path, idx)
        api_version = _opt_str(ref, "apiVersion", ref_path, errs)
        kind = _opt_str(ref, "kind", ref_path, errs)
        name = _opt_str(ref, "name", ref_path, errs)
        uid = _opt_str(ref, "uid", ref_path, errs)
        controller = _opt_bool(ref, "controller", ref_path, errs)
        _opt_bool(ref, "blockOwnerDeletion", ref_path, errs)

        gv: tuple[str, str] | None = ("", "")
        if api_version is not None:
            gv = _parse_group_version(api_version)
            if api_version == "":
                errs.append(required(_child(ref_path, "apiVersion"), "must not be empty"))
            elif gv is None or not gv[1]:
                errs.append(
                    invalid(
                        _child(ref_path, "apiVersion"), api_version, "must be <group>/<version> or <version>"
                    )
                )
        if kind == "":
            errs.append(required(_child(ref_path, "kind"), "must not be empty"))
        if name == "":
            errs.append(required(_child(ref_path, "name"), "must not be empty"))
        if uid == "":
            errs.append(required(_child(ref_path, "uid"), "must not be empty"))
        group, version = gv if gv is not None else ("", "")
        if group == "" and version == "v1" and kind == "Event":
            errs.append(
                invalid(
                    ref_path, _owner_reference_json(ref), "/v1, Kind=Event is disallowed from being an owner"
                )
            )

        if controller:
            current = f"{kind or ''}/{name or ''}"
            if first_controller:
                errs.append(
                    invalid(
                        path,
                        [_owner_reference_json(r) if r is not None else None for r in items],
                        'Only one reference can have Controller set to true. Found "true" in references for '
                        f"{first_controller} and {current}",
                    )
                )
            else:
                first_controller = current
    return errs


def _validate_finalizer_names(finalizers: list[str], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    has_orphan = has_delete = False
    for finalizer in finalizers:
        errs.extend(invalid(path, finalizer, msg) for msg in is_qualified_name(finalizer))
        if finalizer == FINALIZER_ORPHAN_DEPENDENTS:
            has_orphan = True
        elif finalizer == FINALIZER_DELETE_DEPENDENTS:
            has_delete = True
    if has_orphan and has_delete:
        errs.append(
            invalid(
                path,
                finalizers,
                f"finalizer {FINALIZER_ORPHAN_DEPENDENTS} and {FINALIZER_DELETE_DEPENDENTS} cannot be both set",
            )
        )
    return errs


def validate_finalizers(finalizers: Any, path: str) -> list[FieldError]:
    """``ValidateFinalizers``: qualified names; ``orphan`` excludes ``foregroundDeletion``.

    Like kube, duplicates are accepted (they are not an error in any version).
    """
    errs: list[FieldError] = []
    names = _str_list(finalizers, path, errs)
    errs.extend(_validate_finalizer_names(names, path))
    return errs


def _validate_kube_finalizer_names(finalizers: list[str], path: str) -> list[FieldError]:
    """``core/validation.validateKubeFinalizerName`` for built-in kinds."""
    return [
        invalid(_index(path, i), f, "name is neither a standard finalizer name nor is it fully qualified")
        for i, f in enumerate(finalizers)
        if "/" not in f and f not in _STANDARD_FINALIZERS
    ]


def _validate_field_manager(manager: str, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if _blen(manager) > FIELD_MANAGER_MAX_LENGTH:
        errs.append(too_long(path, FIELD_MANAGER_MAX_LENGTH))
    if not manager.isprintable():
        pos = 0
        for ch in manager:
            if not is_print(ch):
                errs.append(invalid(path, manager, f"invalid character U+{ord(ch):04X} (at position {pos})"))
            pos += _blen(ch)
    return errs


def validate_managed_fields(entries: Any, path: str) -> list[FieldError]:
    """``ValidateManagedFields``."""
    errs: list[FieldError] = []
    for i, entry in enumerate(_object_list(entries, path, errs)):
        if entry is None:
            continue
        entry_path = _index(path, i)
        operation = _opt_str(entry, "operation", entry_path, errs)
        if operation == "":
            errs.append(required(_child(entry_path, "operation"), "must not be empty"))
        elif operation is not None and operation not in ("Apply", "Update"):
            errs.append(not_supported(_child(entry_path, "operation"), operation, ["Apply", "Update"]))
        fields_type = _opt_str(entry, "fieldsType", entry_path, errs)
        if fields_type and fields_type != "FieldsV1":
            errs.append(invalid(_child(entry_path, "fieldsType"), fields_type, "must be `FieldsV1`"))
        manager = _opt_str(entry, "manager", entry_path, errs)
        if manager:
            errs.extend(_validate_field_manager(manager, _child(entry_path, "manager")))
        subresource = _opt_str(entry, "subresource", entry_path, errs)
        if subresource is not None and _blen(subresource) > MAX_SUBRESOURCE_NAME_LENGTH:
            errs.append(too_long(_child(entry_path, "subresource"), MAX_SUBRESOURCE_NAME_LENGTH))
    return errs


def validate_label_selector(
    selector: Any,
    path: str,
    *,
    allow_invalid_label_value: bool = False,
    allow_unknown_operator: bool = False,
) -> list[FieldError]:
    """``metav1validation.ValidateLabelSelector`` for a ``metav1.LabelSelector`` dict."""
    errs: list[FieldError] = []
    if selector is None:
        return errs
    if not isinstance(selector, Mapping):
        return [_type_error(path, selector, "object")]
    errs.extend(validate_labels(selector.get("matchLabels"), _child(path, "matchLabels")))
    exprs_path = _child(path, "matchExpressions")
    for i, expr in enumerate(_object_list(selector.get("matchExpressions"), exprs_path, errs)):
        if expr is None:
            continue
        expr_path = _index(exprs_path, i)
        key = _opt_str(expr, "key", expr_path, errs)
        operator = _opt_str(expr, "operator", expr_path, errs)
        values = _str_list(expr.get("values"), _child(expr_path, "values"), errs)
        if operator in ("In", "NotIn"):
            if not values:
                errs.append(
                    required(
                        _child(expr_path, "values"), "must be specified when `operator` is 'In' or 'NotIn'"
                    )
                )
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                errs.append(
                    forbidden(
                        _child(expr_path, "values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    )
                )
        elif operator is not None and not allow_unknown_operator:
            errs.append(invalid(_child(expr_path, "operator"), operator, "not a valid selector operator"))
        if key is not None:
            errs.extend(validate_label_name(key, _child(expr_path, "key")))
        if not allow_invalid_label_value:
            for j, value in enumerate(values):
                for msg in is_valid_label_value(value):
                    errs.append(invalid(_index(_child(expr_path, "values"), j), value, msg))
    return errs


# --------------------------------------------------------------------------
# ObjectMeta
# --------------------------------------------------------------------------


def _common(
    meta: Mapping[str, Any], namespaced: bool, path: str, builtin_finalizers: bool, errs: list[FieldError]
) -> None:
    """``validateObjectMetaAccessorWithOptsCommon``."""
    namespace = _opt_str(meta, "namespace", path, errs)
    if namespaced:
        if namespace == "":
            errs.append(required(_child(path, "namespace")))
        elif namespace is not None:
            errs.extend(
                invalid(_child(path, "namespace"), namespace, msg)
                for msg in validate_namespace_name(namespace, False)
            )
    elif namespace:
        errs.append(forbidden(_child(path, "namespace"), "not allowed on this type"))

    generation = _opt_int(meta, "generation", path, errs)
    if generation is not None and generation < 0:
        errs.append(invalid(_child(path, "generation"), generation, IS_NEGATIVE_ERROR_MSG))
    # Absent fields are valid: skip their validators (this runs on every write).
    if meta.get("labels") is not None:
        errs.extend(validate_labels(meta["labels"], _child(path, "labels")))
    if meta.get("annotations") is not None:
        errs.extend(validate_annotations(meta["annotations"], _child(path, "annotations")))
    if meta.get("ownerReferences") is not None:
        errs.extend(validate_owner_references(meta["ownerReferences"], _child(path, "ownerReferences")))
    if meta.get("finalizers") is not None:
        finalizers_path = _child(path, "finalizers")
        finalizers = _str_list(meta["finalizers"], finalizers_path, errs)
        errs.extend(_validate_finalizer_names(finalizers, finalizers_path))
        if builtin_finalizers:
            errs.extend(_validate_kube_finalizer_names(finalizers, finalizers_path))
    if meta.get("managedFields") is not None:
        errs.extend(validate_managed_fields(meta["managedFields"], _child(path, "managedFields")))


def _type_check_scalars(meta: Mapping[str, Any], path: str, errs: list[FieldError]) -> None:
    """Type errors for the ObjectMeta fields the rules above do not read."""
    for key in ("uid", "resourceVersion", "selfLink"):
        _opt_str(meta, key, path, errs)
    _opt_int(meta, "deletionGracePeriodSeconds", path, errs)
    _timestamp(meta, "creationTimestamp", path, errs)
    _timestamp(meta, "deletionTimestamp", path, errs)


def validate_object_meta(
    meta: Any,
    *,
    namespaced: bool,
    name_fn: NameFn = name_is_dns_subdomain,
    path: str = "metadata",
    builtin_finalizers: bool = False,
) -> list[FieldError]:
    """``ValidateObjectMetaAccessor``: an object's metadata on create.

    Like kube this expects name generation to have happened: an empty
    ``name`` is an error even when ``generateName`` is set. ``namespaced``
    is ``requiresNamespace`` (kube's registry clears the namespace of a
    cluster-scoped object before validating, so a namespace there is
    ``Forbidden``). ``builtin_finalizers`` adds the core-group rule that an
    unqualified finalizer must be ``kubernetes``, ``orphan`` or
    ``foregroundDeletion`` (``pkg/apis/core/validation.ValidateObjectMeta``,
    used by the built-in kinds but not by custom resources).
    """
    if meta is None:
        meta = {}
    if not isinstance(meta, Mapping):
        return [_type_error(path, meta, "object")]
    errs: list[FieldError] = []
    generate_name = _opt_str(meta, "generateName", path, errs)
    if generate_name:
        errs.extend(
            invalid(_child(path, "generateName"), generate_name, msg) for msg in name_fn(generate_name, True)
        )
    name = _opt_str(meta, "name", path, errs)
    if name == "":
        errs.append(required(_child(path, "name"), "name or generateName is required"))
    elif name is not None:
        errs.extend(invalid(_child(path, "name"), name, msg) for msg in name_fn(name, False))
    _common(meta, namespaced, path, builtin_finalizers, errs)
    _type_check_scalars(meta, path, errs)
    return errs


def _silent_str(meta: Mapping[str, Any], key: str) -> str:
    value = meta.get(key)
    return value if isinstance(value, str) else ""


def _silent_strs(value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        return []
    return [v for v in value if isinstance(v, str)]


def _immutable(errs: list[FieldError], path: str, new: Any, old: Any) -> None:
    if new != old:
        errs.append(invalid(path, new, FIELD_IMMUTABLE_ERROR_MSG))


def validate_object_meta_update(
    new: Any,
    old: Any,
    path: str = "metadata",
    *,
    builtin_finalizers: bool = False,
) -> list[FieldError]:
    """``ValidateObjectMetaAccessorUpdate``: the new metadata of an update.

    Checked, in kube's order: no new finalizers once ``old`` is being deleted,
    ``resourceVersion`` set, ``generation`` not negative nor decremented,
    ``name``/``namespace``/``uid``/``creationTimestamp``/``deletionTimestamp``/
    ``deletionGracePeriodSeconds`` unchanged, then labels, annotations,
    ownerReferences and managedFields of ``new``. As in kube, ``name``,
    ``generateName`` and finalizer names are *not* re-validated on update.

    This is the pure validation only: kube's registry first copies ``uid``
    (when empty), ``creationTimestamp`` and ``generation`` from ``old`` into
    ``new`` (``rest.BeforeUpdate``); callers that want kube's behaviour do the
    same before calling this. ``old`` is trusted (it is the stored object):
    its fields of the wrong type are read as unset rather than reported.
    """
    if new is None:
        new = {}
    if not isinstance(new, Mapping):
        return [_type_error(path, new, "object")]
    if not isinstance(old, Mapping):
        old = {}
    errs: list[FieldError] = []

    finalizers_path = _child(path, "finalizers")
    new_finalizers = _str_list(new.get("finalizers"), finalizers_path, errs)
    old_deletion = _timestamp(old, "deletionTimestamp", path, None)
    if old_deletion[1] is not None:
        extra = sorted(set(new_finalizers) - set(_silent_strs(old.get("finalizers"))))
        if extra:
            errs.append(
                forbidden(
                    finalizers_path,
                    "no new finalizers can be added if the object is being deleted, found new finalizers "
                    + _go_string_slice(extra),
                )
            )

    resource_version = _opt_str(new, "resourceVersion", path, errs)
    if resource_version == "":
        errs.append(invalid(_child(path, "resourceVersion"), "", "must be specified for an update"))

    generation = new.get("generation")
    if generation is None or _is_int(generation):
        new_generation = generation or 0
        old_generation = old.get("generation")
        if new_generation < 0:
            errs.append(invalid(_child(path, "generation"), new_generation, IS_NEGATIVE_ERROR_MSG))
        if new_generation < (old_generation if _is_int(old_generation) else 0):
            errs.append(invalid(_child(path, "generation"), new_generation, "must not be decremented"))
    else:
        errs.append(_type_error(_child(path, "generation"), generation, "integer"))

    for key in ("name", "namespace", "uid"):
        value = _opt_str(new, key, path, errs)
        if value is not None:
            _immutable(errs, _child(path, key), value, _silent_str(old, key))

    for key in ("creationTimestamp", "deletionTimestamp"):
        before = len(errs)
        new_value, new_key = _timestamp(new, key, path, errs)
        if len(errs) == before and new_key != _timestamp(old, key, path, None)[1]:
            errs.append(invalid(_child(path, key), new_value, FIELD_IMMUTABLE_ERROR_MSG))

    grace = new.get("deletionGracePeriodSeconds")
    if grace is None or _is_int(grace):
        old_grace = old.get("deletionGracePeriodSeconds")
        _immutable(
            errs, _child(path, "deletionGracePeriodSeconds"), grace, old_grace if _is_int(old_grace) else None
        )
    else:
        errs.append(_type_error(_child(path, "deletionGracePeriodSeconds"), grace, "integer"))

    errs.extend(validate_labels(new.get("labels"), _child(path, "labels")))
    errs.extend(validate_annotations(new.get("annotations"), _child(path, "annotations")))
    errs.extend(validate_owner_references(new.get("ownerReferences"), _child(path, "ownerReferences")))
    errs.extend(validate_managed_fields(new.get("managedFields"), _child(path, "managedFields")))
    if builtin_finalizers:
        errs.extend(_validate_kube_finalizer_names(new_finalizers, finalizers_path))
    # Remaining type checks on fields no rule above reads.
    _opt_str(new, "generateName", path, errs)
    _opt_str(new, "selfLink", path, errs)
    return errs
