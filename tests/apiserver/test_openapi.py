"""/openapi/v3 and /openapi/v2: what kubectl explain, apply and the field-validation verifier read."""

from __future__ import annotations

import re
import struct
from typing import Any

import orjson
import pytest

from setpoint.apiserver.builtin import definitions
from setpoint.apiserver.encoding.errors import StatusError
from setpoint.apiserver.encoding.patch import PatchSchema
from setpoint.apiserver.endpoints import openapi
from setpoint.apiserver.endpoints.openapi import OpenAPI, swagger_protobuf
from setpoint.apiserver.http import Request
from setpoint.apiserver.registry.resources import Registry, Resource, Strategy

Obj = dict[str, Any]

HASH = re.compile(r"^[0-9A-F]{128}$")


class _DeletedObject(Strategy):
    return_deleted_object = True


def _registry() -> Registry:
    reg = Registry()
    smp = PatchSchema()  # strategic merge patch supported: only its presence matters here
    reg.add(
        Resource(
            "",
            "v1",
            "ConfigMap",
            "configmaps",
            "configmap",
            True,
            patch_schema=smp,
            schema=definitions.BUILTIN_SCHEMAS[("", "v1", "ConfigMap")],
        )
    )
    reg.add(
        Resource(
            "",
            "v1",
            "Namespace",
            "namespaces",
            "namespace",
            False,
            subresources=frozenset({"status", "finalize"}),
            patch_schema=smp,
        )
    )
    reg.add(Resource("coordination.k8s.io", "v1", "Lease", "leases", "lease", True, patch_schema=smp))
    return reg


CRONTAB_SCHEMA: Obj = {
    "type": "object",
    "description": "CronTab is a cron job.",
    "properties": {
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "properties": {
                "cronSpec": {"type": "string", "description": "the schedule"},
                "replicas": {"type": "integer", "nullable": True},
                "extra": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"a": {}},
                },
                "choice": {
                    "anyOf": [{"type": "integer"}, {"type": "string"}],
                    "x-kubernetes-int-or-string": True,
                },
            },
        },
    },
}


def _crontabs(schema: Obj | None = CRONTAB_SCHEMA, version: str = "v1") -> Resource:
    return Resource(
        "stable.example.com",
        version,
        "CronTab",
        "crontabs",
        "crontab",
        True,
        _DeletedObject(),
        subresources=frozenset({"status", "scale"}),
        custom=True,
        schema=schema,
    )


def _req(path: str, accept: str | None = "application/json", query: str = "", **headers: str) -> Request:
    h = {k.replace("_", "-"): v for k, v in headers.items()}
    if accept is not None:
        h["accept"] = accept
    return Request("GET", path, query_string=query.encode(), headers=h)


def _rendered(o: OpenAPI, key: str) -> openapi.Rendered:
    rendered = o.render_document(key)
    assert rendered is not None
    return rendered


def _ops(doc: Obj) -> list[tuple[str, str, Obj]]:
    return [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method != "parameters"
    ]


# --- the index -------------------------------------------------------------------------


def test_index() -> None:
    reg = _registry()
    reg.add(_crontabs())
    o = OpenAPI(reg)
    index = o.index()
    assert set(index["paths"]) == {"api/v1", "apis/coordination.k8s.io/v1", "apis/stable.example.com/v1"}
    url = index["paths"]["api/v1"]["serverRelativeURL"]
    m = re.fullmatch(r"/openapi/v3/api/v1\?hash=([0-9A-F]+)", url)
    assert m is not None
    assert HASH.match(m.group(1))
    assert m.group(1) == _rendered(o, "api/v1").hash
    resp = o.handle(_req("/openapi/v3", "application/json, */*"), ["v3"])
    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert orjson.loads(resp.body) == index


