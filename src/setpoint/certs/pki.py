"""The cryptography of the certificate controllers, all through ``cryptography``: private keys,
CSRs from a Certificate's spec, signing a CSR as cert-manager's CA and self-signed issuers do
(``pkg/util/pki``), and reading back what a Secret holds.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    NameOID,
    ObjectIdentifier,
)

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

#: cert-manager's ``DefaultKeyUsages``.
DEFAULT_USAGES = ("digital signature", "key encipherment")
RSA_SIZES = (2048, 4096, 8192)
EC_CURVES: dict[int, ec.EllipticCurve] = {256: ec.SECP256R1(), 384: ec.SECP384R1(), 521: ec.SECP521R1()}

_KEY_USAGES = {"signing": "digital_signature", "digital signature": "digital_signature",
               "content commitment": "content_commitment", "key encipherment": "key_encipherment",
               "key agreement": "key_agreement", "data encipherment": "data_encipherment",
               "cert sign": "key_cert_sign", "crl sign": "crl_sign", "encipher only": "encipher_only",
               "decipher only": "decipher_only"}
_EXT_USAGES = {"any": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE, "server auth": ExtendedKeyUsageOID.SERVER_AUTH,
               "client auth": ExtendedKeyUsageOID.CLIENT_AUTH, "code signing": ExtendedKeyUsageOID.CODE_SIGNING,
               "email protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
               "s/mime": ExtendedKeyUsageOID.EMAIL_PROTECTION,
               "ipsec end system": ObjectIdentifier("1.3.6.1.5.5.7.3.5"),
               "ipsec tunnel": ObjectIdentifier("1.3.6.1.5.5.7.3.6"),
               "ipsec user": ObjectIdentifier("1.3.6.1.5.5.7.3.7"),
               "timestamping": ExtendedKeyUsageOID.TIME_STAMPING, "ocsp signing": ExtendedKeyUsageOID.OCSP_SIGNING,
               "microsoft sgc": ObjectIdentifier("1.3.6.1.4.1.311.10.3.3"),
               "netscape sgc": ObjectIdentifier("2.16.840.1.113730.4.1")}
_SUBJECT = (("countries", NameOID.COUNTRY_NAME), ("organizations", NameOID.ORGANIZATION_NAME),
            ("organizationalUnits", NameOID.ORGANIZATIONAL_UNIT_NAME), ("localities", NameOID.LOCALITY_NAME),
            ("provinces", NameOID.STATE_OR_PROVINCE_NAME), ("streetAddresses", NameOID.STREET_ADDRESS),
            ("postalCodes", NameOID.POSTAL_CODE))


class InvalidData(ValueError):
    """PEM data that does not parse, or a key pair that does not match."""


# --- keys ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeySpec:
    """A Certificate's ``spec.privateKey`` with cert-manager's defaults filled in."""

    algorithm: str = "RSA"
    size: int = 2048
    encoding: str = "PKCS1"
    rotation_policy: str = "Always"

    @classmethod
    def of(cls, private_key: Mapping[str, Any] | None) -> KeySpec:
        """Defaults as cert-manager's: RSA 2048, ECDSA 256, PKCS1, rotation ``Always``; raises
        :class:`ValueError` with cert-manager's validation words for a size that cannot be."""
        pk = private_key or {}
        algorithm = pk.get("algorithm") or "RSA"
        size = int(pk.get("size") or 0)
        if algorithm == "RSA":
            size = size or 2048
            if size < 2048 or size > 8192:
                raise ValueError(f"spec.privateKey.size: Invalid value: {size}: must be between 2048 & 8192 "
                                 "for rsa keyAlgorithm")
        elif algorithm == "ECDSA":
            size = size or 256
            if size not in EC_CURVES:
                raise ValueError(f"spec.privateKey.size: Unsupported value: {size}: supported values: "
                                 '"256", "384", "521"')
        else:
            size = 0
        return cls(algorithm, size, pk.get("encoding") or "PKCS1", pk.get("rotationPolicy") or "Always")


def generate_key(spec: KeySpec) -> PrivateKey:
    if spec.algorithm == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=spec.size)
    if spec.algorithm == "ECDSA":
        return ec.generate_private_key(EC_CURVES[spec.size])
    return ed25519.Ed25519PrivateKey.generate()


