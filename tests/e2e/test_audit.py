"""The audit log of a real ``setpoint up --audit-policy-file --audit-log-path``, driven by kubectl
and raw HTTP: kube's audit.k8s.io/v1 Event lines, levels, stages, the Audit-Id header, denied
requests, and no Secret data at any level."""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import Kubectl, Server, eventually, free_port, start_server, stop_server, wait_ready

pytestmark = pytest.mark.e2e

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitManagedFields: true
rules:
- level: None
  nonResourceURLs: ["/healthz*", "/readyz*", "/livez*"]
- level: Request
  verbs: [patch]
  omitStages: [RequestReceived]
- level: RequestResponse
  resources:
  - group: ""
    resources: [secrets, configmaps]
- level: Metadata
"""
SECRET_VALUE = "audit-s3cr3t-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    base = tmp_path_factory.mktemp("setpoint-audit")
    (base / "policy.yaml").write_text(POLICY)
    log = base / "audit.log"
    data_dir, port = base / "data", free_port()
    proc = start_server(data_dir, port, "--nodes", "0", "--audit-policy-file", str(base / "policy.yaml"),
                        "--audit-log-path", str(log), log_path=base / "server.log")
    try:
        wait_ready(port, proc)
        srv = Server(port, data_dir, proc, base / "server.log", base / "kube-cache")
        srv.env = {**os.environ, "KUBECONFIG": str(srv.kubeconfig), "KUBECACHEDIR": str(srv.kube_cache),
                   "HOME": str(base)}
        yield srv, log
    finally:
        stop_server(proc)


def _events(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line]


def _of(log: Path, audit_id: str, want: int) -> list[dict[str, Any]]:
    """The events of one request, once ``want`` of them are written."""
    def written() -> list[dict[str, Any]]:
        evs = [e for e in _events(log) if e["auditID"] == audit_id]
        assert len(evs) >= want, evs
        return evs
    return eventually(written)  # type: ignore[no-any-return]


def _find(log: Path, pred: Any) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]]:
        evs = [e for e in _events(log) if pred(e)]
        assert evs
        return evs
    return eventually(found)  # type: ignore[no-any-return]


def test_create_at_request_response_level_has_both_bodies(audited: tuple[Server, Path]) -> None:
    srv, log = audited
    Kubectl(srv)("create", "configmap", "audited-cm", "--from-literal=colour=blue")
    evs = _find(log, lambda e: e["verb"] == "create" and e.get("objectRef", {}).get("name") == "audited-cm"
                and e["stage"] == "ResponseComplete")
    ev = evs[0]
    assert ev["kind"] == "Event" and ev["apiVersion"] == "audit.k8s.io/v1" and ev["level"] == "RequestResponse"
    assert ev["requestURI"].startswith("/api/v1/namespaces/default/configmaps?")
    assert ev["user"]["username"] == "kubernetes-admin" and "system:masters" in ev["user"]["groups"]
    assert ev["sourceIPs"] == ["127.0.0.1"] and ev["userAgent"].startswith("kubectl/")
    assert ev["objectRef"] == {"resource": "configmaps", "namespace": "default", "name": "audited-cm",
                               "apiVersion": "v1"}
    assert ev["responseStatus"] == {"metadata": {}, "code": 201}
    assert ev["requestObject"]["data"] == {"colour": "blue"}
    assert ev["responseObject"]["data"] == {"colour": "blue"}
    # omitManagedFields: the server's answer had managedFields, the event has none.
    assert "managedFields" not in ev["responseObject"]["metadata"]
    assert ev["responseObject"]["metadata"]["uid"]
    assert ev["annotations"] == {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
    stages = [e["stage"] for e in _of(log, ev["auditID"], 2)]
    assert stages == ["RequestReceived", "ResponseComplete"]
    received = _of(log, ev["auditID"], 2)[0]
    assert received["stageTimestamp"] == received["requestReceivedTimestamp"] == ev["requestReceivedTimestamp"]
    assert "responseStatus" not in received and "requestObject" not in received


def test_secret_data_is_never_written(audited: tuple[Server, Path]) -> None:
    srv, log = audited
    kubectl = Kubectl(srv)
    kubectl("create", "secret", "generic", "audited-secret", f"--from-literal=password={SECRET_VALUE}")
    kubectl("get", "secret", "audited-secret", "-o", "yaml")
    kubectl("get", "secrets", "-o", "json")
    kubectl("patch", "secret", "audited-secret", "-p", json.dumps({"stringData": {"more": SECRET_VALUE}}))
    kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "applied-secret", "namespace": "default"},
        "stringData": {"token": SECRET_VALUE}}))
    evs = _find(log, lambda e: e.get("objectRef", {}).get("name") == "applied-secret"
                and e["stage"] == "ResponseComplete" and e["verb"] == "create")
    secret_events = [e for e in _events(log) if e.get("objectRef", {}).get("resource") == "secrets"]
    verbs = {e["verb"] for e in secret_events}
    assert {"create", "get", "list", "patch"} <= verbs, verbs
    # The policy says RequestResponse (or Request for patches); a Secret is logged at Metadata.
    assert {e["level"] for e in secret_events} == {"Metadata"}
    assert not any("requestObject" in e or "responseObject" in e for e in secret_events)
    text = log.read_text()
    for form in (SECRET_VALUE, base64.b64encode(SECRET_VALUE.encode()).decode()):
        assert form not in text
    assert evs[0]["responseStatus"]["code"] == 201


def test_denied_requests_are_recorded(audited: tuple[Server, Path]) -> None:
    srv, log = audited
    kubectl = Kubectl(srv)
    # Validation: an invalid name (422).
    bad = kubectl("create", "configmap", "Bad_Name", check=False)
    assert bad.returncode != 0
    # Admission: NamespaceLifecycle refuses a create in a namespace that does not exist (404).
    r = srv.request("POST", "/api/v1/namespaces/no-such-ns/configmaps",
                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    assert r.status == 404
    invalid = _find(log, lambda e: e["stage"] == "ResponseComplete"
                    and e.get("responseStatus", {}).get("code") == 422)[0]
    assert invalid["responseStatus"]["reason"] == "Invalid"
    assert invalid["responseStatus"]["status"] == "Failure"
    assert 'ConfigMap "Bad_Name" is invalid' in invalid["responseStatus"]["message"]
    # The denied create's body is recorded (RequestResponse for configmaps), and its answer, a Status.
    assert invalid["requestObject"]["metadata"]["name"] == "Bad_Name"
    assert invalid["responseObject"]["kind"] == "Status" and invalid["responseObject"]["code"] == 422
    denied = _of(log, r.headers["audit-id"], 2)[-1]
    assert denied["objectRef"]["namespace"] == "no-such-ns"
    assert denied["responseStatus"]["code"] == 404 and denied["responseStatus"]["reason"] == "NotFound"
    assert denied["responseStatus"]["message"] == 'namespaces "no-such-ns" not found'
    # A path nothing serves.
    r = srv.request("GET", "/apis/nosuch.example.com/v1/widgets")
    assert r.status == 404
    missing = _of(log, r.headers["audit-id"], 2)[-1]
    assert missing["verb"] == "list" and missing["objectRef"] == {
        "resource": "widgets", "apiGroup": "nosuch.example.com", "apiVersion": "v1"}


def test_audit_id_header_and_client_audit_id(audited: tuple[Server, Path]) -> None:
    srv, log = audited
    r = srv.request("GET", "/api/v1/namespaces/default/configmaps")
    assert r.status == 200
    audit_id = r.headers["audit-id"]
    uuid.UUID(audit_id)
    evs = _of(log, audit_id, 2)
    assert [e["stage"] for e in evs] == ["RequestReceived", "ResponseComplete"]
    assert evs[-1]["verb"] == "list" and evs[-1]["responseObject"]["kind"] == "ConfigMapList"
    # A client's own Audit-ID is kept (kube's WithAuditInit).
    mine = str(uuid.uuid4())
    r = srv.request("GET", "/version", headers={"Audit-ID": mine})
    assert r.headers["audit-id"] == mine
    ev = _of(log, mine, 2)[-1]
    assert ev["verb"] == "get" and "objectRef" not in ev and ev["requestURI"] == "/version"
    # Level None: no events, still the header.
    r = srv.request("GET", "/healthz")
    assert r.headers.get("audit-id")


def test_omit_stages_and_request_level(audited: tuple[Server, Path]) -> None:
    srv, log = audited
    kubectl = Kubectl(srv)
    kubectl("create", "configmap", "patched-cm", "--from-literal=a=1")
    kubectl("patch", "configmap", "patched-cm", "-p", '{"data":{"a":"2"}}')
    ev = _find(log, lambda e: e["verb"] == "patch" and e.get("objectRef", {}).get("name") == "patched-cm")
    # The patch rule omits RequestReceived, and logs the request (the patch) but not the response.
    assert [e["stage"] for e in ev] == ["ResponseComplete"]
    assert ev[0]["level"] == "Request" and ev[0]["requestObject"] == {"data": {"a": "2"}}
    assert "responseObject" not in ev[0]


def test_watch_has_response_started_and_complete(audited: tuple[Server, Path]) -> None:
    srv, log = audited
    r = srv.request("GET", "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1")
    assert r.status == 200
    evs = _of(log, r.headers["audit-id"], 3)
    assert [e["stage"] for e in evs] == ["RequestReceived", "ResponseStarted", "ResponseComplete"]
    assert evs[1]["verb"] == "watch" and evs[1]["responseStatus"] == {"metadata": {}, "code": 200}
    assert evs[2]["stageTimestamp"] >= evs[1]["stageTimestamp"]


def test_bad_policy_is_refused(tmp_path: Path) -> None:
    import subprocess

    from e2e_helpers import setpoint_cmd

    (tmp_path / "p.yaml").write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Everything\n")
    result = subprocess.run([*setpoint_cmd(), "up", "--data-dir", str(tmp_path / "d"), "--port", str(free_port()),
                             "--audit-policy-file", str(tmp_path / "p.yaml"), "--audit-log-path",
                             str(tmp_path / "a.log")], capture_output=True, text=True, timeout=30,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    assert result.stderr.strip() == ('setpoint: rules[0].level: Unsupported value: "Everything": supported '
                                     'values: "None", "Metadata", "Request", "RequestResponse"')


def test_an_impersonated_request_names_both_users(audited: tuple[Server, Path]) -> None:
    srv, log = audited
    Kubectl(srv)("get", "configmap", "-n", "kube-system", "--as", "jane", "--as-group", "devs", check=False)
    ev = _find(log, lambda e: e.get("impersonatedUser", {}).get("username") == "jane"
               and e["stage"] == "ResponseComplete")[0]
    assert ev["user"]["username"] == "kubernetes-admin" and "system:masters" in ev["user"]["groups"]
    assert ev["impersonatedUser"]["groups"] == ["devs", "system:authenticated"]
    # jane holds no binding: RBAC refused the list she was made to send.
    assert ev["verb"] == "list" and ev["responseStatus"]["code"] == 403
