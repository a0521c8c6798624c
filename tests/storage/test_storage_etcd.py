"""What only the etcd backend has: URLs, key layout, the compact revision etcd keeps, progress."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
import grpc.aio
import pytest
from storage_helpers import collect, next_batch

from etcd_cluster import EtcdCluster, Tls, etcd_binary, etcd_prefix, scratch_dir
from setpoint.storage import Compacted, Conflict, KeyValue, StorageError, WatchExpired, open_storage
from setpoint.storage.etcd import EtcdStorage, _target, parse_url

Opener = Callable[..., Awaitable[EtcdStorage]]


@pytest.fixture
async def open_etcd(etcd_cluster: EtcdCluster) -> AsyncIterator[Opener]:
    """``await open_etcd(prefix=..., **options)``: a store on the session's cluster, real revisions."""
    opened: list[EtcdStorage] = []

    async def make(**options: object) -> EtcdStorage:
        options.setdefault("compact_interval", 0)
        store = await EtcdStorage.open(etcd_cluster.endpoints, **options)  # type: ignore[arg-type]
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()


def test_host_names_resolve_to_one_channel_over_every_member() -> None:
    """Host names are resolved when the store opens, so the one channel fails over between every
    member whatever their names; over TLS they are verified as the one name they share."""
    assert _target(["localhost:1", "localhost:2", "127.0.0.1:3"], False) == (
        "ipv4:127.0.0.1:1,127.0.0.1:2,127.0.0.1:3", None)
    assert _target(["localhost:1", "localhost:2"], True) == ("ipv4:127.0.0.1:1,127.0.0.1:2", "localhost")
    assert _target(["[::1]:1", "[::1]:2"], False) == ("ipv6:[::1]:1,[::1]:2", None)
    # Names a channel cannot verify together over TLS: the first endpoint only.
    assert _target(["localhost:1", "127.0.0.1:2"], True) == ("dns:///localhost:1", None)


def test_parse_url() -> None:
    assert parse_url("etcd://127.0.0.1:2379") == (["127.0.0.1:2379"], {})
    assert parse_url("etcd://a:1,b:2/?prefix=/p&cafile=/ca.pem&certfile=/c.pem&keyfile=/k.pem") == (
        ["a:1", "b:2"],
        {"prefix": "/p", "cafile": "/ca.pem", "certfile": "/c.pem", "keyfile": "/k.pem"},
    )
    for bad in ("etcd://", "etcd://host", "etcd://h:x", "etcd://h:1?bogus=1"):
        with pytest.raises(ValueError):
            parse_url(bad)


async def test_open_storage_url_and_key_layout(etcd_cluster: EtcdCluster, open_etcd: Opener) -> None:
    prefix = etcd_prefix()
    store = await open_storage(f"{etcd_cluster.url}?prefix={prefix}", compact_interval=0)
    try:
        assert isinstance(store, EtcdStorage)
        kv = await store.create("/registry/configmaps/default/a", b"v")
        # The same key, seen without the prefix: the prefix is prepended, nothing else changes.
        raw = await open_etcd()
        assert await raw.get(prefix + "/registry/configmaps/default/a") == KeyValue(
            prefix + "/registry/configmaps/default/a", b"v", kv.create_revision, kv.mod_revision
        )
        assert [k.key for k in (await store.range("/registry/configmaps/")).kvs] == [
            "/registry/configmaps/default/a"
        ]
        # Revisions are etcd's own (a store without relative_revisions).
        assert await store.current_revision() == await raw.current_revision() >= kv.mod_revision
    finally:
        await store.close()


async def test_compact_revision_is_learned_from_etcd(open_etcd: Opener) -> None:
    prefix = etcd_prefix()
    a = await open_etcd(prefix=prefix)
    stale = await open_etcd(prefix=prefix)  # opened before the compaction: does not know of it
    first = await a.create("/k", b"1")
    await a.update("/k", b"2", first.mod_revision)
    second = await a.update("/k", b"3", 0)
    await a.compact(second.mod_revision - 1)
    assert await a.compact_revision() == second.mod_revision - 1
    # A store opened now learns it from etcd.
    fresh = await open_etcd(prefix=prefix)
    assert await fresh.compact_revision() == second.mod_revision - 1
    # The stale one learns it from etcd's refusal, with the revision it was refused for.
    with pytest.raises(Compacted) as info:
        await stale.get("/k", revision=first.mod_revision)
    assert (info.value.requested, info.value.compact_revision) == (first.mod_revision, second.mod_revision - 1)
    assert await stale.compact_revision() == second.mod_revision - 1


async def test_watch_cancelled_by_etcd_for_compaction_expires(open_etcd: Opener) -> None:
    prefix = etcd_prefix()
    a = await open_etcd(prefix=prefix)
    stale = await open_etcd(prefix=prefix)
    first = await a.create("/k", b"1")
    last = await a.update("/k", b"2", 0)
    await a.compact(last.mod_revision)
    watch = stale.watch("/", first.mod_revision - 1)  # its cache says: not compacted
    with pytest.raises(WatchExpired) as info:
        await next_batch(watch)
    assert info.value.revision == first.mod_revision - 1
    assert await stale.compact_revision() == last.mod_revision
    with pytest.raises(Compacted):
        stale.watch("/", first.mod_revision - 1)


