"""A realistic multi-version CRD (certificate-like: issuer reference, duration, DNS names,
conditions in status) driven end to end through kubectl."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from crd_helpers import Server, eventually, wait_established

pytestmark = pytest.mark.e2e

CERT_SCHEMA_V1 = """
type: object
description: A Certificate is a request for a signed X.509 certificate, kept fresh by the controller.
required: [spec]
properties:
  spec:
    type: object
    description: The certificate wanted.
    required: [secretName, issuerRef, dnsNames]
    x-kubernetes-validations:
    - rule: "!has(self.renewBefore) || self.renewBefore < self.duration"
      message: renewBefore must be shorter than duration
      fieldPath: .renewBefore
    properties:
      secretName:
        type: string
        description: The Secret the signed certificate and its key are written to.
        pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
        maxLength: 253
        x-kubernetes-validations:
        - {rule: self == oldSelf, message: secretName is immutable}
      issuerRef:
        type: object
        description: The issuer that signs the certificate.
        required: [name]
        properties:
          name: {type: string, description: Name of the issuer., maxLength: 253}
          kind: {type: string, enum: [Issuer, ClusterIssuer], default: Issuer, description: Kind of the issuer.}
          group: {type: string, default: cert.example.com, maxLength: 253}
      duration:
        type: string
        format: duration
        default: 2160h
        description: How long the certificate is valid, as a Go duration.
      renewBefore: {type: string, format: duration, description: When to renew, before expiry.}
      dnsNames:
        type: array
        description: The DNS names the certificate is for.
        minItems: 1
        maxItems: 100
        x-kubernetes-list-type: set
        items: {type: string, maxLength: 253}
        x-kubernetes-validations:
        - rule: self.all(n, n.matches('^([*][.])?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'))
          messageExpression: "'invalid DNS name: ' + self.filter(n, !n.matches('^([*][.])?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'))[0]"
      usages:
        type: array
        maxItems: 8
        items: {type: string, enum: [digital signature, key encipherment, server auth, client auth]}
        default: [digital signature, key encipherment]
  status:
    type: object
    properties:
      notAfter: {type: string, format: date-time}
      revision: {type: integer, minimum: 1}
      conditions:
        type: array
        maxItems: 8
        x-kubernetes-list-type: map
        x-kubernetes-list-map-keys: [type]
        items:
          type: object
          required: [type, status]
          properties:
            type: {type: string, maxLength: 64}
            status: {type: string, enum: ["True", "False", "Unknown"]}
            reason: {type: string, maxLength: 128}
            message: {type: string, maxLength: 1024}
            lastTransitionTime: {type: string, format: date-time}
            observedGeneration: {type: integer, minimum: 0}
