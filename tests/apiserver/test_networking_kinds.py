"""networking.k8s.io/v1 Ingress, IngressClass and NetworkPolicy: defaults, kube's validation messages,
tables and the Ingress /status."""

from __future__ import annotations

from typing import Any

import orjson

from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

Obj = dict[str, Any]
BASE = "/apis/networking.k8s.io/v1"
INGRESSES = BASE + "/namespaces/default/ingresses"
POLICIES = BASE + "/namespaces/default/networkpolicies"
CLASSES = BASE + "/ingressclasses"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


async def call(api: APIServer, method: str, path: str, body: Obj | None = None, *,
               accept: str = "application/json") -> tuple[int, Obj]:
    request = Request(method, path, query_string=b"", headers={"content-type": "application/json", "accept": accept},
                      body=orjson.dumps(body) if body is not None else b"")
    response = await api.handle(request)
    assert isinstance(response, Response)
    return response.status, orjson.loads(response.body)


def obj(kind: str, name: str, spec: Obj, **meta: Any) -> Obj:
    return {"apiVersion": "networking.k8s.io/v1", "kind": kind, "metadata": {"name": name, **meta}, "spec": spec}


def causes(out: Obj) -> list[tuple[str, str]]:
    return [(c["field"], c["message"]) for c in out["details"]["causes"]]


def backend(name: str = "web", **port: Any) -> Obj:
    return {"service": {"name": name, "port": port or {"number": 80}}}


