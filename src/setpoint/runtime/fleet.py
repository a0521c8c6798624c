"""The fleet: one :class:`~setpoint.runtime.manager.Manager` per member cluster, driven by Secrets.

::

    fleet = Fleet(host_client, namespace="fleet", label_selector="setpoint.dev/member=true")

    @fleet.for_members
    def setup(member: Member) -> None:         # runs once per member (and again after a rotation)
        Builder(member.manager).for_(CONFIG_MAP).complete(reconciler_for(member))

    await fleet.run()

The fleet watches the Secrets of ``namespace`` matching ``label_selector`` on the *host* cluster.
Each holds a member's kubeconfig, in one of two shapes:

* cluster-api's: a Secret ``<cluster>-kubeconfig`` with the kubeconfig under the key ``value``
  (the member is named by the ``cluster.x-k8s.io/cluster-name`` label, else the Secret's name
  without ``-kubeconfig``);
* a plain one (multicluster-runtime's kubeconfig provider): the key ``kubeconfig``; the member is
  named after the Secret.

A Secret created starts that member's manager (with every setup function registered with
:meth:`Fleet.for_members`); a Secret whose kubeconfig changes (rotated credentials, a new
endpoint) stops that one manager and starts a new one; a Secret deleted stops its manager and
drops every reference to it. Other members' informers, caches and queues are never touched: one
manager per member, no shared state. A change that leaves the kubeconfig's bytes as they were
(labels, annotations) restarts nothing. A rotated kubeconfig is tried before the running manager is
stopped: one that does not parse or whose server does not answer leaves the running manager as it
was (reported, and retried).

A member that cannot be reached (its discovery does not answer within ``probe_timeout``) is
tried again with per-member exponential back-off (``retry_base`` doubling up to ``retry_max``)
while the others run; what happened to each member is recorded as Events on its Secret
(``kubectl get events --field-selector involvedObject.name=<secret>``; reasons
``MemberReady``, ``MemberUnreachable``, ``MemberNotSynced``, ``InvalidKubeconfig``, ``SetupFailed``,
``MemberStopped``),
kept in :meth:`Fleet.status`, and exported as ``setpoint_fleet_member_ready{cluster}``.

Any code (a member's reconciler included) reaches any running member by name:
``fleet.cluster("east").client`` writes there, ``fleet.cluster("east").cache`` reads its
informers (``await fleet.cluster("east").cache.get_informer(kind)`` starts one if its
controllers do not watch that kind).

The shape follows ByteDance's controller-per-member pattern and controller-runtime's
multicluster-runtime (a provider engaging and disengaging clusters from kubeconfig Secrets).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import functools
import hashlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from setpoint.apimachinery.types import Obj
from setpoint.runtime import metrics as m
from setpoint.runtime import ratelimit
from setpoint.runtime.background import Background
from setpoint.runtime.client import Client
from setpoint.runtime.config import Config, ConfigError
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.http_client import HTTPClient
from setpoint.runtime.informer import Informer
from setpoint.runtime.manager import Manager
from setpoint.runtime.resource import Kind
from setpoint.runtime.workqueue import ShutDown, WorkQueue

log = logging.getLogger(__name__)

SECRET = Kind("v1", "Secret")
_NAMESPACE = Kind("v1", "Namespace")
#: the label cluster-api puts on a cluster's kubeconfig Secret
CAPI_CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
#: the keys a kubeconfig is read from, in order: cluster-api's, then the plain one
KUBECONFIG_KEYS = ("value", "kubeconfig")
_BY_MEMBER = "fleet-member"

#: what a setup function gets: the member (name, client, manager); it may be async
Setup = Callable[["Member"], Awaitable[None] | None]
#: makes the client of a member from its kubeconfig
Connect = Callable[[Config], Client]


def member_name(secret: Obj) -> str:
    """The member cluster a kubeconfig Secret stands for (see the module docstring)."""
    meta = secret["metadata"]
    name: str = meta["name"]
    data = secret.get("data") or {}
    if "value" in data and "kubeconfig" not in data:
        label = (meta.get("labels") or {}).get(CAPI_CLUSTER_NAME_LABEL)
        if label:
            return str(label)
        if name.endswith("-kubeconfig") and len(name) > len("-kubeconfig"):
            return name[: -len("-kubeconfig")]
    return name


def kubeconfig_of(secret: Obj) -> bytes | None:
    """The kubeconfig a Secret holds (decoded), or None if it holds none."""
    data = secret.get("data") or {}
    for key in KUBECONFIG_KEYS:
        value = data.get(key)
        if value:
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                return None
    return None


@dataclass
class MemberStatus:
    """The last thing the fleet knows about a member (also recorded as an Event on its Secret)."""

    ready: bool
    reason: str
    message: str
    since: float = field(default_factory=time.time)
    attempts: int = 0


@dataclass(eq=False)
class Member:
    """A running member cluster: its client and its manager (with its cache)."""

    name: str
    secret: str
    digest: str
    client: Client
    manager: Manager
    started_at: float = field(default_factory=time.monotonic)
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def cache(self) -> Any:
        """The member's shared informer cache (:class:`~setpoint.runtime.cache.Cache`)."""
        return self.manager.cache


