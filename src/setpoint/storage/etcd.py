"""etcd v3 backend: the store is an etcd cluster, spoken to over gRPC.

Mapping, as kube-apiserver's etcd3 store and kine lay it out:

* key ``k`` is etcd key ``prefix + k`` (UTF-8); setpoint's keys already begin with ``/registry/``,
  so with the default empty prefix ``etcdctl get --prefix /registry/configmaps/`` finds them;
* a revision is etcd's revision (``mod_revision`` is the resourceVersion), less ``revision_offset``
  (0 but in tests that share one cluster and want their revisions to start at 0);
* ``create`` is ``txn(create_revision(k) == 0, put, else get)``; ``update`` and ``delete`` are
  ``txn(mod_revision(k) == expected, put/delete, else get)`` (unconditional ones compare
  ``create_revision(k) > 0``: the key must exist), each one etcd revision, a failed one none;
* ``range`` is one etcd range at a revision with ``limit`` (its ``count`` gives what remains);
* ``watch`` is an etcd watch from ``start_revision + 1`` with ``prev_kv`` and ``progress_notify``;
  a progress notification is an empty batch that moves :attr:`EtcdWatch.revision`;
* ``compact`` is etcd's compaction (of the whole keyspace, as kube-apiserver's); the automatic
  compactors of several servers take turns through ``compact_rev_key``
  (:meth:`EtcdStorage.claim_compaction`); etcd's "required revision has been compacted" is
  :class:`Compacted`, a watch etcd cancels for it ends with :class:`WatchExpired`.

etcd does not tell its compact revision outright: the store learns it when it opens (a watch from
revision 1 is refused with it) and keeps it up to date from its own compactions and from every
"compacted" answer, so :meth:`EtcdStorage.watch` can refuse a compacted start at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import time
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final

import grpc
import grpc.aio
from aetcd import rpc

from .compactor import DEFAULT_COMPACT_INTERVAL, DEFAULT_COMPACT_WINDOW, AutoCompactor
from .interface import (
    Compacted,
    Conflict,
    Event,
    EventType,
    FutureRevision,
    InvalidInput,
    KeyExists,
    KeyNotFound,
    KeyValue,
    RangeResult,
    StorageError,
    StoreClosed,
    WatchExpired,
)
from .keys import check_key, check_prefix, check_revision, check_value, range_bounds
from .watch import DEFAULT_WATCH_BUFFER

log = logging.getLogger(__name__)

#: Seconds one etcd call may take before it fails with :class:`StorageError`.
DEFAULT_REQUEST_TIMEOUT: Final = 30.0
#: Seconds to wait for the cluster when the store opens.
DEFAULT_DIAL_TIMEOUT: Final = 10.0

#: The key whose version orders the compactions of the servers sharing a cluster (kube-apiserver's).
COMPACT_REV_KEY: Final = "compact_rev_key"

_COMPACTED: Final = "required revision has been compacted"
_FUTURE: Final = "required revision is a future revision"
_TOO_LARGE: Final = "request is too large"
_EQUAL: Final = rpc.Compare.CompareResult.Value("EQUAL")
_GREATER: Final = rpc.Compare.CompareResult.Value("GREATER")
_CREATE: Final = rpc.Compare.CompareTarget.Value("CREATE")
_MOD: Final = rpc.Compare.CompareTarget.Value("MOD")
_VERSION: Final = rpc.Compare.CompareTarget.Value("VERSION")
_DELETE_EVENT: Final = rpc.Event.EventType.Value("DELETE")
#: Codes of a call whose member went away (or broke the stream mid-way: grpc's "Internal error from
#: Core" when a member is killed): sent again, to another member when there is one (clientv3's
#: watches retry both, as its ``isHaltErr`` says).
_MEMBER_GONE: Final = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL})
#: Seconds one sending of the revision probe (every consistent read asks it) may take before it
#: is sent again: etcd answers it in a millisecond unless its member is stuck without a leader.
_PROBE_ATTEMPT: Final = 1.0
#: The same for a compare-and-swap write: a follower holds a write it forwarded to a leader that
#: died until etcd's request timeout (6 s with the election timeout of 0.5 s) although the new
#: leader takes it in a second. Sent again, it fails its compare if the first one was applied
#: after all, and the caller recognises its own write (as after a lost answer).
_WRITE_ATTEMPT: Final = 2.0
#: Watches ask etcd to end them when their member has no leader (as kube's clientv3 watches do).
_HAS_LEADER: Final = (("hasleader", "true"),)
#: Seconds between attempts to re-establish a broken watch stream: first, most.
_RETRY_FIRST: Final = 0.05
_RETRY_MAX: Final = 1.0
#: etcd before these versions answers a progress request at once, ahead of events still queued for the
#: watch (etcd issue 15220): its answer is trusted only from a watch that received nothing for
#: :data:`UNORDERED_PROGRESS_QUIET` seconds (longer than etcd's 100 ms catch-up loop of a new watch).
ORDERED_PROGRESS: Final = {3: {4: 25, 5: 8}}
UNORDERED_PROGRESS_QUIET: Final = 0.2
#: etcd's "every key from here on" range end.
_ALL_KEYS: Final = b"\x00"


def _bytes_end(prefix: bytes) -> bytes:
    """The smallest key above every key starting with ``prefix`` (etcd's prefix range end)."""
    end = bytearray(prefix)
    while end:
        if end[-1] < 0xFF:
            end[-1] += 1
            return bytes(end)
        end.pop()
    return _ALL_KEYS


def ordered_progress(version: str) -> bool:
    """Whether etcd ``version`` sends a requested progress notification in order with the events
    (3.4.25, 3.5.8, 3.6 and later)."""
    try:
        major, minor, patch = (int(p) for p in version.split("-")[0].split(".")[:3])
    except ValueError:
        return False
    if major != 3:
        return major > 3
    fixed = ORDERED_PROGRESS[3].get(minor)
    return minor > 5 if fixed is None else patch >= fixed


def parse_url(url: str) -> tuple[list[str], dict[str, str]]:
    """``etcd://host:port[,host:port...][?prefix=P&cafile=F&certfile=F&keyfile=F]``: the endpoints
    and the options."""
    scheme, sep, rest = url.partition("://")
    if scheme != "etcd" or not sep:
        raise ValueError(f"not an etcd URL: {url!r}")
    hosts, _, query = rest.partition("?")
    endpoints = [h for h in hosts.rstrip("/").split(",") if h]
    if not endpoints:
        raise ValueError(f"etcd URL needs at least one host:port: {url!r}")
    for endpoint in endpoints:
        host, colon, port = endpoint.rpartition(":")
        if not colon or not host or not port.isdigit():
            raise ValueError(f"etcd endpoint must be host:port, not {endpoint!r}")
    known = {"prefix", "cafile", "certfile", "keyfile"}
    options: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if name not in known:
            raise ValueError(f"unknown etcd URL option {name!r} (known: {', '.join(sorted(known))})")
        options[name] = value
    return endpoints, options


def _target(endpoints: list[str], tls: bool) -> tuple[str, str | None]:
    """A gRPC target for the endpoints, and the name TLS verifies the members by (None: the
    target's own).

    Every member forms one channel, which balances and fails over between them: host names are
    resolved here, once, to their addresses (IPv4 ones when there are any: one channel holds one
    family). Over TLS the members are then verified as the one host name the endpoints share;
    endpoints with several distinct host names over TLS cannot share a channel (it verifies one
    name), so only the first one is used then.
    """
    addresses: dict[int, list[str]] = {4: [], 6: []}
    names: set[str] = set()
    literal = False
    for endpoint in endpoints:
        host, _, port = endpoint.rpartition(":")
        host = host.strip("[]")
        try:
            ips = [ipaddress.ip_address(host)]
            literal = True
        except ValueError:
            names.add(host)
            try:
                infos = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
            except OSError as exc:
                log.warning("etcd endpoint %s does not resolve (%s): left out", endpoint, exc)
                continue
            ips = [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos]
        for ip in ips:
            address = f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"
            if address not in addresses[ip.version]:
                addresses[ip.version].append(address)
    if tls and (len(names) > 1 or (names and literal)):
        log.warning("etcd endpoints over TLS name several hosts (or names and addresses): only %s is used",
                    endpoints[0])
        return f"dns:///{endpoints[0]}", None
    version = 4 if addresses[4] else 6
    if addresses[4] and addresses[6]:
        log.warning("etcd endpoints mix IPv4 and IPv6: the IPv6 ones (%s) are left out", ",".join(addresses[6]))
    if not addresses[version]:  # nothing resolves now: let gRPC resolve the first one as it retries
        return f"dns:///{endpoints[0]}", None
    return f"ipv{version}:{','.join(addresses[version])}", (names.pop() if tls and names else None)


class EtcdStorage:
    """A :class:`~setpoint.storage.interface.Storage` on an etcd v3 cluster.

    Open it with ``await EtcdStorage.open(endpoints, ...)`` (or ``open_storage("etcd://...")``)
    inside a running event loop. ``ca_file``/``cert_file``/``key_file`` turn on TLS (as
    kube-apiserver's ``--etcd-cafile``/``--etcd-certfile``/``--etcd-keyfile``).
    ``relative_revisions`` makes revisions count from the cluster's revision at open (tests that
    share one cluster, each under its own prefix).
    """

    def __init__(
        self,
        endpoints: list[str],
        *,
        prefix: str = "",
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        watch_buffer: int = DEFAULT_WATCH_BUFFER,
        compact_interval: float = DEFAULT_COMPACT_INTERVAL,
        compact_window: float = DEFAULT_COMPACT_WINDOW,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        relative_revisions: bool = False,
    ) -> None:
        if not endpoints:
            raise ValueError("etcd needs at least one endpoint")
        if watch_buffer < 1:
            raise ValueError("watch buffer must hold at least one event")
        if (cert_file is None) != (key_file is None):
            raise ValueError("a client certificate needs both cert_file and key_file")
        self.endpoints = list(endpoints)
        self.prefix = prefix
        self._prefix = prefix.encode("utf-8")
        self._timeout = request_timeout
        self._watch_buffer = watch_buffer
        self._relative = relative_revisions
        #: Subtracted from every etcd revision (set at open when revisions are relative).
        self._offset = 0
        self._compact = 0
        self._closed = False
        self._watches: set[EtcdWatch] = set()
        #: The revision probe in flight, and the one callers that came after it started wait for.
        self._probe: asyncio.Future[int] | None = None
        self._next_probe: asyncio.Future[int] | None = None
        self._probe_tasks: set[asyncio.Task[None]] = set()
        options = [
            ("grpc.max_receive_message_length", -1),
            ("grpc.max_send_message_length", -1),
            ("grpc.lb_policy_name", "round_robin"),
            ("grpc.keepalive_time_ms", 30_000),
        ]
        target, tls_name = _target(self.endpoints, bool(ca_file or cert_file))
        if tls_name is not None:
            options.append(("grpc.ssl_target_name_override", tls_name))
        if ca_file or cert_file:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=Path(ca_file).read_bytes() if ca_file else None,
                private_key=Path(key_file).read_bytes() if key_file else None,
                certificate_chain=Path(cert_file).read_bytes() if cert_file else None,
            )
            self._channel: Any = grpc.aio.secure_channel(target, credentials, options=options)
        else:
            self._channel = grpc.aio.insecure_channel(target, options=options)
        self._kv: Any = rpc.KVStub(self._channel)
        self._watch_stub: Any = rpc.WatchStub(self._channel)
        self._maintenance: Any = rpc.MaintenanceStub(self._channel)
        #: The version of the member that answered at open, and whether its requested progress
        #: notifications come in order with the events (see :data:`ORDERED_PROGRESS`).
        self.version = ""
        self.ordered_progress = False
        #: The version of ``compact_rev_key`` this store last saw (kube's "compact time").
        self._compact_version = 0
        self._compactor = AutoCompactor(self, interval=compact_interval, window=compact_window,
                                        claim=self.claim_compaction)

    @classmethod
    async def open(
        cls, endpoints: list[str], *, dial_timeout: float = DEFAULT_DIAL_TIMEOUT, **options: Any
    ) -> EtcdStorage:
        """Connect, learn the current and compact revisions, start the compactor."""
        store = cls(endpoints, **options)
        try:
            await store._start(dial_timeout)
        except BaseException:
            await store.close()
            raise
        return store

    async def _start(self, dial_timeout: float) -> None:
        try:
            header = (await self._call(self._kv.Range, self._rev_probe(), timeout=dial_timeout)).header
        except StorageError as exc:
            raise StorageError(f"cannot reach etcd at {', '.join(self.endpoints)}: {exc}") from None
        if self._relative:
            self._offset = header.revision
        self.version = (await self._call(self._maintenance.Status, rpc.StatusRequest())).version
        self.ordered_progress = ordered_progress(self.version)
        if not self.ordered_progress:
            log.info("etcd %s may send a requested progress notification ahead of events (fixed in 3.4.25 "
                     "and 3.5.8): progress is asked only of a watch quiet for %g s", self.version,
                     UNORDERED_PROGRESS_QUIET)
        self._compact = await self._probe_compact_revision()
        self._compactor.start()

    # --- reads --------------------------------------------------------------

    async def current_revision(self) -> int:
        """etcd's revision, read after this call began (a linearizable range).

        Every consistent read asks it, so concurrent callers share probes: a caller joins the
        probe that will be sent once the one in flight (sent before the caller came, so perhaps
        before a write it must see) has returned. Under load that is one etcd round trip per
        round trip, not one per request.
        """
        self._check_open()
        if self._probe is None:
            return await asyncio.shield(self._send_probe(asyncio.get_running_loop().create_future()))
        if self._next_probe is None:
            self._next_probe = asyncio.get_running_loop().create_future()
            self._next_probe.add_done_callback(_retrieve)
        return await asyncio.shield(self._next_probe)

    def _send_probe(self, future: asyncio.Future[int]) -> asyncio.Future[int]:
        self._probe = future
        future.add_done_callback(_retrieve)
        task = asyncio.get_running_loop().create_task(self._run_probe(future), name="etcd revision probe")
        self._probe_tasks.add(task)
        task.add_done_callback(self._probe_tasks.discard)
        return future

    async def _run_probe(self, future: asyncio.Future[int]) -> None:
        try:
            response = await self._call(self._kv.Range, self._rev_probe(), attempt=_PROBE_ATTEMPT)
            if not future.done():
                future.set_result(int(response.header.revision) - self._offset)
        except BaseException as exc:
            if not future.done():
                future.set_exception(exc if isinstance(exc, Exception) else StoreClosed("store is closed"))
            if not isinstance(exc, Exception):
                raise
        finally:
            self._probe = None
            waiting, self._next_probe = self._next_probe, None
            if waiting is not None and not waiting.done():
                if self._closed:
                    waiting.set_exception(StoreClosed("store is closed"))
                else:
                    self._send_probe(waiting)

    async def compact_revision(self) -> int:
        self._check_open()
        return self._compact

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        self._check_open()
        check_key(key)
        check_revision(revision)
        self._check_compacted(revision)
        request = rpc.RangeRequest(key=self._key(key), revision=self._etcd_rev(revision))
        response = await self._read(self._kv.Range, request, revision)
        return self._kv_of(response.kvs[0]) if response.kvs else None

    async def range(
        self,
        prefix: str,
        *,
        limit: int = 0,
        start_after: str | None = None,
        revision: int = 0,
    ) -> RangeResult:
        self._check_open()
        check_prefix(prefix)
        check_revision(limit, "limit")
        check_revision(revision)
        if start_after is not None and not isinstance(start_after, str):
            raise InvalidInput("start_after must be str or None")
        self._check_compacted(revision)
        low, inclusive, high = range_bounds(prefix, start_after)
        key = (self._key(low) or _ALL_KEYS) if inclusive else self._key(low) + b"\x00"
        request = rpc.RangeRequest(
            key=key, range_end=self._end(high), limit=limit, revision=self._etcd_rev(revision)
        )
        response = await self._read(self._kv.Range, request, revision)
        kvs = [self._kv_of(kv) for kv in response.kvs]
        remaining = int(response.count) - len(kvs)
        snapshot = revision or int(response.header.revision) - self._offset
        return RangeResult(kvs, snapshot, bool(response.more) and remaining > 0, max(remaining, 0))

    async def count(self, prefix: str) -> int:
        self._check_open()
        check_prefix(prefix)
        request = rpc.RangeRequest(key=self._key(prefix) or _ALL_KEYS, range_end=self._prefix_end(prefix), count_only=True)
        return int((await self._call(self._kv.Range, request)).count)

    # --- writes -------------------------------------------------------------

    async def create(self, key: str, value: bytes) -> KeyValue:
        self._check_open()
        check_key(key)
        check_value(value)
        k = self._key(key)
        response, resent = await self._txn(
            [rpc.Compare(key=k, target=_CREATE, result=_EQUAL, create_revision=0)],
            rpc.RequestOp(request_put=rpc.PutRequest(key=k, value=value)),
            k,
        )
        if not response.succeeded:
            current = self._current(response, key)
            if resent and current.value == value and current.create_revision == current.mod_revision:
                return current  # the first attempt was applied before its connection broke
            raise KeyExists(current)
        rev = int(response.header.revision) - self._offset
        return KeyValue(key, value, rev, rev)

    async def update(self, key: str, value: bytes, expected_mod_revision: int) -> KeyValue:
        self._check_open()
        check_key(key)
        check_value(value)
        check_revision(expected_mod_revision, "expected_mod_revision")
        k = self._key(key)
        response, resent = await self._txn(
            [self._expect(k, expected_mod_revision)],
            rpc.RequestOp(request_put=rpc.PutRequest(key=k, value=value, prev_kv=True)),
            k,
        )
        if not response.succeeded:
            current = self._current(response, key)
            if resent and current.value == value and current.mod_revision > expected_mod_revision:
                return current  # the first attempt was applied before its connection broke
            raise Conflict(current)
        prev = response.responses[0].response_put.prev_kv
        rev = int(response.header.revision) - self._offset
        return KeyValue(key, value, int(prev.create_revision) - self._offset, rev)

    async def delete(self, key: str, expected_mod_revision: int = 0) -> KeyValue:
        self._check_open()
        check_key(key)
        check_revision(expected_mod_revision, "expected_mod_revision")
        k = self._key(key)
        response, _ = await self._txn(
            [self._expect(k, expected_mod_revision)],
            rpc.RequestOp(request_delete_range=rpc.DeleteRangeRequest(key=k, prev_kv=True)),
            k,
        )
        if not response.succeeded:
            # KeyNotFound after a resend may be this delete's own first attempt (kube's too).
            raise Conflict(self._current(response, key))
        (prev,) = response.responses[0].response_delete_range.prev_kvs
        rev = int(response.header.revision) - self._offset
        return KeyValue(key, prev.value, int(prev.create_revision) - self._offset, rev)

    # --- watch, compaction, lifecycle ---------------------------------------

    def watch(self, prefix: str, start_revision: int) -> EtcdWatch:
        self._check_open()
        check_prefix(prefix)
        check_revision(start_revision, "start_revision")
        if start_revision < self._compact:
            raise Compacted(start_revision, self._compact)
        watch = EtcdWatch(self, prefix, start_revision)
        self._watches.add(watch)
        return watch

    async def compact(self, revision: int) -> None:
        self._check_open()
        check_revision(revision)
        current = await self.current_revision()
        if revision > current:
            raise FutureRevision(revision, current)
        if revision <= self._compact:
            raise Compacted(revision, self._compact)
        request = rpc.CompactionRequest(revision=revision + self._offset)
        try:
            await self._call(self._kv.Compact, request)
        except Compacted:
            await self._refresh_compact()
            raise Compacted(revision, self._compact) from None
        self._compact = max(self._compact, revision)

    async def claim_compaction(self, revision: int) -> bool:
        """Whether this store compacts to ``revision`` this round, as kube-apiserver's compactors
        share one etcd: a transaction compares the version of :data:`COMPACT_REV_KEY` (at the root
        of the keyspace, outside any prefix) with the one this store last saw; if equal it writes
        the revision there (the version moves on) and wins, else it learns the version (and the
        revision another server compacted to) and leaves this round to that server."""
        self._check_open()
        key = COMPACT_REV_KEY.encode()
        put = rpc.PutRequest(key=key, value=str(revision + self._offset).encode())
        request = rpc.TxnRequest(
            compare=[rpc.Compare(key=key, target=_VERSION, result=_EQUAL, version=self._compact_version)],
            success=[rpc.RequestOp(request_put=put)],
            failure=[rpc.RequestOp(request_range=rpc.RangeRequest(key=key))],
        )
        response = await self._call(self._kv.Txn, request)
        if response.succeeded:
            self._compact_version += 1
            return True
        kvs = response.responses[0].response_range.kvs
        self._compact_version = int(kvs[0].version) if kvs else 0
        with contextlib.suppress(IndexError, ValueError):
            self._compact = max(self._compact, int(kvs[0].value) - self._offset)
        return False

    async def close(self) -> None:
        """Stop the compactor, end every watch with :class:`StoreClosed`, close the channel."""
        if self._closed:
            return
        self._closed = True
        await self._compactor.stop()
        for task in list(self._probe_tasks):
            task.cancel()
        for watch in list(self._watches):
            watch._end(StoreClosed("store is closed"))
        self._watches.clear()
        await self._channel.close()

    # --- internals ----------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("store is closed")

    def _check_compacted(self, revision: int) -> None:
        if revision and revision < self._compact:
            raise Compacted(revision, self._compact)

    def _key(self, key: str) -> bytes:
        return self._prefix + key.encode("utf-8")

    def _end(self, high: str | None) -> bytes:
        """The etcd range end for the bound ``high`` (None: the end of the store's prefix)."""
        if high is not None:
            return self._key(high)
        return _bytes_end(self._prefix) if self._prefix else _ALL_KEYS

    def _prefix_end(self, prefix: str) -> bytes:
        full = self._key(prefix)
        return _bytes_end(full) if full else _ALL_KEYS

    def _etcd_rev(self, revision: int) -> int:
        return revision + self._offset if revision else 0

    def _rev_probe(self) -> Any:
        """A range that returns nothing but the header (its revision)."""
        return rpc.RangeRequest(key=self._prefix + b"\x00", count_only=True)

    def _kv_of(self, kv: Any) -> KeyValue:
        return KeyValue(
            kv.key[len(self._prefix) :].decode("utf-8"),
            kv.value,
            int(kv.create_revision) - self._offset,
            int(kv.mod_revision) - self._offset,
        )

    def _expect(self, k: bytes, expected: int) -> Any:
        if expected:
            return rpc.Compare(key=k, target=_MOD, result=_EQUAL, mod_revision=expected + self._offset)
        return rpc.Compare(key=k, target=_CREATE, result=_GREATER, create_revision=0)

    async def _txn(self, compare: list[Any], success: Any, k: bytes) -> tuple[Any, bool]:
        """The transaction's response, and whether it was sent more than once."""
        request = rpc.TxnRequest(
            compare=compare,
            success=[success],
            failure=[rpc.RequestOp(request_range=rpc.RangeRequest(key=k))],
        )
        return await self._invoke(self._kv.Txn, request, self._timeout, resend=True, attempt=_WRITE_ATTEMPT)

    def _current(self, response: Any, key: str) -> KeyValue:
        """The key's state a failed transaction read (its failure branch)."""
        kvs = response.responses[0].response_range.kvs
        if not kvs:
            raise KeyNotFound(key)
        return self._kv_of(kvs[0])

    async def _read(self, method: Any, request: Any, revision: int) -> Any:
        """A read at ``revision``: etcd's compacted and future-revision errors as ours."""
        try:
            return await self._call(method, request)
        except Compacted:
            await self._refresh_compact()
            raise Compacted(revision, self._compact) from None
        except FutureRevision:
            raise FutureRevision(revision, await self.current_revision()) from None

    async def _call(self, method: Any, request: Any, *, timeout: float | None = None,
                    attempt: float | None = None) -> Any:
        """One unary call; gRPC errors as :class:`StorageError` (subclasses where they match)."""
        response, _ = await self._invoke(method, request, timeout or self._timeout, resend=method is self._kv.Range,
                                         attempt=attempt)
        return response

    async def _invoke(self, method: Any, request: Any, timeout: float, *, resend: bool,
                      attempt: float | None = None) -> tuple[Any, bool]:
        """The call's response, and whether it was sent more than once.

        The call waits (up to the timeout) for a member to be reachable. With ``resend``, a call
        that fails because its member went away (UNAVAILABLE, INTERNAL) is sent again, to another member
        when there is one: reads, and the compare-and-swap transactions, as kube-apiserver's
        etcd3retry client does (a transaction applied before its connection broke then fails its
        compare against its own result, which the caller recognises).

        ``attempt`` bounds each sending (with ``resend``): one that takes longer is sent again. A
        linearizable read or a write a follower takes while the leader changes may wait for etcd's
        own request timeout (5 s + 2 election timeouts) although the new leader would take it at
        once.
        """
        deadline = time.monotonic() + timeout
        backoff = _RETRY_FIRST
        sent = 0
        while True:
            try:
                sent += 1
                left = max(deadline - time.monotonic(), 0.001)
                if resend and attempt is not None and attempt < left:
                    try:
                        return await method(request, timeout=attempt, wait_for_ready=True), sent > 1
                    except grpc.aio.AioRpcError as exc:
                        if exc.code() != grpc.StatusCode.DEADLINE_EXCEEDED or self._closed:
                            raise
                        log.debug("etcd read sent again after %.1f s", attempt)
                        continue
                return await method(request, timeout=left, wait_for_ready=True), sent > 1
            except grpc.aio.AioRpcError as exc:
                if not (resend and exc.code() in _MEMBER_GONE and not self._closed):
                    raise self._error(exc) from None
                if time.monotonic() + backoff > deadline:
                    raise self._error(exc) from None
                log.debug("etcd call sent again: %s", exc.details())
            except asyncio.CancelledError:
                if self._closed:
                    raise StoreClosed("store is closed") from None
                raise
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _RETRY_MAX)

    def _error(self, exc: grpc.aio.AioRpcError) -> StorageError:
        details = exc.details() or ""
        if _COMPACTED in details:
            return Compacted(0, self._compact)
        if _FUTURE in details:
            return FutureRevision(0, 0)
        if _TOO_LARGE in details:
            return InvalidInput(f"etcd refused the request: {details}")
        if self._closed:
            return StoreClosed("store is closed")
        return StorageError(f"etcd: {exc.code().name}: {details}")

    async def _refresh_compact(self) -> None:
        with contextlib.suppress(StorageError):
            self._compact = max(self._compact, await self._probe_compact_revision())

    async def _probe_compact_revision(self) -> int:
        """etcd's compact revision (ours: less the offset, at least 0). Revision 1 readable: none;
        else a watch from revision 1 is cancelled with it."""
        try:
            probe = rpc.RangeRequest(key=self._prefix + b"\x00", count_only=True, revision=1)
            await self._call(self._kv.Range, probe)
            return 0
        except Compacted:
            pass

        async def requests() -> AsyncIterator[Any]:
            create = rpc.WatchCreateRequest(key=self._prefix + b"\x00", start_revision=1)
            yield rpc.WatchRequest(create_request=create)
            await asyncio.Event().wait()  # hold the stream open until it is cancelled

        call = self._watch_stub.Watch(requests(), timeout=self._timeout)
        try:
            while True:
                response = await call.read()
                if response is grpc.aio.EOF:
                    raise StorageError("etcd closed the watch stream")
                if response.compact_revision or response.canceled:
                    return max(0, int(response.compact_revision) - self._offset)
        except grpc.aio.AioRpcError as exc:
            raise self._error(exc) from None
        finally:
            call.cancel()


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a shared probe's error seen (its callers may all have been cancelled meanwhile)."""
    if not future.cancelled():
        future.exception()


