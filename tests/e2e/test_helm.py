"""Helm 4 against ``setpoint up``: a chart installed, upgraded, fought over and uninstalled.

Helm runs in this process through ``helm-python-sdk``: Helm's own Go SDK (v4) built as a shared library
that ships inside the wheel, so nothing is downloaded at run time and no ``helm`` binary is needed.

What Helm 4 does, as these tests pin it down:

- install and upgrade write every object with server-side apply (``PATCH`` with
  ``application/apply-patch+yaml``, ``force=false``); the release records ``apply_method: ssa`` and an
  upgrade's default (``--server-side=auto``) follows it;
- its field manager is ``kube.ManagedFieldsManager``: the ``helm`` CLI sets it to ``helm``, the SDK
  used as a library falls back to the program's name (``basename(os.Args[0])``), here the Python
  interpreter's;
- a value dropped from the chart's output is removed from the live object (no other manager owns it);
- when another manager took a field, the upgrade fails with the API server's conflict and the new
  revision is recorded as ``failed``; ``force_conflicts`` (the CLI's ``--force-conflicts``) takes it back;
- a rollback applies the old revision's manifest the same way; hooks are objects outside the release,
  and ``before-hook-creation`` deletes and creates them anew;
- uninstall deletes the objects and the release Secrets, but never the CRDs of a chart's ``crds/``.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_helpers import Kubectl, Server

helm = pytest.importorskip("helm_python", reason="helm-python-sdk is not installed: pip install -e '.[test]'")

pytestmark = pytest.mark.e2e

#: Helm's field manager when its SDK runs inside another program (see the module docstring).
HELM_MANAGER = Path(sys.orig_argv[0]).name
GROUP = "helm.e2e.setpoint.dev"
RELEASE = "demo"
TIMEOUT = 60


# --- the chart -------------------------------------------------------------------------------

TEMPLATES = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  {{- range $k, $v := .Values.settings }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-secret
type: Opaque
stringData:
  token: {{ .Values.token | quote }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Release.Name }}-sa
---
apiVersion: %(group)s/v1
kind: %(kind)s
metadata:
  name: {{ .Release.Name }}-widget
spec:
  size: {{ .Values.size }}
"""


def crd(plural: str, kind: str) -> dict[str, Any]:
    spec_schema = {"type": "object", "properties": {"size": {"type": "integer"}, "colour": {"type": "string"}}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {"group": GROUP, "scope": "Namespaced",
                 "names": {"plural": plural, "singular": kind.lower(), "kind": kind},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "properties": {"spec": spec_schema}}}}]},
    }


HOOK = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-hook
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-delete-policy: before-hook-creation
data:
  release-config-found: {{ if lookup "v1" "ConfigMap" .Release.Namespace (printf "%s-config" .Release.Name) }}"yes"{{ else }}"no"{{ end }}
  seen-colour: {{ (lookup "v1" "ConfigMap" .Release.Namespace "seen").data.colour | quote }}
"""


def write_chart(root: Path, kind: str, crds: list[dict[str, Any]] | None = None, *, hook: bool = False) -> Path:
    """A chart (apiVersion v2) of a ConfigMap, a Secret, a ServiceAccount and one custom resource."""
    root.mkdir()
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: tiny\nversion: 0.1.0\nappVersion: '1.0'\n")
    (root / "values.yaml").write_text("settings: {}\ntoken: s3cret\nsize: 1\n")
    (root / "templates").mkdir()
    (root / "templates" / "objects.yaml").write_text(TEMPLATES % {"group": GROUP, "kind": kind})
    if hook:
        (root / "templates" / "hook.yaml").write_text(HOOK)
    if crds:
        (root / "crds").mkdir()
        for obj in crds:
            (root / "crds" / f"{obj['metadata']['name']}.yaml").write_text(yaml.safe_dump(obj))
    return root


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def widgets(kubectl: Kubectl, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Widget CRD, installed before any chart uses it; its plural."""
    f = tmp_path_factory.mktemp("helm-crd") / "crd.yaml"
    f.write_text(yaml.safe_dump(crd("widgets", "Widget")))
    kubectl("apply", "-f", str(f))
    kubectl("wait", "--for", "condition=Established", f"crd/widgets.{GROUP}", "--timeout=30s")
    yield "widgets"
    kubectl("delete", "-f", str(f), "--wait=false")


