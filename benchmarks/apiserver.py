"""API server benchmark: creates/s, gets/s, a 10,000-object list, and watch fan-out.

Starts a real ``setpoint up`` process (SQLite storage in a temporary dir) and
drives it over HTTP. Create and get rates come from ``wrk`` (Debian package
``wrk``; a Python load generator tops out near 5,000 requests/s here), with
``../shared/tools/wrk_create.lua`` or the copy beside this script. Watch
latency is measured by 100 raw-socket watchers against 1,000 updates that
carry their send time. Every run also measures the floor (``floor_server.py``: uvloop + httptools
keeping each POST's body in a dict, answering GETs with a fixed object) with the same wrk load
right after, and prints setpoint's creates and gets as shares of it. On SQLite (the default) it
also measures the storage engine alone (``SQLiteStorage``, 64 writers, fsync on, in a process of
its own) right after the server, and prints the creates at 64 connections as a share of it.

    .venv/bin/python benchmarks/apiserver.py [--quick] [--baseline OTHER_CHECKOUT] [--rounds N] [--webhook] [--with-policy]
    .venv/bin/python benchmarks/apiserver.py --tls-compare [--wrk] [--seconds S] [--rounds N]
    .venv/bin/python benchmarks/apiserver.py --security [--seconds S] [--rounds N]
    .venv/bin/python benchmarks/apiserver.py --etcd-compare [--seconds S] [--rounds N] [--quick]

``--baseline`` runs the same measurements against another checkout's ``src`` (e.g. a
``git worktree`` of an older commit) in the same run, and prints both side by side
with their ratio; ``--rounds`` repeats both, alternating which goes first, and
prints medians. Start-up is the time from spawning ``setpoint up`` to its first
``200`` from ``/readyz`` (median of 5 starts on a fresh data dir). wrk presents no client
certificate, so these runs serve plain HTTP (``--insecure-http``).

``--tls-compare`` measures the cost of security instead: creates/s and gets/s at 64 clients, the
server once with ``--insecure-http``, once with TLS and the kubeconfig's admin client certificate
(the default), once with TLS as a ``--token-auth-file`` user whom a RoleBinding to ``edit``
lets in (bearer token authentication and a real RBAC decision on every request), all driven by
the same aiohttp load generator (64 keep-alive connections, one request in flight on each), in
one run; ``--rounds`` alternates the order. With ``--wrk`` the load comes from wrk instead (TLS
in C, so the generator's own TLS is not what is measured), plain HTTP against TLS + token, RBAC
(wrk presents no client certificate).

``--etcd-compare`` measures the storage backends side by side in one run: ``setpoint up --nodes 0``
on SQLite, on a 1-member and on a 3-member loopback etcd cluster (every store on tmpfs), creates/s
at 1, 16 and 64 wrk clients, gets/s at 64 and the watch fan-out; beside each etcd, before the
server starts, the raw put rate of the same gRPC client (aetcd's stubs on grpc.aio, 64 tasks, plain
puts of 300-byte values) and the create rate of setpoint's ``EtcdStorage`` itself (64 tasks): the
ceilings the API server's creates are compared with.

``--webhook`` first installs a
ValidatingWebhookConfiguration matching every ConfigMap create, answered (allowed) by an HTTPS
aiohttp server in this process: the cost of one matching admission webhook.
``--with-policy`` first installs a ValidatingAdmissionPolicy (and its binding) that every
ConfigMap create matches and evaluates.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: Reaches /readyz of a TLS server before its kubeconfig is read (readiness only: nothing is sent).
_UNVERIFIED = ssl._create_unverified_context()


def _speaks_tls(source: Path | None) -> bool:
    """Whether the checkout serves TLS by default (and so knows ``--insecure-http``)."""
    return ((source or ROOT) / "src" / "setpoint" / "apiserver" / "tls.py").exists()


def start_server(data_dir: Path, port: int, storage: str | None, source: Path | None = None,
                 *extra: str, tls: bool = False) -> subprocess.Popen[bytes]:
    """``setpoint up`` of this checkout, or of ``source`` (another checkout's root) when given;
    ``extra`` are more flags (e.g. ``--nodes 0``). Plain HTTP unless ``tls``."""
    if not tls and _speaks_tls(source):
        extra = (*extra, "--insecure-http")
    scheme = "https" if tls else "http"
    cmd = [sys.executable, "-c", "from setpoint.cli import main; main()",
           "up", "--data-dir", str(data_dir), "--port", str(port), "--log-level", "warning", *extra]
    if storage:
        cmd += ["--storage", storage]
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = str(source / "src")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{scheme}://127.0.0.1:{port}/readyz", timeout=1,
                                                                  context=_UNVERIFIED if tls else None) as r:
            if r.status == 200:
                return proc
        if proc.poll() is not None:
            raise SystemExit(f"setpoint up exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        time.sleep(0.01)  # start-up is measured by this loop: poll finely
    raise SystemExit("setpoint up did not become ready")


def peak_rss_mib(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    m = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(m.group(1)) / 1024 if m else float("nan")


def rss_mib(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    m = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(m.group(1)) / 1024 if m else float("nan")


def request(port: int, method: str, path: str, body: object | None = None) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())  # type: ignore[no-any-return]


def wrk_script() -> Path:
    shared = ROOT.parent / "shared" / "tools" / "wrk_create.lua"
    return shared if shared.exists() else HERE / "wrk_create.lua"


WRK_LINE = re.compile(r"WRK requests=(\d+) duration_s=([\d.]+) non2xx=(\d+) errors=(\d+) p50_ms=([\d.]+) p99_ms=([\d.]+)")


def run_wrk(port: int, connections: int, seconds: int, namespace: str, script: Path | None = None, *,
            scheme: str = "http", token: str | None = None) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "-s", str(script or wrk_script()),
         f"{scheme}://127.0.0.1:{port}", "--", namespace, *([token] if token else [])],
        capture_output=True, text=True, check=True,
    ).stdout
    m = WRK_LINE.search(out)
    if not m:
        raise SystemExit(f"unexpected wrk output:\n{out}")
    reqs, dur, non2xx, errs, p50, p99 = m.groups()
    return {"rate": int(reqs) / float(dur), "non2xx": int(non2xx), "errors": int(errs),
            "p50_ms": float(p50), "p99_ms": float(p99)}


def run_wrk_get(port: int, connections: int, seconds: int, path: str, *, scheme: str = "http",
                token: str | None = None) -> float:
    auth = ["-H", f"Authorization: Bearer {token}"] if token else []
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", *auth, f"{scheme}://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"GET benchmark had errors:\n{out}")
    return float(m.group(1)) if m else float("nan")


def ensure_namespace(port: int, name: str) -> None:
    with contextlib.suppress(urllib.error.HTTPError):
        request(port, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


#: A ValidatingAdmissionPolicy every benchmark ConfigMap create matches (and passes).
POLICY = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
          "metadata": {"name": "bench-size"},
          "spec": {"matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                                                           "operations": ["CREATE"], "resources": ["configmaps"]}]},
                   "validations": [{"expression": "!has(object.data) || object.data.all(k, object.data[k].size() <= 1024)",
                                    "message": "values are at most 1 KiB"}]}}
BINDING = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
           "metadata": {"name": "bench-size"}, "spec": {"policyName": "bench-size", "validationActions": ["Deny"]}}


def install_policy(port: int) -> bool:
    """Create :data:`POLICY` and wait until it refuses a ConfigMap; False if the server has no policies."""
    base = "/apis/admissionregistration.k8s.io/v1"
    try:
        request(port, "POST", f"{base}/validatingadmissionpolicies", POLICY)
        request(port, "POST", f"{base}/validatingadmissionpolicybindings", BINDING)
    except urllib.error.HTTPError:
        return False
    ensure_namespace(port, "bench-probe")
    too_big = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "data": {"k": "v" * 2000}}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            request(port, "POST", "/api/v1/namespaces/bench-probe/configmaps?dryRun=All", too_big)
        except urllib.error.HTTPError as exc:
            if exc.code == 422:
                return True
        time.sleep(0.05)
    raise SystemExit("the benchmark policy never took effect")


# --- watch fan-out --------------------------------------------------------------


async def _watcher(port: int, path: str, latencies: list[float], expected: int, ready: asyncio.Event,
                   counter: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n".encode())
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")
    counter[0] += 1
    if counter[0] == counter[1]:
        ready.set()
    seen = 0
    buf = b""
    try:
        while seen < expected:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.strip(), 16)
            if size == 0:
                return
            chunk = await reader.readexactly(size + 2)
            buf += chunk[:-2]
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                event = json.loads(line)
                if event["object"]["metadata"]["name"] != "w":
                    continue  # the namespace's kube-root-ca.crt, published meanwhile
                sent = float(event["object"]["data"]["t"])
                latencies.append(time.time() - sent)
                seen += 1
    finally:
        writer.close()


async def watch_fanout(port: int, watchers: int, updates: int) -> tuple[float, float]:
    ns = "bench-watch"
    ensure_namespace(port, ns)
    cm = request(port, "POST", f"/api/v1/namespaces/{ns}/configmaps",
                 {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "w"}, "data": {"t": "0"}})
    rv = cm["metadata"]["resourceVersion"]  # type: ignore[index]
    latencies: list[float] = []
    ready = asyncio.Event()
    counter = [0, watchers]
    path = f"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={rv}"
    tasks = [asyncio.create_task(_watcher(port, path, latencies, updates, ready, counter)) for _ in range(watchers)]
    await asyncio.wait_for(ready.wait(), 30)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(updates):
        body = json.dumps({"data": {"t": repr(time.time())}}).encode()
        writer.write(
            f"PATCH /api/v1/namespaces/{ns}/configmaps/w HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: application/merge-patch+json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        # Pace the writer a little so latency is not dominated by one burst.
        await asyncio.sleep(0.002)
    writer.close()
    await asyncio.wait_for(asyncio.gather(*tasks), 120)
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    return p50, p99


# --- main ------------------------------------------------------------------------


def startup_seconds(storage: str | None, source: Path | None, runs: int = 5) -> float:
    """Median time from spawning ``setpoint up`` to its first 200 from /readyz."""
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="setpoint-bench-") as tmp:
            t0 = time.perf_counter()
            proc = start_server(Path(tmp), free_port(), storage, source)
            times.append(time.perf_counter() - t0)
            proc.terminate()
            proc.wait(30)
    return statistics.median(times)


def measure(args: argparse.Namespace, source: Path | None) -> dict[str, float]:
    """Every figure for one checkout (``source``; None: this one)."""
    seconds = 3 if args.quick else args.seconds
    list_objects = 2_000 if args.quick else 10_000
    updates = 200 if args.quick else 1_000
    out: dict[str, float] = {"start-up ms": startup_seconds(args.storage, source) * 1000}
    with tempfile.TemporaryDirectory(prefix="setpoint-bench-") as tmp:
        port = free_port()
        proc = start_server(Path(tmp), port, args.storage, source, *args.server_flag)
        try:
            out["idle RSS MiB"] = rss_mib(proc.pid)
            if args.with_policy and not install_policy(port):
                print("(this server serves no ValidatingAdmissionPolicy: measured without it)")
            if args.webhook:
                install_webhook(port)
            for conns in (16, 64):
                ns = f"bench-c{conns}"
                ensure_namespace(port, ns)
                r = run_wrk(port, conns, seconds, ns)
                out[f"creates/s c{conns}"] = r["rate"]
                out[f"create p99 ms c{conns}"] = r["p99_ms"]
                if r["non2xx"]:
                    raise SystemExit(f"{r['non2xx']:.0f} creates failed")
            ns = "bench-get"
            ensure_namespace(port, ns)
            request(port, "POST", f"/api/v1/namespaces/{ns}/configmaps",
                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "g"}, "data": {"k": "v" * 100}})
            out["gets/s c64"] = run_wrk_get(port, 64, seconds, f"/api/v1/namespaces/{ns}/configmaps/g")
            ns = "bench-list"
            ensure_namespace(port, ns)
            before_fill = rss_mib(proc.pid)
            asyncio.run(_fill(port, ns, list_objects))
            out[f"RSS of {list_objects} objects MiB"] = rss_mib(proc.pid) - before_fill
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                body = request(port, "GET", f"/api/v1/namespaces/{ns}/configmaps")
                times.append(time.perf_counter() - t0)
                # (and, from servers that publish it, the namespace's kube-root-ca.crt)
                assert len(body["items"]) - list_objects in (0, 1)  # type: ignore[arg-type]
            out[f"list {list_objects} ms"] = statistics.median(times) * 1000
            p50, p99 = asyncio.run(watch_fanout(port, 100, updates))
            out["watch fan-out p50 ms"] = p50
            out["watch fan-out p99 ms"] = p99
            out["peak RSS MiB"] = peak_rss_mib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(30)
    if args.storage is None or args.storage.startswith("sqlite"):
        # The storage engine alone, right after: what the disk allows 64 writers (synchronous=FULL).
        out["engine writes/s w64"] = engine_writes(source, seconds)
        out["creates c64 / engine w64"] = out["creates/s c64"] / out["engine writes/s w64"]
    # The floor (floor_server.py) right after, on the same machine: setpoint's share of it.
    out["floor creates/s c64"] = measure_floor(None, seconds, creates=True)
    out["floor gets/s c64"] = measure_floor(None, seconds)
    out["creates c64 / floor"] = out["creates/s c64"] / out["floor creates/s c64"]
    out["gets c64 / floor"] = out["gets/s c64"] / out["floor gets/s c64"]
    return out


# --- audit and encryption at rest ---------------------------------------------------

AUDIT_ALL_METADATA = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"
ENCRYPT_SECRETS = ("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
                   "- resources: [secrets]\n  providers:\n  - {kind}:\n      keys:\n      - name: k1\n"
                   "        secret: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n")


def measure_security(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Secret creates/s and gets/s (64 clients) with the audit log and encryption off and on."""
    out: dict[str, dict[str, float]] = {}
    for label in ("off", "audit Metadata (all)", "encryption aescbc", "encryption aesgcm"):
        with tempfile.TemporaryDirectory(prefix="setpoint-bench-") as tmp:
            extra: list[str] = ["--nodes", "0"]
            if label.startswith("audit"):
                (Path(tmp) / "policy.yaml").write_text(AUDIT_ALL_METADATA)
                extra += ["--audit-policy-file", f"{tmp}/policy.yaml", "--audit-log-path", f"{tmp}/audit.log"]
            elif label.startswith("encryption"):
                (Path(tmp) / "enc.yaml").write_text(ENCRYPT_SECRETS.format(kind=label.split()[-1]))
                extra += ["--encryption-provider-config", f"{tmp}/enc.yaml"]
            port = free_port()
            proc = start_server(Path(tmp) / "data", port, args.storage, None, *extra)
            try:
                ns = "bench-secrets"
                ensure_namespace(port, ns)
                r = run_wrk(port, 64, args.seconds, ns, HERE / "wrk_create_secret.lua")
                if r["non2xx"]:
                    raise SystemExit(f"{r['non2xx']:.0f} creates failed")
                request(port, "POST", f"/api/v1/namespaces/{ns}/secrets",
                        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "g"}, "data": {"k": "dg" * 50}})
                out[label] = {"creates/s c64": r["rate"], "create p99 ms": r["p99_ms"],
                              "gets/s c64": run_wrk_get(port, 64, args.seconds, f"/api/v1/namespaces/{ns}/secrets/g")}
            finally:
                proc.terminate()
                proc.wait(30)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter runs (smoke test)")
    parser.add_argument("--storage", default=None, help="storage URL (default: SQLite in a temp dir)")
    parser.add_argument("--seconds", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--server-flag", action="append", default=[], metavar="FLAG",
                        help="a flag for `setpoint up` (repeatable), e.g. --server-flag=--enable-priority-and-fairness=false")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another checkout to measure in the same run (its src/ is put on PYTHONPATH)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure each checkout this many times, alternating which goes first; print medians")
    parser.add_argument("--tls-compare", action="store_true",
                        help="creates/s and gets/s at 64 clients: TLS + client certificate against --insecure-http")
    parser.add_argument("--wrk", action="store_true",
                        help="--tls-compare driven by wrk (OpenSSL's TLS in C; no client certificate): "
                             "plain HTTP against TLS + token, RBAC")
    parser.add_argument("--with-policy", action="store_true",
                        help="install a ValidatingAdmissionPolicy that every ConfigMap create evaluates")
    parser.add_argument("--webhook", action="store_true",
                        help="with one validating admission webhook matching every ConfigMap create")
    parser.add_argument("--security", action="store_true",
                        help="only Secret creates/gets with the audit log and encryption at rest off and on")
    parser.add_argument("--etcd-compare", action="store_true",
                        help="SQLite, etcd with 1 member and etcd with 3 side by side, with etcd's raw put rate")
    args = parser.parse_args()
    if args.etcd_compare:
        etcd_compare(args)
        return
    if args.tls_compare:
        print(f"storage {args.storage or 'sqlite'}, cores {os.cpu_count()}, rounds {args.rounds}")
        tls_compare(args)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    if args.security:
        rounds = [measure_security(args) for _ in range(args.rounds)]
        print(f"{'configuration':<24}{'creates/s c64':>16}{'create p99 ms':>16}{'gets/s c64':>14}")
        for label in rounds[0]:
            m = {k: statistics.median(r[label][k] for r in rounds) for k in rounds[0][label]}
            print(f"{label:<24}{m['creates/s c64']:>16.0f}{m['create p99 ms']:>16.1f}{m['gets/s c64']:>14.0f}")
        return
    print(f"storage {args.storage or 'sqlite'}, cores {os.cpu_count()}, rounds {args.rounds}")
    checkouts: list[tuple[str, Path | None]] = []
    if args.baseline is not None:
        checkouts.append((f"baseline ({args.baseline})", args.baseline.resolve()))
    checkouts.append(("this checkout", None))
    figures: dict[str, list[dict[str, float]]] = {label: [] for label, _ in checkouts}
    for round_ in range(args.rounds):
        # Alternate the order: a machine's load drifts, and whoever runs first meets it fresher.
        for label, source in checkouts if round_ % 2 == 0 else checkouts[::-1]:
            figures[label].append(measure(args, source))
    runs = [(label, {name: statistics.median(f[name] for f in figures[label]) for name in figures[label][0]})
            for label, _ in checkouts]
    names = list(runs[-1][1])
    print(f"{'measure':<28}" + "".join(f"{label[:24]:>26}" for label, _ in runs)
          + ("      ratio" if len(runs) == 2 else ""))
    for name in names:
        digits = 3 if " / " in name else 1
        cells = "".join(f"{r.get(name, float('nan')):>26.{digits}f}" for _, r in runs)
        ratio = f"{runs[1][1][name] / runs[0][1][name]:>11.2f}" if len(runs) == 2 and runs[0][1].get(name) else ""
        print(f"{name:<28}{cells}{ratio}")


