"""``setpoint up --storage etcd://...`` end to end: kubectl against a server whose state is in etcd.

The server runs on the session's 3-member etcd cluster; etcdctl reads what it wrote where
kube-apiserver would have written it (``/registry/configmaps/NAMESPACE/NAME``), with the
object's resourceVersion as the key's mod_revision.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import Kubectl, LineReader, Server, free_port, start_server, stop_server, wait_ready

from etcd_cluster import EtcdCluster, etcd_binary

pytestmark = pytest.mark.e2e


def _up(base: Path, url: str) -> Server:
    data_dir, log = base / "data", base / "server.log"
    port = free_port()
    proc = start_server(data_dir, port, "--storage", url, "--nodes", "0", log_path=log)
    try:
        wait_ready(port, proc)
    except (RuntimeError, TimeoutError):
        stop_server(proc)
        raise RuntimeError(log.read_text(errors="replace")) from None
    assert proc.stdout is not None
    srv = Server(port, data_dir, proc, log, base / "kube-cache", proc.stdout.readline().decode().strip())
    srv.env = {**os.environ, "KUBECONFIG": str(srv.kubeconfig), "KUBECACHEDIR": str(srv.kube_cache),
               "HOME": str(base)}
    return srv


@pytest.fixture(scope="module")
def etcd_server(etcd_cluster: EtcdCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = _up(tmp_path_factory.mktemp("setpoint-etcd"), etcd_cluster.url)
    try:
        yield srv
    finally:
        stop_server(srv.proc)


def etcdctl(cluster: EtcdCluster, *args: str) -> str:
    exe, reason = etcd_binary("etcdctl")
    if exe is None:
        pytest.skip(reason)
    out = subprocess.run([exe, "--endpoints", ",".join(cluster.endpoints), *args], capture_output=True,
                         text=True, timeout=30, env={**os.environ, "ETCDCTL_API": "3"}, check=True)
    return out.stdout


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
    keys = etcdctl(etcd_cluster, "get", "--prefix", "/registry/configmaps/", "--keys-only").split()
    assert "/registry/configmaps/default/in-etcd" in keys
    (kv,) = json.loads(etcdctl(etcd_cluster, "get", "/registry/configmaps/default/in-etcd", "-w", "json"))["kvs"]
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
