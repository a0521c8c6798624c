"""Pod subresources beyond /status: binding (and bindings), log, exec, attach, portforward."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

Obj = dict[str, Any]
PODS = "/api/v1/namespaces/default/pods"


async def call(api: APIServer, method: str, path: str, body: Obj | None = None, *,
               query: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, Any, Response]:
    request = Request(method, path, query_string=query,
                      headers={"content-type": "application/json", **(headers or {})},
                      body=orjson.dumps(body) if body is not None else b"")
    response = await api.handle(request)
    assert isinstance(response, Response)
    out = orjson.loads(response.body) if response.content_type == "application/json" else response.body
    return response.status, out, response


def pod(name: str = "web", containers: tuple[str, ...] = ("nginx",), init: tuple[str, ...] = ()) -> Obj:
    spec: Obj = {"containers": [{"name": c, "image": "nginx"} for c in containers]}
    if init:
        spec["initContainers"] = [{"name": c, "image": "busybox"} for c in init]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def binding(name: str, node: str = "node-1", **meta: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name, **meta},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node}}


async def test_binding_sets_node_and_scheduled_condition(api: APIServer) -> None:
    assert (await call(api, "POST", PODS, pod()))[0] == 201
    status, out, _ = await call(api, "POST", f"{PODS}/web/binding", binding("web", annotations={"a": "b"}))
    assert status == 201, out
    assert out == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
    _, got, _ = await call(api, "GET", f"{PODS}/web")
    assert got["spec"]["nodeName"] == "node-1"
    assert got["metadata"]["annotations"] == {"a": "b"}
    [cond] = got["status"]["conditions"]
    assert cond["type"] == "PodScheduled" and cond["status"] == "True" and cond["lastProbeTime"] is None

    status, out, _ = await call(api, "POST", f"{PODS}/web/binding", binding("web", "node-2"))
    assert status == 409
    assert out["reason"] == "Conflict"
    assert out["message"] == ('Operation cannot be fulfilled on pods/binding "web": '
                              'pod web is already assigned to node "node-1"')
    assert out["details"] == {"name": "web", "kind": "pods/binding"}
    _, got, _ = await call(api, "GET", f"{PODS}/web")
    assert got["spec"]["nodeName"] == "node-1"


async def test_bindings_resource_and_errors(api: APIServer) -> None:
    assert (await call(api, "POST", PODS, pod("a")))[0] == 201
    status, out, _ = await call(api, "POST", "/api/v1/namespaces/default/bindings", binding("a", "n2"))
    assert status == 201, out
    _, got, _ = await call(api, "GET", f"{PODS}/a")
    assert got["spec"]["nodeName"] == "n2"
    # Name mismatch, missing target, missing pod, a uid precondition.
    status, out, _ = await call(api, "POST", f"{PODS}/a/binding", binding("b"))
    assert (status, out["message"]) == (400, "name in URL does not match name in Binding object")
    body = binding("a")
    body["target"] = {}
    status, out, _ = await call(api, "POST", f"{PODS}/a/binding", body)
    assert (status, out["reason"], out["message"]) == (500, "", "target.name: Required value")
    status, out, _ = await call(api, "POST", "/api/v1/namespaces/default/bindings", binding("nope"))
    assert status == 404 and out["message"] == 'pods "nope" not found'
    assert (await call(api, "POST", PODS, pod("c")))[0] == 201
    status, out, _ = await call(api, "POST", f"{PODS}/c/binding", binding("c", uid="other"))
    assert status == 409 and "Precondition failed: UID in precondition: other" in out["message"]
    _, got, _ = await call(api, "GET", f"{PODS}/c")
    assert "nodeName" not in got["spec"]
    # bindings serve create only.
    assert (await call(api, "GET", "/api/v1/namespaces/default/bindings"))[0] == 405


async def test_binding_dry_run_changes_nothing(api: APIServer) -> None:
    assert (await call(api, "POST", PODS, pod("d")))[0] == 201
    status, _, _ = await call(api, "POST", f"{PODS}/d/binding", binding("d"), query=b"dryRun=All")
    assert status == 201
    _, got, _ = await call(api, "GET", f"{PODS}/d")
    assert "nodeName" not in got["spec"] and "conditions" not in got["status"]


async def test_log_as_kube_for_pods_without_running_containers(api: APIServer) -> None:
    assert (await call(api, "POST", PODS, pod("two", ("a", "b"), init=("i",))))[0] == 201
    status, out, _ = await call(api, "GET", f"{PODS}/two/log")
    assert (status, out["reason"]) == (400, "BadRequest")
    assert out["message"] == "a container name must be specified for pod two, choose one of: [i a b]"
    status, out, _ = await call(api, "GET", f"{PODS}/two/log", query=b"container=zz")
    assert (status, out["message"]) == (400, "container zz is not valid for pod two")
    # Not scheduled: an empty log, as kube's nil location.
    status, body, response = await call(api, "GET", f"{PODS}/two/log", query=b"container=a")
    assert (status, body, response.content_type) == (200, b"", "text/plain")
    # On a node: the kubelet's answer for a container that is not running.
    assert (await call(api, "POST", f"{PODS}/two/binding", binding("two")))[0] == 201
    status, out, _ = await call(api, "GET", f"{PODS}/two/log", query=b"container=a")
    assert (status, out["message"]) == (400, 'container "a" in pod "two" is not available')
    _, current, _ = await call(api, "GET", f"{PODS}/two")
    current["status"]["containerStatuses"] = [
        {"name": "a", "ready": False, "restartCount": 0, "image": "nginx", "imageID": "",
         "state": {"waiting": {"reason": "ContainerCreating"}}}]
    assert (await call(api, "PUT", f"{PODS}/two/status", current))[0] == 200
    status, out, _ = await call(api, "GET", f"{PODS}/two/log", query=b"container=a")
    assert out["message"] == 'container "a" in pod "two" is waiting to start: ContainerCreating'


async def test_exec_attach_portforward_answer_400(api: APIServer) -> None:
    assert (await call(api, "POST", PODS, pod("p")))[0] == 201
    for sub in ("exec", "attach", "portforward"):
        for method in ("GET", "POST"):
            status, out, _ = await call(api, method, f"{PODS}/p/{sub}", query=b"command=ls&stdout=true")
            assert (status, out["reason"], out["message"]) == (400, "BadRequest", "pod p does not have a host assigned")
    assert (await call(api, "POST", f"{PODS}/p/binding", binding("p", "sim-1")))[0] == 201
    status, out, _ = await call(api, "POST", f"{PODS}/p/exec", query=b"command=ls&stdout=true")
    assert status == 400
    assert out["message"] == ('cannot execute commands in container "nginx" of pod "p": '
                              'node "sim-1" is simulated and runs no containers')
    status, out, _ = await call(api, "GET", f"{PODS}/p/portforward", query=b"ports=80")
    assert out["message"] == 'cannot forward ports to pod "p": node "sim-1" is simulated and runs no containers'
    status, out, _ = await call(api, "GET", f"{PODS}/p/exec", query=b"container=x")
    assert (status, out["message"]) == (400, "container x is not valid for pod p")
    # Verbs the subresources do not serve.
    assert (await call(api, "PUT", f"{PODS}/p/exec", {}))[0] == 405
    assert (await call(api, "GET", f"{PODS}/p/binding"))[0] == 405


async def test_websocket_upgrade_gets_the_status(api: APIServer) -> None:
    """kubectl exec asks for a websocket upgrade: the 400 Status must reach it as a plain response."""
    assert (await call(api, "POST", PODS, pod("u")))[0] == 201
    reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
    writer.write(b"GET /api/v1/namespaces/default/pods/u/exec?command=ls&stdout=true HTTP/1.1\r\n"
                 b"Host: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n")
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert orjson.loads(body)["message"] == "pod u does not have a host assigned"


async def test_discovery_lists_pod_subresources(api: APIServer) -> None:
    _, out, _ = await call(api, "GET", "/api/v1")
    entries = {r["name"]: r for r in out["resources"]}
    assert entries["pods/exec"]["kind"] == "PodExecOptions" and entries["pods/exec"]["verbs"] == ["create", "get"]
    assert entries["pods/portforward"]["kind"] == "PodPortForwardOptions"
    assert entries["pods/attach"]["kind"] == "PodAttachOptions"
    assert entries["pods/log"]["verbs"] == ["get"] and entries["pods/log"]["kind"] == "Pod"
    assert entries["pods/binding"] == {"name": "pods/binding", "singularName": "", "namespaced": True,
                                       "kind": "Binding", "verbs": ["create"]}
    assert entries["bindings"]["verbs"] == ["create"] and entries["bindings"]["namespaced"] is True


async def test_ephemeral_containers_are_added_not_changed(api: APIServer) -> None:
    assert (await call(api, "POST", PODS, pod("e")))[0] == 201
    _, current, _ = await call(api, "GET", f"{PODS}/e/ephemeralcontainers")
    assert current["kind"] == "Pod"
    current["spec"]["ephemeralContainers"] = [{"name": "debug", "image": "busybox", "targetContainerName": "nginx"}]
    current["spec"]["containers"][0]["image"] = "ignored"  # only ephemeral containers move here
    status, out, _ = await call(api, "PUT", f"{PODS}/e/ephemeralcontainers", current)
    assert status == 200, out
    [debug] = out["spec"]["ephemeralContainers"]
    assert debug["imagePullPolicy"] == "Always" and debug["terminationMessagePolicy"] == "File"
    assert out["spec"]["containers"][0]["image"] == "nginx"
    # Changed, removed, or with forbidden fields: refused on the fields kube names.
    patch = {"spec": {"ephemeralContainers": [{"name": "debug", "image": "other"}]}}
    request_body = orjson.dumps(patch)
    response = await api.handle(Request("PATCH", f"{PODS}/e/ephemeralcontainers",
                                        headers={"content-type": "application/merge-patch+json"}, body=request_body))
    assert isinstance(response, Response)
    out = orjson.loads(response.body)
    assert response.status == 422
    assert out["details"]["causes"][0]["field"] == "spec.ephemeralContainers"
    assert out["details"]["causes"][0]["message"].startswith(
        'Forbidden: existing ephemeral containers "debug" may not be changed')
    _, current, _ = await call(api, "GET", f"{PODS}/e")
    current["spec"]["ephemeralContainers"].append(
        {"name": "nginx", "image": "busybox", "ports": [{"containerPort": 80}], "targetContainerName": "zz"})
    status, out, _ = await call(api, "PUT", f"{PODS}/e/ephemeralcontainers", current)
    assert status == 422
    assert [(c["field"], c["reason"]) for c in out["details"]["causes"]] == [
        ("spec.ephemeralContainers[1].name", "FieldValueDuplicate"),
        ("spec.ephemeralContainers[1].ports", "FieldValueForbidden"),
        ("spec.ephemeralContainers[1].targetContainerName", "FieldValueNotFound")]


async def test_eviction_deletes_the_pod(api: APIServer) -> None:
    assert (await call(api, "POST", PODS, pod("ev")))[0] == 201
    body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "ev"}}
    status, out, _ = await call(api, "POST", f"{PODS}/ev/eviction", {**body, "metadata": {"name": "other"}})
    assert (status, out["message"]) == (400, "name in URL does not match name in Eviction object")
    status, out, _ = await call(api, "POST", f"{PODS}/ev/eviction", body, query=b"dryRun=All")
    assert status == 201
    assert (await call(api, "GET", f"{PODS}/ev"))[0] == 200
    status, out, _ = await call(api, "POST", f"{PODS}/ev/eviction", body)
    assert (status, out) == (201, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                   "code": 201})
    assert (await call(api, "GET", f"{PODS}/ev"))[0] == 404
    status, out, _ = await call(api, "POST", f"{PODS}/ev/eviction", body)
    assert (status, out["message"]) == (404, 'pods "ev" not found')
    _, resources, _ = await call(api, "GET", "/api/v1")
    [entry] = [r for r in resources["resources"] if r["name"] == "pods/eviction"]
    assert (entry["group"], entry["version"], entry["kind"], entry["verbs"]) == ("policy", "v1", "Eviction", ["create"])


async def test_resize_changes_only_cpu_and_memory_within_the_qos_class(api: APIServer) -> None:
    body = pod("rz")
    body["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "100m", "memory": "64Mi"},
                                                  "limits": {"cpu": "200m", "memory": "128Mi"}}
    assert (await call(api, "POST", PODS, body))[0] == 201

    async def resize(patch: Obj) -> tuple[int, Obj]:
        response = await api.handle(Request("PATCH", f"{PODS}/rz/resize",
                                            headers={"content-type": "application/strategic-merge-patch+json"},
                                            body=orjson.dumps(patch)))
        assert isinstance(response, Response)
        return response.status, orjson.loads(response.body)

    status, out = await resize({"spec": {"containers": [{"name": "nginx", "image": "ignored", "resources": {
        "requests": {"cpu": "150m"}, "limits": {"cpu": "300m"}}}]}})
    assert status == 200, out
    assert out["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "300m"
    assert out["spec"]["containers"][0]["image"] == "nginx"
    # Burstable -> Guaranteed is refused, as kube refuses it.
    status, out = await resize({"spec": {"containers": [{"name": "nginx", "resources": {
        "requests": {"cpu": "300m", "memory": "128Mi"}}}]}})
    assert status == 422
    assert out["message"] == ('Pod "rz" is invalid: spec: Invalid value: "Burstable": '
                              "Pod QOS Class may not change as a result of resizing")
    status, out = await resize({"spec": {"containers": [{"name": "nginx", "resources": {"limits": {"memory": None}}}]}})
    assert status == 422
    assert out["details"]["causes"][0] == {"reason": "FieldValueForbidden", "field": "spec.containers[0].resources.limits",
                                           "message": "Forbidden: resource limits cannot be removed"}


async def test_log_options_are_validated_first(api: APIServer) -> None:
    status, out, _ = await call(api, "GET", f"{PODS}/nope/log", query=b"tailLines=-1&limitBytes=0")
    assert status == 422
    assert out["message"] == ('PodLogOptions "nope" is invalid: [tailLines: Invalid value: -1: must be greater '
                              "than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0]")
    status, out, _ = await call(api, "GET", f"{PODS}/nope/log", query=b"tailLines=abc")
    assert (status, out["message"]) == (400, 'strconv.ParseInt: parsing "abc": invalid syntax')
    status, out, _ = await call(api, "GET", f"{PODS}/nope/log", query=b"tailLines=5")
    assert status == 404
