"""The ConfigWatcher controller, tested against setpoint's embedded API server.

Run with ``pytest``: no cluster, no Docker -- the ``setpoint_api`` fixture starts a real
API server in-process on a free port.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from configwatcher import CONFIG_MAP, CONFIG_WATCHER, POD, setup

from setpoint.runtime import Client, Kind, Manager, errors
from setpoint.testing import ApiServer, eventually

HERE = Path(__file__).parent
EVENT = Kind("v1", "Event")


async def install(client: Client) -> None:
    """Create the CRD and wait until the server serves it."""
    await client.create(yaml.safe_load((HERE / "crd.yaml").read_text()))

    async def served() -> bool:
        client.forget_discovery()
        try:
            await client.resource(CONFIG_WATCHER)
        except errors.NotFound:
            return False
        return True

    await eventually(served)


def pod(name: str, app: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": app}},
            "spec": {"containers": [{"name": "web", "image": "k8spatterns/mini-http-server"}]}}


async def pod_names(client: Client) -> set[str]:
    return {p["metadata"]["name"] for p in (await client.list(POD, "default"))["items"]}


async def status(client: Client) -> dict[str, Any]:
    cw = await client.get(CONFIG_WATCHER, "webapp-config-watcher", "default")
    result: dict[str, Any] = cw.get("status") or {}
    return result


def status_with_hash(client: Client) -> Any:
    async def check() -> dict[str, Any] | None:
        st = await status(client)
        return st if st.get("configHash") else None
    return check


def status_with_restarts(client: Client, n: int) -> Any:
    async def check() -> dict[str, Any] | None:
        st = await status(client)
        return st if st.get("restarts") == n else None
    return check


async def pod_names_are(client: Client, expected: set[str]) -> bool:
    return await pod_names(client) == expected


async def test_pods_are_restarted_when_their_configmap_changes(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    await install(client)
    for doc in yaml.safe_load_all((HERE / "example.yaml").read_text()):
        if doc["kind"] in ("ConfigMap", "ConfigWatcher"):  # the test makes its own pods
            await client.create(doc, "default")
    for p in (pod("webapp-1", "webapp"), pod("webapp-2", "webapp"), pod("other", "db")):
        await client.create(p)

    mgr = Manager(client)
    setup(mgr)
    async with mgr.running():
        # first sight of the ConfigMap: its hash is recorded, nothing is restarted
        st = await eventually(status_with_hash(client))
        assert st.get("restarts") is None
        ready = next(c for c in st["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True"
        assert await pod_names(client) == {"webapp-1", "webapp-2", "other"}

        await client.patch(CONFIG_MAP, "webapp-config", {"data": {"message": "changed"}}, "default")
        await eventually(lambda: pod_names_are(client, {"other"}))
        await eventually(status_with_restarts(client, 1))
        events = (await client.list(EVENT, "default"))["items"]
        assert any(e["reason"] == "PodsRestarted" and "deleted 2 pod(s)" in e["message"] for e in events)

    # level-based: a change made while the controller is down is acted on when it comes back
    await client.create(pod("webapp-3", "webapp"))
    await client.patch(CONFIG_MAP, "webapp-config", {"data": {"message": "changed again"}}, "default")
    mgr = Manager(client)
    setup(mgr)
    async with mgr.running():
        await eventually(lambda: pod_names_are(client, {"other"}))
        await eventually(status_with_restarts(client, 2))


def test_the_schema_refuses_a_watcher_without_pods(setpoint_api: ApiServer) -> None:
    from kubernetes import client, config, watch

    api = config.new_client_from_config(config_file=str(setpoint_api.kubeconfig))
    crds = client.ApiextensionsV1Api(api)
    crds.create_custom_resource_definition(yaml.safe_load((HERE / "crd.yaml").read_text()))
    for event in watch.Watch().stream(crds.list_custom_resource_definition, timeout_seconds=10,
                                      field_selector="metadata.name=configwatchers.k8spatterns.io"):
        if any(c.type == "Established" and c.status == "True" for c in event["object"].status.conditions or ()):
            break
    else:
        raise AssertionError("the CRD was not established")

    objects = client.CustomObjectsApi(api)
    watcher = {"apiVersion": "k8spatterns.io/v1", "kind": "ConfigWatcher",
               "metadata": {"name": "no-pods"}, "spec": {"configMap": "webapp-config"}}
    try:
        objects.create_namespaced_custom_object("k8spatterns.io", "v1", "default", "configwatchers", watcher)
    except client.ApiException as e:
        assert e.status == 422
        assert "spec.podSelector: Required value" in e.body
    else:
        raise AssertionError("a ConfigWatcher without podSelector was accepted")

    watcher["spec"]["podSelector"] = {"app": "webapp"}
    objects.create_namespaced_custom_object("k8spatterns.io", "v1", "default", "configwatchers", watcher)
    got = objects.get_namespaced_custom_object("k8spatterns.io", "v1", "default", "configwatchers", "no-pods")
    assert got["spec"]["podSelector"] == {"app": "webapp"}
