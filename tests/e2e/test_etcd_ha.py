"""Several ``setpoint up`` on one etcd: one API, controllers in one server at a time.

Two servers run on the session's 3-member etcd cluster (under a key prefix of their own), the
second started with a copy of the first's ``pki/`` directory (the cluster CA, the serving and
administrator certificates, the ServiceAccount signing key), as docs/ha.md tells. kubectl and
raw HTTP drive each server as a user would through a load balancer that picks either.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_helpers import (
    Kubectl,
    LineReader,
    Server,
    eventually,
    free_port,
    setpoint_cmd,
    stop_server,
    up,
)

from etcd_cluster import EtcdCluster, etcd_prefix

pytestmark = pytest.mark.e2e

#: Longer than a Lease's duration (15 s) and a standby's retry (2 s with jitter) on a busy machine.
TAKEOVER = 60.0


@dataclass
class HA:
    """The servers of one control plane, and where they keep their state."""

    url: str
    prefix: str
    servers: list[Server]


def _up(base: Path, url: str, *extra: str, pki_from: Path | None = None) -> Server:
    if pki_from is not None:  # docs/ha.md: the second server starts with the first's pki/
        (base / "data").mkdir(parents=True)
        shutil.copytree(pki_from / "pki", base / "data" / "pki")
    return up(base, "--storage", url, *extra, timeout=60)


def _start_pair(etcd_cluster: EtcdCluster, tmp_path_factory: pytest.TempPathFactory, *extra: str,
                advertise: tuple[str, str] | None = None) -> HA:
    prefix = etcd_prefix()
    url = f"{etcd_cluster.url}?prefix={prefix}"
    own = [("--advertise-address", ip) for ip in advertise] if advertise else [(), ()]
    first = _up(tmp_path_factory.mktemp("ha-a"), url, *extra, *own[0])
    try:
        second = _up(tmp_path_factory.mktemp("ha-b"), url, *extra, *own[1], pki_from=first.data_dir)
    except BaseException:
        stop_server(first.proc)
        raise
    return HA(url, prefix, [first, second])


@pytest.fixture(scope="module")
def pair(etcd_cluster: EtcdCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HA]:
    """Two API servers, no simulated nodes."""
    ha = _start_pair(etcd_cluster, tmp_path_factory, "--nodes", "0")
    try:
        yield ha
    finally:
        for srv in ha.servers:
            stop_server(srv.proc)


def test_two_servers_serve_one_api(pair: HA, etcd_cluster: EtcdCluster) -> None:
    a, b = pair.servers
    ka, kb = Kubectl(a), Kubectl(b)
    ka("create", "namespace", "ha-one")
    # An object created through one server is in the other's watch, and the other way round.
    watch_b = LineReader(kb.popen("get", "configmaps", "-n", "ha-one", "-w", "--output-watch-events"))
    watch_a = LineReader(ka.popen("get", "configmaps", "-n", "ha-one", "-w", "--output-watch-events"))
    try:
        ka("create", "configmap", "shared", "-n", "ha-one", "--from-literal=a=1")
        assert watch_b.wait_for(lambda line: "shared" in line).split()[:2] == ["ADDED", "shared"]
        assert watch_a.wait_for(lambda line: "shared" in line).split()[:2] == ["ADDED", "shared"]
        kb("patch", "configmap", "shared", "-n", "ha-one", "--type=merge", "-p", '{"data":{"b":"2"}}')
        assert watch_a.wait_for(lambda line: "shared" in line).split()[:3] == ["MODIFIED", "shared", "2"]
    finally:
        watch_a.stop()
        watch_b.stop()

    # A write through one with a stale resourceVersion is a 409 on the other (etcd's compare-and-swap).
    path = "/api/v1/namespaces/ha-one/configmaps/shared"
    stale = a.get_json(path)
    kb("patch", "configmap", "shared", "-n", "ha-one", "--type=merge", "-p", '{"data":{"c":"3"}}')
    stale["data"]["d"] = "4"
    r = a.request("PUT", path, stale)
    assert r.status == 409, r.body
    assert r.json()["reason"] == "Conflict"
    assert r.json()["message"] == ('Operation cannot be fulfilled on configmaps "shared": the object has been '
                                   "modified; please apply your changes to the latest version and try again")
    assert a.get_json(path)["data"] == {"a": "1", "b": "2", "c": "3"}

    # A consistent LIST (and GET) on one right after a write on the other sees the write.
    for i in range(10):
        writer, reader = (a, b) if i % 2 else (b, a)
        created = writer.request("POST", "/api/v1/namespaces/ha-one/configmaps",
                                 {"metadata": {"name": f"rw-{i}"}, "data": {"i": str(i)}})
        assert created.status == 201, created.body
        listed = reader.get_json("/api/v1/namespaces/ha-one/configmaps")
        assert f"rw-{i}" in [o["metadata"]["name"] for o in listed["items"]]
        assert int(listed["metadata"]["resourceVersion"]) >= int(created.json()["metadata"]["resourceVersion"])
        assert reader.get_json(f"/api/v1/namespaces/ha-one/configmaps/rw-{i}")["data"] == {"i": str(i)}

    # Both caches hold the same objects at the same resourceVersions.
    def versions(srv: Server) -> dict[str, str]:
        items = srv.get_json("/api/v1/namespaces/ha-one/configmaps")["items"]
        return {o["metadata"]["name"]: o["metadata"]["resourceVersion"] for o in items}

    assert versions(a) == versions(b)

    # Writes outside the servers' keys move etcd's revision without an event their caches could see:
    # a consistent LIST still answers at once (the cache asks its watch for progress).
    for i in range(3):
        put = json.loads(etcd_cluster.etcdctl("put", f"/elsewhere{pair.prefix}/{i}", "x", "-w", "json"))
        started = time.monotonic()
        listed = b.get_json("/api/v1/namespaces/ha-one/configmaps")
        assert time.monotonic() - started < 2.5  # the cache's wait gives up at 3 s
        assert int(listed["metadata"]["resourceVersion"]) >= int(put["header"]["revision"])
        names = {o["metadata"]["name"] for o in listed["items"]} - {"kube-root-ca.crt"}
        assert names == {"shared", *(f"rw-{i}" for i in range(10))}


def test_servers_share_credentials(pair: HA) -> None:
    """With one pki/, a client of one server is a client of the other: the administrator's certificate,
    the serving certificate it verifies, and ServiceAccount tokens either server signed."""
    a, b = pair.servers
    ka = Kubectl(a)
    # a's kubeconfig, pointed at b (as a load balancer would send it).
    assert ka.out("--server", b.url, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}") == \
        "kubernetes-admin"
    token = ka.out("create", "token", "default", "-n", "default").strip()
    # The token alone (no kubeconfig), sent to the other server, which verifies its serving certificate.
    whoami = subprocess.run([ka.exe, "--server", b.url, "--certificate-authority", str(a.data_dir / "pki" / "ca.crt"),
                             "--token", token, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"],
                            capture_output=True, text=True, timeout=60, check=True,
                            env={**b.env, "KUBECONFIG": os.devnull})
    assert whoami.stdout == "system:serviceaccount:default:default"


def _identity(srv: Server, lease: str) -> str | None:
    """The identity with which ``srv`` said it acquired ``kube-system/<lease>`` last (None: never)."""
    found = re.findall(r"INFO setpoint\.runtime\.leader: (\S+) acquired lease kube-system/" + re.escape(lease) + "$",
                       srv.logs(), re.M)
    return found[-1] if found else None


def _holder(k: Kubectl, lease: str) -> str:
    return k.out("get", "lease", lease, "-n", "kube-system", "-o", "jsonpath={.spec.holderIdentity}")


def _endpoints(k: Kubectl) -> set[tuple[str, int]]:
    """The (address, port) pairs of the ``kubernetes`` Service's Endpoints."""
    subsets = json.loads(k.out("get", "endpoints", "kubernetes", "-n", "default", "-o", "json")).get("subsets") or []
    return {(a["ip"], int(p["port"])) for s in subsets for a in s["addresses"] for p in s["ports"]}


