"""Mistyped and corrupted request bodies never make the server fail (5xx).

Valid bodies of the built-in kinds and of a custom resource with a rich schema have one value, anywhere in them, swapped for a value of
another JSON type (big integers, floats, nulls, lists, objects) or their bytes corrupted; each is
sent as a create, an update and a JSON, merge and strategic merge patch. Every answer is a success
or a well-formed ``Status`` with a 4xx code, and a refused request leaves the object as it was.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import orjson
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer
from setpoint.testing import eventually

Obj = dict[str, Any]

NS = "/api/v1/namespaces/default"
VALID: dict[str, tuple[str, Obj]] = {
    "configmap": (NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "f", "labels": {"a": "b"}, "annotations": {"c": "d"}},
        "data": {"k": "v"}, "binaryData": {"b": "aGk="}}),
    "secret": (NS + "/secrets", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "f"},
                                 "type": "Opaque", "data": {"k": "aGk="}, "stringData": {"s": "x"}}),
    "pod": (NS + "/pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "f"}, "spec": {
        "containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80}],
                        "env": [{"name": "E", "value": "1"}],
                        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}],
        "tolerations": [{"key": "k", "operator": "Exists"}], "nodeSelector": {"a": "b"},
        "terminationGracePeriodSeconds": 5}}),
    "serviceaccount": (NS + "/serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount",
                                                 "metadata": {"name": "f"}, "automountServiceAccountToken": True}),
    "lease": ("/apis/coordination.k8s.io/v1/namespaces/default/leases", {
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "f"},
        "spec": {"holderIdentity": "h", "leaseDurationSeconds": 15,
                 "renewTime": "2024-01-01T00:00:00.000000Z"}}),
    "event": (NS + "/events", {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "f"},
                               "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
                               "reason": "R", "message": "m", "type": "Normal", "count": 1}),
    "namespace": ("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": "fuzz", "labels": {"a": "b"}}}),
}

VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**31), max_value=10**31),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in ``obj``."""
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += paths(v, (*prefix, i))
    return out


def swapped(obj: Obj, path: tuple[Any, ...], value: Any) -> Obj:
    out = copy.deepcopy(obj)
    cur: Any = out
    for p in path[:-1]:
        cur = cur[p]
    cur[path[-1]] = value
    return out


def dumps(obj: Any) -> bytes:
    """JSON with integers of any size (orjson stops at 64 bits)."""
    return json.dumps(obj, separators=(",", ":")).encode()


async def send(api: APIServer, method: str, path: str, body: bytes, ctype: str) -> tuple[int, Any]:
    query = b"fieldManager=fuzz&force=true" if ctype == APPLY else b""
    response = await api.handle(Request(method, path, query_string=query, headers={"content-type": ctype}, body=body))
    assert isinstance(response, Response)
    return response.status, orjson.loads(response.body) if response.body else None


def check_answer(status: int, out: Any, ctype: str = "") -> None:
    if ctype in ("application/strategic-merge-patch+json", APPLY) and status == 500 and not out.get("reason"):
        # kube answers so too: strategicpatch's plain errors (e.g. "list element types are not
        # identical") fall through interpretStrategicMergePatchError to ErrorToAPIStatus, which
        # makes any non-Status error a 500 with reason Unknown (""); so does server-side apply's
        # "failed to create typed patch object" for a body that does not fit the schema.
        assert out["kind"] == "Status" and out["code"] == 500 and out["message"], out
        return
    assert status < 500, out
    if status >= 400:
        assert out["kind"] == "Status" and out["apiVersion"] == "v1" and out["status"] == "Failure", out
        assert out["code"] == status and isinstance(out["message"], str) and out["reason"], out


async def stored(api: APIServer, path: str) -> Any:
    status, out = await send(api, "GET", path, b"", "application/json")
    if status == 404:
        return None
    out["metadata"].pop("managedFields", None)
    return out


MUTATIONS = st.tuples(st.sampled_from(sorted(VALID)), st.integers(min_value=0), VALUES,
                      st.sampled_from(["swap", "corrupt"]), st.integers(min_value=0), st.binary(min_size=1, max_size=3))
APPLY = "application/apply-patch+yaml"
PATCH_TYPES = ["application/merge-patch+json", "application/strategic-merge-patch+json", APPLY]


@settings(max_examples=4000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=MUTATIONS)
async def test_mistyped_bodies_are_refused_cleanly(api: APIServer, mutation: tuple[Any, ...]) -> None:
    kind, index, value, how, at, garbage = mutation
    collection, valid = VALID[kind]
    name = valid["metadata"]["name"]
    item = f"{collection}/{name}"
    if await stored(api, item) is None:
        status, out = await send(api, "POST", collection, orjson.dumps(valid), "application/json")
        assert status == 201, out
    ps = paths(valid)
    path = ps[index % len(ps)]
    bad = swapped(valid, path, value)
    body = dumps(bad)
    yaml_body = yaml.safe_dump(bad).encode()
    if how == "corrupt":
        i = at % len(body)
        body = body[:i] + garbage + body[i + len(garbage):]
        j = at % len(yaml_body)
        yaml_body = yaml_body[:j] + garbage + yaml_body[j + len(garbage):]
    before = await stored(api, item)
    # create (a second object of the kind: the name is taken, or the body is refused), as JSON and YAML
    for create_body, create_type in [(body, "application/json"), (yaml_body, "application/yaml")]:
        status, out = await send(api, "POST", collection, create_body, create_type)
        check_answer(status, out)
        if status == 201:
            await send(api, "DELETE", f"{collection}/{out['metadata']['name']}", b"", "application/json")
    # update, patches
    await refused_writes_change_nothing(api, item, before, [
        ("PUT", "application/json", body), ("PUT", "application/yaml", yaml_body),
        *[("PATCH", t, body) for t in PATCH_TYPES], json_patch(path, value)])