# --- SQLite against etcd ------------------------------------------------------------

#: A value the size of a benchmark ConfigMap as stored (~300 bytes of JSON).
RAW_VALUE = b"v" * 300


def _etcd_target(endpoints: list[str]) -> str:
    return "ipv4:" + ",".join(endpoints)


async def raw_etcd(endpoints: list[str], clients: int, seconds: float) -> dict[str, float]:
    """Puts/s of ``clients`` tasks on one grpc.aio channel with aetcd's stubs (the client setpoint's
    store uses; plain puts of distinct keys: etcd's ceiling for this client), and creates/s of
    setpoint's ``EtcdStorage`` (a compare-and-swap transaction each) the same way."""
    import grpc.aio
    from aetcd import rpc

    sys.path.insert(0, str(ROOT / "src"))
    from setpoint.storage.etcd import EtcdStorage

    channel = grpc.aio.insecure_channel(_etcd_target(endpoints), options=[("grpc.lb_policy_name", "round_robin")])
    kv = rpc.KVStub(channel)
    store = await EtcdStorage.open(endpoints, compact_interval=0)
    try:
        return {
            "raw etcd puts/s c64": await _rate(
                lambda k: kv.Put(rpc.PutRequest(key=b"/bench-raw/put/" + k, value=RAW_VALUE)), clients, seconds),
            "store creates/s c64": await _rate(
                lambda k: store.create("/bench-raw/create/" + k.decode(), RAW_VALUE), clients, seconds),
        }
    finally:
        await store.close()
        await channel.close()


