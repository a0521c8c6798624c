"""Shell blocks of the README and docs/ that a reader types in a second terminal, run as written in
a directory where `setpoint up --data-dir ./setpoint-data` serves (on a free port here) and, as
`make up` leaves it, a `.venv` with kubectl. (The first-operator tutorial's blocks have their own
test: test_tutorial_first_operator.py.)"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import BIN, free_port, start_server, stop_server, wait_ready

from doc_blocks import ROOT, blocks

pytestmark = pytest.mark.e2e


@pytest.fixture
def served_dir(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / ".venv").symlink_to(BIN.parent)
    port = free_port()
    proc = start_server(tmp_path / "setpoint-data", port, log_path=tmp_path / "server.log")
    try:
        wait_ready(port, proc)
        yield tmp_path
    finally:
        stop_server(proc)


def _run(block: str, cwd: Path, path: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env.update(HOME=str(cwd), KUBECACHEDIR=str(cwd / "kube-cache"), PATH=path)
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"{block}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def _pods(out: str, prefix: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines() if line.startswith(prefix)]


def test_the_readme_quickstart(served_dir: Path) -> None:
    block = blocks(ROOT / "README.md", "sh")[1]
    assert block.startswith(". .venv/bin/activate")
    out = _run(block, served_dir, "/usr/bin:/bin")  # kubectl only from the activated .venv
    assert "configmap/hello created" in out
    assert "greeting: hi" in out
    assert 'deployment "web" successfully rolled out' in out
    pods = _pods(out, "pod/web-")
    assert len(pods) == 2 and all(p[1] == "1/1" and p[2] == "Running" for p in pods), out


def test_the_workloads_tutorial_opening(served_dir: Path) -> None:
    doc = ROOT / "docs" / "tutorial-workloads.md"
    up, block = blocks(doc, "sh")[:2]
    assert shlex.split(up.strip()) == ["setpoint", "up", "--data-dir", "./setpoint-data"]
    out = _run(block, served_dir, f"{BIN}:/usr/bin:/bin")
    assert "deployment.apps/web created" in out
    assert 'deployment "web" successfully rolled out' in out
    assert len(_pods(out, "pod/web-")) == 3, out