class Fleet(Background):
    """One manager per member cluster named by kubeconfig Secrets on a host cluster."""

    task_name = "fleet"

    def __init__(self, host: Client, *, namespace: str, label_selector: str | None = None,
                 connect: Connect | None = None, manager_options: Mapping[str, Any] | None = None,
                 probe_timeout: float = 5.0, ready_timeout: float = 60.0, retry_base: float = 1.0,
                 retry_max: float = 300.0, workers: int = 8, component: str = "setpoint-fleet") -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.host = host
        self.namespace = namespace
        self.label_selector = label_selector
        self.probe_timeout = probe_timeout
        self.ready_timeout = ready_timeout
        self.manager_options = dict(manager_options or {})
        self.recorder = EventRecorder(host, component)
        self._connect: Connect = connect or HTTPClient
        self._setups: list[Setup] = []
        self._workers_wanted = workers
        self._retry = ratelimit.ItemExponential(retry_base, retry_max)
        self._members: dict[str, Member] = {}
        self._status: dict[str, MemberStatus] = {}
        self._last_secret: dict[str, Obj] = {}  # the last Secret seen per member, to record on once deleted
        self._secrets: Informer | None = None
        self._queue: WorkQueue[str] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._watchers: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        #: how many managers each member has had (1 until its Secret is rotated)
        self.generations: dict[str, int] = {}

    # -- registering ----------------------------------------------------------------------------

    def for_members(self, setup: Setup) -> Setup:
        """Register ``setup(member)``, run for every member's new manager before it starts (usable
        as a decorator). Registered while the fleet runs, it applies to managers started after."""
        self._setups.append(setup)
        return setup

    # -- reading --------------------------------------------------------------------------------

    def cluster(self, name: str) -> Member:
        """The running member ``name``; :class:`KeyError` (naming the running ones) if there is none."""
        member = self._members.get(name)
        if member is None:
            raise KeyError(f"no running member cluster named {name!r} (running: {sorted(self._members) or 'none'})")
        return member

    @property
    def members(self) -> dict[str, Member]:
        """The running members by name."""
        return dict(self._members)

    def status(self, name: str) -> MemberStatus | None:
        """What the fleet last recorded about ``name`` (None: nothing yet)."""
        return self._status.get(name)

    async def wait_member(self, name: str, *, timeout: float = 30.0) -> Member:
        """Wait until ``name`` runs and its controllers' caches have synced."""
        deadline = time.monotonic() + timeout
        while True:
            member = self._members.get(name)
            if member is not None and member.manager.ready:
                return member
            if time.monotonic() >= deadline:
                raise TimeoutError(f"member {name!r} not ready after {timeout} s: {self._status.get(name)}")
            await asyncio.sleep(0.02)

    # -- running --------------------------------------------------------------------------------

    async def run(self) -> None:
        """Watch the Secrets and run the members until :meth:`stop`; then stop every member."""
        self._stop.clear()
        queue: WorkQueue[str] = WorkQueue("fleet", rate_limiter=self._retry)
        self._queue = queue
        informer = Informer(self.host, SECRET, namespace=self.namespace, label_selector=self.label_selector,
                            indexers={_BY_MEMBER: lambda s: (member_name(s),)})
        self._secrets = informer
        informer.add_handler(_SecretHandler(lambda secret: queue.add(member_name(secret))))
        informer.start()
        self._workers = [asyncio.create_task(self._worker(queue), name=f"fleet worker {i}")
                         for i in range(self._workers_wanted)]
        try:
            await self._stop.wait()
        finally:
            queue.shut_down()
            await informer.stop()
            for task in (*self._workers, *self._watchers):
                task.cancel()
            await asyncio.gather(*self._workers, *self._watchers, return_exceptions=True)
            self._workers = []
            self._watchers.clear()
            await asyncio.gather(*(self._stop_member(name, None, record=False) for name in list(self._members)),
                                 return_exceptions=True)
            self._secrets = None
            self._queue = None

    # -- the work loop --------------------------------------------------------------------------

    async def _worker(self, queue: WorkQueue[str]) -> None:
        while True:
            try:
                name = await queue.get()
            except ShutDown:
                return
            try:
                await self._sync(name, queue)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("fleet: syncing member %s failed", name)
                queue.add_rate_limited(name)
            finally:
                queue.done(name)

    def _secret_of(self, name: str) -> Obj | None:
        if self._secrets is None:
            return None
        found = self._secrets.store.by_index(_BY_MEMBER, name)
        if len(found) > 1:
            log.warning("fleet: Secrets %s all name member %s; using %s", sorted(s["metadata"]["name"] for s in found),
                        name, found[0]["metadata"]["name"])
        return found[0] if found else None

    async def _sync(self, name: str, queue: WorkQueue[str]) -> None:
        """Bring member ``name`` in line with its Secret: start, re-create, stop, or leave alone."""
        secret = self._secret_of(name)
        current = self._members.get(name)
        if secret is None:
            queue.forget(name)
            self._status.pop(name, None)
            self.generations.pop(name, None)
            with contextlib.suppress(KeyError):
                m.fleet_member_ready.remove(name)
            last = self._last_secret.pop(name, None)
            if current is not None:
                await self._stop_member(name, last, record=True)
            return
        self._last_secret[name] = secret
        raw = kubeconfig_of(secret)
        if raw is None:
            queue.forget(name)
            await self._report(name, secret, False, "InvalidKubeconfig",
                               f"Secret {secret['metadata']['name']} has no kubeconfig under "
                               f"{' or '.join(repr(k) for k in KUBECONFIG_KEYS)} (base64 data)")
            return
        digest = hashlib.sha256(raw).hexdigest()
        if current is not None and current.digest == digest and current.task is not None \
                and not current.task.done():
            return  # labels or annotations changed, not the kubeconfig
        try:
            config = Config.from_kubeconfig_dict(yaml.safe_load(raw) or {})
        except (ConfigError, yaml.YAMLError, AttributeError, TypeError) as e:
            queue.forget(name)
            await self._report(name, secret, False, "InvalidKubeconfig", f"cannot use the kubeconfig: {e}")
            return
        client = self._connect(config)
        try:
            await asyncio.wait_for(client.resource(_NAMESPACE), self.probe_timeout)
        except asyncio.CancelledError:
            await _close_client(client)
            raise
        except Exception as e:  # any failure to reach it is reported, then retried
            await _close_client(client)
            delay = queue.rate_limiter.when(name)
            queue.add_after(name, delay)
            message = f"cannot reach {config.host}: {_describe(e)}; retrying in {delay:.1f} s"
            await self._report(name, secret, False, "MemberUnreachable", message, attempt=True)
            return
        queue.forget(name)
        rotated = current is not None
        if current is not None:  # the new kubeconfig works: now the old manager goes
            await self._stop_member(name, None, record=False)
        manager = Manager(client, **self.manager_options)
        member = Member(name, secret["metadata"]["name"], digest, client, manager)
        try:
            for setup in list(self._setups):
                outcome = setup(member)
                if inspect.isawaitable(outcome):
                    await outcome
        except Exception as e:
            await _close_client(client)
            await self._report(name, secret, False, "SetupFailed", f"a setup function failed: {e!r}")
            raise  # retried with back-off
        self._members[name] = member
        self.generations[name] = self.generations.get(name, 0) + 1
        member.task = manager.start()
        member.task.add_done_callback(functools.partial(self._manager_ended, name, member))
        watcher = asyncio.create_task(self._await_ready(member, secret, config.host, rotated),
                                      name=f"fleet: {name} ready")
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)

    async def _await_ready(self, member: Member, secret: Obj, host: str, rotated: bool) -> None:
        try:
            await asyncio.wait_for(member.manager.wait_ready(), self.ready_timeout)
        except TimeoutError:
            if self._members.get(member.name) is member:
                await self._report(member.name, secret, False, "MemberNotSynced",
                                   f"{host}: caches not synced after {self.ready_timeout:g} s: "
                                   f"{', '.join(member.manager._unsynced())}")
            return
        if self._members.get(member.name) is member:
            verb = "restarted with the rotated kubeconfig" if rotated else "started"
            await self._report(member.name, secret, True, "MemberReady",
                               f"{host}: manager {verb}, {len(member.manager.controllers)} controller(s) synced")

    def _manager_ended(self, name: str, member: Member, task: asyncio.Task[None]) -> None:
        """A member's manager returned by itself (lost leadership, failed): build it again later."""
        if task.cancelled() or self._members.get(name) is not member or self._stop.is_set():
            return
        error = task.exception()
        log.warning("fleet: the manager of member %s ended%s; starting it again", name,
                    f": {error!r}" if error else "")
        del self._members[name]
        self._close_later(member.client)
        if self._queue is not None:
            self._queue.add_rate_limited(name)

    def _close_later(self, client: Client) -> None:
        task = asyncio.create_task(_close_client(client))
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    async def _stop_member(self, name: str, secret: Obj | None, *, record: bool) -> None:
        member = self._members.pop(name, None)
        if member is None:
            return
        try:
            await member.manager.close()
        except Exception as e:  # a manager that failed still has to let go
            log.warning("fleet: the manager of member %s stopped with %r", name, e)
        await _close_client(member.client)
        member.task = None
        if record and secret is not None:
            await self._report(name, secret, False, "MemberStopped",
                               f"Secret {secret['metadata']['name']} deleted: manager stopped", keep=False)

    async def _report(self, name: str, secret: Obj, ready: bool, reason: str, message: str, *,
                      attempt: bool = False, keep: bool = True) -> None:
        previous = self._status.get(name)
        attempts = (previous.attempts + 1 if previous is not None and not previous.ready else 1) if attempt else 0
        if keep:
            self._status[name] = MemberStatus(ready, reason, message, attempts=attempts)
            m.fleet_member_ready.labels(name).set(1 if ready else 0)
        (log.info if ready else log.warning)("fleet: member %s: %s: %s", name, reason, message)
        if ready:
            await self.recorder.normal(secret, reason, message)
        else:
            await self.recorder.warning(secret, reason, message)


class _SecretHandler:
    """The Secrets informer's handler: any change queues the member it names."""

    __slots__ = ("enqueue",)

    def __init__(self, enqueue: Callable[[Obj], None]) -> None:
        self.enqueue = enqueue

    def on_add(self, obj: Obj) -> None:
        self.enqueue(obj)

    def on_update(self, old: Obj, new: Obj) -> None:
        self.enqueue(new)
        if member_name(old) != member_name(new):
            self.enqueue(old)

    def on_delete(self, obj: Obj) -> None:
        self.enqueue(obj)


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "no answer to discovery"
    return str(error) or type(error).__name__


async def _close_client(client: Client) -> None:
    close = getattr(client, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await close()


__all__ = ["CAPI_CLUSTER_NAME_LABEL", "KUBECONFIG_KEYS", "Fleet", "Member", "MemberStatus", "Setup",
           "kubeconfig_of", "member_name"]
