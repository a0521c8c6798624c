"""The cluster's certificate authority: made once per data directory, kept there.

kube-apiserver's clients trust its serving certificate through a CA that every namespace
publishes as the ``kube-root-ca.crt`` ConfigMap. setpoint makes a self-signed CA the first
time a data directory is used (``DIR/pki/ca.crt``, ``DIR/pki/ca.key``, the key readable by
its owner only) and loads the same one on every later start, so what was published stays
valid; without a data directory (tests, memory storage) the CA lives as long as the process.

The key is ECDSA P-256: made in a millisecond, where an RSA key takes tens.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

#: The CA's subject common name.
CA_NAME = "setpoint-ca"
#: How long a new CA is valid (kubeadm gives its CA ten years).
CA_VALIDITY = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class CertificateAuthority:
    """A CA certificate and its private key, both PEM."""

    cert_pem: bytes
    key_pem: bytes


def generate_ca(name: str = CA_NAME) -> CertificateAuthority:
    """A new self-signed CA (``CA:TRUE``, may sign certificates and CRLs)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return CertificateAuthority(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def load_or_create_ca(directory: Path | None) -> CertificateAuthority:
    """The CA kept in ``directory/pki`` (made and written there the first time); a fresh one
    when ``directory`` is None. A CA file that is there but unreadable or not a certificate
    raises :class:`ValueError` rather than being silently replaced."""
    if directory is None:
        return generate_ca()
    pki = directory / "pki"
    cert_path, key_path = pki / "ca.crt", pki / "ca.key"
    if cert_path.exists() and key_path.exists():
        ca = CertificateAuthority(cert_path.read_bytes(), key_path.read_bytes())
        try:
            x509.load_pem_x509_certificate(ca.cert_pem)
            serialization.load_pem_private_key(ca.key_pem, password=None)
        except ValueError as e:
            raise ValueError(f"the CA in {pki} is unusable: {e}") from None
        return ca
    ca = generate_ca()
    pki.mkdir(parents=True, exist_ok=True)
    _write(key_path, ca.key_pem, 0o600)
    _write(cert_path, ca.cert_pem, 0o644)
    return ca


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` atomically with ``mode`` (a crash leaves the old file or none)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
