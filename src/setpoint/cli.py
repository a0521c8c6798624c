"""The ``setpoint`` command line."""

from __future__ import annotations

import sys

# Before anything that needs 3.11: say so, rather than fail on some import.
if sys.version_info < (3, 11):  # noqa: UP036 (pip may be bypassed: a checkout on PYTHONPATH, an old venv)
    sys.exit(f"setpoint needs Python 3.11 or later; this is Python {sys.version.split()[0]} ({sys.executable}).")

import asyncio
import contextlib
import gc
import ipaddress
import logging
import signal
from pathlib import Path
from typing import Any

import click

from setpoint import __version__, heaptrim, storage
from setpoint.apimachinery.clock import parse_duration
from setpoint.apiserver import audit, encryption
from setpoint.apiserver.authz import MODES as AUTHORIZATION_MODES
from setpoint.apiserver.http import install_event_loop_policy
from setpoint.apiserver.tls import TLSError, TLSOptions
from setpoint.controllers.manager import ALIASES, CONTROLLER_MANAGER_LEASE, CONTROLLERS, enabled_controllers
from setpoint.controllers.options import ControllerOptions
from setpoint.controlplane import ControlPlane
from setpoint.nodecli import node
from setpoint.runtime.leader import LeaderElection, default_identity
from setpoint.storage.migrate import TargetNotEmpty, copy_store

CONTROLLERS_HELP = (
    "A list of controllers to enable. '*' enables all on-by-default controllers, 'foo' enables the "
    "controller named 'foo', '-foo' disables the controller named 'foo'. All controllers: "
    + ", ".join(sorted(CONTROLLERS)) + " (also known as " + ", ".join(sorted(ALIASES)) + "). "
    "Disabled-by-default controllers: none. (The CRD cleanup is the API server's own and always runs.)")


@click.group()
def main() -> None:
    """setpoint: a Kubernetes-compatible control plane in one pip install."""


@main.command()
def version() -> None:
    """Print the version."""
    click.echo(f"setpoint {__version__}")


@main.command()
@click.option("--data-dir", default="./setpoint-data", show_default=True, type=click.Path(path_type=Path),
              help="Where the state (SQLite file) and the kubeconfig live.")
@click.option("--port", default=6443, show_default=True, type=int, help="Port to serve the API on (0: any free port).")
@click.option("--bind-address", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--storage", "storage_url", default="", help="Storage URL: sqlite:///path, memory://, "
              "etcd://host:port[,host:port...][?prefix=P&cafile=F&certfile=F&keyfile=F] (default: SQLite in the "
              "data dir).")