def encode_key(key: PrivateKey, encoding: str = "PKCS1") -> bytes:
    """PEM: PKCS1 is ``RSA PRIVATE KEY`` / SEC1 ``EC PRIVATE KEY``; Ed25519 keys are always PKCS8."""
    fmt = serialization.PrivateFormat.PKCS8
    if encoding == "PKCS1" and not isinstance(key, ed25519.Ed25519PrivateKey):
        fmt = serialization.PrivateFormat.TraditionalOpenSSL
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def load_key(pem: bytes) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as e:
        raise InvalidData(f"error decoding private key PEM block: {e}") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise InvalidData(f"unsupported private key type {type(key).__name__}")
    return key


def key_matches(key: PrivateKey, spec: KeySpec) -> bool:
    """Whether ``key`` is of the algorithm and size ``spec`` asks for."""
    if spec.algorithm == "RSA":
        return isinstance(key, rsa.RSAPrivateKey) and key.key_size == spec.size
    if spec.algorithm == "ECDSA":
        return isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size == spec.size
    return isinstance(key, ed25519.Ed25519PrivateKey)


def _public_bytes(key: Any) -> bytes:
    data: bytes = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return data


def public_key_matches(key: PrivateKey, cert: x509.Certificate | x509.CertificateSigningRequest) -> bool:
    return _public_bytes(key.public_key()) == _public_bytes(cert.public_key())


# --- requests --------------------------------------------------------------------------------------


def _subject(spec: Mapping[str, Any]) -> x509.Name:
    literal = spec.get("literalSubject")
    if literal:
        return x509.Name.from_rfc4514_string(literal)
    attrs: list[x509.NameAttribute[str]] = []
    subject = spec.get("subject") or {}
    for field, oid in _SUBJECT:
        attrs.extend(x509.NameAttribute(oid, v) for v in subject.get(field) or ())
    if subject.get("serialNumber"):
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, subject["serialNumber"]))
    if spec.get("commonName"):
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, spec["commonName"]))
    return x509.Name(attrs)


def sans_of(spec: Mapping[str, Any]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = [x509.DNSName(n) for n in spec.get("dnsNames") or ()]
    out += [x509.IPAddress(ipaddress.ip_address(a)) for a in spec.get("ipAddresses") or ()]
    out += [x509.UniformResourceIdentifier(u) for u in spec.get("uris") or ()]
    out += [x509.RFC822Name(e) for e in spec.get("emailAddresses") or ()]
    out += [x509.OtherName(ObjectIdentifier(o["oid"]), _utf8_string(o.get("utf8Value") or ""))
            for o in spec.get("otherNames") or () if o.get("oid")]
    return out


def _utf8_string(value: str) -> bytes:
    """The DER of an ASN.1 UTF8String (an otherName's value, as cert-manager encodes ``utf8Value``)."""
    raw = value.encode()
    n = len(raw)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
        (n.bit_length() + 7) // 8, "big")
    return b"\x0c" + length + raw


def usages_of(spec: Mapping[str, Any]) -> list[str]:
    """The requested usages (cert-manager's defaults when none), with ``cert sign`` for a CA."""
    usages = list(spec.get("usages") or DEFAULT_USAGES)
    if spec.get("isCA") and "cert sign" not in usages:
        usages.append("cert sign")
    return usages


def _key_usage(usages: Sequence[str]) -> tuple[x509.KeyUsage | None, x509.ExtendedKeyUsage | None]:
    """The KeyUsage (None when no bit is asked for: as Go's x509, no empty extension) and
    ExtendedKeyUsage extensions of cert-manager's usage names."""
    flags = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                           "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"), False)
    ext: list[ObjectIdentifier] = []
    for u in usages:
        if u in _KEY_USAGES:
            flags[_KEY_USAGES[u]] = True
        elif u in _EXT_USAGES and _EXT_USAGES[u] not in ext:
            ext.append(_EXT_USAGES[u])
        else:
            raise ValueError(f"unsupported key usage {u!r}")
    if not flags["key_agreement"]:
        flags["encipher_only"] = flags["decipher_only"] = False
    return (x509.KeyUsage(**flags) if any(flags.values()) else None), (x509.ExtendedKeyUsage(ext) if ext else None)


#: ``spec.signatureAlgorithm``: the hash it names (the key's type decides the rest; the webhook's rules
#: keep the two consistent).
SIGNATURE_HASHES: dict[str, str] = {"SHA256WithRSA": "SHA256", "SHA384WithRSA": "SHA384", "SHA512WithRSA": "SHA512",
                                    "ECDSAWithSHA256": "SHA256", "ECDSAWithSHA384": "SHA384",
                                    "ECDSAWithSHA512": "SHA512"}


