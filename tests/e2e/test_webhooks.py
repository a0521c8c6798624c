"""Admission and conversion webhooks against a real ``setpoint up``, with kubectl and the official
client. The webhook server runs in a thread of the test (``http.server`` over TLS), its CA made by
:mod:`setpoint.webhookcerts`."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from e2e_helpers import Kubectl, eventually

from setpoint.webhookcerts import make_webhook_certificates

pytestmark = pytest.mark.e2e

client = pytest.importorskip("kubernetes.client")
ApiException = client.exceptions.ApiException
Obj = dict[str, Any]


class Webhooks:
    """An HTTPS server answering reviews with ``routes[path](review)``."""

    def __init__(self) -> None:
        certs = make_webhook_certificates("127.0.0.1")
        self.ca_bundle = certs.ca_bundle
        self.routes: dict[str, Callable[[Obj], Obj]] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                body = json.dumps(routes[self.path.split("?")[0]](review)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = certs.server_context().wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def client_config(self, path: str) -> Obj:
        return {"url": f"https://127.0.0.1:{self.port}{path}", "caBundle": self.ca_bundle}

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hooks() -> Iterator[Webhooks]:
    server = Webhooks()
    try:
        yield server
    finally:
        server.stop()


def admission_answer(review: Obj, **response: Any) -> Obj:
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "response": {"uid": review["request"]["uid"], **response}}


def test_admission_webhooks_with_kubectl(kubectl: Kubectl, ns: str, hooks: Webhooks) -> None:
    def validate(review: Obj) -> Obj:
        data = (review["request"]["object"] or {}).get("data") or {}
        if "password" in data:
            return admission_answer(review, allowed=False,
                                    status={"code": 403, "message": "no passwords in ConfigMaps"})
        return admission_answer(review, allowed=True)

    def mutate(review: Obj) -> Obj:
        patch = [{"op": "add", "path": "/metadata/labels", "value": {"team": "platform"}}]
        return admission_answer(review, allowed=True, patchType="JSONPatch",
                                patch=base64.b64encode(json.dumps(patch).encode()).decode())

    hooks.routes.update({"/validate": validate, "/mutate": mutate})
    rules = [{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["configmaps"], "operations": ["CREATE"]}]
    selector = {"matchLabels": {"kubernetes.io/metadata.name": ns}}
    for kind, name, path in (("ValidatingWebhookConfiguration", f"{ns}-validate", "/validate"),
                             ("MutatingWebhookConfiguration", f"{ns}-mutate", "/mutate")):
        kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": name},
            "webhooks": [{"name": f"{path[1:]}.example.com", "clientConfig": hooks.client_config(path),
                          "rules": rules, "sideEffects": "None", "admissionReviewVersions": ["v1"],
                          "namespaceSelector": selector}]}))
    assert kubectl.out("get", "validatingwebhookconfigurations", f"{ns}-validate", "--no-headers").split()[1] == "1"

    def refused() -> bool:
        result = kubectl("create", "configmap", "secret", "-n", ns, "--from-literal=password=x", check=False)
        assert result.returncode == 1, result.stdout
        assert result.stderr.strip() == ('error: failed to create configmap: admission webhook "validate.example.com" '
                                         "denied the request: no passwords in ConfigMaps"), result.stderr
        return True

    eventually(refused)

    def labelled() -> bool:
        name = f"ok-{len(kubectl.out('get', 'cm', '-n', ns, '-o', 'name').split())}"
        kubectl("create", "configmap", name, "-n", ns, "--from-literal=a=b")
        assert kubectl.out("get", "cm", name, "-n", ns, "-o", "jsonpath={.metadata.labels.team}") == "platform"
        return True

    eventually(labelled)
    # The webhook gone, failurePolicy Fail refuses and nothing is stored.
    hooks.stop()
    result = kubectl("create", "configmap", "down", "-n", ns, "--from-literal=a=b", check=False)
    assert result.returncode == 1
    assert 'failed calling webhook "mutate.example.com"' in result.stderr, result.stderr
    assert kubectl("get", "cm", "down", "-n", ns, check=False).returncode == 1
    for kind, name in (("validatingwebhookconfiguration", f"{ns}-validate"),
                       ("mutatingwebhookconfiguration", f"{ns}-mutate")):
        kubectl("delete", kind, name)


def _convert(obj: Obj, desired: str) -> Obj:
    spec = dict(obj.get("spec") or {})
    if desired.endswith("/v2") and "host" in spec:
        spec = {"address": f"{spec.pop('host')}:{spec.pop('port')}", **spec}
    elif desired.endswith("/v1") and "address" in spec:
        host, port = spec.pop("address").rsplit(":", 1)
        spec = {"host": host, "port": int(port), **spec}
    return {**obj, "apiVersion": desired, "spec": spec}


def test_conversion_webhook_with_kubectl_and_the_client(kubectl: Kubectl, k8s: Any, ns: str,
                                                       hooks: Webhooks) -> None:
    def convert(review: Obj) -> Obj:
        request = review["request"]
        return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
                "response": {"uid": request["uid"], "result": {"status": "Success"},
                             "convertedObjects": [_convert(o, request["desiredAPIVersion"])
                                                  for o in request["objects"]]}}

    hooks.routes["/convert"] = convert
    group = f"{ns}.example.com"

    def version(name: str, storage: bool, props: Obj) -> Obj:
        return {"name": name, "served": True, "storage": storage, "schema": {"openAPIV3Schema": {
            "type": "object", "properties": {"spec": {"type": "object", "properties": props}}}}}

    kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"endpointconfigs.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": "endpointconfigs", "singular": "endpointconfig", "kind": "EndpointConfig"},
                 "versions": [version("v1", True, {"host": {"type": "string"}, "port": {"type": "integer"}}),
                              version("v2", False, {"address": {"type": "string"}})],
                 "conversion": {"strategy": "Webhook", "webhook": {
                     "conversionReviewVersions": ["v1"], "clientConfig": hooks.client_config("/convert")}}}}))
    kubectl("wait", "--for=condition=Established", f"crd/endpointconfigs.{group}")

    def created() -> bool:
        kubectl("apply", "-n", ns, "-f", "-", input=json.dumps({
            "apiVersion": f"{group}/v1", "kind": "EndpointConfig", "metadata": {"name": "db"},
            "spec": {"host": "db.internal", "port": 5432}}))
        return True

    eventually(created)
    out = json.loads(kubectl.out("get", f"endpointconfigs.v2.{group}", "db", "-n", ns, "-o", "json"))
    assert (out["apiVersion"], out["spec"]) == (f"{group}/v2", {"address": "db.internal:5432"})
    custom = client.CustomObjectsApi(k8s)
    obj = custom.get_namespaced_custom_object(group, "v2", ns, "endpointconfigs", "db")
    assert obj["spec"] == {"address": "db.internal:5432"}
    custom.create_namespaced_custom_object(group, "v2", ns, "endpointconfigs", {
        "apiVersion": f"{group}/v2", "kind": "EndpointConfig", "metadata": {"name": "cache"},
        "spec": {"address": "cache.internal:6379"}})
    listed = custom.list_namespaced_custom_object(group, "v2", ns, "endpointconfigs")
    assert [(i["apiVersion"], i["spec"]) for i in listed["items"]] == [
        (f"{group}/v2", {"address": "cache.internal:6379"}), (f"{group}/v2", {"address": "db.internal:5432"})]
    stored = custom.get_namespaced_custom_object(group, "v1", ns, "endpointconfigs", "cache")
    assert stored["spec"] == {"host": "cache.internal", "port": 6379}
    kubectl("delete", "crd", f"endpointconfigs.{group}")
