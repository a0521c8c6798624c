"""The dynamic client against the embedded API server: discovery, verbs, patches, status, watch."""

from __future__ import annotations

import dataclasses
import time

import pytest
from runtime_helpers import CM, install_crd

from setpoint.runtime import Client, HTTPClient, Kind, PatchType, errors
from setpoint.testing import ApiServer


def configmap(name: str, **data: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": dict(data)}


async def test_crud_and_patch_types(setpoint_api: ApiServer) -> None:
    c = setpoint_api.client
    created = await c.create(configmap("one", a="1"))
    assert created["metadata"]["uid"]
    got = await c.get(CM, "one", "default")
    assert got["data"] == {"a": "1"}

    merged = await c.patch(CM, "one", {"data": {"b": "2"}})
    assert merged["data"] == {"a": "1", "b": "2"}
    jsonpatched = await c.patch(CM, "one", [{"op": "remove", "path": "/data/a"}], type=PatchType.JSON)
    assert jsonpatched["data"] == {"b": "2"}

    replaced = dict(jsonpatched, data={"c": "3"})
    updated = await c.update(replaced)
    assert updated["data"] == {"c": "3"}
    stale = dict(replaced, data={"d": "4"})
    with pytest.raises(errors.Conflict):
        await c.update(stale)  # resourceVersion is the one before the last update

    listing = await c.list(CM, "default")
    # (not the root-CA publisher's, in every namespace from a moment after start)
    assert [i["metadata"]["name"] for i in listing["items"] if i["metadata"]["name"] != "kube-root-ca.crt"] == [
        "one"]
    await c.delete(CM, "one", "default")
    with pytest.raises(errors.NotFound):
        await c.get(CM, "one", "default")
    with pytest.raises(errors.AlreadyExists):
        await c.create(configmap("dup"))
        await c.create(configmap("dup"))


async def test_server_side_apply(setpoint_api: ApiServer) -> None:
    c = setpoint_api.client
    applied = await c.apply(configmap("applied", x="1"), field_manager="tests")
    assert applied["data"] == {"x": "1"}
    again = await c.apply(configmap("applied", x="2"), field_manager="tests")
    assert again["data"] == {"x": "2"}


async def test_discovery_finds_crds_created_at_run_time_and_status_subresource(setpoint_api: ApiServer) -> None:
    c = setpoint_api.client
    widget = await install_crd(c)
    res = await c.resource(widget)
    assert res.plural == "widgets" and res.namespaced and "status" in res.subresources
    obj = await c.create({"apiVersion": widget.api_version, "kind": "Widget",
                          "metadata": {"name": "w", "namespace": "default"}, "spec": {"value": 1}})
    status = await c.patch(widget, "w", {"status": {"observed": 1}}, "default", subresource="status")
    assert status["status"] == {"observed": 1}
    # the main resource ignores status changes when a status subresource exists
    main = await c.patch(widget, "w", {"status": {"observed": 99}, "spec": {"value": 2}}, "default")
    assert main["status"] == {"observed": 1} and main["spec"] == {"value": 2}
    assert main["metadata"]["generation"] == obj["metadata"]["generation"] + 1
    everything = {(r.api_version, r.kind) for r in await c.discover()}
    assert {("v1", "ConfigMap"), ("coordination.k8s.io/v1", "Lease"), (widget.api_version, "Widget")} <= everything
    with pytest.raises(errors.NotFound):
        await c.resource(Kind("nope.example.com/v1", "Nothing"))


async def test_watch_streams_changes(setpoint_api: ApiServer) -> None:
    c = setpoint_api.client
    first = await c.create(configmap("w1"))
    stream = await c.watch(CM, "default", resource_version=first["metadata"]["resourceVersion"], timeout_seconds=5)
    await c.create(configmap("w2"))
    await c.delete(CM, "w1")
    seen = []
    async for event in stream:
        if event.type == "BOOKMARK" or event.object["metadata"]["name"] == "kube-root-ca.crt":
            continue  # (the root-CA publisher's, written a moment after start)
        seen.append((event.type, event.object["metadata"]["name"]))
        if len(seen) == 2:
            break
    stream.close()
    assert seen == [("ADDED", "w2"), ("DELETED", "w1")]


async def test_kubeconfig_file_loads_through_lightkube(setpoint_api: ApiServer) -> None:
    client = setpoint_api.new_client()
    try:
        assert client.config.host == setpoint_api.url
        assert client.namespace == "default"
        # Over TLS with the admin's client certificate from the kubeconfig, no token.
        assert client.config.ssl_context is not None
        assert await client.config.auth.authorization() is None
        assert (await client.list(CM))["kind"] == "ConfigMapList"
    finally:
        await client.close()


async def test_client_side_qps_limit_spaces_requests(setpoint_api: ApiServer) -> None:
    config = dataclasses.replace(setpoint_api.client.config)
    config.qps, config.burst = 50.0, 1
    async with HTTPClient(config) as client:
        await client.resource(CM)  # discovery: one request (the burst)
        started = time.monotonic()
        for _ in range(5):
            await client.list(CM, "default")
        # The bucket may refill one token between the discovery and the first list: 4 intervals at least.
        assert time.monotonic() - started >= 4 / 50 * 0.9
        assert client.requests_sent == 6


async def test_unreachable_server_raises_connection_failed() -> None:
    async with HTTPClient.from_url("http://127.0.0.1:9") as client:
        with pytest.raises(errors.ApiError) as info:
            await client.get(CM, "x")
        assert info.value.code == 0


async def test_the_http_client_is_a_client() -> None:
    client: Client = HTTPClient.from_url("http://127.0.0.1:9")  # mypy checks the protocol here
    with pytest.raises(errors.ConnectionFailed):
        await client.get(CM, "x")
    await client.close()
