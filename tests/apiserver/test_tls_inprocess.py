"""TLS and client-certificate authentication of the embedded server, through real TLS connections.

The kubeconfig's CA verifies the server under the names it serves (127.0.0.1, localhost), a client
that does not trust that CA is refused, and a client certificate names its user: CN the name, O the
groups, plus ``system:authenticated`` (kube's x509 authenticator).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ssl
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from setpoint.apiserver import pki, tls
from setpoint.apiserver.authn.x509 import CREDENTIAL_ID
from setpoint.apiserver.http import Request
from setpoint.apiserver.registry.admission import UserInfo
from setpoint.testing import ApiServer


def _kubeconfig_context(api: ApiServer, *, client_cert: bool = True) -> ssl.SSLContext:
    config = yaml.safe_load(api.kubeconfig.read_text())
    ca = base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"])
    user = config["users"][0]["user"]
    pair = pki.KeyPair(base64.b64decode(user["client-certificate-data"]), base64.b64decode(user["client-key-data"]))
    return tls.client_context(ca, pair if client_cert else None)


async def _get(port: int, ctx: ssl.SSLContext, path: str = "/api/v1/namespaces/default/configmaps",
               server_hostname: str = "127.0.0.1") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname=server_hostname)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


class _Recorder:
    """Wraps the server's authenticator and keeps what it answered (the server's own chain runs)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.users: list[UserInfo | None] = []

    def authenticate(self, request: Request) -> UserInfo | None:
        user: UserInfo | None = self.inner.authenticate(request)
        self.users.append(user)
        return user


@pytest.mark.parametrize("hostname", ["127.0.0.1", "localhost"])
async def test_the_kubeconfig_ca_verifies_the_server(setpoint_api: ApiServer, hostname: str) -> None:
    answer = await _get(setpoint_api.port, _kubeconfig_context(setpoint_api), server_hostname=hostname)
    assert answer.startswith(b"HTTP/1.1 200 OK"), answer[:200]


async def test_a_client_that_does_not_trust_the_ca_is_refused(setpoint_api: ApiServer) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        await _get(setpoint_api.port, ssl.create_default_context())


async def test_the_admin_certificate_authenticates_as_the_admin(setpoint_api: ApiServer) -> None:
    server = setpoint_api.control_plane.server
    assert server is not None
    recorder = server.authenticator = _Recorder(server.authenticator)
    answer = await _get(setpoint_api.port, _kubeconfig_context(setpoint_api))
    assert answer.startswith(b"HTTP/1.1 200 OK")
    user = recorder.users[-1]
    assert user is not None
    assert (user.name, user.groups) == ("kubernetes-admin", ("system:masters", "system:authenticated"))


async def test_a_client_certificate_names_its_user_and_groups(setpoint_api: ApiServer) -> None:
    server = setpoint_api.control_plane.server
    assert server is not None and setpoint_api.control_plane.ca is not None
    alice = pki.issue(setpoint_api.control_plane.ca, "alice", organizations=("dev", "ops"), client=True)
    recorder = server.authenticator = _Recorder(server.authenticator)
    ca = setpoint_api.control_plane.ca.cert_pem
    answer = await _get(setpoint_api.port, tls.client_context(ca, alice))
    # Authenticated as alice, who holds no RBAC binding: RBAC names her in its refusal.
    assert answer.startswith(b"HTTP/1.1 403 Forbidden") and b'User \\"alice\\" cannot list' in answer, answer
    user = recorder.users[-1]
    assert user is not None
    assert (user.name, user.groups) == ("alice", ("dev", "ops", "system:authenticated"))
    der = x509.load_pem_x509_certificate(alice.cert_pem).public_bytes(serialization.Encoding.DER)
    assert user.extra == {CREDENTIAL_ID: ["X509SHA256=" + hashlib.sha256(der).hexdigest()]}


async def test_a_certificate_from_another_ca_is_refused(setpoint_api: ApiServer) -> None:
    other = pki.generate_ca("someone-else")
    mallory = pki.issue(other, "kubernetes-admin", organizations=("system:masters",), client=True)
    ca = yaml.safe_load(setpoint_api.kubeconfig.read_text())["clusters"][0]["cluster"]["certificate-authority-data"]
    ctx = tls.client_context(base64.b64decode(ca), mallory)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        answer = await _get(setpoint_api.port, ctx)
        assert answer == b""  # TLS 1.3: the alert may arrive as the end of the stream
        raise ConnectionError("closed")


