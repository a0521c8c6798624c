"""An HTTPS webhook server for tests (aiohttp), its certificate from :mod:`setpoint.webhookcerts`."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from setpoint.webhookcerts import make_webhook_certificates

Obj = dict[str, Any]
Handler = Callable[[str, Obj], Obj | Awaitable[Obj]]


class WebhookServer:
    """Serves ``handler(path, review) -> response`` over HTTPS on 127.0.0.1; records the reviews."""

    def __init__(self, handler: Handler, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> None:
        self.handler = handler
        certs = make_webhook_certificates(*hosts)
        self.ca_bundle, self._ssl = certs.ca_bundle, certs.server_context()
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