async def _rate(op: Any, clients: int, seconds: float) -> float:
    """Calls/s of ``op(distinct key)`` by ``clients`` tasks for ``seconds``."""
    count = 0
    deadline = time.monotonic() + seconds

    async def worker(w: int) -> None:
        nonlocal count
        i = 0
        while time.monotonic() < deadline:
            await op(f"{w}/{i}".encode())
            i += 1
            count += 1

    start = time.monotonic()
    await asyncio.gather(*(worker(w) for w in range(clients)))
    return count / (time.monotonic() - start)


def measure_backend(args: argparse.Namespace, storage: str | None, data: Path) -> dict[str, float]:
    """creates/s at 1, 16 and 64 clients, gets/s at 64, watch fan-out, through ``setpoint up --nodes 0``."""
    seconds = 3 if args.quick else args.seconds
    updates = 200 if args.quick else 1_000
    out: dict[str, float] = {}
    port = free_port()
    proc = start_server(data, port, storage, None, "--nodes", "0", *args.server_flag)
    try:
        for conns in (1, 16, 64):
            ns = f"bench-c{conns}"
            ensure_namespace(port, ns)
            r = run_wrk(port, conns, seconds, ns)
            if r["non2xx"]:
                raise SystemExit(f"{r['non2xx']:.0f} creates failed")
            out[f"creates/s c{conns}"] = r["rate"]
            out[f"create p99 ms c{conns}"] = r["p99_ms"]
        ns = "bench-get"
        ensure_namespace(port, ns)
        request(port, "POST", f"/api/v1/namespaces/{ns}/configmaps",
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "g"}, "data": {"k": "v" * 100}})
        out["gets/s c64"] = run_wrk_get(port, 64, seconds, f"/api/v1/namespaces/{ns}/configmaps/g")
        p50, p99 = asyncio.run(watch_fanout(port, 100, updates))
        out["watch fan-out p50 ms"] = p50
        out["watch fan-out p99 ms"] = p99
    finally:
        proc.terminate()
        proc.wait(30)
    return out