@click.option("--etcd-cafile", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="With --storage etcd://: the CA that verifies the etcd members (turns on TLS).")
@click.option("--etcd-certfile", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="With --storage etcd://: the client certificate presented to etcd.")
@click.option("--etcd-keyfile", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="With --storage etcd://: the private key of --etcd-certfile.")
@click.option("--sync", type=click.Choice(["full", "normal"]), default="full", show_default=True,
              help="SQLite durability: full fsyncs every commit group.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))
@click.option("--controllers", "controller_flags", multiple=True, default=("*",), show_default=True,
              metavar="strings", help=CONTROLLERS_HELP)
@click.option("--authorization-mode", default="", metavar="strings",
              help="Comma-separated authorizers, in order: RBAC, AlwaysAllow, AlwaysDeny (system:masters is "
                   "always allowed). Default: RBAC, but AlwaysAllow while requests without credentials are let in "
                   "over plain HTTP (no --anonymous-auth given).")
@click.option("--advertise-address", default="", metavar="ip",
              help="The address the `kubernetes` Service's endpoints point at (default: the host's, on its "
                   "default route).")
@click.option("--nodes", default=3, show_default=True, type=click.IntRange(min=0), metavar="N",
              help="Simulated nodes to register (node-1..node-N; `setpoint node add` adds more); with nodes, pods "
                   "are scheduled and played out by a simulated kubelet. 0: a bare API server and controllers, no "
                   "scheduler or kubelet.")
@click.option("--node-monitor-period", default="5s", show_default=True, metavar="duration",
              help="How often the node lifecycle controller looks at each node's health.")
@click.option("--node-monitor-grace-period", default="40s", show_default=True, metavar="duration",
              help="How long a node's kubelet may stay silent (Lease, Ready heartbeat) before it is unreachable.")
@click.option("--node-startup-grace-period", default="1m0s", show_default=True, metavar="duration",
              help="The same, for a node that never posted its status.")
@click.option("--terminated-pod-gc-threshold", default=12500, show_default=True, type=int,
              help="Terminated pods kept before the pod garbage collector deletes the oldest (0 or less: no "
                   "limit).")
@click.option("--horizontal-pod-autoscaler-sync-period", default="15s", show_default=True, metavar="duration",
              help="How often each HorizontalPodAutoscaler is synced.")
@click.option("--horizontal-pod-autoscaler-downscale-stabilization", default="5m0s", show_default=True,
              metavar="duration", help="How long recent recommendations hold a scale-down back.")
@click.option("--horizontal-pod-autoscaler-tolerance", default=0.1, show_default=True, type=float,
              help="The usage ratio change below which an autoscaler does not scale.")
@click.option("--max-requests-inflight", default=400, show_default=True, type=click.IntRange(min=1),
              help="The server's concurrency for reads; with priority and fairness, added to the next flag's and "
                   "shared among the priority levels.")
@click.option("--max-mutating-requests-inflight", default=200, show_default=True, type=click.IntRange(min=1),
              help="The same for writes.")
@click.option("--min-request-timeout", default=1800, show_default=True, type=click.IntRange(min=1),
              help="Seconds a watch without timeoutSeconds is kept open at least (a random value between this and "
                   "twice this, as kube-apiserver picks it, to spread reconnections out).")
@click.option("--enable-priority-and-fairness", default=True, show_default=True, type=click.BOOL,
              is_flag=False, flag_value=True, metavar="bool",
              help="API Priority and Fairness (FlowSchemas, PriorityLevelConfigurations); =false: plain in-flight "
                   "limits.")
@click.option("--token-auth-file", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="Static bearer tokens: kube's CSV, one `token,user,uid,\"group1,group2\"` a line.")
@click.option("--anonymous-auth", type=click.BOOL, default=None, is_flag=False, flag_value=True,
              help="Serve requests without credentials as system:anonymous (left to the authorizer). With "
                   "--anonymous-auth=false only /healthz, /livez, /readyz and /version answer them; the rest is 401. "
                   "Default: true only with --insecure-http (kubectl sends no token without TLS).")
@click.option("--tls-san", "tls_sans", multiple=True, metavar="name",
              help="Another DNS name or IP address for the generated serving certificate (repeatable; it always "
                   "has localhost, 127.0.0.1 and ::1).")
@click.option("--tls-cert-file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Serve this certificate (PEM, leaf first) instead of one the cluster CA signs.")
@click.option("--tls-private-key-file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The private key of --tls-cert-file.")
@click.option("--client-ca-file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also accept client certificates signed by these CAs (the cluster CA's always are).")
@click.option("--insecure-http", is_flag=True,
              help="Serve plain HTTP, no TLS and no client certificates (loopback bind addresses only).")
@click.option("--audit-policy-file", default="", metavar="FILE",
              help="An audit.k8s.io/v1 Policy: which requests are audited, at which level.")
@click.option("--audit-log-path", default="", metavar="FILE",
              help="Write audit events (audit.k8s.io/v1 Event JSON lines) to FILE; '-' is standard output.")
@click.option("--audit-log-maxsize", default=0, show_default=True, type=click.IntRange(min=0), metavar="MB",
              help="Rotate the audit log when it would grow past this many megabytes (0: never).")
@click.option("--audit-log-maxbackup", default=0, show_default=True, type=click.IntRange(min=0),
              help="Rotated audit logs to keep (0: all).")
@click.option("--encryption-provider-config", default="", metavar="FILE",
              help="An apiserver.config.k8s.io/v1 EncryptionConfiguration: which resources are encrypted "
                   "at rest, with which providers and keys.")
@click.option("--leader-elect", type=click.BOOL, default=None, is_flag=False, flag_value=True, metavar="bool",
              help="Run the built-in controllers, the scheduler and the simulated nodes only while this server "
                   "holds their Lease in kube-system (kube-controller-manager, kube-scheduler), so that several "
                   "servers on one etcd run them once. Default: true with --storage etcd://, false otherwise.")
@click.option("--leader-elect-lease-duration", default="15s", show_default=True, metavar="duration",
              help="How long a standby waits, from the last renewal it saw, before it takes a Lease.")
@click.option("--leader-elect-renew-deadline", default="10s", show_default=True, metavar="duration",
              help="How long the leader tries to renew before it stops leading (less than the lease duration).")
@click.option("--leader-elect-retry-period", default="2s", show_default=True, metavar="duration",
              help="How often candidates try to acquire or renew.")
@click.option("--certificates", is_flag=True,
              help="Serve cert-manager's API (cert-manager.io/v1 Issuer, ClusterIssuer, Certificate, "
                   "CertificateRequest) with setpoint's certificate controllers (docs/certificates.md).")
def up(data_dir: Path, port: int, bind_address: str, storage_url: str, etcd_cafile: Path | None,
       etcd_certfile: Path | None, etcd_keyfile: Path | None, sync: str, log_level: str,
       controller_flags: tuple[str, ...], authorization_mode: str, advertise_address: str, nodes: int,
       node_monitor_period: str,
       node_monitor_grace_period: str, node_startup_grace_period: str, terminated_pod_gc_threshold: int,
       horizontal_pod_autoscaler_sync_period: str,
       horizontal_pod_autoscaler_downscale_stabilization: str, horizontal_pod_autoscaler_tolerance: float,
       max_requests_inflight: int, max_mutating_requests_inflight: int, min_request_timeout: int,
       enable_priority_and_fairness: bool, token_auth_file: Path | None, anonymous_auth: bool | None,
       tls_sans: tuple[str, ...], tls_cert_file: Path | None, tls_private_key_file: Path | None,
       client_ca_file: Path | None, insecure_http: bool,
       audit_policy_file: str, audit_log_path: str, audit_log_maxsize: int, audit_log_maxbackup: int,
       encryption_provider_config: str, leader_elect: bool | None, leader_elect_lease_duration: str,
       leader_elect_renew_deadline: str, leader_elect_retry_period: str, certificates: bool) -> None:
    """Run the control plane in the foreground until Ctrl-C or SIGTERM."""
    tls_options = _tls_options(bind_address, tls_sans, tls_cert_file, tls_private_key_file, client_ca_file,
                               insecure_http)
    durations: dict[str, float] = {}
    for flag, value in (("node-monitor-period", node_monitor_period),
                        ("node-monitor-grace-period", node_monitor_grace_period),
                        ("node-startup-grace-period", node_startup_grace_period),
                        ("horizontal-pod-autoscaler-sync-period", horizontal_pod_autoscaler_sync_period),
                        ("horizontal-pod-autoscaler-downscale-stabilization",
                         horizontal_pod_autoscaler_downscale_stabilization),
                        ("leader-elect-lease-duration", leader_elect_lease_duration),
                        ("leader-elect-renew-deadline", leader_elect_renew_deadline),
                        ("leader-elect-retry-period", leader_elect_retry_period)):
        try:
            durations[flag] = parse_duration(value)
        except ValueError as exc:
            _fail(f'invalid argument "{value}" for "--{flag}" flag: {exc}')
    controller_options = ControllerOptions(
        node_monitor_period=durations["node-monitor-period"],
        node_monitor_grace_period=durations["node-monitor-grace-period"],
        node_startup_grace_period=durations["node-startup-grace-period"],
        hpa_sync_period=durations["horizontal-pod-autoscaler-sync-period"],
        hpa_downscale_stabilization=durations["horizontal-pod-autoscaler-downscale-stabilization"],
        hpa_tolerance=horizontal_pod_autoscaler_tolerance,
        terminated_pod_gc_threshold=max(terminated_pod_gc_threshold, 0))
    # A string slice as pflag's: comma-separated, repeated flags add up.
    controllers = tuple(c.strip() for flag in controller_flags for c in flag.split(",") if c.strip())
    try:
        enabled_controllers(controllers)
    except ValueError as exc:
        _fail(f"invalid argument for --controllers: {exc}")
    modes = tuple(m.strip() for m in authorization_mode.split(",") if m.strip())
    if any(m not in AUTHORIZATION_MODES for m in modes):
        _fail(f"invalid argument for --authorization-mode: {authorization_mode!r} "
              f"(known: {', '.join(AUTHORIZATION_MODES)})")
    if advertise_address and not _endpoint_ip(advertise_address):
        _fail(f"invalid argument for --advertise-address: {advertise_address!r} is not an IP address "
              "an endpoint may hold (not loopback, link-local or unspecified)")
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        _fail(f"data dir {data_dir} is unusable: {exc.strerror or exc}")
    data_dir = data_dir.resolve()
    options: dict[str, Any] = {}
    if not storage_url:
        storage_url = f"sqlite:///{data_dir / 'state.db'}"
    if storage_url.startswith("sqlite:"):
        options["synchronous"] = sync.upper()
    options.update(_etcd_tls(storage_url, etcd_cafile, etcd_certfile, etcd_keyfile))
    options["authorization_modes"] = modes
    server_options = {"max_requests_inflight": max_requests_inflight,
                      "max_mutating_requests_inflight": max_mutating_requests_inflight,
                      "min_request_timeout": float(min_request_timeout),
                      "enable_priority_and_fairness": enable_priority_and_fairness}
    try:
        security = _security_options(audit_policy_file, audit_log_path, audit_log_maxsize, audit_log_maxbackup,
                                     encryption_provider_config)
    except (audit.PolicyError, encryption.ConfigError) as exc:
        _fail(str(exc))
    options.update(security)
    options["leader_elect"] = leader_elect
    options["certificates"] = certificates
    try:
        options["election"] = LeaderElection(CONTROLLER_MANAGER_LEASE, identity=default_identity(),
                                             lease_duration=durations["leader-elect-lease-duration"],
                                             renew_deadline=durations["leader-elect-renew-deadline"],
                                             retry_period=durations["leader-elect-retry-period"])
    except ValueError as exc:
        _fail(f"invalid leader election timings: {exc}")
    install_event_loop_policy()
    tune_interpreter()
    heaptrim.configure()
    try:
        asyncio.run(_serve(storage_url, bind_address, port, data_dir, controllers, advertise_address or None,
                           nodes, controller_options, tls_options, options, server_options, token_auth_file,
                           anonymous_auth))
    except KeyboardInterrupt:
        pass


def _etcd_tls(storage_url: str, ca: Path | None, cert: Path | None, key: Path | None,
              flag: str = "--storage") -> dict[str, str]:
    """kube-apiserver's ``--etcd-cafile``/``--etcd-certfile``/``--etcd-keyfile`` as options of the
    etcd store (over the URL's ``cafile``/``certfile``/``keyfile``); exits on a contradiction."""
    given = {"ca_file": ca, "cert_file": cert, "key_file": key}
    if not any(given.values()):
        return {}
    if not storage_url.startswith("etcd://"):
        _fail(f"--etcd-cafile, --etcd-certfile and --etcd-keyfile go with {flag} etcd://...")
    if (cert is None) != (key is None):
        _fail("--etcd-certfile and --etcd-keyfile go together: give both or neither")
    return {name: str(path) for name, path in given.items() if path is not None}


def _tls_options(bind_address: str, sans: tuple[str, ...], cert_file: Path | None, key_file: Path | None,
                 client_ca_file: Path | None, insecure_http: bool) -> TLSOptions | None:
    """The serving options the TLS flags ask for (None: plain HTTP); exits on a contradiction."""
    if insecure_http:
        if not _loopback(bind_address):
            _fail(f"--insecure-http serves without TLS or authentication and is allowed on a loopback "
                  f"--bind-address only (127.0.0.1, ::1, localhost), not {bind_address!r}")
        if sans or cert_file or key_file or client_ca_file:
            _fail("--insecure-http serves no TLS: it cannot be combined with --tls-san, --tls-cert-file, "
                  "--tls-private-key-file or --client-ca-file")
        return None
    if (cert_file is None) != (key_file is None):
        _fail("--tls-cert-file and --tls-private-key-file go together: give both or neither")
    for flag, path in (("--tls-cert-file", cert_file), ("--tls-private-key-file", key_file),
                       ("--client-ca-file", client_ca_file)):
        if path is not None and not path.is_file():
            _fail(f"{flag} {path}: no such file")
    return TLSOptions(sans=tuple(s.strip() for flag in sans for s in flag.split(",") if s.strip()),
                      cert_file=cert_file, key_file=key_file, client_ca_file=client_ca_file)


def _loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _security_options(policy_file: str, log_path: str, max_size: int, max_backups: int,
                      encryption_config: str) -> dict[str, object]:
    """The ControlPlane's ``auditor`` and ``encryption`` from the flags (kube's: no audit
    without both a policy and a log path)."""
    out: dict[str, object] = {}
    if encryption_config:
        out["encryption"] = encryption.load(encryption_config)
    if policy_file and log_path:
        policy = audit.load_policy(policy_file)
        out["auditor"] = audit.Auditor(policy, audit.LogWriter(log_path, max_size_mb=max_size,
                                                               max_backups=max_backups))
    return out


def _endpoint_ip(value: str) -> bool:
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_link_local or ip.is_unspecified)


