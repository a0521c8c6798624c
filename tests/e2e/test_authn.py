"""Users and tokens against a real ``setpoint up --token-auth-file``: kubectl and the official client."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import Kubectl, Server, free_port, start_server, stop_server, wait_ready


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("setpoint-authn")
    tokens = base / "tokens.csv"
    tokens.write_text('jane-token,jane,1001,"devs,ops"\n')
    port = free_port()
    log = base / "server.log"
    proc = start_server(base / "data", port, "--nodes", "0", "--token-auth-file", str(tokens),
                         "--anonymous-auth=false", log_path=log)
    try:
        wait_ready(port, proc)
        server = Server(port, base / "data", proc, log, base / "kube-cache")
        server.env = {**os.environ, "KUBECONFIG": str(server.kubeconfig), "KUBECACHEDIR": str(base / "kube-cache"),
                      "HOME": str(base)}
        yield server
    finally:
        stop_server(proc)


def whoami(srv: Server, token: str, **headers: str) -> dict[str, object]:
    """``kubectl auth whoami`` as the official client does it (kubectl sends no token over plain HTTP)."""
    from kubernetes import client

    config = client.Configuration(host=srv.url, api_key={"authorization": f"Bearer {token}"})
    with client.ApiClient(config) as api:
        for name, value in headers.items():
            api.set_default_header(name.replace("_", "-"), value)
        review = client.AuthenticationV1Api(api).create_self_subject_review(client.V1SelfSubjectReview())
        info = api.sanitize_for_serialization(review.status.user_info)
        assert isinstance(info, dict)
        return info


def admin_token(srv: Server) -> str:
    return srv.auth["Authorization"].removeprefix("Bearer ")


def test_anonymous_401_and_public_paths(srv: Server) -> None:
    r = srv.request("GET", "/api/v1/namespaces", anonymous=True)
    assert r.status == 401
    assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    for path in ("/healthz", "/readyz", "/livez", "/version"):
        assert srv.request("GET", path, anonymous=True).status == 200, path
    assert srv.request("GET", "/api", headers={"Authorization": "Bearer wrong"}).status == 401
    out = Kubectl(srv).run("get", "ns", check=False)
    assert out.returncode != 0 and "You must be logged in to the server" in out.stderr


def test_admin_token_is_who_whoami_says(srv: Server) -> None:
    assert whoami(srv, "jane-token") == {"username": "jane", "uid": "1001",
                                         "groups": ["devs", "ops", "system:authenticated"]}
    assert whoami(srv, admin_token(srv))["username"] == "system:admin"


def test_create_token_works_until_its_service_account_is_deleted(srv: Server, kubectl: Kubectl, ns: str) -> None:
    # The session server allows requests without credentials (plain HTTP): kubectl creates the token there.
    kubectl("create", "serviceaccount", "robot", "-n", ns)
    token = kubectl.out("create", "token", "robot", "-n", ns, "--duration", "10m").strip()
    info = whoami(kubectl.srv, token)
    assert info["username"] == f"system:serviceaccount:{ns}:robot"
    assert info["groups"] == ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]
    kubectl("delete", "serviceaccount", "robot", "-n", ns)
    r = kubectl.srv.request("GET", "/api", headers={"Authorization": f"Bearer {token}"})
    assert r.status == 401
    # Another server's token (another signing key) is not ours.
    assert srv.request("GET", "/api", headers={"Authorization": f"Bearer {token}"}).status == 401


def test_create_token_duration_below_ten_minutes(kubectl: Kubectl, ns: str) -> None:
    kubectl("create", "serviceaccount", "short", "-n", ns)
    out = kubectl.run("create", "token", "short", "-n", ns, "--duration", "5m", check=False)
    assert out.returncode != 0
    assert ('TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: '
            "may not specify a duration less than 10 minutes") in out.stderr


def test_impersonation(srv: Server, kubectl: Kubectl) -> None:
    assert whoami(srv, admin_token(srv), Impersonate_User="jane", Impersonate_Group="devs") == {
        "username": "jane", "groups": ["devs", "system:authenticated"]}
    assert json.loads(kubectl.out("auth", "whoami", "--as", "jane", "-o", "json"))["status"]["userInfo"][
        "username"] == "jane"


def test_data_dir_keeps_keys_private(srv: Server) -> None:
    for name in ("sa.key", "admin.token"):
        assert (Path(srv.data_dir) / "pki" / name).stat().st_mode & 0o077 == 0
