"""An operator built on setpoint.runtime stops cleanly on Ctrl-C (SIGINT) or SIGTERM.

The shipped ConfigWatcher example runs as a user runs it -- ``python configwatcher.py
--kubeconfig ...`` in a process of its own against ``setpoint up`` -- until it is ready and has
reconciled its object; then it gets the signal, and must exit 0 with no traceback (as ``setpoint
up`` itself and kopf do).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from e2e_helpers import Kubectl, Server, eventually, free_port

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "configwatcher"


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_example_operator_stops_cleanly_on_a_signal(server: Server, kubectl: Kubectl, ns: str,
                                                        tmp_path: Path, sig: signal.Signals) -> None:
    kubectl("apply", "-f", str(EXAMPLE / "crd.yaml"))
    port = free_port()
    log_path = tmp_path / "operator.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, str(EXAMPLE / "configwatcher.py"), "--kubeconfig",
                                 str(server.kubeconfig), "--health-port", str(port)],
                                stdout=log, stderr=log, stdin=subprocess.DEVNULL, env={**os.environ})
    try:
        eventually(lambda: proc.poll() is None and ready(port), timeout=60,
                   message=f"the operator never became ready: {log_path.read_text()}")
        kubectl("apply", "-n", ns, "-f", str(EXAMPLE / "example.yaml"))
        eventually(lambda: kubectl.out("get", "configwatcher", "webapp-config-watcher", "-n", ns,
                                       "-o", "jsonpath={.status.configHash}"), timeout=30,
                   message=f"the operator did not reconcile: {log_path.read_text()}")
        proc.send_signal(sig)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log_path.read_text()
    assert code == 0, output
    assert "Traceback" not in output, output
    assert "controller configwatcher started" in output
