"""The manager's health and metrics endpoints: ``/healthz``, ``/readyz`` and ``/metrics``.

Served with aiohttp's server, loaded only by a manager given a ``health_port``.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from setpoint.runtime import metrics as m

__all__ = ["ProbeServer"]


class ProbeServer:
    """``/healthz`` (alive), ``/readyz`` (200 once ``ready()``; else 503 naming ``waiting()``) and
    ``/metrics`` (Prometheus)."""

    def __init__(self, ready: Callable[[], bool], waiting: Callable[[], list[str]]) -> None:
        self._ready = ready
        self._waiting = waiting
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0: a free port); the port listened on."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        return int(sockets[0].getsockname()[1]) if port == 0 and sockets else port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _readyz(self, _: web.Request) -> web.Response:
        if self._ready():
            return web.Response(text="ok")
        return web.Response(status=503, text="caches not synced: " + ", ".join(self._waiting()))

    async def _metrics(self, _: web.Request) -> web.Response:
        return web.Response(body=m.render(), headers={"Content-Type": m.CONTENT_TYPE})