@pytest.fixture
def cfg(server: Server, ns: str) -> Iterator[Any]:
    """A Helm configuration for the test's namespace (release storage: Secrets, Helm's default)."""
    with helm.Config(kubeconfig_path=server.kubeconfig, namespace=ns) as config:
        yield config


def paths(ns: str, plural: str) -> dict[str, str]:
    base = f"/api/v1/namespaces/{ns}"
    return {
        "configmap": f"{base}/configmaps/{RELEASE}-config",
        "secret": f"{base}/secrets/{RELEASE}-secret",
        "serviceaccount": f"{base}/serviceaccounts/{RELEASE}-sa",
        "widget": f"/apis/{GROUP}/v1/namespaces/{ns}/{plural}/{RELEASE}-widget",
    }


def managers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["manager"]: e for e in obj["metadata"].get("managedFields") or []}


def release_secrets(server: Server, ns: str) -> dict[str, dict[str, str]]:
    """Helm's release records in ``ns``: Secret name -> its labels."""
    got = server.get_json(f"/api/v1/namespaces/{ns}/secrets?labelSelector=owner%3Dhelm%2Cname%3D{RELEASE}")
    return {item["metadata"]["name"]: item["metadata"]["labels"] for item in got["items"]}


def native(cfg: Any, action: str, chart: Path, values: dict[str, Any], **options: Any) -> dict[str, Any]:
    """``helm_install``/``helm_upgrade`` of Helm's C ABI, with options ``Config.install``/``upgrade`` lack.

    helm-python-sdk 0.2 does not pass ``force_conflicts`` (the CLI's ``--force-conflicts``) or
    ``server_side_apply`` (``--server-side``) through; otherwise this is the call those methods make.
    """
    lib = helm._native
    payload = lib.call_string(
        f"helm_{action}", cfg._raw(), lib.HANDLE(0), lib.HANDLE(0), str(chart), RELEASE,
        json.dumps(values), json.dumps({"timeout_seconds": TIMEOUT, **options}))
    result: dict[str, Any] = json.loads(payload)
    return result


HELM_METADATA = {"f:metadata": {
    "f:annotations": {"f:meta.helm.sh/release-name": {}, "f:meta.helm.sh/release-namespace": {}},
    "f:labels": {"f:app.kubernetes.io/managed-by": {}},
}}


# --- tests -----------------------------------------------------------------------------------


