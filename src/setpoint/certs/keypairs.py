"""Reading the key pairs Secrets hold (``tls.crt``, ``tls.key``): CA Secrets for the CA issuer,
private key Secrets for the self-signed one."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from cryptography import x509

from setpoint.certs import pki
from setpoint.certs.names import TLS_CERT, TLS_KEY


def secret_bytes(secret: Mapping[str, Any], key: str) -> bytes:
    """A Secret's ``data[key]`` decoded (``b""`` when absent)."""
    value = (secret.get("data") or {}).get(key)
    return base64.b64decode(value) if value else b""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def ca_key_pair(secret: Mapping[str, Any]) -> tuple[list[x509.Certificate], pki.PrivateKey]:
    """The CA chain (signing certificate first) and key of a CA Secret; :class:`~setpoint.certs.pki.InvalidData`
    with cert-manager's words when they are missing, do not parse, do not match or are no CA."""
    cert_pem, key_pem = secret_bytes(secret, TLS_CERT), secret_bytes(secret, TLS_KEY)
    if not cert_pem:
        raise pki.InvalidData(f"no data for {TLS_CERT!r} in secret '{_ref(secret)}'")
    if not key_pem:
        raise pki.InvalidData(f"no data for {TLS_KEY!r} in secret '{_ref(secret)}'")
    certs = pki.load_certs(cert_pem)
    key = pki.load_key(key_pem)
    if not pki.public_key_matches(key, certs[0]):
        raise pki.InvalidData("the private key does not match the certificate")
    if not pki.is_ca(certs[0]):
        raise pki.InvalidData("certificate is not a CA")
    return certs, key


def _ref(secret: Mapping[str, Any]) -> str:
    meta = secret.get("metadata") or {}
    return f"{meta.get('namespace')}/{meta.get('name')}"