async def _serve(storage_url: str, host: str, port: int, data_dir: Path, controllers: tuple[str, ...],
                 advertise_address: str | None, nodes: int, controller_options: ControllerOptions,
                 tls_options: TLSOptions | None, options: dict[str, Any], server_options: dict[str, Any],
                 token_auth_file: Path | None = None,
                 anonymous_auth: bool | None = None) -> None:
    modes = options.pop("authorization_modes", ())
    assert isinstance(modes, tuple)
    try:
        plane = ControlPlane(storage_url, host=host, port=port, data_dir=data_dir, controllers=controllers,
                             advertise_address=advertise_address, controller_options=controller_options, nodes=nodes,
                             tls_options=tls_options, token_auth_file=token_auth_file, anonymous_auth=anonymous_auth,
                             authorization_modes=modes or None, server_options=server_options, **options)
    except ValueError as exc:
        _fail(str(exc))
    # Before start: /readyz answers while the controllers still start, and a SIGTERM then must stop cleanly.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await plane.start()
    except OSError as exc:
        _fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}")
    except TLSError as exc:
        _fail(f"cannot serve TLS: {exc}")
    except (storage.StorageError, ValueError) as exc:
        _fail(f"cannot open storage {storage_url}: {exc}")
    kubeconfig = data_dir / "kubeconfig"
    click.echo(f"setpoint {__version__} serving the Kubernetes API on {plane.url}", err=True)
    click.echo(f"state: {storage_url}", err=True)
    click.echo(f"export KUBECONFIG={kubeconfig}")
    sys.stdout.flush()
    trimming = asyncio.create_task(heaptrim.trim_forever(), name="heap trim")
    await stop.wait()
    click.echo("setpoint: shutting down", err=True)
    trimming.cancel()
    await plane.stop()


