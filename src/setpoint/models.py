"""CustomResourceDefinitions from pydantic models.

Declare a custom resource as a pydantic model and get both its CRD and a typed view of
its objects::

    from typing import Annotated
    from pydantic import Field
    from setpoint.models import CRDModel, CustomResource, PrinterColumn, Rule

    class WidgetSpec(CRDModel):
        \"\"\"What a widget should look like.\"\"\"
        color: Literal["red", "green", "blue"] = Field("red", description="The paint.")
        replicas: Annotated[int, Rule("self <= 10", message="at most 10")] = 1

    class WidgetStatus(CRDModel):
        ready_replicas: int = 0

    class Widget(CustomResource, group="example.com", version="v1", short_names=("wd",),
                 printer_columns=(PrinterColumn("Color", ".spec.color"),)):
        spec: WidgetSpec
        status: WidgetStatus | None = None

    crd = crd_for(Widget)                 # the CRD as a dict (apiextensions.k8s.io/v1)
    w = Widget.parse(obj)                 # an object read from the API server
    body = w.to_dict()                    # back to JSON for a create/update

``setpoint crd generate module:Widget`` prints the CRD as YAML.

The schema is what the apiextensions-apiserver requires: *structural* (no ``$ref``,
every field typed, ``anyOf`` of integer/string becomes ``x-kubernetes-int-or-string``),
with the models' descriptions, defaults, enums, bounds and required fields; sets become
``x-kubernetes-list-type: set``; ``Any`` and free-form dicts keep unknown fields.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.alias_generators import to_camel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

__all__ = [
    "CRDModel",
    "CustomResource",
    "ObjectMeta",
    "PrinterColumn",
    "Rule",
    "Scale",
    "SchemaError",
    "crd_for",
    "crd_yaml",
    "generate_yaml",
    "schema_for",
]

Obj = dict[str, Any]
T = TypeVar("T", bound="CustomResource")


class SchemaError(ValueError):
    """A model that has no structural schema (recursive types, unsupported unions, ...)."""


# --- declarations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """An ``x-kubernetes-validations`` rule. Put it in ``Annotated[T, Rule(...)]`` for a field,
    or in a model's ``__validations__`` (a tuple of rules) for the whole object."""

    rule: str
    message: str = ""
    message_expression: str = ""
    reason: str = ""
    field_path: str = ""
    optional_old_self: bool | None = None

    def to_dict(self) -> Obj:
        out: Obj = {"rule": self.rule}
        if self.message:
            out["message"] = self.message
        if self.message_expression:
            out["messageExpression"] = self.message_expression
        if self.reason:
            out["reason"] = self.reason
        if self.field_path:
            out["fieldPath"] = self.field_path
        if self.optional_old_self is not None:
            out["optionalOldSelf"] = self.optional_old_self
        return out

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        out = handler(schema)
        target = out
        if "$ref" in out:
            # A rule on a field of model type: wrap, the converter merges allOf of one $ref.
            target = out = {"allOf": [{"$ref": out["$ref"]}], **{k: v for k, v in out.items() if k != "$ref"}}
        target.setdefault("x-kubernetes-validations", []).append(self.to_dict())
        return out


@dataclass(frozen=True)
class PrinterColumn:
    """An ``additionalPrinterColumns`` entry (``kubectl get`` columns)."""

    name: str
    json_path: str
    type: str = "string"
    description: str = ""
    format: str = ""
    priority: int = 0

    def to_dict(self) -> Obj:
        out: Obj = {"name": self.name, "type": self.type, "jsonPath": self.json_path}
        if self.description:
            out["description"] = self.description
        if self.format:
            out["format"] = self.format
        if self.priority:
            out["priority"] = self.priority
        return out


@dataclass(frozen=True)
class Scale:
    """The ``scale`` subresource."""

    spec_replicas_path: str = ".spec.replicas"
    status_replicas_path: str = ".status.replicas"
    label_selector_path: str = ""

    def to_dict(self) -> Obj:
        out: Obj = {"specReplicasPath": self.spec_replicas_path, "statusReplicasPath": self.status_replicas_path}
        if self.label_selector_path:
            out["labelSelectorPath"] = self.label_selector_path
        return out


@dataclass(frozen=True)
class CRDInfo:
    group: str
    version: str
    kind: str
    plural: str
    singular: str
    scope: str
    short_names: tuple[str, ...]
    categories: tuple[str, ...]
    printer_columns: tuple[PrinterColumn, ...]
    selectable_fields: tuple[str, ...]
    status_subresource: bool
    scale: Scale | None
    storage: bool
    served: bool
    deprecated: bool
    deprecation_warning: str


