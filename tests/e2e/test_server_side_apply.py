"""Server-side apply end to end: the real kubectl and the official client against ``setpoint up``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_helpers import Kubectl, Server

pytestmark = pytest.mark.e2e


def cm(name: str, ns: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}


def write(tmp_path: Path, name: str, obj: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(obj))
    return str(path)


def get(server: Server, path: str) -> Any:
    return server.get_json(path)


def managers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["manager"]: e for e in obj["metadata"].get("managedFields") or []}


def test_kubectl_server_side_apply_conflicts_force_and_removal(kubectl: Kubectl, server: Server, ns: str,
                                                               tmp_path: Path) -> None:
    path = f"/api/v1/namespaces/{ns}/configmaps/shared"
    f = write(tmp_path, "a.json", cm("shared", ns, {"a": "1", "b": "2"}))
    assert kubectl.out("apply", "--server-side", "-f", f) == "configmap/shared serverside-applied\n"
    obj = get(server, path)
    assert managers(obj)["kubectl"]["fieldsV1"] == {"f:data": {"f:a": {}, "f:b": {}}}
    rv = obj["metadata"]["resourceVersion"]
    assert kubectl.out("apply", "--server-side", "-f", f) == "configmap/shared serverside-applied\n"
    assert get(server, path)["metadata"]["resourceVersion"] == rv

    other = write(tmp_path, "b.json", cm("shared", ns, {"a": "9"}))
    r = kubectl("apply", "--server-side", "--field-manager=ops", "-f", other, check=False)
    assert r.returncode == 1
    assert 'conflict with "kubectl": .data.a' in r.stderr
    kubectl("apply", "--server-side", "--field-manager=ops", "--force-conflicts", "-f", other)
    obj = get(server, path)
    assert obj["data"] == {"a": "9", "b": "2"}
    assert managers(obj)["kubectl"]["fieldsV1"] == {"f:data": {"f:b": {}}}

    # kubectl drops b from its manifest: b goes; a is ops'.
    f = write(tmp_path, "a.json", cm("shared", ns, {}))
    kubectl("apply", "--server-side", "-f", f)
    assert get(server, path)["data"] == {"a": "9"}


def test_kubectl_diff_server_side(kubectl: Kubectl, ns: str, tmp_path: Path) -> None:
    f = write(tmp_path, "d.json", cm("diffed", ns, {"a": "1"}))
    kubectl("apply", "--server-side", "-f", f)
    assert kubectl("diff", "--server-side", "-f", f).returncode == 0
    f = write(tmp_path, "d.json", cm("diffed", ns, {"a": "2"}))
    r = kubectl("diff", "--server-side", "-f", f, check=False)
    assert r.returncode == 1 and "+  a: \"2\"" in r.stdout


def test_client_side_to_server_side_migration(kubectl: Kubectl, server: Server, ns: str, tmp_path: Path) -> None:
    path = f"/api/v1/namespaces/{ns}/configmaps/migrated"
    f = write(tmp_path, "m.json", cm("migrated", ns, {"keep": "1", "drop": "2"}))
    kubectl("apply", "-f", f)
    assert "kubectl-client-side-apply" in managers(get(server, path))
    f = write(tmp_path, "m.json", cm("migrated", ns, {"keep": "1"}))
    kubectl("apply", "--server-side", "-f", f)
    obj = get(server, path)
    assert obj["data"] == {"keep": "1"}
    assert "kubectl-client-side-apply" not in managers(obj)
    last = json.loads(obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["data"] == {"keep": "1"}


def test_pod_reapplied_server_side_is_unchanged(kubectl: Kubectl, server: Server, ns: str, tmp_path: Path) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": ns},
           "spec": {"containers": [{"name": "app", "image": "nginx:1"}]}}
    f = write(tmp_path, "p.json", pod)
    kubectl("apply", "--server-side", "-f", f)
    rv = get(server, f"/api/v1/namespaces/{ns}/pods/web")["metadata"]["resourceVersion"]
    kubectl("apply", "--server-side", "-f", f)
    assert get(server, f"/api/v1/namespaces/{ns}/pods/web")["metadata"]["resourceVersion"] == rv
    # A sidecar applied by another manager: list-map items owned by each.
    side = {**pod, "spec": {"containers": [{"name": "side", "image": "busybox"}]}}
    kubectl("apply", "--server-side", "--field-manager=injector", "-f", write(tmp_path, "s.json", side), check=False)
    obj = get(server, f"/api/v1/namespaces/{ns}/pods/web")
    owned = managers(obj)["kubectl"]["fieldsV1"]["f:spec"]["f:containers"]
    assert list(owned) == ['k:{"name":"app"}']


def test_official_client_apply_with_field_manager(k8s: Any, ns: str) -> None:
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    core = client.CoreV1Api(k8s)
    body = yaml.safe_dump(cm("py", ns, {"x": "1"}))
    out = core.patch_namespaced_config_map("py", ns, yaml.safe_load(body), field_manager="py-a",
                                           _content_type="application/apply-patch+yaml")
    assert out.data == {"x": "1"}
    assert [(m.manager, m.operation) for m in out.metadata.managed_fields] == [("py-a", "Apply")]
    with pytest.raises(ApiException) as exc:
        core.patch_namespaced_config_map("py", ns, cm("py", ns, {"x": "2"}), field_manager="py-b",
                                         _content_type="application/apply-patch+yaml")
    assert exc.value.status == 409
    status = json.loads(exc.value.body)
    assert status["message"] == 'Apply failed with 1 conflict: conflict with "py-a": .data.x'
    assert status["details"]["causes"][0]["reason"] == "FieldManagerConflict"
    out = core.patch_namespaced_config_map("py", ns, cm("py", ns, {"x": "2"}), field_manager="py-b", force=True,
                                           _content_type="application/apply-patch+yaml")
    assert out.data == {"x": "2"}


SCALED_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "scaleds.ssa.example.com"},
    "spec": {"group": "ssa.example.com", "scope": "Namespaced",
             "names": {"plural": "scaleds", "singular": "scaled", "kind": "Scaled", "listKind": "ScaledList"},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                                    "statusReplicasPath": ".status.replicas"}},
                           "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                               "spec": {"type": "object", "properties": {
                                   "replicas": {"type": "integer"}, "image": {"type": "string"},
                                   "ports": {"type": "array", "x-kubernetes-list-type": "map",
                                             "x-kubernetes-list-map-keys": ["name"],
                                             "items": {"type": "object", "required": ["name"], "properties": {
                                                 "name": {"type": "string"}, "port": {"type": "integer"}}}}}},
                               "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}}}}}}]},
}


def test_user_and_controller_share_replicas_of_a_custom_resource(kubectl: Kubectl, server: Server, ns: str,
                                                                tmp_path: Path) -> None:
    kubectl("apply", "--server-side", "-f", write(tmp_path, "crd.json", SCALED_CRD))
    kubectl("wait", "--for", "condition=Established", "crd/scaleds.ssa.example.com", "--timeout=30s")
    path = f"/apis/ssa.example.com/v1/namespaces/{ns}/scaleds/app"
    obj = {"apiVersion": "ssa.example.com/v1", "kind": "Scaled", "metadata": {"name": "app", "namespace": ns},
           "spec": {"replicas": 1, "image": "v1", "ports": [{"name": "http", "port": 80}]}}
    f = write(tmp_path, "app.json", obj)
    kubectl("apply", "--server-side", "-f", f)
    # An autoscaler (an Update manager) changes replicas: it takes the field over.
    kubectl("patch", "scaled", "app", "-n", ns, "--type=merge", "-p", '{"spec":{"replicas":3}}',
            "--field-manager=autoscaler")
    r = kubectl("apply", "--server-side", "-f", f, check=False)
    assert r.returncode == 1 and 'conflict with "autoscaler" using ssa.example.com/v1: .spec.replicas' in r.stderr
    # The documented hand-over: the user drops replicas from the manifest; the value stays.
    del obj["spec"]["replicas"]
    kubectl("apply", "--server-side", "-f", write(tmp_path, "app.json", obj))
    got = get(server, path)
    assert got["spec"]["replicas"] == 3
    assert "f:replicas" not in managers(got)["kubectl"]["fieldsV1"]["f:spec"]
    # List-map items of different managers: another applier adds a port; kubectl's stays.
    other = {**obj, "spec": {"ports": [{"name": "metrics", "port": 9090}]}}
    kubectl("apply", "--server-side", "--field-manager=sidecar", "-f", write(tmp_path, "o.json", other))
    assert [p["name"] for p in get(server, path)["spec"]["ports"]] == ["http", "metrics"]
    kubectl("apply", "--server-side", "--field-manager=sidecar", "-f",
            write(tmp_path, "o.json", {**obj, "spec": {}}))
    assert [p["name"] for p in get(server, path)["spec"]["ports"]] == ["http"]
    # kubectl scale writes through /scale: recorded with that subresource, in the resource's paths.
    kubectl("scale", "scaled", "app", "-n", ns, "--replicas=5")
    scaled = [e for e in get(server, path)["metadata"]["managedFields"] if e.get("subresource") == "scale"]
    assert [(e["manager"], e["fieldsV1"]) for e in scaled] == [("kubectl", {"f:spec": {"f:replicas": {}}})]
    kubectl("delete", "crd", "scaleds.ssa.example.com")
