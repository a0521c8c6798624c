"""``setpoint up`` as a process: startup, the kubeconfig, failures, and a clean stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml
from e2e_helpers import (
    Server,
    WatchStream,
    free_port,
    http_request,
    setpoint_cmd,
    start_server,
    stop_server,
    wait_ready,
)

pytestmark = pytest.mark.e2e


def run_up(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*setpoint_cmd(), "up", *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def test_session_server_printed_export_line(server: Server) -> None:
    assert server.stdout_first_line == f"export KUBECONFIG={server.kubeconfig}"


def test_kubeconfig_written_before_ready_and_clean_sigterm(tmp_path: Path) -> None:
    data_dir = tmp_path / "state"
    port = free_port()
    proc = subprocess.Popen([*setpoint_cmd(), "up", "--data-dir", str(data_dir), "--port", str(port),
                             "--storage", "memory://"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                ready = http_request(port, "GET", "/readyz", timeout=2).status == 200
            except OSError:
                ready = False
            if ready:
                # The first 200 of /readyz: the kubeconfig must already be there, whole.
                config = yaml.safe_load((data_dir / "kubeconfig").read_text())
                break
            assert time.monotonic() < deadline, "not ready in 30 s"
            time.sleep(0.005)
        assert config["current-context"] == "setpoint"
        assert [c["name"] for c in config["clusters"]] == ["setpoint"]
        assert [u["name"] for u in config["users"]] == ["setpoint"]
        assert [c["name"] for c in config["contexts"]] == ["setpoint"]
        assert config["clusters"][0]["cluster"]["server"] == f"https://127.0.0.1:{port}"
        assert (data_dir / "kubeconfig").stat().st_mode & 0o777 == 0o600
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out.decode() == f"export KUBECONFIG={(data_dir / 'kubeconfig').resolve()}\n"
    assert b"Traceback" not in err
    # The port is free again.
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_state_survives_a_restart(tmp_path: Path) -> None:
    """SQLite in the data dir (the default): what was written is there after a restart."""
    data_dir = tmp_path / "persist"
    port = free_port()
    proc = start_server(data_dir, port)
    try:
        wait_ready(port, proc)
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept"}, "data": {"a": "b"}}
        created = http_request(port, "POST", "/api/v1/namespaces/default/configmaps", body,
                               kubeconfig=data_dir / "kubeconfig")
        assert created.status == 201
    finally:
        assert stop_server(proc) == 0
    assert (data_dir / "state.db").exists()
    proc = start_server(data_dir, port)
    try:
        wait_ready(port, proc)
        got = http_request(port, "GET", "/api/v1/namespaces/default/configmaps/kept",
                           kubeconfig=data_dir / "kubeconfig")
        assert got.status == 200
        assert got.json() == created.json()
        # The new watch cache starts at the current revision: a watch from before the restart is gone.
        stream = WatchStream(port, "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1",
                             data_dir / "kubeconfig")
        try:
            assert stream.status == 200
            event = stream.next_event()
            assert event["type"] == "ERROR"
            assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")
        finally:
            stream.close()
    finally:
        assert stop_server(proc) == 0


def test_port_taken(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run_up("--data-dir", str(tmp_path / "d"), "--port", str(port), "--storage", "memory://")
    assert r.returncode != 0
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert "Traceback" not in r.stderr
    assert lines[-1].startswith(f"setpoint: cannot serve on 127.0.0.1:{port}: "), r.stderr
    assert "address already in use" in lines[-1].lower()
    assert [line for line in lines if line.startswith("setpoint:")] == [lines[-1]]


def test_data_dir_under_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    r = run_up("--data-dir", str(blocker / "data"), "--port", str(free_port()))
    assert r.returncode != 0
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [f"setpoint: data dir {blocker / 'data'} is unusable: Not a directory"]


def test_data_dir_not_writable(tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root can write anywhere")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    r = run_up("--data-dir", str(locked), "--port", str(free_port()))
    assert r.returncode != 0
    assert r.stderr.strip().splitlines() == [f"setpoint: data dir {locked} is unusable: Permission denied"]


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    """Every create the API acknowledged (201) is there after SIGKILL and a restart, with its data."""
    data_dir = tmp_path / "state"
    port = free_port()
    proc = start_server(data_dir, port)
    acked: dict[str, tuple[str, str]] = {}  # name -> (resourceVersion, value)
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w: int) -> None:
        i = 0
        while not stop.is_set():
            name, value = f"w{w}-{i}", f"v{w}-{i}"
            try:
                r = http_request(port, "POST", "/api/v1/namespaces/default/configmaps",
                                 {"metadata": {"name": name}, "data": {"k": value}}, timeout=5,
                                 kubeconfig=data_dir / "kubeconfig")
            except OSError:
                return  # the server is gone
            if r.status == 201:
                with lock:
                    acked[name] = (r.json()["metadata"]["resourceVersion"], value)
            i += 1

    try:
        wait_ready(port, proc)
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(acked) < 300:
            assert time.monotonic() < deadline, f"only {len(acked)} writes acknowledged in 30 s"
            time.sleep(0.01)
        proc.kill()  # SIGKILL, mid-stream: no chance to flush anything
        proc.wait()
        stop.set()
        for t in threads:
            t.join(10)
    finally:
        stop.set()
        stop_server(proc)
    assert len(acked) >= 300
    proc = start_server(data_dir, port)
    try:
        wait_ready(port, proc)
        items = http_request(port, "GET", "/api/v1/namespaces/default/configmaps",
                             kubeconfig=data_dir / "kubeconfig").json()["items"]
        stored = {o["metadata"]["name"]: (o["metadata"]["resourceVersion"], o["data"]["k"]) for o in items
                  if o["metadata"]["name"] != "kube-root-ca.crt"}  # the root CA publisher's
        missing = [n for n in acked if n not in stored]
        assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
        assert all(stored[n] == acked[n] for n in acked)
    finally:
        stop_server(proc)


def test_unknown_storage_url_is_a_one_line_failure(tmp_path: Path) -> None:
    result = run_up("--data-dir", str(tmp_path / "d"), "--port", str(free_port()), "--storage", "bogus://x")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "setpoint: cannot open storage bogus://x: unknown storage URL scheme 'bogus' in 'bogus://x' "
        "(known: memory://, sqlite://, etcd://)"]


def test_controller_duration_flags_are_checked(tmp_path: Path) -> None:
    result = run_up("--data-dir", str(tmp_path / "d"), "--node-monitor-grace-period=5x")
    assert result.returncode == 1
    assert ('invalid argument "5x" for "--node-monitor-grace-period" flag: time: unknown unit "x" in duration "5x"'
            in result.stderr)