def etcd_compare(args: argparse.Namespace) -> None:
    """SQLite, etcd 1 member, etcd 3 members, each measured ``--rounds`` times (the order rotating),
    every store on tmpfs; for etcd, the raw put rate of the same client on the same cluster first."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    sys.path.insert(0, str(ROOT / "tests"))
    from etcd_cluster import EtcdCluster, etcd_binary, scratch_dir

    binary, reason = etcd_binary()
    if binary is None:
        raise SystemExit(reason)
    seconds = 3 if args.quick else args.seconds
    backends = ["sqlite", "etcd x1", "etcd x3"]
    figures: dict[str, list[dict[str, float]]] = {b: [] for b in backends}
    print(f"cores {os.cpu_count()}, rounds {args.rounds}, {seconds} s per load run, stores on tmpfs")
    for round_ in range(args.rounds):
        for backend in backends[round_ % 3:] + backends[:round_ % 3]:
            scratch = scratch_dir(Path(tempfile.mkdtemp(prefix="setpoint-bench-")))
            try:
                if backend == "sqlite":
                    out = measure_backend(args, f"sqlite:///{scratch / 'state.db'}", scratch / "data")
                else:
                    cluster = EtcdCluster(scratch / "etcd", members=int(backend[-1]), binary=binary)
                    cluster.start()
                    try:
                        out = asyncio.run(raw_etcd(cluster.endpoints, 64, seconds))
                        out.update(measure_backend(args, "etcd://" + ",".join(cluster.endpoints), scratch / "data"))
                    finally:
                        cluster.stop()
                figures[backend].append(out)
                print(f"  round {round_ + 1} {backend}: " + ", ".join(f"{k} {v:.0f}" for k, v in out.items()),
                      flush=True)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    medians = {b: {k: statistics.median(f[k] for f in figures[b]) for k in figures[b][0]} for b in backends}
    names = list(medians["etcd x1"])
    print(f"{'median':<26}" + "".join(f"{b:>12}" for b in backends))
    for name in names:
        print(f"{name:<26}" + "".join(f"{medians[b].get(name, float('nan')):>12.1f}" for b in backends))
    for b in backends[1:]:
        m = medians[b]
        print(f"{b}: creates c64 / raw puts {m['creates/s c64'] / m['raw etcd puts/s c64']:.2f}, "
              f"/ store creates {m['creates/s c64'] / m['store creates/s c64']:.2f}")


# --- TLS against plain HTTP --------------------------------------------------------


async def _load(base: str, ctx: ssl.SSLContext | None, path: str, seconds: float, clients: int,
                body: bytes | None, namespace: str, extra_headers: dict[str, str] | None = None) -> float:
    """Requests/s of ``clients`` workers, each with one request in flight on its own keep-alive
    connection: GET ``path``, or POST ``body`` (a ConfigMap named anew each time) to it."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=clients, ssl=ctx if ctx is not None else False)
    done = [0]
    deadline = time.perf_counter() + seconds
    headers = {"Content-Type": "application/json", "Accept": "application/json", **(extra_headers or {})}
    async with aiohttp.ClientSession(base, connector=connector) as session:
        async def worker(w: int) -> None:
            i = 0
            while time.perf_counter() < deadline:
                if body is None:
                    async with session.get(path, headers=headers) as r:
                        await r.read()
                        ok = r.status == 200
                else:
                    data = body.replace(b"NAME", f"w{w}-{i}".encode())
                    i += 1
                    async with session.post(path, data=data, headers=headers) as r:
                        await r.read()
                        ok = r.status == 201
                if not ok:
                    raise SystemExit(f"{namespace}: {r.status}")
                done[0] += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(clients)))
        return done[0] / (time.perf_counter() - t0)


