"""``setpoint node add|remove|list``: simulated nodes of a running ``setpoint up``, through its API.

A node added here is a plain Node object (labels, taints, capacity as asked); the server's node
agent fills in the rest and heartbeats for it, as for the nodes it registered itself (a server
started with ``--nodes 0`` runs no node agent: its Nodes stay as created). The
server is found through a kubeconfig: ``--kubeconfig``, else ``$KUBECONFIG``, else
``./setpoint-data/kubeconfig`` (where ``setpoint up`` writes it by default).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from setpoint.apimachinery import quantity
from setpoint.apimachinery.clock import parse_time
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.endpoints.table import human_duration
from setpoint.runtime import errors
from setpoint.runtime.client import Client, items
from setpoint.runtime.config import Config, ConfigError
from setpoint.runtime.resource import Kind

NODE = Kind("v1", "Node")
DEFAULT_KUBECONFIG = Path("setpoint-data") / "kubeconfig"
ZONE_LABEL = "topology.kubernetes.io/zone"
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
#: A label key: an optional DNS subdomain prefix and a name (kube's ``IsQualifiedName``).
_QUALIFIED = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                        r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
T = TypeVar("T")

kubeconfig_option = click.option(
    "--kubeconfig", type=click.Path(path_type=Path), default=None,
    help="The kubeconfig of the server (default: $KUBECONFIG, else ./setpoint-data/kubeconfig).")


class UsageError(click.ClickException):
    """Bad input on the command line: ``setpoint: <message>``, exit 1."""

    def format_message(self) -> str:
        return self.message

    def show(self, file: Any = None) -> None:
        click.echo(f"setpoint: {self.message}", err=True)


def config_for(kubeconfig: Path | None) -> Config:
    """The server's connection settings, from the kubeconfig found as the module says."""
    try:
        if kubeconfig is not None:
            if not kubeconfig.is_file():
                raise UsageError(f"kubeconfig {kubeconfig} does not exist")
            return Config.from_kubeconfig(kubeconfig)
        if os.environ.get("KUBECONFIG"):
            return Config.from_kubeconfig()
        if not DEFAULT_KUBECONFIG.is_file():
            raise UsageError(f"no kubeconfig: pass --kubeconfig, set $KUBECONFIG, or run from the directory "
                             f"holding {DEFAULT_KUBECONFIG} (start a server with `setpoint up`)")
        return Config.from_kubeconfig(DEFAULT_KUBECONFIG)
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc


def run(kubeconfig: Path | None, work: Callable[[Client], Awaitable[T]]) -> T:
    """Run ``work`` with a client of the server; an unreachable server is a clear error."""
    config = config_for(kubeconfig)

    async def main() -> T:
        # aiohttp loads only for these commands, not for `setpoint up`.
        from setpoint.runtime.http_client import HTTPClient

        async with HTTPClient(config) as client:
            return await work(client)

    try:
        return asyncio.run(main())
    except errors.ConnectionFailed as exc:
        detail = "connection refused" if "ConnectionRefused" in exc.message else exc.message
        raise UsageError(f"cannot reach the API server at {config.host}: {detail} "
                         "(is `setpoint up` running?)") from exc


def server_error(exc: errors.ApiError) -> str:
    """kubectl's ``Error from server (Reason): message``."""
    return f"Error from server ({exc.reason or exc.code}): {exc.message}" if exc.reason else \
        f"Error from server: {exc.message}"


# --- parsing -----------------------------------------------------------------------------------


