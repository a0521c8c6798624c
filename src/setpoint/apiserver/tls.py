"""The API server's TLS: which certificate it serves and whose client certificates it asks for.

:class:`TLSOptions` holds what ``setpoint up``'s flags say (``--tls-san``, ``--tls-cert-file``/
``--tls-private-key-file``, ``--client-ca-file``); :func:`server_context` turns a serving pair
and the client CAs into the one :class:`ssl.SSLContext` every connection uses: TLS 1.2 or
newer, ALPN ``http/1.1`` (the server speaks HTTP/1.1 only), and a client certificate
*requested*, not required (``CERT_OPTIONAL``) -- a client without one authenticates otherwise,
one with a certificate no client CA signed fails the handshake.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from setpoint.apiserver.pki import KeyPair

__all__ = ["TLSError", "TLSOptions", "client_context", "load_cas", "load_pair", "server_context", "trust_bundle"]


class TLSError(ValueError):
    """A certificate, key or CA file that cannot be served."""


@dataclass(frozen=True)
class TLSOptions:
    """How to serve TLS: more names for the generated serving certificate, or the user's own
    certificate and key; a CA file whose client certificates are accepted besides the cluster CA's."""

    sans: tuple[str, ...] = ()
    cert_file: Path | None = None
    key_file: Path | None = None
    client_ca_file: Path | None = None


def load_pair(cert_file: Path, key_file: Path) -> KeyPair:
    """The user's serving certificate (a PEM chain, leaf first) and key; :class:`TLSError` if
    either is unreadable or they do not belong together."""
    try:
        cert_pem, key_pem = cert_file.read_bytes(), key_file.read_bytes()
    except OSError as e:
        raise TLSError(f"cannot read {e.filename}: {e.strerror}") from None
    try:
        leaf = x509.load_pem_x509_certificates(cert_pem)[0]
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as e:
        raise TLSError(f"{cert_file} / {key_file}: {e}") from None
    if key.public_key() != leaf.public_key():
        raise TLSError(f"the private key {key_file} does not match the certificate {cert_file}")
    return KeyPair(cert_pem, key_pem)


def load_cas(ca_file: Path) -> bytes:
    """The CA certificates of a PEM file (``--client-ca-file``); :class:`TLSError` if there are none."""
    try:
        pem = ca_file.read_bytes()
    except OSError as e:
        raise TLSError(f"cannot read {e.filename}: {e.strerror}") from None
    try:
        x509.load_pem_x509_certificates(pem)
    except ValueError as e:
        raise TLSError(f"{ca_file}: no PEM certificates ({e})") from None
    return pem


def trust_bundle(ca_pem: bytes, serving_cert_pem: bytes) -> bytes:
    """What a client must trust to verify ``serving_cert_pem``: the cluster CA, plus the CA
    certificates that come after the leaf in a chain file and a self-signed leaf itself."""
    certs = x509.load_pem_x509_certificates(serving_cert_pem)
    extra = certs[1:] if certs[0].issuer != certs[0].subject else certs
    pem = ca_pem
    for cert in extra:
        block = cert.public_bytes(serialization.Encoding.PEM)
        if block not in pem:
            pem += block
    return pem


def _load_chain(ctx: ssl.SSLContext, pair: KeyPair) -> None:
    # The ssl module loads a certificate chain from files only: a private file, gone at once.
    fd, name = tempfile.mkstemp(prefix="setpoint-tls-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pair.cert_pem + b"\n" + pair.key_pem)
        ctx.load_cert_chain(name)
    finally:
        os.unlink(name)


def server_context(serving: KeyPair, client_cas: bytes) -> ssl.SSLContext:
    """The serving context: ``serving``'s chain, client certificates requested and verified
    against ``client_cas`` (PEM, one or more CA certificates)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_chain(ctx, serving)
    ctx.load_verify_locations(cadata=client_cas.decode("ascii"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def client_context(ca_pem: bytes, client: KeyPair | None = None) -> ssl.SSLContext:
    """A client's context: trusts ``ca_pem`` only (hostnames checked), presents ``client``."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=ca_pem.decode("ascii"))
    if client is not None:
        _load_chain(ctx, client)
    return ctx