"""


def cert_crd() -> dict[str, Any]:
    v1 = yaml.safe_load(CERT_SCHEMA_V1)
    # v1alpha1: the same shape, before dnsNames got its rule and usages existed.
    alpha = json.loads(json.dumps(v1))
    alpha["properties"]["spec"]["properties"]["dnsNames"].pop("x-kubernetes-validations")
    alpha["properties"]["spec"]["properties"].pop("usages")
    columns = [
        {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
        {"name": "Secret", "type": "string", "jsonPath": ".spec.secretName"},
        {"name": "Issuer", "type": "string", "jsonPath": ".spec.issuerRef.name", "priority": 1},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]
    version = {"served": True, "subresources": {"status": {}}, "additionalPrinterColumns": columns,
               "selectableFields": [{"jsonPath": ".spec.issuerRef.name"}]}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "certificates.cert.example.com"},
        "spec": {
            "group": "cert.example.com",
            "scope": "Namespaced",
            "names": {"plural": "certificates", "singular": "certificate", "kind": "Certificate",
                      "shortNames": ["cert", "certs"], "categories": ["certs-all"]},
            "versions": [
                {"name": "v1alpha1", **version, "storage": False, "deprecated": True,
                 "deprecationWarning": "cert.example.com/v1alpha1 Certificate is deprecated; use v1",
                 "schema": {"openAPIV3Schema": alpha}},
                {"name": "v1", **version, "storage": True, "schema": {"openAPIV3Schema": v1}},
            ],
        },
    }


NS = "default"
V1 = f"/apis/cert.example.com/v1/namespaces/{NS}/certificates"
ALPHA = f"/apis/cert.example.com/v1alpha1/namespaces/{NS}/certificates"


def cert(name: str, version: str = "v1", **spec: Any) -> dict[str, Any]:
    base = {"secretName": f"{name}-tls", "issuerRef": {"name": "letsencrypt"}, "dnsNames": [f"{name}.example.com"]}
    return {"apiVersion": f"cert.example.com/{version}", "kind": "Certificate",
            "metadata": {"name": name, "namespace": NS}, "spec": {**base, **spec}}


@pytest.fixture(scope="module")
def certs(srv: Server) -> Server:
    srv.apply(cert_crd())
    wait_established(srv, "certificates.cert.example.com")
    eventually(lambda: srv.request("GET", V1).status == 200 and srv.request("GET", ALPHA).status == 200)
    return srv


def test_lifecycle_through_kubectl(certs: Server) -> None:
    out = certs.apply(cert("web", dnsNames=["web.example.com", "*.web.example.com"])).stdout
    assert out == "certificate.cert.example.com/web created\n"
    obj = certs.get(f"{V1}/web")
    spec = obj["spec"]
    # Defaults, also nested.
    assert spec["duration"] == "2160h"
    assert spec["issuerRef"] == {"name": "letsencrypt", "kind": "Issuer", "group": "cert.example.com"}
    assert spec["usages"] == ["digital signature", "key encipherment"]
    assert obj["metadata"]["generation"] == 1
    # The controller's side: conditions in status.
    status = {"status": {"notAfter": "2027-01-01T00:00:00Z", "revision": 1, "conditions": [
        {"type": "Ready", "status": "True", "reason": "Issued", "message": "Certificate is up to date",
         "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1}]}}
    certs.kubectl("patch", "certificate", "web", "-n", NS, "--subresource=status", "--type=merge", "-p",
                  json.dumps(status))
    lines = certs.kubectl("get", "certs", "-n", NS).stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "SECRET", "AGE"]
    assert lines[1].split()[:3] == ["web", "True", "web-tls"]
    wide = certs.kubectl("get", "certificate", "web", "-n", NS, "-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "READY", "SECRET", "ISSUER", "AGE"]
    assert wide[1].split()[:4] == ["web", "True", "web-tls", "letsencrypt"]
    # Selectable field on the issuer.
    names = certs.kubectl("get", "certificates", "-n", NS, "--field-selector", "spec.issuerRef.name=letsencrypt",
                          "-o", "name").stdout.split()
    assert "certificate.cert.example.com/web" in names
    assert certs.kubectl("get", "certificates", "-n", NS, "--field-selector", "spec.issuerRef.name=other",
                         "-o", "name").stdout == ""
    # explain reads the published schema.
    out = certs.kubectl("explain", "certificate.spec.issuerRef.kind").stdout
    assert "Kind of the issuer." in out and "ClusterIssuer" in out
    # Renewal by the controller: status only, generation stays.
    assert certs.get(f"{V1}/web")["metadata"]["generation"] == 1
    # kubectl delete.
    assert "deleted" in certs.kubectl("delete", "certificate", "web", "-n", NS).stdout
    assert certs.request("GET", f"{V1}/web").status == 404


def test_rules_and_messages(certs: Server) -> None:
    r = certs.apply(cert("bad1", dnsNames=["ok.example.com", "Bad_Name", "also bad"]), check=False)
    assert 'spec.dnsNames: Invalid value: "array": invalid DNS name: Bad_Name' in r.stderr
    r = certs.apply(cert("bad2", duration="1h", renewBefore="2h"), check=False)
    assert 'spec.renewBefore: Invalid value: "object": renewBefore must be shorter than duration' in r.stderr
    r = certs.apply(cert("bad3", issuerRef={"name": "x", "kind": "Vault"}), check=False)
    assert ('spec.issuerRef.kind: Unsupported value: "Vault": supported values: "Issuer", "ClusterIssuer"'
            in r.stderr)
    r = certs.apply(cert("bad4", duration="90 days please"), check=False)
    assert 'spec.duration in body must be of type duration: "90 days please"' in r.stderr
    r = certs.apply(cert("bad5", dnsNames=[]), check=False)
    assert "spec.dnsNames: Invalid value: 0: spec.dnsNames in body should have at least 1 items" in r.stderr
    body = cert("bad6")
    del body["spec"]["issuerRef"]
    r = certs.apply(body, check=False)
    assert "spec.issuerRef: Required value" in r.stderr
    # Transition rule: the secret name cannot change.
    certs.apply(cert("stable"))
    r = certs.kubectl("patch", "certificate", "stable", "-n", NS, "--type=merge", "-p",
                      '{"spec":{"secretName":"other-tls"}}', check=False)
    assert 'spec.secretName: Invalid value: "string": secretName is immutable' in r.stderr
    # Status is validated by its schema (map-list keys unique, enums).
    r = certs.kubectl("patch", "certificate", "stable", "-n", NS, "--subresource=status", "--type=merge", "-p",
                      '{"status":{"conditions":[{"type":"Ready","status":"Maybe"}]}}', check=False)
    assert ('status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", '
            '"Unknown"') in r.stderr


def test_versions_share_objects(certs: Server) -> None:
    """conversion strategy None: one stored object, served in either version with its apiVersion."""
    r = certs.request("POST", ALPHA, cert("old", "v1alpha1"))
    assert r.status == 201, r.body
    assert r.json()["apiVersion"] == "cert.example.com/v1alpha1"
    assert r.headers["warning"] == '299 - "cert.example.com/v1alpha1 Certificate is deprecated; use v1"'
    as_v1 = certs.get(f"{V1}/old")
    assert as_v1["apiVersion"] == "cert.example.com/v1"
    assert as_v1["spec"]["secretName"] == "old-tls"
    assert certs.get(f"{ALPHA}/old")["apiVersion"] == "cert.example.com/v1alpha1"
    # Each version validates with its own schema: usages exist only in v1.
    r = certs.request("POST", f"{ALPHA}?fieldValidation=Strict", cert("old2", "v1alpha1", usages=["server auth"]))
    assert r.status == 400 and 'unknown field "spec.usages"' in r.json()["message"]
    # kubectl picks the preferred version (v1) and lists both.
    out = certs.kubectl("get", "certificates.v1alpha1.cert.example.com", "-n", NS, "-o", "name").stdout
    assert "certificate.cert.example.com/old" in out.split()
    crd = certs.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/certificates.cert.example.com")
    assert crd["status"]["storedVersions"] == ["v1"]
    group = certs.get("/apis/cert.example.com")
    assert group["preferredVersion"]["version"] == "v1"
