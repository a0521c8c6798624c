"""Every error a client can get, checked on the wire: code, reason, message, causes.

Raw HTTP (``http.client``) so that nothing between the test and the server
rewrites the ``Status``. Each rejected write is also checked to have changed
nothing.
"""

from __future__ import annotations

import asyncio
import functools
import http.client
import json
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import pytest
from e2e_helpers import Server, eventually, http_request, tls_context

pytestmark = pytest.mark.e2e

EXPIRED_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter, or use the continue token in "
    "this response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted between "
    "the time the first chunk was returned and now may show up in the list."
)


def status_of(r: Any, code: int, reason: str) -> dict[str, Any]:
    """The Status body of a failed request, checked for its common shape."""
    assert r.status == code, (r.status, r.body)
    assert r.headers["content-type"] == "application/json"
    body: dict[str, Any] = r.json()
    assert body["kind"] == "Status"
    assert body["apiVersion"] == "v1"
    assert body["metadata"] == {}
    assert body["status"] == "Failure"
    assert body["code"] == code
    assert body["reason"] == reason
    assert "Traceback" not in body["message"]
    return body


def cm(name: str, ns: str, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": {"k": "v"},
            **extra}


class Snapshot:
    """The collection's resourceVersion and items, to show a rejected request changed nothing."""

    def __init__(self, server: Server, path: str) -> None:
        self.server = server
        self.path = path
        self.before = server.get_json(path)

    def unchanged(self) -> None:
        after = self.server.get_json(self.path)
        assert after["items"] == self.before["items"]
        # Nothing at all was written, but for the server's identity Lease in kube-system, which it
        # renews every 10 s as kube-apiserver does: every revision between the two lists must be
        # the current one of such a Lease.
        before_rv, after_rv = (int(o["metadata"]["resourceVersion"]) for o in (self.before, after))
        leases = self.server.get_json("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases")
        renewed = {int(lease["metadata"]["resourceVersion"]) for lease in leases["items"]}
        assert set(range(before_rv + 1, after_rv + 1)) <= renewed, (before_rv, after_rv, renewed)


@pytest.fixture
def cms(server: Server, ns: str) -> str:
    """The ConfigMaps path of a namespace holding ConfigMap ``existing``."""
    path = f"/api/v1/namespaces/{ns}/configmaps"
    assert server.request("POST", path, cm("existing", ns)).status == 201
    return path


# --- 400 -------------------------------------------------------------------------------------------


def test_400_malformed_json(server: Server, cms: str) -> None:
    snap = Snapshot(server, cms)
    body = status_of(server.request("POST", cms, b'{"apiVersion": "v1", "kind": "ConfigMap", '), 400, "BadRequest")
    assert body["message"].startswith("the object provided is unrecognized (must be of type ConfigMap): "
                                      "couldn't get version/kind; json parse error: ")
    assert body["message"].endswith(' ({"apiVersion": "v1", "kind": " ...)')
    assert "details" not in body
    # Without a Content-Type the body is JSON too.
    body = status_of(server.request("POST", cms, b"{bad", content_type=None), 400, "BadRequest")
    assert body["message"].endswith(" ({bad)")
    snap.unchanged()


def test_400_malformed_yaml(server: Server, cms: str) -> None:
    snap = Snapshot(server, cms)
    r = server.request("POST", cms, b"apiVersion: v1\nkind: [ConfigMap\n", content_type="application/yaml")
    body = status_of(r, 400, "BadRequest")
    assert body["message"].startswith("the object provided is unrecognized (must be of type ConfigMap): "
                                      "error converting YAML to JSON: ")
    head = b"apiVersion: v1\nkind: [ConfigMap\n"[:30].hex()
    assert body["message"].endswith(f" ({head} ...)")
    # YAML that is not an object.
    body = status_of(server.request("POST", cms, b"- a\n- b\n", content_type="application/yaml"), 400, "BadRequest")
    snap.unchanged()


