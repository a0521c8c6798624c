"""Built-in OpenAPI schemas and unknown-field detection (fieldValidation=Strict|Warn)."""

from __future__ import annotations

from typing import Any

import pytest

from setpoint.apiserver.builtin import definitions
from setpoint.apiserver.builtin.definitions import BUILTIN_SCHEMAS, DEFINITIONS, unknown_fields

Obj = dict[str, Any]

KINDS = [
    ("", "v1", "Namespace"),
    ("", "v1", "ConfigMap"),
    ("", "v1", "Secret"),
    ("", "v1", "ServiceAccount"),
    ("", "v1", "Event"),
    ("events.k8s.io", "v1", "Event"),
    ("coordination.k8s.io", "v1", "Lease"),
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
    ("autoscaling", "v1", "Scale"),
    ("", "v1", "Status"),
    ("", "v1", "DeleteOptions"),
]


def _walk(node: object) -> list[Obj]:
    out: list[Obj] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            out.append(n)
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)
    return out


# --- the schemas -------------------------------------------------------------------


@pytest.mark.parametrize("gvk", KINDS)
def test_builtin_schema_is_complete_and_structural(gvk: tuple[str, str, str]) -> None:
    schema = BUILTIN_SCHEMAS[gvk]
    assert schema["type"] == "object"
    assert schema["description"]
    props = schema["properties"]
    assert props["apiVersion"]["type"] == "string"
    assert props["kind"]["type"] == "string"
    if gvk[2] not in ("DeleteOptions",):
        assert "metadata" in props
    for node in _walk(schema):
        assert "$ref" not in node
        assert "allOf" not in node
    assert "x-kubernetes-group-version-kind" not in schema


def test_builtin_schema_keys() -> None:
    # Every kind of kube's definitions (not their lists) has one, built on first use.
    assert set(KINDS) < set(BUILTIN_SCHEMAS)
    kinds = {gvk for gvk in definitions.GVK_DEFINITIONS if not gvk[2].endswith("List")}
    assert set(BUILTIN_SCHEMAS) == kinds
    assert len(BUILTIN_SCHEMAS) == len(kinds)
    assert ("apps", "v1", "Deployment") in BUILTIN_SCHEMAS
    assert ("", "v1", "PodList") not in BUILTIN_SCHEMAS


def test_object_meta_inlined() -> None:
    meta = BUILTIN_SCHEMAS[("", "v1", "ConfigMap")]["properties"]["metadata"]
    assert meta["type"] == "object"
    assert meta["description"].startswith("Standard object's metadata.")
    props = meta["properties"]
    assert props["name"]["type"] == "string"
    assert props["labels"] == {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": props["labels"]["description"],
    }
    assert props["creationTimestamp"]["format"] == "date-time"
    assert props["generation"]["format"] == "int64"
    owner = props["ownerReferences"]
    assert owner["x-kubernetes-list-type"] == "map"
    assert owner["x-kubernetes-list-map-keys"] == ["uid"]
    assert owner["x-kubernetes-patch-merge-key"] == "uid"
    assert owner["items"]["required"] == ["apiVersion", "kind", "name", "uid"]
    assert owner["items"]["x-kubernetes-map-type"] == "atomic"
    assert props["finalizers"]["x-kubernetes-patch-strategy"] == "merge"
    # ManagedFieldsEntry is a struct (decoded strictly); FieldsV1 holds any JSON.
    managed = props["managedFields"]["items"]
    assert "x-kubernetes-preserve-unknown-fields" not in managed
    assert managed["properties"]["manager"]["type"] == "string"
    assert managed["properties"]["fieldsV1"]["x-kubernetes-preserve-unknown-fields"] is True


def test_kind_fields() -> None:
    cm = BUILTIN_SCHEMAS[("", "v1", "ConfigMap")]["properties"]
    assert cm["binaryData"]["additionalProperties"] == {"type": "string", "format": "byte"}
    assert cm["data"]["additionalProperties"] == {"type": "string"}
    assert cm["immutable"]["type"] == "boolean"

    secret = BUILTIN_SCHEMAS[("", "v1", "Secret")]["properties"]
    assert secret["data"]["additionalProperties"]["format"] == "byte"
    assert secret["stringData"]["additionalProperties"] == {"type": "string"}
    assert secret["type"]["type"] == "string"

    sa = BUILTIN_SCHEMAS[("", "v1", "ServiceAccount")]["properties"]
    assert sa["secrets"]["x-kubernetes-patch-merge-key"] == "name"
    assert sa["imagePullSecrets"]["items"]["properties"]["name"]["type"] == "string"
    assert sa["automountServiceAccountToken"]["type"] == "boolean"

    ns = BUILTIN_SCHEMAS[("", "v1", "Namespace")]["properties"]
    assert ns["spec"]["properties"]["finalizers"]["items"] == {"type": "string"}
    assert ns["status"]["properties"]["phase"]["type"] == "string"
    # kube lists required fields in the Go struct's field order.
    assert ns["status"]["properties"]["conditions"]["items"]["required"] == ["type", "status"]

    lease = BUILTIN_SCHEMAS[("coordination.k8s.io", "v1", "Lease")]["properties"]["spec"]["properties"]
    assert lease["renewTime"]["format"] == "date-time"
    assert lease["acquireTime"]["format"] == "date-time"
    assert lease["leaseDurationSeconds"] == {
        "type": "integer",
        "format": "int32",
        "description": lease["leaseDurationSeconds"]["description"],
    }
    assert {"holderIdentity", "leaseTransitions", "preferredHolder", "strategy"} <= set(lease)


