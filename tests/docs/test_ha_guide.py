"""docs/ha.md's ``bash`` blocks run as written, in order, on a throwaway 3-member etcd cluster.

The guide names the members 127.0.0.1:2379, :22379 and :32379 and serves on ports 6443 and 6444;
the test puts the session's cluster (under a key prefix of its own) and free ports in their place,
runs the blocks as one bash script in a scratch directory, checks what they printed, and ends the
servers they left running in the background.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from doc_blocks import ROOT, blocks
from etcd_cluster import EtcdCluster, etcd_prefix

#: setpoint and kubectl of this environment.
BIN = Path(sys.executable).parent

GUIDE = ROOT / "docs" / "ha.md"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _script(cluster_url: str, ports: tuple[int, int]) -> str:
    script = "\n".join(blocks(GUIDE, "bash"))
    assert "etcd://127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379" in script
    script = script.replace("etcd://127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379", cluster_url)
    return re.sub(r"\b6444\b", str(ports[1]), re.sub(r"\b6443\b", str(ports[0]), script))


def _end_group(pgid: int, timeout: float = 20.0) -> None:
    """SIGTERM the script's process group (the servers it started), SIGKILL what outlives ``timeout``."""
    with_signal = signal.SIGTERM
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.killpg(pgid, with_signal)
        except ProcessLookupError:
            return
        if time.monotonic() > deadline:
            with_signal = signal.SIGKILL
        time.sleep(0.1)


def test_ha_guide_runs(etcd_cluster: EtcdCluster, tmp_path: Path) -> None:
    url = f"{etcd_cluster.url}?prefix={etcd_prefix()}"
    script = _script(url, (free_port(), free_port()))
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(tmp_path),
           "KUBECACHEDIR": str(tmp_path / "kube-cache")}
    proc = subprocess.Popen(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=240)
    finally:
        _end_group(proc.pid)
    logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(tmp_path.glob("ha-*.log")))
    assert proc.returncode == 0, f"stdout:\n{out}\nstderr:\n{err}\n{logs}"
    lines = out.splitlines()
    assert "configmap/hello created" in lines
    assert "hi" in lines  # written through one server, read through the other
    assert any(line.split()[:2] == ["ATTRIBUTE", "VALUE"] for line in lines)  # auth whoami through the other
    assert any(line.split()[:2] == ["Username", "kubernetes-admin"] for line in lines)
    leases = {line.split()[0]: line.split()[1] for line in lines[lines.index("hi") + 1:]
              if line.startswith(("kube-controller-manager ", "kube-scheduler "))}
    assert set(leases) == {"kube-controller-manager", "kube-scheduler"}
    # Each Lease is held by one of the two servers, as its log says.
    server_logs = [(tmp_path / f"ha-{i}.log").read_text(errors="replace") for i in (1, 2)]
    for name, holder in leases.items():
        assert sum(f"{holder} acquired lease kube-system/{name}" in log for log in server_logs) == 1
    # The second server started with the first one's certificates.
    assert (tmp_path / "ha-2" / "pki" / "ca.crt").read_bytes() == (tmp_path / "ha-1" / "pki" / "ca.crt").read_bytes()
