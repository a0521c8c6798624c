"""Test data and calls shared by the in-process API server tests."""

from __future__ import annotations

from typing import Any

import orjson

from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.server import APIServer

Obj = dict[str, Any]


async def call_raw(api: APIServer, method: str, path: str, body: Any = None, *, query: str = "",
                   content_type: str = "application/json") -> tuple[int, bytes]:
    """One request through ``api.handle``: its status and body, as sent."""
    headers = {"content-type": content_type} if body is not None else {}
    raw = b"" if body is None else orjson.dumps(body)
    response = await api.handle(Request(method, path, query_string=query.encode(), headers=headers, body=raw))
    assert isinstance(response, Response), response
    return response.status, response.body

#: A namespaced CRD whose spec takes anything.
WIDGET_CRD: Obj = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
        "versions": [{
            "name": "v1", "served": True, "storage": True,
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}},
        }],
    },
}