# --- models -------------------------------------------------------------------------------------


class CRDModel(BaseModel):
    """A base for the parts of a custom resource: snake_case in Python, camelCase in JSON,
    unknown fields ignored (the server prunes them anyway)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    #: CEL rules on the whole object of this model (``x-kubernetes-validations``).
    __validations__: ClassVar[tuple[Rule, ...]] = ()

    def to_dict(self) -> Obj:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ObjectMeta(CRDModel):
    """The usual ``metadata`` fields; others are kept as they are."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    name: str | None = None
    generate_name: str | None = None
    namespace: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = None
    creation_timestamp: str | None = None
    deletion_timestamp: str | None = None
    finalizers: list[str] | None = None
    owner_references: list[dict[str, Any]] | None = None


class CustomResource(CRDModel):
    """A custom resource kind. Subclass it with class keywords naming the API::

        class Widget(CustomResource, group="example.com", version="v1"): ...

    Keywords: ``group`` (required), ``version`` (default ``v1``), ``kind`` (class name),
    ``plural`` (lowercase kind + ``s``), ``singular``, ``scope`` (``Namespaced`` or
    ``Cluster``), ``short_names``, ``categories``, ``printer_columns``,
    ``selectable_fields`` (JSON paths), ``status_subresource`` (default: the model has a
    ``status`` field), ``scale`` (a :class:`Scale`), ``storage``/``served`` (for
    multi-version CRDs), ``deprecated``/``deprecation_warning``.
    """

    __crd__: ClassVar[CRDInfo | None] = None

    api_version: str = Field(default="", alias="apiVersion")
    kind: str = ""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__()
        group = kwargs.get("group")
        if not group:
            return
        kind = str(kwargs.get("kind") or cls.__name__)
        plural = str(kwargs.get("plural") or _plural(kind.lower()))
        scope = str(kwargs.get("scope") or "Namespaced")
        status = kwargs.get("status_subresource")
        if status is None:
            status = "status" in cls.model_fields
        cls.__crd__ = CRDInfo(
            group=str(group), version=str(kwargs.get("version") or "v1"), kind=kind, plural=plural,
            singular=str(kwargs.get("singular") or kind.lower()), scope=scope,
            short_names=tuple(kwargs.get("short_names") or ()), categories=tuple(kwargs.get("categories") or ()),
            printer_columns=tuple(kwargs.get("printer_columns") or ()),
            selectable_fields=tuple(kwargs.get("selectable_fields") or ()),
            status_subresource=bool(status), scale=kwargs.get("scale"),
            storage=bool(kwargs.get("storage", True)), served=bool(kwargs.get("served", True)),
            deprecated=bool(kwargs.get("deprecated", False)),
            deprecation_warning=str(kwargs.get("deprecation_warning") or ""),
        )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The class keywords are read in __pydantic_init_subclass__; object.__init_subclass__ takes none.
        super().__init_subclass__()

    @classmethod
    def info(cls) -> CRDInfo:
        if cls.__crd__ is None:
            raise SchemaError(f"{cls.__name__} declares no group: class {cls.__name__}(CustomResource, group=...)")
        return cls.__crd__

    @classmethod
    def api_version_of(cls) -> str:
        info = cls.info()
        return f"{info.group}/{info.version}"

    @classmethod
    def parse(cls: type[T], obj: Mapping[str, Any]) -> T:
        """An object as the API server returns it."""
        return cls.model_validate(dict(obj))

    def to_dict(self) -> Obj:
        """The object as JSON for the API server (apiVersion and kind filled in)."""
        out = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        info = type(self).info()
        out["apiVersion"] = out.get("apiVersion") or f"{info.group}/{info.version}"
        out["kind"] = out.get("kind") or info.kind
        return out


def _plural(name: str) -> str:
    if name.endswith(("s", "x", "z", "ch", "sh")):
        return name + "es"
    if name.endswith("y") and len(name) > 1 and name[-2] not in "aeiou":
        return name[:-1] + "ies"
    return name + "s"


# --- schemas --------------------------------------------------------------------------------------


class _Generator(GenerateJsonSchema):
    """pydantic's JSON schema plus each model's ``__validations__``."""

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        out = super().model_schema(schema)
        rules = getattr(schema["cls"], "__validations__", ())
        if rules:
            target = out
            if "$ref" in out:
                return out
            target.setdefault("x-kubernetes-validations", []).extend(r.to_dict() for r in rules)
        return out