def _hash_for(key: PrivateKey, algorithm: str | None = None) -> hashes.SHA256 | hashes.SHA384 | hashes.SHA512 | None:
    """The hash a signature by ``key`` uses: ``algorithm`` (a ``signatureAlgorithm``) when it fits the key,
    else Go's defaults (SHA-256; SHA-384 and SHA-512 for P-384 and P-521; none for Ed25519)."""
    chosen = SIGNATURE_HASHES.get(algorithm or "")
    if chosen is not None and algorithm and not isinstance(key, ed25519.Ed25519PrivateKey) \
            and isinstance(key, rsa.RSAPrivateKey) == algorithm.endswith("RSA"):
        return _DIGESTS[chosen]
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        size = key.curve.key_size
        return hashes.SHA384() if size == 384 else hashes.SHA512() if size == 521 else hashes.SHA256()
    return hashes.SHA256()


def build_csr(spec: Mapping[str, Any], key: PrivateKey) -> bytes:
    """The PEM CSR for a Certificate's ``spec``: subject, SANs, basic constraints and (unless
    ``encodeUsagesInRequest: false``) the usages, signed by ``key``."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(_subject(spec))
    sans = sans_of(spec)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=not spec.get("commonName")
                                        and not spec.get("subject") and not spec.get("literalSubject"))
    if spec.get("isCA"):
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    if spec.get("encodeUsagesInRequest", True) is not False:
        ku, eku = _key_usage(usages_of(spec))
        if ku is not None:
            builder = builder.add_extension(ku, critical=True)
        if eku is not None:
            builder = builder.add_extension(eku, critical=False)
    nc = _name_constraints(spec.get("nameConstraints"))
    if nc is not None:
        builder = builder.add_extension(nc, critical=bool((spec.get("nameConstraints") or {}).get("critical")))
    return builder.sign(key, _hash_for(key, spec.get("signatureAlgorithm"))).public_bytes(serialization.Encoding.PEM)


def _name_constraints(constraints: Mapping[str, Any] | None) -> x509.NameConstraints | None:
    """``spec.nameConstraints`` as the X.509 extension (None when absent or empty)."""
    if not constraints:
        return None

    def names(part: Mapping[str, Any] | None) -> list[x509.GeneralName] | None:
        if not part:
            return None
        out: list[x509.GeneralName] = [x509.DNSName(d) for d in part.get("dnsDomains") or ()]
        out += [x509.IPAddress(ipaddress.ip_network(r)) for r in part.get("ipRanges") or ()]
        out += [x509.RFC822Name(e) for e in part.get("emailAddresses") or ()]
        out += [x509.UniformResourceIdentifier(u) for u in part.get("uriDomains") or ()]
        return out or None

    permitted, excluded = names(constraints.get("permitted")), names(constraints.get("excluded"))
    if permitted is None and excluded is None:
        return None
    return x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=excluded)


def load_csr(pem: bytes) -> x509.CertificateSigningRequest:
    try:
        csr = x509.load_pem_x509_csr(pem)
    except ValueError as e:
        raise InvalidData(f"failed to decode CSR: {e}") from None
    if not csr.is_signature_valid:
        raise InvalidData("CSR signature is not valid")
    return csr


# --- signing ---------------------------------------------------------------------------------------


def sign(csr_pem: bytes, request_spec: Mapping[str, Any], signer_key: PrivateKey,
         signer_cert: x509.Certificate | None, *, now: datetime, duration: float,
         crl_distribution_points: Sequence[str] = (), ocsp_servers: Sequence[str] = (),
         issuing_certificate_urls: Sequence[str] = ()) -> x509.Certificate:
    """Sign a CSR as cert-manager's ``GenerateTemplateFromCertificateRequest`` + ``SignCertificate``:
    subject and SANs from the CSR, usages and isCA from the request's spec, ``duration`` seconds
    from ``now``; ``signer_cert=None`` is self-signed (the CSR's key must be ``signer_key``)."""
    csr = load_csr(csr_pem)
    if signer_cert is None and not public_key_matches(signer_key, csr):
        raise InvalidData("CSR not signed by referenced private key")
    is_ca = bool(request_spec.get("isCA"))
    ku, eku = _key_usage(usages_of(request_spec))
    subject = csr.subject
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(signer_cert.subject if signer_cert is not None else subject)
               .public_key(csr.public_key())
               .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1)
               .not_valid_before(now)
               .not_valid_after(now + timedelta(seconds=duration))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()),
                              critical=False))
    if ku is not None:
        builder = builder.add_extension(ku, critical=True)
    if eku is not None:
        builder = builder.add_extension(eku, critical=False)
    if is_ca:  # a CA's name constraints, as the CSR carries them
        try:
            nc = csr.extensions.get_extension_for_class(x509.NameConstraints)
            builder = builder.add_extension(nc.value, critical=nc.critical)
        except x509.ExtensionNotFound:
            pass
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        builder = builder.add_extension(san.value, critical=san.critical)
    except x509.ExtensionNotFound:
        pass
    authority_key: Any = signer_cert.public_key() if signer_cert is not None else csr.public_key()
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key), critical=False)
    if crl_distribution_points:
        builder = builder.add_extension(x509.CRLDistributionPoints([
            x509.DistributionPoint([x509.UniformResourceIdentifier(u)], None, None, None)
            for u in crl_distribution_points]), critical=False)
    access = [x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(u))
              for u in ocsp_servers]
    access += [x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                      x509.UniformResourceIdentifier(u)) for u in issuing_certificate_urls]
    if access:
        builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
    # a self-signed certificate is signed as its request was (its own key, its signatureAlgorithm)
    digest = _hash_for(signer_key)
    if signer_cert is None and digest is not None:
        digest = _DIGESTS.get(type(csr.signature_hash_algorithm).__name__, digest)
    return builder.sign(signer_key, digest)


