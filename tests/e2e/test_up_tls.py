"""``setpoint up`` serves TLS by default: certificates kept in the data dir, ``--tls-san``,
``--insecure-http`` only on loopback, and every client through the kubeconfig alone."""

from __future__ import annotations

import http.client
import ssl
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from e2e_helpers import (
    Kubectl,
    Server,
    free_port,
    http_request,
    setpoint_cmd,
    start_server,
    stop_server,
    wait_ready,
)

pytestmark = pytest.mark.e2e


def _sans(cert: Path) -> tuple[list[str], list[str]]:
    san = x509.load_pem_x509_certificate(cert.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    return list(san.get_values_for_type(x509.DNSName)), [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]


def test_kubectl_works_over_tls_and_a_client_without_the_ca_is_refused(server: Server, kubectl: Kubectl) -> None:
    assert "https://127.0.0.1:" in kubectl.out("cluster-info")
    with pytest.raises(ssl.SSLCertVerificationError):
        ctx = ssl.create_default_context()
        conn = http.client.HTTPSConnection("127.0.0.1", server.port, timeout=10, context=ctx)
        try:
            conn.request("GET", "/version")
        finally:
            conn.close()


def test_keys_are_private_kept_across_restarts_and_tls_san_reissues(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    proc = start_server(data_dir, port, "--storage", "memory://", "--nodes", "0")
    try:
        wait_ready(port, proc)
    finally:
        assert stop_server(proc) == 0
    pki = data_dir / "pki"
    for key in ("ca.key", "apiserver.key", "admin.key"):
        assert (pki / key).stat().st_mode & 0o777 == 0o600, key
    assert (data_dir / "kubeconfig").stat().st_mode & 0o777 == 0o600
    first = {p.name: p.read_bytes() for p in pki.iterdir()}
    dns, ips = _sans(pki / "apiserver.crt")
    assert "localhost" in dns and {"127.0.0.1", "::1"} <= set(ips)

    proc = start_server(data_dir, port, "--storage", "memory://", "--nodes", "0")
    try:
        wait_ready(port, proc)
    finally:
        assert stop_server(proc) == 0
    assert {p.name: p.read_bytes() for p in pki.iterdir()} == first  # reused as they were

    proc = start_server(data_dir, port, "--storage", "memory://", "--nodes", "0", "--tls-san", "api.example.test",
                        "--tls-san", "10.1.2.3")
    try:
        wait_ready(port, proc)
        dns, ips = _sans(pki / "apiserver.crt")
        assert "api.example.test" in dns and "10.1.2.3" in ips
        # The CA and the admin's certificate stay: the kubeconfig made before still works.
        assert (pki / "ca.key").read_bytes() == first["ca.key"]
        assert (pki / "admin.crt").read_bytes() == first["admin.crt"]
        r = http_request(port, "GET", "/api/v1/namespaces", kubeconfig=data_dir / "kubeconfig")
        assert r.status == 200
    finally:
        assert stop_server(proc) == 0


def test_insecure_http_refuses_a_non_loopback_bind_address(tmp_path: Path) -> None:
    proc = subprocess.run([*setpoint_cmd(), "up", "--data-dir", str(tmp_path / "d"), "--port", str(free_port()),
                           "--insecure-http", "--bind-address", "0.0.0.0"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert "--insecure-http" in proc.stderr and "loopback" in proc.stderr


def test_insecure_http_on_loopback_serves_plain_http(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    proc = start_server(data_dir, port, "--storage", "memory://", "--nodes", "0", "--insecure-http")
    try:
        wait_ready(port, proc, tls=False)
        assert http_request(port, "GET", "/api/v1/namespaces", tls=False).status == 200
        text = (data_dir / "kubeconfig").read_text()
        assert f"http://127.0.0.1:{port}" in text and "certificate-authority-data" not in text
    finally:
        assert stop_server(proc) == 0
