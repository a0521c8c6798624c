"""Certificates for testing a webhook server against setpoint (or any API server).

An API server calls admission and conversion webhooks over HTTPS only, checking the webhook's
certificate against the ``caBundle`` of its configuration. :func:`make_webhook_certificates`
makes a throwaway CA and a serving certificate it signs for the names the API server will
dial (``127.0.0.1`` for a ``url``, ``NAME.NAMESPACE.svc`` for a ``service``)::

    certs = make_webhook_certificates("127.0.0.1", "webhook.default.svc")
    certs.write("/tmp/certs")          # tls.crt and tls.key, controller-runtime's CertDir layout
    ssl_context = certs.server_context()
    {"clientConfig": {"url": "https://127.0.0.1:9443/validate", "caBundle": certs.ca_bundle}}

The keys are ECDSA P-256 (made in a millisecond); the certificates are valid for a day.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class WebhookCertificates:
    """A CA and a serving certificate signed by it (PEM)."""

    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes

    @property
    def ca_bundle(self) -> str:
        """The CA as a webhook configuration's ``clientConfig.caBundle`` takes it (base64 PEM)."""
        return base64.b64encode(self.ca_pem).decode()

    def write(self, directory: str | Path) -> tuple[Path, Path]:
        """Write ``tls.crt`` and ``tls.key`` into ``directory``; their paths."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        cert, key = d / "tls.crt", d / "tls.key"
        cert.write_bytes(self.cert_pem)
        key.write_bytes(self.key_pem)
        key.chmod(0o600)
        return cert, key

    def server_context(self) -> ssl.SSLContext:
        """A server-side SSL context serving the certificate."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = self.write(tmp)
            ctx.load_cert_chain(cert, key)
        return ctx


def make_webhook_certificates(*hosts: str) -> WebhookCertificates:
    """A fresh CA and a serving certificate for ``hosts`` (IP addresses or DNS names;
    ``127.0.0.1`` and ``localhost`` when none are given)."""
    hosts = hosts or ("127.0.0.1", "localhost")
    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webhook-ca")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    names: list[x509.GeneralName] = []
    for h in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            names.append(x509.DNSName(h))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return WebhookCertificates(
        ca.public_bytes(serialization.Encoding.PEM), cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()))
