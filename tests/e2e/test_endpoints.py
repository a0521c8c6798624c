"""The non-resource endpoints: /version, health checks, /metrics, discovery roots."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import Kubectl, Server

pytestmark = pytest.mark.e2e

VERSION_FIELDS = ("major", "minor", "gitVersion", "gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler",
                  "platform")


@pytest.mark.parametrize("path", ["/version", "/version/"])
def test_version_has_every_field(server: Server, path: str) -> None:
    info = server.get_json(path)
    for field in VERSION_FIELDS:
        assert isinstance(info[field], str), field
        assert info[field], field
    assert info["major"] == "1"
    assert re.fullmatch(r"\d+", info["minor"])
    assert info["gitVersion"].startswith(f"v1.{info['minor']}.")
    assert re.fullmatch(r"[0-9a-f]{40}", info["gitCommit"])
    assert info["gitTreeState"] == "clean"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info["buildDate"])
    assert re.fullmatch(r"[a-z]+/[\w-]+", info["platform"])


def test_kubectl_version(kubectl: Kubectl, server: Server) -> None:
    info = server.get_json("/version")
    out = kubectl.out("version")
    assert f"Server Version: {info['gitVersion']}" in out.splitlines()


@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz"])
def test_health_endpoints_say_ok(server: Server, path: str) -> None:
    r = server.request("GET", path, headers={"Accept": "*/*"})
    assert r.status == 200
    assert r.body == b"ok"
    assert r.headers["content-type"].startswith("text/plain")
    verbose = server.request("GET", f"{path}?verbose", headers={"Accept": "*/*"})
    assert verbose.status == 200
    assert verbose.body.decode().endswith("check passed\n")


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    out = []
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.rindex("}")]))
            out.append((labels, float(line.rsplit(" ", 1)[1])))
    return out


def _list_count(server: Server) -> float:
    text = server.request("GET", "/metrics", headers={"Accept": "*/*"}).body.decode()
    return sum(v for labels, v in _samples(text, "apiserver_request_total")
               if labels.get("verb") == "LIST" and labels.get("resource") == "configmaps"
               and labels.get("code") == "200")


def test_metrics(server: Server, ns: str) -> None:
    before = _list_count(server)
    assert server.request("GET", f"/api/v1/namespaces/{ns}/configmaps").status == 200
    r = server.request("GET", "/metrics", headers={"Accept": "*/*"})
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.body.decode()
    samples = _samples(text, "apiserver_request_total")
    listed = [(labels, v) for labels, v in samples
              if labels.get("verb") == "LIST" and labels.get("resource") == "configmaps" and labels.get("code") == "200"]
    assert listed, "no apiserver_request_total for LIST configmaps 200"
    labels = listed[0][0]
    assert labels["group"] == ""
    assert labels["version"] == "v1"
    assert sum(v for _, v in listed) == before + 1
    assert "# TYPE apiserver_request_duration_seconds histogram" in text
    assert any(labels.get("verb") == "LIST" and labels.get("resource") == "configmaps"
               for labels, _ in _samples(text, "apiserver_request_duration_seconds_bucket"))
    assert "# TYPE apiserver_longrunning_requests gauge" in text
    # Writes are counted by HTTP method, as kube does (POST, not CREATE); a create's scope is "resource".
    assert server.request("POST", f"/api/v1/namespaces/{ns}/configmaps",
                          {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "counted"}}).status == 201
    text = server.request("GET", "/metrics", headers={"Accept": "*/*"}).body.decode()
    posts = [labels for labels, v in _samples(text, "apiserver_request_total")
             if labels.get("resource") == "configmaps" and labels.get("code") == "201" and v >= 1]
    assert posts
    assert {(p["verb"], p["scope"]) for p in posts} == {("POST", "resource")}
    assert not [labels for labels, _ in _samples(text, "apiserver_request_total") if labels["verb"] == "CREATE"]
    assert {p["dry_run"] for p in posts} == {""}
    # A dry run is counted apart, under dry_run="All".
    assert server.request("POST", f"/api/v1/namespaces/{ns}/configmaps?dryRun=All",
                          {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dry"}}).status == 201
    text = server.request("GET", "/metrics", headers={"Accept": "*/*"}).body.decode()
    assert [v for labels, v in _samples(text, "apiserver_request_total")
            if labels.get("resource") == "configmaps" and labels.get("dry_run") == "All"
            and labels.get("code") == "201"] == [1.0]


def test_metrics_longrunning_counts_open_watches(server: Server, ns: str) -> None:
    def watches() -> float:
        text = server.request("GET", "/metrics", headers={"Accept": "*/*"}).body.decode()
        return sum(v for labels, v in _samples(text, "apiserver_longrunning_requests")
                   if labels.get("verb") == "WATCH" and labels.get("resource") == "secrets")

    before = watches()
    stream = server.watch(f"/api/v1/namespaces/{ns}/secrets?watch=1&allowWatchBookmarks=false&timeoutSeconds=30")
    try:
        # The gauge moves when the stream starts; a created object proves it started.
        assert server.request("POST", f"/api/v1/namespaces/{ns}/secrets",
                              {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}).status == 201
        assert stream.next_event()["type"] == "ADDED"
        assert watches() == before + 1
    finally:
        stream.close()


def test_discovery_roots(server: Server) -> None:
    root = server.get_json("/")
    assert {"/api", "/apis", "/healthz", "/livez", "/readyz", "/version", "/metrics", "/openapi/v3"} <= set(
        root["paths"])
    api = server.get_json("/api")
    assert api["kind"] == "APIVersions"
    assert api["versions"] == ["v1"]
    v1 = server.get_json("/api/v1")
    assert v1["kind"] == "APIResourceList"
    cms = next(r for r in v1["resources"] if r["name"] == "configmaps")
    assert cms == {**cms, "namespaced": True, "kind": "ConfigMap", "shortNames": ["cm"], "singularName": "configmap"}
    assert sorted(cms["verbs"]) == ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    groups = {g["name"] for g in server.get_json("/apis")["groups"]}
    assert {"apiextensions.k8s.io", "coordination.k8s.io", "events.k8s.io"} <= groups
    index = server.get_json("/openapi/v3")
    assert "api/v1" in index["paths"]
    assert index["paths"]["api/v1"]["serverRelativeURL"].startswith("/openapi/v3/api/v1")
