"""Test your operator against a real API server, in-process, in milliseconds.

A pytest plugin: the :func:`setpoint_api` fixture starts setpoint's embedded API server
(in-memory storage, a free port on 127.0.0.1 -- no binaries, no Docker) and yields an
:class:`ApiServer` with a ready :class:`~setpoint.runtime.http_client.HTTPClient` and the path of
a kubeconfig file, which any other client or framework (kubectl, the official
``kubernetes`` client, kopf, ...) can use. :func:`eventually` waits for a condition.

The plugin is active in every pytest run once setpoint is installed (its ``pytest11`` entry
point is named ``setpoint.testing``, so an added ``-p setpoint.testing`` or
``pytest_plugins = ["setpoint.testing"]`` is the same plugin, not a second one). It needs
no asyncio configuration: an ``async def`` test that uses the fixture runs under
pytest-asyncio even in its default strict mode, and a plain ``def`` test gets a server
running on a thread of its own, for synchronous clients such as the official ``kubernetes``
package. Outside pytest, ``async with start_api_server() as api:`` gives the same thing.

This module is the only part of :mod:`setpoint.runtime`'s world that imports the
server: the runtime itself only knows its :class:`~setpoint.runtime.client.Client`
protocol, and an operator under test reaches the server over HTTP, as in a cluster.
The server runs with its built-in controllers (namespace cleanup, CRD finalizer), as
``setpoint up`` does.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import inspect
import re
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

import pytest

from setpoint.runtime.config import Config
from setpoint.runtime.http_client import HTTPClient

if TYPE_CHECKING:
    import ssl

    from setpoint.apiserver.pki import ClusterPKI
    from setpoint.controlplane import ControlPlane

T = TypeVar("T")

__all__ = ["ApiServer", "eventually", "setpoint_api", "start_api_server"]


class ApiServer:
    """A running embedded API server: its URL, a kubeconfig file, and a client."""

    def __init__(self, control_plane: ControlPlane, data_dir: Path, storage_url: str) -> None:
        self.control_plane = control_plane
        self.data_dir = data_dir
        self.storage_url = storage_url
        self._port = control_plane.port
        # The admin's client certificate, over TLS; the context is made once per process.
        self.client = HTTPClient(Config(host=control_plane.url, ssl_context=_client_context()))

    @property
    def url(self) -> str:
        return self.control_plane.url

    @property
    def port(self) -> int:
        return self.control_plane.port

    @property
    def kubeconfig(self) -> Path:
        """A kubeconfig (cluster, user and context ``setpoint``) pointing at this server."""
        return self.data_dir / "kubeconfig"

    def new_client(self) -> HTTPClient:
        """Another client, loaded from the kubeconfig file (as a separate operator would)."""
        return HTTPClient.from_kubeconfig(self.kubeconfig)

    async def stop(self) -> None:
        """Stop the server (clients see connection errors until :meth:`start`)."""
        await self.control_plane.stop()

    async def start(self) -> None:
        """Start it again on the same port (and storage: use a ``sqlite://`` URL to keep data)."""
        from setpoint.controlplane import ControlPlane

        self.control_plane = ControlPlane(self.storage_url, port=self._port, data_dir=self.data_dir,
                                          cluster_pki=_process_pki())
        await self.control_plane.start()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def request_count(self, *, verb: str | None = None, resource: str | None = None,
                            subresource: str | None = None) -> int:
        """Sum of the server's ``apiserver_request_total`` (from ``/metrics``) matching the filters."""
        text = await self.client.request_text("/metrics")
        total = 0.0
        for line in text.splitlines():
            if not line.startswith("apiserver_request_total{"):
                continue
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.rindex("}")]))
            if verb is not None and labels.get("verb") != verb:
                continue
            if resource is not None and labels.get("resource") != resource:
                continue
            if subresource is not None and labels.get("subresource") != subresource:
                continue
            total += float(line.rsplit(" ", 1)[1])
        return int(total)


@asynccontextmanager
async def start_api_server(storage_url: str = "memory://", *, data_dir: Path | None = None) -> AsyncIterator[ApiServer]:
    """Start an embedded API server on a free port; stop it (and close its client) on exit."""
    from setpoint.controlplane import ControlPlane  # the server loads only when a test asks for it

    with tempfile.TemporaryDirectory(prefix="setpoint-test-") as tmp:
        directory = data_dir or Path(tmp)
        cp = ControlPlane(storage_url, port=0, data_dir=directory, cluster_pki=_process_pki())
        await cp.start()
        api = ApiServer(cp, directory, storage_url)
        try:
            yield api
        finally:
            await api.client.close()
            await api.control_plane.stop()


