"""Discovery documents: unaggregated and aggregated (apidiscovery.k8s.io/v2), negotiation, caching."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from setpoint.apiserver.builtin import builtin_resources
from setpoint.apiserver.encoding.errors import StatusError
from setpoint.apiserver.endpoints import discovery
from setpoint.apiserver.endpoints.discovery import (
    Discovery,
    negotiate,
    storage_version_hash,
    version_sort_key,
)
from setpoint.apiserver.http import Request
from setpoint.apiserver.registry.resources import Registry, Resource

Obj = dict[str, Any]

KUBECTL_ACCEPT = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def _registry() -> Registry:
    reg = Registry()
    reg.add(
        Resource(
            "",
            "v1",
            "Namespace",
            "namespaces",
            "namespace",
            False,
            short_names=("ns",),
            subresources=frozenset({"status", "finalize"}),
        )
    )
    reg.add(Resource("", "v1", "ConfigMap", "configmaps", "configmap", True, short_names=("cm",)))
    reg.add(Resource("", "v1", "Event", "events", "event", True, short_names=("ev",), storage_version="v1"))
    reg.add(
        Resource(
            "events.k8s.io",
            "v1",
            "Event",
            "events",
            "event",
            True,
            short_names=("ev",),
            storage_version="v1",
            storage_resource="events",
        )
    )
    reg.add(
        Resource(
            "coordination.k8s.io",
            "v1",
            "Lease",
            "leases",
            "lease",
            True,
            verbs=("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"),
        )
    )
    reg.add(
        Resource(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            "customresourcedefinition",
            False,
            short_names=("crd", "crds"),
            subresources=frozenset({"status"}),
        )
    )
    return reg


def _crontabs(version: str = "v1", preferred: bool = True) -> Resource:
    return Resource(
        "stable.example.com",
        version,
        "CronTab",
        "crontabs",
        "crontab",
        True,
        short_names=("ct",),
        categories=("all",),
        subresources=frozenset({"status", "scale"}),
        custom=True,
        storage_version="stable.example.com/v1",
        preferred=preferred,
    )


def _req(path: str, accept: str | None = None, **headers: str) -> Request:
    h = {k.replace("_", "-"): v for k, v in headers.items()}
    if accept is not None:
        h["accept"] = accept
    return Request("GET", path, headers=h)


# --- negotiation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "form"),
    [
        (KUBECTL_ACCEPT, "v2"),
        (V2, "v2"),
        (
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
            "v2beta1",
        ),
        (
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
            "v2",
        ),
        ("application/json", "legacy"),
        ("application/json, */*", "legacy"),
        ("*/*", "legacy"),
        ("", "legacy"),
        (None, "legacy"),
        ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json", "legacy"),
        ("application/json;v=v2;g=apidiscovery.k8s.io;as=APIGroupDiscoveryList", "v2"),
        (
            "application/json;q=0.5, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
            "v2",
        ),
        ("application/vnd.kubernetes.protobuf", None),
        ("application/json;as=Table;v=v1;g=meta.k8s.io", None),
        ("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList", None),
    ],
)
def test_negotiate(accept: str | None, form: str | None) -> None:
    assert negotiate(accept) == form


# --- unaggregated -----------------------------------------------------------------------


def test_api_versions() -> None:
    d = Discovery(_registry())
    resp = d.legacy_root(_req("/api", "application/json", host="10.0.0.1:6443"))
    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert orjson.loads(resp.body) == {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:6443"}],
    }
    fixed = Discovery(_registry(), server_address="192.168.1.1:443")
    body = orjson.loads(fixed.legacy_root(_req("/api", host="x:1")).body)
    assert body["serverAddressByClientCIDRs"][0]["serverAddress"] == "192.168.1.1:443"


def test_core_resource_list() -> None:
    d = Discovery(_registry())
    body = orjson.loads(d.resources(_req("/api/v1"), "", "v1").body)
    assert list(body) == ["kind", "groupVersion", "resources"]  # no apiVersion for the legacy group
    assert body["kind"] == "APIResourceList"
    assert body["groupVersion"] == "v1"
    names = [r["name"] for r in body["resources"]]
    assert names == ["configmaps", "events", "namespaces", "namespaces/finalize", "namespaces/status"]
    cm = body["resources"][0]
    assert cm == {
        "name": "configmaps",
        "singularName": "configmap",
        "namespaced": True,
        "kind": "ConfigMap",
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "shortNames": ["cm"],
        "storageVersionHash": "qFsyl6wFWjQ=",
    }
    assert body["resources"][3] == {
        "name": "namespaces/finalize",
        "singularName": "",
        "namespaced": False,
        "kind": "Namespace",
        "verbs": ["update"],
    }
    assert body["resources"][4]["verbs"] == ["get", "patch", "update"]


def test_group_resource_list() -> None:
    reg = _registry()
    reg.add(_crontabs())
    d = Discovery(reg)
    body = orjson.loads(d.resources(_req("/apis/stable.example.com/v1"), "stable.example.com", "v1").body)
    assert body["apiVersion"] == "v1"
    assert body["groupVersion"] == "stable.example.com/v1"
    ct, scale, status = body["resources"]
    assert ct["verbs"] == ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]
    assert ct["categories"] == ["all"]
    assert ct["storageVersionHash"] == storage_version_hash("stable.example.com", "v1", "CronTab")
    assert scale == {
        "name": "crontabs/scale",
        "singularName": "",
        "namespaced": True,
        "group": "autoscaling",
        "version": "v1",
        "kind": "Scale",
        "verbs": ["get", "patch", "update"],
    }
    assert status["name"] == "crontabs/status"
    assert status["kind"] == "CronTab"
    assert "group" not in status
    lease = orjson.loads(d.resources(_req("/"), "coordination.k8s.io", "v1").body)["resources"][0]
    assert lease["verbs"] == sorted(lease["verbs"])


def test_storage_version_hash() -> None:
    assert storage_version_hash("", "v1", "ConfigMap") == "qFsyl6wFWjQ="
    d = Discovery(_registry())
    # events.k8s.io Events are stored as core v1 Events, as in kube.
    events = orjson.loads(d.resources(_req("/"), "events.k8s.io", "v1").body)["resources"][0]
    assert events["storageVersionHash"] == "r2yiGXH7wu8="


def test_group_list_and_group() -> None:
    reg = _registry()
    reg.add(_crontabs())
    d = Discovery(reg)
    body = orjson.loads(d.groups(_req("/apis", "application/json")).body)
    assert body["kind"] == "APIGroupList"
    assert body["apiVersion"] == "v1"
    # kube-aggregator's priorities: events 17750 > apiextensions 16700 > coordination 16500 > CRDs 1000
    assert [g["name"] for g in body["groups"]] == [
        "events.k8s.io",
        "apiextensions.k8s.io",
        "coordination.k8s.io",
        "stable.example.com",
    ]
    assert body["groups"][0] == {
        "name": "events.k8s.io",
        "versions": [{"groupVersion": "events.k8s.io/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "events.k8s.io/v1", "version": "v1"},
    }
    group = orjson.loads(d.group(_req("/apis/coordination.k8s.io"), "coordination.k8s.io").body)
    assert group == {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": "coordination.k8s.io",
        "versions": [{"groupVersion": "coordination.k8s.io/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "coordination.k8s.io/v1", "version": "v1"},
    }


def test_versions_order_and_preferred() -> None:
    reg = Registry()
    for v in ("v1alpha1", "v2beta1", "v1", "v1beta1"):
        reg.add(_crontabs(v, preferred=v == "v1"))
    d = Discovery(reg)
    assert d.versions_of("stable.example.com") == ["v1", "v2beta1", "v1beta1", "v1alpha1"]
    group = d.api_group("stable.example.com")
    assert group is not None
    assert group["preferredVersion"]["version"] == "v1"


def test_version_sort_key() -> None:
    # apimachinery's CompareKubeAwareVersionStrings ordering
    versions = ["foo10", "v1", "v12alpha1", "v10beta3", "v3beta1", "foo1", "v11alpha2", "v11beta2"]
    assert sorted(versions, key=version_sort_key) == [
        "v1",
        "v11beta2",
        "v10beta3",
        "v3beta1",
        "v12alpha1",
        "v11alpha2",
        "foo1",
        "foo10",
    ]


@pytest.mark.parametrize(
    ("group", "version"),
    [("nope", "v1"), ("", "v2"), ("coordination.k8s.io", "v2")],
)
def test_resources_not_found(group: str, version: str) -> None:
    d = Discovery(_registry())
    with pytest.raises(StatusError) as info:
        d.resources(_req("/"), group, version)
    assert info.value.code == 404
    assert info.value.reason == "NotFound"


def test_group_not_found() -> None:
    with pytest.raises(StatusError) as info:
        Discovery(_registry()).group(_req("/apis/nope"), "nope")
    assert info.value.code == 404


def test_not_acceptable() -> None:
    d = Discovery(_registry())
    with pytest.raises(StatusError) as info:
        d.groups(_req("/apis", "application/vnd.kubernetes.protobuf"))
    assert info.value.code == 406


# --- aggregated -------------------------------------------------------------------------


def test_aggregated_apis() -> None:
    reg = _registry()
    reg.add(_crontabs())
    d = Discovery(reg)
    resp = d.groups(_req("/apis", KUBECTL_ACCEPT))
    assert resp.status == 200
    assert resp.content_type == V2
    body = orjson.loads(resp.body)
    assert body["kind"] == "APIGroupDiscoveryList"
    assert body["apiVersion"] == "apidiscovery.k8s.io/v2"
    assert body["metadata"] == {}
    assert [i["metadata"]["name"] for i in body["items"]] == [
        "events.k8s.io",
        "apiextensions.k8s.io",
        "coordination.k8s.io",
        "stable.example.com",
    ]
    crontabs = body["items"][3]["versions"][0]
    assert crontabs["version"] == "v1"
    assert crontabs["freshness"] == "Current"
    assert crontabs["resources"] == [
        {
            "resource": "crontabs",
            "responseKind": {"group": "stable.example.com", "version": "v1", "kind": "CronTab"},
            "scope": "Namespaced",
            "singularResource": "crontab",
            "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
            "shortNames": ["ct"],
            "categories": ["all"],
            "subresources": [
                {
                    "subresource": "scale",
                    "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
                    "verbs": ["get", "patch", "update"],
                },
                {
                    "subresource": "status",
                    "responseKind": {"group": "stable.example.com", "version": "v1", "kind": "CronTab"},
                    "verbs": ["get", "patch", "update"],
                },
            ],
        }
    ]
    crd = body["items"][1]["versions"][0]["resources"][0]
    assert crd["scope"] == "Cluster"
    assert crd["shortNames"] == ["crd", "crds"]
    assert "categories" not in crd


def test_aggregated_api() -> None:
    d = Discovery(_registry())
    resp = d.legacy_root(_req("/api", KUBECTL_ACCEPT))
    assert resp.content_type == V2
    body = orjson.loads(resp.body)
    assert len(body["items"]) == 1
    core = body["items"][0]
    assert core["metadata"] == {}
    assert [r["resource"] for r in core["versions"][0]["resources"]] == ["configmaps", "events", "namespaces"]
    ns = core["versions"][0]["resources"][2]
    assert [s["subresource"] for s in ns["subresources"]] == ["finalize", "status"]
    assert ns["subresources"][0]["verbs"] == ["update"]


def test_aggregated_v2beta1() -> None:
    d = Discovery(_registry())
    accept = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
    resp = d.groups(_req("/apis", accept))
    assert resp.content_type == accept
    assert orjson.loads(resp.body)["apiVersion"] == "apidiscovery.k8s.io/v2beta1"


def test_aggregated_etag() -> None:
    d = Discovery(_registry())
    resp = d.groups(_req("/apis", KUBECTL_ACCEPT))
    headers = dict(resp.headers or [])
    etag = headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert len(etag) == 130
    assert headers["Vary"] == "Accept"
    assert headers["Cache-Control"] == "public"
    again = d.groups(_req("/apis", KUBECTL_ACCEPT, if_none_match=etag))
    assert again.status == 304
    assert again.body == b""
    other = d.groups(_req("/apis", KUBECTL_ACCEPT, if_none_match='"stale"'))
    assert other.status == 200


# --- caching ------------------------------------------------------------------------------


def test_rendered_once_per_generation() -> None:
    reg = _registry()
    d = Discovery(reg)
    first = d.groups(_req("/apis", KUBECTL_ACCEPT)).body
    assert d.groups(_req("/apis", KUBECTL_ACCEPT)).body is first
    core = d.resources(_req("/api/v1"), "", "v1").body
    assert d.resources(_req("/api/v1"), "", "v1").body is core
    etag = dict(d.groups(_req("/apis", KUBECTL_ACCEPT)).headers or [])["ETag"]

    ct = _crontabs()
    reg.add(ct)
    after = d.groups(_req("/apis", KUBECTL_ACCEPT))
    assert after.body is not first
    assert dict(after.headers or [])["ETag"] != etag
    assert "stable.example.com" in [g["name"] for g in orjson.loads(d.groups(_req("/apis")).body)["groups"]]
    assert d.resources(_req("/"), "stable.example.com", "v1").status == 200

    reg.remove(ct)
    assert "stable.example.com" not in [
        g["name"] for g in orjson.loads(d.groups(_req("/apis")).body)["groups"]
    ]
    with pytest.raises(StatusError):
        d.resources(_req("/"), "stable.example.com", "v1")


def test_render_helpers() -> None:
    d = Discovery(_registry())
    rendered = d.render_root(legacy=False, form="v2")
    assert rendered.content_type == discovery.AGGREGATED_CONTENT_TYPES["v2"]
    assert rendered.etag
    assert d.render_root(legacy=True, form="legacy", server_address="h:1").etag == ""
    assert orjson.loads(d.render_group("events.k8s.io").body)["name"] == "events.k8s.io"


def test_kubernetes_client_models_parse_documents() -> None:
    """The official client's models (strict pydantic) accept the documents."""
    models = pytest.importorskip("kubernetes.client.models")
    reg = _registry()
    reg.add(_crontabs())
    d = Discovery(reg)
    models.V1APIVersions.from_dict(orjson.loads(d.legacy_root(_req("/api", host="h:1")).body))
    models.V1APIGroupList.from_dict(orjson.loads(d.groups(_req("/apis")).body))
    models.V1APIGroup.from_dict(orjson.loads(d.group(_req("/"), "stable.example.com").body))
    for group, version in (("", "v1"), ("stable.example.com", "v1"), ("events.k8s.io", "v1")):
        parsed = models.V1APIResourceList.from_dict(orjson.loads(d.resources(_req("/"), group, version).body))
        assert parsed.resources


def test_only_core_events_have_the_short_name_ev() -> None:
    """As kube: ``ev`` is core/v1 Event's alone, so ``kubectl get ev`` and clients resolving
    short names through discovery find one resource."""
    reg = Registry()
    for r in builtin_resources():
        reg.add(r)
    d = Discovery(reg)
    core = orjson.loads(d.resources(_req("/api/v1"), "", "v1").body)
    group = orjson.loads(d.resources(_req("/apis/events.k8s.io/v1"), "events.k8s.io", "v1").body)
    [core_events] = [r for r in core["resources"] if r["name"] == "events"]
    [group_events] = [r for r in group["resources"] if r["name"] == "events"]
    assert core_events["shortNames"] == ["ev"]
    assert "shortNames" not in group_events