class _Retry(Exception):
    """A watch stream ended in a way a new stream may cure."""


class EtcdWatch:
    """One etcd watch (implements :class:`~setpoint.storage.interface.Watch`).

    A task reads the gRPC stream into a buffer; once ``watch_buffer`` events wait there it stops
    reading, and gRPC's flow control holds etcd back (as kube-apiserver's etcd3 watcher does):
    a slow reader is not expired here, etcd keeps its events. Batches are one etcd response each;
    an empty batch is a progress notification: every matching event up to :attr:`revision` has
    been handed out.
    """

    def __init__(self, store: EtcdStorage, prefix: str, start_revision: int) -> None:
        self._store = store
        self.prefix = prefix
        #: Every matching event up to this revision has been handed out.
        self.revision = start_revision
        #: Batches not handed out yet, each with the revision it brings the watch to.
        self._buffer: list[tuple[list[Event], int]] = []
        self._buffered = 0
        #: How far the received batches reach.
        self._received = start_revision
        self._error: BaseException | None = None
        self._closed = False
        self._waiter: asyncio.Future[None] | None = None
        self._progress: asyncio.Queue[None] = asyncio.Queue()
        self._space = asyncio.Event()
        self._space.set()
        self._call: Any = None
        #: When the stream was (re)opened or last received something (monotonic).
        self._active = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._run(start_revision), name="etcd watch")

    def __aiter__(self) -> EtcdWatch:
        return self

    async def __anext__(self) -> list[Event]:
        while True:
            if self._closed:
                raise StopAsyncIteration
            if self._error is not None:
                raise self._error
            if self._buffer:
                batch, self.revision = self._buffer.pop(0)
                self._buffered -= len(batch)
                if self._buffered < self._store._watch_buffer:
                    self._space.set()
                return batch
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None

    def request_progress(self) -> None:
        """Ask etcd for a progress notification (an empty batch at its current revision); etcd
        sends nothing while the watch catches up (callers ask again).

        etcd before 3.4.25 and 3.5.8 answers at once, even ahead of events it still holds for this
        watch: there the request is dropped unless the stream has received nothing (and was not
        (re)opened) for :data:`UNORDERED_PROGRESS_QUIET` seconds, so that the events committed before
        it have had that long to go out (a narrower window, not etcd's fix).
        """
        if not self._store.ordered_progress and time.monotonic() - self._active < UNORDERED_PROGRESS_QUIET:
            return
        self._progress.put_nowait(None)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._buffer = []
            self._store._watches.discard(self)
            self._stop()
            self._wake()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    # --- internals ----------------------------------------------------------

    async def _requests(self, start_revision: int) -> AsyncIterator[Any]:
        store = self._store
        create = rpc.WatchCreateRequest(
            key=store._key(self.prefix) or _ALL_KEYS,
            range_end=store._prefix_end(self.prefix),
            start_revision=start_revision + 1 + store._offset,
            prev_kv=True,
            progress_notify=True,
        )
        yield rpc.WatchRequest(create_request=create)
        while True:
            await self._progress.get()
            yield rpc.WatchRequest(progress_request=rpc.WatchProgressRequest())

    async def _run(self, start_revision: int) -> None:
        store = self._store
        failing_since = 0.0
        backoff = _RETRY_FIRST
        try:
            while True:
                # From where the received batches reach: a new stream neither skips nor repeats.
                self._call = call = store._watch_stub.Watch(self._requests(self._received), metadata=_HAS_LEADER)
                self._active = time.monotonic()
                try:
                    while True:
                        await self._space.wait()
                        response = await call.read()
                        if response is grpc.aio.EOF:
                            raise _Retry("etcd ended the watch stream")
                        failing_since, backoff = 0.0, _RETRY_FIRST
                        self._handle(response)
                except grpc.aio.AioRpcError as exc:
                    if exc.code() == grpc.StatusCode.CANCELLED and (self._closed or store._closed):
                        raise StoreClosed("store is closed") from None
                    if exc.code() not in _MEMBER_GONE:
                        raise store._error(exc) from None
                    reason = f"etcd: {exc.code().name}: {exc.details()}"
                except _Retry as exc:
                    reason = str(exc)
                finally:
                    call.cancel()
                # The member went away or lost its leader: the channel reconnects, to another member
                # when there is one, for as long as a request may take.
                now = time.monotonic()
                failing_since = failing_since or now
                if now - failing_since > store._timeout:
                    raise StorageError(f"etcd watch failed for {store._timeout:.0f} s: {reason}")
                log.debug("etcd watch resumes after revision %d: %s", self._received, reason)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _RETRY_MAX)
        except asyncio.CancelledError:
            if not self._closed:
                self._end(StoreClosed("store is closed"))
        except StorageError as exc:
            self._end(exc)
        except Exception as exc:  # pragma: no cover - a bug: end the watch, do not hang its reader
            log.exception("etcd watch failed")
            self._end(StorageError(f"etcd watch failed: {exc}"))

    def _handle(self, response: Any) -> None:
        store = self._store
        self._active = time.monotonic()
        if response.canceled:
            if response.compact_revision:
                store._compact = max(store._compact, int(response.compact_revision) - store._offset)
                raise WatchExpired(
                    self.revision,
                    f"history after revision {self.revision} was compacted (compact revision {store._compact})",
                )
            if "no leader" in response.cancel_reason:
                raise _Retry(response.cancel_reason)
            raise WatchExpired(self.revision, f"etcd cancelled the watch: {response.cancel_reason}")
        if response.created and not response.events:
            return
        self._deliver(response)

    def _deliver(self, response: Any) -> None:
        store = self._store
        offset = store._offset
        cut = len(store._prefix)
        events: list[Event] = []
        for ev in response.events:
            kv, prev_kv = ev.kv, ev.prev_kv
            key = kv.key[cut:].decode("utf-8")
            mod = int(kv.mod_revision) - offset
            prev = (
                KeyValue(key, prev_kv.value, int(prev_kv.create_revision) - offset,
                         int(prev_kv.mod_revision) - offset)
                if prev_kv.mod_revision
                else None
            )
            if ev.type == _DELETE_EVENT:
                if prev is None:  # etcd could not read the value before the delete
                    events.append(Event(EventType.DELETE, KeyValue(key, b"", 0, mod), None))
                else:
                    events.append(Event(EventType.DELETE, KeyValue(key, prev.value, prev.create_revision, mod), prev))
            else:
                create = int(kv.create_revision) - offset
                new = KeyValue(key, kv.value, create, mod)
                events.append(Event(EventType.PUT, new, None if create == mod else prev))
        if events:
            self._received = events[-1].revision
            self._buffered += len(events)
            if self._buffered >= store._watch_buffer:
                self._space.clear()
        else:
            self._received = max(self._received, int(response.header.revision) - offset)
        self._buffer.append((events, self._received))
        self._wake()

    def _stop(self) -> None:
        if self._call is not None:
            self._call.cancel()
        self._task.cancel()

    def _end(self, error: BaseException) -> None:
        if self._error is None:
            self._error = error
        self._buffer = []
        self._store._watches.discard(self)
        self._stop()
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