def test_400_kind_or_namespace_mismatch(server: Server, cms: str, ns: str) -> None:
    snap = Snapshot(server, cms)
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}
    body = status_of(server.request("POST", cms, secret), 400, "BadRequest")
    assert body["message"] == "the kind in the data (Secret) does not match the expected kind (ConfigMap)"
    body = status_of(server.request("POST", cms, cm("other-ns", "default")), 400, "BadRequest")
    assert body["message"] == "the namespace of the provided object does not match the namespace sent on the request"
    body = status_of(server.request("POST", cms, {**cm("with-rv", ns), "metadata": {
        "name": "with-rv", "resourceVersion": "5"}}), 400, "BadRequest")
    assert body["message"] == "resourceVersion should not be set on objects to be created"
    snap.unchanged()


def test_400_bad_patch_bodies(server: Server, cms: str) -> None:
    snap = Snapshot(server, cms)
    path = f"{cms}/existing"
    body = status_of(server.request("PATCH", path, b"{bad", content_type="application/merge-patch+json"),
                     400, "BadRequest")
    assert body["message"] == "Invalid JSON Patch"
    body = status_of(server.request("PATCH", path, {"op": "add"}, content_type="application/json-patch+json"),
                     400, "BadRequest")
    assert body["message"] == "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
    r = server.request("PATCH", path, [{"op": "replace", "path": "/data/missing", "value": "x"}],
                       content_type="application/json-patch+json")
    assert r.status in (422, 400), r.body
    body = status_of(server.request("PATCH", path, b"", content_type="application/merge-patch+json"),
                     400, "BadRequest")
    assert body["message"] == "the body of the request was empty"
    snap.unchanged()


def test_400_bad_list_parameters(server: Server, cms: str) -> None:
    body = status_of(server.request("GET", f"{cms}?labelSelector=a+in+x"), 400, "BadRequest")
    assert body["message"]
    body = status_of(server.request("GET", f"{cms}?limit=10&continue=not-a-token"), 400, "BadRequest")
    assert body["message"].startswith("invalid continue token: continue key is not valid: ")
    assert server.request("POST", cms, cm("second", cms.split("/")[4])).status == 201
    token = server.get_json(f"{cms}?limit=1")["metadata"]["continue"]
    body = status_of(server.request("GET", f"{cms}?limit=1&continue={token}&resourceVersion=5"), 400, "BadRequest")
    assert body["message"] == "specifying resource version is not allowed when using continue"


# --- 404 -------------------------------------------------------------------------------------------


def test_404_unknown_object(server: Server, cms: str) -> None:
    body = status_of(server.request("GET", f"{cms}/nope"), 404, "NotFound")
    assert body["message"] == 'configmaps "nope" not found'
    assert body["details"] == {"name": "nope", "kind": "configmaps"}
    body = status_of(server.request("DELETE", f"{cms}/nope"), 404, "NotFound")
    assert body["message"] == 'configmaps "nope" not found'
    body = status_of(server.request("PATCH", f"{cms}/nope", {"data": {}},
                                    content_type="application/merge-patch+json"), 404, "NotFound")
    assert body["message"] == 'configmaps "nope" not found'
    body = status_of(server.request("GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/nope"),
                     404, "NotFound")
    assert body["message"] == 'leases.coordination.k8s.io "nope" not found'
    assert body["details"] == {"name": "nope", "group": "coordination.k8s.io", "kind": "leases"}


def test_404_unknown_resource(server: Server, ns: str) -> None:
    for path in (f"/api/v1/namespaces/{ns}/widgets", "/apis/nope.example.com/v1/things",
                 "/apis/coordination.k8s.io/v9/leases", "/api/v2/configmaps", "/nonsense"):
        body = status_of(server.request("GET", path), 404, "NotFound")
        assert body["message"] == "the server could not find the requested resource", path
        assert body["details"] == {}
    # Creating in a namespace that does not exist.
    body = status_of(server.request("POST", "/api/v1/namespaces/no-such-ns/configmaps", cm("x", "no-such-ns")),
                     404, "NotFound")
    assert body["message"] == 'namespaces "no-such-ns" not found'


# --- 405 -------------------------------------------------------------------------------------------


def test_405_method_not_allowed(server: Server, cms: str) -> None:
    snap = Snapshot(server, cms)
    for method, path in (("POST", f"{cms}/existing"), ("PUT", cms), ("PATCH", cms)):
        body = status_of(server.request(method, path, cm("existing", "x")), 405, "MethodNotAllowed")
        assert body["message"] == "the server does not allow this method on the requested resource", (method, path)
        assert body["details"] == {}
    snap.unchanged()


