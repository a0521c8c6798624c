"""Write to a SQLite store until killed, printing every acknowledged write.

Usage: python crash_writer.py PATH WRITERS. Prints ``ready`` once the store is
open, then one ``key revision value`` line per write whose call returned.
Run by test_storage_crash.py, which SIGKILLs it mid-flight.
"""

from __future__ import annotations

import asyncio
import sys

from setpoint.storage import SQLiteStorage


async def main(path: str, writers: int) -> None:
    store = SQLiteStorage(path, compact_interval=0)
    out = sys.stdout
    out.write("ready\n")
    out.flush()

    async def writer(w: int) -> None:
        i = 0
        while True:
            key = f"/crash/{w}/{i}"
            value = f"created-{w}-{i}"
            kv = await store.create(key, value.encode())
            out.write(f"{key} {kv.mod_revision} {value}\n")
            out.flush()
            if i % 2:
                value = f"updated-{w}-{i}"
                kv = await store.update(key, value.encode(), kv.mod_revision)
                out.write(f"{key} {kv.mod_revision} {value}\n")
                out.flush()
            i += 1

    await asyncio.gather(*(writer(w) for w in range(writers)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
