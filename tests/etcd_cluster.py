"""A throwaway etcd cluster for tests (imported by module name: tests/ is on sys.path).

``EtcdCluster(directory, members=3).start()`` runs ``members`` etcd processes on free loopback
ports, their data in ``directory`` (tmpfs when the caller passes one), and waits until every
member answers ``/health``. ``stop()`` ends them. :func:`etcd_binary` finds the binaries or tells
why not (``make test`` installs Debian's ``etcd-server`` and ``etcd-client`` when they are missing).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from setpoint.apiserver import pki

#: The binaries' usual places, beside ``PATH``: Debian installs them in /usr/bin.
_SEARCH = ("/usr/bin", "/usr/local/bin")


#: The environment etcdctl runs in: the v3 API (etcd 3.4's etcdctl defaults to it; older do not).
ETCDCTL_ENV = {**os.environ, "ETCDCTL_API": "3"}


def etcd_binary(name: str = "etcd") -> tuple[str | None, str]:
    """``(path, "")`` of ``etcd`` (or ``etcdctl``), or ``(None, why it is missing)``."""
    found = shutil.which(name) or next(
        (str(Path(d) / name) for d in _SEARCH if (Path(d) / name).is_file()), None
    )
    if found is None:
        return None, (
            f"{name} not found on PATH: `make test` installs it "
            "(apt-get install etcd-server etcd-client on Debian)"
        )
    return found, ""


@dataclass(frozen=True)
class Tls:
    """A CA, and a certificate and key it signed (for 127.0.0.1, server and client use)."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    @classmethod
    def make(cls, directory: Path) -> Tls:
        """A new CA and a certificate for 127.0.0.1/localhost, written to ``directory``."""
        ca = pki.generate_ca("etcd-ca")
        pair = pki.issue(ca, "etcd", sans=["127.0.0.1", "localhost"], server=True, client=True)
        tls = cls(directory / "ca.pem", directory / "etcd.pem", directory / "etcd-key.pem")
        tls.ca_file.write_bytes(ca.cert_pem)
        tls.cert_file.write_bytes(pair.cert_pem)
        tls.key_file.write_bytes(pair.key_pem)
        return tls


def etcd_prefix() -> str:
    """A key prefix of its own for one store on a shared cluster (fixed length: no prefix of another)."""
    return f"/test-{secrets.token_hex(8)}"


def _free_ports(count: int) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


