"""CustomResourceDefinition validation as ``apiextensions.k8s.io/v1`` does it.

:func:`validate_crd` is the apiextensions-apiserver's ``ValidateCustomResourceDefinition``
on a v1 object: names, versions (exactly one storage version), scope, conversion,
subresources, printer columns, selectable fields and, above all, the schemas: they
must be *structural* (``ValidateStructural``), their defaults must validate and be
pruned, list/map extensions must be consistent, and every ``x-kubernetes-validations``
rule must compile against the schema and stay within kube's cost limits.

Field paths follow kube's internal form: when every version has the same schema (or
subresources, printer columns, selectable fields) it is reported at the top level
(``spec.validation.openAPIV3Schema...``), as kube's v1-to-internal conversion moves it
there; otherwise per version (``spec.versions[1].schema.openAPIV3Schema...``).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from setpoint.apimachinery import goregexp
from setpoint.apimachinery.goformat import quote
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.apiextensions import structural
from setpoint.apiserver.apiextensions.cel import check, cost, evaluate, parse
from setpoint.apiserver.apiextensions.structural import GoValue, Node
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.encoding.errors import FieldError
from setpoint.apiserver.registry import metadata

_TYPES = ["array", "boolean", "integer", "number", "object", "string"]
_COLUMN_TYPES = ["boolean", "date", "integer", "number", "string"]
_COLUMN_FORMATS = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"]
_REASONS = ["FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"]
_ALLOWED_AT_ROOT_WITH_STATUS = {
    "description", "type", "format", "title", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "multipleOf", "required",
    "items", "properties", "externalDocs", "example", "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-validations",
}
_ALLOWED_AT_ROOT_NAMES = ("[Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum "
                          "MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items "
                          "Properties ExternalDocs Example XPreserveUnknownFields XValidations]")
MAX_SELECTABLE_FIELDS = 8


def _key(path: str, key: str) -> str:
    return f"{path}[{key}]"


def _dns1035(value: str) -> str:
    return ",".join(metadata.is_dns1035_label(value))


def _identical(versions: list[Obj], key: str) -> bool:
    if not versions:
        return False
    first = versions[0].get(key)
    if first is None or (isinstance(first, list) and not first):
        return False
    return all(v.get(key) == first for v in versions)


# --- the CRD --------------------------------------------------------------------------------


def validate_crd(obj: Obj, old: Obj | None = None) -> list[FieldError]:
    """Every error kube reports for this v1 CRD (``old``: the stored one, on update)."""
    out: list[FieldError] = []
    spec = obj.get("spec")
    meta = obj.get("metadata") or {}
    if not isinstance(spec, dict):
        return [errors.required("spec", "")]
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    assert isinstance(names, dict)
    group = spec.get("group") if isinstance(spec.get("group"), str) else ""
    assert isinstance(group, str)
    name = meta.get("name")
    if isinstance(name, str) and name and name != f"{names.get('plural', '')}.{group}":
        out.append(errors.invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))

    if not group:
        out.append(errors.required("spec.group", ""))
    elif metadata.is_dns1123_subdomain(group):
        out.append(errors.invalid("spec.group", group, ",".join(metadata.is_dns1123_subdomain(group))))
    elif len(group.split(".")) < 2:
        out.append(errors.invalid("spec.group", group, "should be a domain with at least one dot"))

    scope = spec.get("scope") or ""
    if not scope:
        out.append(errors.required("spec.scope", ""))
    elif scope not in ("Cluster", "Namespaced"):
        out.append(errors.not_supported("spec.scope", scope, ["Cluster", "Namespaced"]))

    versions_raw = spec.get("versions")
    versions: list[Obj] = [v for v in versions_raw if isinstance(v, dict)] if isinstance(versions_raw, list) else []
    top_schema = _identical(versions, "schema")
    top_subresources = _identical(versions, "subresources")
    top_columns = _identical(versions, "additionalPrinterColumns")
    top_selectable = _identical(versions, "selectableFields")

    for i, v in enumerate(versions):
        if not isinstance(v.get("schema"), dict) or not isinstance(v["schema"].get("openAPIV3Schema"), dict):
            out.append(errors.required(f"spec.versions[{i}].schema.openAPIV3Schema", "schemas are required"))
    # kube does not refuse a rule over the per-expression cost limit in a version whose schema an
    # update leaves as it was: the cluster accepted it, perhaps under an older estimate
    unchanged = _versions_with_unchanged_schemas(versions, old)

    storage = 0
    seen: set[str] = set()
    unique = True
    for i, v in enumerate(versions):
        path = f"spec.versions[{i}]"
        if v.get("storage") is True:
            storage += 1
        vname = v.get("name") if isinstance(v.get("name"), str) else ""
        assert isinstance(vname, str)
        if vname in seen:
            unique = False
        seen.add(vname)
        if metadata.is_dns1035_label(vname):
            out.append(errors.invalid(f"{path}.name", vname, _dns1035(vname)))
        out.extend(_version_warning(v, path))
        subs = v.get("subresources") if isinstance(v.get("subresources"), dict) else None
        if not top_schema:
            out.extend(validate_schema_of(v, f"{path}.schema", subs is not None and "status" in (subs or {}),
                                          vname in unchanged))
        if not top_subresources:
            out.extend(_validate_subresources(subs, f"{path}.subresources"))
        if not top_columns:
            for j, col in enumerate(v.get("additionalPrinterColumns") or []):
                out.extend(_validate_column(col, f"{path}.additionalPrinterColumns[{j}]"))
        if not top_selectable and v.get("selectableFields"):
            out.extend(_validate_selectable(v, f"{path}.selectableFields"))

    if not unique:
        out.append(errors.invalid("spec.versions", GoValue(versions), "must contain unique version names"))
    if storage != 1:
        out.append(errors.invalid("spec.versions", GoValue(versions),
                                  "must have exactly one version marked as storage version"))
    for key in ("plural", "singular", "kind", "listKind"):
        if not names.get(key):
            out.append(errors.required(f"spec.names.{key}", ""))
    out.extend(validate_names(names, "spec.names"))
    if top_schema and versions:
        any_status = any(isinstance(v.get("subresources"), dict) and "status" in v["subresources"] for v in versions)
        out.extend(validate_schema_of(versions[0], "spec.validation", any_status, versions[0].get("name") in unchanged))
    if top_subresources and versions:
        out.extend(_validate_subresources(versions[0].get("subresources"), "spec.subresources"))
    if top_columns and versions:
        for j, col in enumerate(versions[0].get("additionalPrinterColumns") or []):
            out.extend(_validate_column(col, f"spec.additionalPrinterColumns[{j}]"))
    if top_selectable and versions:
        out.extend(_validate_selectable(versions[0], "spec.selectableFields"))
    out.extend(_validate_conversion(spec.get("conversion")))
    if spec.get("preserveUnknownFields") is True and not (old is not None and
                                                          (old.get("spec") or {}).get("preserveUnknownFields")):
        out.append(errors.invalid("spec.preserveUnknownFields", True, "cannot set to true, set "
                                  "x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead"))
    if old is not None:
        out.extend(_validate_update(spec, old.get("spec") or {}, old))
    return out


def _versions_with_unchanged_schemas(versions: list[Obj], old: Obj | None) -> set[str]:
    """``findVersionsWithUnchangedSchemas``: the names of versions whose schema an update keeps."""
    if old is None:
        return set()
    old_versions = (old.get("spec") or {}).get("versions")
    before = {v.get("name"): v.get("schema") for v in old_versions if isinstance(v, dict)} \
        if isinstance(old_versions, list) else {}
    return {str(v.get("name")) for v in versions if v.get("name") in before and before[v.get("name")] == v.get("schema")}


def _version_warning(v: Obj, path: str) -> list[FieldError]:
    warning = v.get("deprecationWarning")
    if warning is None:
        return []
    out: list[FieldError] = []
    if not v.get("deprecated"):
        out.append(errors.invalid(f"{path}.deprecationWarning", warning, "can only be set for deprecated versions"))
    elif isinstance(warning, str):
        if len(warning) > 256:
            out.append(errors.invalid(f"{path}.deprecationWarning", warning, "must be <= 256 characters long"))
        if not warning:
            out.append(errors.invalid(f"{path}.deprecationWarning", warning, "must not be an empty string"))
    return out


def validate_names(names: Obj, path: str) -> list[FieldError]:
    """``ValidateCustomResourceDefinitionNames``."""
    out: list[FieldError] = []
    for key in ("plural", "singular"):
        value = names.get(key)
        if isinstance(value, str) and value and metadata.is_dns1035_label(value):
            out.append(errors.invalid(f"{path}.{key}", value, _dns1035(value)))
    for key in ("kind", "listKind"):
        value = names.get(key)
        if isinstance(value, str) and value and metadata.is_dns1035_label(value.lower()):
            out.append(errors.invalid(f"{path}.{key}", value,
                                      "may have mixed case, but should otherwise match: " + _dns1035(value.lower())))
    for i, short in enumerate(names.get("shortNames") or []):
        if not isinstance(short, str) or metadata.is_dns1035_label(short):
            out.append(errors.invalid(f"{path}.shortNames[{i}]", short, _dns1035(str(short))))
    kind = names.get("kind")
    if kind and kind == names.get("listKind"):
        out.append(errors.invalid(f"{path}.listKind", kind, "kind and listKind may not be the same"))
    for i, category in enumerate(names.get("categories") or []):
        if not isinstance(category, str) or metadata.is_dns1035_label(category):
            out.append(errors.invalid(f"{path}.categories[{i}]", category, _dns1035(str(category))))
    return out


def _validate_update(spec: Obj, old_spec: Obj, old: Obj) -> list[FieldError]:
    out: list[FieldError] = []
    established = any(c.get("type") == "Established" and c.get("status") == "True"
                      for c in ((old.get("status") or {}).get("conditions") or []) if isinstance(c, dict))
    if established:
        if spec.get("scope") != old_spec.get("scope"):
            out.append(errors.invalid("spec.scope", spec.get("scope"), "field is immutable"))
        if (spec.get("names") or {}).get("kind") != (old_spec.get("names") or {}).get("kind"):
            out.append(errors.invalid("spec.names.kind", (spec.get("names") or {}).get("kind"), "field is immutable"))
    if spec.get("group") != old_spec.get("group"):
        out.append(errors.invalid("spec.group", spec.get("group"), "field is immutable"))
    if (spec.get("names") or {}).get("plural") != (old_spec.get("names") or {}).get("plural"):
        out.append(errors.invalid("spec.names.plural", (spec.get("names") or {}).get("plural"), "field is immutable"))
    return out


def _validate_conversion(conversion: Any) -> list[FieldError]:
    if not isinstance(conversion, dict):
        return []
    out: list[FieldError] = []
    strategy = conversion.get("strategy") or ""
    if not strategy:
        out.append(errors.required("spec.conversion.strategy", ""))
    elif strategy not in ("None", "Webhook"):
        out.append(errors.not_supported("spec.conversion.strategy", strategy, ["None", "Webhook"]))
    if strategy == "Webhook":
        if not isinstance(conversion.get("webhook"), dict) and not isinstance(conversion.get("webhookClientConfig"), dict):
            out.append(errors.required("spec.conversion.webhookClientConfig", "required when strategy is set to Webhook"))
    else:
        if conversion.get("webhook") is not None or conversion.get("webhookClientConfig") is not None:
            out.append(errors.forbidden("spec.conversion.webhookClientConfig",
                                        "should not be set when strategy is not set to Webhook"))
    return out


def _simple_json_path(s: Any, path: str) -> list[FieldError]:
    if not isinstance(s, str) or not s:
        return [errors.invalid(path, s if isinstance(s, str) else "", "must not be empty")]
    if s[0] != ".":
        return [errors.invalid(path, s, "must be a simple json path starting with .")]
    return []


def _validate_subresources(subs: Any, path: str) -> list[FieldError]:
    if not isinstance(subs, dict):
        return []
    scale = subs.get("scale")
    if not isinstance(scale, dict):
        return []
    out: list[FieldError] = []
    spec_path = scale.get("specReplicasPath")
    if not spec_path:
        out.append(errors.required(f"{path}.scale.specReplicasPath", ""))
    else:
        e = _simple_json_path(spec_path, f"{path}.scale.specReplicasPath")
        if e:
            out.extend(e)
        elif not str(spec_path).startswith(".spec."):
            out.append(errors.invalid(f"{path}.scale.specReplicasPath", spec_path, "should be a json path under .spec"))
    status_path = scale.get("statusReplicasPath")
    if not status_path:
        out.append(errors.required(f"{path}.scale.statusReplicasPath", ""))
    else:
        e = _simple_json_path(status_path, f"{path}.scale.statusReplicasPath")
        if e:
            out.extend(e)
        elif not str(status_path).startswith(".status."):
            out.append(errors.invalid(f"{path}.scale.statusReplicasPath", status_path,
                                      "should be a json path under .status"))
    selector = scale.get("labelSelectorPath")
    if selector:
        e = _simple_json_path(selector, f"{path}.scale.labelSelectorPath")
        if e:
            out.extend(e)
        elif not str(selector).startswith((".spec.", ".status.")):
            out.append(errors.invalid(f"{path}.scale.labelSelectorPath", selector,
                                      "should be a json path under either .spec or .status"))
    return out


def _validate_column(col: Any, path: str) -> list[FieldError]:
    if not isinstance(col, dict):
        return [errors.invalid(path, GoValue(col), "must be an object")]
    out: list[FieldError] = []
    if not col.get("name"):
        out.append(errors.required(f"{path}.name", ""))
    ctype = col.get("type")
    if not ctype:
        out.append(errors.required(f"{path}.type", f"must be one of {','.join(_COLUMN_TYPES)}"))
    elif ctype not in _COLUMN_TYPES:
        out.append(errors.invalid(f"{path}.type", ctype, f"must be one of {','.join(_COLUMN_TYPES)}"))
    fmt = col.get("format")
    if fmt and fmt not in _COLUMN_FORMATS:
        out.append(errors.invalid(f"{path}.format", fmt, f"must be one of {','.join(_COLUMN_FORMATS)}"))
    jp = col.get("jsonPath")
    if not jp:
        out.append(errors.required(f"{path}.JSONPath", ""))
    else:
        out.extend(_simple_json_path(jp, f"{path}.JSONPath"))
    return out


def _validate_selectable(version: Obj, path: str) -> list[FieldError]:
    schema = ((version.get("schema") or {}).get("openAPIV3Schema")) if isinstance(version.get("schema"), dict) else None
    fields = version.get("selectableFields") or []
    if not isinstance(schema, dict):
        return [errors.invalid(path, "", "selectableFields may only be set when version.schema.openAPIV3Schema "
                                         "is not included")]
    root = Node(schema)
    out: list[FieldError] = []
    unique: set[str] = set()
    for i, f in enumerate(fields):
        p = f"{path}[{i}].jsonPath"
        jp = f.get("jsonPath") if isinstance(f, dict) else None
        if not jp:
            out.append(errors.required(p, ""))
            continue
        segments, node, problem = valid_field_path(str(jp), root, allow_array=False)
        if problem:
            out.append(errors.invalid(p, jp, f"is an invalid path: {problem}"))
            continue
        if segments and segments[0] == "metadata":
            out.append(errors.invalid(p, jp, "must not point to fields in metadata"))
        if node is None or node.type not in ("string", "boolean", "integer"):
            out.append(errors.invalid(p, jp, "must point to a field of type string, boolean or integer. Enum "
                                             "string fields and strings with formats are allowed."))
        key = ".".join(segments)
        if key in unique:
            out.append(errors.duplicate(p, jp))
        unique.add(key)
    if len(unique) > MAX_SELECTABLE_FIELDS:
        out.append(structural.too_many(path, len(unique), MAX_SELECTABLE_FIELDS))
    return out


def valid_field_path(path: str, root: Node, allow_array: bool = True) -> tuple[list[str], Node | None, str]:
    """``cel.ValidFieldPath``: the segments and schema a simple JSON path leads to, or a problem."""
    segments: list[str] = []
    node: Node | None = root
    tokens = re.findall(r"'(?:[^'\\]|\\.)*'|[.\[\]]|[^.\[\]']+", path)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "[":
            if not allow_array:
                return segments, None, "array notation is not allowed"
            if i + 2 >= len(tokens) or tokens[i + 2] != "]":
                return segments, None, "unexpected end of JSON path"
            name = tokens[i + 1]
            if len(name) < 2 or name[0] != "'" or name[-1] != "'":
                return segments, None, f"expected single quoted string but got {name}"
            name = name[1:-1]
            i += 3
        elif tok == ".":
            if i + 1 >= len(tokens):
                return segments, None, "unexpected end of JSON path"
            name = tokens[i + 1]
            i += 2
        else:
            return segments, None, f"expected [ or . but got: {tok}"
        if node is None:
            return segments, None, "does not refer to a valid field"
        if node.properties is not None:
            sub = node.properties.get(name)
            if sub is None:
                return segments, None, "does not refer to a valid field"
            node = sub
        elif isinstance(node.additional, Node):
            node = node.additional
        else:
            return segments, None, "does not refer to a valid field"
        segments.append(name)
    return segments, node, ""


# --- schemas ----------------------------------------------------------------------------------


def validate_schema_of(version: Obj, path: str, status_enabled: bool, unchanged: bool = False) -> list[FieldError]:
    schema_holder = version.get("schema")
    schema = schema_holder.get("openAPIV3Schema") if isinstance(schema_holder, dict) else None
    if not isinstance(schema, dict):
        return []
    return validate_schema(schema, f"{path}.openAPIV3Schema", status_enabled, unchanged)


def validate_schema(schema: Obj, path: str, status_enabled: bool = False, unchanged: bool = False) -> list[FieldError]:
    """``validateCustomResourceDefinitionValidation`` for one ``openAPIV3Schema``."""
    out: list[FieldError] = []
    if status_enabled:
        for key, value in schema.items():
            if value in (None, False, "", [], {}, 0):
                continue
            if key == "type":
                if value != "object":
                    out.append(errors.invalid(f"{path}.type", value, 'only "object" is allowed as the type at the '
                                                                     "root of the schema if the status subresource "
                                                                     "is enabled"))
                    break
                continue
            if key not in _ALLOWED_AT_ROOT_WITH_STATUS:
                out.append(errors.invalid(path, GoValue(schema), f"only {_ALLOWED_AT_ROOT_NAMES} fields are allowed "
                                                                 "at the root of the schema if the status subresource "
                                                                 "is enabled"))
                break
    if schema.get("nullable") is True:
        out.append(errors.forbidden(f"{path}.nullable", "nullable cannot be true at the root"))

    root = Node(schema)
    structural = sorted(validate_structural(schema, path), key=lambda e: e.message())
    cel_ok = False
    if structural:
        out.extend(structural)
    else:
        default_errs = validate_defaults(root, path)
        if default_errs:
            out.extend(default_errs)
        else:
            cel_ok = True
    checker = _SchemaChecker(path, cel_ok, suppress_per_expression_cost=unchanged)
    schema_errs, cel_errs = checker.check(schema, root, path, _Ctx(), [], True)
    out.extend(schema_errs)
    out.extend(cel_errs)
    if cel_ok and checker.total > cost.STATIC_ESTIMATED_CRD_COST_LIMIT:
        # the four most expensive rules of those costing at least 1% of the limit
        expensive = [pc for pc in checker.costs if pc[1] >= cost.STATIC_ESTIMATED_CRD_COST_LIMIT // 100]
        for p, _ in sorted(expensive, key=lambda pc: -pc[1])[:4]:
            out.append(errors.forbidden(p, "contributed to estimated rule cost total exceeding cost limit for "
                                           "entire OpenAPIv3 schema"))
        out.append(errors.forbidden(path, cost.cost_error_message(
            "x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema", checker.total,
            cost.STATIC_ESTIMATED_CRD_COST_LIMIT)))
    return out


# --- ValidateStructural ------------------------------------------------------------------------

_INT_OR_STRING_ANY_OF = [{"type": "integer"}, {"type": "string"}]


def validate_structural(s: Obj, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    _invariants(s, "root", path, out)
    _completeness(s, s, path, path, out)
    return out


def _is_int_or_string_any_of(s: Obj) -> bool:
    return s.get("anyOf") == _INT_OR_STRING_ANY_OF


def _is_int_or_string_all_of(s: Obj) -> bool:
    all_of = s.get("allOf")
    return isinstance(all_of, list) and len(all_of) >= 1 and isinstance(all_of[0], dict) and \
        all_of[0].get("anyOf") == _INT_OR_STRING_ANY_OF


def _invariants(s: Obj, level: str, path: str, out: list[FieldError]) -> None:
    stype = s.get("type") if isinstance(s.get("type"), str) else ""
    if stype == "array" and not isinstance(s.get("items"), dict):
        out.append(errors.required(f"{path}.items", "must be specified"))
    items = s.get("items")
    if isinstance(items, dict):
        _invariants(items, "item", f"{path}.items", out)
    props = s.get("properties")
    if isinstance(props, dict):
        for k, v in props.items():
            if isinstance(v, dict):
                _invariants(v, "field", _key(f"{path}.properties", k), out)
    add = s.get("additionalProperties")
    if add is not None and add is not False:
        if level == "root":
            out.append(errors.forbidden(f"{path}.additionalProperties", "must not be used at the root"))
        if isinstance(add, dict):
            _invariants(add, "field", f"{path}.additionalProperties", out)
    int_or_string = s.get("x-kubernetes-int-or-string") is True
    preserve = s.get("x-kubernetes-preserve-unknown-fields") is True
    embedded = s.get("x-kubernetes-embedded-resource") is True
    if int_or_string and preserve:
        out.append(errors.invalid(f"{path}.x-kubernetes-preserve-unknown-fields", True,
                                  "must be false if x-kubernetes-int-or-string is true"))
    if int_or_string and embedded:
        out.append(errors.invalid(f"{path}.x-kubernetes-embedded-resource", True,
                                  "must be false if x-kubernetes-int-or-string is true"))
    _value_validation(s, _is_int_or_string_any_of(s), _is_int_or_string_all_of(s), level, path, out)
    check_metadata = level == "root" or embedded
    if embedded and stype != "object":
        if not stype:
            out.append(errors.required(f"{path}.type", "must be object if x-kubernetes-embedded-resource is true"))
        else:
            out.append(errors.invalid(f"{path}.type", stype, "must be object if x-kubernetes-embedded-resource is true"))
    elif not stype and not int_or_string and not preserve:
        detail = {"root": "must not be empty at the root", "item": "must not be empty for specified array items",
                  "field": "must not be empty for specified object fields"}[level]
        out.append(errors.required(f"{path}.type", detail))
    if embedded and add is not None:
        out.append(errors.forbidden(f"{path}.additionalProperties",
                                    "must not be used if x-kubernetes-embedded-resource is set"))
    if level == "root" and stype and stype != "object":
        out.append(errors.invalid(f"{path}.type", stype, "must be object at the root"))
    if isinstance(props, dict):
        for key in ("kind", "apiVersion"):
            sub = props.get(key)
            if isinstance(sub, dict) and check_metadata and sub.get("type") != "string":
                out.append(errors.invalid(f"{_key(f'{path}.properties', key)}.type", sub.get("type") or "",
                                          "must be string"))
        meta = props.get("metadata")
        if isinstance(meta, dict):
            mpath = _key(f"{path}.properties", "metadata")
            if check_metadata and meta.get("type") != "object":
                out.append(errors.invalid(f"{mpath}.type", meta.get("type") or "", "must be object"))
            if level == "root":
                rest = {k: v for k, v in meta.items() if k not in ("type", "default", "properties")}
                mprops = meta.get("properties")
                if isinstance(mprops, dict) and set(mprops) - {"name", "generateName"}:
                    rest["properties"] = mprops
                if rest:
                    out.append(errors.forbidden(mpath, "must not specify anything other than name and generateName, "
                                                       "but metadata is implicitly specified"))
    if embedded and not preserve and not props:
        out.append(errors.required(f"{path}.properties", "must not be empty if x-kubernetes-embedded-resource is "
                                                         "true without x-kubernetes-preserve-unknown-fields"))


def _value_validation(s: Obj, skip_any_of: bool, skip_first_all_of_any_of: bool, level: str, path: str,
                      out: list[FieldError], allow_cel: bool = True) -> None:
    if not skip_any_of:
        for i, sub in enumerate(s.get("anyOf") or []):
            if isinstance(sub, dict):
                _nested(sub, False, level, f"{path}.anyOf[{i}]", out, False)
    for i, sub in enumerate(s.get("allOf") or []):
        if isinstance(sub, dict):
            _nested(sub, skip_first_all_of_any_of and i == 0, level, f"{path}.allOf[{i}]", out, False)
    for i, sub in enumerate(s.get("oneOf") or []):
        if isinstance(sub, dict):
            _nested(sub, False, level, f"{path}.oneOf[{i}]", out, False)
    if isinstance(s.get("not"), dict):
        _nested(s["not"], False, level, f"{path}.not", out, False)
    pattern = s.get("pattern")
    if isinstance(pattern, str) and pattern:
        try:
            structural.go_regexp(pattern)
        except goregexp.GoRegexpError as exc:
            out.append(errors.invalid(f"{path}.pattern", pattern,
                                      f"must be a valid regular expression, but isn't: {exc}"))


def _nested(v: Obj, skip_any_of: bool, level: str, path: str, out: list[FieldError], allow_cel: bool) -> None:
    _value_validation(v, skip_any_of, False, level, path, out)
    if isinstance(v.get("items"), dict):
        _nested(v["items"], False, level, f"{path}.items", out, allow_cel)
    props = v.get("properties")
    if isinstance(props, dict):
        for k, sub in props.items():
            if isinstance(sub, dict):
                _nested(sub, False, "field", _key(f"{path}.properties", k), out, allow_cel)
    if v.get("type"):
        out.append(errors.forbidden(f"{path}.type", "must be empty to be structural"))
    if v.get("additionalProperties") is not None:
        out.append(errors.forbidden(f"{path}.additionalProperties", "must be undefined to be structural"))
    if v.get("default") is not None:
        out.append(errors.forbidden(f"{path}.default", "must be undefined to be structural"))
    if v.get("title"):
        out.append(errors.forbidden(f"{path}.title", "must be empty to be structural"))
    if v.get("description"):
        out.append(errors.forbidden(f"{path}.description", "must be empty to be structural"))
    if v.get("nullable") is True:
        out.append(errors.forbidden(f"{path}.nullable", "must be false to be structural"))
    if v.get("externalDocs") is not None:
        out.append(errors.forbidden(f"{path}.externalDocs", "must be undefined to be structural"))
    if v.get("x-kubernetes-preserve-unknown-fields") is True:
        out.append(errors.forbidden(f"{path}.x-kubernetes-preserve-unknown-fields", "must be false to be structural"))
    if v.get("x-kubernetes-embedded-resource") is True:
        out.append(errors.forbidden(f"{path}.x-kubernetes-embedded-resource", "must be false to be structural"))
    if v.get("x-kubernetes-int-or-string") is True:
        out.append(errors.forbidden(f"{path}.x-kubernetes-int-or-string", "must be false to be structural"))
    if v.get("x-kubernetes-list-map-keys"):
        out.append(errors.forbidden(f"{path}.x-kubernetes-list-map-keys", "must be empty to be structural"))
    if v.get("x-kubernetes-list-type") is not None:
        out.append(errors.forbidden(f"{path}.x-kubernetes-list-type", "must be undefined to be structural"))
    if v.get("x-kubernetes-map-type") is not None:
        out.append(errors.forbidden(f"{path}.x-kubernetes-map-type", "must be undefined to be structural"))
    if v.get("x-kubernetes-validations") and not allow_cel:
        out.append(errors.forbidden(f"{path}.x-kubernetes-validations", "must be empty to be structural"))
    if isinstance(props, dict) and "metadata" in props:
        out.append(errors.forbidden(_key(f"{path}.properties", "metadata"), "must not be specified in a nested context"))


def _completeness(v: Obj, s: Obj | None, s_path: str, v_path: str, out: list[FieldError]) -> None:
    for key in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(v.get(key) or []):
            if isinstance(sub, dict):
                _nested_completeness(sub, s, s_path, f"{v_path}.{key}[{i}]", out)
    if isinstance(v.get("not"), dict):
        _nested_completeness(v["not"], s, s_path, f"{v_path}.not", out)


def _nested_completeness(v: Obj, s: Obj | None, s_path: str, v_path: str, out: list[FieldError]) -> None:
    if s is None:
        out.append(errors.required(s_path, f"because it is defined in {v_path}"))
        return
    _completeness(v, s, s_path, v_path, out)
    if isinstance(v.get("items"), dict):
        s_items = s.get("items") if isinstance(s.get("items"), dict) else None
        _nested_completeness(v["items"], s_items, f"{s_path}.items", f"{v_path}.items", out)
    props = v.get("properties")
    if isinstance(props, dict):
        s_props_raw = s.get("properties")
        s_props: Obj = s_props_raw if isinstance(s_props_raw, dict) else {}
        for k, sub in props.items():
            if not isinstance(sub, dict):
                continue
            if k not in s_props:
                out.append(errors.required(_key(f"{s_path}.properties", k),
                                           f"because it is defined in {_key(f'{v_path}.properties', k)}"))
            else:
                _nested_completeness(sub, s_props[k], _key(f"{s_path}.properties", k),
                                     _key(f"{v_path}.properties", k), out)


# --- defaults -----------------------------------------------------------------------------------


def validate_defaults(root: Node, path: str) -> list[FieldError]:
    """``structuraldefaulting.ValidateDefaults``: every default validates against its schema
    (after defaulting its inside) and contains no field pruning would drop."""
    out: list[FieldError] = []
    _defaults(root, path, out, True, False)
    return out


def _defaults(s: Node, path: str, out: list[FieldError], root: bool, in_meta: bool) -> None:
    if s.has_default and not in_meta:
        value = _copy(s.default)
        if isinstance(value, dict | list):
            structural.default(value, s)
        dpath = f"{path}.default"
        wrapper: Obj = {"v": value}
        holder = Node({"type": "object", "properties": {"v": s.schema}})
        pruned: list[str] = []
        if isinstance(value, dict | list):
            structural._prune(value, s, "", pruned)
        if pruned:
            out.append(errors.invalid(dpath, GoValue(s.default), f"must not have unknown fields, got: "
                                      f"{', '.join(pruned)}"))
        else:
            for e in structural.validate(wrapper, holder, ""):
                out.append(_rebase(e, "v", dpath))
            for e in structural.validate_structure(wrapper, holder):
                out.append(_rebase(e, "v", dpath))
            if s.has_rules or s.schema.get("x-kubernetes-validations"):
                evaluate.attach(holder)
                for e in evaluate.validate(wrapper, None, holder):
                    out.append(_rebase(e, "v", dpath))
    for k, sub in (s.properties or {}).items():
        _defaults(sub, _key(f"{path}.properties", k), out, False, in_meta or (root and k == "metadata"))
    if isinstance(s.additional, Node):
        _defaults(s.additional, f"{path}.additionalProperties", out, False, in_meta)
    if s.items is not None:
        _defaults(s.items, f"{path}.items", out, False, in_meta)


def _rebase(e: FieldError, old: str, new: str) -> FieldError:
    field = e.field
    if field == old or field.startswith((old + ".", old + "[")):
        field = new + field[len(old):]
    detail = e.detail.replace(f"{old} in body", f"{new} in body") if e.detail else e.detail
    return FieldError(e.type, field, e.value, detail)


def _copy(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


# --- ValidateCustomResourceDefinitionOpenAPISchema -------------------------------------------------


class _Ctx:
    """specStandardValidator's state: defaults allowed, inside resource meta, uncorrelatable path."""

    __slots__ = ("allow_defaults", "disallow_reason", "in_meta", "uncorrelatable")

    def __init__(self, allow_defaults: bool = True, disallow_reason: str = "", in_meta: bool = False,
                 uncorrelatable: str | None = None) -> None:
        self.allow_defaults = allow_defaults
        self.disallow_reason = disallow_reason
        self.in_meta = in_meta
        self.uncorrelatable = uncorrelatable

    def forbid_defaults(self, reason: str) -> _Ctx:
        return _Ctx(False, reason, self.in_meta, self.uncorrelatable)

    def inside_meta(self) -> _Ctx:
        return _Ctx(self.allow_defaults, self.disallow_reason, True, self.uncorrelatable)

    def forbid_old_self(self, path: str) -> _Ctx:
        if self.uncorrelatable is not None:
            return self
        return _Ctx(self.allow_defaults, self.disallow_reason, self.in_meta, path)


