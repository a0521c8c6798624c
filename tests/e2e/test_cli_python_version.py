"""On a Python older than 3.11, the ``setpoint`` command says what it needs instead of failing
on some import."""

from __future__ import annotations

import subprocess
import sys


def test_an_old_python_is_named_at_start() -> None:
    code = ("import sys; sys.version_info = (3, 10, 12, 'final', 0); sys.version = '3.10.12 (main)'; "
            "sys.argv = ['setpoint', 'version']; from setpoint.cli import main; main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == f"setpoint needs Python 3.11 or later; this is Python 3.10.12 ({sys.executable})."


def test_a_current_python_runs() -> None:
    result = subprocess.run([sys.executable, "-m", "setpoint", "version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("setpoint ")
