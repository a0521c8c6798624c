"""Encryption at rest below the object store (``apiserver/encryption``), over memory storage:
kube's value formats, the watch cache reading decrypted events, custom resources matched by
group, and an unchanged update rewriting a value read with an old key."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from apiserver_helpers import WIDGET_CRD

from setpoint import storage
from setpoint.apiserver import builtin
from setpoint.apiserver.apiextensions import crds
from setpoint.apiserver.encryption import EncryptedStorage, TransformError
from setpoint.apiserver.encryption.config import ConfigError, parse
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry
from setpoint.storage import MemoryStorage

_REGISTRY = Registry()
builtin.register_builtins(_REGISTRY)
SECRETS = _REGISTRY.get("", "v1", "secrets")
CONFIGMAPS = _REGISTRY.get("", "v1", "configmaps")
assert SECRETS is not None and CONFIGMAPS is not None
WIDGET = crds.resources_for(WIDGET_CRD)[0]
K1, K2 = base64.b64encode(b"1" * 32).decode(), base64.b64encode(b"2" * 32).decode()


def config(providers: list[dict[str, Any]], resources: list[str] | None = None) -> Any:
    return parse({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
                  "resources": [{"resources": resources or ["secrets"], "providers": providers}]})


def aes(kind: str, *keys: tuple[str, str]) -> dict[str, Any]:
    return {kind: {"keys": [{"name": n, "secret": s} for n, s in keys]}}


def secret(name: str, value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"},
            "data": {"v": base64.b64encode(value.encode()).decode()}}


async def test_values_are_prefixed_and_gcm_binds_the_key() -> None:
    inner = MemoryStorage(compact_interval=0)
    enc = EncryptedStorage(inner, config([aes("aesgcm", ("k1", K1))]))
    kv = await enc.create("/registry/secrets/default/a", b'{"x":1}')
    assert kv.value == b'{"x":1}'
    raw = await inner.get("/registry/secrets/default/a")
    assert raw is not None and raw.value.startswith(b"k8s:enc:aesgcm:v1:k1:") and b'"x"' not in raw.value
    # A ciphertext copied under another key does not decrypt (the key is authenticated data).
    await inner.create("/registry/secrets/default/b", raw.value)
    with pytest.raises(TransformError, match='unable to transform key "/registry/secrets/default/b": '
                                             "cipher: message authentication failed"):
        await enc.get("/registry/secrets/default/b")
    # Resources not configured pass through as they are.
    await enc.create("/registry/configmaps/default/c", b"plain")
    got = await inner.get("/registry/configmaps/default/c")
    assert got is not None and got.value == b"plain"
    await inner.close()


async def test_secretbox_values_and_a_rotation_from_aescbc() -> None:
    inner = MemoryStorage(compact_interval=0)
    old = EncryptedStorage(inner, config([aes("aescbc", ("k1", K1))]))
    await old.create("/registry/secrets/default/a", b'{"x":1}')
    enc = EncryptedStorage(inner, config([aes("secretbox", ("box", K2)), aes("aescbc", ("k1", K1))]))
    kv = await enc.create("/registry/secrets/default/b", b'{"x":2}')
    assert kv.value == b'{"x":2}'
    raw = await inner.get("/registry/secrets/default/b")
    # kube's layout: prefix, 24-byte nonce, 16-byte Poly1305 tag, the ciphertext (as long as the plaintext).
    prefix = b"k8s:enc:secretbox:v1:box:"
    assert raw is not None and raw.value.startswith(prefix) and len(raw.value) == len(prefix) + 24 + 16 + 7
    got = await enc.get("/registry/secrets/default/a")  # written with the old key, still read
    assert got is not None and got.value == b'{"x":1}'
    # Not bound to its key (kube's secretbox): a copied value decrypts; a changed byte does not.
    await inner.create("/registry/secrets/default/c", raw.value)
    copied = await enc.get("/registry/secrets/default/c")
    assert copied is not None and copied.value == b'{"x":2}'
    await inner.create("/registry/secrets/default/d", raw.value[:-1] + bytes([raw.value[-1] ^ 1]))
    with pytest.raises(TransformError, match="output array was not large enough for encryption"):
        await enc.get("/registry/secrets/default/d")
    await inner.close()


async def test_watch_cache_and_custom_resources_are_decrypted() -> None:
    inner = MemoryStorage(compact_interval=0)
    enc = EncryptedStorage(inner, config([aes("aescbc", ("k1", K1))], ["secrets", "*.example.com"]))
    objects = ObjectStore(enc)
    await objects.start()
    try:
        cache = objects.cacher(SECRETS)
        await cache.wait_ready()
        created = await objects.create(SECRETS, "default", secret("w", "watched"))
        await objects.create(WIDGET, "default", {"apiVersion": "example.com/v1", "kind": "Widget",
                                                 "metadata": {"name": "w1"}, "spec": {"size": 3}})
        raw = await inner.get("/registry/example.com/widgets/default/w1")
        assert raw is not None and raw.value.startswith(b"k8s:enc:aescbc:v1:k1:")
        await cache.wait_fresh(int(created["metadata"]["resourceVersion"]))
        got = await objects.get(SECRETS, "default", "w")
        assert got.obj["data"] == {"v": base64.b64encode(b"watched").decode()}
        widget = await objects.get(WIDGET, "default", "w1")
        assert widget.obj["spec"] == {"size": 3}
    finally:
        await objects.close()
        await inner.close()


async def test_an_unchanged_update_rewrites_a_stale_value() -> None:
    inner = MemoryStorage(compact_interval=0)
    old = ObjectStore(EncryptedStorage(inner, config([aes("aescbc", ("k1", K1))])))
    await old.create(SECRETS, "default", secret("s", "v"))
    rotated = ObjectStore(EncryptedStorage(inner, config([aes("aescbc", ("k2", K2), ("k1", K1))])))
    before = await inner.current_revision()

    async def same(current: dict[str, Any]) -> dict[str, Any]:
        return current
    await rotated.guaranteed_update(SECRETS, "default", "s", same)
    raw = await inner.get("/registry/secrets/default/s")
    assert raw is not None and raw.value.startswith(b"k8s:enc:aescbc:v1:k2:")
    assert await inner.current_revision() == before + 1
    # Up to date now: the same no-op update writes nothing.
    await rotated.guaranteed_update(SECRETS, "default", "s", same)
    assert await inner.current_revision() == before + 1
    # A configmap (not configured) is never stale.
    await rotated.create(CONFIGMAPS, "default", {"apiVersion": "v1", "kind": "ConfigMap",
                                                  "metadata": {"name": "c"}, "data": {"a": "b"}})
    rev = await inner.current_revision()
    await rotated.guaranteed_update(CONFIGMAPS, "default", "c", same)
    assert await inner.current_revision() == rev
    await inner.close()


async def test_identity_refuses_encrypted_values_and_conflicts_decrypt() -> None:
    inner = MemoryStorage(compact_interval=0)
    enc = EncryptedStorage(inner, config([aes("aescbc", ("k1", K1))]))
    kv = await enc.create("/registry/secrets/default/a", b"secret-bytes")
    ident = EncryptedStorage(inner, config([{"identity": {}}]))
    with pytest.raises(TransformError, match="no matching prefix found"):
        await ident.get("/registry/secrets/default/a")
    with pytest.raises(storage.KeyExists) as exists:
        await enc.create("/registry/secrets/default/a", b"again")
    assert exists.value.current.value == b"secret-bytes"
    await enc.update("/registry/secrets/default/a", b"newer", kv.mod_revision)
    with pytest.raises(storage.Conflict) as conflict:
        await enc.update("/registry/secrets/default/a", b"x", kv.mod_revision)
    assert conflict.value.current.value == b"newer"
    assert await enc.verify() == 1
    await inner.close()


def test_config_errors() -> None:
    with pytest.raises(ConfigError, match="more than one provider"):
        config([{"identity": {}, **aes("aescbc", ("k", K1))}])
    with pytest.raises(ConfigError, match=r"got 20, expected one of \[16 24 32\]"):
        config([aes("aesgcm", ("k", base64.b64encode(b"x" * 20).decode()))])
    with pytest.raises(ConfigError, match="must be base64"):
        config([aes("aescbc", ("k", "not base64!"))])
    with pytest.raises(ConfigError, match="Duplicate value"):
        config([{"identity": {}}], ["secrets", "secrets"])
    exact = config([aes("aescbc", ("k", K1))], ["secrets", "*.apps", "*.*"])
    assert exact.for_resource("", "secrets") is exact.for_resource("apps", "deployments")
    assert exact.for_resource("batch", "jobs") is not None


async def test_verify_reads_only_the_configured_resources() -> None:
    inner = MemoryStorage(compact_interval=0)
    enc = EncryptedStorage(inner, config([aes("aesgcm", ("k1", K1))], ["secrets", "widgets.example.com",
                                                                       "ingresses.networking.k8s.io"]))
    await enc.create("/registry/secrets/default/a", b"1")
    await enc.create("/registry/example.com/widgets/default/w", b"2")
    await enc.create("/registry/ingresses/default/i", b"3")
    await inner.create("/registry/configmaps/default/c", b"k8s:enc:garbage")  # not configured: not read
    assert await enc.verify() == 3
    assert enc._prefixes("/registry/") == ["/registry/example.com/widgets/", "/registry/ingresses/",
                                           "/registry/secrets/"]
    await inner.create("/registry/secrets/default/bad", b"k8s:enc:aesgcm:v1:k1:garbage-garbage")
    with pytest.raises(TransformError, match='"/registry/secrets/default/bad"'):
        await enc.verify()
    await inner.close()