def _ready_replicas(k: Kubectl, name: str) -> int:
    return int(k.out("get", "deployment", name, "-n", "ha-two", "-o", "jsonpath={.status.readyReplicas}") or 0)


def test_controllers_run_in_one_server_and_fail_over(etcd_cluster: EtcdCluster,
                                                     tmp_path_factory: pytest.TempPathFactory) -> None:
    """Leases kube-system/kube-controller-manager and kube-scheduler pick one server; after a
    kill -9 of that server the other holds both and reconciles (controllers, scheduler, nodes)."""
    ha = _start_pair(etcd_cluster, tmp_path_factory, "--nodes", "1")
    try:
        a, b = ha.servers
        kb = Kubectl(b)
        leases = ("kube-controller-manager", "kube-scheduler")
        for lease in leases:
            holder = eventually(lambda lease=lease: _holder(kb, lease), timeout=TAKEOVER)
            assert holder in (_identity(a, lease), _identity(b, lease))
        leader, standby = (a, b) if _holder(kb, leases[0]) == _identity(a, leases[0]) else (b, a)
        assert _identity(standby, leases[0]) is None  # the standby never led
        metrics = {srv.port: Kubectl(srv).out("get", "--raw", "/metrics") for srv in (leader, standby)}
        assert 'leader_election_master_status{name="kube-controller-manager"} 1.0' in metrics[leader.port]
        assert 'leader_election_master_status{name="kube-controller-manager"} 1.0' not in metrics[standby.port]

        # A Deployment created through the standby is reconciled by the leader's controllers.
        ks = Kubectl(standby)
        ks("create", "namespace", "ha-two")
        ks("create", "deployment", "before", "-n", "ha-two", "--image=nginx", "--replicas=1")
        eventually(lambda: _ready_replicas(ks, "before") == 1, timeout=TAKEOVER)

        # kill -9 the leader: the standby takes both Leases within their duration and reconciles.
        leader.proc.kill()
        leader.proc.wait(10)
        killed = time.monotonic()
        for lease in leases:
            eventually(lambda lease=lease: _holder(ks, lease) == _identity(standby, lease), timeout=TAKEOVER,
                       interval=0.2)
        took = time.monotonic() - killed
        assert took < 15 + 2.4 + 20  # the lease duration, a retry with jitter, a busy machine (22 s seen)
        ks("create", "deployment", "after", "-n", "ha-two", "--image=nginx", "--replicas=2")
        ks("scale", "deployment", "before", "-n", "ha-two", "--replicas=2")
        eventually(lambda: _ready_replicas(ks, "after") == 2 and _ready_replicas(ks, "before") == 2,
                   timeout=TAKEOVER)
        print(f"takeover after kill -9: {took:.1f} s")
    finally:
        for srv in ha.servers:
            stop_server(srv.proc)


