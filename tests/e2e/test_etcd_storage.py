"""``setpoint up --storage etcd://...`` end to end: kubectl against a server whose state is in etcd.

The server runs on the session's 3-member etcd cluster; etcdctl reads what it wrote where
kube-apiserver would have written it (``/registry/configmaps/NAMESPACE/NAME``), with the
object's resourceVersion as the key's mod_revision.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import (
    Kubectl,
    LineReader,
    Server,
    free_port,
    setpoint_cmd,
    start_server,
    stop_server,
    up,
    wait_ready,
)

from etcd_cluster import EtcdCluster, Tls, etcd_binary, scratch_dir

pytestmark = pytest.mark.e2e


def _up(base: Path, url: str) -> Server:
    return up(base, "--storage", url, "--nodes", "0", first_line=True)


@pytest.fixture(scope="module")
def etcd_server(etcd_cluster: EtcdCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = _up(tmp_path_factory.mktemp("setpoint-etcd"), etcd_cluster.url)
    try:
        yield srv
    finally:
        stop_server(srv.proc)


def test_configmap_lives_in_etcd(etcd_server: Server, etcd_cluster: EtcdCluster,
                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    kubectl = Kubectl(etcd_server)
    assert etcd_server.stdout_first_line  # the server printed where its kubeconfig is
    kubectl.out("create", "configmap", "in-etcd", "--from-literal=a=1")
    reader = LineReader(kubectl.popen("get", "configmap", "in-etcd", "-w", "--output-watch-events"))
    try:
        assert reader.wait_for(lambda line: "in-etcd" in line).split()[:2] == ["ADDED", "in-etcd"]
        kubectl.out("patch", "configmap", "in-etcd", "--type=merge", "-p", '{"data":{"b":"2"}}')
        assert reader.wait_for(lambda line: "in-etcd" in line).split()[:3] == ["MODIFIED", "in-etcd", "2"]
    finally:
        reader.stop()
    obj = json.loads(kubectl.out("get", "configmap", "in-etcd", "-o", "json"))
    assert obj["data"] == {"a": "1", "b": "2"}

    # etcdctl finds the key where kube-apiserver keeps it, at the object's resourceVersion.
    keys = etcd_cluster.etcdctl("get", "--prefix", "/registry/configmaps/", "--keys-only").split()
    assert "/registry/configmaps/default/in-etcd" in keys
    (kv,) = json.loads(etcd_cluster.etcdctl("get", "/registry/configmaps/default/in-etcd", "-w", "json"))["kvs"]
    assert str(kv["mod_revision"]) == obj["metadata"]["resourceVersion"]

    # Another `setpoint up` on the same etcd serves the same state.
    stop_server(etcd_server.proc)
    again = _up(tmp_path_factory.mktemp("setpoint-etcd-again"), etcd_cluster.url)
    try:
        found = json.loads(Kubectl(again).out("get", "configmap", "in-etcd", "-o", "json"))
        assert found["data"] == {"a": "1", "b": "2"}
        assert found["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]
    finally:
        stop_server(again.proc)


def test_etcd_tls_flags(tmp_path_factory: pytest.TempPathFactory) -> None:
    """``--etcd-cafile``/``--etcd-certfile``/``--etcd-keyfile`` reach a member that requires client
    certificates, as kube-apiserver's flags of those names; given without etcd, a clear refusal."""
    binary, reason = etcd_binary()
    if binary is None:
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("setpoint-etcd-tls")
    tls = Tls.make(base)
    directory = scratch_dir(base / "etcd")
    cluster = EtcdCluster(directory, members=1, binary=binary, tls=tls)
    cluster.start()
    try:
        data_dir, log, port = base / "data", base / "server.log", free_port()
        proc = start_server(data_dir, port, "--storage", "etcd://" + cluster.endpoints[0], "--nodes", "0",
                            "--etcd-cafile", str(tls.ca_file), "--etcd-certfile", str(tls.cert_file),
                            "--etcd-keyfile", str(tls.key_file), log_path=log)
        try:
            wait_ready(port, proc)
            srv = Server(port, data_dir, proc, log, base / "kube-cache")
            srv.env = {**os.environ, "KUBECONFIG": str(srv.kubeconfig), "KUBECACHEDIR": str(srv.kube_cache),
                       "HOME": str(base)}
            kubectl = Kubectl(srv)
            kubectl("create", "configmap", "over-tls", "--from-literal=k=v")
            assert kubectl.out("get", "configmap", "over-tls", "-o", "jsonpath={.data.k}") == "v"
        finally:
            stop_server(proc)
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
    refused = subprocess.run([*setpoint_cmd(), "up", "--data-dir", str(base / "other"), "--port", str(free_port()),
                              "--etcd-cafile", str(tls.ca_file)], capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL)
    assert refused.returncode == 1
    assert refused.stderr.strip() == ("setpoint: --etcd-cafile, --etcd-certfile and --etcd-keyfile go with "
                                      "--storage etcd://...")
