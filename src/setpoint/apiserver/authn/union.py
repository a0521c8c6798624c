"""The request authenticator: client certificates, then bearer tokens, then anonymous.

As kube-apiserver's chain (``pkg/kubeapiserver/authenticator/config.go``): the request
authenticators (x509 client certificates) are tried first, then the ``Authorization: Bearer``
token against each token authenticator (the static token file, ServiceAccount tokens).
Every authenticated user is in ``system:authenticated``. A request that bears a token nobody
accepts is refused (401), also on public paths and with anonymous requests enabled. A request
without credentials is ``system:anonymous`` (group ``system:unauthenticated``) when anonymous
requests are enabled, or on the public health and version paths (as kube's anonymous
authenticator conditions ``/healthz``, ``/livez``, ``/readyz``); otherwise it is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from setpoint.apiserver.authn.serviceaccount import ServiceAccountTokens, TokenError
from setpoint.apiserver.registry.admission import Authenticator, UserInfo

if TYPE_CHECKING:
    from setpoint.apiserver.http import Request

__all__ = ["ANONYMOUS", "PUBLIC_PATHS", "TokenAuthenticator", "UnionAuthenticator", "bearer_token"]

AUTHENTICATED = "system:authenticated"
ANONYMOUS = UserInfo("system:anonymous", ("system:unauthenticated",))
#: Paths anyone may ask without credentials (and their sub-paths).
PUBLIC_PATHS = ("/healthz", "/livez", "/readyz", "/version")
_PUBLIC_PREFIXES = tuple(p + "/" for p in PUBLIC_PATHS)
INVALID_TOKEN = "invalid bearer token"


class TokenAuthenticator(Protocol):
    def authenticate_token(self, token: str) -> UserInfo | None:
        """The user of ``token``, or None if this authenticator does not know it."""
        ...


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (kube's ``bearertoken``), else None."""
    auth = request.headers.get("authorization")
    if not auth:
        return None
    parts = auth.strip().split(" ", 2)
    if len(parts) < 2 or parts[0].lower() != "bearer" or not parts[1]:
        return None
    return parts[1]


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(_PUBLIC_PREFIXES)


class UnionAuthenticator:
    """x509 first, then bearer tokens, then (where allowed) anonymous: kube's order."""

    def __init__(self, authenticators: Sequence[Authenticator] = (), tokens: Sequence[TokenAuthenticator] = (),
                 service_accounts: ServiceAccountTokens | None = None, *, anonymous: bool = False) -> None:
        #: Request authenticators tried before tokens (client certificates).
        self.authenticators = list(authenticators)
        #: Token authenticators (static tokens), tried before ServiceAccount tokens.
        self.tokens = list(tokens)
        self.service_accounts = service_accounts
        #: Whether a request without credentials is ``system:anonymous`` on every path.
        self.anonymous = anonymous

    def authenticate(self, request: Request) -> UserInfo | None:
        for authenticator in self.authenticators:
            user = authenticator.authenticate(request)
            if user is not None:
                if AUTHENTICATED not in user.groups:
                    user = UserInfo(user.name, (*user.groups, AUTHENTICATED), user.uid, user.extra)
                return user
        token = bearer_token(request)
        if token is not None:
            return self.authenticate_token(token)[0]
        if self.anonymous or is_public(request.path):
            return ANONYMOUS
        return None

    def authenticate_token(self, token: str, audiences: tuple[str, ...] | None = None
                           ) -> tuple[UserInfo | None, list[str], str]:
        """(user or None, audiences accepted, error): a bearer token checked by each token authenticator."""
        for authenticator in self.tokens:
            user = authenticator.authenticate_token(token)
            if user is not None:
                return user, list(audiences or ()), ""
        if self.service_accounts is not None:
            try:
                result = self.service_accounts.authenticate_token(token, audiences)
            except TokenError as exc:
                return None, [], f"[{INVALID_TOKEN}, {exc}]"
            if result is not None:
                return result[0], result[1], ""
        return None, [], INVALID_TOKEN
