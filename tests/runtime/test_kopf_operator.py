"""setpoint.testing serves operators written with other frameworks: a kopf operator, tested as is.

kopf runs in its own thread and event loop (kopf.testing.KopfRunner) and finds the server
through the fixture's kubeconfig, exactly as it would find a real cluster.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from runtime_helpers import CM

from setpoint.apimachinery.types import Obj
from setpoint.runtime import Kind, errors
from setpoint.testing import ApiServer, eventually

kopf_testing = pytest.importorskip("kopf.testing")

EVENT = Kind("v1", "Event")
OPERATOR = Path(__file__).with_name("kopf_operator.py")


async def test_kopf_operator_against_the_embedded_server(setpoint_api: ApiServer,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(setpoint_api.kubeconfig))
    runner = kopf_testing.KopfRunner(["run", "--standalone", "--namespace", "default", str(OPERATOR)],
                                     timeout=30)
    await asyncio.to_thread(runner.__enter__)
    try:
        await setpoint_api.client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
            "name": "visitor", "namespace": "default", "labels": {"greet": "yes"}}})

        async def greeted() -> str | None:
            cm = await setpoint_api.client.get(CM, "visitor", "default")
            greeting: str | None = (cm["metadata"].get("annotations") or {}).get("greeting")
            return greeting

        assert await eventually(greeted, timeout=20) == "hello, visitor"

        async def posted() -> list[str]:
            events = await setpoint_api.client.list(EVENT, "default")
            return [e.get("message", "") for e in events["items"]
                    if (e.get("involvedObject") or {}).get("name") == "visitor"
                    and "succeeded" in e.get("message", "")]

        # kopf posts an Event for each handler outcome, as it does on a real cluster.
        assert "Handler 'greet' succeeded." in await eventually(posted, timeout=20)

        # A child adopted with kopf.adopt() is collected with its parent.
        await setpoint_api.client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
            "name": "parent", "namespace": "default", "labels": {"parent": "yes"}}})

        async def child() -> Obj | None:
            try:
                return await setpoint_api.client.get(CM, "parent-child", "default")
            except errors.NotFound:
                return None

        adopted = await eventually(child, timeout=20)
        assert [r["name"] for r in adopted["metadata"]["ownerReferences"]] == ["parent"]
        await setpoint_api.client.delete(CM, "parent", "default")

        async def collected() -> bool:
            try:
                await setpoint_api.client.get(CM, "parent-child", "default")
            except errors.NotFound:
                return True
            return False

        assert await eventually(collected, timeout=20)
    finally:
        await asyncio.to_thread(runner.__exit__, None, None, None)
    assert runner.exit_code == 0
