"""Built-in kinds with kube's own definitions, through real kubectl: explain, strict validation, apply."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from e2e_helpers import Kubectl, Server


def pod(name: str, ns: str, image: str = "nginx:1.25") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"containers": [{"name": "web", "image": image, "ports": [{"containerPort": 80}]}]},
    }


def write(tmp_path: Path, name: str, obj: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(obj))
    return str(path)


def test_explain_pod_container_ports(kubectl: Kubectl) -> None:
    out = kubectl.out("explain", "pod.spec.containers.ports")
    lines = out.splitlines()
    assert lines[0] == "KIND:       Pod"
    assert lines[1] == "VERSION:    v1"
    assert "FIELD: ports <[]ContainerPort>" in lines
    assert "  containerPort\t<integer> -required-" in lines
    assert "  protocol\t<string>" in lines
    text = " ".join(out.split())
    assert "List of ports to expose from the container." in text
    assert "ContainerPort represents a network port in a single container." in text
    assert "Number of port to expose on the pod's IP address." in text


def test_explain_pod_spec(kubectl: Kubectl) -> None:
    out = kubectl.out("explain", "pod.spec")
    assert "FIELD: spec <PodSpec>" in out.splitlines()
    assert "  containers\t<[]Container> -required-" in out.splitlines()


def test_create_validate_strict_rejects_unknown_pod_field(kubectl: Kubectl, server: Server, ns: str,
                                                         tmp_path: Path) -> None:
    obj = pod("strict", ns)
    obj["spec"]["containers"][0]["bogus"] = True
    obj["spec"]["containers"][0]["ports"][0]["nope"] = 1
    f = write(tmp_path, "strict.json", obj)
    r = kubectl("create", "--validate=strict", "-f", f, check=False)
    assert r.returncode == 1
    assert r.stderr == (f'Error from server (BadRequest): error when creating "{f}": strict decoding error: '
                        'unknown field "spec.containers[0].bogus", '
                        'unknown field "spec.containers[0].ports[0].nope"\n')
    assert server.request("GET", f"/api/v1/namespaces/{ns}/pods/strict").status == 404
    # --validate=warn: created without the unknown fields, one warning each.
    r = kubectl("create", "--validate=warn", "-f", f)
    assert r.stderr == ('Warning: unknown field "spec.containers[0].bogus"\n'
                        'Warning: unknown field "spec.containers[0].ports[0].nope"\n')
    stored = server.get_json(f"/api/v1/namespaces/{ns}/pods/strict")
    assert "bogus" not in stored["spec"]["containers"][0]
    assert "nope" not in stored["spec"]["containers"][0]["ports"][0]


def test_apply_changed_pod_prints_no_openapi_warning(kubectl: Kubectl, server: Server, ns: str,
                                                     tmp_path: Path) -> None:
    f = write(tmp_path, "pod.json", pod("web", ns))
    r = kubectl("apply", "-f", f)
    assert (r.stdout, r.stderr) == ("pod/web created\n", "")
    f = write(tmp_path, "pod.json", pod("web", ns, image="nginx:1.26"))
    r = kubectl("apply", "-f", f)
    assert (r.stdout, r.stderr) == ("pod/web configured\n", "")
    stored = server.get_json(f"/api/v1/namespaces/{ns}/pods/web")
    assert [(c["name"], c["image"]) for c in stored["spec"]["containers"]] == [("web", "nginx:1.26")]


def test_mistyped_fields_are_refused_in_gos_words(kubectl: Kubectl, server: Server, ns: str,
                                                  tmp_path: Path) -> None:
    obj = pod("typed", ns)
    obj["spec"]["containers"][0]["ports"][0]["containerPort"] = "80"
    f = write(tmp_path, "typed.json", obj)
    r = kubectl("create", "-f", f, check=False)
    assert r.returncode == 1
    assert r.stderr == (
        f'Error from server (BadRequest): error when creating "{f}": Pod in version "v1" cannot be handled as a '
        "Pod: json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort "
        "of type int32\n")
    obj["spec"]["containers"][0]["ports"][0]["containerPort"] = 80
    obj["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "2 cores"}}
    f = write(tmp_path, "typed.json", obj)
    r = kubectl("create", "-f", f, check=False)
    assert r.returncode == 1
    assert r.stderr == (
        f'Error from server (BadRequest): error when creating "{f}": Pod in version "v1" cannot be handled as a '
        "Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'\n")
    assert server.request("GET", f"/api/v1/namespaces/{ns}/pods/typed").status == 404
