"""CRD conversion webhooks: a two-version CRD converted by an HTTPS webhook started by the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from webhook_helpers import WebhookServer

from setpoint.apiserver.http import Request, Response, StreamingResponse
from setpoint.apiserver.server import APIServer
from setpoint.testing import eventually

Obj = dict[str, Any]
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
V1 = "/apis/example.com/v1/namespaces/default/endpointconfigs"
V2 = "/apis/example.com/v2/namespaces/default/endpointconfigs"


def convert(obj: Obj, desired: str) -> Obj:
    """v1 has spec.host and spec.port, v2 spec.address "host:port"."""
    spec = dict(obj.get("spec") or {})
    if desired.endswith("/v2") and "host" in spec:
        spec = {"address": f"{spec.pop('host')}:{spec.pop('port')}", **spec}
    elif desired.endswith("/v1") and "address" in spec:
        host, port = spec.pop("address").rsplit(":", 1)
        spec = {"host": host, "port": int(port), **spec}
    return {**obj, "apiVersion": desired, "spec": spec}


def converter(path: str, review: Obj) -> Obj:
    request = review["request"]
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
            "response": {"uid": request["uid"], "result": {"status": "Success"},
                         "convertedObjects": [convert(o, request["desiredAPIVersion"]) for o in request["objects"]]}}


def crd(server: WebhookServer) -> Obj:
    def version(name: str, storage: bool, props: Obj) -> Obj:
        return {"name": name, "served": True, "storage": storage, "schema": {"openAPIV3Schema": {
            "type": "object", "properties": {"spec": {"type": "object", "properties": props}}}}}

    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "endpointconfigs.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                     "names": {"plural": "endpointconfigs", "singular": "endpointconfig", "kind": "EndpointConfig"},
                     "versions": [version("v1", True, {"host": {"type": "string"}, "port": {"type": "integer"}}),
                                  version("v2", False, {"address": {"type": "string"}})],
                     "conversion": {"strategy": "Webhook", "webhook": {
                         "conversionReviewVersions": ["v1"],
                         "clientConfig": {"url": server.url("/convert"), "caBundle": server.ca_bundle}}}}}


async def call(api: APIServer, method: str, path: str, body: Obj | None = None) -> tuple[int, Obj]:
    request = Request(method, path.split("?")[0], query_string=path.partition("?")[2].encode(),
                      headers={"content-type": "application/json", "accept": "application/json"},
                      body=orjson.dumps(body) if body is not None else b"")
    response = await api.handle(request)
    assert isinstance(response, Response)
    return response.status, orjson.loads(response.body)


def ec(version: str, name: str, spec: Obj) -> Obj:
    return {"apiVersion": f"example.com/{version}", "kind": "EndpointConfig", "metadata": {"name": name},
            "spec": spec}


@pytest.fixture
async def served(api: APIServer) -> AsyncIterator[WebhookServer]:
    server = await WebhookServer(converter).start()
    status, out = await call(api, "POST", CRDS, crd(server))
    assert status == 201, out

    async def ready() -> bool:
        return (await call(api, "GET", V2))[0] == 200

    await eventually(ready)
    try:
        yield server
    finally:
        await server.stop()


async def test_read_and_write_through_the_webhook(api: APIServer, served: WebhookServer) -> None:
    status, out = await call(api, "POST", V1, ec("v1", "a", {"host": "db", "port": 5432}))
    assert status == 201, out
    status, out = await call(api, "GET", f"{V2}/a")
    assert status == 200, out
    assert (out["apiVersion"], out["spec"]) == ("example.com/v2", {"address": "db:5432"})
    assert served.reviews[-1][0] == "/convert?timeout=30s"
    # Created at v2: stored at v1.
    status, out = await call(api, "POST", V2, ec("v2", "b", {"address": "cache:6379"}))
    assert status == 201, out
    assert out["spec"] == {"address": "cache:6379"}
    status, out = await call(api, "GET", f"{V1}/b")
    assert out["spec"] == {"host": "cache", "port": 6379}
    # A list at v2 is one review, of the objects not converted yet ("a" was, at its revision).
    for name in ("c", "d"):
        assert (await call(api, "POST", V1, ec("v1", name, {"host": name, "port": 1})))[0] == 201
    served.reviews.clear()
    status, out = await call(api, "GET", V2)
    assert status == 200, out
    assert [i["spec"] for i in out["items"]] == [{"address": "db:5432"}, {"address": "cache:6379"},
                                                 {"address": "c:1"}, {"address": "d:1"}]
    assert [[o["metadata"]["name"] for o in r["request"]["objects"]] for _, r in served.reviews] == [["b", "c", "d"]]
    # An update at v2 goes through the webhook both ways.
    status, current = await call(api, "GET", f"{V2}/a")
    current["spec"]["address"] = "db:5433"
    status, out = await call(api, "PUT", f"{V2}/a", current)
    assert status == 200, out
    status, out = await call(api, "GET", f"{V1}/a")
    assert out["spec"] == {"host": "db", "port": 5433}
    status, out = await call(api, "DELETE", f"{V2}/b")
    assert status == 200, out
    assert out["spec"] == {"address": "cache:6379"}


async def test_watch_at_the_other_version(api: APIServer, served: WebhookServer) -> None:
    status, out = await call(api, "POST", V1, ec("v1", "w", {"host": "h", "port": 1}))
    assert status == 201, out
    request = Request("GET", V2, query_string=b"watch=true&timeoutSeconds=1",
                      headers={"accept": "application/json"})
    response = await api.handle(request)
    assert isinstance(response, StreamingResponse)
    events: list[Obj] = []
    async for chunk in response.chunks:
        events.extend(orjson.loads(line) for line in chunk.splitlines() if line)
        if events:
            break
    await response.chunks.aclose()  # type: ignore[attr-defined]
    assert events[0]["type"] == "ADDED"
    assert events[0]["object"]["spec"] == {"address": "h:1"}


async def test_webhook_failures(api: APIServer, served: WebhookServer) -> None:
    status, out = await call(api, "POST", V1, ec("v1", "f", {"host": "h", "port": 1}))
    assert status == 201, out

    def broken(path: str, review: Obj) -> Obj:
        return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
                "response": {"uid": review["request"]["uid"], "result": {"status": "Failure", "message": "nope"}}}

    served.handler = broken
    status, out = await call(api, "GET", f"{V2}/f")
    assert (status, out["reason"], out["message"]) == (
        500, "", "conversion webhook for example.com/v1, Kind=EndpointConfig failed: nope")
    status, out = await call(api, "POST", V2, ec("v2", "g", {"address": "x:1"}))
    assert (status, out["message"]) == (500, "conversion webhook for example.com/v2, Kind=EndpointConfig failed: nope")
    assert (await call(api, "GET", f"{V1}/g"))[0] == 404  # nothing stored
    url = served.url("/convert")
    await served.stop()
    status, out = await call(api, "GET", V2)
    port = url.split(":")[2].split("/")[0]
    assert (status, out["message"]) == (
        500, f'conversion webhook for example.com/v1, Kind=EndpointConfig failed: Post "{url}?timeout=30s": '
             f"dial tcp 127.0.0.1:{port}: connect: connection refused")
    # The storage version needs no webhook.
    assert (await call(api, "GET", f"{V1}/f"))[0] == 200