class EtcdCluster:
    """``members`` etcd processes forming one cluster on loopback."""

    def __init__(
        self, directory: Path, members: int = 3, *, binary: str | None = None, tls: Tls | None = None
    ) -> None:
        self.directory = directory
        #: Serve clients over TLS, requiring client certificates signed by ``tls.ca_file``.
        self.tls = tls
        self.members = members
        self.binary = binary or etcd_binary()[0] or "etcd"
        self.client_ports: list[int] = []
        self._procs: list[subprocess.Popen[bytes]] = []
        self._commands: list[list[str]] = []

    @property
    def endpoints(self) -> list[str]:
        """``host:port`` of every member's client URL."""
        return [f"127.0.0.1:{port}" for port in self.client_ports]

    @property
    def url(self) -> str:
        """The storage URL of the cluster: ``etcd://host:port,host:port,...[?cafile=...]``."""
        url = "etcd://" + ",".join(self.endpoints)
        if self.tls is not None:
            url += f"?cafile={self.tls.ca_file}&certfile={self.tls.cert_file}&keyfile={self.tls.key_file}"
        return url

    def etcdctl_command(self, *args: str) -> list[str]:
        """``etcdctl --endpoints <every member> ARGS`` (run it with :data:`ETCDCTL_ENV`); the test
        is skipped where etcdctl is missing."""
        exe, reason = etcd_binary("etcdctl")
        if exe is None:
            import pytest

            pytest.skip(reason)
        return [exe, "--endpoints", ",".join(self.endpoints), *args]

    def etcdctl(self, *args: str) -> str:
        """What ``etcdctl ARGS`` against this cluster prints (it must succeed)."""
        return subprocess.run(self.etcdctl_command(*args), capture_output=True, text=True, timeout=30,
                              env=ETCDCTL_ENV, check=True).stdout

    def start(self, timeout: float = 30.0) -> None:
        for _attempt in range(3):
            try:
                self._start_once(timeout)
                return
            except RuntimeError:
                self.stop()
                if _attempt == 2:
                    raise

    def _start_once(self, timeout: float) -> None:
        self._commands = []
        ports = _free_ports(2 * self.members)
        self.client_ports = ports[: self.members]
        peer_ports = ports[self.members :]
        token = f"setpoint-test-{os.getpid()}-{time.monotonic_ns()}"
        initial = ",".join(f"m{i}=http://127.0.0.1:{p}" for i, p in enumerate(peer_ports))
        for i in range(self.members):
            data = self.directory / f"m{i}"
            shutil.rmtree(data, ignore_errors=True)
            data.mkdir(parents=True)
            scheme = "http" if self.tls is None else "https"
            client = f"{scheme}://127.0.0.1:{self.client_ports[i]}"
            tls_flags = [] if self.tls is None else [
                "--cert-file", str(self.tls.cert_file), "--key-file", str(self.tls.key_file),
                "--trusted-ca-file", str(self.tls.ca_file), "--client-cert-auth",
            ]
            peer = f"http://127.0.0.1:{peer_ports[i]}"
            self._commands.append([
                self.binary,
                "--name", f"m{i}",
                "--data-dir", str(data),
                "--listen-client-urls", client,
                "--advertise-client-urls", client,
                "--listen-peer-urls", peer,
                "--initial-advertise-peer-urls", peer,
                "--initial-cluster", initial,
                "--initial-cluster-state", "new",
                "--initial-cluster-token", token,
                "--heartbeat-interval", "50",
                "--election-timeout", "500",
                "--log-level", "warn",
                "--max-request-bytes", str(2 * 1024 * 1024),
                *tls_flags,
            ])
            self._procs.append(self._spawn(i))
        deadline = time.monotonic() + timeout
        for port in self.client_ports:
            while not self._healthy(port):
                dead = [p for p in self._procs if p.poll() is not None]
                if dead or time.monotonic() > deadline:
                    logs = "\n".join(
                        (self.directory / f"m{i}.log").read_text(errors="replace")[-2000:]
                        for i in range(self.members)
                    )
                    raise RuntimeError(f"etcd cluster did not become healthy:\n{logs}")
                time.sleep(0.05)

    def _spawn(self, i: int) -> subprocess.Popen[bytes]:
        with open(self.directory / f"m{i}.log", "ab") as log:
            return subprocess.Popen(self._commands[i], stdout=subprocess.DEVNULL, stderr=log,
                                    stdin=subprocess.DEVNULL)

    def stop_member(self, i: int) -> None:
        """Stop member ``i`` (its data stays: :meth:`start_member` brings it back)."""
        proc = self._procs[i]
        proc.terminate()
        proc.wait(10)

    def kill_member(self, i: int) -> None:
        """SIGKILL member ``i``, as a crash would (its data stays: :meth:`start_member` brings it back)."""
        proc = self._procs[i]
        proc.kill()
        proc.wait(10)

    def status(self, i: int) -> dict[str, str] | None:
        """Member ``i``'s ``/v3/maintenance/status`` (its id in ``header.member_id``, the leader's in
        ``leader``), or None when it does not answer."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.client_ports[i]}/v3/maintenance/status",
                                         data=b"{}", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=1.0) as r:
                body = json.loads(r.read())
        except (OSError, ValueError, urllib.error.URLError):
            return None
        return {"member_id": str(body["header"]["member_id"]), "leader": str(body.get("leader", ""))}

    def leader(self) -> int | None:
        """The index of the member the others agree leads (plain-HTTP clusters), or None."""
        statuses = [self.status(i) for i in range(self.members)]
        ids = {s["member_id"]: i for i, s in enumerate(statuses) if s is not None}
        leaders = {s["leader"] for s in statuses if s is not None}
        if len(leaders) != 1:
            return None
        return ids.get(leaders.pop())

    def start_member(self, i: int, timeout: float = 30.0) -> None:
        """Start member ``i`` again on its data and wait until it is healthy."""
        self._procs[i] = self._spawn(i)
        deadline = time.monotonic() + timeout
        while not self._healthy(self.client_ports[i]):
            if self._procs[i].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"etcd member m{i} did not come back")
            time.sleep(0.05)

    def _healthy(self, port: int) -> bool:
        context = None
        if self.tls is not None:
            context = ssl.create_default_context(cafile=str(self.tls.ca_file))
            context.load_cert_chain(str(self.tls.cert_file), str(self.tls.key_file))
        scheme = "http" if self.tls is None else "https"
        try:
            with urllib.request.urlopen(f"{scheme}://127.0.0.1:{port}/health", timeout=1.0, context=context) as r:
                return bool(json.loads(r.read()).get("health") == "true")
        except (OSError, ValueError, urllib.error.URLError):
            return False

    def stop(self) -> None:
        procs, self._procs = self._procs, []
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def scratch_dir(base: Path) -> Path:
    """A directory for etcd's data: under /dev/shm when there is one (fsyncs cost nothing), else
    ``base``."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        import tempfile

        return Path(tempfile.mkdtemp(prefix="setpoint-etcd-", dir=shm))
    base.mkdir(parents=True, exist_ok=True)
    return base