async def test_ingress_status_generation_and_table(api: APIServer) -> None:
    body = obj("Ingress", "site", {"ingressClassName": "nginx", "tls": [{"hosts": ["a.example.com"]}], "rules": [
        {"host": "a.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend()}]}},
        {"host": "b.example.com", "http": {"paths": [{"path": "/b", "pathType": "Exact", "backend": backend()}]}},
    ]})
    body["status"] = {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}
    status, out = await call(api, "POST", INGRESSES, body)
    assert status == 201, out
    assert out["status"] == {} and out["metadata"]["generation"] == 1
    out["status"] = {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}, {"hostname": "lb.example.com"}]}}
    status, out = await call(api, "PUT", INGRESSES + "/site/status", out)
    assert status == 200 and out["status"]["loadBalancer"]["ingress"][0] == {"ip": "10.0.0.1"}
    assert out["metadata"]["generation"] == 1
    status, table = await call(api, "GET", INGRESSES, accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Class", "Hosts", "Address", "Ports", "Age"]
    assert table["rows"][0]["cells"][:5] == ["site", "nginx", "a.example.com,b.example.com",
                                             "10.0.0.1,lb.example.com", "80, 443"]
    out["spec"]["rules"] = out["spec"]["rules"][:1]
    out["status"] = {}
    status, out = await call(api, "PUT", INGRESSES + "/site", out)
    assert status == 200 and out["metadata"]["generation"] == 2
    assert out["status"]["loadBalancer"]["ingress"][0] == {"ip": "10.0.0.1"}  # the main resource keeps the status
    out["status"] = {"loadBalancer": {"ingress": [{"ip": "nope", "hostname": "1.2.3.4"}]}}
    status, bad = await call(api, "PUT", INGRESSES + "/site/status", out)
    assert status == 422
    assert causes(bad) == [
        ("status.loadBalancer.ingress[0].ip", 'Invalid value: "nope": must be a valid IP address, '
                                              "(e.g. 10.9.8.7 or 2001:db8::ffff)"),
        ("status.loadBalancer.ingress[0].hostname", 'Invalid value: "1.2.3.4": must be a DNS name, not an IP address'),
    ]


async def test_ingress_validation_messages(api: APIServer) -> None:
    status, out = await call(api, "POST", INGRESSES, obj("Ingress", "empty", {}))
    assert status == 422
    assert causes(out) == [("spec", "Invalid value: []networking.IngressRule(nil): "
                                    "either `defaultBackend` or `rules` must be specified")]
    spec = {"ingressClassName": "b", "rules": [
        {"host": "1.2.3.4", "http": {"paths": [
            {"path": "relative", "pathType": "Prefix", "backend": backend()},
            {"path": "/a//b/..", "pathType": "Exact", "backend": backend("Web_1", number=0)},
            {"path": "/", "pathType": "Regex", "backend": {"service": {"name": "web", "port": {"name": "a--b"}}}},
            {"path": "/", "backend": backend()},
            {"path": "/", "pathType": "Prefix", "backend": {}},
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {}}}},
        ]}},
        {"host": "*.bad*", "http": {"paths": []}},
    ], "tls": [{"secretName": "Bad_Secret"}]}
    status, out = await call(api, "POST", INGRESSES, obj("Ingress", "bad", spec,
                                                         annotations={"kubernetes.io/ingress.class": "a"}))
    assert status == 422
    assert causes(out) == [
        ("spec.rules[0].host", 'Invalid value: "1.2.3.4": must be a DNS name, not an IP address'),
        ("spec.rules[0].http.paths[0].path", 'Invalid value: "relative": must be an absolute path'),
        ("spec.rules[0].http.paths[1].path", "Invalid value: \"/a//b/..\": must not contain '//'"),
        ("spec.rules[0].http.paths[1].path", "Invalid value: \"/a//b/..\": cannot end with '/..'"),
        ("spec.rules[0].http.paths[1].backend.service.name",
         'Invalid value: "Web_1": a lowercase RFC 1123 label must consist of lower case alphanumeric characters '
         "or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
         "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
        ("spec.rules[0].http.paths[1].backend", "Required value: port name or number is required"),
        ("spec.rules[0].http.paths[2].pathType",
         'Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"'),
        ("spec.rules[0].http.paths[2].backend.service.port.name",
         'Invalid value: "a--b": must not contain consecutive hyphens'),
        ("spec.rules[0].http.paths[3].pathType", "Required value: pathType must be specified"),
        ("spec.rules[0].http.paths[4].backend", 'Invalid value: "": resource or service backend is required'),
        ("spec.rules[0].http.paths[5].backend", "Required value: port name or number is required"),
        ("spec.rules[1].host",
         "Invalid value: \"*.bad*\": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS "
         "subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an "
         "alphanumeric character (e.g. '*.example.com', regex used for validation is "
         "'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
        ("spec.rules[1].http.paths", "Required value"),
        ("spec.tls[0].secretName",
         'Invalid value: "Bad_Secret": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
         "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
         "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
        ("annotations.kubernetes.io/ingress.class",
         'Invalid value: "a": must match `ingressClassName` when both are specified'),
    ]


async def test_ingress_class_defaults_validation_and_table(api: APIServer) -> None:
    body = obj("IngressClass", "nginx", {"controller": "k8s.io/ingress-nginx", "parameters": {
        "apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external-lb"}})
    status, out = await call(api, "POST", CLASSES, body)
    assert status == 201, out
    assert out["spec"]["parameters"]["scope"] == "Cluster"
    status, table = await call(api, "GET", CLASSES, accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Controller", "Parameters", "Age"]
    assert table["rows"][0]["cells"][:3] == ["nginx", "k8s.io/ingress-nginx",
                                             "IngressParameters.k8s.example.com/external-lb"]
    out["spec"]["controller"] = "example.com/other"
    status, refused = await call(api, "PUT", CLASSES + "/nginx", out)
    assert status == 422
    assert causes(refused) == [("spec.controller", 'Invalid value: "example.com/other": field is immutable')]

    bad = obj("IngressClass", "bad", {"controller": "nginx", "parameters": {
        "kind": "P", "name": "p", "scope": "Namespace"}})
    status, out = await call(api, "POST", CLASSES, bad)
    assert status == 422
    assert causes(out) == [
        ("spec.controller", 'Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")'),
        ("spec.parameters.namespace", "Required value: `parameters.scope` is set to 'Namespace'"),
    ]


async def test_network_policy_defaults_validation_and_table(api: APIServer) -> None:
    body = obj("NetworkPolicy", "db", {"podSelector": {"matchLabels": {"role": "db"}},
                                       "ingress": [{"ports": [{"port": 5432}]}], "egress": [{}]})
    status, out = await call(api, "POST", POLICIES, body)
    assert status == 201, out
    assert out["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert out["spec"]["ingress"][0]["ports"] == [{"port": 5432, "protocol": "TCP"}]
    assert out["metadata"]["generation"] == 1
    status, table = await call(api, "GET", POLICIES, accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Pod-Selector", "Age"]
    assert table["rows"][0]["cells"][:2] == ["db", "role=db"]

    bad = obj("NetworkPolicy", "bad", {"podSelector": {}, "policyTypes": ["Ingress", "Sideways"], "ingress": [{
        "ports": [{"port": 80, "endPort": 79, "protocol": "HTTP"}, {"port": "http", "endPort": 90}, {"endPort": 5}],
        "from": [{}, {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16", "10.0.0.0/33"]},
                      "podSelector": {}}],
    }]})
    status, out = await call(api, "POST", POLICIES, bad)
    assert status == 422
    assert causes(out) == [
        ("spec.ingress[0].ports[0].protocol", 'Unsupported value: "HTTP": supported values: "TCP", "UDP", "SCTP"'),
        ("spec.ingress[0].ports[0].endPort", "Invalid value: 79: must be greater than or equal to `port`"),
        ("spec.ingress[0].ports[1].endPort", "Invalid value: 90: may not be specified when `port` is non-numeric"),
        ("spec.ingress[0].ports[2].endPort", "Invalid value: 5: may not be specified when `port` is not specified"),
        ("spec.ingress[0].from[0]", "Required value: must specify a peer"),
        ("spec.ingress[0].from[1].ipBlock.except[0]", 'Invalid value: "192.168.0.0/16": must be a strict subset '
                                                      "of `cidr`"),
        ("spec.ingress[0].from[1].ipBlock.except[1]", 'Invalid value: "10.0.0.0/33": must be a valid CIDR value, '
                                                      "(e.g. 10.9.8.0/24 or 2001:db8::/64)"),
        ("spec.ingress[0].from[1]", "Forbidden: may not specify both ipBlock and another peer"),
        ("spec.policyTypes[1]", 'Unsupported value: "Sideways": supported values: "Ingress", "Egress"'),
    ]


async def test_a_new_ingress_gets_the_default_class(api: APIServer) -> None:
    default = {"ingressclass.kubernetes.io/is-default-class": "true"}
    for name in ("b-default", "a-default"):  # the newest wins, then the first by name: a-default either way
        status, _ = await call(api, "POST", CLASSES, obj("IngressClass", name, {"controller": "example.com/x"},
                                                         annotations=default))
        assert status == 201
    status, _ = await call(api, "POST", CLASSES, obj("IngressClass", "other", {"controller": "example.com/y"}))
    assert status == 201
    spec = {"defaultBackend": backend()}
    status, out = await call(api, "POST", INGRESSES, obj("Ingress", "plain", spec))
    assert status == 201 and out["spec"]["ingressClassName"] == "a-default"
    status, out = await call(api, "POST", INGRESSES, obj("Ingress", "named", {**spec, "ingressClassName": "other"}))
    assert status == 201 and out["spec"]["ingressClassName"] == "other"
    status, out = await call(api, "POST", INGRESSES, obj("Ingress", "annotated", spec,
                                                         annotations={"kubernetes.io/ingress.class": "legacy"}))
    assert status == 201 and "ingressClassName" not in out["spec"]
