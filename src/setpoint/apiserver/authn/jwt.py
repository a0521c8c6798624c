"""Compact JWS (JWT) signing and verification with ES256, on ``cryptography``.

kube-apiserver signs ServiceAccount tokens with the key of ``--service-account-signing-key-file``
(RS256 or ES256) and names it in the header's ``kid``: the unpadded base64url SHA-256 of the
public key's DER (``keyIDFromPublicKey``). setpoint uses one ECDSA P-256 key (made in a
millisecond where an RSA key takes tens): ``DIR/pki/sa.key`` (0600), made at the first start
of a data directory; a fresh key per process without one.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

__all__ = ["JWTError", "SigningKey", "decode_unverified"]

_ES256 = ec.ECDSA(hashes.SHA256())


class JWTError(Exception):
    """A token that is not a well-formed JWS of ours, or whose signature does not verify."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise JWTError("illegal base64 data") from None


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, claims, signing input, signature) of a compact JWS, its signature not checked."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JWTError("compact JWS format must have three parts")
    try:
        header = orjson.loads(_b64decode(parts[0]))
        claims = orjson.loads(_b64decode(parts[1]))
    except orjson.JSONDecodeError:
        raise JWTError("invalid JSON in a JWS part") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JWTError("a JWS part is not a JSON object")
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), _b64decode(parts[2])


class SigningKey:
    """An ES256 private key: signs tokens, verifies them with its public half."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("the ServiceAccount signing key must be an ECDSA P-256 key")
        self._key = key
        self._public = key.public_key()
        der = self._public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        #: The key ID in every token's header, as kube computes it.
        self.kid = _b64encode(hashlib.sha256(der).digest())
        self._header = _b64encode(orjson.dumps({"alg": "ES256", "kid": self.kid}))

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def load_or_create(cls, directory: Path | None) -> SigningKey:
        """The key kept in ``directory/pki/sa.key`` (made the first time); a fresh one without a directory."""
        if directory is None:
            return cls.generate()
        path = directory / "pki" / "sa.key"
        if path.exists():
            try:
                key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except ValueError as exc:
                raise ValueError(f"the ServiceAccount signing key {path} is unusable: {exc}") from None
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"the ServiceAccount signing key {path} is not an ECDSA key")
            return cls(key)
        signing = cls.generate()
        pem = signing._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
        write_private(path, pem)
        return signing

    def sign(self, claims: dict[str, Any]) -> str:
        signing_input = f"{self._header}.{_b64encode(orjson.dumps(claims))}"
        r, s = decode_dss_signature(self._key.sign(signing_input.encode("ascii"), _ES256))
        return f"{signing_input}.{_b64encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def verify(self, header: dict[str, Any], signing_input: bytes, signature: bytes) -> None:
        """Raise :class:`JWTError` unless ``signature`` is ours over ``signing_input``."""
        if header.get("alg") != "ES256" or len(signature) != 64:
            raise JWTError("go-jose/go-jose: error in cryptographic primitive")
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            self._public.verify(der, signing_input, _ES256)
        except InvalidSignature:
            raise JWTError("go-jose/go-jose: error in cryptographic primitive") from None


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