_DROP = {"title", "examples", "readOnly", "writeOnly", "deprecated", "$comment"}


def _convert(s: Any, defs: Mapping[str, Any], path: str, seen: tuple[str, ...], fill: bool = True) -> Obj:
    if not isinstance(s, dict):
        raise SchemaError(f"{path}: not a schema")
    s = dict(s)
    ref = s.pop("$ref", None)
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            raise SchemaError(f"{path}: {name} is recursive; structural schemas cannot be")
        target = _convert(defs[name], defs, path, (*seen, name))
        # Siblings of $ref (description, default, rules) win over the referenced schema's.
        extra = _convert(s, defs, path, seen, fill=False) if s else {}
        rules = [*target.get("x-kubernetes-validations", []), *extra.pop("x-kubernetes-validations", [])]
        merged = {**target, **extra}
        if rules:
            merged["x-kubernetes-validations"] = rules
        return merged
    all_of = s.pop("allOf", None)
    if isinstance(all_of, list) and len(all_of) == 1:
        inner = _convert(all_of[0], defs, path, seen)
        extra = _convert(s, defs, path, seen, fill=False) if s else {}
        rules = [*inner.get("x-kubernetes-validations", []), *extra.pop("x-kubernetes-validations", [])]
        merged = {**inner, **extra}
        if rules:
            merged["x-kubernetes-validations"] = rules
        return merged
    if all_of is not None:
        raise SchemaError(f"{path}: allOf of several schemas is not structural")
    any_of = s.pop("anyOf", None)
    if any_of is None:
        any_of = s.pop("oneOf", None)
    out: Obj = {}
    if isinstance(any_of, list):
        options = [o for o in any_of if not (isinstance(o, dict) and o.get("type") == "null")]
        types = sorted(str(o.get("type")) for o in options if isinstance(o, dict))
        if len(options) == 1:
            out.update(_convert(options[0], defs, path, seen))
        elif types == ["integer", "string"]:
            out["x-kubernetes-int-or-string"] = True
        elif all(isinstance(o, dict) and "const" in o for o in options):
            out["type"] = "string"
            out["enum"] = [o["const"] for o in options]
        else:
            raise SchemaError(f"{path}: unions other than Optional[T] and int | str have no structural schema")
    for key, value in s.items():
        if key in _DROP:
            continue
        if key == "properties":
            out["properties"] = {k: _convert(v, defs, f"{path}.{k}", seen) for k, v in value.items()}
        elif key == "items":
            out["items"] = _convert(value, defs, f"{path}[]", seen)
        elif key == "additionalProperties":
            if isinstance(value, dict):
                out["additionalProperties"] = _convert(value, defs, f"{path}{{}}", seen)
            elif value is True:
                out["x-kubernetes-preserve-unknown-fields"] = True
        elif key == "const":
            out["enum"] = [value]
        elif key == "uniqueItems":
            if value:
                out["x-kubernetes-list-type"] = "set"
        elif key == "exclusiveMinimum" and not isinstance(value, bool):
            out["minimum"] = value
            out["exclusiveMinimum"] = True
        elif key == "exclusiveMaximum" and not isinstance(value, bool):
            out["maximum"] = value
            out["exclusiveMaximum"] = True
        elif key == "default":
            if value is None or value == [] or value == {}:
                continue
            out["default"] = value
        elif key == "format" and value not in ("date-time", "date", "byte", "int32", "int64", "float", "double",
                                                 "uuid", "email", "hostname", "ipv4", "ipv6", "uri", "password"):
            continue
        else:
            out[key] = value
    if not fill:
        return out
    if "const" in s and "type" not in out:
        value = s["const"]
        out["type"] = {bool: "boolean", int: "integer", float: "number"}.get(type(value), "string")
    if not out.get("type") and not out.get("x-kubernetes-int-or-string"):
        if "properties" in out or "additionalProperties" in out:
            out["type"] = "object"
        elif "enum" in out and all(isinstance(v, str) for v in out["enum"]):
            out["type"] = "string"
        else:
            out["x-kubernetes-preserve-unknown-fields"] = True
    if out.get("type") == "object" and "properties" not in out and "additionalProperties" not in out:
        out["x-kubernetes-preserve-unknown-fields"] = True
    return out


