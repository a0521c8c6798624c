"""The shell blocks of step 6 of the first-operator tutorial, run as written against a real
``setpoint up`` (started as the tutorial starts it, on a free port), with the project's files made
from the tutorial's own blocks."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import BIN, eventually, free_port, start_server, stop_server, wait_ready

from doc_blocks import ROOT, blocks, write_project

pytestmark = pytest.mark.e2e

TUTORIAL = ROOT / "docs" / "tutorial-first-operator.md"


def _sh(body: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", body], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, f"{body}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """The tutorial's project directory with `setpoint up --data-dir ./setpoint-data` running in it."""
    write_project(TUTORIAL, tmp_path)
    (tmp_path / ".venv").symlink_to(BIN.parent)  # step 0's venv: setpoint, kubectl, python
    up = shlex.split(blocks(TUTORIAL, "sh")[2].strip())
    assert up == ["setpoint", "up", "--data-dir", "./setpoint-data"], up
    port = free_port()
    proc = start_server(tmp_path / "setpoint-data", port, log_path=tmp_path / "server.log")
    try:
        wait_ready(port, proc)
        assert proc.stdout is not None
        assert proc.stdout.readline().decode().strip() == f"export KUBECONFIG={tmp_path}/setpoint-data/kubeconfig"
        # a new terminal: kubectl and python only from the activated .venv
        env = {**os.environ, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
               "KUBECACHEDIR": str(tmp_path / "kube-cache")}
        env.pop("KUBECONFIG", None)
        yield tmp_path, env
    finally:
        stop_server(proc)


def _webapp_pods(cwd: Path, env: dict[str, str]) -> set[str]:
    out = _sh(f"export KUBECONFIG=$PWD/setpoint-data/kubeconfig; {BIN}/kubectl get pods -l app=webapp -o json",
              cwd, env).stdout
    return {p["metadata"]["name"] for p in json.loads(out)["items"]}


def test_the_tutorial_commands_run_as_written(project: tuple[Path, dict[str, str]]) -> None:
    cwd, env = project
    install, controller, change = blocks(TUTORIAL, "sh")[3:6]
    # `install` and `change` run in the same terminal: what `install` activated and exported still holds
    exports = "".join(line + "\n" for line in install.splitlines() if line.startswith(("export ", ". ")))
    assert exports.startswith(". .venv/bin/activate\nexport KUBECONFIG=")
    _sh(install, cwd, env)
    before = _webapp_pods(cwd, env)
    assert len(before) == 2

    proc = subprocess.Popen(["bash", "-euo", "pipefail", "-c", controller], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out = _sh(exports + change, cwd, env).stdout
        lines = [line.split() for line in out.splitlines()]
        header = lines.index(["NAME", "CONFIGMAP", "RESTARTS"])  # kubectl get configwatchers
        assert lines[header + 1] == ["webapp-config-watcher", "webapp-config", "1"], out
        assert proc.poll() is None, "the controller stopped"
        # the Deployment replaced the deleted pods
        eventually(lambda: (pods := _webapp_pods(cwd, env)) and len(pods) == 2 and not pods & before)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        logs, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, logs
