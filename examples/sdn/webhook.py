"""The Subnet admission webhook: conflicting Subnets refused at creation, where a webhook can run.

The subnet validator finds a conflict after the fact; a validating admission webhook can refuse
the Subnet before it exists. It judges the new Subnet with the validator's own rule
(:func:`examples.sdn.validator.judge`) against the Subnets of its VNI in its manager's cache, as
the youngest of them, and refuses it with the validator's reasons. A cache can lag and two
Subnets can be created at once, so the webhook narrows the window and the controller still holds
the invariant; the configuration's ``failurePolicy: Ignore`` keeps Subnets creatable while the
webhook is down, for the same reason.

::

    hook = SubnetWebhook(mgr)                     # before mgr runs: it shares the Subnet informer
    await hook.start("127.0.0.1", 9443, certs.server_context())
    await client.create(hook.configuration(hook.url, certs.ca_bundle))
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from setpoint.runtime import Manager
from setpoint.runtime.informer import Informer

from .api import GROUP, SUBNET, VERSION
from .validator import BY_VNI, subnet_vni
from .validator import judge as judge_group

NAME = f"subnets.{GROUP}"
PATH = "/validate-subnet"


class SubnetWebhook:
    """Serves ``POST /validate-subnet`` (AdmissionReview v1) over HTTPS."""

    def __init__(self, mgr: Manager) -> None:
        self.informer: Informer = mgr.cache.acquire(SUBNET, indexers={BY_VNI: subnet_vni})
        self.url = ""
        self._runner: web.AppRunner | None = None

    def judge(self, subnet: Mapping[str, Any]) -> list[str]:
        """Why ``subnet`` (being created) conflicts with the Subnets of its VNI; empty: it does not."""
        meta = subnet.get("metadata") or {}
        key = (meta.get("namespace") or "", meta.get("name") or "")
        peers = [p for p in self.informer.store.by_index(BY_VNI, str(subnet["spec"]["vni"]))
                 if (p["metadata"]["namespace"], p["metadata"]["name"]) != key]
        youngest = {**subnet, "metadata": {**meta, "namespace": key[0], "name": key[1],
                                           "creationTimestamp": "9999-12-31T23:59:59Z"}}
        return judge_group([*peers, youngest]).get(key, [])

    def review(self, review: Mapping[str, Any]) -> dict[str, Any]:
        """The AdmissionReview answer to ``review``."""
        request = review["request"]
        obj = dict(request.get("object") or {})
        obj.setdefault("metadata", {}).setdefault("namespace", request.get("namespace") or "")
        reasons = self.judge(obj) if self.informer.has_synced and obj.get("spec") else []
        response: dict[str, Any] = {"uid": request["uid"], "allowed": not reasons}
        if reasons:
            response["status"] = {"code": 422, "reason": "Invalid", "message": "; ".join(reasons)}
        return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}

    async def _serve(self, request: web.Request) -> web.Response:
        return web.json_response(self.review(await request.json()))

    async def start(self, host: str, port: int, ssl_context: ssl.SSLContext) -> str:
        """Serve on ``host:port`` (0: a free port); returns the webhook's URL."""
        app = web.Application()
        app.router.add_post(PATH, self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=ssl_context)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or ()
        bound = sockets[0].getsockname()[1] if sockets else port
        self.url = f"https://{host}:{bound}{PATH}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @staticmethod
    def configuration(url: str, ca_bundle: str) -> dict[str, Any]:
        """The ValidatingWebhookConfiguration sending Subnet creations to ``url``."""
        return {
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": NAME},
            "webhooks": [{
                "name": NAME,
                "clientConfig": {"url": url, "caBundle": ca_bundle},
                "rules": [{"apiGroups": [GROUP], "apiVersions": [VERSION], "operations": ["CREATE"],
                           "resources": ["subnets"], "scope": "Namespaced"}],
                "admissionReviewVersions": ["v1"],
                "sideEffects": "None",
                "failurePolicy": "Ignore",
                "timeoutSeconds": 5,
            }],
        }
