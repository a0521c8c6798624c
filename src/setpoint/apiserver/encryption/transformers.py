"""kube's value transformers (``k8s.io/apiserver/pkg/storage/value``), byte for byte.

A stored value is ``PREFIX + payload``: ``k8s:enc:aesgcm:v1:KEYNAME:`` + 12-byte nonce +
ciphertext and tag (the storage key is the authenticated data, so a value copied to another
key does not decrypt); ``k8s:enc:aescbc:v1:KEYNAME:`` + 16-byte IV + ciphertext with PKCS#7
padding; ``k8s:enc:secretbox:v1:KEYNAME:`` + 24-byte nonce + Poly1305 tag and XSalsa20 ciphertext
(NaCl's secretbox, the storage key not bound); identity has no prefix. A resource's :class:`PrefixTransformers` lists every key of
every provider in order: the first encrypts, all decrypt, chosen by the value's prefix.
"""

from __future__ import annotations

import os
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

ENCRYPTED_PREFIX = b"k8s:enc:"
_BLOCK = 16


class TransformFailed(Exception):
    """A value could not be decrypted (Go's error text)."""


class Transformer(Protocol):
    def to_storage(self, data: bytes, key: str) -> bytes: ...

    def from_storage(self, data: bytes, key: str) -> bytes: ...


class Identity:
    """Stores values as they are; refuses to "read" an encrypted one (kube's identity transformer)."""

    def to_storage(self, data: bytes, key: str) -> bytes:
        return data

    def from_storage(self, data: bytes, key: str) -> bytes:
        if data.startswith(ENCRYPTED_PREFIX):
            raise TransformFailed("identity transformer tried to read encrypted data")
        return data


class AESGCMTransformer:
    """AES-GCM with a random 96-bit nonce; the storage key is the authenticated data."""

    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(secret)

    def to_storage(self, data: bytes, key: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, data, key.encode())

    def from_storage(self, data: bytes, key: str) -> bytes:
        if len(data) < 12:
            raise TransformFailed("the stored data was shorter than the required size")
        try:
            return self._aead.decrypt(data[:12], data[12:], key.encode())
        except InvalidTag:
            raise TransformFailed("cipher: message authentication failed") from None


class AESCBCTransformer:
    """AES-CBC with a random IV and PKCS#7 padding (no authentication, as kube's)."""

    def __init__(self, secret: bytes) -> None:
        self._algorithm = algorithms.AES(secret)

    def to_storage(self, data: bytes, key: str) -> bytes:
        iv = os.urandom(_BLOCK)
        pad = _BLOCK - len(data) % _BLOCK
        encryptor = Cipher(self._algorithm, modes.CBC(iv)).encryptor()
        return iv + encryptor.update(data + bytes((pad,)) * pad) + encryptor.finalize()

    def from_storage(self, data: bytes, key: str) -> bytes:
        if len(data) < _BLOCK:
            raise TransformFailed("the stored data was shorter than the required size")
        body = data[_BLOCK:]
        if len(body) % _BLOCK:
            raise TransformFailed("the stored data is not a multiple of the block size")
        decryptor = Cipher(self._algorithm, modes.CBC(data[:_BLOCK])).decryptor()
        result = decryptor.update(body) + decryptor.finalize()
        pad = result[-1] if result else 0
        if pad == 0 or pad > len(result):
            raise TransformFailed("invalid PKCS7 data (empty or not padded)")
        if result[-pad:] != bytes((pad,)) * pad:
            raise TransformFailed("invalid padding on input")
        return result[:-pad]


class SecretboxTransformer:
    """XSalsa20-Poly1305 (NaCl secretbox) with a random 24-byte nonce, as kube's secretbox provider."""

    _NONCE = SecretBox.NONCE_SIZE
    _MIN = SecretBox.NONCE_SIZE + SecretBox.MACBYTES

    def __init__(self, secret: bytes) -> None:
        self._box = SecretBox(secret)

    def to_storage(self, data: bytes, key: str) -> bytes:
        return bytes(self._box.encrypt(data, os.urandom(self._NONCE)))

    def from_storage(self, data: bytes, key: str) -> bytes:
        if len(data) < self._MIN:
            raise TransformFailed("the stored data was shorter than the required size")
        try:
            return self._box.decrypt(data[self._NONCE:], data[:self._NONCE])
        except CryptoError:
            raise TransformFailed("output array was not large enough for encryption") from None


class PrefixTransformers:
    """kube's ``prefixTransformers``: the first (prefix, transformer) writes, any reads.

    ``from_storage`` returns the plaintext and whether it is stale (read by another than the
    first transformer: a rewrite would re-encrypt it with the current key)."""

    def __init__(self, transformers: list[tuple[bytes, Transformer]]) -> None:
        self.transformers = transformers
        self._write_prefix, self._writer = transformers[0]

    def to_storage(self, data: bytes, key: str) -> bytes:
        return self._write_prefix + self._writer.to_storage(data, key)

    def from_storage(self, data: bytes, key: str) -> tuple[bytes, bool]:
        for i, (prefix, transformer) in enumerate(self.transformers):
            if data.startswith(prefix):
                try:
                    result = transformer.from_storage(data[len(prefix):], key)
                except TransformFailed:
                    # An identity provider listed first must let the encrypted values through
                    # to the providers after it (migrating away from encryption).
                    if not prefix:
                        continue
                    raise
                return result, i != 0
        raise TransformFailed("no matching prefix found")