TOKEN_USER = "bench-token"


def measure_tls(args: argparse.Namespace, mode: str) -> dict[str, float]:
    """creates/s and gets/s at 64 clients against a server over plain HTTP (``http``), over TLS with
    the kubeconfig's admin certificate (``cert``), or over TLS as a token user whom a RoleBinding
    to ``edit`` lets in, authorized by RBAC (``token``)."""
    import ssl

    from setpoint.runtime.config import Config

    tls = mode != "http"
    seconds = 3 if args.quick else args.seconds
    with tempfile.TemporaryDirectory(prefix="setpoint-bench-") as tmp:
        tokens = Path(tmp) / "tokens.csv"
        tokens.write_text(f"{TOKEN_USER},bench,1001\n")
        port = free_port()
        proc = start_server(Path(tmp) / "data", port, args.storage, None, "--nodes", "0",
                            "--token-auth-file", str(tokens), tls=tls)
        try:
            admin_ctx = Config.from_kubeconfig(Path(tmp) / "data" / "kubeconfig").ssl_context if tls else None
            ctx = admin_ctx
            headers: dict[str, str] = {}
            if mode == "token":
                assert admin_ctx is not None
                ctx = ssl.create_default_context(cafile=str(Path(tmp) / "data" / "pki" / "ca.crt"))
                headers = {"Authorization": f"Bearer {TOKEN_USER}"}
            base = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
            ns = "bench-tls"

            async def run() -> dict[str, float]:
                import aiohttp

                async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(ssl=admin_ctx or False)) as s:
                    async with s.post("/api/v1/namespaces", json={"metadata": {"name": ns}}) as r:
                        assert r.status == 201, r.status
                    async with s.post(f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings", json={
                            "metadata": {"name": "bench-edit"},
                            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                        "name": "edit"},
                            "subjects": [{"kind": "User", "name": "bench"}]}) as r:
                        assert r.status == 201, r.status
                    async with s.post(f"/api/v1/namespaces/{ns}/configmaps",
                                      json={"metadata": {"name": "g"}, "data": {"k": "v" * 100}}) as r:
                        assert r.status == 201, r.status
                path = f"/api/v1/namespaces/{ns}/configmaps"
                cm = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"NAME"},"data":{"k":"v"}}'
                # (the gets read w0-0, the creates' first ConfigMap)
                if args.wrk:  # wrk's TLS is OpenSSL's in C: the load generator is not the limit
                    token = TOKEN_USER if mode == "token" else None
                    scheme = "https" if tls else "http"
                    created = run_wrk(port, 64, seconds, ns, scheme=scheme, token=token)
                    if created["non2xx"] or created["errors"]:
                        raise SystemExit(f"creates failed: {created}")
                    creates = created["rate"]
                    gets = run_wrk_get(port, 64, seconds, path + "/g", scheme=scheme, token=token)
                else:
                    creates = await _load(base, ctx, path, seconds, 64, cm, "creates", headers)
                    gets = await _load(base, ctx, path + "/w0-0", seconds, 64, None, "gets", headers)
                return {"creates/s c64": creates, "gets/s c64": gets}

            return asyncio.run(run())
        finally:
            proc.terminate()
            proc.wait(30)