def test_install_upgrade_uninstall(server: Server, ns: str, cfg: Any, widgets: str, tmp_path: Path) -> None:
    chart = write_chart(tmp_path / "chart", "Widget")
    objects = paths(ns, widgets)

    rel = cfg.install(chart, RELEASE, {"settings": {"greeting": "hello", "colour": "blue"}},
                      wait="watcher", timeout=TIMEOUT)
    assert (rel["revision"], rel["status"]) == (1, "deployed")

    for kind, path in objects.items():
        obj = server.get_json(path)
        meta = obj["metadata"]
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "Helm", kind
        assert meta["annotations"]["meta.helm.sh/release-name"] == RELEASE, kind
        assert meta["annotations"]["meta.helm.sh/release-namespace"] == ns, kind
        # Helm 4 applies server-side: one manager, operation Apply, owning what the chart rendered.
        assert [(e["manager"], e["operation"]) for e in meta["managedFields"]] == [(HELM_MANAGER, "Apply")], kind
        assert meta["managedFields"][0]["fieldsV1"]["f:metadata"] == HELM_METADATA["f:metadata"], kind

    cm = server.get_json(objects["configmap"])
    assert cm["data"] == {"greeting": "hello", "colour": "blue"}
    assert managers(cm)[HELM_MANAGER]["fieldsV1"] == {
        **HELM_METADATA, "f:data": {"f:colour": {}, "f:greeting": {}}}
    secret = server.get_json(objects["secret"])
    assert secret["data"] == {"token": base64.b64encode(b"s3cret").decode()}
    assert managers(secret)[HELM_MANAGER]["fieldsV1"]["f:stringData"] == {"f:token": {}}
    assert server.get_json(objects["widget"])["spec"] == {"size": 1}

    record = server.get_json(f"/api/v1/namespaces/{ns}/secrets/sh.helm.release.v1.{RELEASE}.v1")
    assert record["type"] == "helm.sh/release.v1"
    assert record["metadata"]["labels"]["status"] == "deployed"
    assert cfg.status(RELEASE)["revision"] == 1

    # Upgrade: greeting changes, colour is dropped from the chart's output -> removed from the live object.
    rel = cfg.upgrade(chart, RELEASE, {"settings": {"greeting": "hi"}, "size": 2}, timeout=TIMEOUT)
    assert (rel["revision"], rel["status"]) == (2, "deployed")
    cm = server.get_json(objects["configmap"])
    assert cm["data"] == {"greeting": "hi"}
    assert managers(cm)[HELM_MANAGER]["fieldsV1"] == {**HELM_METADATA, "f:data": {"f:greeting": {}}}
    assert managers(cm)[HELM_MANAGER]["operation"] == "Apply"
    widget = server.get_json(objects["widget"])
    assert (widget["spec"], widget["metadata"]["generation"]) == ({"size": 2}, 2)
    records = release_secrets(server, ns)
    assert {name: labels["status"] for name, labels in records.items()} == {
        f"sh.helm.release.v1.{RELEASE}.v1": "superseded", f"sh.helm.release.v1.{RELEASE}.v2": "deployed"}

    out = cfg.uninstall(RELEASE, wait="watcher", timeout=TIMEOUT)
    assert out["release"]["status"] == "uninstalled"
    for kind, path in objects.items():
        assert server.request("GET", path).status == 404, kind
    assert release_secrets(server, ns) == {}
    with pytest.raises(helm.HelmError, match="not found"):
        cfg.status(RELEASE)


def test_upgrade_conflicts_with_another_manager(server: Server, kubectl: Kubectl, ns: str, cfg: Any,
                                                widgets: str, tmp_path: Path) -> None:
    chart = write_chart(tmp_path / "chart", "Widget")
    cm_path = paths(ns, widgets)["configmap"]
    cfg.install(chart, RELEASE, {"settings": {"greeting": "hello"}}, timeout=TIMEOUT)

    ops = tmp_path / "ops.yaml"
    ops.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap",
                                   "metadata": {"name": f"{RELEASE}-config", "namespace": ns},
                                   "data": {"greeting": "ops", "extra": "mine"}}))
    r = kubectl("apply", "--server-side", "--field-manager=ops", "-f", str(ops), check=False)
    assert r.returncode == 1
    assert f'Apply failed with 1 conflict: conflict with "{HELM_MANAGER}": .data.greeting' in r.stderr
    kubectl("apply", "--server-side", "--field-manager=ops", "--force-conflicts", "-f", str(ops))
    cm = server.get_json(cm_path)
    assert cm["data"] == {"greeting": "ops", "extra": "mine"}
    assert managers(cm)["ops"]["fieldsV1"] == {"f:data": {"f:extra": {}, "f:greeting": {}}}
    assert managers(cm)[HELM_MANAGER]["fieldsV1"] == HELM_METADATA

    # Helm 4 applies without force: the upgrade fails on the API server's conflict and records a failed
    # revision; the ConfigMap is left as ops made it.
    with pytest.raises(helm.HelmReleaseError) as err:
        cfg.upgrade(chart, RELEASE, {"settings": {"greeting": "hey"}}, timeout=TIMEOUT)
    assert 'Apply failed with 1 conflict: conflict with "ops": .data.greeting' in str(err.value)
    assert server.get_json(cm_path)["data"] == {"greeting": "ops", "extra": "mine"}
    assert [(h["revision"], h["status"]) for h in cfg.history(RELEASE)] == [(1, "deployed"), (2, "failed")]

    # --force-conflicts takes greeting back; extra, which Helm never applied, stays ops'.
    rel = native(cfg, "upgrade", chart, {"settings": {"greeting": "hey"}}, force_conflicts=True)
    assert (rel["revision"], rel["status"]) == (3, "deployed")
    cm = server.get_json(cm_path)
    assert cm["data"] == {"greeting": "hey", "extra": "mine"}
    assert managers(cm)["ops"]["fieldsV1"] == {"f:data": {"f:extra": {}}}
    assert managers(cm)[HELM_MANAGER]["fieldsV1"] == {**HELM_METADATA, "f:data": {"f:greeting": {}}}

    # Uninstall deletes the whole object, whoever else manages fields of it.
    cfg.uninstall(RELEASE, timeout=TIMEOUT)
    assert server.request("GET", cm_path).status == 404
    assert release_secrets(server, ns) == {}