_DIGESTS: dict[str, hashes.SHA256 | hashes.SHA384 | hashes.SHA512] = {
    "SHA256": hashes.SHA256(), "SHA384": hashes.SHA384(), "SHA512": hashes.SHA512()}


# --- reading ---------------------------------------------------------------------------------------


def load_certs(pem: bytes) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as e:
        raise InvalidData(f"error decoding certificate PEM block: {e}") from None
    if not certs:
        raise InvalidData("no certificate in PEM data")
    return certs


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def is_ca(cert: x509.Certificate | x509.CertificateSigningRequest) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def cert_names(cert: x509.Certificate | x509.CertificateSigningRequest) -> dict[str, list[str]]:
    """The names a certificate holds, as a Certificate spec spells them."""
    out: dict[str, list[str]] = {"dnsNames": [], "ipAddresses": [], "uris": [], "emailAddresses": []}
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if san is not None:
        out["dnsNames"] = san.get_values_for_type(x509.DNSName)
        out["ipAddresses"] = [str(a) for a in san.get_values_for_type(x509.IPAddress)]
        out["uris"] = san.get_values_for_type(x509.UniformResourceIdentifier)
        out["emailAddresses"] = san.get_values_for_type(x509.RFC822Name)
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    out["commonName"] = [str(cn[0].value)] if cn else []
    return out


def spec_mismatches(spec: Mapping[str, Any], cert: x509.Certificate | x509.CertificateSigningRequest) -> list[str]:
    """The spec fields the certificate does not reflect (cert-manager's ``SecretMismatch`` checks)."""
    have = cert_names(cert)
    bad = []
    for field in ("dnsNames", "ipAddresses", "uris", "emailAddresses"):
        want = list(spec.get(field) or ())
        if field == "ipAddresses":
            want = [str(ipaddress.ip_address(a)) for a in want]
        if sorted(want) != sorted(have[field]):
            bad.append(f"spec.{field}")
    try:
        subject = _subject(spec)
    except ValueError:
        subject = None
    if subject != cert.subject:
        want_cn = [spec["commonName"]] if spec.get("commonName") else []
        bad.append("spec.commonName" if not spec.get("literalSubject") and want_cn != have["commonName"]
                   else "spec.literalSubject" if spec.get("literalSubject") else "spec.subject")
    if bool(spec.get("isCA")) != is_ca(cert):
        bad.append("spec.isCA")
    return bad


def pkcs12_bundle(key: PrivateKey, chain: Sequence[x509.Certificate], ca: Sequence[x509.Certificate],
                  password: bytes, profile: str = "") -> tuple[bytes, bytes]:
    """``keystore.p12`` (key and chain) and ``truststore.p12`` (the CA)."""
    if profile in ("Modern2023", "Modern2026"):
        encryption: serialization.KeySerializationEncryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(2048)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256()).build(password))
    elif password:
        encryption = serialization.BestAvailableEncryption(password)
    else:
        encryption = serialization.NoEncryption()
    keystore = pkcs12.serialize_key_and_certificates(b"certificate", key, chain[0], list(chain[1:]) or None,
                                                     encryption)
    truststore = pkcs12.serialize_java_truststore(
        [pkcs12.PKCS12Certificate(c, b"ca") for c in ca], encryption) if ca else b""
    return keystore, truststore
