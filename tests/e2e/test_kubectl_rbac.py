"""RBAC against a real ``setpoint up --token-auth-file`` (RBAC is the default): token users, kubectl
as the administrator and as a token user with ``auth can-i`` and ``--as``, escalation,
nonResourceURLs, aggregation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from e2e_helpers import Kubectl, Server, eventually, free_port, start_server, stop_server, wait_ready

RBAC = "/apis/rbac.authorization.k8s.io/v1"
GROUP = "rbac.authorization.k8s.io"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("setpoint-rbac")
    tokens = base / "tokens.csv"
    tokens.write_text("jane-token,jane,1001\nfrank-token,frank,1002\n")
    port = free_port()
    log = base / "server.log"
    proc = start_server(base / "data", port, "--nodes", "0", "--token-auth-file", str(tokens), log_path=log)
    try:
        wait_ready(port, proc)
        server = Server(port, base / "data", proc, log, base / "kube-cache")
        server.env = {**os.environ, "KUBECONFIG": str(server.kubeconfig), "KUBECACHEDIR": str(base / "kube-cache"),
                      "HOME": str(base)}
        for ns in ("team-a", "team-b"):
            assert server.request("POST", "/api/v1/namespaces", {
                "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}).status == 201
        yield server
    finally:
        stop_server(proc)


def as_user(srv: Server, token: str, method: str, path: str, body: Any = None) -> Any:
    return srv.request(method, path, body, anonymous=True, headers={"Authorization": f"Bearer {token}"})


def bind(srv: Server, ns: str, name: str, role: str, kind: str, subject: str, role_kind: str = "ClusterRole") -> None:
    path = f"{RBAC}/namespaces/{ns}/rolebindings" if ns else f"{RBAC}/clusterrolebindings"
    r = srv.request("POST", path, {
        "apiVersion": f"{GROUP}/v1", "kind": "RoleBinding" if ns else "ClusterRoleBinding",
        "metadata": {"name": name}, "roleRef": {"apiGroup": GROUP, "kind": role_kind, "name": role},
        "subjects": [{"apiGroup": GROUP, "kind": kind, "name": subject}]})
    assert r.status == 201, r.json()


def cluster_role(srv: Server, name: str, rules: list[dict[str, Any]], labels: dict[str, str] | None = None) -> None:
    r = srv.request("POST", f"{RBAC}/clusterroles", {"apiVersion": f"{GROUP}/v1", "kind": "ClusterRole",
                                                    "metadata": {"name": name, "labels": labels or {}},
                                                    "rules": rules})
    assert r.status == 201, r.json()


def test_token_user_is_forbidden_until_bound(srv: Server) -> None:
    r = as_user(srv, "jane-token", "GET", "/api/v1/namespaces/team-a/pods")
    assert r.status == 403
    assert r.json()["message"] == ('pods is forbidden: User "jane" cannot list resource "pods" in API group "" '
                                   'in the namespace "team-a"')
    bind(srv, "team-a", "jane-view", "view", "User", "jane")
    eventually(lambda: as_user(srv, "jane-token", "GET", "/api/v1/namespaces/team-a/pods").status == 200)
    assert as_user(srv, "jane-token", "GET", "/api/v1/namespaces/team-b/pods").status == 403
    r = as_user(srv, "jane-token", "POST", "/api/v1/namespaces/team-a/configmaps",
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    assert r.status == 403


def test_kubectl_auth_can_i_and_as(srv: Server) -> None:
    kubectl = Kubectl(srv)
    # A kubeconfig user of jane's token beside the administrator's certificate.
    kubectl("config", "set-credentials", "jane", "--token", "jane-token")

    def jane(*args: str) -> Any:
        return kubectl.run("--user", "jane", *args, check=False)
    # Authenticated users may ask about themselves (system:basic-user), nothing more yet.
    assert jane("auth", "can-i", "list", "pods", "-n", "team-b").stdout.strip() == "no"
    assert jane("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}").stdout == "jane"
    bind(srv, "team-b", "jane-view", "view", "User", "jane")
    eventually(lambda: jane("auth", "can-i", "list", "pods", "-n", "team-b").stdout.strip() == "yes")
    assert jane("auth", "can-i", "delete", "pods", "-n", "team-b").stdout.strip() == "no"
    listing = jane("auth", "can-i", "--list", "-n", "team-b").stdout
    assert any(line.split()[0] == "pods" and "[get list watch]" in line for line in listing.splitlines() if line)
    out = jane("create", "configmap", "x", "-n", "team-b")
    assert out.returncode != 0
    assert ('configmaps is forbidden: User "jane" cannot create resource "configmaps" in API group "" '
            'in the namespace "team-b"') in out.stderr
    # Impersonation needs the impersonate verb: the administrator has it, jane not until granted.
    bind(srv, "team-b", "carol-edit", "edit", "User", "carol")
    eventually(lambda: kubectl.run("auth", "can-i", "create", "configmaps", "-n", "team-b", "--as", "carol",
                                   check=False).stdout.strip() == "yes")
    assert kubectl.run("auth", "can-i", "create", "configmaps", "-n", "team-a", "--as", "carol",
                       check=False).stdout.strip() == "no"
    out = jane("get", "pods", "-n", "team-b", "--as", "carol")
    assert 'User "jane" cannot impersonate resource "users" in API group "" at the cluster scope' in out.stderr
    cluster_role(srv, "impersonator", [{"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]}])
    bind(srv, "", "jane-impersonates", "impersonator", "User", "jane")
    eventually(lambda: jane("auth", "can-i", "create", "configmaps", "-n", "team-b", "--as", "carol"
                            ).stdout.strip() == "yes")


def test_binding_beyond_ones_rights_is_refused(srv: Server) -> None:
    bind(srv, "team-a", "frank-edit", "edit", "User", "frank")
    r = srv.request("POST", f"{RBAC}/namespaces/team-a/roles", {
        "apiVersion": f"{GROUP}/v1", "kind": "Role", "metadata": {"name": "binder"},
        "rules": [{"apiGroups": [GROUP], "resources": ["rolebindings"], "verbs": ["create"]}]})
    assert r.status == 201
    bind(srv, "team-a", "frank-binder", "binder", "User", "frank", role_kind="Role")

    def admin_binding() -> Any:
        r = as_user(srv, "frank-token", "POST", f"{RBAC}/namespaces/team-a/rolebindings", {
            "apiVersion": f"{GROUP}/v1", "kind": "RoleBinding", "metadata": {"name": "frank-admin"},
            "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": "admin"},
            "subjects": [{"apiGroup": GROUP, "kind": "User", "name": "frank"}]})
        assert r.status == 403 and "attempting to grant" in r.json()["message"], r.json()
        return r.json()
    status = eventually(admin_binding)
    assert status["message"].startswith(
        f'rolebindings.{GROUP} "frank-admin" is forbidden: user "frank" (groups=["system:authenticated"]) is '
        "attempting to grant RBAC permissions not currently held:\n")
    r = as_user(srv, "frank-token", "POST", f"{RBAC}/namespaces/team-a/rolebindings", {
        "apiVersion": f"{GROUP}/v1", "kind": "RoleBinding", "metadata": {"name": "frank-view"},
        "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": "view"},
        "subjects": [{"apiGroup": GROUP, "kind": "User", "name": "frank"}]})
    assert r.status == 201, r.json()


def test_non_resource_urls(srv: Server) -> None:
    assert as_user(srv, "jane-token", "GET", "/version").status == 200
    r = as_user(srv, "jane-token", "GET", "/metrics")
    assert r.status == 403
    assert r.json()["message"] == 'forbidden: User "jane" cannot get path "/metrics"'
    cluster_role(srv, "metrics-reader", [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}])
    bind(srv, "", "jane-metrics", "metrics-reader", "User", "jane")
    eventually(lambda: as_user(srv, "jane-token", "GET", "/metrics").status == 200)


def test_aggregation_adds_rules(srv: Server) -> None:
    rule = {"apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["get", "list"]}
    cluster_role(srv, "widgets-view", [rule], {"rbac.authorization.k8s.io/aggregate-to-view": "true"})
    eventually(lambda: rule in srv.get_json(f"{RBAC}/clusterroles/view")["rules"])
    # edit aggregates view, admin aggregates edit.
    eventually(lambda: rule in srv.get_json(f"{RBAC}/clusterroles/admin")["rules"])