async def test_a_serving_certificate_is_no_client_certificate(setpoint_api: ApiServer) -> None:
    """A certificate of our CA without the clientAuth usage is refused too (OpenSSL's ssl_client purpose)."""
    cp = setpoint_api.control_plane
    assert cp.ca is not None
    server_only = pki.issue(cp.ca, "kubernetes-admin", organizations=("system:masters",), sans=["localhost"],
                            server=True)
    ctx = tls.client_context(cp.ca.cert_pem, server_only)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        answer = await _get(setpoint_api.port, ctx)
        assert answer == b""
        raise ConnectionError("closed")


async def test_watch_streams_over_tls(setpoint_api: ApiServer) -> None:
    ctx = _kubeconfig_context(setpoint_api)
    reader, writer = await asyncio.open_connection("127.0.0.1", setpoint_api.port, ssl=ctx,
                                                   server_hostname="127.0.0.1")
    try:
        writer.write(b"GET /api/v1/namespaces/default/configmaps?watch=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 200 OK") and b"chunked" in head.lower()
        await setpoint_api.client.request("POST", "/api/v1/namespaces/default/configmaps",
                                          body={"apiVersion": "v1", "kind": "ConfigMap",
                                                "metadata": {"name": "over-tls"}})
        seen = b""
        while b"over-tls" not in seen:
            seen += await asyncio.wait_for(reader.read(65536), 10)
        assert b'"ADDED"' in seen
    finally:
        writer.close()


async def test_own_serving_certificate_and_client_ca(tmp_path: Any) -> None:
    """``--tls-cert-file``/``--tls-private-key-file`` are served; ``--client-ca-file``'s certificates
    authenticate; the kubeconfig trusts the CA that follows the leaf in the certificate file."""
    from setpoint.controlplane import ControlPlane

    mine = pki.generate_ca("my-ca")
    serving = pki.issue(mine, "my-server", sans=["localhost", "127.0.0.1"], server=True)
    (tmp_path / "tls.crt").write_bytes(serving.cert_pem + mine.cert_pem)
    (tmp_path / "tls.key").write_bytes(serving.key_pem)
    users = pki.generate_ca("my-users")
    (tmp_path / "users.crt").write_bytes(users.cert_pem)
    bob = pki.issue(users, "bob", organizations=("qa",), client=True)
    plane = ControlPlane("memory://", port=0, data_dir=tmp_path / "data", tls_options=tls.TLSOptions(
        cert_file=tmp_path / "tls.crt", key_file=tmp_path / "tls.key", client_ca_file=tmp_path / "users.crt"))
    (tmp_path / "data").mkdir(exist_ok=True)
    await plane.start()
    try:
        assert plane.server is not None
        recorder = plane.server.authenticator = _Recorder(plane.server.authenticator)
        answer = await _get(plane.port, tls.client_context(mine.cert_pem, bob))
        assert answer.startswith(b"HTTP/1.1 403 Forbidden") and b'User \\"bob\\" cannot list' in answer, answer
        user = recorder.users[-1]
        assert user is not None and (user.name, user.groups) == ("bob", ("qa", "system:authenticated"))
        # The kubeconfig (cluster CA + my-ca; the admin certificate) reaches the server as admin.
        config = yaml.safe_load((tmp_path / "data" / "kubeconfig").read_text())
        ca = base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"])
        assert mine.cert_pem in ca
        user_data = config["users"][0]["user"]
        admin = pki.KeyPair(base64.b64decode(user_data["client-certificate-data"]),
                            base64.b64decode(user_data["client-key-data"]))
        answer = await _get(plane.port, tls.client_context(ca, admin), server_hostname="localhost")
        assert answer.startswith(b"HTTP/1.1 200 OK")
        assert recorder.users[-1] is not None and recorder.users[-1].name == "kubernetes-admin"
    finally:
        await plane.stop()
