"""Encryption at rest on a real ``setpoint up --encryption-provider-config``: Secrets are unreadable
in the SQLite file and its WAL, read back through kubectl, survive restarts, rotate keys by
kube's procedure, and a wrong key is a clear error at start."""

from __future__ import annotations

import base64
import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from e2e_helpers import Kubectl, Server, free_port, setpoint_cmd, start_server, stop_server, wait_ready

pytestmark = pytest.mark.e2e

KEY1 = base64.b64encode(b"k" * 32).decode()
KEY2 = base64.b64encode(b"2" * 32).decode()
WRONG = base64.b64encode(b"w" * 32).decode()


def _config(*providers: str, resources: str = "[secrets]") -> str:
    return ("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
            f"- resources: {resources}\n  providers:\n" + "".join(providers))


def _aes(kind: str, *keys: tuple[str, str]) -> str:
    return f"  - {kind}:\n      keys:\n" + "".join(
        f"      - name: {name}\n        secret: {secret}\n" for name, secret in keys)


IDENTITY = "  - identity: {}\n"


@contextmanager
def _up(base: Path, config: str) -> Iterator[tuple[Server, Kubectl]]:
    cfg = base / f"enc-{uuid.uuid4().hex[:6]}.yaml"
    cfg.write_text(config)
    data_dir, port = base / "data", free_port()
    proc = start_server(data_dir, port, "--nodes", "0", "--encryption-provider-config", str(cfg),
                        log_path=base / "server.log")
    try:
        wait_ready(port, proc)
        srv = Server(port, data_dir, proc, base / "server.log", base / "kube-cache")
        srv.env = {**os.environ, "KUBECONFIG": str(srv.kubeconfig), "KUBECACHEDIR": str(srv.kube_cache),
                   "HOME": str(base)}
        yield srv, Kubectl(srv)
    finally:
        stop_server(proc)


