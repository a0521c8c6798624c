"""The built-in kinds, declared from kube's definitions: completeness, patch metadata, list/map semantics."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest

from setpoint.apiserver import builtin
from setpoint.apiserver.apiextensions import crds
from setpoint.apiserver.builtin import declare, definitions
from setpoint.apiserver.builtin.definitions import DEFINITIONS, patch_schema, type_node, unknown_fields
from setpoint.apiserver.encoding import protobuf
from setpoint.apiserver.encoding.patch import PatchSchema, apply_strategic_merge_patch
from setpoint.apiserver.endpoints import table
from setpoint.apiserver.registry.resources import Registry, Resource, Strategy

Obj = dict[str, Any]
REF = definitions.REF_PREFIX
ROOT = Path(__file__).resolve().parents[2]


def _served() -> list[Resource]:
    """Every stored built-in kind (metrics.k8s.io is computed, and not kube-apiserver's)."""
    return [*(r for r in builtin.builtin_resources() if not r.computed), crds.crd_resource()]


# --- every served kind is complete ----------------------------------------------------


@pytest.mark.parametrize("r", _served(), ids=lambda r: f"{r.group or 'core'}/{r.version}/{r.kind}")
def test_every_served_builtin_kind_is_complete(r: Resource) -> None:
    gvk = (r.group, r.version, r.kind)
    assert definitions.GVK_DEFINITIONS[gvk] == definitions.definition_name(*gvk)
    create_only = r.verbs == ("create",)  # v1 Binding: no list, nothing to print
    assert create_only or (r.group, r.version, r.list_kind) in definitions.GVK_DEFINITIONS
    assert r.schema is definitions.BUILTIN_SCHEMAS[gvk]
    assert r.schema["properties"]["metadata"]["properties"]["name"]["type"] == "string"
    assert r.patch_schema is patch_schema(*gvk)
    assert r.patch_schema is not None
    assert r.patch_schema.child("metadata").child("ownerReferences").merge_key == "uid"
    assert create_only or r.columns, "a built-in kind prints its own columns"
    # kubectl sends built-in kinds as protobuf: the body must be decodable.
    assert (r.group_version, r.kind) in protobuf.kinds()


def test_builtin_resources_are_fresh_and_registered() -> None:
    first, second = builtin.builtin_resources(), builtin.builtin_resources()
    kinds = [r.kind for r in first]
    assert kinds[:11] == ["Namespace", "ConfigMap", "Secret", "Pod", "Binding", "ServiceAccount", "Event", "Event",
                          "Lease", "Service", "Node"]
    assert {"Deployment", "ReplicaSet", "Job", "CronJob", "Endpoints", "EndpointSlice", "Ingress", "IngressClass",
            "NetworkPolicy", "PodDisruptionBudget", "ResourceQuota", "LimitRange", "PriorityClass", "StatefulSet", "DaemonSet",
            "ControllerRevision", "PersistentVolumeClaim", "HorizontalPodAutoscaler"} <= set(kinds)
    assert kinds.count("HorizontalPodAutoscaler") == 2  # autoscaling/v2 and v1
    assert all(a is not b and a.strategy is not b.strategy for a, b in zip(first, second, strict=True))
    # The two groups' Events share one strategy and one storage.
    core_event, events_event = first[6], first[7]
    assert core_event.strategy is events_event.strategy
    assert core_event.storage_version == events_event.storage_version == "v1"
    assert events_event.storage_resource == "events"
    registry = Registry()
    builtin.register_builtins(registry)
    assert registry.get("", "v1", "pods") is not None
    assert registry.get("coordination.k8s.io", "v1", "leases") is not None
    assert builtin.SYSTEM_NAMESPACES == ("default", "kube-system", "kube-public", "kube-node-lease")


def test_declare_takes_schema_and_patch_metadata_from_the_definitions() -> None:
    r = declare.declare("apps", "v1", "Deployment", "deployments", "deployment", True, Strategy())
    assert r.schema is definitions.BUILTIN_SCHEMAS[("apps", "v1", "Deployment")]
    assert r.patch_schema is patch_schema("apps", "v1", "Deployment")
    with pytest.raises(ValueError, match=r"no definition of example\.com/v1 Widget"):
        declare.declare("example.com", "v1", "Widget", "widgets", "widget", True, Strategy())


def test_column_descriptions_are_kube_docs() -> None:
    meta = DEFINITIONS[definitions.OBJECT_META]["properties"]
    assert meta["name"]["description"] == table.NAME_DESCRIPTION
    assert meta["creationTimestamp"]["description"] == table.CREATION_TIMESTAMP_DESCRIPTION
    cm = next(r for r in builtin.builtin_resources() if r.kind == "ConfigMap")
    assert cm.columns[0].description == DEFINITIONS["io.k8s.api.core.v1.ConfigMap"]["properties"]["data"][
        "description"]


# --- the data: kube's /openapi/v3 shape ------------------------------------------------


def _nodes(schema: Obj) -> list[Obj]:
    """``schema`` and its sub-schemas (not the extensions' values)."""
    out: list[Obj] = []
    stack = [schema]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend((n.get("properties") or {}).values())
        stack.extend(v for k, v in n.items() if k in ("items", "additionalProperties") and isinstance(v, dict))
        stack.extend(n.get("allOf") or ())
        stack.extend(n.get("oneOf") or ())
    return out


def test_definitions_are_kubes_published_shape() -> None:
    assert definitions.SOURCE == "kubernetes-validate==1.37.0"
    assert len(DEFINITIONS) == 862
    for name, schema in DEFINITIONS.items():
        for node in _nodes(schema):
            kind = node.get("type")
            assert kind is None or isinstance(kind, str), name
            ref = node.get("$ref")
            if ref is not None:
                assert ref.startswith(REF) and ref[len(REF):] in DEFINITIONS, (name, ref)
                assert set(node) == {"$ref"}, (name, node)  # siblings go beside an allOf
    pod = DEFINITIONS["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "Pod", "version": "v1"}]
    assert pod["properties"]["apiVersion"] == {"description": pod["properties"]["apiVersion"]["description"],
                                               "type": "string"}
    assert pod["properties"]["spec"]["allOf"] == [{"$ref": REF + "io.k8s.api.core.v1.PodSpec"}]
    assert pod["properties"]["spec"]["default"] == {}
    assert pod["properties"]["metadata"]["default"] == {}
    containers = DEFINITIONS["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["items"] == {"allOf": [{"$ref": REF + "io.k8s.api.core.v1.Container"}], "default": {}}
    assert containers["x-kubernetes-list-type"] == "map"
    assert containers["x-kubernetes-list-map-keys"] == ["name"]
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    container = DEFINITIONS["io.k8s.api.core.v1.Container"]
    assert container["required"] == ["name"]
    assert container["properties"]["name"]["default"] == ""
    assert container["properties"]["args"]["items"] == {"default": "", "type": "string"}
    int_or_string = DEFINITIONS["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
    assert int_or_string["format"] == "int-or-string"
    assert int_or_string["oneOf"] == [{"type": "integer"}, {"type": "string"}]
    quantity = DEFINITIONS["io.k8s.apimachinery.pkg.api.resource.Quantity"]
    assert quantity["oneOf"] == [{"type": "string"}, {"type": "number"}]
    assert quantity["description"].startswith("Quantity is a fixed-point representation of a number.")


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_definitions", ROOT / "scripts" / "gen_definitions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_definitions"] = module
    spec.loader.exec_module(module)
    return module


def test_generator_converts_json_schema_to_kube_shape() -> None:
    gen = _load_generator()
    source = {
        "io.k8s.api.x.v1.Thing": {
            "description": "Thing.",
            "type": ["object", "null"],
            "x-kubernetes-group-version-kind": [{"group": "x", "kind": "Thing", "version": "v1"}],
            "required": ["name", "spec"],
            "properties": {
                "apiVersion": {"type": ["string", "null"], "enum": ["x/v1"]},
                "name": {"type": "string"},
                "spec": {"$ref": "#/$defs/io.k8s.api.x.v1.Spec", "description": "The spec."},
                "port": {"$ref": "#/$defs/io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
                "items": {"type": ["array", "null"], "items": {"$ref": "#/$defs/io.k8s.api.x.v1.Spec"},
                          "x-kubernetes-list-type": "atomic"},
            },
        },
        "io.k8s.api.x.v1.Spec": {"type": ["object", "null"], "properties": {"a": {"type": ["integer", "null"]}}},
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
            "oneOf": [{"type": ["string", "null"]}, {"type": ["integer", "null"]}]},
    }
    out = gen.convert(source)
    thing = out["io.k8s.api.x.v1.Thing"]
    assert thing["type"] == "object"
    assert thing["properties"]["apiVersion"] == {"type": "string"}
    assert thing["properties"]["name"] == {"type": "string", "default": ""}
    assert thing["properties"]["spec"] == {
        "allOf": [{"$ref": REF + "io.k8s.api.x.v1.Spec"}], "description": "The spec.", "default": {}}
    assert thing["properties"]["port"] == {"$ref": REF + "io.k8s.apimachinery.pkg.util.intstr.IntOrString"}
    assert thing["properties"]["items"] == {
        "type": "array", "items": {"allOf": [{"$ref": REF + "io.k8s.api.x.v1.Spec"}], "default": {}},
        "x-kubernetes-list-type": "atomic"}
    assert out["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"] == "int-or-string"


def test_committed_data_is_what_the_generator_writes(tmp_path: Path) -> None:
    """The generator turns the committed data back into itself (its conversion is idempotent on
    kube's shape for every definition it does not rewrite), and the file is compact."""
    raw = (ROOT / "src/setpoint/apiserver/builtin/definitions.json").read_bytes()
    assert raw.count(b"\n") == 1 and raw.startswith(b'{"schemas":{"io.k8s.api.')
    assert orjson.loads(raw)["schemas"] == DEFINITIONS


def test_package_data_ships_the_definitions() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert "apiserver/builtin/definitions.json" in text


# --- strategic merge patch metadata ----------------------------------------------------


def _pod() -> PatchSchema:
    schema = patch_schema("", "v1", "Pod")
    assert schema is not None
    return schema


def test_pod_patch_metadata_is_derived_from_the_struct_tags() -> None:
    spec = _pod().child("spec")
    containers = spec.child("containers")
    assert (containers.strategy, containers.merge_key) == ("merge", "name")
    ports = containers.element().child("ports")
    assert (ports.strategy, ports.merge_key) == ("merge", "containerPort")
    assert containers.element().child("env").merge_key == "name"
    assert containers.element().child("volumeMounts").merge_key == "mountPath"
    assert spec.child("initContainers").merge_key == "name"
    volumes = spec.child("volumes")
    assert (volumes.merge_key, volumes.retain_keys) == ("name", True)
    assert spec.child("tolerations").strategy == ""  # untagged: replaced whole
    assert spec.child("nodeSelector").strategy == ""
    meta = _pod().child("metadata")
    assert (meta.child("ownerReferences").strategy, meta.child("ownerReferences").merge_key) == ("merge", "uid")
    assert (meta.child("finalizers").strategy, meta.child("finalizers").merge_key) == ("merge", "")
    assert _pod().child("status").child("conditions").merge_key == "type"
    # Shared definitions give one shared schema.
    assert _pod().child("metadata") is patch_schema("", "v1", "ConfigMap").child("metadata")  # type: ignore[union-attr]


def test_derived_metadata_drives_strategic_merge_patch() -> None:
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [
        {"name": "a", "image": "a:1", "ports": [{"containerPort": 80}]},
        {"name": "b", "image": "b:1"}]}}
    patch = {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 81}]}]}}
    out = apply_strategic_merge_patch(pod, patch, _pod())
    assert out["spec"]["containers"] == [
        {"name": "a", "image": "a:1", "ports": [{"containerPort": 81}, {"containerPort": 80}]},
        {"name": "b", "image": "b:1"}]


