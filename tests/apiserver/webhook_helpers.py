"""An HTTPS webhook server for tests: a CA and a serving certificate made here, aiohttp serving."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import ssl
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Obj = dict[str, Any]
Handler = Callable[[str, Obj], Obj | Awaitable[Obj]]


def make_tls(hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> tuple[str, ssl.SSLContext]:
    """A fresh CA (its PEM base64-encoded, as ``caBundle`` takes it) and a server context whose
    certificate, signed by it, names ``hosts``."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webhook-test-ca")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for h in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            names.append(x509.DNSName(h))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as tmp:
        cert_file, key_file = Path(tmp, "tls.crt"), Path(tmp, "tls.key")
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        ctx.load_cert_chain(cert_file, key_file)
    ca_bundle = base64.b64encode(ca.public_bytes(serialization.Encoding.PEM)).decode()
    return ca_bundle, ctx


class WebhookServer:
    """Serves ``handler(path, review) -> response`` over HTTPS on 127.0.0.1; records the reviews."""

    def __init__(self, handler: Handler, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> None:
        self.handler = handler
        self.ca_bundle, self._ssl = make_tls(hosts)
        self.reviews: list[tuple[str, Obj]] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def _serve(self, request: web.Request) -> web.Response:
        review = await request.json()
        self.reviews.append((request.path_qs, review))
        answer = self.handler(request.path, review)
        if not isinstance(answer, dict):
            answer = await answer
        return web.json_response(answer)

    async def start(self) -> WebhookServer:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, ssl_context=self._ssl)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url(self, path: str = "/") -> str:
        return f"https://127.0.0.1:{self.port}{path}"


def allow(review: Obj, **response: Any) -> Obj:
    """An AdmissionReview answer allowing the request (plus ``response`` fields)."""
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "response": {"uid": review["request"]["uid"], "allowed": True, **response}}


def deny(review: Obj, message: str, code: int | None = None) -> Obj:
    result: Obj = {"message": message}
    if code is not None:
        result["code"] = code
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "response": {"uid": review["request"]["uid"], "allowed": False, "status": result}}


def json_patch(review: Obj, ops: list[Obj]) -> Obj:
    import orjson

    return allow(review, patchType="JSONPatch", patch=base64.b64encode(orjson.dumps(ops)).decode())


def webhook_configuration(kind: str, name: str, webhooks: list[Obj]) -> Obj:
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": name},
            "webhooks": webhooks}


def webhook(name: str, client_config: Obj, *, resources: tuple[str, ...] = ("configmaps",),
            operations: tuple[str, ...] = ("CREATE", "UPDATE"), **fields: Any) -> Obj:
    return {"name": name, "clientConfig": client_config, "sideEffects": "None",
            "admissionReviewVersions": ["v1"],
            "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "resources": list(resources),
                       "operations": list(operations)}], **fields}
