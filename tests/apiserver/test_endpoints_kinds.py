"""core/v1 Endpoints and discovery.k8s.io/v1 EndpointSlice: defaults, kube's validation messages, tables."""

from __future__ import annotations

from typing import Any

import orjson

from setpoint.apiserver.builtin.discovery import format_endpoints
from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

Obj = dict[str, Any]
ENDPOINTS = "/api/v1/namespaces/default/endpoints"
SLICES = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
DEPRECATED = '299 - "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"'


async def call(api: APIServer, method: str, path: str, body: Obj | None = None, *,
               accept: str = "application/json") -> tuple[int, Obj, list[tuple[str, str]]]:
    request = Request(method, path, query_string=b"", headers={"content-type": "application/json", "accept": accept},
                      body=orjson.dumps(body) if body is not None else b"")
    response = await api.handle(request)
    assert isinstance(response, Response)
    return response.status, orjson.loads(response.body), list(response.headers or [])


def endpoints(name: str = "web", **extra: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name}, **extra}


def endpoint_slice(name: str = "web-abc", **extra: Any) -> Obj:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": name}, **extra}


def causes(out: Obj) -> list[tuple[str, str]]:
    return [(c["field"], c["message"]) for c in out["details"]["causes"]]


async def test_endpoints_defaults_table_and_deprecation_warning(api: APIServer) -> None:
    body = endpoints(subsets=[{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}],
                               "notReadyAddresses": [{"ip": "10.0.0.3"}], "ports": [{"port": 80}]}])
    status, out, headers = await call(api, "POST", ENDPOINTS, body)
    assert status == 201, out
    assert out["subsets"][0]["ports"] == [{"port": 80, "protocol": "TCP"}]
    assert ("Warning", DEPRECATED) in headers
    status, table, headers = await call(api, "GET", ENDPOINTS, accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Endpoints", "Age"]
    assert table["rows"][0]["cells"][:2] == ["web", "10.0.0.1:80,10.0.0.2:80"]
    assert ("Warning", DEPRECATED) in headers


def test_endpoints_column_as_kubectl_prints_it() -> None:
    assert format_endpoints({}) == "<none>"
    assert format_endpoints({"subsets": [{"notReadyAddresses": [{"ip": "10.0.0.9"}], "ports": [{"port": 80}]}]}) == ""
    many = {"subsets": [{"addresses": [{"ip": f"10.0.0.{i}"} for i in range(1, 4)],
                         "ports": [{"port": 80}, {"port": 443}]}]}
    assert format_endpoints(many) == "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 3 more..."
    headless = {"subsets": [{"addresses": [{"ip": "fd00::1"}]}]}
    assert format_endpoints(headless) == "fd00::1"
    assert format_endpoints({"subsets": [{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}]}]}) == "[fd00::1]:80"