def test_events() -> None:
    core = BUILTIN_SCHEMAS[("", "v1", "Event")]
    assert set(core["required"]) == {"involvedObject", "metadata"}
    assert {
        "involvedObject",
        "reason",
        "message",
        "source",
        "firstTimestamp",
        "lastTimestamp",
        "count",
        "type",
        "eventTime",
        "series",
        "action",
        "related",
        "reportingComponent",
        "reportingInstance",
    } <= set(core["properties"])
    assert core["properties"]["involvedObject"]["properties"]["fieldPath"]["type"] == "string"
    events = BUILTIN_SCHEMAS[("events.k8s.io", "v1", "Event")]
    assert events["required"] == ["eventTime"]
    assert {
        "regarding",
        "note",
        "reason",
        "type",
        "eventTime",
        "series",
        "action",
        "related",
        "reportingController",
        "reportingInstance",
        "deprecatedSource",
        "deprecatedFirstTimestamp",
        "deprecatedLastTimestamp",
        "deprecatedCount",
    } <= set(events["properties"])
    assert events["properties"]["series"]["required"] == ["count", "lastObservedTime"]


def test_crd() -> None:
    crd = BUILTIN_SCHEMAS[("apiextensions.k8s.io", "v1", "CustomResourceDefinition")]
    spec = crd["properties"]["spec"]["properties"]
    assert {"group", "names", "scope", "versions", "conversion", "preserveUnknownFields"} <= set(spec)
    version = spec["versions"]["items"]["properties"]
    schema = version["schema"]["properties"]["openAPIV3Schema"]
    assert schema["x-kubernetes-preserve-unknown-fields"] is True
    assert version["subresources"]["properties"]["scale"]["required"] == [
        "specReplicasPath",
        "statusReplicasPath",
    ]
    status = crd["properties"]["status"]["properties"]
    assert {"conditions", "acceptedNames", "storedVersions"} <= set(status)


def test_definitions_reference_only_definitions() -> None:
    for name, schema in DEFINITIONS.items():
        for ref in definitions.refs_of(schema):
            assert ref in DEFINITIONS, (name, ref)


def test_gvk_definitions() -> None:
    assert definitions.GVK_DEFINITIONS[("", "v1", "ConfigMap")] == "io.k8s.api.core.v1.ConfigMap"
    assert definitions.GVK_DEFINITIONS[("", "v1", "ConfigMapList")] == "io.k8s.api.core.v1.ConfigMapList"
    lease = DEFINITIONS["io.k8s.api.coordination.v1.Lease"]
    assert lease["x-kubernetes-group-version-kind"] == [
        {"group": "coordination.k8s.io", "kind": "Lease", "version": "v1"}
    ]
    meta = DEFINITIONS["io.k8s.api.core.v1.ConfigMap"]["properties"]["metadata"]
    assert meta["allOf"] == [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}]
    assert meta["default"] == {}


def test_definition_names() -> None:
    assert definitions.definition_name("stable.example.com", "v1", "CronTab") == "com.example.stable.v1.CronTab"
    assert definitions.definition_name("", "v1", "Secret") == "io.k8s.api.core.v1.Secret"
    assert definitions.definition_name("coordination.k8s.io", "v1", "Lease") == "io.k8s.api.coordination.v1.Lease"


def test_closure() -> None:
    names = definitions.closure(["io.k8s.api.core.v1.ConfigMap"])
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in names
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference" in names
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.Time" in names
    assert names == sorted(names)


# --- unknown fields ------------------------------------------------------------------

CONFIG_MAP = BUILTIN_SCHEMAS[("", "v1", "ConfigMap")]


def test_known_fields_are_not_reported() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "x",
            "labels": {"a": "b"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "u"}],
            "managedFields": [{"manager": "m", "fieldsV1": {"f:data": {"f:a": {}}}}],
        },
        "data": {"a": "1", "weird key": "x"},
        "binaryData": {"b": "AA=="},
        "immutable": True,
    }
    assert unknown_fields(obj, CONFIG_MAP) == []


def test_unknown_fields_paths() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "x",
            "bogus": 1,
            "ownerReferences": [{"uid": "u"}, {"uid": "v", "extra": {"deep": 1}}],
        },
        "datta": {},
        "spec": {"foo": 1},
    }
    assert unknown_fields(obj, CONFIG_MAP) == [
        "metadata.bogus",
        "metadata.ownerReferences[1].extra",
        "datta",
        "spec",
    ]