#: 64 tasks creating keys through ``SQLiteStorage`` (synchronous=FULL, as ``setpoint up``) for the
#: given seconds, values the size of a benchmark ConfigMap as stored; prints writes/s.
ENGINE_WRITES = """
import asyncio, sys, tempfile, time
from pathlib import Path
from setpoint.storage import SQLiteStorage

async def main(seconds: float) -> None:
    with tempfile.TemporaryDirectory(prefix="setpoint-engine-") as tmp:
        store = SQLiteStorage(Path(tmp) / "engine.db", compact_interval=0)
        value = b"v" * 380
        done = 0
        async def writer(w: int) -> None:
            nonlocal done
            i = 0
            while time.perf_counter() < deadline:
                await store.create(f"/registry/configmaps/bench-engine/w{w}-{i}", value)
                i += 1
                done += 1
        deadline = time.perf_counter() + 0.5  # warm-up
        await asyncio.gather(*(writer(1000 + w) for w in range(64)))
        done = 0
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(writer(w) for w in range(64)))
        print(done / (time.perf_counter() - started))
        await store.close()

asyncio.run(main(float(sys.argv[1])))
"""


def engine_writes(source: Path | None, seconds: int) -> float:
    """Writes/s of the storage engine itself (``SQLiteStorage``, 64 writers, fsync on) in a process of
    its own, with ``source``'s code: the ceiling that durable creates are compared with."""
    env = dict(os.environ, PYTHONPATH=str((source or ROOT) / "src"))
    out = subprocess.run([sys.executable, "-c", ENGINE_WRITES, str(seconds)], capture_output=True, text=True,
                         check=True, env=env).stdout
    return float(out.strip().splitlines()[-1])


