"""Faults under load: two ``setpoint up`` on one 3-member etcd cluster while members and a server die.

Writers create and patch ConfigMaps through both API servers (each writer keeps a keep-alive
connection to one server and moves to the other when its server stops answering, as a client
behind a load balancer does). Informer-like watchers list once, then watch from the list's
resourceVersion and, whenever their stream breaks, watch again from the last resourceVersion
they saw, on the other server if theirs is gone. Meanwhile the test SIGKILLs one etcd follower
(and brings it back), then the etcd leader (and brings it back), then one API server.

Afterwards: every write a client saw acknowledged is in the API with its value; every watcher saw
exactly etcd's revision history of the namespace's ConfigMaps after its start (no gap, no
duplicate, read independently with ``etcdctl watch``); and the longest time a writer went
without an acknowledgement is measured per fault (printed, and bounded here). The figures are
in ``docs/reliability.md``.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import itertools
import json
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import eventually, free_port, start_server, stop_server, wait_ready

from etcd_cluster import ETCDCTL_ENV, EtcdCluster, etcd_binary, scratch_dir

pytestmark = pytest.mark.e2e

#: Writers (half start on each server) and watchers (one per server).
WRITERS = 4
WATCHERS = 2
#: Acknowledged writes each writer waits for in each phase (proof every client is served again).
PHASE_ACKS = 20
#: The most a fault may keep a writer without an acknowledgement: etcd elects a new leader in
#: about a second here (election timeout 0.5 s) and a write stuck on a follower is sent again
#: after 2 s (it waited for etcd's 6 s request timeout before); a dead API server costs a refused
#: connection and a retry on the other one.
MAX_UNAVAILABLE = 5.0
#: Seconds a client waits before it sends again a request its server answered 5xx or 429.
RETRY_BACKOFF = 0.05


class Unexpected(Exception):
    """An answer no fault explains (a 4xx other than the ones a retry explains)."""


@dataclass
class Client:
    """One client's view of the servers: a keep-alive connection to its current one."""

    ports: list[int]
    current: int
    conn: http.client.HTTPConnection | None = None
    switches: int = 0

    def request(self, method: str, path: str, body: Any = None,
                content_type: str = "application/json") -> tuple[int, Any]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.ports[self.current], timeout=15)
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
            payload = resp.read()
        except (OSError, http.client.HTTPException):
            self.fail_over()
            raise
        return resp.status, json.loads(payload) if payload else None

    def fail_over(self) -> None:
        """Drop the connection and go to the next server."""
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        self.current = (self.current + 1) % len(self.ports)
        self.switches += 1


@dataclass
class Writer:
    """Creates ConfigMaps and patches each once, retrying each write until it is acknowledged."""

    index: int
    client: Client
    ns: str
    stop: threading.Event
    #: name -> the last acknowledged value of data.v
    acked: dict[str, str] = field(default_factory=dict)
    #: (monotonic time, resourceVersion) of every acknowledgement
    acks: list[float] = field(default_factory=list)
    #: Failed attempts (connection errors, 5xx) that a retry then covered.
    retries: int = 0
    error: BaseException | None = None

    def run(self) -> None:
        try:
            seq = 0
            while not self.stop.is_set():
                name = f"w{self.index}-{seq // 2}"
                value = secrets.token_hex(6)
                if seq % 2 == 0:
                    self._write("POST", f"/api/v1/namespaces/{self.ns}/configmaps", name, value,
                                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                                 "data": {"v": value}}, "application/json")
                else:
                    self._write("PATCH", f"/api/v1/namespaces/{self.ns}/configmaps/{name}", name, value,
                                {"data": {"v": value}}, "application/merge-patch+json")
                seq += 1
        except BaseException as exc:  # reported by the test
            self.error = exc

    def _write(self, method: str, path: str, name: str, value: str, body: Any, content_type: str) -> None:
        deadline = time.monotonic() + 60
        resent = False
        while True:
            if time.monotonic() > deadline:
                raise Unexpected(f"{method} {name} not acknowledged in 60 s")
            try:
                status, obj = self.client.request(method, path, body, content_type)
            except (OSError, http.client.HTTPException):
                self.retries += 1
                resent = True
                continue
            if status in (200, 201):
                assert obj["data"]["v"] == value, obj
                break
            if status == 409 and method == "POST" and resent:
                # The first attempt was applied before its answer was lost: ours if it holds our value.
                status, obj = self.client.request("GET", f"{path}/{name}")
                if status == 200 and obj["data"].get("v") == value:
                    break
                raise Unexpected(f"create of {name} conflicted with another's object: {obj}")
            if status >= 500 or status == 429:
                self.retries += 1
                resent = True
                time.sleep(RETRY_BACKOFF)
                continue
            raise Unexpected(f"{method} {name}: {status} {obj}")
        self.acked[name] = value
        self.acks.append(time.monotonic())


