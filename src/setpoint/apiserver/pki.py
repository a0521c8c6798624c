"""The cluster's certificates: a CA, the serving certificate, the admin's client certificate.

kube-apiserver's clients trust its serving certificate through a CA that every namespace
publishes as the ``kube-root-ca.crt`` ConfigMap. setpoint makes a self-signed CA the first
time a data directory is used (``DIR/pki/ca.crt``, ``DIR/pki/ca.key``, the key readable by
its owner only) and loads the same one on every later start, so what was published stays
valid; without a data directory (tests, memory storage) the CA lives as long as the process.

The same CA signs the API server's serving certificate (``DIR/pki/apiserver.crt``, re-issued
when the names it must carry change) and the administrator's client certificate that the
kubeconfig embeds (``DIR/pki/admin.crt``: CN ``kubernetes-admin``, O ``system:masters``, as
kubeadm's ``super-admin.conf``); a certificate no longer signed by the CA, expired or close to
it is issued anew. Every key is ECDSA P-256: made in a millisecond, where an RSA key takes tens.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: The CA's subject common name.
CA_NAME = "setpoint-ca"
#: How long a new CA is valid (kubeadm gives its CA ten years).
CA_VALIDITY = datetime.timedelta(days=3650)
#: How long a serving or client certificate is valid (kubeadm: one year).
CERT_VALIDITY = datetime.timedelta(days=365)
#: A certificate this close to its end is issued anew at start.
RENEW_BEFORE = datetime.timedelta(days=30)
#: The names every serving certificate carries (kube-apiserver's self-signed one has the
#: ``kubernetes`` Service's names too).
DEFAULT_SANS = ("localhost", "127.0.0.1", "::1", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local")
#: The administrator of the kubeconfig ``setpoint up`` writes: kubeadm's name, the superuser group.
ADMIN_USER = "kubernetes-admin"
ADMIN_GROUPS = ("system:masters",)


@dataclass(frozen=True)
class CertificateAuthority:
    """A CA certificate and its private key, both PEM."""

    cert_pem: bytes
    key_pem: bytes


@dataclass(frozen=True)
class KeyPair:
    """A certificate and its private key, both PEM."""

    cert_pem: bytes
    key_pem: bytes


@dataclass(frozen=True)
class ClusterPKI:
    """What ``setpoint up`` serves and hands out: the CA, the serving pair, the admin's pair."""

    ca: CertificateAuthority
    serving: KeyPair
    admin: KeyPair


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
    return CertificateAuthority(cert_pem=cert.public_bytes(serialization.Encoding.PEM), key_pem=_pem_key(key))


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def split_sans(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) of ``names``, each kept once in its first place; IPs normalized."""
    dns: list[str] = []
    ips: list[str] = []
    for name in names:
        try:
            ip = str(ipaddress.ip_address(name.strip("[]")))
        except ValueError:
            if name and name not in dns:
                dns.append(name)
            continue
        if ip not in ips:
            ips.append(ip)
    return dns, ips


def issue(ca: CertificateAuthority, common_name: str, *, organizations: Iterable[str] = (),
          sans: Iterable[str] = (), server: bool = False, client: bool = False,
          validity: datetime.timedelta = CERT_VALIDITY) -> KeyPair:
    """A new key and a certificate for it signed by ``ca``: for serving (``server``, with
    ``sans`` as DNS and IP subject alternative names) and/or client authentication."""
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key = serialization.load_pem_private_key(ca.key_pem, password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError("the CA key is not an ECDSA key")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([*(x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations),
                         x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    usages = ([ExtendedKeyUsageOID.SERVER_AUTH] if server else []) + ([ExtendedKeyUsageOID.CLIENT_AUTH] if client
                                                                       else [])
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(ca_cert.subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(min(now + validity, ca_cert.not_valid_after_utc))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, key_cert_sign=False,
                                            crl_sign=False, content_commitment=False, data_encipherment=False,
                                            key_agreement=False, encipher_only=False, decipher_only=False),
                              critical=True)
               .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                              critical=False))
    if server:
        dns, ips = split_sans(sans)
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [*(x509.DNSName(d) for d in dns), *(x509.IPAddress(ipaddress.ip_address(i)) for i in ips)]),
            critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _pem_key(key))


def certificate_sans(cert_pem: bytes) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) a PEM certificate is valid for."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return (list(san.get_values_for_type(x509.DNSName)),
            [str(ip) for ip in san.get_values_for_type(x509.IPAddress)])


def load_or_create(directory: Path | None, sans: Iterable[str] = ()) -> ClusterPKI:
    """The CA, serving and admin pairs of ``directory/pki``, each made (or re-issued) when
    missing, not signed by the CA, close to expiry or -- the serving one -- not carrying
    exactly :data:`DEFAULT_SANS` and ``sans``. Fresh ones, kept nowhere, when ``directory``
    is None."""
    names = [*DEFAULT_SANS, *sans]
    ca = load_or_create_ca(directory)
    if directory is None:
        return ClusterPKI(ca, issue(ca, "kube-apiserver", sans=names, server=True),
                          issue(ca, ADMIN_USER, organizations=ADMIN_GROUPS, client=True))
    pki = directory / "pki"
    want = tuple(sorted(x) for x in split_sans(names))
    serving = _load_or_issue(ca, pki / "apiserver", lambda pem: tuple(sorted(x) for x in certificate_sans(pem)) == want,
                             lambda: issue(ca, "kube-apiserver", sans=names, server=True))
    admin = _load_or_issue(ca, pki / "admin", lambda pem: True,
                           lambda: issue(ca, ADMIN_USER, organizations=ADMIN_GROUPS, client=True))
    return ClusterPKI(ca, serving, admin)


def _load_or_issue(ca: CertificateAuthority, base: Path, fits: Callable[[bytes], bool],
                   make: Callable[[], KeyPair]) -> KeyPair:
    cert_path, key_path = base.with_suffix(".crt"), base.with_suffix(".key")
    if cert_path.exists() and key_path.exists():
        pair = KeyPair(cert_path.read_bytes(), key_path.read_bytes())
        if _still_good(ca, pair) and fits(pair.cert_pem):
            return pair
    pair = make()
    _write(key_path, pair.key_pem, 0o600)
    _write(cert_path, pair.cert_pem, 0o644)
    return pair


def _still_good(ca: CertificateAuthority, pair: KeyPair) -> bool:
    """Whether ``pair`` is a readable certificate and key of each other, signed by ``ca`` and
    valid for more than :data:`RENEW_BEFORE`."""
    try:
        cert = x509.load_pem_x509_certificate(pair.cert_pem)
        key = serialization.load_pem_private_key(pair.key_pem, password=None)
        cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca.cert_pem))
    except (ValueError, TypeError, InvalidSignature):
        return False
    if key.public_key() != cert.public_key():
        return False
    return cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC) > RENEW_BEFORE


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
