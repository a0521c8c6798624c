"""Built-in objects decoded as kube decodes them into Go types: type mismatches in Go's words.

Expected messages are kube-apiserver's (``encoding/json`` through ``sigs.k8s.io/json``,
``resource.ParseQuantity``, ``intstr``, ``metav1.Time``, ``base64``).
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from setpoint.apiserver.builtin.decoding import type_error
from setpoint.apiserver.encoding import yamljson
from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer
from setpoint.testing import eventually

Obj = dict[str, Any]
QUANTITY = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


def pod(**spec: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i"}], **spec}}


def container(**fields: Any) -> Obj:
    return pod(containers=[{"name": "c", "image": "i", **fields}])


@pytest.mark.parametrize(("obj", "expected"), [
    (pod(containers="web"),
     "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container"),
    (pod(containers=["web"]),
     "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type v1.Container"),
    ({"spec": "x"}, "json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec"),
    ({"metadata": {"labels": {"a": 1}}},
     "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"),
    (container(ports=[{"containerPort": "80"}]),
     "json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort "
     "of type int32"),
    (container(ports=[{"containerPort": 80.5}]),
     "json: cannot unmarshal number 80.5 into Go struct field ContainerPort.spec.containers.ports.containerPort "
     "of type int32"),
    (container(ports=[{"containerPort": 1 << 31}]),
     "json: cannot unmarshal number 2147483648 into Go struct field "
     "ContainerPort.spec.containers.ports.containerPort of type int32"),
    (pod(activeDeadlineSeconds=True),
     "json: cannot unmarshal bool into Go struct field PodSpec.spec.activeDeadlineSeconds of type int64"),
    (pod(hostNetwork="yes"),
     "json: cannot unmarshal string into Go struct field PodSpec.spec.hostNetwork of type bool"),
    (pod(nodeSelector=["a"]),
     "json: cannot unmarshal array into Go struct field PodSpec.spec.nodeSelector of type map[string]string"),
    (pod(tolerations={"key": "a"}),
     "json: cannot unmarshal object into Go struct field PodSpec.spec.tolerations of type []v1.Toleration"),
    # Custom decoders stop at once: their error wins over an earlier mismatch, and has no field.
    ({"metadata": {"labels": {"a": 1}}, **container(resources={"limits": {"cpu": "1 core"}})}, QUANTITY),
    (container(resources={"limits": {"memory": "5ii"}}), "unable to parse quantity's suffix"),
    (container(resources={"limits": {"cpu": {}}}), QUANTITY),
    (container(livenessProbe={"httpGet": {"port": True}}), "json: cannot unmarshal bool into Go value of type int32"),
    (container(livenessProbe={"httpGet": {"port": 1.5}}),
     "json: cannot unmarshal number 1.5 into Go value of type int32"),
    ({"metadata": {"creationTimestamp": 5}}, "json: cannot unmarshal number into Go value of type string"),
    ({"metadata": {"creationTimestamp": "2024-05-01 10:00:00Z"}},
     'parsing time "2024-05-01 10:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 10:00:00Z" as "T"'),
])
def test_pod_type_errors(obj: Obj, expected: str) -> None:
    assert type_error(obj, "", "v1", "Pod") == expected


@pytest.mark.parametrize("obj", [
    pod(),
    container(ports=[{"containerPort": 80, "protocol": "TCP"}], resources={"limits": {"cpu": 0.5, "memory": "1Gi"}},
              livenessProbe={"httpGet": {"port": "http"}}),
    pod(containers=None, activeDeadlineSeconds=None),  # null fits everything
    {"metadata": {"creationTimestamp": "2024-05-01T10:00:00.5+02:00", "unknownField": [1]}},  # unknown: not ours
    {"metadata": {"managedFields": [{"manager": "m", "fieldsV1": {"f:data": {}}}]}},  # FieldsV1 takes any JSON
])
def test_what_fits(obj: Obj) -> None:
    assert type_error(obj, "", "v1", "Pod") is None


@pytest.mark.parametrize(("data", "expected"), [
    ("aGVsbG8=", None),
    ("aGVs\nbG8=", None),  # newlines are skipped
    ("hello world", "illegal base64 data at input byte 5"),
    ("aGVsbG8", "illegal base64 data at input byte 4"),  # padding missing
    ("aGVsbA=", "illegal base64 data at input byte 7"),  # "==" expected
    ("aGVsbG8=x", "illegal base64 data at input byte 8"),  # trailing garbage
    ("=", "illegal base64 data at input byte 0"),
])
def test_secret_data_is_base64(data: str, expected: str | None) -> None:
    assert type_error({"data": {"k": data}}, "", "v1", "Secret") == expected


def test_other_groups_and_unknown_kinds() -> None:
    assert type_error({"spec": {"renewTime": "soon"}}, "coordination.k8s.io", "v1", "Lease") == (
        'parsing time "soon" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "soon" as "2006"')
    crd = {"spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"type": 5}}}]}}
    assert type_error(crd, "apiextensions.k8s.io", "v1", "CustomResourceDefinition") == (
        "json: cannot unmarshal number into Go struct field "
        "JSONSchemaProps.spec.versions.schema.openAPIV3Schema.type of type string")
    assert type_error({"spec": 1}, "example.com", "v1", "Widget") is None  # custom: checked by its schema


# --- over the server -------------------------------------------------------------------------


async def call(api: APIServer, method: str, path: str, body: Any = None,
               content_type: str = "application/json") -> tuple[int, Obj]:
    raw = b"" if body is None else orjson.dumps(body)
    headers = {"content-type": content_type} if body is not None else {}
    response = await api.handle(Request(method, path, query_string=b"", headers=headers, body=raw))
    assert isinstance(response, Response)
    out: Obj = orjson.loads(response.body)
    return response.status, out


PODS = "/api/v1/namespaces/default/pods"


async def test_create_and_update_refuse_mistyped_json_and_store_nothing(api: APIServer) -> None:
    bad = pod(containers="web")
    status, out = await call(api, "POST", PODS, bad)
    assert status == 400
    assert out["reason"] == "BadRequest"
    assert out["message"] == (
        'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field '
        "PodSpec.spec.containers of type []v1.Container")
    assert (await call(api, "GET", PODS + "/p"))[0] == 404

    status, created = await call(api, "POST", PODS, pod())
    assert status == 201
    created["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "lots"}}
    status, out = await call(api, "PUT", PODS + "/p", created)
    assert (status, out["message"]) == (400, f'Pod in version "v1" cannot be handled as a Pod: {QUANTITY}')
    status, current = await call(api, "GET", PODS + "/p")
    assert "requests" not in current["spec"]["containers"][0].get("resources", {})
    assert current["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_a_patch_that_makes_mistyped_json_is_invalid(api: APIServer) -> None:
    assert (await call(api, "POST", PODS, pod()))[0] == 201
    status, out = await call(api, "PATCH", PODS + "/p", {"spec": {"activeDeadlineSeconds": "soon"}},
                             content_type="application/merge-patch+json")
    assert status == 422
    assert out["reason"] == "Invalid"
    detail = ("json: cannot unmarshal string into Go struct field PodSpec.spec.activeDeadlineSeconds "
              "of type int64")
    assert out["message"].startswith(' "" is invalid: patch: Invalid value: "{')
    assert out["message"].endswith(f'": {detail}')
    [cause] = out["details"]["causes"]
    assert cause["field"] == "patch" and cause["reason"] == "FieldValueInvalid"
    status, current = await call(api, "GET", PODS + "/p")
    assert "activeDeadlineSeconds" not in current["spec"]


WIDGETS = "/apis/ex.com/v1/namespaces/default/widgets"
WIDGET_CRD: Obj = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.ex.com"},
    "spec": {"group": "ex.com", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                 "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}


@pytest.mark.parametrize(("metadata", "detail"), [
    (True, "json: cannot unmarshal bool into Go value of type v1.ObjectMeta"),
    ("w", "json: cannot unmarshal string into Go value of type v1.ObjectMeta"),
    ({"name": "w", "labels": 5},
     "json: cannot unmarshal number into Go struct field ObjectMeta.labels of type map[string]string"),
    ({"name": "w", "generation": "1"},
     "json: cannot unmarshal string into Go struct field ObjectMeta.generation of type int64"),
])
async def test_a_custom_resource_s_metadata_is_decoded_into_object_meta(api: APIServer, metadata: Any,
                                                                       detail: str) -> None:
    """The CRD handler unmarshals ``metadata`` alone into ObjectMeta: a mismatch is 400 (was a 500
    for a non-object), on create and update; a patch that makes one is the patcher's 422."""
    assert (await call(api, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", WIDGET_CRD))[0] == 201

    async def served() -> bool:
        return (await call(api, "GET", WIDGETS))[0] == 200

    assert await eventually(served)
    widget = {"apiVersion": "ex.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"a": 1}}
    message = f'Widget in version "v1" cannot be handled as a Widget: {detail}'
    status, out = await call(api, "POST", WIDGETS, {**widget, "metadata": metadata})
    assert (status, out["reason"], out["message"]) == (400, "BadRequest", message)
    assert (await call(api, "GET", WIDGETS + "/w"))[0] == 404

    status, created = await call(api, "POST", WIDGETS, widget)
    assert status == 201
    status, out = await call(api, "PUT", WIDGETS + "/w", {**created, "metadata": metadata})
    assert (status, out["message"]) == (400, message)
    status, out = await call(api, "PATCH", WIDGETS + "/w", {"metadata": metadata},
                             content_type="application/merge-patch+json")
    assert status == 422 and out["message"].endswith(f'": {detail}')
    assert out["details"]["causes"][0]["field"] == "patch"
    status, current = await call(api, "GET", WIDGETS + "/w")
    assert current["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_a_patch_that_makes_metadata_a_non_object_or_drops_it(api: APIServer) -> None:
    """kube's jsonPatcher decodes the patched object first (422 ``patch``); without metadata the
    name no longer matches the URL (400)."""
    cms = "/api/v1/namespaces/default/configmaps"
    status, created = await call(api, "POST", cms, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    assert status == 201
    status, out = await call(api, "PATCH", cms + "/c", {"metadata": True}, content_type="application/merge-patch+json")
    assert status == 422 and out["reason"] == "Invalid"
    assert out["message"].endswith(
        '": json: cannot unmarshal bool into Go struct field ConfigMap.metadata of type v1.ObjectMeta')
    status, out = await call(api, "PATCH", cms + "/c", [{"op": "remove", "path": "/metadata"}],
                             content_type="application/json-patch+json")
    assert (status, out["message"]) == (400, "the name of the object () does not match the name on the URL (c)")
    status, current = await call(api, "GET", cms + "/c")
    assert current["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


@pytest.mark.parametrize(("body", "field", "value"), [
    (b'{"apiVersion":"v1","kind":["ConfigMap"],"metadata":{"name":"a"},'
     b'"binaryData":{"k":1234567890123456789012345678901}}', "kind", "array"),
    (b'{"apiVersion":1,"kind":"ConfigMap","metadata":{"name":"a"}}', "apiVersion", "number"),
])
async def test_a_mistyped_kind_or_api_version_is_undecodable(api: APIServer, body: bytes, field: str,
                                                             value: str) -> None:
    """runtime.SimpleMetaFactory reads apiVersion/kind into strings; kube answers 400."""
    response = await api.handle(Request("POST", "/api/v1/namespaces/default/configmaps", query_string=b"",
                                        headers={"content-type": "application/json"}, body=body))
    assert isinstance(response, Response)
    status, out = response.status, orjson.loads(response.body)
    assert status == 400 and out["reason"] == "BadRequest"
    head = body[:30].decode()
    assert out["message"] == (
        "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; "
        f"json parse error: json: cannot unmarshal {value} into Go struct field .{field} of type string ({head} ...)")
    status, _ = await call(api, "GET", "/api/v1/namespaces/default/configmaps/a")
    assert status == 404


async def test_yaml_bodies_are_converted_to_json_as_kube_converts_them(api: APIServer) -> None:
    """sigs.k8s.io/yaml: timestamps stay strings, non-string keys become strings, the last of
    duplicate keys wins."""
    body = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: yml, labels: {1: b}}\ndata: {d: 2020-01-01, a: x, a: z}\n"
    response = await api.handle(Request("POST", "/api/v1/namespaces/default/configmaps", query_string=b"",
                                        headers={"content-type": "application/yaml"}, body=body))
    assert isinstance(response, Response)
    out = orjson.loads(response.body)
    assert response.status == 201, out
    assert out["data"] == {"d": "2020-01-01", "a": "z"}
    assert out["metadata"]["labels"] == {"1": "b"}


def test_yaml_integers_beyond_64_bits_are_floats() -> None:
    assert yamljson.load(b"a: 1234567890123456789012345678901\nb: 18446744073709551615\n") == {
        "a": 1.2345678901234568e30, "b": (1 << 64) - 1}
    assert yamljson.load(b"{1.5: x, true: z}") == {"1.5": "x", "true": "z"}


def test_yaml_plain_scalars_resolve_as_go_yaml_v2_resolves_them() -> None:
    """``=`` is a string (PyYAML alone reads YAML 1.1's ``!!value`` tag and fails); ``y``/``n``
    are booleans, also as map keys, as in go-yaml v2's resolve table."""
    body = b"a:\n- =\n- y\n- N\n- Yes\n- off\n- 'y'\n- yy\nb: {y: 1, n: 2, =: 3}\n"
    assert yamljson.load(body) == {"a": ["=", True, False, True, False, "y", "yy"],
                                   "b": {"true": 1, "false": 2, "=": 3}}


async def test_yaml_apply_body_with_an_equals_item_is_read_as_the_string(api: APIServer) -> None:
    """prometheus-operator's relabelings enum has ``- =``: an apply body with it must decode."""
    body = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: eq}\ndata:\n  op: =\n"
    response = await api.handle(Request("PATCH", "/api/v1/namespaces/default/configmaps/eq",
                                        query_string=b"fieldManager=m",
                                        headers={"content-type": "application/apply-patch+yaml"}, body=body))
    assert isinstance(response, Response)
    out = orjson.loads(response.body)
    assert response.status == 201, out
    assert out["data"] == {"op": "="}