def _stored(data_dir: Path) -> bytes:
    """Every byte of the SQLite database and its WAL."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("state.db*")) if p.is_file())


def _secret(kubectl: Kubectl, name: str, key: str = "password") -> str:
    out = kubectl.out("get", "secret", name, "-o", f"jsonpath={{.data.{key}}}")
    return base64.b64decode(out).decode()


def _refused(base: Path, config: str) -> str:
    cfg = base / "refused.yaml"
    cfg.write_text(config)
    result = subprocess.run([*setpoint_cmd(), "up", "--data-dir", str(base / "data"), "--port", str(free_port()),
                             "--nodes", "0", "--encryption-provider-config", str(cfg)],
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr.strip()


def test_secrets_are_encrypted_restart_and_rotate(tmp_path: Path) -> None:
    plain = "enc-plain-" + uuid.uuid4().hex
    encoded = base64.b64encode(plain.encode())
    with _up(tmp_path, _config(_aes("aescbc", ("key1", KEY1)), IDENTITY)) as (srv, kubectl):
        kubectl("create", "secret", "generic", "s1", f"--from-literal=password={plain}")
        kubectl("create", "configmap", "c1", f"--from-literal=value={plain}")
        assert _secret(kubectl, "s1") == plain
        stored = _stored(srv.data_dir)
        assert b"k8s:enc:aescbc:v1:key1:" in stored
        # The ConfigMap is not configured: stored as it is. The Secret's data is nowhere.
        assert plain.encode() in stored
        assert encoded not in stored and b'"name":"s1"' not in stored
    # A restart with the same configuration reads it.
    with _up(tmp_path, _config(_aes("aescbc", ("key1", KEY1)), IDENTITY)) as (srv, kubectl):
        assert _secret(kubectl, "s1") == plain
    # Rotation, kube's way: the new key first (every server can then read both), rewrite every
    # Secret, then drop the old key.
    with _up(tmp_path, _config(_aes("aescbc", ("key2", KEY2), ("key1", KEY1)), IDENTITY)) as (srv, kubectl):
        assert _secret(kubectl, "s1") == plain
        kubectl("create", "secret", "generic", "s2", "--from-literal=password=second")
        everything = kubectl.out("get", "secrets", "-A", "-o", "json")
        kubectl("replace", "-f", "-", input=everything)
        assert b"k8s:enc:aescbc:v1:key2:" in _stored(srv.data_dir)
    with _up(tmp_path, _config(_aes("aescbc", ("key2", KEY2)), IDENTITY)) as (srv, kubectl):
        assert _secret(kubectl, "s1") == plain and _secret(kubectl, "s2") == "second"
    # Without key2 nothing can read them: a clear error at start, naming the key.
    message = _refused(tmp_path, _config(_aes("aescbc", ("key1", KEY1)), IDENTITY))
    assert message.startswith("setpoint: cannot open storage sqlite:///")
    assert 'unable to transform key "/registry/secrets/' in message and "no matching prefix found" in message


def test_aesgcm_and_wrong_key(tmp_path: Path) -> None:
    plain = "gcm-plain-" + uuid.uuid4().hex
    with _up(tmp_path, _config(_aes("aesgcm", ("k", KEY1)), resources="[secrets, configmaps]")) as (srv, kubectl):
        kubectl("create", "secret", "generic", "g1", f"--from-literal=password={plain}")
        kubectl("create", "configmap", "gc1", f"--from-literal=value={plain}")
        assert _secret(kubectl, "g1") == plain
        assert kubectl.out("get", "cm", "gc1", "-o", "jsonpath={.data.value}") == plain
        stored = _stored(srv.data_dir)
        assert b"k8s:enc:aesgcm:v1:k:" in stored and plain.encode() not in stored
        assert base64.b64encode(plain.encode()) not in stored
    # The same key name with another secret: refused at start, not a crash and not garbage.
    message = _refused(tmp_path, _config(_aes("aesgcm", ("k", WRONG)), resources="[secrets, configmaps]"))
    assert 'unable to transform key "/registry/' in message
    assert message.endswith("cipher: message authentication failed")


def test_identity_first_reads_encrypted_values(tmp_path: Path) -> None:
    with _up(tmp_path, _config(_aes("aescbc", ("key1", KEY1)))) as (_srv, kubectl):
        kubectl("create", "secret", "generic", "old", "--from-literal=password=was-encrypted")
    # Turning encryption off: identity writes, aescbc still reads what it wrote.
    with _up(tmp_path, _config(IDENTITY, _aes("aescbc", ("key1", KEY1)))) as (srv, kubectl):
        assert _secret(kubectl, "old") == "was-encrypted"
        kubectl("create", "secret", "generic", "new", "--from-literal=password=now-plain")
        assert _secret(kubectl, "new") == "now-plain"
        assert base64.b64encode(b"now-plain") in _stored(srv.data_dir)


def test_bad_configurations_are_refused(tmp_path: Path) -> None:
    short = base64.b64encode(b"x" * 16).decode()
    assert _refused(tmp_path, _config(_aes("aescbc", ("key1", short)))) == (
        'setpoint: resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not '
        "of the expected length, got 16, expected one of [32]")
    assert _refused(tmp_path, _config(_aes("secretbox", ("key1", short)))) == (
        'setpoint: resources[0].providers[0].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not '
        "of the expected length, got 16, expected one of [32]")
    assert "Unsupported value" in _refused(tmp_path, _config("  - kms:\n      name: vault\n"))
    assert _refused(tmp_path, "apiVersion: v1\nkind: ConfigMap\n").startswith("setpoint: no kind \"ConfigMap\"")


def test_secretbox_and_wrong_key(tmp_path: Path) -> None:
    plain = "box-plain-" + uuid.uuid4().hex
    with _up(tmp_path, _config(_aes("secretbox", ("box", KEY1)))) as (srv, kubectl):
        kubectl("create", "secret", "generic", "b1", f"--from-literal=password={plain}")
        assert _secret(kubectl, "b1") == plain
        stored = _stored(srv.data_dir)
        assert b"k8s:enc:secretbox:v1:box:" in stored
        assert plain.encode() not in stored and base64.b64encode(plain.encode()) not in stored
    message = _refused(tmp_path, _config(_aes("secretbox", ("box", WRONG))))
    assert 'unable to transform key "/registry/secrets/' in message
    assert message.endswith("output array was not large enough for encryption")
