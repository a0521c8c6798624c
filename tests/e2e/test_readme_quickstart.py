"""The README's quickstart block, run as written in a directory where `make up` ran: a `.venv`
with kubectl, and `setpoint up --data-dir ./setpoint-data` serving (on a free port here)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import BIN, free_port, start_server, stop_server, wait_ready

from doc_blocks import ROOT, blocks

pytestmark = pytest.mark.e2e


@pytest.fixture
def make_up_dir(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / ".venv").symlink_to(BIN.parent)
    port = free_port()
    proc = start_server(tmp_path / "setpoint-data", port, log_path=tmp_path / "server.log")
    try:
        wait_ready(port, proc)
        yield tmp_path
    finally:
        stop_server(proc)


def test_the_quickstart_runs_as_written(make_up_dir: Path) -> None:
    block = blocks(ROOT / "README.md", "sh")[1]
    assert block.startswith(". .venv/bin/activate")
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env.update(HOME=str(make_up_dir), KUBECACHEDIR=str(make_up_dir / "kube-cache"), PATH="/usr/bin:/bin")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=make_up_dir, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"stdout: {result.stdout}\nstderr: {result.stderr}"
    out = result.stdout
    assert "configmap/hello created" in out
    assert "greeting: hi" in out
    assert 'deployment "web" successfully rolled out' in out
    pods = [line.split() for line in out.splitlines() if line.startswith("pod/web-")]
    assert len(pods) == 2 and all(p[1] == "1/1" and p[2] == "Running" for p in pods), out
