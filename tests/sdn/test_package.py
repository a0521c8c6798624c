"""The example is installable: ``pip install ./examples/sdn`` gives the ``setpoint_sdn`` package and its
command, which runs the demo outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_pip_install_gives_a_package_that_runs_the_demo(tmp_path: Path) -> None:
    target, source = tmp_path / "site", tmp_path / "sdn"
    # (built from a copy: the build leaves its build/ and egg-info beside the sources)
    shutil.copytree(ROOT / "examples" / "sdn", source, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(source)], check=True, timeout=300, cwd=tmp_path)
    assert (target / "bin" / "setpoint-sdn").exists()
    env = {**os.environ, "PYTHONPATH": str(target)}
    # (run from an empty directory: nothing of the checkout's examples/ is importable)
    out = subprocess.run([sys.executable, "-m", "setpoint_sdn", "demo", "--nodes", "3", "--vnis", "2",
                          "--attachments", "10", "--nodes-per-vni", "2", "--ipam-replicas", "1"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env, check=True).stdout
    assert "all addressed after" in out and "all disseminated after" in out, out
