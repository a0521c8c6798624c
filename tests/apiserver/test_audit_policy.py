"""The audit policy checker and request info (kube's ``policy.ruleMatches`` and
``RequestInfoFactory``), the log writer's rotation, and the auditor in an in-process API server:
a 403 with the authorizer's decision, an impersonated user, the Panic stage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from setpoint.apiserver.audit import (
    Auditor,
    LogWriter,
    PolicyError,
    RequestInfo,
    _Event,
    _Record,
    parse_policy,
    request_info,
)
from setpoint.apiserver.http import Request
from setpoint.apiserver.registry.admission import Attributes, UserInfo
from setpoint.apiserver.server import APIServer
from setpoint.storage import MemoryStorage

ALICE = UserInfo("alice", ("devs", "system:authenticated"))


def policy(*rules: dict[str, Any], **top: Any) -> Any:
    return parse_policy({"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": list(rules), **top})


def info(method: str, path: str, query: bytes = b"") -> RequestInfo:
    return request_info(Request(method, path, query_string=query))


def test_request_info() -> None:
    i = info("GET", "/api/v1/namespaces/ns1/pods/p1/log")
    assert (i.resource_request, i.verb, i.namespace, i.resource, i.name, i.subresource) == (
        True, "get", "ns1", "pods", "p1", "log")
    i = info("GET", "/apis/apps/v1/deployments", b"watch=true")
    assert (i.verb, i.group, i.resource, i.namespace) == ("watch", "apps", "deployments", "")
    i = info("GET", "/api/v1/namespaces/ns1/configmaps", b"fieldSelector=metadata.name%3Dcm1,a%3Db")
    assert (i.verb, i.name) == ("list", "")
    i = info("GET", "/api/v1/namespaces/ns1/configmaps", b"fieldSelector=metadata.name=cm1")
    assert (i.verb, i.name) == ("list", "cm1")
    i = info("DELETE", "/api/v1/namespaces/ns1/secrets")
    assert i.verb == "deletecollection"
    i = info("PUT", "/api/v1/namespaces/ns1/finalize")
    assert (i.resource, i.name, i.subresource, i.namespace) == ("namespaces", "ns1", "finalize", "ns1")
    i = info("GET", "/api/v1/watch/namespaces/ns1/pods")
    assert (i.verb, i.resource) == ("watch", "pods")
    assert not info("GET", "/apis/apps/v1").resource_request
    assert info("POST", "/version").verb == "post"


def test_rules_match_as_kube() -> None:
    p = policy(
        {"level": "None", "users": ["system:kube-proxy"]},
        {"level": "RequestResponse", "userGroups": ["devs"], "resources": [
            {"group": "", "resources": ["pods/log", "configmaps"], "resourceNames": ["special"]}]},
        {"level": "Request", "resources": [{"group": "", "resources": ["*/status"]}]},
        {"level": "Request", "resources": [{"group": "apps", "resources": ["deployments/*"]}]},
        {"level": "Metadata", "namespaces": ["kube-system"], "verbs": ["get"]},
        {"level": "Metadata", "nonResourceURLs": ["/version", "/apis*"]},
        omitStages=["RequestReceived"])
    assert p.evaluate(UserInfo("system:kube-proxy"), info("GET", "/api/v1/pods"))[0] == "None"
    assert p.evaluate(ALICE, info("GET", "/api/v1/namespaces/a/configmaps/special"))[0] == "RequestResponse"
    assert p.evaluate(ALICE, info("GET", "/api/v1/namespaces/a/configmaps/other"))[0] == "None"
    assert p.evaluate(UserInfo("bob"), info("GET", "/api/v1/namespaces/a/configmaps/special"))[0] == "None"
    assert p.evaluate(ALICE, info("PUT", "/api/v1/namespaces/a/pods/p/status"))[0] == "Request"
    assert p.evaluate(ALICE, info("PUT", "/apis/apps/v1/namespaces/a/deployments/d/scale"))[0] == "Request"
    # "resource/*" covers the resource itself too (kube's TrimSuffix comparison).
    assert p.evaluate(ALICE, info("PUT", "/apis/apps/v1/namespaces/a/deployments/d"))[0] == "Request"
    assert p.evaluate(ALICE, info("PUT", "/apis/apps/v1/namespaces/a/replicasets/d"))[0] == "None"
    assert p.evaluate(ALICE, info("GET", "/api/v1/namespaces/kube-system/secrets/s"))[0] == "Metadata"
    assert p.evaluate(ALICE, info("GET", "/api/v1/namespaces/default/secrets/s"))[0] == "None"
    assert p.evaluate(ALICE, info("GET", "/version"))[0] == "Metadata"
    assert p.evaluate(ALICE, info("GET", "/apis"))[0] == "Metadata"
    assert p.evaluate(ALICE, info("GET", "/healthz"))[0] == "None"
    # Top-level omitStages apply to every rule (and to the default).
    assert p.evaluate(ALICE, info("GET", "/version"))[1] == frozenset({"RequestReceived"})


def test_policy_errors() -> None:
    with pytest.raises(PolicyError, match='Unsupported value: "Sometimes"'):
        policy({"level": "Metadata", "omitStages": ["Sometimes"]})
    with pytest.raises(PolicyError, match="both regular resources and non-resource URLs"):
        policy({"level": "Metadata", "nonResourceURLs": ["/x"], "resources": [{"group": ""}]})


def test_log_rotation_keeps_max_backups(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    writer = LogWriter(str(path), max_size_mb=1, max_backups=2)
    ev = _Event("Metadata", "id", "/" + "x" * 100_000, "get", ALICE, None, ["127.0.0.1"], "", None, 0.0)
    for _ in range(40):  # ~4 MB: three rotations
        writer.put([_Record(ev, "ResponseComplete", 1.0, {"metadata": {}, "code": 200}).render()])
    writer.close()
    backups = sorted(tmp_path.glob("audit-*.log"))
    assert len(backups) == 2
    for f in [path, *backups]:
        assert f.stat().st_size <= 1024 * 1024
        line = json.loads(f.read_text().splitlines()[0])
        assert line["stageTimestamp"] == "1970-01-01T00:00:01.000000Z"


# --- the auditor in an API server (in-process) ---------------------------------------------


class _DenySecrets:
    """An authorizer that forbids reading Secrets, with a reason (as RBAC's would be)."""

    def authorize(self, attrs: Attributes) -> tuple[bool, str]:
        if attrs.resource == "secrets":
            return False, "secrets are off limits"
        return True, "allowed by test"


class _Impersonating:
    """Authenticates alice; the request acts as bob, as impersonation will record it."""

    def authenticate(self, request: Request) -> UserInfo | None:
        request.state["authenticated_user"] = ALICE
        return UserInfo("bob", ("system:authenticated",))


async def _audited_server(tmp_path: Path, **kwargs: Any) -> tuple[APIServer, Path]:
    log = tmp_path / "audit.log"
    auditor = Auditor(policy({"level": "Metadata"}), LogWriter(str(log)))
    api = APIServer(MemoryStorage(compact_interval=0), auditor=auditor, **kwargs)
    await api.start("127.0.0.1", 0)
    return api, log


async def _stop(api: APIServer) -> None:
    await api.stop()
    await api.storage.close()


async def test_forbidden_request_is_audited_with_the_decision(tmp_path: Path) -> None:
    api, log = await _audited_server(tmp_path, authorizer=_DenySecrets())
    try:
        r = await api.handle(Request("GET", "/api/v1/namespaces/default/secrets/s", client=("10.0.0.7", 1),
                                     headers={"x-forwarded-for": "192.0.2.1"}))
        ok = await api.handle(Request("GET", "/api/v1/namespaces/default/configmaps"))
    finally:
        await _stop(api)  # flushes the log
    assert r.status == 403 and ok.status == 200
    events = [json.loads(line) for line in log.read_text().splitlines()]
    denied = [e for e in events if e.get("objectRef", {}).get("resource") == "secrets"]
    assert [e["stage"] for e in denied] == ["RequestReceived", "ResponseComplete"]
    done = denied[-1]
    assert done["annotations"] == {"authorization.k8s.io/decision": "forbid",
                                   "authorization.k8s.io/reason": "secrets are off limits"}
    assert done["responseStatus"]["code"] == 403 and done["responseStatus"]["reason"] == "Forbidden"
    assert done["sourceIPs"] == ["192.0.2.1", "10.0.0.7"]
    allowed = [e for e in events if e.get("objectRef", {}).get("resource") == "configmaps"][-1]
    assert allowed["annotations"]["authorization.k8s.io/decision"] == "allow"
    assert allowed["annotations"]["authorization.k8s.io/reason"] == "allowed by test"


async def test_impersonated_user_and_panic(tmp_path: Path) -> None:
    api, log = await _audited_server(tmp_path, authenticator=_Impersonating())

    async def boom(_objects: Any, _call: Any) -> Any:
        raise RuntimeError("kaboom")
    api.special[("configmaps", "", "get")] = boom
    try:
        r = await api.handle(Request("GET", "/api/v1/namespaces/default/configmaps/x"))
    finally:
        await _stop(api)
    assert r.status == 500
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["stage"] for e in events] == ["RequestReceived", "Panic"]
    panic = events[-1]
    assert panic["user"] == {"username": "alice", "groups": ["devs", "system:authenticated"]}
    assert panic["impersonatedUser"] == {"username": "bob", "groups": ["system:authenticated"]}
    assert panic["responseStatus"] == {"metadata": {}, "status": "Failure", "message": "APIServer panic'd: kaboom",
                                       "reason": "InternalError", "code": 500}