main.add_command(node)


@main.command()
@click.option("--from", "source_url", required=True, metavar="URL",
              help="The store to copy: sqlite:///DIR/state.db for `setpoint up --data-dir DIR` (stop that server "
                   "first), or another storage URL.")
@click.option("--to", "target_url", required=True, metavar="URL",
              help="Where to copy it: etcd://host:port[,host:port...][?prefix=P&cafile=F&certfile=F&keyfile=F].")
@click.option("--force", is_flag=True,
              help="Copy even when the target already holds keys: they are deleted first (the target ends holding "
                   "what the source holds).")
@click.option("--etcd-cafile", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="With --to etcd://: the CA that verifies the etcd members (turns on TLS).")
@click.option("--etcd-certfile", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="With --to etcd://: the client certificate presented to etcd.")
@click.option("--etcd-keyfile", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="With --to etcd://: the private key of --etcd-certfile.")
def migrate(source_url: str, target_url: str, force: bool, etcd_cafile: Path | None, etcd_certfile: Path | None,
            etcd_keyfile: Path | None) -> None:
    """Copy every object of one store into another (SQLite to etcd): values unchanged, in the order of
    their resourceVersions. The copies get resourceVersions of the target's own, so clients re-list."""
    scheme, sep, rest = source_url.partition("://")
    path = Path(rest if sep else source_url)
    if (scheme == "sqlite" or not sep) and not path.is_file():
        _fail(f"--from {source_url}: no such file (`setpoint up --data-dir DIR` keeps its state in DIR/state.db)")
    tls = _etcd_tls(target_url, etcd_cafile, etcd_certfile, etcd_keyfile, flag="--to")

    async def run() -> None:
        try:
            source = await storage.open_storage(source_url, compact_interval=0)
        except (storage.StorageError, ValueError) as exc:
            _fail(f"cannot open --from {source_url}: {exc}")
        try:
            try:
                target = await storage.open_storage(target_url, compact_interval=0, **tls)
            except (storage.StorageError, ValueError) as exc:
                _fail(f"cannot open --to {target_url}: {exc}")
            try:
                copied = await copy_store(source, target, replace=force,
                                          progress=lambda done, total: click.echo(f"{done}/{total} keys", err=True))
            except TargetNotEmpty as exc:
                _fail(f"{exc} (--to {target_url}): give --force to delete them and copy over")
            finally:
                await target.close()
        finally:
            await source.close()
        if copied.deleted:
            click.echo(f"deleted the {copied.deleted} keys the target held", err=True)
        click.echo(f"copied {copied.keys} keys at source revision {copied.source_revision}; their "
                   f"resourceVersions are now {copied.first_revision}..{copied.last_revision}, in the same order "
                   "(clients re-list)")

    asyncio.run(run())


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []})
@click.pass_context
def certs(ctx: click.Context) -> None:
    """Certificates (cert-manager's API): run the controllers, status, renew, approve, deny, inspect."""
    from setpoint.certs.cli import main as certs_main  # pydantic and cryptography load only for this command

    certs_main.main(args=ctx.args, prog_name="setpoint certs")


