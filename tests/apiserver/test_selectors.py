"""Selectors at the API server's edge: field labels per kind, and 400 BadRequest with kube's message.

The grammar itself is :mod:`setpoint.apimachinery.labels`/``fields`` (tested in
``tests/apimachinery``); here: which field labels a resource accepts
(:mod:`setpoint.apiserver.registry.fieldlabels`) and what a list or watch with a bad
selector answers.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from setpoint.apimachinery import fields
from setpoint.apimachinery.selection import SelectorError
from setpoint.apiserver.http import Request, Response
from setpoint.apiserver.registry.fieldlabels import check, field_label_not_supported
from setpoint.apiserver.server import APIServer

POD_FIELDS = {"metadata.name", "metadata.namespace", "spec.nodeName", "status.phase"}


def test_field_selector_check() -> None:
    sel = fields.parse("metadata.name=a,spec.host=n1")
    checked = check(sel, POD_FIELDS, "Pod", aliases={"spec.host": "spec.nodeName"})
    assert str(checked) == "metadata.name=a,spec.nodeName=n1"
    assert checked.requirements[1] == fields.Requirement("spec.nodeName", "=", "n1")
    assert check(fields.parse(""), set(), "Pod").empty


@pytest.mark.parametrize(
    ("kind", "kwargs", "allowed", "message"),
    [
        ("Pod", {}, POD_FIELDS, "field label not supported: spec.bogus"),
        ("Node", {}, {"metadata.name", "spec.unschedulable"}, "field label not supported: spec.bogus"),
        ("Event", {"group": "events.k8s.io"}, {"metadata.name"}, "field label not supported: spec.bogus"),
        (
            "Job",
            {},
            {"metadata.name", "metadata.namespace", "status.successful"},
            'field label "spec.bogus" not supported for batchv1.Job',
        ),
        (
            "ResourceSlice",
            {"version": "v1"},
            {"metadata.name"},
            "field label not supported for resource.k8s.io/v1, Kind=ResourceSlice: spec.bogus",
        ),
        # a built-in kind with no conversion func: DefaultMetaV1FieldSelectorConversion
        (
            "ConfigMap",
            {},
            {"metadata.name", "metadata.namespace"},
            '"spec.bogus" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
        (
            "Deployment",
            {"group": "apps"},
            {"metadata.name", "metadata.namespace"},
            '"spec.bogus" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
        (
            "generic",
            {},
            {"metadata.name", "metadata.namespace"},
            '"spec.bogus" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
        # custom resources: crConverter
        (
            "Widget",
            {"custom": True},
            {"metadata.name", "metadata.namespace"},
            "field label not supported: spec.bogus",
        ),
        ("crd", {}, {"metadata.name"}, "field label not supported: spec.bogus"),
        ("Widget", {}, {"metadata.name", "spec.color"}, "field label not supported: spec.bogus"),
    ],
)
def test_field_selector_unsupported_field(
    kind: str, kwargs: dict[str, object], allowed: set[str], message: str
) -> None:
    sel = fields.parse("metadata.name=x,spec.bogus=1")
    with pytest.raises(SelectorError) as info:
        check(sel, allowed, kind, **kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_field_label_not_supported_quotes_like_go() -> None:
    assert field_label_not_supported('a"b', "generic") == (
        '"a\\"b" is not a known field selector: only "metadata.name", "metadata.namespace"'
    )


def test_field_selector_check_reports_first_sorted_term() -> None:
    sel = fields.parse("z.bad=1,b.bad=2")
    with pytest.raises(SelectorError) as info:
        check(sel, {"metadata.name"}, "Pod")
    assert str(info.value) == "field label not supported: b.bad"


# --- at the edge: a list or watch with a bad selector ----------------------------------


async def call(api: APIServer, method: str, path: str, body: Any = None, query: str = "") -> tuple[int, Any]:
    headers = {"content-type": "application/json"} if body is not None else {}
    raw = b"" if body is None else orjson.dumps(body)
    response = await api.handle(Request(method, path, query_string=query.encode(), headers=headers, body=raw))
    assert isinstance(response, Response), response
    return response.status, orjson.loads(response.body)


CMS = "/api/v1/namespaces/default/configmaps"
NAME_PART = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)


@pytest.mark.parametrize(("query", "message"), [
    ("labelSelector=a%40b%3Dc", 'unable to parse requirement: <nil>: Invalid value: "a@b": ' + NAME_PART),
    ("labelSelector=app+in+prod", "unable to parse requirement: found 'prod' expected: '('"),
    ("fieldSelector=a", "invalid selector: 'a'; can't understand 'a'"),
    ("fieldSelector=a%3D%5Cx", "invalid field selector: invalid escape sequence: \\x"),
    ("fieldSelector=spec.bogus%3D1",
     '"spec.bogus" is not a known field selector: only "metadata.name", "metadata.namespace"'),
    ("watch=true&labelSelector=%21", "unable to parse requirement: found '', expected: identifier"),
])
async def test_bad_selectors_are_400_bad_request_with_kubes_message(api: APIServer, query: str,
                                                                   message: str) -> None:
    status, body = await call(api, "GET", CMS, query=query)
    assert status == 400
    assert (body["kind"], body["status"], body["reason"], body["code"]) == ("Status", "Failure", "BadRequest", 400)
    assert body["message"] == message


async def test_selectors_filter_a_list(api: APIServer) -> None:
    for name, labels in (("a", {"app": "web"}), ("b", {"app": "db"}), ("c", {})):
        status, _ = await call(api, "POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap",
                                                  "metadata": {"name": name, "labels": labels}})
        assert status == 201
    queries = {"labelSelector=app%21%3Dweb": ["b", "c"], "labelSelector=app": ["a", "b"],
               "fieldSelector=metadata.name%3Da": ["a"],
               "labelSelector=app+in+%28web%2Cdb%29&fieldSelector=metadata.name%21%3Da": ["b"]}
    for query, names in queries.items():
        status, body = await call(api, "GET", CMS, query=query)
        assert status == 200, body
        assert [o["metadata"]["name"] for o in body["items"]] == names, query