class _RuleValue:
    """A ValidationRule as kube's ``%#v`` shows it in an error."""

    def __init__(self, rule: Obj) -> None:
        self.rule = rule

    def __repr__(self) -> str:
        r = self.rule
        reason = r.get("reason")
        reason_text = "(*apiextensions.FieldValueErrorReason)(nil)" if not reason else \
            f"(*apiextensions.FieldValueErrorReason)({quote(str(reason))})"
        optional = r.get("optionalOldSelf")
        optional_text = "(*bool)(nil)" if optional is None else f"(*bool)({str(bool(optional)).lower()})"
        return (f"apiextensions.ValidationRule{{Rule:{quote(str(r.get('rule') or ''))}, "
                f"Message:{quote(str(r.get('message') or ''))}, "
                f"MessageExpression:{quote(str(r.get('messageExpression') or ''))}, "
                f"Reason:{reason_text}, FieldPath:{quote(str(r.get('fieldPath') or ''))}, "
                f"OptionalOldSelf:{optional_text}}}")

    __str__ = __repr__


class _SchemaChecker:
    def __init__(self, root_path: str, cel_enabled: bool, suppress_per_expression_cost: bool = False) -> None:
        self.root_path = root_path
        self.cel_enabled = cel_enabled
        self.suppress_per_expression_cost = suppress_per_expression_cost
        self.decls: cost.DeclCache = {}  # CEL declarations of this schema's nodes, built once
        self.total = 0
        self.costs: list[tuple[str, int]] = []

    def check(self, s: Obj, node: Node | None, path: str, ctx: _Ctx, ancestors: list[Node],
              is_root: bool) -> tuple[list[FieldError], list[FieldError]]:
        schema_errs: list[FieldError] = []
        cel_errs: list[FieldError] = []
        schema_errs.extend(self._standard(s, path, ctx))
        if s.get("uniqueItems") is True:
            schema_errs.append(errors.forbidden(f"{path}.uniqueItems", "uniqueItems cannot be set to true since the "
                                                                       "runtime complexity becomes quadratic"))
        add = s.get("additionalProperties")
        props = s.get("properties") if isinstance(s.get("properties"), dict) else {}
        assert isinstance(props, dict)
        if add is not None:
            if props and (add is False or isinstance(add, dict)):
                schema_errs.append(errors.forbidden(f"{path}.additionalProperties",
                                                    "additionalProperties and properties are mutual exclusive"))
            if isinstance(add, dict):
                sub_ctx = ctx.forbid_defaults("inside additionalProperties applying to object metadata") \
                    if ctx.in_meta else ctx
                sub_node = node.additional if node is not None and isinstance(node.additional, Node) else None
                a, b = self.check(add, sub_node, f"{path}.additionalProperties", sub_ctx,
                                  [*ancestors, node] if node is not None else ancestors, False)
                schema_errs.extend(a)
                cel_errs.extend(b)
        for prop, sub in props.items():
            if not isinstance(sub, dict):
                continue
            sub_ctx = ctx
            if s.get("x-kubernetes-map-type") not in (None, "granular", "atomic"):
                sub_ctx = sub_ctx.forbid_old_self(path)
            if (is_root or s.get("x-kubernetes-embedded-resource") is True) and prop in structural.META_FIELDS:
                sub_ctx = sub_ctx.inside_meta()
                if is_root:
                    sub_ctx = sub_ctx.forbid_defaults(f"in top-level {prop}")
            sub_node = node.properties.get(prop) if node is not None and node.properties is not None else None
            a, b = self.check(sub, sub_node, _key(f"{path}.properties", prop), sub_ctx, ancestors, False)
            schema_errs.extend(a)
            cel_errs.extend(b)
        if isinstance(s.get("not"), dict):
            a, b = self.check(s["not"], None, f"{path}.not", ctx, ancestors, False)
            schema_errs.extend(a)
            cel_errs.extend(b)
        for key in ("allOf", "oneOf", "anyOf"):
            for i, sub in enumerate(s.get(key) or []):
                if isinstance(sub, dict):
                    a, b = self.check(sub, None, f"{path}.{key}[{i}]", ctx, ancestors, False)
                    schema_errs.extend(a)
                    cel_errs.extend(b)
        items = s.get("items")
        if isinstance(items, dict):
            sub_ctx = ctx
            if s.get("x-kubernetes-list-type") != "map":
                sub_ctx = sub_ctx.forbid_old_self(path)
            sub_node = node.items if node is not None else None
            a, b = self.check(items, sub_node, f"{path}.items", sub_ctx,
                              [*ancestors, node] if node is not None else ancestors, False)
            schema_errs.extend(a)
            cel_errs.extend(b)
        schema_errs.extend(self._extensions(s, path))
        if s.get("x-kubernetes-validations"):
            rule_schema_errs, rule_cel_errs = self._rules(s, node, path, ctx, ancestors, is_root,
                                                          bool(schema_errs))
            schema_errs.extend(rule_schema_errs)
            cel_errs.extend(rule_cel_errs)
        return schema_errs, cel_errs

    def _standard(self, s: Obj, path: str, ctx: _Ctx) -> list[FieldError]:
        out: list[FieldError] = []
        stype = s.get("type")
        if isinstance(stype, str) and stype and stype not in _TYPES:
            out.append(errors.not_supported(f"{path}.type", stype, _TYPES))
        if s.get("default") is not None and not ctx.allow_defaults:
            detail = "must not be set"
            if ctx.disallow_reason:
                detail += " " + ctx.disallow_reason
            out.append(errors.forbidden(f"{path}.default", detail))
        if s.get("id"):
            out.append(errors.forbidden(f"{path}.id", "id is not supported"))
        if s.get("additionalItems") is not None:
            out.append(errors.forbidden(f"{path}.additionalItems", "additionalItems is not supported"))
        if s.get("patternProperties"):
            out.append(errors.forbidden(f"{path}.patternProperties", "patternProperties is not supported"))
        if s.get("definitions"):
            out.append(errors.forbidden(f"{path}.definitions", "definitions is not supported"))
        if s.get("dependencies") is not None:
            out.append(errors.forbidden(f"{path}.dependencies", "dependencies is not supported"))
        if s.get("$ref") is not None:
            out.append(errors.forbidden(f"{path}.$ref", "$ref is not supported"))
        if stype == "null":
            out.append(errors.forbidden(f"{path}.type", "type cannot be set to null, use nullable as an alternative"))
        if isinstance(s.get("items"), list):
            out.append(errors.forbidden(f"{path}.items", "items must be a schema object and not an array"))
        if ctx.in_meta and s.get("x-kubernetes-embedded-resource") is True:
            out.append(errors.forbidden(f"{path}.x-kubernetes-embedded-resource", "must not be used inside of "
                                                                                  "resource meta"))
        return out

    def _extensions(self, s: Obj, path: str) -> list[FieldError]:
        out: list[FieldError] = []
        stype = s.get("type") or ""
        preserve = s.get("x-kubernetes-preserve-unknown-fields")
        if preserve is False:
            out.append(errors.invalid(f"{path}.x-kubernetes-preserve-unknown-fields", False, "must be true or undefined"))
        map_type = s.get("x-kubernetes-map-type")
        if map_type is not None and stype != "object":
            if not stype:
                out.append(errors.required(f"{path}.type", "must be object if x-kubernetes-map-type is specified"))
            else:
                out.append(errors.invalid(f"{path}.type", stype, "must be object if x-kubernetes-map-type is specified"))
        if map_type is not None and map_type not in ("atomic", "granular"):
            out.append(errors.not_supported(f"{path}.x-kubernetes-map-type", map_type, ["atomic", "granular"]))
        list_type = s.get("x-kubernetes-list-type")
        items = s.get("items") if isinstance(s.get("items"), dict) else None
        if list_type is not None and stype != "array":
            if not stype:
                out.append(errors.required(f"{path}.type", "must be array if x-kubernetes-list-type is specified"))
            else:
                out.append(errors.invalid(f"{path}.type", stype, "must be array if x-kubernetes-list-type is specified"))
        elif list_type == "set" and items is not None:
            if items.get("type") == "array" and items.get("x-kubernetes-list-type") not in (None, "atomic"):
                out.append(errors.invalid(f"{path}.items.x-kubernetes-list-type", items.get("x-kubernetes-list-type"),
                                          "must be atomic as item of a list with x-kubernetes-list-type=set"))
            if items.get("type") == "object" and items.get("x-kubernetes-map-type") != "atomic":
                out.append(errors.invalid(f"{path}.items.x-kubernetes-map-type", list_type,
                                          "must be atomic as item of a list with x-kubernetes-list-type=set"))
        if list_type is not None and list_type not in ("atomic", "set", "map"):
            out.append(errors.not_supported(f"{path}.x-kubernetes-list-type", list_type, ["atomic", "set", "map"]))
        keys = s.get("x-kubernetes-list-map-keys")
        if keys:
            if list_type is None:
                out.append(errors.required(f"{path}.x-kubernetes-list-type",
                                           "must be map if x-kubernetes-list-map-keys is non-empty"))
            elif list_type != "map":
                out.append(errors.invalid(f"{path}.x-kubernetes-list-type", list_type,
                                          "must be map if x-kubernetes-list-map-keys is non-empty"))
        if list_type == "map":
            if not keys:
                out.append(errors.required(f"{path}.x-kubernetes-list-map-keys",
                                           "must not be empty if x-kubernetes-list-type is map"))
            if s.get("items") is None:
                out.append(errors.required(f"{path}.items", "must have a schema if x-kubernetes-list-type is map"))
            if items is not None and items.get("type") != "object":
                out.append(errors.invalid(f"{path}.items.type", items.get("type") or "",
                                          "must be object if parent array's x-kubernetes-list-type is map"))
            if items is not None and items.get("type") == "object":
                item_props = items.get("properties") or {}
                seen: set[str] = set()
                for k in keys or []:
                    sub = item_props.get(k)
                    if isinstance(sub, dict):
                        if sub.get("type") in ("array", "object"):
                            out.append(errors.invalid(f"{_key(f'{path}.items.properties', k)}.type", items.get("type"),
                                                      "must be a scalar type if parent array's x-kubernetes-list-type "
                                                      "is map"))
                    else:
                        out.append(errors.invalid(f"{path}.x-kubernetes-list-map-keys", GoValue(keys),
                                                  "entries must all be names of item properties"))
                    if k in seen:
                        out.append(errors.invalid(f"{path}.x-kubernetes-list-map-keys", GoValue(keys),
                                                  "must not contain duplicate entries"))
                    seen.add(k)
        if list_type in ("set", "map") and items is not None:
            if items.get("nullable") is True:
                out.append(errors.forbidden(f"{path}.items.nullable", f"cannot be nullable when x-kubernetes-list-type "
                                                                      f"is {list_type}"))
            if list_type == "map":
                required = set(items.get("required") or [])
                item_props = items.get("properties") or {}
                for k in keys or []:
                    sub = item_props.get(k)
                    if not isinstance(sub, dict):
                        continue
                    if k not in required and sub.get("default") is None:
                        out.append(errors.required(f"{_key(f'{path}.items.properties', k)}.default",
                                                   "this property is in x-kubernetes-list-map-keys, so it must have "
                                                   "a default or be a required property"))
                    if sub.get("nullable") is True:
                        out.append(errors.forbidden(f"{_key(f'{path}.items.properties', k)}.nullable",
                                                    "this property is in x-kubernetes-list-map-keys, so it cannot be "
                                                    "nullable"))
        return out

    def _rules(self, s: Obj, node: Node | None, path: str, ctx: _Ctx, ancestors: list[Node], is_root: bool,
               has_schema_errors: bool) -> tuple[list[FieldError], list[FieldError]]:
        schema_errs: list[FieldError] = []
        cel_errs: list[FieldError] = []
        rules = s.get("x-kubernetes-validations")
        if not isinstance(rules, list):
            return schema_errs, cel_errs
        for i, rule in enumerate(rules):
            rpath = f"{path}.x-kubernetes-validations[{i}]"
            if not isinstance(rule, dict):
                schema_errs.append(errors.invalid(rpath, GoValue(rule), "must be an object"))
                continue
            text = str(rule.get("rule") or "")
            msg = rule.get("message")
            msg_text = str(msg or "")
            if not text.strip():
                schema_errs.append(errors.required(f"{rpath}.rule", "rule is not specified"))
            elif msg_text and not msg_text.strip():
                schema_errs.append(errors.invalid(f"{rpath}.message", msg_text, "message must be non-empty if specified"))
            elif re.search(r"[\n\r]", msg_text.strip()):
                schema_errs.append(errors.invalid(f"{rpath}.message", msg_text, "message must not contain line breaks"))
            elif re.search(r"[\n\r]", text.strip()) and not msg_text.strip():
                schema_errs.append(errors.required(f"{rpath}.message", "message must be specified if rule contains "
                                                                       "line breaks"))
            mexpr = str(rule.get("messageExpression") or "")
            if mexpr and not mexpr.strip():
                schema_errs.append(errors.required(f"{rpath}.messageExpression",
                                                   "messageExpression must be non-empty if specified"))
            reason = rule.get("reason")
            if reason is not None and reason not in _REASONS:
                schema_errs.append(errors.not_supported(f"{rpath}.reason", reason, _REASONS))
            fpath = rule.get("fieldPath")
            if fpath is not None:
                fpath = str(fpath)
                if fpath and not fpath.strip():
                    schema_errs.append(errors.invalid(f"{rpath}.fieldPath", fpath, "fieldPath must be non-empty if "
                                                                                   "specified"))
                if re.search(r"[\n\r]", fpath):
                    schema_errs.append(errors.invalid(f"{rpath}.fieldPath", fpath, "fieldPath must not contain line "
                                                                                   "breaks"))
                if fpath and node is not None and valid_field_path(fpath, node)[2]:
                    schema_errs.append(errors.invalid(f"{rpath}.fieldPath", fpath, "fieldPath must be a valid path"))
        if has_schema_errors or schema_errs or not self.cel_enabled or node is None:
            return schema_errs, cel_errs
        card = cost.cardinality(ancestors, node, is_root or node.embedded, self.decls)
        for i, rule in enumerate(rules):
            if not isinstance(rule, dict):
                continue
            rpath = f"{path}.x-kubernetes-validations[{i}]"
            text = str(rule.get("rule") or "")
            if not text.strip():
                continue
            value = _RuleValue(rule)
            try:
                evaluate.compile_program(text)
                tree = parse.parse(text)
            except parse.CELSyntaxError as exc:
                cel_errs.append(errors.invalid(f"{rpath}.rule", value, f"compilation failed: {_syntax(text, exc)}"))
                continue
            except Exception as exc:
                cel_errs.append(errors.invalid(f"{rpath}.rule", value,
                                               f"compilation failed: {evaluate.syntax_error(text, exc)}"))
                continue
            problem = _check_errors(tree, text, node, is_root or node.embedded)
            if problem is not None:
                cel_errs.append(errors.invalid(f"{rpath}.rule", value, f"compilation failed: {problem}"))
                continue
            try:
                rule_cost, kind = cost.estimate(tree, text, node, is_root or node.embedded,
                                                rule.get("optionalOldSelf") is True, self.decls)
            except cost.RuleCheckError as exc:
                cel_errs.append(errors.invalid(f"{rpath}.rule", value, f"compilation failed: {exc}"))
                continue
            if kind and kind != "bool":
                cel_errs.append(errors.invalid(f"{rpath}.rule", value,
                                               "compilation failed: cel expression must evaluate to a bool"))
                continue
            total = cost.expression_cost(rule_cost, card)
            if total > cost.STATIC_ESTIMATED_COST_LIMIT and not self.suppress_per_expression_cost:
                cel_errs.append(errors.forbidden(f"{rpath}.rule", cost.cost_error_message(
                    "estimated rule cost", total, cost.STATIC_ESTIMATED_COST_LIMIT)))
            self.total += total
            self.costs.append((f"{rpath}.rule", total))
            mexpr = str(rule.get("messageExpression") or "")
            if mexpr.strip():
                try:
                    evaluate.compile_program(mexpr)
                    mtree = parse.parse(mexpr)
                    problem = _check_errors(mtree, mexpr, node, is_root or node.embedded)
                    if problem is not None:
                        raise cost.RuleCheckError(problem)
                    mcost, mkind = cost.estimate(mtree, mexpr, node, is_root or node.embedded,
                                                 rule.get("optionalOldSelf") is True, self.decls)
                    # kube checks a messageExpression's own cost, not multiplied by the cardinality
                    if mkind and mkind != "string":
                        cel_errs.append(errors.invalid(f"{rpath}.messageExpression", value,
                                                       "messageExpression must evaluate to a string"))
                    else:
                        if mcost > cost.STATIC_ESTIMATED_COST_LIMIT and not self.suppress_per_expression_cost:
                            cel_errs.append(errors.forbidden(f"{rpath}.messageExpression", cost.cost_error_message(
                                "estimated messageExpression cost", mcost, cost.STATIC_ESTIMATED_COST_LIMIT)))
                        self.total += mcost
                        self.costs.append((f"{rpath}.messageExpression", mcost))
                except cost.RuleCheckError as exc:
                    cel_errs.append(errors.invalid(f"{rpath}.messageExpression", value,
                                                   f"messageExpression compilation failed: {exc}"))
                except Exception as exc:
                    cel_errs.append(errors.invalid(f"{rpath}.messageExpression", value,
                                                   f"messageExpression compilation failed: {evaluate.syntax_error(mexpr, exc)}"))
            if parse.uses_old_self(tree):
                if ctx.uncorrelatable is not None:
                    cel_errs.append(errors.invalid(f"{rpath}.rule", text, "oldSelf cannot be used on the "
                                                                          "uncorrelatable portion of the schema within "
                                                                          f"{ctx.uncorrelatable}"))
            elif rule.get("optionalOldSelf") is not None:
                cel_errs.append(errors.invalid(f"{rpath}.optionalOldSelf", rule["optionalOldSelf"],
                                               "may not be set if oldSelf is not used in rule"))
        return schema_errs, cel_errs


def _syntax(src: str, exc: parse.CELSyntaxError) -> str:
    return _at(src, exc.pos, str(exc))


def _check_errors(tree: parse.Expr, text: str, node: Node, resource_root: bool) -> str | None:
    """What cel-go's checker and kube's AST validators refuse in an expression, as kube prints it."""
    missing = check.undeclared(tree)
    if missing is not None:
        return _at(text, missing[0], f"undeclared reference to '{missing[1]}' (in container '')")
    mismatch = (check.overload_error(tree, node, resource_root) or check.literal_error(tree)
                or check.aggregate_error(tree, node, resource_root))
    return _at(text, mismatch[0], mismatch[1]) if mismatch is not None else None


def _at(src: str, pos: int, message: str) -> str:
    """cel-go's error printer: the location, the message, the line and a caret under the column."""
    line = src.count("\n", 0, pos) + 1
    col = pos - (src.rfind("\n", 0, pos) + 1)
    text = src.splitlines()[line - 1] if src else ""
    return f"ERROR: <input>:{line}:{col + 1}: {message}\n | {text}\n | {'.' * col}^"


def schema_hash(schema: Any) -> bytes:
    return orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)
