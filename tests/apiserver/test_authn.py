"""Authentication in-process: 401s, static tokens, ServiceAccount tokens, impersonation, reviews."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from setpoint import storage
from setpoint.apiserver.authn.authentication import Authentication
from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.registry.admission import Attributes
from setpoint.apiserver.server import APIServer
from setpoint.testing import eventually

Obj = dict[str, Any]
SSR = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
TOKEN = "/api/v1/namespaces/default/serviceaccounts/{}/token"


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


class OnlyAdminsImpersonate:
    """A small authorizer: everything, but only system:masters may impersonate."""

    def authorize(self, attrs: Attributes) -> tuple[bool, str]:
        if attrs.verb == "impersonate" and "system:masters" not in attrs.user.groups:
            return False, ""
        return True, ""


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[APIServer, Clock, str]]:
    tokens = tmp_path / "tokens.csv"
    tokens.write_text('jane-token,jane,1001,"devs,ops"\n')
    clock = Clock()
    authentication = Authentication(data_dir=tmp_path, token_file=tokens, now=clock)
    store = await storage.open_storage("memory://", compact_interval=0)
    server = APIServer(store, authentication=authentication, authorizer=OnlyAdminsImpersonate())
    await server.start("127.0.0.1", 0)
    try:
        yield server, clock, authentication.admin_token
    finally:
        await server.stop()
        await store.close()


async def call(api: APIServer, method: str, path: str, body: Any = None, *, token: str | None = None,
               headers: dict[str, str] | None = None) -> tuple[int, Obj]:
    hdrs = {"content-type": "application/json", **(headers or {})}
    if token is not None:
        hdrs["authorization"] = f"Bearer {token}"
    raw = b"" if body is None else orjson.dumps(body)
    response = await api.handle(Request(method, path, headers=hdrs, body=raw))
    assert isinstance(response, Response)
    try:
        return response.status, orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return response.status, {"text": response.body.decode()}


async def whoami(api: APIServer, token: str, **kw: Any) -> tuple[int, Obj]:
    return await call(api, "POST", SSR, {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1"},
                      token=token, **kw)


async def test_anonymous_requests_are_401_except_public_paths(setup: tuple[APIServer, Clock, str]) -> None:
    api, _, _ = setup
    status, body = await call(api, "GET", "/api/v1/namespaces")
    assert (status, body["reason"], body["message"], body["kind"]) == (401, "Unauthorized", "Unauthorized", "Status")
    for path in ("/healthz", "/livez", "/readyz", "/version", "/readyz/ping"):
        assert (await call(api, "GET", path))[0] == 200, path
    assert (await call(api, "GET", "/api"))[0] == 401
    # A bad token is refused also on a public path.
    assert (await call(api, "GET", "/healthz", token="nope"))[0] == 401


async def test_token_file_user(setup: tuple[APIServer, Clock, str]) -> None:
    api, _, admin = setup
    status, body = await whoami(api, "jane-token")
    assert status == 201
    assert body["status"]["userInfo"] == {"username": "jane", "uid": "1001",
                                          "groups": ["devs", "ops", "system:authenticated"]}
    _, body = await whoami(api, admin)
    assert body["status"]["userInfo"]["username"] == "system:admin"


async def test_service_account_token_lifecycle(setup: tuple[APIServer, Clock, str]) -> None:
    api, clock, admin = setup
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}}
    status, created = await call(api, "POST", "/api/v1/namespaces/default/serviceaccounts", sa, token=admin)
    assert status == 201
    status, tr = await call(api, "POST", TOKEN.format("robot"), {"spec": {"expirationSeconds": 600}}, token=admin)
    assert status == 201, tr
    token = tr["status"]["token"]
    claims = orjson.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["iss"] == claims["aud"][0] == "https://kubernetes.default.svc.cluster.local"
    assert claims["sub"] == "system:serviceaccount:default:robot"
    assert claims["exp"] - claims["iat"] == 600 and claims["nbf"] == claims["iat"]
    assert claims["kubernetes.io"]["serviceaccount"] == {"name": "robot", "uid": created["metadata"]["uid"]}
    status, body = await whoami(api, token)
    assert status == 201
    info = body["status"]["userInfo"]
    assert info["username"] == "system:serviceaccount:default:robot"
    assert info["groups"] == ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"]
    assert info["uid"] == created["metadata"]["uid"]
    assert info["extra"] == {"authentication.kubernetes.io/credential-id": [f"JTI={claims['jti']}"]}
    # Valid until exp (plus go-jose's minute of leeway), refused after.
    clock.t = claims["exp"] + 59
    assert (await whoami(api, token))[0] == 201
    clock.t = claims["exp"] + 61
    assert (await whoami(api, token))[0] == 401
    status, review = await call(api, "POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                                {"spec": {"token": token}}, token=admin)
    assert status == 201
    assert review["status"] == {"authenticated": False,
                                "error": "[invalid bearer token, service account token has expired]"}
    # A fresh token stops working as soon as its ServiceAccount is deleted.
    clock.t = claims["exp"]
    _, tr = await call(api, "POST", TOKEN.format("robot"), {"spec": {}}, token=admin)
    token = tr["status"]["token"]
    assert tr["spec"]["expirationSeconds"] == 3600
    assert (await whoami(api, token))[0] == 201
    assert (await call(api, "DELETE", "/api/v1/namespaces/default/serviceaccounts/robot", token=admin))[0] == 200
    # (as soon as the watch cache has seen the delete: milliseconds, as kube's informer-backed lookup)
    await eventually(lambda: _refused(api, token), timeout=1.0)


async def _refused(api: APIServer, token: str) -> bool:
    return (await whoami(api, token))[0] == 401


async def test_token_request_refusals(setup: tuple[APIServer, Clock, str]) -> None:
    api, _, admin = setup
    await call(api, "POST", "/api/v1/namespaces/default/serviceaccounts",
               {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}}, token=admin)
    status, body = await call(api, "POST", TOKEN.format("robot"), {"spec": {"expirationSeconds": 300}}, token=admin)
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["message"] == ('TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: '
                               "Invalid value: 300: may not specify a duration less than 10 minutes")
    status, body = await call(api, "POST", TOKEN.format("ghost"), {"spec": {}}, token=admin)
    assert (status, body["message"]) == (404, 'serviceaccounts "ghost" not found')
    # A token for another audience does not authenticate to the API server.
    _, tr = await call(api, "POST", TOKEN.format("robot"), {"spec": {"audiences": ["vault"]}}, token=admin)
    assert (await whoami(api, tr["status"]["token"]))[0] == 401


async def test_impersonation(setup: tuple[APIServer, Clock, str]) -> None:
    api, _, admin = setup
    status, body = await whoami(api, admin, headers={"impersonate-user": "bob", "impersonate-group": "a, b"})
    assert status == 201
    assert body["status"]["userInfo"] == {"username": "bob", "groups": ["a", "b", "system:authenticated"]}
    _, body = await whoami(api, admin, headers={"impersonate-user": "system:serviceaccount:ns1:x"})
    assert body["status"]["userInfo"]["groups"] == ["system:serviceaccounts", "system:serviceaccounts:ns1",
                                                    "system:authenticated"]
    status, body = await whoami(api, "jane-token", headers={"impersonate-user": "bob"})
    assert (status, body["reason"]) == (403, "Forbidden")
    assert body["message"] == ('users "bob" is forbidden: User "jane" cannot impersonate resource "users" in '
                               'API group "" at the cluster scope')
    status, body = await whoami(api, admin, headers={"impersonate-group": "a"})
    assert status == 500
    assert body["message"] == "Internal error occurred: requested [{Group  a    }] without impersonating a user"
