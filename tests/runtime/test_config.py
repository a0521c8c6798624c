"""Configuration loading through kubernetes_asyncio: exec plugins, client certificates, in-cluster."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from setpoint.runtime.config import Config, ConfigError
from setpoint.runtime.labels import from_label_selector, parse


def write_plugin(tmp_path: Path, expiry: str | None = None) -> Path:
    """An exec credential plugin that counts its runs and answers token-<n>."""
    counter = tmp_path / "runs"
    status = {"token": "__TOKEN__"}
    if expiry:
        status["expirationTimestamp"] = expiry
    script = tmp_path / "plugin.py"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, pathlib\n"
        f"p = pathlib.Path({str(counter)!r})\n"
        "n = int(p.read_text()) + 1 if p.exists() else 1\n"
        "p.write_text(str(n))\n"
        f"status = json.loads({json.dumps(json.dumps(status))})\n"
        "status['token'] = f'token-{n}'\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1', 'kind': 'ExecCredential',"
        " 'status': status}))\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def kubeconfig(tmp_path: Path, user: dict[str, object], server: str = "http://127.0.0.1:1",
               cluster_extra: dict[str, object] | None = None) -> Path:
    path = tmp_path / "config"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "dev",
        "clusters": [{"name": "c", "cluster": {"server": server, **(cluster_extra or {})}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "dev", "context": {"cluster": "c", "user": "u", "namespace": "team-a"}},
                     {"name": "other", "context": {"cluster": "c", "user": "u"}}]}))
    return path


async def test_exec_plugin_token_is_cached_until_a_401(tmp_path: Path) -> None:
    plugin = write_plugin(tmp_path, expiry=None)
    path = kubeconfig(tmp_path, {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                          "command": str(plugin)}})
    config = Config.from_kubeconfig(path, context="other")
    assert config.namespace == "default"
    assert await config.auth.authorization() == "Bearer token-1"
    assert await config.auth.authorization() == "Bearer token-1"
    assert await config.auth.refresh()
    assert await config.auth.authorization() == "Bearer token-2"
    assert (tmp_path / "runs").read_text() == "2"


async def test_failing_exec_plugin_is_a_config_error(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path, {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                          "command": "/bin/false"}})
    config = Config.from_kubeconfig(path)
    assert config.namespace == "team-a"
    with pytest.raises(ConfigError):
        await config.auth.authorization()


async def test_static_token_and_merged_kubeconfig_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = tmp_path / "a"
    a.mkdir()
    path = kubeconfig(a, {"token": "abc"})
    b = tmp_path / "b.yaml"
    b.write_text("apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n")
    monkeypatch.setenv("KUBECONFIG", f"{b}:{path}")
    config = Config.from_kubeconfig()
    assert await config.auth.authorization() == "Bearer abc"
    assert not await config.auth.refresh()
    with pytest.raises(ConfigError):
        Config.from_kubeconfig(tmp_path / "missing")


def make_cert(tmp_path: Path) -> tuple[Path, Path]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=test"], check=True, capture_output=True)
    return key, cert


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
async def test_client_certificates_and_ca_data(tmp_path: Path) -> None:
    import base64

    key, cert = make_cert(tmp_path)
    path = kubeconfig(tmp_path, {"client-certificate-data": base64.b64encode(cert.read_bytes()).decode(),
                                 "client-key-data": base64.b64encode(key.read_bytes()).decode()},
                      server="https://127.0.0.1:6443",
                      cluster_extra={"certificate-authority": str(cert), "tls-server-name": "kubernetes"})
    config = Config.from_kubeconfig(path)
    assert config.ssl_context is not None and config.tls_server_name == "kubernetes"
    assert config.ssl_context.cert_store_stats()["x509_ca"] == 1
    assert await config.auth.authorization() is None


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_in_cluster_service_account(tmp_path: Path) -> None:
    _, cert = make_cert(tmp_path)
    shutil.copy(cert, tmp_path / "ca.crt")
    (tmp_path / "token").write_text("sa-token\n")
    (tmp_path / "namespace").write_text("operators")
    config = Config.in_cluster(account_dir=tmp_path, environ={"KUBERNETES_SERVICE_HOST": "fd00::1",
                                                              "KUBERNETES_SERVICE_PORT": "443"})
    assert config.host == "https://[fd00::1]:443"
    assert config.namespace == "operators"
    with pytest.raises(ConfigError):
        Config.in_cluster(account_dir=tmp_path, environ={})


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
async def test_in_cluster_token_is_read_again_after_a_401(tmp_path: Path) -> None:
    _, cert = make_cert(tmp_path)
    shutil.copy(cert, tmp_path / "ca.crt")
    token = tmp_path / "token"
    token.write_text("one")
    config = Config.in_cluster(account_dir=tmp_path, environ={"KUBERNETES_SERVICE_HOST": "10.0.0.1",
                                                              "KUBERNETES_SERVICE_PORT": "443"})
    assert await config.auth.authorization() == "Bearer one"
    token.write_text("two")  # the kubelet rotated it
    assert await config.auth.authorization() == "Bearer one", "not re-read on every request"
    assert await config.auth.refresh()
    assert await config.auth.authorization() == "Bearer two"


def test_label_selector_parsing() -> None:
    sel = parse("app=web, tier != db,env in (prod,staging),!legacy,team")
    # sorted by key, as kube's labels.Parse keeps them
    assert [str(r) for r in sel.requirements] == ["app=web", "env in (prod,staging)", "!legacy", "team", "tier!=db"]
    assert sel.matches({"app": "web", "env": "prod", "team": "x"})
    assert not sel.matches({"app": "web", "env": "prod", "team": "x", "legacy": "1"})
    with pytest.raises(ValueError):
        parse("app in prod")
    ls = from_label_selector({"matchLabels": {"app": "web"},
                              "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]})
    assert ls.matches({"app": "web"}) and not ls.matches({"app": "web", "tier": "db"})
    assert from_label_selector(None).matches({})
