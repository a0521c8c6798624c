"""ServiceAccount admission: the default account and the projected API token mount on pod create."""

from __future__ import annotations

from typing import Any

import orjson

from setpoint.apiserver.admission.serviceaccount import MOUNT_PATH, token_volume_source
from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

Obj = dict[str, Any]
PODS = "/api/v1/namespaces/default/pods"


async def call(api: APIServer, method: str, path: str, body: Obj | None = None) -> tuple[int, Obj]:
    request = Request(method, path, headers={"content-type": "application/json"},
                      body=orjson.dumps(body) if body is not None else b"")
    response = await api.handle(request)
    assert isinstance(response, Response)
    return response.status, orjson.loads(response.body)


def pod(name: str, **spec: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "nginx"}], **spec}}


async def test_default_account_and_token_volume(api: APIServer) -> None:
    status, created = await call(api, "POST", PODS, pod("a", initContainers=[{"name": "init", "image": "busybox"}]))
    assert status == 201, created
    spec = created["spec"]
    assert spec["serviceAccountName"] == "default"
    [volume] = spec["volumes"]
    assert volume["name"].startswith("kube-api-access-") and len(volume["name"]) == len("kube-api-access-") + 5
    assert volume["projected"] == token_volume_source()
    mount = {"name": volume["name"], "readOnly": True, "mountPath": MOUNT_PATH}
    assert spec["containers"][0]["volumeMounts"] == [mount]
    assert spec["initContainers"][0]["volumeMounts"] == [mount]
    # An update leaves it all as it was.
    created["metadata"]["labels"] = {"x": "y"}
    status, updated = await call(api, "PUT", f"{PODS}/a", created)
    assert status == 200 and updated["spec"]["volumes"] == spec["volumes"]


async def test_automount_off_an_existing_mount_and_the_accounts_settings(api: APIServer) -> None:
    status, created = await call(api, "POST", PODS, pod("off", automountServiceAccountToken=False))
    assert status == 201 and "volumes" not in created["spec"]
    assert created["spec"]["serviceAccountName"] == "default"
    own = pod("own", volumes=[{"name": "mine", "emptyDir": {}}])
    own["spec"]["containers"][0]["volumeMounts"] = [{"name": "mine", "mountPath": MOUNT_PATH}]
    status, created = await call(api, "POST", PODS, own)
    assert status == 201 and [v["name"] for v in created["spec"]["volumes"]] == ["mine"]
    # The account's automount and image pull secrets.
    status, _ = await call(api, "POST", "/api/v1/namespaces/default/serviceaccounts", {
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"},
        "automountServiceAccountToken": False, "imagePullSecrets": [{"name": "registry"}]})
    assert status == 201
    # (the plugin reads the watch cache, as kube's reads an informer: a consistent read catches it up)
    status, _ = await call(api, "GET", "/api/v1/namespaces/default/serviceaccounts/robot")
    assert status == 200
    status, created = await call(api, "POST", PODS, pod("robot", serviceAccountName="robot"))
    assert status == 201, created
    assert "volumes" not in created["spec"] and created["spec"]["imagePullSecrets"] == [{"name": "registry"}]
    # A mirror pod is left alone.
    mirror = pod("mirror")
    mirror["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "x"}
    status, created = await call(api, "POST", PODS, mirror)
    assert status == 201 and "serviceAccountName" not in created["spec"]