def measure_floor(tls_dir: Path | None, seconds: int, *, creates: bool = False) -> float:
    """GETs/s (or, with ``creates``, the create script's POSTs/s) at 64 connections from wrk
    against ``floor_server.py`` (TLS with ``tls_dir``'s serving certificate when given)."""
    port = free_port()
    cert = [str(tls_dir / "apiserver.crt"), str(tls_dir / "apiserver.key")] if tls_dir else []
    proc = subprocess.Popen([sys.executable, str(HERE / "floor_server.py"), str(port), *cert],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        scheme = "https" if tls_dir else "http"
        if creates:
            return run_wrk(port, 64, seconds, "bench-floor", scheme=scheme)["rate"]
        return run_wrk_get(port, 64, seconds, "/", scheme=scheme)
    finally:
        proc.terminate()
        proc.wait(30)


def tls_compare(args: argparse.Namespace) -> None:
    from setpoint.apiserver.http import install_event_loop_policy

    install_event_loop_policy()  # the load generator on uvloop too: its TLS is native, asyncio's is Python
    modes = [("--insecure-http", "http"), ("TLS + client cert", "cert"), ("TLS + token, RBAC", "token")]
    if args.wrk:  # wrk presents no client certificate: plain HTTP against TLS + token, RBAC
        modes = [modes[0], modes[2]]
    figures: dict[str, list[dict[str, float]]] = {label: [] for label, _ in modes}
    for round_ in range(args.rounds):
        for label, mode in modes if round_ % 2 == 0 else modes[::-1]:
            figures[label].append(measure_tls(args, mode))
    runs = {label: {name: statistics.median(f[name] for f in figs) for name in figs[0]}
            for label, figs in figures.items()}
    print(f"{'measure':<16}{'--insecure-http':>18}" + "".join(f"{label:>20}{'/HTTP':>7}" for label, _ in modes[1:]))
    for name in runs["--insecure-http"]:
        plain = runs["--insecure-http"][name]
        print(f"{name:<16}{plain:>18.0f}" + "".join(
            f"{runs[label][name]:>20.0f}{runs[label][name] / plain:>7.2f}" for label, _ in modes[1:]))
    if args.wrk:  # Python's own TLS cost on a small response: the floor server, plain and TLS
        with tempfile.TemporaryDirectory(prefix="setpoint-bench-") as tmp:
            from setpoint.apiserver.pki import load_or_create

            load_or_create(Path(tmp))  # the serving pair setpoint up makes: TMP/pki/apiserver.{crt,key}
            pki = Path(tmp) / "pki"
            seconds = 3 if args.quick else args.seconds
            floors = [(measure_floor(None, seconds), measure_floor(pki, seconds)) for _ in range(args.rounds)]
        plain = statistics.median(f[0] for f in floors)
        tls = statistics.median(f[1] for f in floors)
        print(f"{'floor gets/s':<16}{plain:>18.0f}{tls:>20.0f}{tls / plain:>7.2f}"
              "   (floor_server.py: uvloop + httptools, one fixed response)")


_WEBHOOK: dict[str, object] = {}


def install_webhook(port: int) -> None:
    """Serve an allow-all admission webhook (a thread of this process) and register it for
    ConfigMap creates; wait until it is called."""
    import threading

    from aiohttp import web

    from setpoint.webhookcerts import make_webhook_certificates

    if "port" not in _WEBHOOK:
        certs = make_webhook_certificates("127.0.0.1")
        hook_port = free_port()

        async def review(request: web.Request) -> web.Response:
            body = await request.json()
            return web.json_response({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                                      "response": {"uid": body["request"]["uid"], "allowed": True}})

        def serve() -> None:
            app = web.Application()
            app.router.add_post("/validate", review)
            web.run_app(app, host="127.0.0.1", port=hook_port, ssl_context=certs.server_context(),
                        access_log=None, print=None, handle_signals=False)

        threading.Thread(target=serve, daemon=True).start()
        _WEBHOOK.update(port=hook_port, ca=certs.ca_bundle)
    request(port, "POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "bench"},
        "webhooks": [{"name": "bench.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"],
                      "clientConfig": {"url": f"https://127.0.0.1:{_WEBHOOK['port']}/validate",
                                       "caBundle": _WEBHOOK["ca"]},
                      "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["configmaps"],
                                 "operations": ["CREATE"]}]}]})
    ensure_namespace(port, "bench-webhook")
    deadline = time.monotonic() + 10
    while True:  # until the webhook answers (a refused call is a 500)
        try:
            request(port, "POST", "/api/v1/namespaces/bench-webhook/configmaps",
                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "w"}})
            return
        except urllib.error.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


async def _fill(port: int, ns: str, count: int) -> None:
    sem = asyncio.Semaphore(32)

    async def one(i: int) -> None:
        async with sem:
            await asyncio.to_thread(request, port, "POST", f"/api/v1/namespaces/{ns}/configmaps",
                                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"l{i}"},
                                     "data": {"k": "v" * 100}})

    await asyncio.gather(*(one(i) for i in range(count)))


if __name__ == "__main__":
    main()
