"""RBAC authorization in-process: a header names the user (a test authenticator), the server
runs ``--authorization-mode RBAC`` with kube's bootstrap policy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from setpoint import storage
from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.registry.admission import ANONYMOUS_ADMIN, UserInfo
from setpoint.apiserver.server import APIServer
from setpoint.controllers.manager import ControllerManager
from setpoint.testing import eventually

Obj = dict[str, Any]
RBAC = "/apis/rbac.authorization.k8s.io/v1"


class HeaderAuthenticator:
    """``x-user``/``x-groups`` name the user (authenticated); no header: the administrator."""

    def authenticate(self, request: Request) -> UserInfo | None:
        name = request.headers.get("x-user")
        if name is None:
            return ANONYMOUS_ADMIN
        groups = [g for g in request.headers.get("x-groups", "").split(",") if g]
        return UserInfo(name, (*groups, "system:authenticated"))


@pytest.fixture
async def rbac_api() -> AsyncIterator[APIServer]:
    store = await storage.open_storage("memory://", compact_interval=0)
    server = APIServer(store, authenticator=HeaderAuthenticator(), authorization_modes=("RBAC",))
    await server.start("127.0.0.1", 0)
    # The aggregation controller fills admin, edit and view.
    controllers = ControllerManager(server.registry, server.objects,
                                    controllers=("clusterrole-aggregation-controller",))
    await controllers.start()
    try:
        yield server
    finally:
        await controllers.stop()
        await server.stop()
        await store.close()


async def call(api: APIServer, method: str, path: str, body: Obj | None = None, user: str | None = None,
               groups: str = "") -> tuple[int, Obj]:
    headers = {"content-type": "application/json", "accept": "application/json"}
    if user is not None:
        headers["x-user"] = user
        headers["x-groups"] = groups
    path, _, query = path.partition("?")
    response = await api.handle(Request(method, path, query_string=query.encode(), headers=headers,
                                        body=orjson.dumps(body) if body is not None else b""))
    assert isinstance(response, Response)
    try:
        return response.status, orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return response.status, {"text": response.body.decode()}


def binding(name: str, role: str, user: str, kind: str = "ClusterRole") -> Obj:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]}


async def bind(api: APIServer, ns: str, name: str, role: str, user: str, kind: str = "ClusterRole") -> None:
    status, out = await call(api, "POST", f"{RBAC}/namespaces/{ns}/rolebindings", binding(name, role, user, kind))
    assert status == 201, out


async def allowed_eventually(api: APIServer, method: str, path: str, user: str) -> Obj:
    async def check() -> Obj:
        status, out = await call(api, method, path, user=user)
        assert status == 200, out
        return out
    result: Obj = await eventually(check)
    return result


async def test_bootstrap_policy_is_created(rbac_api: APIServer) -> None:
    status, roles = await call(rbac_api, "GET", f"{RBAC}/clusterroles/cluster-admin")
    assert status == 200
    assert roles["metadata"]["labels"] == {"kubernetes.io/bootstrapping": "rbac-defaults"}
    assert roles["metadata"]["annotations"] == {"rbac.authorization.kubernetes.io/autoupdate": "true"}
    status, view = await call(rbac_api, "GET", f"{RBAC}/clusterroles/view")
    assert view["aggregationRule"] == {"clusterRoleSelectors": [
        {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}]}
    status, crb = await call(rbac_api, "GET", f"{RBAC}/clusterrolebindings/cluster-admin")
    assert crb["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]


async def test_forbidden_until_bound(rbac_api: APIServer) -> None:
    status, out = await call(rbac_api, "GET", "/api/v1/namespaces/default/pods", user="alice")
    assert status == 403
    assert out["reason"] == "Forbidden"
    assert out["message"] == ('pods is forbidden: User "alice" cannot list resource "pods" in API group "" '
                              'in the namespace "default"')
    assert out["details"] == {"kind": "pods"}
    status, out = await call(rbac_api, "GET", "/apis/apps/v1/namespaces/default/deployments/web", user="alice")
    assert out["message"] == ('deployments.apps "web" is forbidden: User "alice" cannot get resource "deployments" '
                              'in API group "apps" in the namespace "default"')
    status, out = await call(rbac_api, "GET", "/api/v1/nodes", user="alice")
    assert out["message"].endswith('cannot list resource "nodes" in API group "" at the cluster scope')
    # A role that does not exist is named in the reason.
    await bind(rbac_api, "default", "ghost", "no-such-role", "alice")
    await eventually(lambda: rbac_api.authz.index.bindings.get(("default", "ghost")) is not None)
    status, out = await call(rbac_api, "GET", "/api/v1/namespaces/default/pods", user="alice")
    assert out["message"].endswith(': RBAC: clusterrole.rbac.authorization.k8s.io "no-such-role" not found')
    await bind(rbac_api, "default", "alice-view", "view", "alice")
    await allowed_eventually(rbac_api, "GET", "/api/v1/namespaces/default/pods", "alice")
    # view in default only: not in other namespaces, no writes, no secrets.
    status, _ = await call(rbac_api, "GET", "/api/v1/namespaces/kube-system/pods", user="alice")
    assert status == 403
    status, _ = await call(rbac_api, "POST", "/api/v1/namespaces/default/configmaps",
                           {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}, user="alice")
    assert status == 403
    status, _ = await call(rbac_api, "GET", "/api/v1/namespaces/default/secrets", user="alice")
    assert status == 403
    # Watches are authorized as watch.
    status, out = await call(rbac_api, "GET", "/api/v1/namespaces/kube-system/pods?watch=1", user="alice")
    assert status == 403 and "cannot watch" in out["message"]


async def test_non_resource_urls(rbac_api: APIServer) -> None:
    status, _ = await call(rbac_api, "GET", "/version", user="bob")
    assert status == 200  # system:public-info-viewer
    status, _ = await call(rbac_api, "GET", "/apis", user="bob")
    assert status == 200  # system:discovery
    status, out = await call(rbac_api, "GET", "/metrics", user="bob")
    assert status == 403
    assert out["message"] == 'forbidden: User "bob" cannot get path "/metrics"'
    assert out["details"] == {}
    status, _ = await call(rbac_api, "GET", "/metrics", user="carol", groups="system:monitoring")
    assert status == 200
    status, out = await call(rbac_api, "GET", "/version", user="dave", groups="system:masters")
    assert status == 200


async def test_resource_names_and_subresources(rbac_api: APIServer) -> None:
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "one-cm"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["allowed"],
                       "verbs": ["get"]},
                      {"apiGroups": [""], "resources": ["*/status"], "verbs": ["get"]}]}
    status, out = await call(rbac_api, "POST", f"{RBAC}/namespaces/default/roles", role)
    assert status == 201, out
    for name in ("allowed", "other"):
        status, _ = await call(rbac_api, "POST", "/api/v1/namespaces/default/configmaps",
                               {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}})
        assert status == 201
    await bind(rbac_api, "default", "erin-one", "one-cm", "erin", kind="Role")
    await allowed_eventually(rbac_api, "GET", "/api/v1/namespaces/default/configmaps/allowed", "erin")
    status, _ = await call(rbac_api, "GET", "/api/v1/namespaces/default/configmaps/other", user="erin")
    assert status == 403
    status, _ = await call(rbac_api, "GET", "/api/v1/namespaces/default/configmaps", user="erin")
    assert status == 403  # resourceNames never grant a list


async def test_escalation_is_refused(rbac_api: APIServer) -> None:
    # frank may edit in "default" and create rolebindings there (edit has none of rbac's verbs).
    await bind(rbac_api, "default", "frank-edit", "edit", "frank")
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "binder"},
            "rules": [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"],
                       "verbs": ["create"]}]}
    assert (await call(rbac_api, "POST", f"{RBAC}/namespaces/default/roles", role))[0] == 201
    await bind(rbac_api, "default", "frank-binder", "binder", "frank", kind="Role")
    await allowed_eventually(rbac_api, "GET", "/api/v1/namespaces/default/pods", "frank")
    await eventually(lambda: ("default", "frank-binder") in rbac_api.authz.index.bindings)
    status, out = await call(rbac_api, "POST", f"{RBAC}/namespaces/default/rolebindings",
                             binding("frank-admin", "admin", "frank"), user="frank")
    assert status == 403, out
    assert out["message"].startswith(
        'rolebindings.rbac.authorization.k8s.io "frank-admin" is forbidden: user "frank" '
        '(groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n')
    assert '{APIGroups:["rbac.authorization.k8s.io"], Resources:["roles"], Verbs:["create" "delete"' in out["message"]
    status, out = await call(rbac_api, "POST", f"{RBAC}/namespaces/default/rolebindings",
                             binding("frank-view", "view", "frank"), user="frank")
    assert status == 201, out
    # A role with more than frank holds is refused; with `escalate` it would not be.
    status, out = await call(rbac_api, "POST", f"{RBAC}/namespaces/default/roles", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "x"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}, user="frank")
    assert status == 403  # frank may not create roles at all


async def test_access_reviews(rbac_api: APIServer) -> None:
    await bind(rbac_api, "default", "gina-view", "view", "gina")
    await allowed_eventually(rbac_api, "GET", "/api/v1/namespaces/default/pods", "gina")
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
              "spec": {"resourceAttributes": {"namespace": "default", "verb": "list", "resource": "pods"}}}
    status, out = await call(rbac_api, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                             review, user="gina")
    assert status == 201, out
    assert out["status"]["allowed"] is True
    assert out["status"]["reason"] == ('RBAC: allowed by RoleBinding "gina-view/default" of ClusterRole "view" '
                                       'to User "gina"')
    review["spec"]["resourceAttributes"]["verb"] = "delete"
    status, out = await call(rbac_api, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                             review, user="gina")
    assert out["status"] == {"allowed": False}
    sar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
           "spec": {"user": "gina", "resourceAttributes": {"namespace": "default", "verb": "get", "resource": "pods"}}}
    status, out = await call(rbac_api, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar)
    assert status == 201 and out["status"]["allowed"] is True
    status, out = await call(rbac_api, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar,
                             user="gina")
    assert status == 403  # gina may not review others
    rules = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview",
             "spec": {"namespace": "default"}}
    status, out = await call(rbac_api, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                             rules, user="gina")
    assert status == 201, out
    assert {"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["namespaces"]} in \
        out["status"]["resourceRules"]
    assert out["status"]["incomplete"] is False


async def test_aggregation_fills_rules(rbac_api: APIServer) -> None:
    status, view = await call(rbac_api, "GET", f"{RBAC}/clusterroles/view")
    assert status == 200
    assert view.get("rules")  # system:aggregate-to-view's rules, aggregated
    status, out = await call(rbac_api, "POST", f"{RBAC}/clusterroles", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "widgets-view", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
        "rules": [{"apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["get"]}]})
    assert status == 201, out

    async def aggregated() -> bool:
        _, view = await call(rbac_api, "GET", f"{RBAC}/clusterroles/view")
        assert {"apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["get"]} in view["rules"]
        return True
    await eventually(aggregated)