def json_patch(path: tuple[Any, ...], value: Any) -> tuple[str, str, bytes]:
    return ("PATCH", "application/json-patch+json",
            dumps([{"op": "replace", "path": "/" + "/".join(map(str, path)), "value": value}]))


async def refused_writes_change_nothing(api: APIServer, item: str, before: Any,
                                        writes: list[tuple[str, str, bytes]]) -> None:
    """Each write is answered cleanly, and one refused leaves the stored object as it was."""
    for method, ctype, payload in writes:
        status, out = await send(api, method, item, payload, ctype)
        check_answer(status, out, ctype)
        if status >= 400:
            assert await stored(api, item) == before, (method, ctype)
        else:
            before = await stored(api, item)


CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
       "metadata": {"name": "fuzzes.fuzz.example.com"},
       "spec": {"group": "fuzz.example.com", "scope": "Namespaced",
                "names": {"plural": "fuzzes", "singular": "fuzz", "kind": "Fuzz"},
                "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                              "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                  "spec": {"type": "object", "required": ["size"], "properties": {
                                      "size": {"type": "integer", "minimum": 0, "maximum": 10},
                                      "ratio": {"type": "number"},
                                      "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 8},
                                      "mode": {"type": "string", "enum": ["a", "b"]},
                                      "port": {"x-kubernetes-int-or-string": True},
                                      "when": {"type": "string", "format": "date-time"},
                                      "tags": {"type": "array", "x-kubernetes-list-type": "set",
                                               "items": {"type": "string"}},
                                      "ports": {"type": "array", "x-kubernetes-list-type": "map",
                                                "x-kubernetes-list-map-keys": ["port"],
                                                "items": {"type": "object", "required": ["port"], "properties": {
                                                    "port": {"type": "integer"},
                                                    "protocol": {"type": "string", "default": "TCP"}}}},
                                      "limits": {"type": "object", "additionalProperties": {"type": "string"}},
                                      "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                                      "template": {"type": "object", "x-kubernetes-embedded-resource": True,
                                                   "x-kubernetes-preserve-unknown-fields": True}},
                                      "x-kubernetes-validations": [{"rule": "self.size <= 10"}]},
                                  "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}}}}}]}}
FUZZ = ("/apis/fuzz.example.com/v1/namespaces/default/fuzzes", {
    "apiVersion": "fuzz.example.com/v1", "kind": "Fuzz", "metadata": {"name": "f", "labels": {"a": "b"}},
    "spec": {"size": 3, "ratio": 0.5, "name": "abc", "mode": "a", "port": 80, "when": "2024-01-01T00:00:00Z",
             "tags": ["x", "y"], "ports": [{"port": 80, "protocol": "TCP"}], "limits": {"cpu": "1"},
             "extra": {"k": [1, {"v": None}]}, "template": {"apiVersion": "v1", "kind": "ConfigMap",
                                                             "metadata": {"name": "t"}}}})
CR_PATCH_TYPES = ["application/merge-patch+json", "application/strategic-merge-patch+json", APPLY]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=MUTATIONS)
@example(mutation=("configmap", 2, True, "swap", 0, b"\x00"))  # "metadata": true (was a 500 in field management)
async def test_mistyped_custom_resources_are_refused_cleanly(api: APIServer, mutation: tuple[Any, ...]) -> None:
    _, index, value, how, at, garbage = mutation
    collection, valid = FUZZ
    item = collection + "/f"
    if await stored(api, item) is None:
        await send(api, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", orjson.dumps(CRD),
                   "application/json")

        async def created() -> bool:
            status, _ = await send(api, "POST", collection, orjson.dumps(valid), "application/json")
            return status in (201, 409)

        assert await eventually(created)
    ps = paths(valid)
    path = ps[index % len(ps)]
    body = dumps(swapped(valid, path, value))
    if how == "corrupt":
        i = at % len(body)
        body = body[:i] + garbage + body[i + len(garbage):]
    before = await stored(api, item)
    status, out = await send(api, "POST", collection, body, "application/json")
    check_answer(status, out)
    # Custom resources have no strategic merge patch: kube answers 415.
    await refused_writes_change_nothing(api, item, before, [
        ("PUT", "application/json", body), *[("PATCH", t, body) for t in CR_PATCH_TYPES], json_patch(path, value)])
