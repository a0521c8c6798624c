"""Durability: every acknowledged SQLite write survives a SIGKILL of the process."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from setpoint.storage import SQLiteStorage, StoreLocked

WRITER = Path(__file__).with_name("crash_writer.py")


async def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(WRITER), str(db), "8", stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    acks: list[tuple[str, int, bytes]] = []
    try:
        async with asyncio.timeout(60):
            assert await proc.stdout.readline() == b"ready\n"
            # The running process holds the store.
            with pytest.raises(StoreLocked):
                SQLiteStorage(db, compact_interval=0)
            while len(acks) < 400:
                line = await proc.stdout.readline()
                assert line, f"writer exited early with {await proc.wait()}"
                name, number, text = line.decode().split()
                acks.append((name, int(number), text.encode()))
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGKILL)
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # Lines written before the kill were acknowledged too.
    for tail in (await proc.stdout.read()).splitlines(keepends=True):
        if tail.endswith(b"\n"):
            name, number, text = tail.decode().split()
            acks.append((name, int(number), text.encode()))

    store = SQLiteStorage(db, compact_interval=0)
    try:
        assert len({rev for _, rev, _ in acks}) == len(acks)
        assert await store.current_revision() >= max(rev for _, rev, _ in acks)
        for key, rev, value in acks:
            kv = await store.get(key, revision=rev)
            assert kv is not None, (key, rev)
            assert (kv.value, kv.mod_revision) == (value, rev)
        # The reopened store carries on after the recovered revision.
        current = await store.current_revision()
        assert (await store.create("/after-crash", b"")).mod_revision == current + 1
    finally:
        await store.close()