def schema_for(model: type[BaseModel]) -> Obj:
    """The structural ``openAPIV3Schema`` of a model (a :class:`CustomResource` or any part)."""
    raw = model.model_json_schema(by_alias=True, schema_generator=_Generator, mode="validation")
    defs = raw.pop("$defs", {})
    schema = _convert(raw, defs, model.__name__, ())
    if issubclass(model, CustomResource):
        props = schema.setdefault("properties", {})
        props["apiVersion"] = {
            "type": "string",
            "description": "APIVersion defines the versioned schema of this representation of an object. Servers "
                           "should convert recognized schemas to the latest internal value, and may reject "
                           "unrecognized values. More info: https://git.k8s.io/community/contributors/devel/"
                           "sig-architecture/api-conventions.md#resources",
        }
        props["kind"] = {
            "type": "string",
            "description": "Kind is a string value representing the REST resource this object represents. Servers "
                           "may infer this from the endpoint the client submits requests to. Cannot be updated. In "
                           "CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/"
                           "api-conventions.md#types-kinds",
        }
        props["metadata"] = {"type": "object"}
        schema["type"] = "object"
        schema["required"] = [r for r in schema.get("required", []) if r not in ("apiVersion", "kind", "metadata")]
        if not schema["required"]:
            del schema["required"]
        schema.pop("x-kubernetes-preserve-unknown-fields", None)
    return schema


def _version(model: type[CustomResource]) -> Obj:
    info = model.info()
    version: Obj = {"name": info.version, "served": info.served, "storage": info.storage}
    if info.deprecated:
        version["deprecated"] = True
        if info.deprecation_warning:
            version["deprecationWarning"] = info.deprecation_warning
    version["schema"] = {"openAPIV3Schema": schema_for(model)}
    subresources: Obj = {}
    if info.status_subresource:
        subresources["status"] = {}
    if info.scale is not None:
        subresources["scale"] = info.scale.to_dict()
    if subresources:
        version["subresources"] = subresources
    if info.printer_columns:
        version["additionalPrinterColumns"] = [c.to_dict() for c in info.printer_columns]
    if info.selectable_fields:
        version["selectableFields"] = [{"jsonPath": p} for p in info.selectable_fields]
    return version


def crd_for(*models: type[CustomResource]) -> Obj:
    """The CRD (``apiextensions.k8s.io/v1``) serving ``models``: one model per version, all of
    the same group and kind. The storage version is the one declared ``storage=True`` (the
    default); with several models, declare the others ``storage=False``."""
    if not models:
        raise SchemaError("crd_for needs at least one model")
    infos = [m.info() for m in models]
    first = infos[0]
    for info in infos[1:]:
        if (info.group, info.kind, info.plural, info.scope) != (first.group, first.kind, first.plural, first.scope):
            raise SchemaError("every version of a CRD has the same group, kind, plural and scope")
    storage = [i for i in infos if i.storage]
    if len(storage) != 1:
        raise SchemaError(f"exactly one version must be the storage version, found {len(storage)}")
    names: Obj = {"plural": first.plural, "singular": first.singular, "kind": first.kind,
                  "listKind": f"{first.kind}List"}
    short_names = _merge(i.short_names for i in infos)
    categories = _merge(i.categories for i in infos)
    if short_names:
        names["shortNames"] = short_names
    if categories:
        names["categories"] = categories
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{first.plural}.{first.group}"},
        "spec": {
            "group": first.group,
            "names": names,
            "scope": first.scope,
            "versions": [_version(m) for m in models],
        },
    }


def _merge(groups: Iterable[Sequence[str]]) -> list[str]:
    out: list[str] = []
    for g in groups:
        for x in g:
            if x not in out:
                out.append(x)
    return out


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)


def crd_yaml(*models: type[CustomResource]) -> str:
    return yaml.dump(crd_for(*models), Dumper=_Dumper, sort_keys=False, width=120)


def load_model(target: str) -> type[CustomResource]:
    """``package.module:ClassName`` -> the class."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise SchemaError(f"{target!r}: expected module:Class")
    module = importlib.import_module(module_name)
    obj: Any = module
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not (isinstance(obj, type) and issubclass(obj, CustomResource)):
        raise SchemaError(f"{target} is not a setpoint.models.CustomResource subclass")
    return obj


def generate_yaml(targets: Sequence[str]) -> str:
    """The YAML of the CRDs of ``module:Class`` targets; versions of one kind share one CRD."""
    models = [load_model(t) for t in targets]
    by_crd: dict[tuple[str, str], list[type[CustomResource]]] = {}
    for m in models:
        info = m.info()
        by_crd.setdefault((info.group, info.plural), []).append(m)
    return "---\n".join(crd_yaml(*ms) for ms in by_crd.values())
