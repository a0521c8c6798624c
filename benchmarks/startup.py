"""Start-up time and idle memory of `setpoint up`, and of the embedded server of `setpoint.testing`.

    python benchmarks/startup.py [--runs 3] [extra `setpoint up` flags...]

Spawns `setpoint up` on a free port (a new data dir: the first run makes the PKI), times spawn to
the first `/readyz` 200, then reads the process's VmRSS after 10 s idle; then times
`start_api_server()` (the `setpoint_api` fixture) in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def setpoint_up(data: Path, extra: list[str]) -> tuple[float, float]:
    """Seconds from spawn to /readyz 200, and MiB resident after 10 s idle."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    port = free_port()
    exe = shutil.which("setpoint") or "setpoint"
    start = time.monotonic()
    proc = subprocess.Popen([exe, "up", "--data-dir", str(data), "--port", str(port), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"https://127.0.0.1:{port}/readyz", context=ctx, timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("setpoint up exited") from None
                time.sleep(0.005)
        ready = time.monotonic() - start
        time.sleep(10)  # idle on purpose: the figure is the idle footprint
        status = Path(f"/proc/{proc.pid}/status").read_text()
        rss_kib = int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])
        return ready, rss_kib / 1024
    finally:
        proc.terminate()
        proc.wait()


async def embedded(runs: int) -> list[float]:
    from setpoint.testing import start_api_server

    times = []
    for _ in range(runs + 1):  # the first one also loads the server's modules and makes the PKI
        start = time.monotonic()
        async with start_api_server():
            times.append(time.monotonic() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args, extra = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            ready, rss = setpoint_up(Path(tmp) / "data", extra)
            print(f"{' '.join(['setpoint up', *extra])}, run {run + 1}: /readyz 200 after {ready * 1000:.0f} ms, "
                  f"idle RSS {rss:.0f} MiB")
    times = asyncio.run(embedded(args.runs))
    print(f"start_api_server(): first {times[0] * 1000:.0f} ms (imports, PKI), then "
          + ", ".join(f"{t * 1000:.0f}" for t in times[1:]) + " ms")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
