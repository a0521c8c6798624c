"""What ``setpoint up`` authenticates with, assembled once and installed on the API server.

- the ServiceAccount token signing key (``DIR/pki/sa.key``) and the tokens it signs;
- the static tokens: ``--token-auth-file``'s, and the administrator's (``DIR/pki/admin.token``,
  made at the first start, user ``system:admin`` in ``system:masters``) that the kubeconfig
  carries;
- the union authenticator (client certificates first, then bearer tokens, then anonymous);
- the ``authentication.k8s.io`` endpoints (TokenRequest, TokenReview, SelfSubjectReview).

Without a data directory, the key and the administrator's token live as long as the process.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Protocol

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.authn.endpoints import GROUP, AuthenticationAPI, resources
from setpoint.apiserver.authn.jwt import SigningKey, write_private
from setpoint.apiserver.authn.serviceaccount import ServiceAccountTokens
from setpoint.apiserver.authn.tokenfile import StaticTokens, load_token_file
from setpoint.apiserver.authn.union import UnionAuthenticator
from setpoint.apiserver.endpoints.handlers import Call
from setpoint.apiserver.http import Response, StreamingResponse
from setpoint.apiserver.registry.admission import Authenticator, UserInfo
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry

VerbHandler = Callable[[ObjectStore, Call], Awaitable[Response | StreamingResponse]]


class APIServer(Protocol):
    """What :meth:`Authentication.install` needs of the API server."""

    registry: Registry
    objects: ObjectStore
    computed_handlers: dict[tuple[str, str, str], VerbHandler]
    subresource_creates: dict[tuple[str, str, str], VerbHandler]

__all__ = ["ADMIN", "Authentication"]

#: The administrator the kubeconfig's token names.
ADMIN = UserInfo("system:admin", ("system:masters", "system:authenticated"))


def load_or_create_admin_token(directory: Path | None) -> str:
    """The administrator's token kept in ``directory/pki/admin.token`` (made the first time)."""
    if directory is None:
        return secrets.token_urlsafe(32)
    path = directory / "pki" / "admin.token"
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token
    token = secrets.token_urlsafe(32)
    write_private(path, token.encode())
    return token


class Authentication:
    """The authenticators of one server and the keys they need."""

    def __init__(self, *, data_dir: Path | None = None, token_file: Path | None = None, anonymous: bool = False,
                 authenticators: Sequence[Authenticator] = (), now: Callable[[], float] = time.time) -> None:
        self.service_accounts = ServiceAccountTokens(SigningKey.load_or_create(data_dir), now=now)
        self.static = StaticTokens(load_token_file(token_file) if token_file is not None else None)
        #: The administrator's bearer token (the kubeconfig's credential).
        self.admin_token = load_or_create_admin_token(data_dir)
        self.static.add(self.admin_token, ADMIN)
        self.union = UnionAuthenticator(authenticators, [self.static], self.service_accounts, anonymous=anonymous)

    @property
    def authenticator(self) -> Authenticator:
        return self.union

    def install(self, server: APIServer, *, authenticating: bool = True) -> None:
        """Serve TokenRequest, TokenReview and SelfSubjectReview on ``server``, and let ServiceAccount
        tokens look their objects up in its watch cache. ``authenticating``: whether ``server``
        authenticates with :attr:`union` (TokenReview reviews nothing otherwise)."""
        install_endpoints(server, self.service_accounts, self.union if authenticating else None)


def install_endpoints(server: APIServer, tokens: ServiceAccountTokens, union: UnionAuthenticator | None) -> None:
    registry, objects = server.registry, server.objects
    kinds = {plural: registry.get("", "v1", plural) for plural in ("serviceaccounts", "pods", "secrets")}

    def get(plural: str, namespace: str, name: str) -> Obj | None:
        resource = kinds[plural]
        assert resource is not None
        cached = objects.cacher(resource).get(resource.key(namespace, name))
        return None if cached is None else cached.obj

    tokens.get = get
    api = AuthenticationAPI(registry, objects, tokens, union)
    for resource in resources():
        registry.add(resource)
    server.computed_handlers[(GROUP, "tokenreviews", "create")] = api.token_review
    server.computed_handlers[(GROUP, "selfsubjectreviews", "create")] = api.self_subject_review
    server.subresource_creates[("", "serviceaccounts", "token")] = api.token_request