def test_hash_changes_only_with_the_document() -> None:
    reg = _registry()
    o = OpenAPI(reg)
    before = o.index()["paths"]
    core_body = _rendered(o, "api/v1").body
    ct = _crontabs()
    reg.add(ct)
    after = o.index()["paths"]
    assert "apis/stable.example.com/v1" in after
    assert after["api/v1"] == before["api/v1"]  # untouched group-version: same hash, same bytes
    assert _rendered(o, "api/v1").body is core_body
    first = after["apis/stable.example.com/v1"]["serverRelativeURL"]
    reg.add(_crontabs({"type": "object", "properties": {"spec": {"type": "object"}}}))
    assert o.index()["paths"]["apis/stable.example.com/v1"]["serverRelativeURL"] != first
    current = reg.get("stable.example.com", "v1", "crontabs")
    assert current is not None
    reg.remove(current)
    assert "apis/stable.example.com/v1" not in o.index()["paths"]


def test_rendered_once_per_generation() -> None:
    o = OpenAPI(_registry())
    assert o.render_index() is o.render_index()
    assert o.render_document("api/v1") is o.render_document("api/v1")
    assert o.render_swagger() is o.render_swagger()


# --- the group-version documents ---------------------------------------------------------


def test_core_document() -> None:
    o = OpenAPI(_registry())
    doc = o.document("api/v1")
    assert doc is not None
    assert doc["openapi"] == "3.0.0"
    assert doc["info"]["title"] == "Kubernetes"
    comps = doc["components"]["schemas"]
    cm = comps["io.k8s.api.core.v1.ConfigMap"]
    assert cm["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "ConfigMap", "version": "v1"}]
    assert cm["properties"]["metadata"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    ]
    for name in (
        "io.k8s.api.core.v1.ConfigMapList",
        "io.k8s.api.core.v1.Namespace",
        "io.k8s.api.core.v1.NamespaceStatus",
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
    ):
        assert name in comps
    # every reference resolves inside the document
    for schema in comps.values():
        for ref in definitions.refs_of(schema):
            assert ref in comps
    for _, _, op in _ops(doc):
        for media in (op.get("requestBody") or {}).get("content", {}).values():
            assert media["schema"]["$ref"].removeprefix("#/components/schemas/") in comps


def test_paths_and_operations() -> None:
    doc = OpenAPI(_registry()).document("api/v1")
    assert doc is not None
    paths = doc["paths"]
    assert set(paths) == {
        "/api/v1/namespaces/{namespace}/configmaps",
        "/api/v1/namespaces/{namespace}/configmaps/{name}",
        "/api/v1/configmaps",
        "/api/v1/namespaces",
        "/api/v1/namespaces/{name}",
        "/api/v1/namespaces/{name}/status",
        "/api/v1/namespaces/{name}/finalize",
    }
    item = paths["/api/v1/namespaces/{namespace}/configmaps/{name}"]
    assert set(item) == {"get", "put", "patch", "delete", "parameters"}
    assert [p["name"] for p in item["parameters"]] == ["name", "namespace", "pretty"]
    patch = item["patch"]
    assert patch["operationId"] == "patchCoreV1NamespacedConfigMap"
    assert patch["x-kubernetes-action"] == "patch"
    assert patch["x-kubernetes-group-version-kind"] == {"group": "", "kind": "ConfigMap", "version": "v1"}
    assert patch["tags"] == ["core_v1"]
    assert [p["name"] for p in patch["parameters"]] == ["dryRun", "fieldManager", "fieldValidation", "force"]
    assert set(patch["requestBody"]["content"]) == {
        "application/apply-patch+yaml",
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
    }
    coll = paths["/api/v1/namespaces/{namespace}/configmaps"]
    assert coll["get"]["operationId"] == "listCoreV1NamespacedConfigMap"
    assert coll["post"]["operationId"] == "createCoreV1NamespacedConfigMap"
    assert coll["delete"]["operationId"] == "deleteCollectionCoreV1NamespacedConfigMap"
    assert "watch" in [p["name"] for p in coll["get"]["parameters"]]
    assert coll["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "io.k8s.api.core.v1.ConfigMapList"
    )
    assert paths["/api/v1/configmaps"]["get"]["operationId"] == "listCoreV1ConfigMapForAllNamespaces"
    status = paths["/api/v1/namespaces/{name}/status"]
    assert status["patch"]["operationId"] == "patchCoreV1NamespaceStatus"
    assert status["get"]["operationId"] == "readCoreV1NamespaceStatus"
    finalize = paths["/api/v1/namespaces/{name}/finalize"]
    assert set(finalize) == {"put", "parameters"}
    assert finalize["put"]["operationId"] == "replaceCoreV1NamespaceFinalize"
    assert paths["/api/v1/namespaces/{name}"]["delete"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]["$ref"].endswith("meta.v1.Status")


def test_every_patch_declares_field_validation() -> None:
    """cli-runtime's QueryParamVerifierV3 checks the first PATCH of the GVK it meets: all must say so."""
    reg = _registry()
    reg.add(_crontabs())
    o = OpenAPI(reg)
    for key in o.index()["paths"]:
        doc = o.document(key)
        assert doc is not None
        patches = [op for _, method, op in _ops(doc) if method == "patch"]
        assert patches
        for op in patches:
            names = [p["name"] for p in op["parameters"]]
            assert "fieldValidation" in names
            assert all("$ref" not in p for p in op["parameters"])  # inline, as the verifier reads names
            assert op["x-kubernetes-group-version-kind"]["kind"]


def test_explain_finds_kinds_through_paths() -> None:
    """kubectl explain's template: a GVK on an operation of /<prefix>/<version>/<resource>, then a schema."""
    reg = _registry()
    reg.add(_crontabs())
    o = OpenAPI(reg)
    for key, prefix, resource in (
        ("api/v1", "/api/v1", "configmaps"),
        ("api/v1", "/api/v1", "namespaces"),
        ("apis/coordination.k8s.io/v1", "/apis/coordination.k8s.io/v1", "leases"),
        ("apis/stable.example.com/v1", "/apis/stable.example.com/v1", "crontabs"),
    ):
        doc = o.document(key)
        assert doc is not None
        gvk = doc["paths"][f"{prefix}/{resource}"]["get"]["x-kubernetes-group-version-kind"]
        matches = [
            name
            for name, s in doc["components"]["schemas"].items()
            if gvk in s.get("x-kubernetes-group-version-kind", [])
        ]
        assert len(matches) == 1


def test_custom_resource_document() -> None:
    reg = Registry()
    reg.add(_crontabs())
    doc = OpenAPI(reg).document("apis/stable.example.com/v1")
    assert doc is not None
    comps = doc["components"]["schemas"]
    ct = comps["com.example.stable.v1.CronTab"]
    assert ct["x-kubernetes-group-version-kind"] == [
        {"group": "stable.example.com", "kind": "CronTab", "version": "v1"}
    ]
    assert ct["description"] == "CronTab is a cron job."
    assert ct["properties"]["metadata"]["allOf"][0]["$ref"].endswith("meta.v1.ObjectMeta")
    assert ct["properties"]["apiVersion"]["type"] == "string"
    assert ct["properties"]["spec"]["properties"]["cronSpec"]["description"] == "the schedule"
    assert CRONTAB_SCHEMA["properties"]["metadata"] == {
        "type": "object"
    }  # the Resource's schema is not touched
    lst = comps["com.example.stable.v1.CronTabList"]
    assert lst["required"] == ["items"]
    assert lst["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/com.example.stable.v1.CronTab"
    }
    assert "io.k8s.api.autoscaling.v1.Scale" in comps
    assert comps["io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"]["x-kubernetes-group-version-kind"] == [
        {"group": "", "kind": "DeleteOptions", "version": "v1"},
        {"group": "stable.example.com", "kind": "DeleteOptions", "version": "v1"},
    ]
    paths = doc["paths"]
    item = paths["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"]
    assert item["patch"]["operationId"] == "patchStableExampleComV1NamespacedCronTab"
    assert item["patch"]["tags"] == ["stableExampleCom_v1"]
    # custom resources: no strategic merge patch, so kubectl apply uses JSON merge patch
    assert "application/strategic-merge-patch+json" not in item["patch"]["requestBody"]["content"]
    assert item["delete"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "com.example.stable.v1.CronTab"
    )
    scale = paths["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}/scale"]
    assert scale["patch"]["x-kubernetes-group-version-kind"] == {
        "group": "autoscaling",
        "kind": "Scale",
        "version": "v1",
    }
    assert scale["get"]["operationId"] == "readStableExampleComV1NamespacedCronTabScale"


def test_permissive_schema() -> None:
    reg = Registry()
    reg.add(_crontabs(schema=None))
    doc = OpenAPI(reg).document("apis/stable.example.com/v1")
    assert doc is not None
    ct = doc["components"]["schemas"]["com.example.stable.v1.CronTab"]
    assert ct["type"] == "object"
    assert ct["x-kubernetes-preserve-unknown-fields"] is True
    assert set(ct["properties"]) == {"apiVersion", "kind", "metadata"}


# --- HTTP -------------------------------------------------------------------------------


def test_document_caching_headers() -> None:
    o = OpenAPI(_registry())
    rendered = o.render_document("api/v1")
    assert rendered is not None
    resp = o.handle(_req("/openapi/v3/api/v1", query=f"hash={rendered.hash}"), ["v3", "api", "v1"])
    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert resp.body is rendered.body
    headers = dict(resp.headers or [])
    assert headers["Etag"] == f'"{rendered.hash}"'
    assert headers["Cache-Control"] == "public, immutable"
    assert headers["Vary"] == "Accept"
    assert "GMT" in headers["Expires"]
    plain = dict(o.handle(_req("/openapi/v3/api/v1"), ["v3", "api", "v1"]).headers or [])
    assert "Cache-Control" not in plain
    stale = o.handle(_req("/openapi/v3/api/v1", query="hash=0123"), ["v3", "api", "v1"])
    assert stale.status == 301
    assert dict(stale.headers or [])["Location"] == f"/openapi/v3/api/v1?hash={rendered.hash}"
    cached = o.handle(_req("/openapi/v3/api/v1", if_none_match=f'"{rendered.hash}"'), ["v3", "api", "v1"])
    assert cached.status == 304


def test_negotiation_and_not_found() -> None:
    o = OpenAPI(_registry())
    assert o.handle(_req("/openapi/v3/api/v1", "*/*"), ["v3", "api", "v1"]).status == 200
    assert o.handle(_req("/openapi/v3/api/v1", None), ["v3", "api", "v1"]).status == 200
    only_pb = _req("/openapi/v3/api/v1", "application/com.github.proto-openapi.spec.v3.v1.0+protobuf")
    assert o.handle(only_pb, ["v3", "api", "v1"]).status == 406
    with pytest.raises(StatusError) as info:
        o.handle(_req("/openapi/v3/apis/nope/v1"), ["v3", "apis", "nope", "v1"])
    assert info.value.code == 404
    with pytest.raises(StatusError):
        o.handle(_req("/openapi/v4"), ["v4"])


# --- v2 ---------------------------------------------------------------------------------


def test_swagger_json() -> None:
    reg = _registry()
    reg.add(_crontabs())
    o = OpenAPI(reg)
    resp = o.handle(_req("/openapi/v2"), ["v2"])
    assert resp.status == 200
    assert resp.content_type == "application/json"
    doc = orjson.loads(resp.body)
    assert doc["swagger"] == "2.0"
    defs = doc["definitions"]
    cm = defs["io.k8s.api.core.v1.ConfigMap"]
    assert cm["properties"]["metadata"] == {
        "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "description": cm["properties"]["metadata"]["description"],
    }
    assert b"#/components/schemas/" not in resp.body
    spec = defs["com.example.stable.v1.CronTab"]["properties"]["spec"]["properties"]
    assert spec["replicas"] == {}  # nullable: untyped, as apiextensions publishes v2
    assert spec["extra"] == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    assert "anyOf" not in spec["choice"]
    op = doc["paths"]["/api/v1/namespaces/{namespace}/configmaps/{name}"]["patch"]
    assert "application/strategic-merge-patch+json" in op["consumes"]
    assert op["x-kubernetes-group-version-kind"] == {"group": "", "kind": "ConfigMap", "version": "v1"}
    assert [p["name"] for p in op["parameters"]][:2] == ["body", "dryRun"]


def _pb_fields(data: bytes) -> list[tuple[int, Any]]:
    """A minimal protobuf decoder: (field, value) pairs, length-delimited values as bytes."""
    out: list[tuple[int, Any]] = []
    i = 0
    while i < len(data):
        key, i = _pb_varint(data, i)
        field, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, i = _pb_varint(data, i)
        elif wire == 1:
            value = struct.unpack("<d", data[i : i + 8])[0]
            i += 8
        elif wire == 2:
            n, i = _pb_varint(data, i)
            value = data[i : i + n]
            i += n
        else:
            raise AssertionError(f"wire type {wire}")
        out.append((field, value))
    return out


def _pb_varint(data: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, i


def test_swagger_protobuf() -> None:
    """client-go asks for gnostic's protobuf: an openapi.v2.Document."""
    reg = _registry()
    reg.add(_crontabs())
    o = OpenAPI(reg)
    resp = o.handle(_req("/openapi/v2", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"), ["v2"])
    assert resp.status == 200
    # what kube answers: the media type Go's mime package can parse
    assert resp.content_type == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    top = dict(_pb_fields(resp.body))
    assert top[1] == b"2.0"
    definitions = [
        dict(_pb_fields(v)) for f, v in _pb_fields(top[9]) if f == 1
    ]  # Definitions.additional_properties
    by_name = {d[1].decode(): d[2] for d in definitions}  # NamedSchema: name, value
    assert "io.k8s.api.core.v1.ConfigMap" in by_name
    cm = _pb_fields(by_name["io.k8s.api.core.v1.ConfigMap"])
    fields = dict(cm)
    assert fields[4].startswith(b"ConfigMap holds")  # description
    assert dict(_pb_fields(fields[22]))[1] == b"object"  # type
    props = {dict(_pb_fields(v))[1].decode() for f, v in _pb_fields(fields[25]) if f == 1}
    assert {"apiVersion", "kind", "metadata", "data", "binaryData", "immutable"} == props
    extensions = {dict(_pb_fields(v))[1].decode(): dict(_pb_fields(v))[2] for f, v in cm if f == 31}
    gvk_yaml = dict(_pb_fields(extensions["x-kubernetes-group-version-kind"]))[2]
    assert orjson.loads(gvk_yaml) == [{"group": "", "kind": "ConfigMap", "version": "v1"}]
    paths = [dict(_pb_fields(v))[1].decode() for f, v in _pb_fields(top[8]) if f == 2]
    assert "/api/v1/namespaces/{namespace}/configmaps/{name}" in paths
    assert o.handle(
        _req("/openapi/v2", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"), ["v2"]
    ).body == (resp.body)
    assert o.handle(_req("/openapi/v2", "application/vnd.kubernetes.protobuf"), ["v2"]).status == 406


def test_protobuf_scalars() -> None:
    body = swagger_protobuf(
        {
            "swagger": "2.0",
            "info": {"title": "t", "version": "v"},
            "definitions": {
                "x": {
                    "type": "object",
                    "required": ["a"],
                    "properties": {},
                    "additionalProperties": False,
                    "minProperties": 300,
                    "maximum": 1.5,
                    "enum": ["a", 1],
                }
            },
        }
    )
    top = dict(_pb_fields(body))
    named = dict(_pb_fields(dict(_pb_fields(top[9]))[1]))
    schema = _pb_fields(named[2])
    fields = dict(schema)
    assert fields[19] == b"a"
    assert fields[18] == 300
    assert fields[7] == 1.5
    assert dict(_pb_fields(fields[21])) == {2: 0}  # additionalProperties: false
    assert fields[25] == b""  # empty properties still present: kubectl then parses a Kind
    assert [orjson.loads(dict(_pb_fields(v))[2]) for f, v in schema if f == 20] == ["a", 1]


def test_gv_path() -> None:
    assert openapi.gv_path("", "v1") == "api/v1"
    assert openapi.gv_path("apps", "v1") == "apis/apps/v1"
