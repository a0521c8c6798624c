"""``setpoint migrate``: a data dir's SQLite state moved onto etcd, then served from there.

Objects are written through a ``setpoint up`` on SQLite; once it is stopped, ``setpoint migrate``
copies its store into the session's etcd cluster (under a prefix of its own); a ``setpoint up`` on
that etcd, with the same data dir (the same CA and kubeconfig), serves the same objects to kubectl,
their resourceVersions new but in the same order.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import Kubectl, Server, setpoint_cmd, stop_server, up

from etcd_cluster import EtcdCluster, etcd_prefix

pytestmark = pytest.mark.e2e


def _up(base: Path, *flags: str) -> Server:
    return up(base, "--nodes", "0", *flags)


def _migrate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*setpoint_cmd(), "migrate", *args], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def _objects(kubectl: Kubectl, ns: str) -> dict[str, tuple[object, int]]:
    """``kind/name`` -> (data, resourceVersion) of the namespace's ConfigMaps and Secrets."""
    items = json.loads(kubectl.out("get", "configmaps,secrets", "-n", ns, "-o", "json"))["items"]
    return {f"{o['kind']}/{o['metadata']['name']}": (o.get("data"), int(o["metadata"]["resourceVersion"]))
            for o in items}


def test_sqlite_data_dir_moves_onto_etcd(etcd_cluster: EtcdCluster, tmp_path: Path) -> None:
    target = etcd_cluster.url + f"?prefix={etcd_prefix()}"
    srv = _up(tmp_path)
    try:
        kubectl = Kubectl(srv)
        kubectl("create", "namespace", "moved")
        kubectl("create", "configmap", "first", "-n", "moved", "--from-literal=k=1")
        kubectl("create", "configmap", "second", "-n", "moved", "--from-literal=k=2")
        kubectl("create", "secret", "generic", "token", "-n", "moved", "--from-literal=t=s3cret")
        kubectl("patch", "configmap", "first", "-n", "moved", "--type=merge", "-p", '{"data":{"k":"1b"}}')
        before = _objects(kubectl, "moved")
        namespaces = set(kubectl.out("get", "namespaces", "-o", "name").split())
        # The server holds its store: the copy is refused until it stops.
        source = f"sqlite:///{srv.data_dir / 'state.db'}"
        busy = _migrate("--from", source, "--to", target)
        assert busy.returncode == 1
        assert "locked: another process has this store open" in busy.stderr
    finally:
        stop_server(srv.proc)

    copied = _migrate("--from", source, "--to", target)
    assert copied.returncode == 0, copied.stderr
    assert copied.stdout.startswith("copied "), copied.stdout
    # A second copy into the now non-empty target is refused unless forced.
    again = _migrate("--from", source, "--to", target)
    assert again.returncode == 1
    assert "already holds" in again.stderr and "--force" in again.stderr
    forced = _migrate("--from", source, "--to", target, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "deleted the" in forced.stderr

    on_etcd = _up(tmp_path, "--storage", target)
    try:
        kubectl = Kubectl(on_etcd)
        after = _objects(kubectl, "moved")
        assert {k: data for k, (data, _) in after.items()} == {k: data for k, (data, _) in before.items()}
        assert sorted(after, key=lambda k: after[k][1]) == sorted(before, key=lambda k: before[k][1])
        assert set(kubectl.out("get", "namespaces", "-o", "name").split()) == namespaces
        assert kubectl.out("get", "secret", "token", "-n", "moved", "-o", "jsonpath={.data.t}") == "czNjcmV0"
        # The served state is etcd's: a write lands there and is read back.
        kubectl("create", "configmap", "third", "-n", "moved", "--from-literal=k=3")
        assert _objects(kubectl, "moved")["ConfigMap/third"][1] > max(rv for _, rv in after.values())
    finally:
        stop_server(on_etcd.proc)
