"""Helpers of the software-defined network tests: the control plane of the example, started in-process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from examples.sdn import api, ipam, validator

from setpoint.runtime import Client, Manager, errors


async def create_all(client: Client, objects: Iterable[Mapping[str, Any]], *, concurrency: int = 64) -> None:
    """Create ``objects``, ``concurrency`` requests at a time."""
    sem = asyncio.Semaphore(concurrency)

    async def create(obj: Mapping[str, Any]) -> None:
        async with sem:
            await client.create(obj)

    await asyncio.gather(*(create(o) for o in objects))


async def delete_all(client: Client, kind: api.Kind, names: Iterable[str], namespace: str = "default", *,
                     concurrency: int = 64) -> None:
    sem = asyncio.Semaphore(concurrency)

    async def delete(name: str) -> None:
        async with sem:
            with contextlib.suppress(errors.NotFound):
                await client.delete(kind, name, namespace)

    await asyncio.gather(*(delete(n) for n in names))


async def items(client: Client, kind: api.Kind, namespace: str | None = "default") -> list[dict[str, Any]]:
    return list((await client.list(kind, namespace))["items"])


@contextlib.asynccontextmanager
async def control_plane(client: Client, *, ipam_replicas: int = 1,
                        lease_duration: float = 2.0) -> AsyncIterator[tuple[Manager, list[Manager], list[ipam.IPAM]]]:
    """The subnet validator and ``ipam_replicas`` IPAM replicas, each replica a Manager of its own."""
    validating = Manager(client)
    validator.setup(validating)
    managers = [Manager(client) for _ in range(ipam_replicas)]
    replicas = [ipam.setup(m, identity=f"replica-{i}", lease_duration=lease_duration)
                for i, m in enumerate(managers)]
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(validating.running())
        for m in managers:
            await stack.enter_async_context(m.running())
        yield validating, managers, replicas


async def kill(mgr: Manager) -> None:
    """Stop a manager as a crash would: its running reconciles are cancelled where they stand."""
    for controller in mgr.controllers.values():
        controller.halt()
    await mgr.close()
