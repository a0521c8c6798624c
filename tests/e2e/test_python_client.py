"""The official ``kubernetes`` Python client, unchanged, against ``setpoint up``."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from e2e_helpers import Server, eventually, tls_context

pytestmark = pytest.mark.e2e

client = pytest.importorskip("kubernetes.client")
watch_mod = pytest.importorskip("kubernetes.watch")
ApiException = client.exceptions.ApiException


def make_cm(name: str, data: dict[str, str] | None = None, labels: dict[str, str] | None = None) -> Any:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data=data)


def test_load_kube_config_and_version(server: Server) -> None:
    from kubernetes import config

    config.load_kube_config(config_file=str(server.kubeconfig), context="setpoint")
    info = client.VersionApi().get_code()
    assert info.major == "1"
    assert info.git_version.startswith("v1.")
    assert info.platform
    contexts, active = config.list_kube_config_contexts(config_file=str(server.kubeconfig))
    assert active["name"] == "setpoint"
    assert [c["name"] for c in contexts] == ["setpoint"]


def test_configmap_crud(k8s: Any, ns: str) -> None:
    core = client.CoreV1Api(k8s)
    created = core.create_namespaced_config_map(ns, make_cm("crud", {"a": "1"}, {"app": "crud"}))
    assert created.metadata.name == "crud"
    assert created.metadata.namespace == ns
    assert created.data == {"a": "1"}
    assert created.metadata.uid
    rv1 = int(created.metadata.resource_version)

    got = core.read_namespaced_config_map("crud", ns)
    assert got.data == {"a": "1"}
    assert got.metadata.resource_version == created.metadata.resource_version

    got.data["b"] = "2"
    replaced = core.replace_namespaced_config_map("crud", ns, got)
    assert replaced.data == {"a": "1", "b": "2"}
    assert int(replaced.metadata.resource_version) > rv1

    patched = core.patch_namespaced_config_map("crud", ns, {"data": {"c": "3"}, "metadata": {"labels": {"x": "y"}}})
    assert patched.data == {"a": "1", "b": "2", "c": "3"}
    assert patched.metadata.labels == {"app": "crud", "x": "y"}

    listed = core.list_namespaced_config_map(ns, label_selector="app=crud")
    assert [i.metadata.name for i in listed.items] == ["crud"]
    assert int(listed.metadata.resource_version) >= int(patched.metadata.resource_version)

    status = core.delete_namespaced_config_map("crud", ns)
    # (The client leaves a delete's answer undecoded: a dict.)
    assert status["kind"] == "Status"
    assert status["status"] == "Success"
    assert status["details"]["name"] == "crud"
    assert status["details"]["kind"] == "configmaps"
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_config_map("crud", ns)
    assert exc.value.status == 404
    body = json.loads(exc.value.body)
    assert body["reason"] == "NotFound"
    assert body["message"] == 'configmaps "crud" not found'
    # What is left: the root-CA publisher's, in every namespace.
    assert [i.metadata.name for i in core.list_namespaced_config_map(ns).items] == ["kube-root-ca.crt"]


def test_delete_answers_what_kube_answers(k8s: Any, ns: str) -> None:
    """Pods and ServiceAccounts: the deleted object (their stores set ReturnDeletedObject),
    which the client decodes; ConfigMaps: a Status."""
    core = client.CoreV1Api(k8s)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    uid = core.create_namespaced_pod(ns, pod).metadata.uid
    deleted = core.delete_namespaced_pod("p", ns)
    assert isinstance(deleted, client.V1Pod)
    assert (deleted.metadata.name, deleted.metadata.uid) == ("p", uid)
    sa = core.create_namespaced_service_account(ns, {"metadata": {"name": "s"}})
    assert core.delete_namespaced_service_account("s", ns).metadata.uid == sa.metadata.uid
    core.create_namespaced_config_map(ns, make_cm("c"))
    assert core.delete_namespaced_config_map("c", ns)["kind"] == "Status"


def test_list_then_watch_from_resource_version(k8s: Any, ns: str) -> None:
    core = client.CoreV1Api(k8s)
    core.create_namespaced_config_map(ns, make_cm("a"))
    listed = core.list_namespaced_config_map(ns)
    assert [i.metadata.name for i in listed.items] == ["a", "kube-root-ca.crt"]
    rv = listed.metadata.resource_version
    core.create_namespaced_config_map(ns, make_cm("b"))
    core.create_namespaced_config_map(ns, make_cm("c"))
    w = watch_mod.Watch()
    seen: list[tuple[str, str, str]] = []
    for event in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=10):
        seen.append((event["type"], event["object"].metadata.name, event["object"].metadata.resource_version))
        if len(seen) == 2:
            w.stop()
    assert [(t, n) for t, n, _ in seen] == [("ADDED", "b"), ("ADDED", "c")]
    assert int(rv) < int(seen[0][2]) < int(seen[1][2])


def test_watch_sees_modify_and_delete(k8s: Any, ns: str) -> None:
    core = client.CoreV1Api(k8s)
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, make_cm("m", {"v": "1"}))
    core.patch_namespaced_config_map("m", ns, {"data": {"v": "2"}})
    assert core.delete_namespaced_config_map("m", ns)["status"] == "Success"
    w = watch_mod.Watch()
    seen = []
    for event in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=10):
        seen.append((event["type"], (event["object"].data or {}).get("v")))
        if len(seen) == 3:
            w.stop()
    assert seen == [("ADDED", "1"), ("MODIFIED", "2"), ("DELETED", "2")]


def test_stale_update_is_conflict(k8s: Any, ns: str) -> None:
    core = client.CoreV1Api(k8s)
    core.create_namespaced_config_map(ns, make_cm("stale", {"v": "1"}))
    first = core.read_namespaced_config_map("stale", ns)
    second = core.read_namespaced_config_map("stale", ns)
    first.data = {"v": "2"}
    core.replace_namespaced_config_map("stale", ns, first)
    second.data = {"v": "3"}
    with pytest.raises(ApiException) as exc:
        core.replace_namespaced_config_map("stale", ns, second)
    assert exc.value.status == 409
    assert exc.value.reason == "Conflict"
    body = json.loads(exc.value.body)
    assert body["reason"] == "Conflict"
    assert body["message"] == ('Operation cannot be fulfilled on configmaps "stale": the object has been modified; '
                               "please apply your changes to the latest version and try again")
    assert body["details"] == {"name": "stale", "kind": "configmaps"}
    assert core.read_namespaced_config_map("stale", ns).data == {"v": "2"}


# --- custom resources --------------------------------------------------------------------------

GROUP = "pyclient.e2e.example.com"


@pytest.fixture(scope="module")
def crd(server: Server, k8s: Any) -> Iterator[str]:
    """A namespaced CRD ``things.pyclient.e2e.example.com`` (plural returned)."""
    ext = client.ApiextensionsV1Api(k8s)
    body = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"things.{GROUP}"},
        "spec": {"group": GROUP, "scope": "Namespaced",
                 "names": {"plural": "things", "singular": "thing", "kind": "Thing"},
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "subresources": {"status": {}},
                               "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                   "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
                                   "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}}}}}]},
    }
    ext.create_custom_resource_definition(body)

    def established() -> bool:
        got = ext.read_custom_resource_definition(f"things.{GROUP}")
        return any(c.type == "Established" and c.status == "True" for c in got.status.conditions or [])

    eventually(established)
    eventually(lambda: server.request("GET", f"/apis/{GROUP}/v1").status == 200)
    try:
        yield "things"
    finally:
        ext.delete_custom_resource_definition(f"things.{GROUP}")
        eventually(lambda: server.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                                                 f"things.{GROUP}").status == 404)


def thing(name: str, size: int) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/v1", "kind": "Thing", "metadata": {"name": name}, "spec": {"size": size}}


def test_custom_objects_api(k8s: Any, crd: str, ns: str) -> None:
    co = client.CustomObjectsApi(k8s)
    created = co.create_namespaced_custom_object(GROUP, "v1", ns, crd, thing("t1", 1))
    assert created["metadata"]["name"] == "t1"
    assert created["metadata"]["namespace"] == ns
    assert created["metadata"]["generation"] == 1
    assert created["spec"] == {"size": 1}
    got = co.get_namespaced_custom_object(GROUP, "v1", ns, crd, "t1")
    assert got == created
    patched = co.patch_namespaced_custom_object(GROUP, "v1", ns, crd, "t1", {"spec": {"size": 2}})
    assert patched["spec"] == {"size": 2}
    assert patched["metadata"]["generation"] == 2
    status = co.patch_namespaced_custom_object_status(GROUP, "v1", ns, crd, "t1", {"status": {"ready": True}})
    assert status["status"] == {"ready": True}
    assert status["metadata"]["generation"] == 2
    co.create_namespaced_custom_object(GROUP, "v1", ns, crd, thing("t2", 5))
    listed = co.list_namespaced_custom_object(GROUP, "v1", ns, crd)
    assert listed["kind"] == "ThingList"
    assert [(i["metadata"]["name"], i["spec"]["size"]) for i in listed["items"]] == [("t1", 2), ("t2", 5)]
    everywhere = co.list_cluster_custom_object(GROUP, "v1", crd, field_selector=f"metadata.namespace={ns}")
    assert len(everywhere["items"]) == 2
    # PUT of a custom resource needs its resourceVersion.
    stale = dict(got)
    with pytest.raises(ApiException) as exc:
        co.replace_namespaced_custom_object(GROUP, "v1", ns, crd, "t1", stale)
    assert exc.value.status == 409
    deleted = co.delete_namespaced_custom_object(GROUP, "v1", ns, crd, "t1")
    # Custom resources answer a delete with the object.
    assert deleted["metadata"]["name"] == "t1"
    assert deleted["kind"] == "Thing"
    with pytest.raises(ApiException) as exc:
        co.get_namespaced_custom_object(GROUP, "v1", ns, crd, "t1")
    assert exc.value.status == 404
    assert json.loads(exc.value.body)["message"] == f'things.{GROUP} "t1" not found'


def test_custom_resource_unknown_fields(server: Server, k8s: Any, crd: str, ns: str) -> None:
    """Unknown fields of a custom resource are pruned; fieldValidation=Strict rejects them, sorted."""
    co = client.CustomObjectsApi(k8s)
    body = {**thing("pruned", 1), "extra": True, "spec": {"size": 1, "bogus": "x"}}
    created = co.create_namespaced_custom_object(GROUP, "v1", ns, crd, body)
    assert "extra" not in created
    assert created["spec"] == {"size": 1}
    assert co.get_namespaced_custom_object(GROUP, "v1", ns, crd, "pruned")["spec"] == {"size": 1}
    path = f"/apis/{GROUP}/v1/namespaces/{ns}/{crd}"
    r = server.request("POST", f"{path}?fieldValidation=Strict", {**body, "metadata": {"name": "strict"}})
    assert r.status == 400
    assert r.json()["message"] == 'strict decoding error: unknown field "extra", unknown field "spec.bogus"'
    assert server.request("GET", f"{path}/strict").status == 404
    r = server.request("POST", f"{path}?fieldValidation=Warn", {**body, "metadata": {"name": "warned"}})
    assert r.status == 201
    assert r.headers["warning"].startswith('299 - "unknown field ')


def test_custom_resource_schema_validation(server: Server, crd: str, ns: str) -> None:
    r = server.request("POST", f"/apis/{GROUP}/v1/namespaces/{ns}/{crd}",
                       {**thing("typed", 1), "spec": {"size": "three"}})
    assert r.status == 422
    body = r.json()
    assert body["message"] == (f'Thing.{GROUP} "typed" is invalid: spec.size: Invalid value: "string": '
                               'spec.size in body must be of type integer: "string"')
    assert [c["field"] for c in body["details"]["causes"]] == ["spec.size"]


def test_watch_from_compacted_resource_version_is_410(k8s: Any, crd: str, ns: str) -> None:
    """The watch cache of a CRD's resource starts at the CRD's creation: older revisions are gone."""
    co = client.CustomObjectsApi(k8s)
    co.create_namespaced_custom_object(GROUP, "v1", ns, crd, thing("old", 1))
    w = watch_mod.Watch()
    with pytest.raises(ApiException) as exc:
        for _ in w.stream(co.list_namespaced_custom_object, GROUP, "v1", ns, crd, resource_version="1",
                          timeout_seconds=5):
            pytest.fail("no event may come before the 410")
    assert exc.value.status == 410
    assert exc.value.reason.startswith("Expired: too old resource version: 1 (")


def test_watch_list_initial_events_then_bookmark(server: Server, ns: str, k8s: Any) -> None:
    core = client.CoreV1Api(k8s)
    for name in ("i1", "i2", "i3"):
        core.create_namespaced_config_map(ns, make_cm(name))
    query = urllib.parse.urlencode({"watch": "true", "sendInitialEvents": "true",
                                    "resourceVersionMatch": "NotOlderThan", "allowWatchBookmarks": "true",
                                    "timeoutSeconds": "10"})
    url = f"{server.url}/api/v1/namespaces/{ns}/configmaps?{query}"
    events: list[dict[str, Any]] = []
    with urllib.request.urlopen(url, timeout=10, context=tls_context(server.kubeconfig)) as resp:
        assert resp.status == 200
        for line in resp:
            events.append(json.loads(line))
            if events[-1]["type"] == "BOOKMARK":
                break
    assert [(e["type"], e["object"]["metadata"].get("name")) for e in events] == [
        ("ADDED", "i1"), ("ADDED", "i2"), ("ADDED", "i3"), ("ADDED", "kube-root-ca.crt"), ("BOOKMARK", None)]
    bookmark = events[-1]["object"]
    assert bookmark["kind"] == "ConfigMap"
    assert bookmark["apiVersion"] == "v1"
    assert bookmark["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert int(bookmark["metadata"]["resourceVersion"]) >= max(
        int(e["object"]["metadata"]["resourceVersion"]) for e in events[:-1])


def test_watch_list_through_call_api(k8s: Any, ns: str) -> None:
    """The same watch-list through the client's own ``call_api`` (as a reflector would)."""
    core = client.CoreV1Api(k8s)
    core.create_namespaced_config_map(ns, make_cm("only"))
    query = urllib.parse.urlencode({"watch": "true", "sendInitialEvents": "true",
                                    "resourceVersionMatch": "NotOlderThan", "allowWatchBookmarks": "true",
                                    "timeoutSeconds": "10"})
    headers = {"Accept": "application/json"}
    k8s.update_params_for_auth(headers, [], ["BearerToken"], f"/api/v1/namespaces/{ns}/configmaps", "GET", None)
    resp = k8s.call_api("GET", f"{k8s.configuration.host}/api/v1/namespaces/{ns}/configmaps?{query}",
                        header_params=headers, _request_timeout=10)
    response = resp.response
    events = []
    buffer = b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(e["type"] == "BOOKMARK" for e in events):
        chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
        if not chunk:
            break
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        events.extend(json.loads(line) for line in lines if line.strip())
    response.release_conn()
    assert [e["type"] for e in events] == ["ADDED", "ADDED", "BOOKMARK"]
    assert [e["object"]["metadata"]["name"] for e in events[:2]] == ["kube-root-ca.crt", "only"]
    assert events[2]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_watch_list_then_live_events(server: Server, ns: str, k8s: Any) -> None:
    """After the initial-events bookmark, the same watch delivers live changes."""
    core = client.CoreV1Api(k8s)
    core.create_namespaced_config_map(ns, make_cm("before"))
    stream = server.watch(f"/api/v1/namespaces/{ns}/configmaps?watch=1&sendInitialEvents=true"
                          "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=15")
    try:
        assert stream.status == 200
        first = stream.next_event()
        assert (first["type"], first["object"]["metadata"]["name"]) == ("ADDED", "before")
        second = stream.next_event()
        assert (second["type"], second["object"]["metadata"]["name"]) == ("ADDED", "kube-root-ca.crt")
        bookmark = stream.next_event()
        assert bookmark["type"] == "BOOKMARK"
        done = threading.Event()

        def create_after() -> None:
            core.create_namespaced_config_map(ns, make_cm("after"))
            done.set()

        threading.Thread(target=create_after).start()
        event = stream.next_event()
        while event["type"] == "BOOKMARK":
            event = stream.next_event()
        assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "after")
        assert done.wait(10)
    finally:
        stream.close()