def test_chart_with_crds_directory(server: Server, kubectl: Kubectl, ns: str, cfg: Any, tmp_path: Path) -> None:
    """A chart's ``crds/``: Helm creates the CRD, waits until it is Established, then applies a resource of it."""
    gadgets = crd("gadgets", "Gadget")
    chart = write_chart(tmp_path / "chart", "Gadget", crds=[gadgets])
    try:
        rel = cfg.install(chart, RELEASE, {"size": 7}, wait="watcher", timeout=TIMEOUT)
        assert rel["status"] == "deployed"
        got = server.get_json(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.{GROUP}")
        assert any(c["type"] == "Established" and c["status"] == "True" for c in got["status"]["conditions"])
        widget_path = paths(ns, "gadgets")["widget"]
        assert server.get_json(widget_path)["spec"] == {"size": 7}

        cfg.uninstall(RELEASE, wait="watcher", timeout=TIMEOUT)
        assert server.request("GET", widget_path).status == 404
        # Helm never deletes the CRDs of crds/.
        assert server.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.{GROUP}") \
            .status == 200
    finally:
        kubectl("delete", "crd", f"gadgets.{GROUP}", "--ignore-not-found", "--wait=false")


def test_hooks_lookup_and_rollback(server: Server, ns: str, cfg: Any, widgets: str, tmp_path: Path) -> None:
    """A pre-install/pre-upgrade hook whose template reads live objects with ``lookup``; then a rollback."""
    chart = write_chart(tmp_path / "chart", "Widget", hook=True)
    cm_path = paths(ns, widgets)["configmap"]
    hook_path = f"/api/v1/namespaces/{ns}/configmaps/{RELEASE}-hook"
    seen = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "seen"}, "data": {"colour": "teal"}}
    assert server.request("POST", f"/api/v1/namespaces/{ns}/configmaps", seen).status == 201

    cfg.install(chart, RELEASE, {"settings": {"greeting": "hello", "colour": "blue"}}, timeout=TIMEOUT)
    hook = server.get_json(hook_path)
    assert hook["data"] == {"release-config-found": "no", "seen-colour": "teal"}
    assert "app.kubernetes.io/managed-by" not in (hook["metadata"].get("labels") or {})  # hooks are not released

    cfg.upgrade(chart, RELEASE, {"settings": {"greeting": "hi"}}, timeout=TIMEOUT)
    again = server.get_json(hook_path)  # before-hook-creation: deleted and created anew
    assert again["data"] == {"release-config-found": "yes", "seen-colour": "teal"}
    assert again["metadata"]["uid"] != hook["metadata"]["uid"]
    assert server.get_json(cm_path)["data"] == {"greeting": "hi"}

    cfg.rollback(RELEASE, version=1, timeout=TIMEOUT)
    assert server.get_json(cm_path)["data"] == {"greeting": "hello", "colour": "blue"}
    assert [(h["revision"], h["status"]) for h in cfg.history(RELEASE)] == [
        (1, "superseded"), (2, "superseded"), (3, "deployed")]
    cfg.uninstall(RELEASE, timeout=TIMEOUT)


