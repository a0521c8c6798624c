"""The dynamic client's custom-resource tests, on ``apiextensions.k8s.io/v1``.

Upstream's ``test_cluster_custom_resources``, ``test_namespaced_custom_resources`` and
``test_async_namespaced_custom_resources`` (``upstream/kubernetes/base/dynamic/test_client.py``,
Apache-2.0) create their CRD as ``apiextensions.k8s.io/v1beta1``, which Kubernetes stopped serving
in 1.22, so they are skipped there. These are the same steps with a v1 CRD (``versions`` with a
schema that keeps unknown fields, which is what a v1beta1 CRD without a schema meant), and waits on
a condition where upstream sleeps.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from kubernetes.client import api_client
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from e2e.e2e_helpers import eventually

from .upstream.kubernetes.e2e_test import base


def _crd(group: str, scope: str) -> dict[str, Any]:
    prefix = "clusterchangeme" if scope == "Cluster" else "changeme"
    kind = "ClusterChangeMe" if scope == "Cluster" else "ChangeMe"
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{prefix}s.{group}"},
        "spec": {
            "group": group,
            "names": {"kind": kind, "listKind": f"{kind}List", "plural": f"{prefix}s", "singular": prefix},
            "scope": scope,
            "versions": [{
                "name": "v1", "served": True, "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                "subresources": {"status": {}},
            }],
        },
    }


def _resource(client: DynamicClient, api_version: str, kind: str) -> Any:
    def found() -> Any:
        try:
            return client.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            client.resources.invalidate_cache()
            return None
    return eventually(found, message=f"{kind} never appeared in discovery")


def _gone(client: DynamicClient, api_version: str, kind: str) -> bool:
    client.resources.invalidate_cache()
    try:
        client.resources.get(api_version=api_version, kind=kind)
    except ResourceNotFoundError:
        return True
    return False


@pytest.mark.parametrize(("scope", "async_req"), [("Cluster", False), ("Namespaced", False), ("Namespaced", True)])
def test_custom_resources(scope: str, async_req: bool) -> None:
    client = DynamicClient(api_client.ApiClient(configuration=base.get_e2e_configuration()))
    group = f"apps-{uuid.uuid4().hex[:8]}.example.com"
    api_version = f"{group}/v1"
    crd_manifest = _crd(group, scope)
    kind = crd_manifest["spec"]["names"]["kind"]
    name = crd_manifest["metadata"]["name"]
    ns = {"namespace": "default"} if scope == "Namespaced" else {}
    kw = {"async_req": True} if async_req else {}

    with pytest.raises(ResourceNotFoundError):
        client.resources.get(api_version=api_version, kind=kind)

    crd_api = client.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    resp = crd_api.create(crd_manifest, **kw)
    assert resp.metadata.name == name
    assert resp.status
    resp = crd_api.get(name=name, **kw)
    assert resp.metadata.name == name
    assert resp.status

    changeme_api = _resource(client, api_version, kind)
    assert changeme_api.get(**kw).items == []
    changeme_name = "custom-resource" + uuid.uuid4().hex[:12]
    changeme_manifest: dict[str, Any] = {
        "apiVersion": api_version, "kind": kind, "metadata": {"name": changeme_name}, "spec": {},
    }
    resp = changeme_api.create(body=changeme_manifest, **ns, **kw)
    assert resp.metadata.name == changeme_name
    resp = changeme_api.get(name=changeme_name, **ns, **kw)
    assert resp.metadata.name == changeme_name

    changeme_manifest["spec"]["size"] = 3
    resp = changeme_api.patch(body=changeme_manifest, content_type="application/merge-patch+json", **ns, **kw)
    assert resp.spec.size == 3
    assert changeme_api.get(name=changeme_name, **ns, **kw).spec.size == 3
    assert len(changeme_api.get(**ns, **kw).items) == 1
    assert len(changeme_api.get(**kw).items) == 1

    changeme_api.delete(name=changeme_name, **ns, **kw)
    assert len(changeme_api.get(**ns, **kw).items) == 0
    assert len(changeme_api.get(**kw).items) == 0

    crd_api.delete(name=name, **kw)
    eventually(lambda: _gone(client, api_version, kind), message=f"{kind} still in discovery")