# --- 409 -------------------------------------------------------------------------------------------


def test_409_already_exists(server: Server, cms: str, ns: str) -> None:
    snap = Snapshot(server, cms)
    body = status_of(server.request("POST", cms, cm("existing", ns)), 409, "AlreadyExists")
    assert body["message"] == 'configmaps "existing" already exists'
    assert body["details"] == {"name": "existing", "kind": "configmaps"}
    snap.unchanged()


def test_409_conflict_on_stale_resource_version(server: Server, cms: str, ns: str) -> None:
    current = server.get_json(f"{cms}/existing")
    stale = json.loads(json.dumps(current))
    current["data"] = {"k": "new"}
    assert server.request("PUT", f"{cms}/existing", current).status == 200
    snap = Snapshot(server, cms)
    stale["data"] = {"k": "lost"}
    body = status_of(server.request("PUT", f"{cms}/existing", stale), 409, "Conflict")
    assert body["message"] == ('Operation cannot be fulfilled on configmaps "existing": the object has been '
                               "modified; please apply your changes to the latest version and try again")
    assert body["details"] == {"name": "existing", "kind": "configmaps"}
    # A merge patch carrying the stale resourceVersion is a precondition too.
    patch = {"metadata": {"resourceVersion": stale["metadata"]["resourceVersion"]}, "data": {"k": "lost"}}
    status_of(server.request("PATCH", f"{cms}/existing", patch, content_type="application/merge-patch+json"),
              409, "Conflict")
    # A delete with a stale precondition.
    opts = {"kind": "DeleteOptions", "apiVersion": "v1",
            "preconditions": {"resourceVersion": stale["metadata"]["resourceVersion"]}}
    body = status_of(server.request("DELETE", f"{cms}/existing", opts), 409, "Conflict")
    # (rest.BeforeDelete names the kind, not the resource.)
    assert body["message"] == (
        f'Operation cannot be fulfilled on ConfigMap "existing": the ResourceVersion in the precondition '
        f"({stale['metadata']['resourceVersion']}) does not match the ResourceVersion in record "
        f"({snap.before['items'][0]['metadata']['resourceVersion']}). The object might have been modified")
    assert body["details"] == {"name": "existing", "kind": "ConfigMap"}
    opts = {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": "not-the-uid"}}
    body = status_of(server.request("DELETE", f"{cms}/existing", opts), 409, "Conflict")
    assert body["message"] == (
        'Operation cannot be fulfilled on ConfigMap "existing": the UID in the precondition (not-the-uid) does not '
        f"match the UID in record ({stale['metadata']['uid']}). The object might have been deleted and then recreated")
    snap.unchanged()


# --- 410 -------------------------------------------------------------------------------------------


def test_410_watch_from_compacted_revision(server: Server, ns: str) -> None:
    """A CRD's watch cache starts at its creation: older resourceVersions are gone (an ERROR event, 200)."""
    group = "errors.e2e.example.com"
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": f"gadgets.{group}"},
           "spec": {"group": group, "scope": "Namespaced",
                    "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                        "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}
    assert server.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).status == 201
    try:
        path = f"/apis/{group}/v1/namespaces/{ns}/gadgets"
        eventually(lambda: server.request("GET", path).status == 200)
        rv = server.get_json(path)["metadata"]["resourceVersion"]
        stream = server.watch(f"{path}?watch=true&resourceVersion=1")
        try:
            assert stream.status == 200
            event = stream.next_event()
            assert event["type"] == "ERROR"
            status = event["object"]
            assert status["kind"] == "Status"
            assert status["code"] == 410
            assert status["reason"] == "Expired"
            assert status["status"] == "Failure"
            assert status["message"].startswith("too old resource version: 1 (")
            with pytest.raises(EOFError):
                stream.next_event()
        finally:
            stream.close()
        # From the list's resourceVersion the watch works.
        stream = server.watch(f"{path}?watch=true&resourceVersion={rv}&timeoutSeconds=10")
        try:
            assert server.request("POST", path, {"apiVersion": f"{group}/v1", "kind": "Gadget",
                                                 "metadata": {"name": "g"}}).status == 201
            event = stream.next_event()
            assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "g")
        finally:
            stream.close()
    finally:
        crd_path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.{group}"
        server.request("DELETE", crd_path)
        eventually(lambda: server.request("GET", crd_path).status == 404)  # its cleanup is done


