"""Client-certificate authentication: kube-apiserver's x509 authenticator.

The TLS handshake has already verified the chain against the client CAs (``--client-ca-file``
and the cluster CA), and a certificate no client CA signed never gets this far. What is left is
kube's ``CommonNameUserConversion``: the subject's CN is the user name (an empty CN authenticates
nobody), its O values are the groups, and ``system:authenticated`` is added. As kube 1.31+, the
user's extra ``authentication.kubernetes.io/credential-id`` names the certificate
(``X509SHA256=<hex SHA-256 of its DER>``).

A connection's certificate is read once, when it is made, and shared by its requests; the user
built from it is cached by the certificate's bytes, so a request costs a dict lookup and a
clock read (a certificate that expires while its connection is open stops authenticating).
"""

from __future__ import annotations

import hashlib
import ssl
import time
from typing import TYPE_CHECKING, Any

from setpoint.apiserver.registry.admission import UserInfo

if TYPE_CHECKING:
    from setpoint.apiserver.http import PeerCertificate, Request

__all__ = ["CREDENTIAL_ID", "X509Authenticator", "user_of"]

#: The user-info extra key naming the credential (kube's ``user.CredentialIDKey``).
CREDENTIAL_ID = "authentication.kubernetes.io/credential-id"
AUTHENTICATED = "system:authenticated"
#: Certificates whose users are remembered at most (a bigger set starts again empty).
_CACHE_SIZE = 4096


def user_of(cert: PeerCertificate) -> UserInfo | None:
    """The user a verified certificate names, or None (an empty common name names nobody)."""
    common_name = ""
    organizations: list[str] = []
    for rdn in cert.decoded.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                common_name = value  # as Go's pkix.Name: the last CN wins
            elif key == "organizationName":
                organizations.append(value)
    if not common_name:
        return None
    groups = organizations if AUTHENTICATED in organizations else [*organizations, AUTHENTICATED]
    return UserInfo(common_name, tuple(groups),
                    extra={CREDENTIAL_ID: ["X509SHA256=" + hashlib.sha256(cert.der).hexdigest()]})


def _not_after(decoded: dict[str, Any]) -> float:
    value = decoded.get("notAfter")
    return ssl.cert_time_to_seconds(value) if isinstance(value, str) else 0.0


class X509Authenticator:
    """Authenticates requests whose connection presented a client certificate; others are not
    its business (``None``: the next authenticator decides)."""

    def __init__(self) -> None:
        self._users: dict[bytes, tuple[UserInfo | None, float]] = {}

    def authenticate(self, request: Request) -> UserInfo | None:
        cert = request.peer_certificate
        if cert is None:
            return None
        cached = self._users.get(cert.der)
        if cached is None:
            if len(self._users) >= _CACHE_SIZE:
                self._users.clear()
            cached = self._users[cert.der] = (user_of(cert), _not_after(cert.decoded))
        user, not_after = cached
        if user is None or time.time() >= not_after:
            return None
        return user