def test_prune_removes_exactly_the_unknown_fields() -> None:
    obj: Obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "bogus": 1, "ownerReferences": [{"uid": "u", "extra": 2}]},
        "data": {"k": "v"},
        "datta": {},
    }
    assert unknown_fields(obj, CONFIG_MAP, prune=True) == ["metadata.bogus", "metadata.ownerReferences[0].extra", "datta"]
    assert obj == {"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "x", "ownerReferences": [{"uid": "u"}]}, "data": {"k": "v"}}
    assert unknown_fields(obj, CONFIG_MAP) == []


def test_nested_paths() -> None:
    lease = BUILTIN_SCHEMAS[("coordination.k8s.io", "v1", "Lease")]
    obj = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "spec": {"holderIdentity": "a", "foo": 1}}
    assert unknown_fields(obj, lease) == ["spec.foo"]
    sa = BUILTIN_SCHEMAS[("", "v1", "ServiceAccount")]
    sa_obj: Obj = {"secrets": [{"name": "a"}, {"name": "b", "x": 1}], "imagePullSecrets": [{"nme": "c"}]}
    assert unknown_fields(sa_obj, sa) == ["secrets[1].x", "imagePullSecrets[0].nme"]


def test_path_prefix() -> None:
    spec = BUILTIN_SCHEMAS[("coordination.k8s.io", "v1", "Lease")]["properties"]["spec"]
    assert unknown_fields({"foo": 1}, spec, "spec") == ["spec.foo"]
    items = {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "string"}}}}
    assert unknown_fields([{"b": 1}], items, "list") == ["list[0].b"]


def test_additional_properties_and_preserve() -> None:
    schema: Obj = {
        "type": "object",
        "properties": {
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "mixed": {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": True,
                "properties": {"known": {"type": "object", "properties": {"a": {"type": "string"}}}},
            },
            "anything": {"type": "object", "additionalProperties": True},
            "nothing": {"type": "object", "additionalProperties": False},
            "maps": {
                "type": "object",
                "additionalProperties": {"type": "object", "properties": {"x": {"type": "integer"}}},
            },
            "empty": {"type": "object"},
            "untyped": {"description": "any value"},
        },
    }
    obj = {
        "apiVersion": "a/v1",
        "kind": "K",
        "metadata": {"name": "n", "nope": 1},
        "free": {"a": {"b": 1}},
        "mixed": {"other": 1, "known": {"a": "s", "b": 2}},
        "anything": {"q": 1},
        "nothing": {"q": 1},
        "maps": {"k1": {"x": 1}, "k2": {"y": 2}},
        "empty": {"z": 1},
        "untyped": {"z": 1},
    }
    assert unknown_fields(obj, schema) == [
        "metadata.nope",
        "mixed.known.b",
        "nothing.q",
        "maps.k2.y",
        "empty.z",
    ]


def test_root_and_embedded_resources() -> None:
    schema: Obj = {
        "type": "object",
        "properties": {
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "properties": {
                    "template": {
                        "type": "object",
                        "x-kubernetes-embedded-resource": True,
                        "properties": {"spec": {"type": "object", "properties": {"a": {"type": "string"}}}},
                    }
                },
            },
        },
    }
    obj = {
        "apiVersion": "x/v1",
        "kind": "X",
        "metadata": {"name": "n", "labels": {"a": "b"}},
        "spec": {
            "template": {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p", "bad": 1},
                "spec": {"a": "b", "c": 1},
                "other": 1,
            }
        },
    }
    assert unknown_fields(obj, schema) == [
        "spec.template.metadata.bad",
        "spec.template.spec.c",
        "spec.template.other",
    ]
    # Below the root, apiVersion/kind are fields like any other.
    assert unknown_fields({"apiVersion": "v1"}, {"type": "object", "properties": {}}, "x") == ["x.apiVersion"]


def test_non_objects_are_ignored() -> None:
    assert unknown_fields("text", CONFIG_MAP) == []
    assert unknown_fields({"data": "not-a-map", "metadata": None}, CONFIG_MAP) == []
    assert unknown_fields({"metadata": {"ownerReferences": "nope"}}, CONFIG_MAP) == []


def test_kube_strict_message_shape() -> None:
    # handlers render: strict decoding error: unknown field "spec.foo"
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "spec": {"foo": 1}}
    messages = [f'unknown field "{p}"' for p in unknown_fields(obj, CONFIG_MAP)]
    assert messages == ['unknown field "spec"']


def test_big_valid_object_is_fast() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "labels": {f"k{i}": "v" for i in range(1000)}},
        "data": {f"k{i}": "v" for i in range(10000)},
    }
    for _ in range(20):
        assert unknown_fields(obj, CONFIG_MAP) == []
