"""``pods/eviction`` through admission: a validating webhook on ``pods/eviction`` sees the Eviction
(a CREATE of the subresource) and can refuse it before the pod is touched, as on kube-apiserver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from test_admission_webhooks import install
from test_eviction import PODS, call, eviction, running_pod
from webhook_helpers import WebhookServer, allow, deny, webhook

from setpoint.apiserver.server import APIServer
from setpoint.testing import eventually

Obj = dict[str, Any]


def guard(path: str, review: Obj) -> Obj:
    """Refuse the eviction of pods named ``keep-*`` with kube's 429."""
    if review["request"]["name"].startswith("keep-"):
        return deny(review, "the fleet's budget allows no disruption", code=429)
    return allow(review)


@pytest.fixture
async def hook_server() -> AsyncIterator[WebhookServer]:
    server = await WebhookServer(guard).start()
    try:
        yield server
    finally:
        await server.stop()


async def test_a_validating_webhook_on_pods_eviction_refuses_or_lets_it_through(
        api: APIServer, hook_server: WebhookServer) -> None:
    await running_pod(api, "keep-0")
    await running_pod(api, "go-0")
    await install(api, "ValidatingWebhookConfiguration", "evictions", [
        webhook("evictions.example.com", {"url": hook_server.url("/evict"), "caBundle": hook_server.ca_bundle},
                resources=("pods/eviction",), operations=("CREATE",))])

    async def refused() -> Obj:
        status, out, _ = await call(api, "POST", f"{PODS}/keep-0/eviction", eviction("keep-0"))
        assert status == 429, out
        return out

    out = await eventually(refused)
    assert out["message"] == ('admission webhook "evictions.example.com" denied the request: '
                              "the fleet's budget allows no disruption")
    assert (await call(api, "GET", f"{PODS}/keep-0"))[0] == 200  # nothing changed
    status, out, _ = await call(api, "POST", f"{PODS}/go-0/eviction", eviction("go-0"))
    assert status == 201, out
    assert (await call(api, "GET", f"{PODS}/go-0"))[0] == 404
    _, review = hook_server.reviews[-1]
    request = review["request"]
    assert (request["operation"], request["resource"], request["subResource"], request["name"],
            request["namespace"], request["object"]["kind"], request["object"]["metadata"]["name"]) == (
        "CREATE", {"group": "", "version": "v1", "resource": "pods"}, "eviction", "go-0", "default",
        "Eviction", "go-0")
    # the kind is the subresource's own, as kube-apiserver says it
    assert request["kind"] == request["requestKind"] == {"group": "policy", "version": "v1", "kind": "Eviction"}
    # a dry run is said to the webhook
    await running_pod(api, "go-1")
    status, out, _ = await call(api, "POST", f"{PODS}/go-1/eviction", eviction("go-1"), query=b"dryRun=All")
    assert status == 201, out
    assert hook_server.reviews[-1][1]["request"]["dryRun"] is True
    assert (await call(api, "GET", f"{PODS}/go-1"))[0] == 200