# --- 413 -------------------------------------------------------------------------------------------


def test_413_request_body_over_3_mib(server: Server, cms: str, ns: str) -> None:
    snap = Snapshot(server, cms)
    big = json.dumps(cm("huge", ns, data={"k": "x" * (3 * 1024 * 1024)})).encode()
    assert len(big) > 3 * 1024 * 1024
    try:
        r = server.request("POST", cms, big)
    except (BrokenPipeError, ConnectionResetError) as exc:  # the server may close before reading it all
        pytest.fail(f"the server closed the connection instead of answering 413: {exc}")
    body = status_of(r, 413, "RequestEntityTooLarge")
    assert body["message"] == "Request entity too large: limit is 3145728"
    snap.unchanged()
    # Just under the limit the body is read, and the object is refused for its size instead (1 MiB of data).
    body = status_of(server.request("POST", cms, json.dumps(cm("big", ns, data={"k": "x" * (1024 * 1024 + 1)}))),
                     422, "Invalid")
    snap.unchanged()


# --- 415 -------------------------------------------------------------------------------------------


def test_415_strategic_merge_patch_on_custom_resource(server: Server, ns: str) -> None:
    group = "smp.e2e.example.com"
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": f"bolts.{group}"},
           "spec": {"group": group, "scope": "Namespaced",
                    "names": {"plural": "bolts", "singular": "bolt", "kind": "Bolt"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                        "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}
    assert server.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).status == 201
    try:
        path = f"/apis/{group}/v1/namespaces/{ns}/bolts"
        eventually(lambda: server.request("GET", path).status == 200)
        created = server.request("POST", path, {"apiVersion": f"{group}/v1", "kind": "Bolt",
                                                "metadata": {"name": "b"}, "spec": {"size": 1}})
        assert created.status == 201
        r = server.request("PATCH", f"{path}/b", {"spec": {"size": 2}},
                           content_type="application/strategic-merge-patch+json")
        body = status_of(r, 415, "UnsupportedMediaType")
        assert body["message"] == (
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
        assert server.get_json(f"{path}/b") == created.json()
        # Custom resources have no protobuf encoding.
        r = server.request("POST", path, b"k8s\x00", content_type="application/vnd.kubernetes.protobuf")
        body = status_of(r, 415, "UnsupportedMediaType")
        assert body["message"] == ("the body of the request was in an unknown format - accepted media types "
                                   "include: application/json, application/yaml")
        assert "details" not in body
    finally:
        crd_path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/bolts.{group}"
        server.request("DELETE", crd_path)
        eventually(lambda: server.request("GET", crd_path).status == 404)  # its cleanup is done


def test_415_unknown_content_type(server: Server, cms: str, ns: str) -> None:
    snap = Snapshot(server, cms)
    body = status_of(server.request("POST", cms, cm("x", ns), content_type="text/plain"), 415,
                     "UnsupportedMediaType")
    assert body["message"] == ("the body of the request was in an unknown format - accepted media types include: "
                               "application/json, application/yaml, application/vnd.kubernetes.protobuf")
    assert "details" not in body
    body = status_of(server.request("PUT", f"{cms}/existing", cm("existing", ns), content_type="text/csv"), 415,
                     "UnsupportedMediaType")
    snap.unchanged()


# --- 422 -------------------------------------------------------------------------------------------


def test_422_invalid_name_and_label(server: Server, cms: str, ns: str) -> None:
    snap = Snapshot(server, cms)
    bad = cm("Foo_Bar", ns)
    bad["metadata"]["labels"] = {"ok": "fine", "tier": "-bad-"}
    body = status_of(server.request("POST", cms, bad), 422, "Invalid")
    assert body["details"]["name"] == "Foo_Bar"
    assert body["details"]["kind"] == "ConfigMap"
    causes = body["details"]["causes"]
    assert [(c["reason"], c["field"]) for c in causes] == [("FieldValueInvalid", "metadata.name"),
                                                          ("FieldValueInvalid", "metadata.labels")]
    assert causes[0]["message"].startswith('Invalid value: "Foo_Bar": a lowercase RFC 1123 subdomain must consist')
    assert causes[1]["message"].startswith('Invalid value: "-bad-": a valid label must be an empty string or consist')
    assert body["message"].startswith('ConfigMap "Foo_Bar" is invalid: [metadata.name: Invalid value: "Foo_Bar": ')
    assert ', metadata.labels: Invalid value: "-bad-": ' in body["message"]
    # One error: no brackets.
    body = status_of(server.request("POST", cms, cm("Foo_Bar", ns)), 422, "Invalid")
    assert body["message"].startswith('ConfigMap "Foo_Bar" is invalid: metadata.name: Invalid value: "Foo_Bar": ')
    # A data key that is not a config key.
    body = status_of(server.request("POST", cms, {**cm("badkey", ns), "data": {"a/b": "x"}}), 422, "Invalid")
    assert [c["field"] for c in body["details"]["causes"]] == ["data[a/b]"]
    snap.unchanged()


def test_422_on_update_keeps_the_object(server: Server, cms: str) -> None:
    current = server.get_json(f"{cms}/existing")
    current["metadata"]["labels"] = {"bad label": "x"}
    body = status_of(server.request("PUT", f"{cms}/existing", current), 422, "Invalid")
    assert [c["field"] for c in body["details"]["causes"]] == ["metadata.labels"]
    assert server.get_json(f"{cms}/existing")["metadata"].get("labels") is None


# --- 500 -------------------------------------------------------------------------------------------


@pytest.mark.skip(reason="no honest way to make the server fail internally from outside; the handler's "
                         "catch-all is covered by the in-process tests of the API server")
def test_500_without_traceback() -> None:
    raise AssertionError


# --- in-process: 429 and an expired continue token ---------------------------------------------------


class _Blocker:
    """An admission plugin that holds creates of ConfigMap ``block`` until released."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def admit(self, attrs: Any, obj: Any, old: Any) -> None:
        if attrs.verb == "create" and obj is not None and obj["metadata"].get("name") == "block":
            self.entered.set()
            await self.release.wait()

    async def validate(self, attrs: Any, obj: Any, old: Any) -> None:
        return None


class _OrdinaryUser:
    def authenticate(self, headers: dict[str, str]) -> Any:
        from setpoint.apiserver.registry.admission import UserInfo

        return UserInfo("alice", ("system:authenticated",))


@pytest.fixture
async def tiny_server() -> AsyncIterator[tuple[Any, _Blocker]]:
    from setpoint import storage
    from setpoint.apiserver.registry.admission import AdmissionChain
    from setpoint.apiserver.server import APIServer

    store = await storage.open_storage("memory://")
    blocker = _Blocker()
    # An ordinary user: kube never throttles system:masters (the default AllowAll user's group).
    # The plain in-flight limits (flow control off; its 429s are in tests/apiserver/test_flowcontrol.py).
    srv = APIServer(store, authenticator=_OrdinaryUser(), admission=AdmissionChain([blocker]),
                    max_requests_inflight=1, max_mutating_requests_inflight=1, enable_priority_and_fairness=False)
    await srv.start("127.0.0.1", 0)
    try:
        yield srv, blocker
    finally:
        blocker.release.set()
        await srv.stop()
        await store.close()


async def test_429_over_max_in_flight(tiny_server: tuple[Any, _Blocker]) -> None:
    srv, blocker = tiny_server
    port = srv.port
    plain = functools.partial(http_request, tls=False)  # the bare APIServer serves plain HTTP
    path = "/api/v1/namespaces/default/configmaps"
    held = asyncio.ensure_future(asyncio.to_thread(plain, port, "POST", path, cm("block", "default")))
    await asyncio.wait_for(blocker.entered.wait(), 10)
    # The one mutating slot is taken: another write is refused, with Retry-After.
    r = await asyncio.to_thread(plain, port, "POST", path, cm("refused", "default"))
    assert r.status == 429
    assert r.headers["retry-after"] == "1"
    status = r.json()
    assert (status["kind"], status["code"], status["reason"]) == ("Status", 429, "TooManyRequests")
    assert status["message"] == "Too many requests, please try again later."
    assert status["details"] == {"retryAfterSeconds": 1}
    # Reads have their own limit and still work.
    listed = await asyncio.to_thread(plain, port, "GET", path)
    assert listed.status == 200
    assert listed.json()["items"] == []
    metrics = (await asyncio.to_thread(plain, port, "GET", "/metrics")).body.decode()
    assert 'apiserver_dropped_requests_total{request_kind="mutating"} 1.0' in metrics
    blocker.release.set()
    assert (await asyncio.wait_for(held, 10)).status == 201
    # The refused write changed nothing; now there is room again.
    assert (await asyncio.to_thread(plain, port, "GET", f"{path}/refused")).status == 404
    assert (await asyncio.to_thread(plain, port, "POST", path, cm("refused", "default"))).status == 201


async def test_410_expired_continue_token() -> None:
    from setpoint.testing import start_api_server

    async with start_api_server("memory://") as api:
        port = api.port
        path = "/api/v1/namespaces/default/configmaps"
        for name in ("a", "b", "c"):
            assert (await asyncio.to_thread(http_request, port, "POST", path, cm(name, "default"), kubeconfig=api.kubeconfig)).status == 201
        # Not the root-CA publisher's kube-root-ca.crt, whatever moment it arrives.
        mine = "fieldSelector=metadata.name%21%3Dkube-root-ca.crt"
        first = (await asyncio.to_thread(http_request, port, "GET", f"{path}?limit=1&{mine}", kubeconfig=api.kubeconfig)).json()
        token = first["metadata"]["continue"]
        assert [i["metadata"]["name"] for i in first["items"]] == ["a"]
        # One more write, then compact the store past the token's revision.
        assert (await asyncio.to_thread(http_request, port, "POST", path, cm("d", "default"), kubeconfig=api.kubeconfig)).status == 201
        store = api.control_plane.storage
        assert store is not None
        await store.compact(await store.current_revision())
        q = urllib.parse.urlencode({"limit": "1", "continue": token})
        r = await asyncio.to_thread(http_request, port, "GET", f"{path}?{q}&{mine}", kubeconfig=api.kubeconfig)
        assert r.status == 410
        body = r.json()
        assert body["reason"] == "Expired"
        assert body["code"] == 410
        assert body["message"] == EXPIRED_CONTINUE
        # The Status carries a token to go on (at the latest revision): the rest of the list, d included.
        rest: list[str] = []
        token = body["metadata"]["continue"]
        while token:
            q = urllib.parse.urlencode({"limit": "1", "continue": token})
            page = (await asyncio.to_thread(http_request, port, "GET", f"{path}?{q}&{mine}", kubeconfig=api.kubeconfig)).json()
            rest.extend(i["metadata"]["name"] for i in page["items"])
            token = page["metadata"].get("continue", "")
        assert rest == ["b", "c", "d"]


def test_422_watch_list_without_resource_version_match(server: Server, cms: str) -> None:
    body = status_of(server.request("GET", f"{cms}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true"),
                     422, "Invalid")
    assert body["message"] == ('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
                               "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")
    assert body["details"]["causes"] == [{"reason": "FieldValueForbidden", "field": "resourceVersionMatch",
                                          "message": "Forbidden: sendInitialEvents requires setting "
                                                     "resourceVersionMatch to NotOlderThan"}]


def test_422_bad_list_options(server: Server, cms: str) -> None:
    body = status_of(server.request("GET", f"{cms}?resourceVersionMatch=NotOlderThan"), 422, "Invalid")
    assert body["message"] == ('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
                               "resourceVersionMatch is forbidden unless resourceVersion is provided")
    body = status_of(server.request("GET", f"{cms}?resourceVersion=1&resourceVersionMatch=Newest"), 422, "Invalid")
    assert body["message"] == ('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: '
                               '"Newest": supported values: "Exact", "NotOlderThan", ""')
    assert [c["reason"] for c in body["details"]["causes"]] == ["FieldValueNotSupported"]


def test_http_client_sanity(server: Server) -> None:
    """The raw helper really speaks to the server (guards every test above against a silent helper bug)."""
    conn = http.client.HTTPSConnection("127.0.0.1", server.port, timeout=5, context=tls_context(server.kubeconfig))
    try:
        conn.request("GET", "/api/v1/namespaces/default")
        resp = conn.getresponse()
        assert resp.status == 200
        assert json.loads(resp.read())["metadata"]["name"] == "default"
    finally:
        conn.close()
