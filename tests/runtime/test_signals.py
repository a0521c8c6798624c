"""SIGINT/SIGTERM with ``Manager.run(handle_signals=True)``: the first stops gracefully, a second
cancels the reconciles still running; ``run`` returns normally either way (the program exits 0).

The signals are real, sent to this process while the manager's loop handles them (the example
operator in a process of its own is tested in ``tests/e2e/test_operator_signals.py``)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal

import pytest
from runtime_helpers import CM

from setpoint.runtime import Builder, Manager, Request
from setpoint.testing import ApiServer, eventually


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_a_second_signal_cancels_the_reconciles_still_running(
        setpoint_api: ApiServer, caplog: pytest.LogCaptureFixture, sig: signal.Signals) -> None:
    client = setpoint_api.client
    mgr = Manager(client, graceful_shutdown_timeout=600)
    started: list[str] = []
    cancelled: list[str] = []

    async def reconcile(req: Request) -> None:
        if req.name != "stuck":
            return
        started.append(req.name)
        try:
            await asyncio.Event().wait()  # a reconcile that would never end by itself
        except asyncio.CancelledError:
            cancelled.append(req.name)
            raise

    Builder(mgr).for_(CM).complete(reconcile)
    caplog.set_level(logging.INFO, logger="setpoint.runtime")
    running = asyncio.create_task(mgr.run(handle_signals=True))
    try:
        await mgr.wait_ready()
        await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "stuck", "namespace": "default"}})
        await eventually(lambda: started == ["stuck"])

        os.kill(os.getpid(), sig)
        await eventually(lambda: any(r.getMessage().startswith(f"{sig.name}: stopping") for r in caplog.records))
        assert not running.done() and not cancelled, "the first signal lets the running reconcile finish"

        os.kill(os.getpid(), sig)
        await asyncio.wait_for(running, 10)  # returns, raising nothing
    finally:
        if not running.done():
            running.cancel()
    assert cancelled == ["stuck"]
    assert f"{sig.name} again: cancelling the running reconciles" in [r.getMessage() for r in caplog.records]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers given back