def parse_label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise UsageError(f"invalid label {text!r}: expected key=value")
    if not _QUALIFIED.match(key) or len(key.rpartition("/")[2]) > 63:
        raise UsageError(f"invalid label key {key!r}: a qualified name (an optional DNS prefix and '/', "
                         "then 63 characters at most: alphanumerics, '-', '_', '.')")
    if value and (len(value) > 63 or not re.fullmatch(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?", value)):
        raise UsageError(f"invalid label value {value!r}: 63 characters at most, alphanumerics, '-', '_', '.', "
                         "starting and ending with an alphanumeric")
    return key, value


def parse_taint(text: str) -> Obj:
    """kubectl's taint syntax: ``key[=value]:Effect``."""
    spec, sep, effect = text.rpartition(":")
    if not sep or not spec:
        raise UsageError(f"invalid taint {text!r}: expected key[=value]:Effect")
    if effect not in EFFECTS:
        raise UsageError(f"invalid taint effect {effect!r} in {text!r}: one of {', '.join(EFFECTS)}")
    key, _, value = spec.partition("=")
    parse_label(f"{key}={value}")
    taint: Obj = {"key": key, "effect": effect}
    if value:
        taint["value"] = value
    return taint


def parse_quantity(flag: str, text: str) -> str:
    problem = quantity.parse_error(text)
    if problem is not None:
        raise UsageError(f"invalid --{flag} {text!r}: {problem}")
    if quantity.value(text) <= 0:
        raise UsageError(f"invalid --{flag} {text!r}: must be greater than 0")
    return text


def node_object(name: str, *, labels: dict[str, str], taints: list[Obj], capacity: dict[str, str]) -> Obj:
    node: Obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}
    if labels:
        node["metadata"]["labels"] = labels
    if taints:
        node["spec"] = {"taints": taints}
    if capacity:
        node["status"] = {"capacity": capacity}
    return node


# --- commands ------------------------------------------------------------------------------------


@click.group()
def node() -> None:
    """Simulated nodes of a running server: add, remove, list."""


@node.command("add")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.option("--cpu", default=None, metavar="QUANTITY", help="CPU capacity (default: 4).")
@click.option("--memory", default=None, metavar="QUANTITY", help="Memory capacity (default: 16Gi).")
@click.option("--pods", default=None, type=click.IntRange(min=1), help="Pod capacity (default: 110).")
@click.option("--label", "labels", multiple=True, metavar="KEY=VALUE", help="A label (repeatable).")
@click.option("--taint", "taints", multiple=True, metavar="KEY[=VALUE]:EFFECT", help="A taint (repeatable).")
@click.option("--zone", default=None, help=f"The {ZONE_LABEL} label (default: the zone with fewest nodes).")
@kubeconfig_option
def node_add(names: tuple[str, ...], cpu: str | None, memory: str | None, pods: int | None,
             labels: tuple[str, ...], taints: tuple[str, ...], zone: str | None, kubeconfig: Path | None) -> None:
    """Add nodes (the server's node agent makes them Ready; a server run with --nodes 0 has none)."""
    label_map = dict(parse_label(text) for text in labels)
    if zone is not None:
        label_map[ZONE_LABEL] = parse_label(f"{ZONE_LABEL}={zone}")[1]
    taint_list = [parse_taint(text) for text in taints]
    capacity: dict[str, str] = {}
    if cpu is not None:
        capacity["cpu"] = parse_quantity("cpu", cpu)
    if memory is not None:
        capacity["memory"] = parse_quantity("memory", memory)
    if pods is not None:
        capacity["pods"] = str(pods)

    async def add(client: Client, name: str) -> str:
        await client.create(node_object(name, labels=label_map, taints=taint_list, capacity=capacity))
        return f"node/{name} created"

    _each(kubeconfig, names, add)


@node.command("remove")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@kubeconfig_option
def node_remove(names: tuple[str, ...], kubeconfig: Path | None) -> None:
    """Remove nodes (their pods are then garbage collected)."""

    async def remove(client: Client, name: str) -> str:
        await client.delete(NODE, name)
        return f'node "{name}" deleted'

    _each(kubeconfig, names, remove)


def _each(kubeconfig: Path | None, names: tuple[str, ...],
          action: Callable[[Client, str], Awaitable[str]]) -> None:
    """Run ``action`` for each name, printing what it says or the server's error (as kubectl does:
    the others still run, and the exit code is 1 if any failed)."""

    async def every(client: Client) -> bool:
        ok = True
        for name in names:
            try:
                said = await action(client, name)
            except errors.ConnectionFailed:
                raise
            except errors.ApiError as exc:
                click.echo(server_error(exc), err=True)
                ok = False
            else:
                click.echo(said)
        return ok

    if not run(kubeconfig, every):
        raise SystemExit(1)


def _ready(node: Obj) -> str:
    status = "Unknown"
    for c in (node.get("status") or {}).get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == "Ready":
            status = "Ready" if c.get("status") == "True" else "NotReady"
    if (node.get("spec") or {}).get("unschedulable"):
        status += ",SchedulingDisabled"
    return status


def _age(node: Obj, now: float) -> str:
    created = parse_time(str(node["metadata"].get("creationTimestamp") or ""))
    return human_duration(now - created.timestamp()) if created is not None else "<unknown>"


@node.command("list")
@kubeconfig_option
def node_list(kubeconfig: Path | None) -> None:
    """List the nodes with their status, zone and allocatable resources."""

    async def listing(client: Client) -> list[Obj]:
        return list(items(await client.list(NODE)))

    nodes = run(kubeconfig, listing)
    now = time.time()
    rows = [("NAME", "STATUS", "ZONE", "CPU", "MEMORY", "PODS", "AGE")]
    for n in sorted(nodes, key=lambda n: str(n["metadata"]["name"])):
        alloc = (n.get("status") or {}).get("allocatable") or {}
        rows.append((n["metadata"]["name"], _ready(n),
                     ((n["metadata"].get("labels") or {}).get(ZONE_LABEL) or "<none>"),
                     str(alloc.get("cpu", "<none>")), str(alloc.get("memory", "<none>")),
                     str(alloc.get("pods", "<none>")), _age(n, now)))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        click.echo("   ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