def test_client_side_release_moves_to_server_side_apply(server: Server, ns: str, cfg: Any, widgets: str,
                                                        tmp_path: Path) -> None:
    """A release written client-side (as Helm 3 did) and upgraded with ``--server-side=true``.

    Helm 4 keeps an old release's apply method (``--server-side=auto``): three-way strategic merge
    patches with operation Update. Switching to server-side apply, it first moves the Update entry's
    fields to its Apply entry with a JSON patch of ``metadata.managedFields`` (client-go's csaupgrade),
    so that the apply then removes what the chart no longer renders.
    """
    chart = write_chart(tmp_path / "chart", "Widget")
    objects = paths(ns, widgets)
    native(cfg, "install", chart, {"settings": {"a": "1", "b": "2", "c": "3"}}, server_side_apply=False)
    cm = server.get_json(objects["configmap"])
    assert [(e["manager"], e["operation"]) for e in cm["metadata"]["managedFields"]] == [(HELM_MANAGER, "Update")]

    cfg.upgrade(chart, RELEASE, {"settings": {"a": "1", "b": "2"}}, timeout=TIMEOUT)  # stays client-side
    cm = server.get_json(objects["configmap"])
    assert cm["data"] == {"a": "1", "b": "2"}
    assert [(e["manager"], e["operation"]) for e in cm["metadata"]["managedFields"]] == [(HELM_MANAGER, "Update")]

    rel = native(cfg, "upgrade", chart, {"settings": {"a": "1"}, "size": 5}, server_side_apply="true")
    assert (rel["revision"], rel["status"]) == (3, "deployed")
    cm = server.get_json(objects["configmap"])
    assert cm["data"] == {"a": "1"}
    assert [(e["manager"], e["operation"]) for e in cm["metadata"]["managedFields"]] == [(HELM_MANAGER, "Apply")]
    assert managers(cm)[HELM_MANAGER]["fieldsV1"] == {**HELM_METADATA, "f:data": {"f:a": {}}}
    widget = server.get_json(objects["widget"])
    assert widget["spec"] == {"size": 5}
    assert [(e["manager"], e["operation"]) for e in widget["metadata"]["managedFields"]] == [
        (HELM_MANAGER, "Apply")]
    cfg.uninstall(RELEASE, timeout=TIMEOUT)


POD_CHART = """\
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-pod
spec:
  containers:
  - name: main
    image: {{ .Values.image }}
    ports:
    - containerPort: 80
    env:
    - name: MODE
      value: {{ .Values.mode | quote }}
    resources:
      limits: {cpu: 100m, memory: 64Mi}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: {{ .Release.Name }}-lease
spec:
  holderIdentity: {{ .Release.Name }}
  leaseDurationSeconds: 15
"""


def test_pod_and_lease(server: Server, ns: str, cfg: Any, tmp_path: Path) -> None:
    """A Pod as charts write them (limits only, a port without protocol) and a Lease; a Pod's spec is
    immutable but for images, and Helm reports the API server's refusal."""
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: pods\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("image: nginx:1.25\nmode: a\n")
    (chart / "templates" / "pod.yaml").write_text(POD_CHART)
    pod_path = f"/api/v1/namespaces/{ns}/pods/{RELEASE}-pod"

    cfg.install(chart, RELEASE, None, timeout=TIMEOUT)
    pod = server.get_json(pod_path)
    container = pod["spec"]["containers"][0]
    assert container["resources"] == {"limits": {"cpu": "100m", "memory": "64Mi"},
                                      "requests": {"cpu": "100m", "memory": "64Mi"}}
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert pod["status"]["qosClass"] == "Guaranteed"
    lease = server.get_json(f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{RELEASE}-lease")
    assert lease["spec"] == {"holderIdentity": RELEASE, "leaseDurationSeconds": 15}

    cfg.upgrade(chart, RELEASE, {"image": "nginx:1.27"}, timeout=TIMEOUT)
    pod = server.get_json(pod_path)
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "100m", "memory": "64Mi"}
    assert [(e["manager"], e["operation"]) for e in pod["metadata"]["managedFields"]] == [(HELM_MANAGER, "Apply")]

    with pytest.raises(helm.HelmReleaseError) as err:
        cfg.upgrade(chart, RELEASE, {"image": "nginx:1.27", "mode": "b"}, timeout=TIMEOUT)
    assert f'Pod "{RELEASE}-pod" is invalid: spec: Forbidden: pod updates may not change fields other than ' \
        "`spec.containers[*].image`" in str(err.value)
    assert server.get_json(pod_path)["spec"]["containers"][0]["env"] == [{"name": "MODE", "value": "a"}]

    cfg.uninstall(RELEASE, wait="watcher", timeout=TIMEOUT)
    assert server.request("GET", pod_path).status == 404