@functools.cache
def _process_pki() -> ClusterPKI:
    """One CA, serving and admin certificate for every server this process starts in tests."""
    from setpoint.apiserver import pki

    return pki.load_or_create(None)


@functools.cache
def _client_context() -> ssl.SSLContext:
    """The admin's TLS client context for those servers."""
    from setpoint.apiserver import tls

    cluster = _process_pki()
    return tls.client_context(cluster.ca.cert_pem, cluster.admin)


_HAS_PYTEST_ASYNCIO = importlib.util.find_spec("pytest_asyncio") is not None

if not _HAS_PYTEST_ASYNCIO:
    # The plugin loads in every pytest run of a project that installs setpoint: without
    # pytest-asyncio, say what is missing when the fixture is used instead of failing at load.
    @pytest.fixture(name="setpoint_api")
    def _needs_pytest_asyncio() -> None:
        pytest.fail("the setpoint_api fixture needs pytest-asyncio (pip install pytest-asyncio)")
else:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def setpoint_api(request: pytest.FixtureRequest) -> AsyncIterator[ApiServer]:
        """An embedded API server for one test: ``.client``, ``.kubeconfig``, ``.url``.

        An ``async def`` test run by pytest-asyncio shares the server's event loop. Any other
        test (a plain ``def`` one, or one that anyio or trio runs) leaves that loop idle while
        it runs, so its server runs on a thread of its own: use ``.kubeconfig`` or ``.url``
        with a client of the test's own there.
        """
        if _runs_in_fixture_loop(request):
            async with start_api_server() as api:
                yield api
        else:
            async with _threaded_api_server() as api:
                yield api


def _runs_in_fixture_loop(request: pytest.FixtureRequest) -> bool:
    """Whether pytest-asyncio runs the test in the loop its async fixtures run in."""
    function = getattr(request, "function", None)
    return inspect.iscoroutinefunction(function) and request.node.get_closest_marker("asyncio") is not None


@asynccontextmanager
async def _threaded_api_server() -> AsyncIterator[ApiServer]:
    """:func:`start_api_server` on a thread with its own event loop (for synchronous tests)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="setpoint-api-server", daemon=True)
    thread.start()
    server = start_api_server()
    try:
        api = await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(server.__aenter__(), loop))
        try:
            yield api
        finally:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(server.__aexit__(None, None, None), loop))
    finally:
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join)
        loop.close()


_ASYNC_MARKERS = ("asyncio", "anyio", "trio")


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_pycollect_makeitem(collector: pytest.Module | pytest.Class, name: str,
                              obj: object) -> Generator[None, Any, Any]:
    """Mark ``async def`` tests that use ``setpoint_api`` (directly or through other fixtures)
    for pytest-asyncio, so that they run without ``asyncio_mode = auto``.

    Innermost of the wrappers of this hook, so pytest-asyncio sees the mark when it turns
    the collected function into its coroutine item. Tests already marked for asyncio,
    anyio or trio are left alone.
    """
    result = yield
    if not _HAS_PYTEST_ASYNCIO:  # the fixture says what is missing; an unregistered mark would not
        return result
    items = result if isinstance(result, list) else [result]
    for item in items:
        if (isinstance(item, pytest.Function) and inspect.iscoroutinefunction(item.obj)
                and "setpoint_api" in item.fixturenames
                and not any(item.get_closest_marker(m) for m in _ASYNC_MARKERS)):
            item.add_marker(pytest.mark.asyncio)
    return result


@overload
async def eventually(check: Callable[[], Awaitable[T]], *, timeout: float = ...,
                     interval: float = ...) -> T: ...


@overload
async def eventually(check: Callable[[], T], *, timeout: float = ...,
                     interval: float = ...) -> T: ...


async def eventually(check: Callable[[], Any], *, timeout: float = 10.0,
                     interval: float = 0.02) -> Any:
    """Call ``check`` until it returns a truthy value without raising ``AssertionError``; return that value.

    ``check`` may be sync or async. On timeout, the last ``AssertionError`` is raised (or
    one saying the last value was falsy).
    """
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    value: Any = None
    while True:
        try:
            value = check()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            last = None
        except AssertionError as e:
            last = e
        if time.monotonic() >= deadline:
            if last is not None:
                raise last
            raise AssertionError(f"condition still false after {timeout} s (last value {value!r})")
        await asyncio.sleep(interval)