@dataclass
class Watcher:
    """An informer's watch: list, watch from the list's resourceVersion, resume from the last one seen."""

    client: Client
    ns: str
    done: threading.Event
    start_rv: int = 0
    #: (type, name, resourceVersion) in the order received
    events: list[tuple[str, str, int]] = field(default_factory=list)
    resumes: int = 0
    expired: list[Any] = field(default_factory=list)
    error: BaseException | None = None
    last_rv: int = 0

    def list(self) -> None:
        status, body = self.client.request("GET", f"/api/v1/namespaces/{self.ns}/configmaps")
        assert status == 200, body
        self.start_rv = self.last_rv = int(body["metadata"]["resourceVersion"])

    def run(self) -> None:
        try:
            while not self.done.is_set() and not self.expired:
                self._watch_once()
        except BaseException as exc:  # reported by the test
            self.error = exc

    def _watch_once(self) -> None:
        port = self.client.ports[self.client.current]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", f"/api/v1/namespaces/{self.ns}/configmaps?watch=1&allowWatchBookmarks=true"
                                f"&resourceVersion={self.last_rv}", headers={"Accept": "application/json"})
            resp = conn.getresponse()
            if resp.status != 200:
                body = resp.read()
                if resp.status == 410:
                    self.expired.append(body)  # an informer would re-list: the test fails
                    return
                if resp.status >= 500 or resp.status == 429:
                    self.resumes += 1
                    time.sleep(RETRY_BACKOFF)
                    return
                raise Unexpected(f"watch: {resp.status} {body!r}")
            while not self.done.is_set():
                line = resp.readline()
                if not line:
                    break
                event = json.loads(line)
                obj = event["object"]
                if event["type"] == "ERROR":
                    if obj.get("code") == 410:
                        self.expired.append(obj)
                    break
                rv = int(obj["metadata"]["resourceVersion"])
                if event["type"] != "BOOKMARK":
                    self.events.append((event["type"], obj["metadata"]["name"], rv))
                self.last_rv = rv
        except (OSError, http.client.HTTPException):
            # A broken stream (or a quiet one past the read timeout): resume; a refused connection
            # means the server is gone, so go to the other one.
            if not _listening(port):
                self.client.fail_over()
        finally:
            conn.close()
        if not self.done.is_set():
            self.resumes += 1


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def etcd_history(cluster: EtcdCluster, prefix: str, after: int, until: int) -> list[tuple[str, str, int]]:
    """etcd's events under ``prefix`` with revisions in (after, until], read by ``etcdctl watch``, as
    the API reports them: (ADDED|MODIFIED|DELETED, name, revision)."""
    proc = subprocess.Popen(cluster.etcdctl_command("watch", "--prefix", prefix, "--rev", str(after + 1), "-w", "json"),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=ETCDCTL_ENV)
    out: list[tuple[str, str, int]] = []
    timer = threading.Timer(30, proc.kill)  # a history that never reaches `until` fails below
    timer.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if not line.startswith("{"):
                continue
            for ev in json.loads(line).get("Events") or []:
                kv = ev["kv"]
                rev = int(kv["mod_revision"])
                name = _b64(kv["key"]).rsplit("/", 1)[1]
                if ev.get("type") == "DELETE":
                    kind = "DELETED"
                else:
                    kind = "ADDED" if int(kv["create_revision"]) == rev else "MODIFIED"
                out.append((kind, name, rev))
            if out and out[-1][2] >= until:
                break
    finally:
        timer.cancel()
        proc.kill()
        proc.wait()
    assert out and out[-1][2] >= until, f"etcdctl watch ended at {out[-1:]} before revision {until}"
    return [e for e in out if e[2] <= until]


