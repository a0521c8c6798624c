"""Admission webhooks against an HTTPS webhook server started by the test (in-process API server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from webhook_helpers import (
    WebhookServer,
    allow,
    deny,
    json_patch,
    webhook,
    webhook_configuration,
)

from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer
from setpoint.testing import eventually

Obj = dict[str, Any]
VWC = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
MWC = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
CMS = "/api/v1/namespaces/default/configmaps"


async def call(api: APIServer, method: str, path: str, body: Obj | None = None) -> tuple[int, Obj, Response]:
    request = Request(method, path.split("?")[0], query_string=path.partition("?")[2].encode(),
                      headers={"content-type": "application/json", "accept": "application/json"},
                      body=orjson.dumps(body) if body is not None else b"")
    response = await api.handle(request)
    assert isinstance(response, Response)
    return response.status, orjson.loads(response.body), response


def configmap(name: str, labels: dict[str, str] | None = None, **data: str) -> Obj:
    meta: Obj = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def policy(path: str, review: Obj) -> Obj:
    """Refuse ConfigMaps whose data has ``forbidden``, warn about ``warn``."""
    obj = review["request"]["object"] or {}
    data = obj.get("data") or {}
    if "forbidden" in data:
        return deny(review, f"key 'forbidden' is not allowed in {obj['metadata']['name']}", code=403)
    if "warn" in data:
        return allow(review, warnings=["configmap has a warn key"], auditAnnotations={"checked": "yes"})
    return allow(review)


@pytest.fixture
async def hook_server() -> AsyncIterator[WebhookServer]:
    server = await WebhookServer(policy).start()
    try:
        yield server
    finally:
        await server.stop()


async def install(api: APIServer, kind: str, name: str, webhooks: list[Obj]) -> None:
    path = MWC if kind.startswith("Mutating") else VWC
    status, out, _ = await call(api, "POST", path, webhook_configuration(kind, name, webhooks))
    assert status == 201, out


async def test_configuration_defaults_and_validation(api: APIServer) -> None:
    status, out, _ = await call(api, "POST", VWC, webhook_configuration("ValidatingWebhookConfiguration", "v", [
        webhook("check.example.com", {"url": "https://127.0.0.1:1/x"})]))
    assert status == 201, out
    hook = out["webhooks"][0]
    assert (hook["failurePolicy"], hook["matchPolicy"], hook["timeoutSeconds"], hook["namespaceSelector"],
            hook["objectSelector"], hook["rules"][0]["scope"]) == ("Fail", "Equivalent", 10, {}, {}, "*")
    status, out, _ = await call(api, "POST", MWC, webhook_configuration("MutatingWebhookConfiguration", "m", [
        webhook("check.example.com", {"url": "http://127.0.0.1:1/x"}, sideEffects="Some")]))
    assert status == 422, out
    assert [(c["field"], c["message"]) for c in out["details"]["causes"]] == [
        ("webhooks[0].sideEffects", 'Unsupported value: "Some": supported values: "None", "NoneOnDryRun"'),
        ("webhooks[0].clientConfig.url", "Invalid value: \"http://127.0.0.1:1/x\": 'https' is the only allowed "
                                         "URL scheme")]


async def test_validating_webhook_denies_with_its_message(api: APIServer, hook_server: WebhookServer) -> None:
    await install(api, "ValidatingWebhookConfiguration", "policy", [
        webhook("policy.example.com", {"url": hook_server.url("/validate"), "caBundle": hook_server.ca_bundle})])

    async def refused() -> Obj:
        status, out, _ = await call(api, "POST", CMS, configmap("bad", forbidden="1"))
        assert status == 403, out
        return out

    out = await eventually(refused)
    assert out["message"] == ('admission webhook "policy.example.com" denied the request: '
                              "key 'forbidden' is not allowed in bad")
    assert (await call(api, "GET", f"{CMS}/bad"))[0] == 404  # nothing stored
    status, out, response = await call(api, "POST", CMS, configmap("warned", warn="1"))
    assert status == 201, out
    assert ("Warning", '299 - "configmap has a warn key"') in (response.headers or [])
    path, review = hook_server.reviews[-1]
    assert path == "/validate?timeout=10s"
    request = review["request"]
    assert (review["apiVersion"], request["operation"], request["kind"], request["resource"], request["name"],
            request["namespace"], request["userInfo"]["username"], request["oldObject"], request["dryRun"]) == (
        "admission.k8s.io/v1", "CREATE", {"group": "", "version": "v1", "kind": "ConfigMap"},
        {"group": "", "version": "v1", "resource": "configmaps"}, "warned", "default", "system:admin", None, False)
    # A denial without a code is a 400; without a message, "without explanation".
    hook_server.handler = lambda _p, r: {**deny(r, ""), "response": {"uid": r["request"]["uid"], "allowed": False}}
    status, out, _ = await call(api, "POST", CMS, configmap("plain"))
    assert (status, out["reason"], out["message"]) == (
        400, "", 'admission webhook "policy.example.com" denied the request without explanation')


async def test_failure_policy_when_the_webhook_is_down(api: APIServer, hook_server: WebhookServer) -> None:
    url = hook_server.url("/validate")
    await hook_server.stop()
    await install(api, "ValidatingWebhookConfiguration", "down", [
        webhook("fail.example.com", {"url": url, "caBundle": hook_server.ca_bundle},
                objectSelector={"matchLabels": {"policy": "fail"}}),
        webhook("ignore.example.com", {"url": url, "caBundle": hook_server.ca_bundle}, failurePolicy="Ignore")])

    async def failed() -> Obj:
        status, out, _ = await call(api, "POST", CMS, configmap("closed", {"policy": "fail"}))
        assert status == 500, out
        return out

    out = await eventually(failed)
    port = url.split(":")[2].split("/")[0]
    assert out["reason"] == "InternalError"
    assert out["message"] == (f'Internal error occurred: failed calling webhook "fail.example.com": failed to call '
                              f'webhook: Post "{url}?timeout=10s": dial tcp 127.0.0.1:{port}: connect: connection '
                              "refused")
    assert (await call(api, "GET", f"{CMS}/closed"))[0] == 404
    status, out, _ = await call(api, "POST", CMS, configmap("open"))  # only the Ignore webhook matches
    assert status == 201, out


async def test_ca_bundle_is_verified(api: APIServer, hook_server: WebhookServer) -> None:
    other = WebhookServer(policy)  # another CA
    await install(api, "ValidatingWebhookConfiguration", "wrong-ca", [
        webhook("ca.example.com", {"url": hook_server.url("/"), "caBundle": other.ca_bundle})])

    async def failed() -> Obj:
        status, out, _ = await call(api, "POST", CMS, configmap("x"))
        assert status == 500, out
        return out

    out = await eventually(failed)
    assert "tls: failed to verify certificate: x509: certificate signed by unknown authority" in out["message"]
    assert not hook_server.reviews


async def test_mutating_webhook_patches_the_object(api: APIServer, hook_server: WebhookServer) -> None:
    def add_label(path: str, review: Obj) -> Obj:
        labels = (review["request"]["object"]["metadata"].get("labels") or {})
        ops = [{"op": "add", "path": "/metadata/labels", "value": {**labels, "mutated": "yes"}}]
        return json_patch(review, ops)

    hook_server.handler = add_label
    await install(api, "MutatingWebhookConfiguration", "labeler", [
        webhook("labeler.example.com", {"url": hook_server.url("/mutate"), "caBundle": hook_server.ca_bundle})])

    async def labelled() -> Obj:
        status, out, _ = await call(api, "POST", CMS, configmap(f"m{len(hook_server.reviews)}", {"a": "b"}))
        assert status == 201, out
        assert out["metadata"]["labels"] == {"a": "b", "mutated": "yes"}
        return out

    out = await eventually(labelled)
    status, stored, _ = await call(api, "GET", f"{CMS}/{out['metadata']['name']}")
    assert stored["metadata"]["labels"] == {"a": "b", "mutated": "yes"}
    # A dry run calls it too (sideEffects None) and stores nothing.
    status, out, _ = await call(api, "POST", CMS + "?dryRun=All", configmap("dry"))
    assert status == 201 and out["metadata"]["labels"] == {"mutated": "yes"}
    assert hook_server.reviews[-1][1]["request"]["dryRun"] is True
    assert (await call(api, "GET", f"{CMS}/dry"))[0] == 404


async def test_reinvocation_if_needed(api: APIServer, hook_server: WebhookServer) -> None:
    def handler(path: str, review: Obj) -> Obj:
        labels = review["request"]["object"]["metadata"].get("labels") or {}
        if path == "/first":  # counts its calls in a label
            return json_patch(review, [{"op": "add", "path": "/metadata/labels",
                                        "value": {**labels, "first": str(int(labels.get("first", "0")) + 1)}}])
        if "second" in labels:
            return allow(review)
        return json_patch(review, [{"op": "add", "path": "/metadata/labels", "value": {**labels, "second": "1"}}])

    hook_server.handler = handler
    ca = hook_server.ca_bundle
    await install(api, "MutatingWebhookConfiguration", "a-first", [
        webhook("first.example.com", {"url": hook_server.url("/first"), "caBundle": ca},
                reinvocationPolicy="IfNeeded")])
    await install(api, "MutatingWebhookConfiguration", "b-second", [
        webhook("second.example.com", {"url": hook_server.url("/second"), "caBundle": ca})])

    async def reinvoked() -> Obj:
        status, out, _ = await call(api, "POST", CMS, configmap(f"r{len(hook_server.reviews)}"))
        assert status == 201, out
        assert out["metadata"].get("labels") == {"first": "2", "second": "1"}
        return out

    await eventually(reinvoked)


async def test_selectors_and_match_conditions_exclude(api: APIServer, hook_server: WebhookServer) -> None:
    status, out, _ = await call(api, "POST", "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "checked", "labels": {"webhooks": "on"}}})
    assert status == 201, out
    ca = hook_server.ca_bundle
    await install(api, "ValidatingWebhookConfiguration", "selective", [
        webhook("ns.example.com", {"url": hook_server.url("/ns"), "caBundle": ca},
                namespaceSelector={"matchLabels": {"webhooks": "on"}}),
        webhook("obj.example.com", {"url": hook_server.url("/obj"), "caBundle": ca},
                objectSelector={"matchExpressions": [{"key": "check", "operator": "Exists"}]}),
        webhook("cel.example.com", {"url": hook_server.url("/cel"), "caBundle": ca}, matchConditions=[
            {"name": "not-exempt", "expression": "!object.metadata.name.startsWith('exempt-')"},
            {"name": "by-admin", "expression": "request.userInfo.username == 'system:admin'"}])])

    async def checked() -> bool:
        status, out, _ = await call(api, "POST", "/api/v1/namespaces/checked/configmaps",
                                    configmap("exempt-a", forbidden="1"))
        assert status == 403, out
        return True

    await eventually(checked)
    # Only the namespace selector matched: its webhook alone was called.
    assert [p.split("?")[0] for p, _ in hook_server.reviews[-1:]] == ["/ns"]
    hook_server.reviews.clear()
    status, out, _ = await call(api, "POST", CMS, configmap("exempt-b", forbidden="1"))
    assert status == 201, out  # default namespace unlabelled, no `check` label, the condition false
    assert hook_server.reviews == []
    status, out, _ = await call(api, "POST", CMS, configmap("other", forbidden="1"))
    assert status == 403, out
    assert [p.split("?")[0] for p, _ in hook_server.reviews] == ["/cel"]
    hook_server.reviews.clear()
    status, out, _ = await call(api, "POST", CMS, configmap("exempt-c", {"check": "1"}, forbidden="1"))
    assert status == 403, out
    assert [p.split("?")[0] for p, _ in hook_server.reviews] == ["/obj"]


async def test_match_condition_errors_follow_the_failure_policy(api: APIServer, hook_server: WebhookServer) -> None:
    ca = hook_server.ca_bundle
    await install(api, "ValidatingWebhookConfiguration", "broken", [
        webhook("broken.example.com", {"url": hook_server.url("/"), "caBundle": ca}, matchConditions=[
            {"name": "missing", "expression": "object.data.nokey == 'x'"}])])

    async def refused() -> Obj:
        status, out, _ = await call(api, "POST", CMS, configmap("cel-error", some="1"))
        assert status == 403, out
        return out

    out = await eventually(refused)
    assert out["message"].startswith('configmaps "cel-error" is forbidden: expression \'missing\' resulted in error')
    assert hook_server.reviews == []


async def test_service_reference_resolves_to_this_machine(api: APIServer) -> None:
    """A Service without endpoints is 127.0.0.1 at its target port; the certificate names the Service."""
    server = await WebhookServer(policy, hosts=("webhook.default.svc",)).start()
    try:
        status, out, _ = await call(api, "POST", "/api/v1/namespaces/default/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "webhook"},
            "spec": {"ports": [{"port": 443, "targetPort": server.port}]}})
        assert status == 201, out["message"]
        await install(api, "ValidatingWebhookConfiguration", "svc", [
            webhook("svc.example.com", {"service": {"namespace": "default", "name": "webhook", "path": "/v"},
                                        "caBundle": server.ca_bundle})])

        async def refused() -> Obj:
            status, out, _ = await call(api, "POST", CMS, configmap("via-svc", forbidden="1"))
            assert status == 403, out
            return out

        await eventually(refused)
        assert server.reviews[-1][0] == "/v?timeout=10s"
    finally:
        await server.stop()


async def test_webhook_configurations_are_exempt(api: APIServer, hook_server: WebhookServer) -> None:
    """A webhook on everything is not asked about webhook configurations (no lock-out)."""
    hook_server.handler = lambda _p, r: deny(r, "no")
    await install(api, "ValidatingWebhookConfiguration", "all", [
        webhook("all.example.com", {"url": hook_server.url("/"), "caBundle": hook_server.ca_bundle},
                resources=("*",), operations=("*",))
        | {"rules": [{"apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"], "operations": ["*"]}]}])

    async def denied() -> bool:
        status, out, _ = await call(api, "POST", CMS, configmap("any"))
        assert status == 400, out
        return True

    await eventually(denied)
    status, out, _ = await call(api, "DELETE", f"{VWC}/all")
    assert status == 200, out
