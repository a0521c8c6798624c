"""A new namespace's default ServiceAccount and kube-root-ca.crt, seen by the real kubectl; and
``setpoint up --controllers``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import (
    Kubectl,
    eventually,
    free_port,
    kubectl_path,
    setpoint_cmd,
    start_server,
    stop_server,
    wait_ready,
)

pytestmark = pytest.mark.e2e


def _names(kubectl_run: Kubectl | list[str], ns: str, env: dict[str, str] | None = None) -> list[str]:
    args = ["get", "sa,cm", "-n", ns, "-o", "name"]
    if isinstance(kubectl_run, Kubectl):
        return kubectl_run.out(*args).split()
    out = subprocess.run([*kubectl_run, *args], capture_output=True, text=True, env=env, check=True, timeout=60)
    return out.stdout.split()


def test_a_new_namespace_has_default_sa_and_root_ca(kubectl: Kubectl) -> None:
    kubectl("create", "namespace", "defaults-x")
    try:
        def both() -> bool:
            names = _names(kubectl, "defaults-x")
            assert names == ["serviceaccount/default", "configmap/kube-root-ca.crt"], names
            return True
        eventually(both)
        ca = kubectl.out("get", "cm", "kube-root-ca.crt", "-n", "defaults-x", "-o", "jsonpath={.data.ca\\.crt}")
        assert ca.startswith("-----BEGIN CERTIFICATE-----")
        kubectl("delete", "sa", "default", "-n", "defaults-x")
        eventually(both)
    finally:
        kubectl("delete", "namespace", "defaults-x", "--wait=false")


def test_controllers_flag_disables_serviceaccount(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "d", free_port()
    proc = start_server(data_dir, port, "--controllers=*,-serviceaccount")
    try:
        wait_ready(port, proc)
        env = {**os.environ, "KUBECONFIG": str(data_dir / "kubeconfig")}
        kubectl = [kubectl_path()]
        subprocess.run([*kubectl, "create", "namespace", "nosa"], env=env, check=True, capture_output=True)

        def published() -> bool:
            assert "configmap/kube-root-ca.crt" in _names(kubectl, "nosa", env)
            return True
        eventually(published)
        assert _names(kubectl, "nosa", env) == ["configmap/kube-root-ca.crt"]
        ca = (data_dir / "pki" / "ca.crt").read_bytes()
    finally:
        stop_server(proc)
    # The CA is kept across restarts.
    proc = start_server(data_dir, port)
    try:
        wait_ready(port, proc)
        assert (data_dir / "pki" / "ca.crt").read_bytes() == ca
    finally:
        stop_server(proc)


def test_unknown_controller_is_refused(tmp_path: Path) -> None:
    result = subprocess.run([*setpoint_cmd(), "up", "--data-dir", str(tmp_path / "d"), "--port", str(free_port()),
                             "--controllers", "*,-namespace,nosuch"], capture_output=True, text=True, timeout=30,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    assert result.stderr.strip() == ('setpoint: invalid argument for --controllers: '
                                     '"nosuch" is not in the list of known controllers')