@main.group()
def crd() -> None:
    """CustomResourceDefinitions from Python models (setpoint.models)."""


@crd.command("generate")
@click.argument("targets", nargs=-1, required=True, metavar="MODULE:CLASS...")
def crd_generate(targets: tuple[str, ...]) -> None:
    """Print the CRD YAML of CustomResource models (several versions of a kind make one CRD)."""
    sys.path.insert(0, "")
    # Imported here, not at the top: pydantic adds ~150 ms that `setpoint up` need not pay.
    from setpoint.models import SchemaError, generate_yaml

    try:
        click.echo(generate_yaml(targets), nl=False)
    except (SchemaError, ImportError, AttributeError) as exc:
        _fail(str(exc))


#: How long the event loop's thread may keep the GIL while another thread waits for it (CPython's
#: default is 5 ms). The SQLite writer thread needs the GIL back after each commit before it can
#: hand the results to the loop; with the default a busy loop made each write wait up to three
#: such slices, and controllers that wait for their writes (a ReplicaSet's batches of creates)
#: were paced by that wait rather than by the CPU.
SWITCH_INTERVAL = 0.0005


def tune_interpreter() -> None:
    """Collect young garbage less often: the watch cache holds many long-lived objects, and
    CPython's default thresholds make full collections over them frequent and slow (they showed
    as 100+ ms tail latencies under load). Hand the GIL to a waiting thread sooner
    (:data:`SWITCH_INTERVAL`)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    sys.setswitchinterval(SWITCH_INTERVAL)


def _fail(message: str) -> None:
    click.echo(f"setpoint: {message}", err=True)
    raise SystemExit(1)