def test_clean_stop_hands_the_lease_over_at_once(etcd_cluster: EtcdCluster,
                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    """A leader stopped with SIGTERM releases its Leases: the standby leads after a retry period,
    not a whole lease duration (kube's --leader-elect-* timings, a longer lease here)."""
    ha = _start_pair(etcd_cluster, tmp_path_factory, "--nodes", "0", "--leader-elect-lease-duration", "30s",
                     "--leader-elect-renew-deadline", "20s", "--leader-elect-retry-period", "1s",
                     advertise=("192.0.2.1", "192.0.2.2"))
    try:
        a, b = ha.servers
        kb = Kubectl(b)
        # Both servers are in the `kubernetes` Service's endpoints (kube's lease endpoint reconciler).
        eventually(lambda: _endpoints(kb) == {("192.0.2.1", a.port), ("192.0.2.2", b.port)}, timeout=TAKEOVER)
        lease = "kube-controller-manager"
        eventually(lambda: _holder(kb, lease), timeout=TAKEOVER)
        assert kb.out("get", "lease", lease, "-n", "kube-system", "-o",
                      "jsonpath={.spec.leaseDurationSeconds}") == "30"
        leader, standby = (a, b) if _holder(kb, lease) == _identity(a, lease) else (b, a)
        stop_server(leader.proc)
        stopped = time.monotonic()
        ks = Kubectl(standby)
        eventually(lambda: _holder(ks, lease) == _identity(standby, lease), timeout=TAKEOVER, interval=0.1)
        assert time.monotonic() - stopped < 15  # the lease duration is 30 s
        # ... and the stopped one left the endpoints as it went, not once its Lease expired (15 s).
        eventually(lambda: _endpoints(ks) == {("192.0.2.2" if standby is b else "192.0.2.1", standby.port)},
                   timeout=TAKEOVER, interval=0.1)
        assert time.monotonic() - stopped < 15
    finally:
        for srv in ha.servers:
            stop_server(srv.proc)


def test_no_election_on_sqlite_unless_asked(kubectl: Kubectl) -> None:
    """The session's server (SQLite, one process owns the data) runs its controllers without a Lease."""
    names = kubectl.out("get", "leases", "-n", "kube-system", "-o", "jsonpath={.items[*].metadata.name}").split()
    assert "kube-controller-manager" not in names and "kube-scheduler" not in names
    # ... and reconciles all the same.
    kubectl("create", "deployment", "no-election", "--image=nginx", "--replicas=1")
    try:
        eventually(lambda: kubectl.out("get", "deployment", "no-election", "-o",
                                       "jsonpath={.status.replicas}") == "1")
    finally:
        kubectl("delete", "deployment", "no-election", "--wait=false")


def test_leader_election_timings_are_checked(tmp_path: Path) -> None:
    """client-go's rule: lease duration > renew deadline > 1.2 x retry period; else a refusal."""
    refused = subprocess.run([*setpoint_cmd(), "up", "--data-dir", str(tmp_path / "data"), "--port",
                              str(free_port()), "--leader-elect-renew-deadline", "20s"],
                             capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert refused.returncode == 1
    assert refused.stderr.strip() == ("setpoint: invalid leader election timings: need lease_duration > "
                                      "renew_deadline > 1.2 * retry_period > 0 (as client-go)")
