"""Fixtures of the end-to-end suite: one real ``setpoint up`` process per session.

Every test talks to that process the way a user would: kubectl as a subprocess,
the official ``kubernetes`` client, or raw HTTP (for exact ``Status`` bodies).
Tests that can get their own namespace (the ``ns`` fixture), so that they do
not depend on each other or on their order.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from e2e_helpers import Kubectl, Server, eventually, free_port, start_server, stop_server, wait_ready


def _start(base: Any, *extra: str) -> Server:
    data_dir = base / "data"
    stderr_path = base / "server.log"
    for _attempt in range(3):
        port = free_port()
        proc = start_server(data_dir, port, *extra, log_path=stderr_path)
        try:
            wait_ready(port, proc)
            break
        except RuntimeError:
            if "cannot serve" not in stderr_path.read_text(errors="replace"):
                raise RuntimeError(stderr_path.read_text(errors="replace")) from None
            continue  # the free port was taken meanwhile: another one
    else:
        raise RuntimeError("could not start setpoint up")
    assert proc.stdout is not None
    first = proc.stdout.readline().decode().strip()
    kube_cache = base / "kube-cache"
    srv = Server(port, data_dir, proc, stderr_path, kube_cache, first)
    srv.env = {**os.environ, "KUBECONFIG": str(srv.kubeconfig), "KUBECACHEDIR": str(kube_cache),
               "HOME": str(base)}
    return srv


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A bare ``setpoint up --nodes 0``: no scheduler, no kubelet; tests drive pods themselves."""
    srv = _start(tmp_path_factory.mktemp("setpoint-e2e"), "--nodes", "0")
    try:
        yield srv
    finally:
        stop_server(srv.proc)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``setpoint up`` as a user runs it: three simulated nodes, the scheduler and the kubelet."""
    srv = _start(tmp_path_factory.mktemp("setpoint-cluster"))
    try:
        yield srv
    finally:
        stop_server(srv.proc)


@pytest.fixture(scope="session")
def kubectl(server: Server) -> Kubectl:
    return Kubectl(server)


@pytest.fixture(scope="session")
def cluster_kubectl(cluster: Server) -> Kubectl:
    return Kubectl(cluster)


# --- namespaces --------------------------------------------------------------------------


def _ns_name(node_name: str) -> str:
    base = re.sub(r"[^a-z0-9-]+", "-", node_name.lower().removeprefix("test_")).strip("-")[:40].strip("-")
    return f"{base}-{secrets.token_hex(3)}"


def _namespace(server: Server, request: pytest.FixtureRequest) -> Iterator[str]:
    name = _ns_name(request.node.name)
    r = server.request("POST", "/api/v1/namespaces",
                       {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert r.status == 201, r.body
    # As kube's e2e framework does: wait for what the controllers put in every namespace (the
    # `default` ServiceAccount, the `kube-root-ca.crt` ConfigMap), so they never arrive mid-test.
    eventually(lambda: server.request("GET", f"/api/v1/namespaces/{name}/serviceaccounts/default").status == 200
               and server.request("GET", f"/api/v1/namespaces/{name}/configmaps/kube-root-ca.crt").status == 200)
    yield name
    # Wait until it is gone, so that no test sees another's cleanup as background writes.
    # (A test that failed may leave objects held by finalizers: then do not wait long.)
    server.request("DELETE", f"/api/v1/namespaces/{name}")
    with contextlib.suppress(AssertionError):
        eventually(lambda: server.request("GET", f"/api/v1/namespaces/{name}").status == 404, timeout=5.0)


@pytest.fixture
def ns(server: Server, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one test on the bare server (created with a JSON POST; deleted afterwards)."""
    yield from _namespace(server, request)


@pytest.fixture
def cluster_ns(cluster: Server, request: pytest.FixtureRequest) -> Iterator[str]:
    """The same, on the server with simulated nodes."""
    yield from _namespace(cluster, request)


# --- the official client -----------------------------------------------------------------


@pytest.fixture(scope="session")
def k8s(server: Server) -> Iterator[Any]:
    """An ``ApiClient`` of the official ``kubernetes`` package, from the kubeconfig."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(server.kubeconfig))
    try:
        yield api_client
    finally:
        api_client.close()
    del client