async def test_endpoints_validation_messages(api: APIServer) -> None:
    body = endpoints(subsets=[
        {"addresses": [{"ip": "10.0.0.1", "hostname": "Bad_Host"}, {"ip": "127.0.0.1"}, {"ip": "nope"}],
         "ports": [{"port": 80}, {"name": "b", "port": 0, "protocol": "HTTP"}]},
        {"ports": [{"port": 80}]},
    ])
    status, out, _ = await call(api, "POST", ENDPOINTS, body)
    assert status == 422
    assert out["message"].startswith('Endpoints "web" is invalid: [')
    assert causes(out) == [
        ("subsets[0].addresses[0].hostname",
         'Invalid value: "Bad_Host": a lowercase RFC 1123 label must consist of lower case alphanumeric characters '
         "or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
         "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
        ("subsets[0].addresses[1].ip", 'Invalid value: "127.0.0.1": may not be in the loopback range '
                                       "(127.0.0.0/8, ::1/128)"),
        ("subsets[0].addresses[2].ip", 'Invalid value: "nope": must be a valid IP address, '
                                       "(e.g. 10.9.8.7 or 2001:db8::ffff)"),
        ("subsets[0].addresses[2].ip", 'Invalid value: "nope": must be a valid IP address'),
        ("subsets[0].ports[0].name", "Required value"),
        ("subsets[0].ports[1].port", "Invalid value: 0: must be between 1 and 65535, inclusive"),
        ("subsets[0].ports[1].protocol", 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'),
        ("subsets[1]", "Required value: must specify `addresses` or `notReadyAddresses`"),
    ]
    status, _, _ = await call(api, "GET", ENDPOINTS + "/web")
    assert status == 404


async def test_endpoint_slice_defaults_generation_and_table(api: APIServer) -> None:
    body = endpoint_slice(addressType="IPv4", endpoints=[
        {"addresses": ["10.0.0.1"], "conditions": {"ready": True}, "nodeName": "node-1"},
        {"addresses": ["10.0.0.2"]}, {"addresses": ["10.0.0.3"]}, {"addresses": ["10.0.0.4"]},
    ], ports=[{"port": 80}, {"name": "https", "port": 443}])
    status, out, headers = await call(api, "POST", SLICES, body)
    assert status == 201, out
    assert not any(k == "Warning" for k, _ in headers)
    assert out["ports"][0] == {"port": 80, "name": "", "protocol": "TCP"}
    assert out["metadata"]["generation"] == 1
    status, table, _ = await call(api, "GET", SLICES, accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "AddressType", "Ports", "Endpoints", "Age"]
    assert table["rows"][0]["cells"][:4] == ["web-abc", "IPv4", "80,443", "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more..."]

    out["metadata"]["labels"] = {"a": "b"}
    status, updated, _ = await call(api, "PUT", SLICES + "/web-abc", out)
    assert status == 200 and updated["metadata"]["generation"] == 2
    updated["metadata"]["annotations"] = {"a": "b"}
    status, same, _ = await call(api, "PUT", SLICES + "/web-abc", updated)
    assert status == 200 and same["metadata"]["generation"] == 2
    same["addressType"] = "IPv6"
    same["endpoints"] = [{"addresses": ["fd00::1"]}]
    status, refused, _ = await call(api, "PUT", SLICES + "/web-abc", same)
    assert status == 422
    assert causes(refused) == [("addressType", 'Invalid value: "IPv6": field is immutable')]


async def test_endpoint_slice_validation_messages(api: APIServer) -> None:
    body = endpoint_slice(addressType="IPv4", endpoints=[
        {"addresses": ["10.0.0.1", "fd00::1", "169.254.1.1"]}, {"addresses": []},
    ], ports=[{"port": 80}, {"port": 81, "protocol": "HTTP"}, {"name": "x", "appProtocol": "a/b/c"}])
    status, out, _ = await call(api, "POST", SLICES, body)
    assert status == 422
    assert out["message"].startswith('EndpointSlice.discovery.k8s.io "web-abc" is invalid: [')
    assert causes(out) == [
        ("endpoints[0].addresses[1]", 'Invalid value: "fd00::1": must be a valid IPv4 address'),
        ("endpoints[0].addresses[2]", 'Invalid value: "169.254.1.1": may not be in the link-local range '
                                      "(169.254.0.0/16, fe80::/10)"),
        ("endpoints[1].addresses", "Required value: must contain at least 1 address"),
        ("ports[1].name", 'Duplicate value: ""'),
        ("ports[1].protocol", 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'),
        ("ports[2].appProtocol", 'Invalid value: "a/b/c": a valid label key must consist of alphanumeric '
                                 "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
                                 "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                                 "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix "
                                 "and '/' (e.g. 'example.com/MyName')"),
    ]
    status, out, _ = await call(api, "POST", SLICES, endpoint_slice(addressType="IP"))
    assert status == 422
    assert causes(out) == [("addressType", 'Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"')]
    status, out, _ = await call(api, "POST", SLICES, endpoint_slice(
        addressType="FQDN", endpoints=[{"addresses": ["example.com", "localhost"]}]))
    assert status == 422
    assert causes(out) == [("endpoints[0].addresses[1]", 'Invalid value: "localhost": should be a domain with at '
                                                         "least two segments separated by dots")]
