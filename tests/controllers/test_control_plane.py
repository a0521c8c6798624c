"""``setpoint up`` and the pytest fixture run the built-in controllers, and serve their metrics."""

from __future__ import annotations

import re

from setpoint.runtime import errors
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually, start_api_server

NAMESPACE = Kind("v1", "Namespace")
CONFIG_MAP = Kind("v1", "ConfigMap")


async def test_the_control_plane_runs_the_controllers_and_serves_their_metrics() -> None:
    async with start_api_server() as api:
        client = api.client
        await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "brief"}})
        await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "c", "namespace": "brief"}})
        await client.delete(NAMESPACE, "brief")

        async def namespace_gone() -> bool:
            try:
                await client.get(NAMESPACE, "brief")
            except errors.NotFound:
                return True
            return False

        await eventually(namespace_gone, timeout=10)
        text = await client.request_text("/metrics")
        assert "apiserver_request_total{" in text
        success = re.search(r'^controller_runtime_reconcile_total\{controller="namespace",result="success"\} '
                            r"([0-9.e+]+)$", text, re.MULTILINE)
        assert success is not None and float(success.group(1)) >= 1
        assert 'workqueue_adds_total{controller="customresourcecleanup",name="customresourcecleanup"}' in text
