"""Users and tokens against a real ``setpoint up --token-auth-file``: kubectl and the official client."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from e2e_helpers import Kubectl, Server, free_port, start_server, stop_server, wait_ready


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("setpoint-authn")
    tokens = base / "tokens.csv"
    tokens.write_text('jane-token,jane,1001,"devs,ops"\n')
    port = free_port()
    log = base / "server.log"
    proc = start_server(base / "data", port, "--nodes", "0", "--token-auth-file", str(tokens),
                         log_path=log)
    try:
        wait_ready(port, proc)
        server = Server(port, base / "data", proc, log, base / "kube-cache")
        server.env = {**os.environ, "KUBECONFIG": str(server.kubeconfig), "KUBECACHEDIR": str(base / "kube-cache"),
                      "HOME": str(base)}
        yield server
    finally:
        stop_server(proc)


def whoami(kubectl: Kubectl, *args: str) -> dict[str, object]:
    info = json.loads(kubectl.out("auth", "whoami", "-o", "json", *args))["status"]["userInfo"]
    assert isinstance(info, dict)
    return info


def as_token(srv: Server, token: str) -> str:
    """``--kubeconfig`` of a copy of the kubeconfig whose user has ``token`` instead of the admin's certificate."""
    config = yaml.safe_load(srv.kubeconfig.read_text())
    config["users"][0]["user"] = {"token": token}
    path = srv.data_dir.parent / f"kubeconfig-{abs(hash(token))}"
    path.write_text(yaml.safe_dump(config))
    return f"--kubeconfig={path}"


def token_request(srv: Server, token: str) -> int:
    return srv.request("GET", "/api", anonymous=True, headers={"Authorization": f"Bearer {token}"}).status


def test_anonymous_401_and_public_paths(srv: Server) -> None:
    r = srv.request("GET", "/api/v1/namespaces", anonymous=True)
    assert r.status == 401
    assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    for path in ("/healthz", "/readyz", "/livez", "/version"):
        assert srv.request("GET", path, anonymous=True).status == 200, path
    assert token_request(srv, "wrong") == 401
    out = Kubectl(srv).run("get", "ns", as_token(srv, "wrong"), check=False)
    assert out.returncode != 0 and "You must be logged in to the server" in out.stderr


def test_token_file_user_is_who_kubectl_says(srv: Server) -> None:
    kubectl = Kubectl(srv)
    assert whoami(kubectl, as_token(srv, "jane-token")) == {
        "username": "jane", "uid": "1001", "groups": ["devs", "ops", "system:authenticated"]}
    # The kubeconfig's user is the administrator's client certificate.
    assert "system:masters" in whoami(kubectl)["groups"]  # type: ignore[operator]


def test_create_token_works_until_its_service_account_is_deleted(srv: Server) -> None:
    kubectl = Kubectl(srv)
    kubectl("create", "serviceaccount", "robot")
    token = kubectl.out("create", "token", "robot", "--duration", "10m").strip()
    info = whoami(kubectl, as_token(srv, token))
    assert info["username"] == "system:serviceaccount:default:robot"
    assert info["groups"] == ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"]
    # The official client too.
    from kubernetes import client, config

    configuration = client.Configuration()
    config.load_kube_config(config_file=str(srv.kubeconfig), client_configuration=configuration)
    configuration.cert_file = configuration.key_file = None
    configuration.api_key = {"authorization": f"Bearer {token}"}
    with client.ApiClient(configuration) as api:
        review = client.AuthenticationV1Api(api).create_self_subject_review(client.V1SelfSubjectReview())
        assert review.status.user_info.username == "system:serviceaccount:default:robot"
    kubectl("delete", "serviceaccount", "robot")
    out = kubectl.run("auth", "whoami", as_token(srv, token), check=False)
    assert out.returncode != 0 and "You must be logged in to the server" in out.stderr


def test_create_token_duration_below_ten_minutes(srv: Server) -> None:
    kubectl = Kubectl(srv)
    kubectl("create", "serviceaccount", "short")
    out = kubectl.run("create", "token", "short", "--duration", "5m", check=False)
    assert out.returncode != 0
    assert ('TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: '
            "may not specify a duration less than 10 minutes") in out.stderr


def test_impersonation(srv: Server) -> None:
    kubectl = Kubectl(srv)
    assert whoami(kubectl, "--as", "jane", "--as-group", "devs") == {
        "username": "jane", "groups": ["devs", "system:authenticated"]}


def test_data_dir_keeps_the_signing_key_private(srv: Server) -> None:
    assert (Path(srv.data_dir) / "pki" / "sa.key").stat().st_mode & 0o077 == 0
