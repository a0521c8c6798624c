"""Cascading deletion through a real ``setpoint up`` and real kubectl: ``delete --cascade=``
background (the default), foreground and orphan, with the garbage collector running.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from e2e_helpers import Kubectl, Server

TIMEOUT = 20.0


def make_family(server: Server, ns: str, owner: str) -> dict[str, Any]:
    r = server.request("POST", f"/api/v1/namespaces/{ns}/configmaps",
                       {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": owner}})
    assert r.status == 201, r.body
    parent = r.json()
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": owner, "uid": parent["metadata"]["uid"],
           "blockOwnerDeletion": True}
    r = server.request("POST", f"/api/v1/namespaces/{ns}/configmaps",
                       {"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": f"{owner}-child", "ownerReferences": [ref]}})
    assert r.status == 201, r.body
    return dict(parent)


def wait_for(check: Any, what: str) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def absent(kubectl: Kubectl, ns: str, name: str) -> bool:
    return kubectl("get", "cm", name, "-n", ns, check=False).returncode != 0


@pytest.mark.parametrize("cascade", ["background", "foreground"])
def test_delete_cascades(server: Server, kubectl: Kubectl, ns: str, cascade: str) -> None:
    make_family(server, ns, "owner")
    kubectl("delete", "cm", "owner", "-n", ns, f"--cascade={cascade}")
    wait_for(lambda: absent(kubectl, ns, "owner-child"), "the child to go")
    assert absent(kubectl, ns, "owner")


def test_delete_cascade_orphan(server: Server, kubectl: Kubectl, ns: str) -> None:
    make_family(server, ns, "owner")
    kubectl("delete", "cm", "owner", "-n", ns, "--cascade=orphan")
    wait_for(lambda: absent(kubectl, ns, "owner"), "the owner to go")
    child = json.loads(kubectl.out("get", "cm", "owner-child", "-n", ns, "-o", "json"))
    assert "ownerReferences" not in child["metadata"]


def test_foreground_delete_waits_for_a_blocking_child(server: Server, kubectl: Kubectl, ns: str) -> None:
    make_family(server, ns, "owner")
    held = server.request("PATCH", f"/api/v1/namespaces/{ns}/configmaps/owner-child",
                          {"metadata": {"finalizers": ["example.com/hold"]}},
                          content_type="application/merge-patch+json")
    assert held.status == 200, held.body
    kubectl("delete", "cm", "owner", "-n", ns, "--cascade=foreground", "--wait=false")
    owner = json.loads(kubectl.out("get", "cm", "owner", "-n", ns, "-o", "json"))
    assert owner["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert owner["metadata"]["deletionTimestamp"]
    kubectl("patch", "cm", "owner-child", "-n", ns, "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
    wait_for(lambda: absent(kubectl, ns, "owner"), "the owner to go")


def test_orphan_dependents_and_a_policy_together_are_invalid(server: Server, ns: str) -> None:
    make_family(server, ns, "owner")
    r = server.request("DELETE", f"/api/v1/namespaces/{ns}/configmaps/owner",
                       {"kind": "DeleteOptions", "apiVersion": "v1", "orphanDependents": True,
                        "propagationPolicy": "Foreground"})
    assert r.status == 422, r.body
    status = r.json()
    assert status["message"] == ('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: '
                                 '"Foreground": orphanDependents and deletionPropagation cannot be both set')
    assert status["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": "propagationPolicy",
                                            "message": 'Invalid value: "Foreground": orphanDependents and '
                                                       "deletionPropagation cannot be both set"}]
    assert server.request("GET", f"/api/v1/namespaces/{ns}/configmaps/owner").status == 200


def test_orphan_dependents_query(server: Server, kubectl: Kubectl, ns: str) -> None:
    make_family(server, ns, "owner")
    r = server.request("DELETE", f"/api/v1/namespaces/{ns}/configmaps/owner?orphanDependents=true")
    assert r.status == 200, r.body
    assert r.json()["metadata"]["finalizers"] == ["orphan"]
    wait_for(lambda: absent(kubectl, ns, "owner"), "the owner to go")
    child = json.loads(kubectl.out("get", "cm", "owner-child", "-n", ns, "-o", "json"))
    assert "ownerReferences" not in child["metadata"]
