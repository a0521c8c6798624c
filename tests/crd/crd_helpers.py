"""Helpers of the CRD suite: a real ``setpoint up`` process, kubectl, raw HTTP."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from e2e.e2e_helpers import tls_context

BIN = Path(sys.executable).parent
DEADLINE = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Server:
    port: int
    data_dir: Path
    proc: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    def request(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
                headers: dict[str, str] | None = None) -> Response:
        data = json.dumps(body).encode() if isinstance(body, dict | list) else body
        hdrs = {"Accept": "application/json", **(headers or {})}
        if data is not None:
            hdrs["Content-Type"] = content_type
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30,
                                           context=tls_context(self.kubeconfig if self.kubeconfig.exists() else None))
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()

    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> Result:
        exe = BIN / "kubectl"
        proc = subprocess.run([str(exe), *args], input=input, capture_output=True, text=True, env=self.env,
                              timeout=60)
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return result

    def apply(self, obj: dict[str, Any] | str, *args: str, check: bool = True) -> Result:
        text = obj if isinstance(obj, str) else yaml.safe_dump(obj, sort_keys=False)
        return self.kubectl("apply", "-f", "-", *args, input=text, check=check)

    def get(self, path: str) -> Any:
        r = self.request("GET", path)
        assert r.status == 200, (path, r.status, r.body)
        return r.json()


def start(base: Path) -> Server:
    data_dir = base / "data"
    log = base / "server.log"
    exe = BIN / "setpoint"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "setpoint"]
    for _ in range(3):
        port = free_port()
        with open(log, "wb") as f:
            proc = subprocess.Popen([*cmd, "up", "--data-dir", str(data_dir), "--port", str(port), "--storage",
                                     "memory://"], stdout=subprocess.DEVNULL, stderr=f, stdin=subprocess.DEVNULL)
        srv = Server(port, data_dir, proc, log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if srv.request("GET", "/readyz").status == 200:
                    srv.env = {**os.environ, "KUBECONFIG": str(srv.kubeconfig),
                               "KUBECACHEDIR": str(base / "kube-cache"), "HOME": str(base)}
                    return srv
            except OSError:
                pass
            time.sleep(0.05)
        stop(proc)
    raise RuntimeError(f"setpoint up did not become ready: {log.read_text(errors='replace')}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def eventually(check: Callable[[], Any], timeout: float = DEADLINE) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
            if value:
                return value
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s")
        time.sleep(0.05)


def wait_established(srv: Server, name: str) -> None:
    def ready() -> bool:
        r = srv.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
        if r.status != 200:
            return False
        conds = r.json().get("status", {}).get("conditions", [])
        return any(c["type"] == "Established" and c["status"] == "True" for c in conds)

    eventually(ready)