def _b64(text: str) -> str:
    return base64.b64decode(text).decode()


@dataclass
class Up:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path


def _up(base: Path, url: str, *flags: str) -> Up:
    base.mkdir(parents=True, exist_ok=True)
    port, log = free_port(), base / "server.log"
    proc = start_server(base / "data", port, "--storage", url, "--nodes", "0", "--insecure-http", *flags,
                        log_path=log)
    return Up(port, proc, log)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[EtcdCluster]:
    """A 3-member cluster of this test's own (its members are killed)."""
    binary, reason = etcd_binary()
    if binary is None:
        pytest.skip(reason)
    directory = scratch_dir(tmp_path / "etcd")
    c = EtcdCluster(directory, members=3, binary=binary)
    try:
        c.start()
        yield c
    finally:
        c.stop()
        for log in directory.glob("m*.log"):  # kept beside the servers' logs
            shutil.copy(log, tmp_path / f"etcd-{log.name}")
        shutil.rmtree(directory, ignore_errors=True)


def test_writes_and_watches_survive_member_leader_and_server_deaths(cluster: EtcdCluster, tmp_path: Path) -> None:
    # Two servers on the cluster: the first runs the controllers, the second none (they would
    # otherwise both act on the same objects).
    # The second names the members as a kube cluster's --etcd-servers usually do: by host name.
    by_name = "etcd://" + ",".join(f"localhost:{p}" for p in cluster.client_ports)
    servers = [_up(tmp_path / "a", cluster.url), _up(tmp_path / "b", by_name, "--controllers", "")]
    stop, done = threading.Event(), threading.Event()
    threads: list[threading.Thread] = []
    try:
        for s in servers:
            try:
                wait_ready(s.port, s.proc, timeout=60, tls=False)
            except (RuntimeError, TimeoutError):
                raise AssertionError(s.log.read_text(errors="replace")) from None
        ports = [s.port for s in servers]
        ns = f"faults-{secrets.token_hex(3)}"
        status, body = Client(ports, 0).request("POST", "/api/v1/namespaces",
                                                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        assert status == 201, body
        writers = [Writer(i, Client(ports, i % 2), ns, stop) for i in range(WRITERS)]
        watchers = [Watcher(Client(ports, i % 2), ns, done) for i in range(WATCHERS)]
        for w in watchers:
            w.list()
        threads = [threading.Thread(target=x.run, daemon=True) for x in [*writers, *watchers]]
        for t in threads:
            t.start()

        def acks() -> int:
            for w in writers:
                assert w.error is None, w.error
            return sum(len(w.acks) for w in writers)

        def phase(name: str) -> None:
            """Wait until every writer has PHASE_ACKS more acknowledgements (every client is served)."""
            acks()
            targets = [len(w.acks) + PHASE_ACKS for w in writers]
            eventually(lambda: acks() and all(len(w.acks) >= t for w, t in zip(writers, targets, strict=True)),
                       timeout=60, message=f"a writer stalled after {name}")

        marks: list[tuple[str, float]] = [("steady load", time.monotonic())]
        phase("start")
        # Member 0 dies in one of the two phases (the first member a client would pin itself to).
        leader = eventually(lambda: [cluster.leader()] if cluster.leader() is not None else None,
                            timeout=30, message="no etcd leader")[0]
        follower = next(i for i in range(3) if i != leader)
        marks.append(("etcd follower SIGKILLed", time.monotonic()))
        cluster.kill_member(follower)
        phase("a follower died")
        marks.append(("etcd follower back", time.monotonic()))
        cluster.start_member(follower)
        phase("the follower came back")
        leader = eventually(lambda: [cluster.leader()] if cluster.leader() is not None else None,
                            timeout=30, message="no etcd leader")[0]
        marks.append(("etcd leader SIGKILLed", time.monotonic()))
        cluster.kill_member(leader)
        phase("the leader died")
        marks.append(("etcd old leader back", time.monotonic()))
        cluster.start_member(leader)
        phase("the old leader came back")
        marks.append(("API server SIGKILLed", time.monotonic()))
        servers[1].proc.kill()
        phase("an API server died")
        marks.append(("end", time.monotonic()))
        stop.set()
        for t in threads[:WRITERS]:
            t.join(90)
        for w in writers:
            assert w.error is None, w.error

        # Every acknowledged write is there with its value (read through the surviving server).
        a = Client([servers[0].port], 0)
        status, listed = a.request("GET", f"/api/v1/namespaces/{ns}/configmaps")
        assert status == 200, listed
        stored = {o["metadata"]["name"]: o["data"]["v"] for o in listed["items"] if "v" in o.get("data", {})}
        acked = {name: value for w in writers for name, value in w.acked.items()}
        assert len(acked) >= WRITERS * PHASE_ACKS * len(marks) // 2 - WRITERS
        missing = {n: v for n, v in acked.items() if stored.get(n) != v}
        assert not missing, f"acknowledged writes lost or changed: {missing}"

        # Each watcher saw exactly etcd's history after its start: no gap, no duplicate.
        until = max(int(o["metadata"]["resourceVersion"]) for o in listed["items"])
        eventually(lambda: all(w.last_rv >= until or w.error or w.expired for w in watchers), timeout=30,
                   message=f"a watcher did not catch up to {until}: {[(w.last_rv, w.resumes) for w in watchers]}")
        done.set()
        for t in threads[WRITERS:]:
            t.join(30)
        for w in watchers:
            assert w.error is None, w.error
            assert not w.expired, f"a watcher had to re-list: {w.expired}"
            expected = etcd_history(cluster, f"/registry/configmaps/{ns}/", w.start_rv, until)
            seen = [e for e in w.events if e[2] <= until]
            assert len(seen) == len(set(seen)), "a watcher saw an event twice"
            assert seen == expected, _first_difference(seen, expected)

        # What each fault cost: the longest time a writer waited for an acknowledgement, counted
        # in the phase where the wait ended (a wait that began just before a fault is its cost).
        report = []
        for (name, start), (_, end) in itertools.pairwise(marks):
            gaps = [b - a for w in writers for a, b in itertools.pairwise([marks[0][1], *w.acks])
                    if start < b <= end]
            report.append((name, max(gaps, default=0.0)))
        retries = sum(w.retries for w in writers)
        resumes = sum(w.resumes for w in watchers)
        print("\nlongest wait for an acknowledgement per phase (s):")
        for name, worst in report:
            print(f"  {name:<26} {worst:6.2f}")
        print(f"acknowledged writes {sum(len(w.acks) for w in writers)}, retried attempts {retries}, "
              f"watch resumptions {resumes}, events per watcher {[len(w.events) for w in watchers]}")
        assert max(worst for _, worst in report) < MAX_UNAVAILABLE, report
    finally:
        stop.set()
        done.set()
        for t in threads:
            t.join(10)
        for s in servers:
            with contextlib.suppress(Exception):
                stop_server(s.proc)


def _first_difference(seen: list[tuple[str, str, int]], expected: list[tuple[str, str, int]]) -> str:
    for i, (a, b) in enumerate(zip(seen, expected, strict=False)):
        if a != b:
            return f"event {i}: watcher saw {a}, etcd has {b} (around: {seen[max(i - 2, 0):i + 3]} vs " \
                   f"{expected[max(i - 2, 0):i + 3]})"
    return f"lengths differ: watcher saw {len(seen)}, etcd has {len(expected)}"