async def test_progress_request_moves_a_quiet_watch(open_etcd: Opener) -> None:
    store = await open_etcd(prefix=etcd_prefix())
    watch = store.watch("/quiet/", await store.current_revision())
    mine = await store.create("/quiet/a", b"")
    assert [ev.kv for ev in await collect(watch, 1)] == [mine]
    # Writes elsewhere move the revision; the watch hears nothing of them until it asks.
    for i in range(3):
        await store.create(f"/loud/{i}", b"")
    current = await store.current_revision()
    # Asked again until answered, as the watch cache asks (etcd before 3.4.25 is asked only once quiet).
    answer = asyncio.ensure_future(anext(aiter(watch)))
    deadline = asyncio.get_running_loop().time() + 10
    while not answer.done() and asyncio.get_running_loop().time() < deadline:
        watch.request_progress()
        await asyncio.wait({answer}, timeout=0.1)
    batch = await asyncio.wait_for(answer, 0.1)
    assert batch == []
    assert watch.revision >= current
    await watch.close()


async def test_concurrent_revision_probes_are_shared_but_never_stale(open_etcd: Opener) -> None:
    """Callers of current_revision share etcd round trips, yet each sees every write acknowledged
    before it called (a probe already in flight when a caller comes is not its answer)."""
    store = await open_etcd(prefix=etcd_prefix())
    sent = 0
    probe = store._run_probe

    async def counting(future: asyncio.Future[int]) -> None:
        nonlocal sent
        sent += 1
        await probe(future)

    store._run_probe = counting  # type: ignore[method-assign]
    checks: list[asyncio.Task[tuple[int, int]]] = []

    async def check(after: int) -> tuple[int, int]:
        return after, await store.current_revision()

    for i in range(50):
        kv = await store.create(f"/p/{i}", b"v")
        checks.extend(asyncio.create_task(check(kv.mod_revision)) for _ in range(4))
    results = await asyncio.gather(*checks)
    assert all(seen >= after for after, seen in results), results
    assert sent < len(checks)


async def test_tls_with_client_certificates(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A member that requires client certificates: the URL's cafile/certfile/keyfile reach it."""
    binary, reason = etcd_binary()
    if binary is None:
        pytest.skip(reason)
    certs = tmp_path_factory.mktemp("etcd-tls")
    tls = Tls.make(certs)
    directory = scratch_dir(certs / "data")
    cluster = EtcdCluster(directory, members=1, binary=binary, tls=tls)
    try:
        await asyncio.to_thread(cluster.start)
        store = await open_storage(cluster.url, compact_interval=0)
        try:
            kv = await store.create("/registry/configmaps/default/tls", b"v")
            assert await store.get("/registry/configmaps/default/tls") == kv
        finally:
            await store.close()
        # By host name: the members are verified as that name (the certificate's SAN).
        by_name = cluster.url.replace("127.0.0.1", "localhost")
        store = await open_storage(by_name, compact_interval=0, dial_timeout=5)
        try:
            assert (await store.get("/registry/configmaps/default/tls")) == kv
        finally:
            await store.close()
        # Without a client certificate etcd refuses the connection.
        bare = cluster.url.split("&certfile=")[0]
        with pytest.raises(StorageError):
            await open_storage(bare, compact_interval=0, dial_timeout=3)
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


async def test_store_and_watch_ride_out_members_going_away(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each member of a 3-member cluster stops in turn: writes, reads and a running watch go on
    through the others (the watch resumes on another member without a gap or a duplicate)."""
    binary, reason = etcd_binary()
    if binary is None:
        pytest.skip(reason)
    directory = scratch_dir(tmp_path_factory.mktemp("etcd-failover"))
    cluster = EtcdCluster(directory, members=3, binary=binary)
    try:
        await asyncio.to_thread(cluster.start)
        store = await EtcdStorage.open(cluster.endpoints, compact_interval=0, request_timeout=20)
        try:
            watch = store.watch("/f/", await store.current_revision())
            written = []
            for i in range(3):
                await asyncio.to_thread(cluster.stop_member, i)
                for j in range(5):
                    written.append(await store.create(f"/f/{i}-{j}", b"x"))
                    assert await store.get(f"/f/{i}-{j}") == written[-1]
                await asyncio.to_thread(cluster.start_member, i)
            events = await collect(watch, len(written), seconds=30)
            assert [ev.kv for ev in events] == written
            await watch.close()
        finally:
            await store.close()
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


async def test_a_write_whose_answer_is_lost_is_sent_again(open_etcd: Opener) -> None:
    """The connection breaks after etcd applied a write, before its answer came (injected at the
    gRPC stub): the store sends it again, recognises its own result and returns it, once."""
    store = await open_etcd(prefix=etcd_prefix())
    txn = store._kv.Txn
    lost: list[int] = []

    async def answer_lost_once(request: object, **kwargs: object) -> object:
        response = await txn(request, **kwargs)
        if not lost:
            lost.append(1)
            raise grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(),
                                       details="Socket closed")
        return response

    store._kv.Txn = answer_lost_once
    created = await store.create("/k", b"1")
    assert lost and await store.get("/k") == created
    lost.clear()
    updated = await store.update("/k", b"2", created.mod_revision)
    assert lost and updated.mod_revision > created.mod_revision and await store.get("/k") == updated
    # Someone else's value is not taken for ours: a real conflict stays a conflict.
    lost.clear()
    with pytest.raises(Conflict):
        await store.update("/k", b"3", created.mod_revision)
    assert await store.current_revision() == updated.mod_revision