def test_recursive_definitions_derive_lazily() -> None:
    crd = patch_schema("apiextensions.k8s.io", "v1", "CustomResourceDefinition")
    assert crd is not None
    assert crd.child("spec").child("versions").strategy == ""  # untagged in Go: replaced whole
    props = definitions.definition_patch_schema(
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps")
    nested = props.child("properties").child("a").child("properties").child("b")
    assert nested is props
    rules = nested.child("x-kubernetes-validations")
    assert (rules.strategy, rules.merge_key) == ("merge", "rule")
    assert props.child("properties").child("other") is props
    deployment = patch_schema("apps", "v1", "Deployment")
    assert deployment is not None
    assert deployment.child("spec").child("strategy").retain_keys
    assert deployment.child("spec").child("template").child("spec").child("containers").merge_key == "name"


# --- list and map semantics (server-side apply) -----------------------------------------


def test_list_and_map_semantics() -> None:
    pod = type_node("", "v1", "Pod")
    assert pod is not None and pod.kind == "struct" and pod.definition == "io.k8s.api.core.v1.Pod"
    spec = pod.field("spec")
    assert spec is not None and spec.definition == "io.k8s.api.core.v1.PodSpec"
    containers = spec.field("containers")
    assert containers is not None
    assert (containers.kind, containers.list_type, containers.list_map_keys) == ("list", "map", ("name",))
    container = containers.elements()
    assert container is not None and container.kind == "struct"
    ports = container.field("ports")
    assert ports is not None and ports.list_map_keys == ("containerPort", "protocol")
    assert ports.patch_merge_key == "containerPort"
    tolerations = spec.field("tolerations")
    assert tolerations is not None and tolerations.list_type == "atomic"
    node_selector = spec.field("nodeSelector")
    assert node_selector is not None
    assert (node_selector.kind, node_selector.map_type) == ("map", "atomic")
    meta = pod.field("metadata")
    assert meta is not None
    labels = meta.field("labels")
    assert labels is not None and (labels.kind, labels.map_type) == ("map", "granular")
    finalizers = meta.field("finalizers")
    assert finalizers is not None and finalizers.list_type == "set"
    owner = meta.field("ownerReferences")
    assert owner is not None and owner.list_map_keys == ("uid",)
    owner_item = owner.elements()
    assert owner_item is not None and owner_item.map_type == "atomic"
    resources = container.field("resources")
    assert resources is not None
    limits = resources.field("limits")
    assert limits is not None
    quantity = limits.values()
    assert quantity is not None and quantity.kind == "scalar"
    assert dict(pod.fields()).keys() == {"apiVersion", "kind", "metadata", "spec", "status"}
    assert type_node("example.com", "v1", "Widget") is None


# --- unknown fields of every kind ------------------------------------------------------


def test_unknown_pod_fields_are_found_anywhere() -> None:
    schema = definitions.BUILTIN_SCHEMAS[("", "v1", "Pod")]
    pod = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}},
        "spec": {
            "containers": [{
                "name": "c", "image": "i", "bogus": 1,
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "resources": {"limits": {"cpu": "1", "memory": 1024}},
                "livenessProbe": {"httpGet": {"port": "http", "path": "/"}},
                "readinessProbe": {"tcpSocket": {"port": 8080}},
            }],
            "volumes": [{"name": "v", "emptyDir": {"sizeLimit": "1Gi", "nope": True}}],
            "affinity": {"nodeAffinity": {}},
        },
        "status": {"phase": "Pending"},
    }
    assert unknown_fields(pod, schema) == ["spec.containers[0].bogus", "spec.volumes[0].emptyDir.nope"]
    del pod["spec"]["containers"][0]["bogus"]
    del pod["spec"]["volumes"][0]["emptyDir"]["nope"]
    assert unknown_fields(pod, schema) == []


def test_opaque_and_recursive_types_accept_anything() -> None:
    meta = {"managedFields": [{"manager": "m", "fieldsV1": {"f:spec": {"f:anything": {}}}}]}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {}}
    assert unknown_fields(cm, definitions.BUILTIN_SCHEMAS[("", "v1", "ConfigMap")]) == []
    crd_schema = definitions.BUILTIN_SCHEMAS[("apiextensions.k8s.io", "v1", "CustomResourceDefinition")]
    crd = {"spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"type": "object", "x-foo": 1}}}]}}
    assert unknown_fields(crd, crd_schema) == []
    inlined = definitions.inline("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition")
    props = inlined["properties"]["spec"]["properties"]["versions"]["items"]["properties"]["schema"]
    assert props["properties"]["openAPIV3Schema"]["x-kubernetes-preserve-unknown-fields"] is True
