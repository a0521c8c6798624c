"""The real kubectl against a real ``setpoint up``: every command a user types."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_helpers import Kubectl, LineReader, Server, eventually, open_watches, wait_for_new_watch

pytestmark = pytest.mark.e2e


def cm(name: str, ns: str, data: dict[str, str] | None = None, **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns, **meta},
            "data": data or {}}


def docs(*objs: dict[str, Any]) -> str:
    """A multi-document manifest; JSON documents, so no YAML 1.1 surprises (``y`` is a bool to kubectl)."""
    return "---\n".join(json.dumps(o) + "\n" for o in objs)


def write(tmp_path: Path, name: str, *objs: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(docs(*objs))
    return str(path)


def get(server: Server, path: str) -> dict[str, Any]:
    return server.get_json(path)  # type: ignore[no-any-return]


def names(kubectl: Kubectl, *args: str) -> list[str]:
    out = kubectl.out("get", *args, "-o", "name")
    return out.split()


# --- namespaces, apply, get ---------------------------------------------------------------------


def test_namespace_apply_get_delete(kubectl: Kubectl, server: Server, tmp_path: Path) -> None:
    f = write(tmp_path, "ns.yaml", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "e2e-ns-apply"}})
    assert kubectl.out("apply", "-f", f) == "namespace/e2e-ns-apply created\n"
    assert kubectl.out("get", "ns", "e2e-ns-apply", "-o", "jsonpath={.status.phase}") == "Active"
    table = kubectl.out("get", "ns", "e2e-ns-apply").splitlines()
    assert table[0].split() == ["NAME", "STATUS", "AGE"]
    assert table[1].split()[:2] == ["e2e-ns-apply", "Active"]
    labels = json.loads(kubectl.out("get", "ns", "e2e-ns-apply", "-o", "jsonpath={.metadata.labels}"))
    assert labels == {"kubernetes.io/metadata.name": "e2e-ns-apply"}
    assert kubectl.out("delete", "ns", "e2e-ns-apply") == 'namespace "e2e-ns-apply" deleted\n'
    r = kubectl("get", "ns", "e2e-ns-apply", check=False)
    assert r.returncode == 1
    assert r.stderr == 'Error from server (NotFound): namespaces "e2e-ns-apply" not found\n'


def test_apply_twice_says_unchanged(kubectl: Kubectl, server: Server, ns: str, tmp_path: Path) -> None:
    f = write(tmp_path, "cm.yaml", cm("app-config", ns, {"k": "v"}, labels={"app": "x"}))
    assert kubectl.out("apply", "-f", f) == "configmap/app-config created\n"
    rv = get(server, f"/api/v1/namespaces/{ns}/configmaps/app-config")["metadata"]["resourceVersion"]
    assert kubectl.out("apply", "-f", f) == "configmap/app-config unchanged\n"
    after = get(server, f"/api/v1/namespaces/{ns}/configmaps/app-config")
    assert after["metadata"]["resourceVersion"] == rv
    last = json.loads(after["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["data"] == {"k": "v"}
    # A changed file is "configured" and the change lands.
    f = write(tmp_path, "cm.yaml", cm("app-config", ns, {"k": "w"}, labels={"app": "x"}))
    assert kubectl.out("apply", "-f", f) == "configmap/app-config configured\n"
    assert get(server, f"/api/v1/namespaces/{ns}/configmaps/app-config")["data"] == {"k": "w"}


def test_get_output_formats(kubectl: Kubectl, ns: str) -> None:
    kubectl.out("apply", "-f", "-", input=docs(cm("alpha", ns, {"a": "1", "b": "2"}, labels={"tier": "web"}),
                                               cm("beta", ns, {})))
    as_yaml = yaml.safe_load(kubectl.out("get", "cm", "alpha", "-n", ns, "-o", "yaml"))
    assert as_yaml["apiVersion"] == "v1"
    assert as_yaml["kind"] == "ConfigMap"
    assert as_yaml["data"] == {"a": "1", "b": "2"}
    assert as_yaml["metadata"]["name"] == "alpha"
    assert as_yaml["metadata"]["namespace"] == ns
    assert as_yaml["metadata"]["labels"] == {"tier": "web"}
    assert re.fullmatch(r"[0-9a-f-]{36}", as_yaml["metadata"]["uid"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", as_yaml["metadata"]["creationTimestamp"])
    # ConfigMaps have no generation in kube.
    assert "generation" not in as_yaml["metadata"]

    as_json = json.loads(kubectl.out("get", "cm", "-n", ns, "-o", "json"))
    assert as_json["kind"] == "List"
    # kube-root-ca.crt: the root-CA publisher's, in every namespace.
    assert [i["metadata"]["name"] for i in as_json["items"]] == ["alpha", "beta", "kube-root-ca.crt"]
    assert as_json["items"][0] == as_yaml

    wide = kubectl.out("get", "cm", "-n", ns, "-o", "wide").splitlines()
    assert [line.split()[:2] for line in wide] == [["NAME", "DATA"], ["alpha", "2"], ["beta", "0"],
                                                   ["kube-root-ca.crt", "1"]]
    assert wide[0].split() == ["NAME", "DATA", "AGE"]

    assert kubectl.out("get", "cm", "-n", ns, "-o", "name") == (
        "configmap/alpha\nconfigmap/beta\nconfigmap/kube-root-ca.crt\n")
    assert kubectl.out("get", "cm", "alpha", "-n", ns, "-o", "jsonpath={.data.b}") == "2"
    assert kubectl.out("get", "cm", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}") == (
        "alpha beta kube-root-ca.crt")
    assert kubectl.out("get", "cm", "-n", ns, "--show-labels").splitlines()[1].split()[-1] == "tier=web"


def test_label_and_annotate(kubectl: Kubectl, server: Server, ns: str) -> None:
    kubectl.out("apply", "-f", "-", input=docs(cm("lbl", ns, {"k": "v"})))
    assert kubectl.out("label", "cm", "lbl", "-n", ns, "tier=web", "team=core") == "configmap/lbl labeled\n"
    assert kubectl.out("annotate", "cm", "lbl", "-n", ns, "note=hello world") == "configmap/lbl annotated\n"
    obj = get(server, f"/api/v1/namespaces/{ns}/configmaps/lbl")
    assert obj["metadata"]["labels"] == {"tier": "web", "team": "core"}
    assert obj["metadata"]["annotations"]["note"] == "hello world"
    # Changing a label needs --overwrite.
    r = kubectl("label", "cm", "lbl", "-n", ns, "tier=db", check=False)
    assert r.returncode == 1
    assert "'tier' already has a value (web), and --overwrite is false" in r.stderr
    kubectl.out("label", "cm", "lbl", "-n", ns, "tier=db", "--overwrite")
    kubectl.out("label", "cm", "lbl", "-n", ns, "team-")
    kubectl.out("annotate", "cm", "lbl", "-n", ns, "note-")
    obj = get(server, f"/api/v1/namespaces/{ns}/configmaps/lbl")
    assert obj["metadata"]["labels"] == {"tier": "db"}
    assert "note" not in (obj["metadata"].get("annotations") or {})


def test_patch_merge_json_strategic(kubectl: Kubectl, server: Server, ns: str) -> None:
    kubectl.out("apply", "-f", "-", input=docs(cm("p", ns, {"a": "1", "b": "2"})))
    path = f"/api/v1/namespaces/{ns}/configmaps/p"
    out = kubectl.out("patch", "cm", "p", "-n", ns, "--type=merge", "-p", '{"data":{"a":null,"c":"3"}}')
    assert out == "configmap/p patched\n"
    assert get(server, path)["data"] == {"b": "2", "c": "3"}
    kubectl.out("patch", "cm", "p", "-n", ns, "--type=json",
                "-p", '[{"op":"replace","path":"/data/b","value":"20"},{"op":"add","path":"/data/d","value":"4"}]')
    assert get(server, path)["data"] == {"b": "20", "c": "3", "d": "4"}
    kubectl.out("patch", "cm", "p", "-n", ns, "--type=strategic",
                "-p", '{"metadata":{"labels":{"x":"y"}},"data":{"e":"5"}}')
    obj = get(server, path)
    assert obj["data"] == {"b": "20", "c": "3", "d": "4", "e": "5"}
    assert obj["metadata"]["labels"] == {"x": "y"}
    # A patch that changes nothing says so and writes nothing.
    rv = obj["metadata"]["resourceVersion"]
    out = kubectl.out("patch", "cm", "p", "-n", ns, "--type=merge", "-p", '{"data":{"e":"5"}}')
    assert out == "configmap/p patched (no change)\n"
    assert get(server, path)["metadata"]["resourceVersion"] == rv
    # A failing JSON patch test op is an error and changes nothing.
    r = kubectl("patch", "cm", "p", "-n", ns, "--type=json", "-p",
                '[{"op":"test","path":"/data/e","value":"6"}]', check=False)
    assert r.returncode == 1
    assert get(server, path)["metadata"]["resourceVersion"] == rv


def test_replace(kubectl: Kubectl, server: Server, ns: str, tmp_path: Path) -> None:
    kubectl.out("apply", "-f", "-", input=docs(cm("r", ns, {"a": "1"}, labels={"keep": "no"})))
    live = yaml.safe_load(kubectl.out("get", "cm", "r", "-n", ns, "-o", "yaml"))
    live["data"] = {"z": "26"}
    live["metadata"]["labels"] = {"replaced": "yes"}
    f = tmp_path / "r.yaml"
    f.write_text(yaml.safe_dump(live))
    assert kubectl.out("replace", "-f", str(f)) == "configmap/r replaced\n"
    obj = get(server, f"/api/v1/namespaces/{ns}/configmaps/r")
    assert obj["data"] == {"z": "26"}
    assert obj["metadata"]["labels"] == {"replaced": "yes"}
    assert obj["metadata"]["uid"] == live["metadata"]["uid"]
    assert int(obj["metadata"]["resourceVersion"]) > int(live["metadata"]["resourceVersion"])
    # Replacing from the now stale copy is a conflict.
    r = kubectl("replace", "-f", str(f), check=False)
    assert r.returncode == 1
    assert r.stderr == (f'Error from server (Conflict): error when replacing "{f}": Operation cannot be fulfilled on '
                        'configmaps "r": the object has been modified; please apply your changes to the latest '
                        "version and try again\n")


def test_diff(kubectl: Kubectl, ns: str, tmp_path: Path) -> None:
    same = write(tmp_path, "same.yaml", cm("d", ns, {"k": "v"}))
    kubectl.out("apply", "-f", same)
    r = kubectl("diff", "-f", same, check=False)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    changed = write(tmp_path, "changed.yaml", cm("d", ns, {"k": "w"}))
    r = kubectl("diff", "-f", changed, check=False)
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    assert "-  k: v" in lines
    assert "+  k: w" in lines
    # Only data (and the last-applied annotation) differ: the server-side dry run changed nothing else.
    changed_lines = [x for x in lines if x[:1] in "+-" and not x.startswith(("+++", "---"))]
    assert all("k: " in x or "last-applied-configuration" in x or '"data":' in x for x in changed_lines), lines
    # A diff of a new object shows all of it.
    new = write(tmp_path, "new.yaml", cm("d-new", ns, {"new": "1"}))
    r = kubectl("diff", "-f", new, check=False)
    assert r.returncode == 1
    assert "+  new: \"1\"" in r.stdout.splitlines()


def test_create_duplicate_is_already_exists(kubectl: Kubectl, ns: str, tmp_path: Path) -> None:
    f = write(tmp_path, "dup.yaml", cm("dup", ns, {"a": "b"}))
    assert kubectl.out("create", "-f", f) == "configmap/dup created\n"
    r = kubectl("create", "-f", f, check=False)
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == f'Error from server (AlreadyExists): error when creating "{f}": configmaps "dup" already exists\n'


def test_get_watch_sees_changes(kubectl: Kubectl, server: Server, ns: str) -> None:
    kubectl.out("apply", "-f", "-", input=docs(cm("w-first", ns, {})))
    reader = LineReader(kubectl.popen("get", "cm", "-n", ns, "-w", "--output-watch-events"))
    try:
        assert reader.wait_for(lambda line: "w-first" in line).split()[:3] == ["ADDED", "w-first", "0"]
        r = server.request("POST", f"/api/v1/namespaces/{ns}/configmaps", cm("w-second", ns, {"x": "1"}))
        assert r.status == 201
        assert reader.wait_for(lambda line: "w-second" in line).split()[:3] == ["ADDED", "w-second", "1"]
        r = server.request("PATCH", f"/api/v1/namespaces/{ns}/configmaps/w-first", {"data": {"a": "1", "b": "2"}},
                           content_type="application/merge-patch+json")
        assert r.status == 200
        assert reader.wait_for(lambda line: "w-first" in line).split()[:3] == ["MODIFIED", "w-first", "2"]
        assert server.request("DELETE", f"/api/v1/namespaces/{ns}/configmaps/w-second").status == 200
        assert reader.wait_for(lambda line: "w-second" in line).split()[:2] == ["DELETED", "w-second"]
    finally:
        reader.stop()


def test_get_raw_pages_with_limit_and_continue(kubectl: Kubectl, server: Server, ns: str) -> None:
    want = [f"page-{i:02d}" for i in range(25)]
    kubectl.out("apply", "-f", "-", input=docs(*(cm(n, ns, {"i": n}) for n in want)))
    seen: list[str] = []
    token = ""
    pages = []
    revisions = set()
    while True:
        query = {"limit": "10"}
        if token:
            query["continue"] = token
        page = json.loads(kubectl.out("get", "--raw", f"/api/v1/namespaces/{ns}/configmaps?"
                                      + urllib.parse.urlencode(query)))
        assert page["kind"] == "ConfigMapList"
        pages.append(len(page["items"]))
        seen.extend(i["metadata"]["name"] for i in page["items"])
        revisions.add(page["metadata"]["resourceVersion"])
        token = page["metadata"].get("continue", "")
        if not pages[-1] or not token:
            assert "remainingItemCount" not in page["metadata"]
            break
        assert page["metadata"]["remainingItemCount"] == 26 - len(seen)
        if len(pages) == 1:
            # Written after the first page: not in this (snapshot) list.
            r = server.request("POST", f"/api/v1/namespaces/{ns}/configmaps", cm("page-99-late", ns, {}))
            assert r.status == 201
    assert pages == [10, 10, 6]
    assert seen == sorted([*want, "kube-root-ca.crt"])
    assert len(revisions) == 1  # every page is of the same snapshot


def test_wait_for_delete(kubectl: Kubectl, server: Server, ns: str) -> None:
    kubectl.out("apply", "-f", "-", input=docs(cm("doomed", ns, {}, finalizers=["example.com/hold"])))
    assert kubectl.out("delete", "cm", "doomed", "-n", ns, "--wait=false") == (
        f'configmap "doomed" deleted from {ns} namespace\n')
    watches = open_watches(server, "configmaps")
    waiter = kubectl.popen("wait", "--for=delete", "cm/doomed", "-n", ns, "--timeout=30s")
    try:
        # kubectl is watching (it printed nothing yet: the object is held by its finalizer).
        wait_for_new_watch(server, "configmaps", watches)
        assert waiter.poll() is None
        obj = get(server, f"/api/v1/namespaces/{ns}/configmaps/doomed")
        assert obj["metadata"]["deletionTimestamp"]
        kubectl.out("patch", "cm", "doomed", "-n", ns, "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
        out, err = waiter.communicate(timeout=30)
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.wait()
    assert waiter.returncode == 0, err
    assert out == "configmap/doomed condition met\n"


def test_api_resources(kubectl: Kubectl) -> None:
    rows = {tuple(line.split()) for line in kubectl.out("api-resources").splitlines()[1:]}
    for row in [
        ("configmaps", "cm", "v1", "true", "ConfigMap"),
        ("events", "ev", "v1", "true", "Event"),
        ("namespaces", "ns", "v1", "false", "Namespace"),
        ("secrets", "v1", "true", "Secret"),
        ("serviceaccounts", "sa", "v1", "true", "ServiceAccount"),
        ("customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false", "CustomResourceDefinition"),
        ("leases", "coordination.k8s.io/v1", "true", "Lease"),
        ("events", "events.k8s.io/v1", "true", "Event"),
        ("endpoints", "ep", "v1", "true", "Endpoints"),
        ("endpointslices", "discovery.k8s.io/v1", "true", "EndpointSlice"),
        ("ingresses", "ing", "networking.k8s.io/v1", "true", "Ingress"),
        ("ingressclasses", "networking.k8s.io/v1", "false", "IngressClass"),
        ("networkpolicies", "netpol", "networking.k8s.io/v1", "true", "NetworkPolicy"),
        ("poddisruptionbudgets", "pdb", "policy/v1", "true", "PodDisruptionBudget"),
        ("resourcequotas", "quota", "v1", "true", "ResourceQuota"),
        ("limitranges", "limits", "v1", "true", "LimitRange"),
        ("priorityclasses", "pc", "scheduling.k8s.io/v1", "false", "PriorityClass"),
    ]:
        assert row in rows, (row, sorted(rows))
    wide = kubectl.out("api-resources", "-o", "wide", "--api-group=coordination.k8s.io").splitlines()
    assert wide[1].split() == ["leases", "coordination.k8s.io/v1", "true", "Lease",
                               "create,delete,deletecollection,get,list,patch,update,watch"]
    assert {"namespaces", "nodes", "customresourcedefinitions.apiextensions.k8s.io", "nodes.metrics.k8s.io",
            "ingressclasses.networking.k8s.io",
            "mutatingadmissionpolicies.admissionregistration.k8s.io",
            "mutatingadmissionpolicybindings.admissionregistration.k8s.io",
            "mutatingwebhookconfigurations.admissionregistration.k8s.io",
            "validatingadmissionpolicies.admissionregistration.k8s.io",
            "validatingadmissionpolicybindings.admissionregistration.k8s.io",
            "validatingwebhookconfigurations.admissionregistration.k8s.io", "priorityclasses.scheduling.k8s.io",
            "selfsubjectreviews.authentication.k8s.io", "tokenreviews.authentication.k8s.io",
            "flowschemas.flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations.flowcontrol.apiserver.k8s.io",
            "clusterroles.rbac.authorization.k8s.io", "clusterrolebindings.rbac.authorization.k8s.io",
            "selfsubjectaccessreviews.authorization.k8s.io", "subjectaccessreviews.authorization.k8s.io"} <= set(
        kubectl.out("api-resources", "--namespaced=false", "-o", "name").split())


def test_api_versions(kubectl: Kubectl) -> None:
    versions = kubectl.out("api-versions").split()
    assert {"v1", "apiextensions.k8s.io/v1", "coordination.k8s.io/v1", "events.k8s.io/v1"} <= set(versions)
    assert versions == sorted(versions)


def test_explain_configmap_data(kubectl: Kubectl) -> None:
    out = kubectl.out("explain", "configmap.data")
    lines = out.splitlines()
    assert lines[0] == "KIND:       ConfigMap"
    assert lines[1] == "VERSION:    v1"
    assert "FIELD: data <map[string]string>" in lines
    assert "DESCRIPTION:" in lines
    assert "Data contains the configuration data." in " ".join(out.split())


def test_create_validate_strict_rejects_unknown_field(kubectl: Kubectl, server: Server, ns: str,
                                                      tmp_path: Path) -> None:
    obj = cm("strict", ns, {"a": "b"})
    obj["bogus"] = 1
    f = write(tmp_path, "strict.yaml", obj)
    r = kubectl("create", "--validate=strict", "-f", f, check=False)
    assert r.returncode == 1
    assert r.stderr == (f'Error from server (BadRequest): error when creating "{f}": '
                        'strict decoding error: unknown field "bogus"\n')
    assert server.request("GET", f"/api/v1/namespaces/{ns}/configmaps/strict").status == 404
    # --validate=false sends it anyway; the server drops the unknown field.
    assert kubectl.out("create", "--validate=false", "-f", f) == "configmap/strict created\n"
    assert "bogus" not in get(server, f"/api/v1/namespaces/{ns}/configmaps/strict")


def test_kubectl_create_generators(kubectl: Kubectl, server: Server, ns: str) -> None:
    """kubectl create <kind> sends protobuf bodies."""
    assert kubectl.out("create", "configmap", "gen-cm", "-n", ns, "--from-literal=a=b") == "configmap/gen-cm created\n"
    assert get(server, f"/api/v1/namespaces/{ns}/configmaps/gen-cm")["data"] == {"a": "b"}
    out = kubectl.out("create", "secret", "generic", "gen-secret", "-n", ns, "--from-literal=user=admin")
    assert out == "secret/gen-secret created\n"
    secret = get(server, f"/api/v1/namespaces/{ns}/secrets/gen-secret")
    assert secret["type"] == "Opaque"
    assert secret["data"] == {"user": base64.b64encode(b"admin").decode()}
    assert kubectl.out("create", "serviceaccount", "gen-sa", "-n", ns) == "serviceaccount/gen-sa created\n"
    assert get(server, f"/api/v1/namespaces/{ns}/serviceaccounts/gen-sa")["metadata"]["name"] == "gen-sa"
    name = f"{ns}-gen"
    try:
        assert kubectl.out("create", "namespace", name) == f"namespace/{name} created\n"
        assert get(server, f"/api/v1/namespaces/{name}")["status"] == {"phase": "Active"}
    finally:
        server.request("DELETE", f"/api/v1/namespaces/{name}")


# --- custom resources ---------------------------------------------------------------------------


def crd_manifest(group: str, plural: str, kind: str, *, columns: bool = True) -> dict[str, Any]:
    version: dict[str, Any] = {
        "name": "v1", "served": True, "storage": True,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
            "spec": {"type": "object", "properties": {"size": {"type": "integer"}, "color": {"type": "string"}}}}}},
    }
    if columns:
        version["additionalPrinterColumns"] = [
            {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
            {"name": "Color", "type": "string", "jsonPath": ".spec.color"},
        ]
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": plural, "singular": kind.lower(), "kind": kind, "shortNames": [kind.lower()[:3]]},
                 "versions": [version]},
    }


def test_crd_lifecycle(kubectl: Kubectl, server: Server, ns: str, tmp_path: Path) -> None:
    group, plural, kind = "kubectl.e2e.example.com", "gizmos", "Gizmo"
    crd_name = f"{plural}.{group}"
    f = write(tmp_path, "crd.yaml", crd_manifest(group, plural, kind))
    try:
        assert kubectl.out("apply", "-f", f) == f"customresourcedefinition.apiextensions.k8s.io/{crd_name} created\n"
        out = kubectl.out("wait", "--for", "condition=Established", f"crd/{crd_name}", "--timeout=30s")
        assert out == f"customresourcedefinition.apiextensions.k8s.io/{crd_name} condition met\n"
        assert f"{plural}.{group}" in kubectl.out("api-resources", "-o", "name").split()
        cr = {"apiVersion": f"{group}/v1", "kind": kind, "metadata": {"name": "g1", "namespace": ns},
              "spec": {"size": 3, "color": "red"}}
        cr2 = {**cr, "metadata": {"name": "g2", "namespace": ns}, "spec": {"size": 10, "color": "blue"}}
        assert kubectl.out("apply", "-f", "-", input=docs(cr, cr2)) == (
            f"gizmo.{group}/g1 created\ngizmo.{group}/g2 created\n")
        assert kubectl.out("get", plural, "g1", "-n", ns, "-o", "jsonpath={.spec.size}") == "3"
        table = [line.split() for line in kubectl.out("get", "giz", "-n", ns).splitlines()]
        assert table == [["NAME", "SIZE", "COLOR"], ["g1", "3", "red"], ["g2", "10", "blue"]]
        # Client-side apply of a change to a custom resource (a JSON merge patch).
        cr["spec"] = {"size": 4, "color": "red"}
        assert kubectl.out("apply", "-f", "-", input=docs(cr)) == f"gizmo.{group}/g1 configured\n"
        assert get(server, f"/apis/{group}/v1/namespaces/{ns}/{plural}/g1")["spec"] == {"size": 4, "color": "red"}
        assert get(server, f"/apis/{group}/v1/namespaces/{ns}/{plural}/g1")["metadata"]["generation"] == 2

        assert kubectl.out("delete", "crd", crd_name) == (
            f'customresourcedefinition.apiextensions.k8s.io "{crd_name}" deleted\n')
        # The custom resources went with it, and the resource left discovery.
        assert server.request("GET", f"/apis/{group}/v1").status == 404
        assert server.request("GET", f"/apis/{group}/v1/namespaces/{ns}/{plural}").status == 404
        assert all(g["name"] != group for g in get(server, "/apis")["groups"])
        assert f"{plural}.{group}" not in kubectl.out("api-resources", "-o", "name").split()
        r = kubectl("get", plural, "-n", ns, check=False)
        assert r.returncode == 1
        assert f'the server doesn\'t have a resource type "{plural}"' in r.stderr
        # Created again, the CRD starts empty: the old objects were deleted, not hidden.
        kubectl.out("apply", "-f", f)
        kubectl.out("wait", "--for", "condition=Established", f"crd/{crd_name}", "--timeout=30s")
        assert get(server, f"/apis/{group}/v1/namespaces/{ns}/{plural}")["items"] == []
    finally:
        kubectl("delete", "crd", crd_name, "--ignore-not-found", check=False)


def test_delete_namespace_deletes_contents(kubectl: Kubectl, server: Server) -> None:
    name = "e2e-doomed-ns"
    kubectl.out("apply", "-f", "-", input=docs(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        cm("c1", name, {"a": "b"}),
        cm("held", name, {}, finalizers=["example.com/hold"]),
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1", "namespace": name},
         "stringData": {"a": "b"}},
        {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l1", "namespace": name},
         "spec": {"holderIdentity": "me"}},
    ))
    assert kubectl.out("delete", "ns", name, "--wait=false") == f'namespace "{name}" deleted\n'
    watches = open_watches(server, "namespaces")
    waiter = kubectl.popen("wait", "--for=delete", f"ns/{name}", "--timeout=30s")
    try:
        wait_for_new_watch(server, "namespaces", watches)
        # The namespace empties, but waits for the object its finalizer holds.
        eventually(lambda: [i["metadata"]["name"] for i in get(server, f"/api/v1/namespaces/{name}/configmaps")[
            "items"]] == ["held"])
        assert eventually(lambda: get(server, f"/api/v1/namespaces/{name}/secrets")["items"] == [])
        namespace = get(server, f"/api/v1/namespaces/{name}")
        assert namespace["status"]["phase"] == "Terminating"
        assert namespace["metadata"]["deletionTimestamp"]
        assert waiter.poll() is None
        # New objects are refused while it terminates.
        r = server.request("POST", f"/api/v1/namespaces/{name}/configmaps", cm("late", name, {}))
        assert r.status == 403
        assert r.json()["reason"] == "Forbidden"
        assert r.json()["message"] == (f'configmaps "late" is forbidden: unable to create new content in namespace '
                                       f"{name} because it is being terminated")
        kubectl.out("patch", "cm", "held", "-n", name, "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
        out, err = waiter.communicate(timeout=30)
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.wait()
    assert waiter.returncode == 0, err
    assert out == f"namespace/{name} condition met\n"
    for path in ("/api/v1/configmaps", "/api/v1/secrets", "/apis/coordination.k8s.io/v1/leases"):
        items = get(server, f"{path}?fieldSelector=metadata.namespace%3D{name}")["items"]
        assert items == [], path
    assert server.request("GET", f"/api/v1/namespaces/{name}").status == 404
    # Objects cannot be created in a namespace that does not exist.
    r = server.request("POST", f"/api/v1/namespaces/{name}/configmaps", cm("c2", name, {}))
    assert r.status == 404
    assert r.json()["message"] == f'namespaces "{name}" not found'


def test_secret_string_data_is_stored_base64(kubectl: Kubectl, server: Server, ns: str) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": ns},
              "stringData": {"user": "admin", "password": "s3cr=t"}, "data": {"extra": base64.b64encode(b"x").decode()}}
    assert kubectl.out("apply", "-f", "-", input=docs(secret)) == "secret/creds created\n"
    obj = get(server, f"/api/v1/namespaces/{ns}/secrets/creds")
    assert "stringData" not in obj
    assert obj["type"] == "Opaque"
    assert obj["data"] == {"user": base64.b64encode(b"admin").decode(),
                           "password": base64.b64encode(b"s3cr=t").decode(),
                           "extra": base64.b64encode(b"x").decode()}
    decoded = kubectl.out("get", "secret", "creds", "-n", ns, "-o", "jsonpath={.data.password}")
    assert base64.b64decode(decoded) == b"s3cr=t"
    table = kubectl.out("get", "secret", "creds", "-n", ns).splitlines()
    assert table[0].split() == ["NAME", "TYPE", "DATA", "AGE"]
    assert table[1].split()[:3] == ["creds", "Opaque", "3"]


def test_finalizer_holds_deletion(kubectl: Kubectl, server: Server, ns: str) -> None:
    kubectl.out("apply", "-f", "-", input=docs(cm("held", ns, {"a": "b"}, finalizers=["example.com/hold"])))
    path = f"/api/v1/namespaces/{ns}/configmaps/held"
    assert kubectl.out("delete", "cm", "held", "-n", ns, "--wait=false") == (
        f'configmap "held" deleted from {ns} namespace\n')
    obj = get(server, path)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", obj["metadata"]["deletionTimestamp"])
    assert obj["metadata"]["deletionGracePeriodSeconds"] == 0
    assert obj["metadata"]["finalizers"] == ["example.com/hold"]
    # Still listed, and updates other than finalizers still work.
    assert names(kubectl, "cm", "-n", ns, "--field-selector=metadata.name=held") == ["configmap/held"]
    kubectl.out("label", "cm", "held", "-n", ns, "still=here")
    # A second delete does not change it.
    rv = get(server, path)["metadata"]["resourceVersion"]
    kubectl.out("delete", "cm", "held", "-n", ns, "--wait=false")
    assert get(server, path)["metadata"]["resourceVersion"] == rv
    kubectl.out("patch", "cm", "held", "-n", ns, "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
    assert server.request("GET", path).status == 404
    assert names(kubectl, "cm", "-n", ns) == ["configmap/kube-root-ca.crt"]


def test_generate_name(kubectl: Kubectl, server: Server, ns: str) -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-", "namespace": ns},
           "data": {"a": "b"}}
    first = kubectl.out("create", "-f", "-", input=docs(obj))
    second = kubectl.out("create", "-f", "-", input=docs(obj))
    pattern = r"configmap/(gen-[bcdfghjklmnpqrstvwxz2456789]{5}) created\n"
    m1, m2 = re.fullmatch(pattern, first), re.fullmatch(pattern, second)
    assert m1 and m2, (first, second)
    assert m1.group(1) != m2.group(1)
    got = get(server, f"/api/v1/namespaces/{ns}/configmaps/{m1.group(1)}")
    assert got["metadata"]["generateName"] == "gen-"
    assert got["data"] == {"a": "b"}


def test_apply_dry_run_server_changes_nothing(kubectl: Kubectl, server: Server, ns: str) -> None:
    path = f"/api/v1/namespaces/{ns}/configmaps"
    before = get(server, path)["metadata"]["resourceVersion"]
    out = kubectl.out("apply", "--dry-run=server", "-f", "-", input=docs(cm("dry", ns, {"a": "1"})))
    assert out == "configmap/dry created (server dry run)\n"
    assert server.request("GET", f"{path}/dry").status == 404
    assert get(server, path)["metadata"]["resourceVersion"] == before
    kubectl.out("apply", "-f", "-", input=docs(cm("dry", ns, {"a": "1"})))
    live = get(server, f"{path}/dry")
    out = kubectl.out("apply", "--dry-run=server", "-f", "-", input=docs(cm("dry", ns, {"a": "2"})))
    assert out == "configmap/dry configured (server dry run)\n"
    assert get(server, f"{path}/dry") == live
    out = kubectl.out("delete", "cm", "dry", "-n", ns, "--dry-run=server")
    assert out == f'configmap "dry" deleted from {ns} namespace (server dry run)\n'
    assert get(server, f"{path}/dry") == live
    # What the dry run returns is what a real apply would store.
    dry = json.loads(kubectl.out("apply", "--dry-run=server", "-o", "json", "-f", "-",
                                 input=docs(cm("dry", ns, {"a": "3"}))))
    assert dry["data"] == {"a": "3"}
    assert dry["metadata"]["uid"] == live["metadata"]["uid"]
    assert get(server, f"{path}/dry") == live


def test_delete_by_label_selector(kubectl: Kubectl, server: Server, ns: str) -> None:
    kubectl.out("apply", "-f", "-", input=docs(
        cm("a", ns, {}, labels={"app": "x"}), cm("b", ns, {}, labels={"app": "x"}),
        cm("c", ns, {}, labels={"app": "y"}), cm("d", ns, {})))
    out = kubectl.out("delete", "cm", "-n", ns, "-l", "app=x")
    assert out == f'configmap "a" deleted from {ns} namespace\nconfigmap "b" deleted from {ns} namespace\n'
    assert names(kubectl, "cm", "-n", ns) == ["configmap/c", "configmap/d", "configmap/kube-root-ca.crt"]
    # The API's deletecollection verb with a selector (what controllers use).
    r = server.request("DELETE", f"/api/v1/namespaces/{ns}/configmaps?labelSelector=app%3Dy")
    assert r.status == 200
    body = r.json()
    assert body["kind"] == "ConfigMapList"
    assert [i["metadata"]["name"] for i in body["items"]] == ["c"]
    assert names(kubectl, "cm", "-n", ns) == ["configmap/d", "configmap/kube-root-ca.crt"]


def test_label_selectors(kubectl: Kubectl, ns: str) -> None:
    kubectl.out("apply", "-f", "-", input=docs(
        cm("sx", ns, {}, labels={"a": "x", "env": "prod"}), cm("sy", ns, {}, labels={"a": "y"}),
        cm("sz", ns, {}, labels={"a": "z", "env": "dev"}), cm("none", ns, {})))
    assert names(kubectl, "cm", "-n", ns, "-l", "a in (x,y)") == ["configmap/sx", "configmap/sy"]
    assert names(kubectl, "cm", "-n", ns, "-l", "!a") == ["configmap/kube-root-ca.crt", "configmap/none"]
    assert names(kubectl, "cm", "-n", ns, "-l", "a") == ["configmap/sx", "configmap/sy", "configmap/sz"]
    assert names(kubectl, "cm", "-n", ns, "-l", "a notin (x)") == [
        "configmap/kube-root-ca.crt", "configmap/none", "configmap/sy", "configmap/sz"]
    assert names(kubectl, "cm", "-n", ns, "-l", "a!=y") == [
        "configmap/kube-root-ca.crt", "configmap/none", "configmap/sx", "configmap/sz"]
    assert names(kubectl, "cm", "-n", ns, "-l", "a=x,env=prod") == ["configmap/sx"]
    assert names(kubectl, "cm", "-n", ns, "-l", "a,env!=prod") == ["configmap/sy", "configmap/sz"]
    r = kubectl("get", "cm", "-n", ns, "-l", "a", "-o", "name", "--show-kind", check=False)
    assert r.returncode == 0
    r = kubectl("get", "cm", "-n", ns, "-l", "a in x", check=False)
    assert r.returncode == 1


def test_field_selectors(kubectl: Kubectl, ns: str) -> None:
    def secret(name: str, type_: str) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns}, "type": type_,
                "stringData": {"k": "v"}}

    kubectl.out("apply", "-f", "-", input=docs(
        cm("f1", ns, {}), cm("f2", ns, {}), secret("plain", "Opaque"), secret("custom", "example.com/token")))
    assert names(kubectl, "cm", "-n", ns, "--field-selector", "metadata.name=f2") == ["configmap/f2"]
    assert names(kubectl, "cm", "-n", ns, "--field-selector", "metadata.name!=f2") == [
        "configmap/f1", "configmap/kube-root-ca.crt"]
    assert names(kubectl, "cm", "-A", "--field-selector", f"metadata.namespace={ns}") == [
        "configmap/f1", "configmap/f2", "configmap/kube-root-ca.crt"]
    assert names(kubectl, "secret", "-n", ns, "--field-selector", "type=Opaque") == ["secret/plain"]
    assert names(kubectl, "secret", "-n", ns, "--field-selector", "type=example.com/token") == ["secret/custom"]
    assert names(kubectl, "secret", "-n", ns, "--field-selector", "type!=Opaque,metadata.name=custom") == [
        "secret/custom"]
    r = kubectl("get", "cm", "-n", ns, "--field-selector", "data.k=v", check=False)
    assert r.returncode == 1
    assert r.stderr == ('Error from server (BadRequest): Unable to find "/v1, Resource=configmaps" that match label '
                        'selector "", field selector "data.k=v": "data.k" is not a known field selector: only '
                        '"metadata.name", "metadata.namespace"\n')
    r = kubectl("get", "secrets", "-n", ns, "--field-selector", "data.k=v", check=False)
    assert r.returncode == 1
    assert r.stderr.endswith(': field label not supported: data.k\n')


def test_events_field_selector(kubectl: Kubectl, k8s: Any, ns: str) -> None:
    from kubernetes import client

    core = client.CoreV1Api(k8s)
    for name, obj in (("ev-1", "thing-1"), ("ev-2", "thing-2"), ("ev-3", "thing-1")):
        core.create_namespaced_event(ns, client.CoreV1Event(
            metadata=client.V1ObjectMeta(name=name, namespace=ns),
            involved_object=client.V1ObjectReference(kind="ConfigMap", name=obj, namespace=ns, api_version="v1"),
            reason="Tested", message=f"event about {obj}", type="Normal", count=1,
            source=client.V1EventSource(component="e2e")))
    out = kubectl.out("get", "events", "-n", ns, "--field-selector", "involvedObject.name=thing-1",
                      "-o", "jsonpath={range .items[*]}{.metadata.name} {.message}{\"\\n\"}{end}")
    assert out.splitlines() == ["ev-1 event about thing-1", "ev-3 event about thing-1"]
    assert names(kubectl, "events", "-n", ns, "--field-selector", "involvedObject.name=thing-2,reason=Tested") == [
        "event/ev-2"]
    assert names(kubectl, "events", "-n", ns, "--field-selector", "involvedObject.kind=ConfigMap,type=Warning") == []
    # events.k8s.io/v1 serves the same objects.
    assert names(kubectl, "events.v1.events.k8s.io", "-n", ns, "--field-selector", "regarding.name=thing-2") == [
        "event.events.k8s.io/ev-2"]


def test_lease_create_get(kubectl: Kubectl, server: Server, ns: str) -> None:
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "leader", "namespace": ns},
             "spec": {"holderIdentity": "pod-a", "leaseDurationSeconds": 15, "leaseTransitions": 0,
                      "acquireTime": "2026-01-01T00:00:00.000000Z", "renewTime": "2026-01-01T00:00:05.123456Z"}}
    assert kubectl.out("create", "-f", "-", input=docs(lease)) == "lease.coordination.k8s.io/leader created\n"
    got = json.loads(kubectl.out("get", "lease", "leader", "-n", ns, "-o", "json"))
    assert got["spec"] == lease["spec"]
    table = kubectl.out("get", "leases", "-n", ns).splitlines()
    assert table[0].split() == ["NAME", "HOLDER", "AGE"]
    assert table[1].split()[:2] == ["leader", "pod-a"]
    kubectl.out("patch", "lease", "leader", "-n", ns, "--type=merge",
                "-p", '{"spec":{"holderIdentity":"pod-b","leaseTransitions":1}}')
    assert kubectl.out("get", "lease", "leader", "-n", ns, "-o", "jsonpath={.spec.holderIdentity}") == "pod-b"
    r = server.request("POST", f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
                       {**lease, "metadata": {"name": "bad", "namespace": ns},
                        "spec": {"leaseDurationSeconds": 0}})
    assert r.status == 422
    assert [c["field"] for c in r.json()["details"]["causes"]] == ["spec.leaseDurationSeconds"]

