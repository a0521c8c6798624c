"""Certificates to Ready: N Certificates from one CA issuer, with the certificate controllers as a
separate operator process (``python -m setpoint.certs run``) against ``setpoint up``.

    python benchmarks/certs.py [--ecdsa 1000] [--rsa 100]

Starts ``setpoint up --nodes 0`` (plain HTTP, its own data dir) and the operator; bootstraps a CA
(a self-signed Issuer, a CA Certificate, a CA Issuer); then, per batch, creates the Certificates
(ECDSA P-256, then RSA-2048) as fast as the client can and times creation to the last one Ready,
with the operator's CPU seconds (user + system, from /proc) over that time and its peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from setpoint.runtime import HTTPClient, Kind
from setpoint.runtime.client import Client

CERTIFICATE = Kind("cert-manager.io/v1", "Certificate")
ISSUER = Kind("cert-manager.io/v1", "Issuer")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]) / 1024


def ready(obj: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in (obj.get("status") or {}).get("conditions") or ())


async def wait_ready(client: Client, kind: Kind, namespace: str, count: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while True:
        items = (await client.list(kind, namespace))["items"]
        if sum(ready(o) for o in items) >= count:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{sum(ready(o) for o in items)}/{count} Ready after {timeout} s")
        await asyncio.sleep(1.0)


def certificate(name: str, namespace: str, algorithm: str, size: int, issuer: str = "ca", **extra: Any) -> dict:
    return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"secretName": name, "dnsNames": [f"{name}.{namespace}.svc"], "issuerRef": {"name": issuer},
                     "privateKey": {"algorithm": algorithm, "size": size}, **extra}}


async def batch(client: Client, operator: int, server: int, namespace: str, count: int, algorithm: str,
                size: int) -> None:
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    await client.create({"apiVersion": "cert-manager.io/v1", "kind": "Issuer",
                         "metadata": {"name": "selfsigned", "namespace": namespace}, "spec": {"selfSigned": {}}})
    await client.create(certificate("root", namespace, "ECDSA", 256, "selfsigned", isCA=True, commonName="root"))
    await client.create({"apiVersion": "cert-manager.io/v1", "kind": "Issuer",
                         "metadata": {"name": "ca", "namespace": namespace}, "spec": {"ca": {"secretName": "root"}}})
    await wait_ready(client, ISSUER, namespace, 2)
    cpu0, server0, start = cpu_seconds(operator), cpu_seconds(server), time.monotonic()
    sem = asyncio.Semaphore(32)

    async def create(i: int) -> None:
        async with sem:
            await client.create(certificate(f"c{i}", namespace, algorithm, size))
    await asyncio.gather(*(create(i) for i in range(count)))
    created = time.monotonic() - start
    await wait_ready(client, CERTIFICATE, namespace, count + 1)
    elapsed = time.monotonic() - start
    cpu, server_cpu = cpu_seconds(operator) - cpu0, cpu_seconds(server) - server0
    print(f"{count} {algorithm}-{size} Certificates: created in {created:.1f} s, all Ready after {elapsed:.1f} s "
          f"({count / elapsed:.0f}/s); operator CPU {cpu:.1f} s, peak RSS {peak_rss_mib(operator):.0f} MiB; "
          f"setpoint up CPU {server_cpu:.1f} s",
          flush=True)


async def measure(kubeconfig: Path, operator: int, server: int, ecdsa: int, rsa: int) -> None:
    client = HTTPClient.from_kubeconfig(kubeconfig)
    try:
        for _ in range(600):
            client.forget_discovery()
            try:
                await client.resource(CERTIFICATE)
                break
            except Exception:
                await asyncio.sleep(0.1)
        if ecdsa:
            await batch(client, operator, server, "bench-ecdsa", ecdsa, "ECDSA", 256)
        if rsa:
            await batch(client, operator, server, "bench-rsa", rsa, "RSA", 2048)
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--ecdsa", type=int, default=1000, help="ECDSA P-256 Certificates (0: none)")
    parser.add_argument("--rsa", type=int, default=100, help="RSA-2048 Certificates (0: none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="setpoint-certs-bench-") as tmp:
        data, port = Path(tmp) / "data", free_port()
        exe = shutil.which("setpoint") or "setpoint"
        kubeconfig = data / "kubeconfig"
        server = subprocess.Popen([exe, "up", "--data-dir", str(data), "--port", str(port), "--nodes", "0",
                                   "--insecure-http"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not kubeconfig.exists() and server.poll() is None:
            time.sleep(0.05)
        operator = subprocess.Popen([sys.executable, "-m", "setpoint.certs", "run", "--kubeconfig",
                                     str(kubeconfig), "--log-level", os.environ.get("CERTS_LOG", "warning")])
        try:
            asyncio.run(measure(kubeconfig, operator.pid, server.pid, args.ecdsa, args.rsa))
        finally:
            for proc in (operator, server):
                proc.terminate()
                proc.wait()


if __name__ == "__main__":
    main()
