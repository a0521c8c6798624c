"""The HTTP client: a :class:`~setpoint.runtime.client.Client` for any Kubernetes API server.

:class:`HTTPClient` speaks plain HTTP+JSON to any Kubernetes API server (setpoint's or
a real cluster's). It resolves a :class:`~setpoint.runtime.resource.Kind` to its
resource through discovery (cached per group-version, refreshed when a kind is
missing, so CRDs created at run time are found), and offers get, list, create,
update, status update, patch (merge, JSON, strategic, server-side apply), delete and
watch.

Objects are plain ``dict``s decoded by orjson. A client-side token bucket
(``Config.qps``/``burst``) can cap the request rate; watches use their own
connection pool so long-lived streams never starve ordinary requests.
"""

from __future__ import annotations

import asyncio
import os
import random
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson

from setpoint.apimachinery.types import Obj
from setpoint.runtime import errors, ratelimit
from setpoint.runtime.client import KindLike, Observer, PatchType, WatchEvent
from setpoint.runtime.config import Config
from setpoint.runtime.errors import ConnectionFailed
from setpoint.runtime.resource import Kind, Resource

__all__ = ["HTTPClient", "HTTPWatchStream"]

_JSON = "application/json"


class HTTPWatchStream:
    """The events of one watch request; iterate with ``async for``, end with :meth:`close`."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self._buffer = b""
        self._lines: deque[bytes] = deque()
        self._eof = False

    def __aiter__(self) -> HTTPWatchStream:
        return self

    async def __anext__(self) -> WatchEvent:
        lines = self._lines
        while not lines:
            if self._eof:
                raise StopAsyncIteration
            try:
                chunk = await self._response.content.readany()
            except (TimeoutError, aiohttp.ClientError, OSError) as e:
                self.close()
                raise ConnectionFailed(f"watch stream broke: {e!r}") from e
            if not chunk:
                self._eof = True
                if self._buffer.strip():
                    lines.append(self._buffer)
                self._buffer = b""
                self.close()
                continue
            parts = (self._buffer + chunk).split(b"\n") if self._buffer else chunk.split(b"\n")
            self._buffer = parts.pop()
            lines.extend(p for p in parts if p)
        event = orjson.loads(lines.popleft())
        return WatchEvent(event["type"], event["object"])

    def close(self) -> None:
        self._response.close()


class HTTPClient:
    """A :class:`Client` for one API server over HTTP. Create it, use it, ``await client.close()``."""

    def __init__(self, config: Config, *, observer: Observer | None = None,
                 max_connections: int = 100) -> None:
        self.config = config
        self.observer = observer
        self.requests_sent = 0
        self._max_connections = max_connections
        self._bucket = ratelimit.TokenBucket(config.qps, config.burst) if config.qps else None
        self._session: aiohttp.ClientSession | None = None
        self._watch_session: aiohttp.ClientSession | None = None
        self._by_kind: dict[Kind, Resource] = {}
        self._discovered: set[str] = set()
        self._discovery_lock = asyncio.Lock()
        self._headers: dict[str, str] = {"Accept": _JSON, "User-Agent": config.user_agent}
        self._proxy = config.proxy or _environment_proxy(config.host)

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_kubeconfig(cls, path: str | os.PathLike[str] | None = None, *, context: str | None = None) -> HTTPClient:
        """A client for a kubeconfig context (see :meth:`Config.from_kubeconfig`)."""
        return cls(Config.from_kubeconfig(path, context=context))

    @classmethod
    def from_url(cls, url: str, *, token: str | None = None, namespace: str = "default") -> HTTPClient:
        return cls(Config.from_url(url, token=token, namespace=namespace))

    @property
    def namespace(self) -> str:
        """The default namespace (the kubeconfig context's, or the pod's)."""
        return self.config.namespace

    async def close(self) -> None:
        for session in (self._session, self._watch_session):
            if session is not None:
                await session.close()
        self._session = self._watch_session = None

    async def __aenter__(self) -> HTTPClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _new_session(self, *, watch: bool) -> aiohttp.ClientSession:
        ssl_arg: Any = self.config.ssl_context if self.config.ssl_context is not None else True
        connector = aiohttp.TCPConnector(limit=0 if watch else self._max_connections, ssl=ssl_arg,
                                         enable_cleanup_closed=False)
        timeout = (aiohttp.ClientTimeout(total=None, sock_connect=self.config.timeout)
                   if watch else aiohttp.ClientTimeout(total=self.config.timeout))
        # trust_env=False: aiohttp would look up netrc and proxy variables in a thread on every
        # request; the proxy from the environment is resolved once, in __init__, instead.
        return aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar(),
                                     auto_decompress=True, trust_env=False)

    def _get_session(self, *, watch: bool = False) -> aiohttp.ClientSession:
        if watch:
            if self._watch_session is None:
                self._watch_session = self._new_session(watch=True)
            return self._watch_session
        if self._session is None:
            self._session = self._new_session(watch=False)
        return self._session

    # -- the one place requests are sent ---------------------------------------------------------

    async def _send(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                    body: bytes | None = None, content_type: str = _JSON, watch: bool = False,
                    read_timeout: float | None = None) -> aiohttp.ClientResponse:
        if self._bucket is not None:
            await self._bucket.acquire()
        session = self._get_session(watch=watch)
        url = self.config.host + path
        for attempt in (0, 1):
            headers = self._headers
            auth = await self.config.auth.authorization()
            if auth is not None or body is not None:
                headers = dict(headers)
                if auth is not None:
                    headers["Authorization"] = auth
                if body is not None:
                    headers["Content-Type"] = content_type
            kwargs: dict[str, Any] = {}
            if self.config.tls_server_name:
                kwargs["server_hostname"] = self.config.tls_server_name
            if self._proxy:
                kwargs["proxy"] = self._proxy
            if read_timeout is not None:
                kwargs["timeout"] = aiohttp.ClientTimeout(total=None, sock_connect=self.config.timeout,
                                                          sock_read=read_timeout)
            self.requests_sent += 1
            try:
                response = await session.request(method, url, params=params, data=body, headers=headers,
                                                 **kwargs)
            except (TimeoutError, aiohttp.ClientError, OSError) as e:
                if self.observer is not None:
                    self.observer(method, 0)
                raise ConnectionFailed(f"{method} {path}: {e!r}") from e
            if self.observer is not None:
                self.observer(method, response.status)
            if response.status == 401 and attempt == 0 and await self.config.auth.refresh():
                response.release()
                continue
            return response
        raise AssertionError("unreachable")

    async def request(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                      body: Any = None, content_type: str = _JSON) -> Any:
        """Send one request and decode the JSON answer; raise :class:`~.errors.ApiError` on >= 400.

        ``body`` may be bytes (sent as is) or anything orjson can encode.
        """
        data = body if body is None or isinstance(body, bytes) else orjson.dumps(body)
        response = await self._send(method, path, params=params, body=data, content_type=content_type)
        try:
            raw = await response.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            raise ConnectionFailed(f"{method} {path}: {e!r}") from e
        finally:
            response.release()
        if response.status >= 400:
            raise _error(response.status, raw)
        return orjson.loads(raw) if raw else None

    async def request_text(self, path: str) -> str:
        """GET a non-JSON path (``/metrics``, ``/healthz``) as text."""
        response = await self._send("GET", path)
        try:
            raw = await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            raise ConnectionFailed(f"GET {path}: {e!r}") from e
        finally:
            response.release()
        if response.status >= 400:
            raise _error(response.status, raw)
        return raw.decode("utf-8", "replace")

    # -- discovery --------------------------------------------------------------------------------

    async def resource(self, kind: KindLike) -> Resource:
        """Where ``kind`` is served; asks discovery the first time (and again if it was missing)."""
        if isinstance(kind, Resource):
            return kind
        found = self._by_kind.get(kind)
        if found is not None:
            return found
        async with self._discovery_lock:
            found = self._by_kind.get(kind)
            if found is None:
                await self._discover_group_version(kind.api_version)
                found = self._by_kind.get(kind)
        if found is None:
            raise errors.NotFound(404, {"reason": "NotFound",
                                        "message": f"the server does not serve {kind} (discovery)"})
        return found

    def forget_discovery(self) -> None:
        """Drop cached discovery (after CRDs change shape, say)."""
        self._by_kind.clear()
        self._discovered.clear()

    async def _discover_group_version(self, api_version: str) -> None:
        path = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        try:
            listing = await self.request("GET", path)
        except errors.NotFound:
            return
        self._discovered.add(api_version)
        subresources: dict[str, set[str]] = {}
        for entry in listing.get("resources", []):
            name = entry["name"]
            if "/" in name:
                parent, _, sub = name.partition("/")
                subresources.setdefault(parent, set()).add(sub)
        for entry in listing.get("resources", []):
            name = entry["name"]
            if "/" in name:
                continue
            res = Resource(api_version=api_version, kind=entry["kind"], plural=name,
                           namespaced=bool(entry.get("namespaced")),
                           subresources=frozenset(subresources.get(name, ())),
                           verbs=frozenset(entry.get("verbs", ())),
                           short_names=tuple(entry.get("shortNames", ())))
            self._by_kind[Kind(api_version, entry["kind"])] = res

    async def discover(self) -> list[Resource]:
        """Every resource of every group-version the server lists."""
        versions: list[str] = [v for v in (await self.request("GET", "/api")).get("versions", [])]
        for group in (await self.request("GET", "/apis")).get("groups", []):
            versions.extend(v["groupVersion"] for v in group.get("versions", []))
        async with self._discovery_lock:
            for api_version in versions:
                await self._discover_group_version(api_version)
        return sorted(self._by_kind.values(), key=lambda r: (r.api_version, r.kind))

    # -- verbs ------------------------------------------------------------------------------------

    def _ns(self, res: Resource, namespace: str | None, obj: Mapping[str, Any] | None = None) -> str | None:
        if not res.namespaced:
            return None
        if namespace:
            return namespace
        if obj is not None:
            ns = obj.get("metadata", {}).get("namespace")
            if ns:
                return str(ns)
        return self.config.namespace

    async def get(self, kind: KindLike, name: str, namespace: str | None = None, *,
                  subresource: str | None = None) -> Obj:
        res = await self.resource(kind)
        result: Obj = await self.request("GET", res.path(self._ns(res, namespace), name, subresource))
        return result

    async def list(self, kind: KindLike, namespace: str | None = None, *, label_selector: str | None = None,
                   field_selector: str | None = None, limit: int | None = None,
                   continue_token: str | None = None, resource_version: str | None = None) -> Obj:
        """One page of a list (``namespace=None``: all namespaces); items and ``metadata.continue``."""
        res = await self.resource(kind)
        params: dict[str, str] = {}
        if label_selector:
            params["labelSelector"] = label_selector
        if field_selector:
            params["fieldSelector"] = field_selector
        if limit:
            params["limit"] = str(limit)
        if continue_token:
            params["continue"] = continue_token
        if resource_version is not None:
            params["resourceVersion"] = resource_version
        result: Obj = await self.request("GET", res.path(namespace if res.namespaced else None), params=params)
        return result

    async def create(self, obj: Mapping[str, Any], namespace: str | None = None, *,
                     field_manager: str | None = None) -> Obj:
        res = await self.resource(Kind.of(obj))
        params = {"fieldManager": field_manager} if field_manager else None
        result: Obj = await self.request("POST", res.path(self._ns(res, namespace, obj)), params=params,
                                         body=obj)
        return result

    async def update(self, obj: Mapping[str, Any], *, subresource: str | None = None,
                     field_manager: str | None = None) -> Obj:
        """PUT the whole object (its ``metadata.resourceVersion`` makes it a conditional update)."""
        res = await self.resource(Kind.of(obj))
        params = {"fieldManager": field_manager} if field_manager else None
        path = res.path(self._ns(res, None, obj), obj["metadata"]["name"], subresource)
        result: Obj = await self.request("PUT", path, params=params, body=obj)
        return result

    async def update_status(self, obj: Mapping[str, Any]) -> Obj:
        """PUT the object's ``status`` subresource."""
        return await self.update(obj, subresource="status")

    async def patch(self, kind: KindLike, name: str, patch: Any, namespace: str | None = None, *,
                    type: PatchType = PatchType.MERGE, subresource: str | None = None,
                    field_manager: str | None = None, force: bool | None = None) -> Obj:
        res = await self.resource(kind)
        params: dict[str, str] = {}
        if field_manager:
            params["fieldManager"] = field_manager
        if force is not None:
            params["force"] = "true" if force else "false"
        result: Obj = await self.request("PATCH", res.path(self._ns(res, namespace), name, subresource),
                                         params=params or None, body=patch, content_type=type.value)
        return result

    async def apply(self, obj: Mapping[str, Any], *, field_manager: str, force: bool = False,
                    subresource: str | None = None) -> Obj:
        """Server-side apply ``obj`` (a partial object naming the fields this manager owns)."""
        meta = obj["metadata"]
        res = await self.resource(Kind.of(obj))
        return await self.patch(res, meta["name"], obj, self._ns(res, None, obj), type=PatchType.APPLY,
                                subresource=subresource, field_manager=field_manager, force=force)

    async def delete(self, kind: KindLike, name: str, namespace: str | None = None, *,
                     propagation_policy: str | None = None, grace_period_seconds: int | None = None,
                     preconditions: Mapping[str, str] | None = None) -> Obj:
        res = await self.resource(kind)
        options: dict[str, Any] = {}
        if propagation_policy:
            options["propagationPolicy"] = propagation_policy
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        if preconditions:
            options["preconditions"] = dict(preconditions)
        body = {"kind": "DeleteOptions", "apiVersion": "v1", **options} if options else None
        result: Obj = await self.request("DELETE", res.path(self._ns(res, namespace), name), body=body)
        return result

    async def watch(self, kind: KindLike, namespace: str | None = None, *, resource_version: str | None = None,
                    label_selector: str | None = None, field_selector: str | None = None,
                    allow_bookmarks: bool = True, timeout_seconds: int | None = None) -> HTTPWatchStream:
        """Open a watch; the server closes it after ``timeout_seconds`` (5-10 min at random by default,
        as client-go's reflector)."""
        res = await self.resource(kind)
        if timeout_seconds is None:
            timeout_seconds = random.randint(300, 600)
        params: dict[str, str] = {"watch": "1", "timeoutSeconds": str(timeout_seconds)}
        if allow_bookmarks:
            params["allowWatchBookmarks"] = "true"
        if resource_version is not None:
            params["resourceVersion"] = resource_version
        if label_selector:
            params["labelSelector"] = label_selector
        if field_selector:
            params["fieldSelector"] = field_selector
        response = await self._send("GET", res.path(namespace if res.namespaced else None), params=params,
                                    watch=True, read_timeout=timeout_seconds + 60.0)
        if response.status >= 400:
            try:
                raw = await response.read()
            except (TimeoutError, aiohttp.ClientError, OSError):
                raw = b""
            response.release()
            raise _error(response.status, raw)
        return HTTPWatchStream(response)


def _error(code: int, raw: bytes) -> errors.ApiError:
    status: Mapping[str, Any] | None = None
    message = ""
    try:
        decoded = orjson.loads(raw) if raw else None
        if isinstance(decoded, dict):
            status = decoded
    except orjson.JSONDecodeError:
        message = raw[:200].decode("utf-8", "replace")
    return errors.from_status(code, status, message)


def _environment_proxy(host: str) -> str | None:
    """``HTTPS_PROXY``/``HTTP_PROXY`` for ``host`` unless ``NO_PROXY`` excludes it (as Go's net/http)."""
    parsed = urllib.parse.urlsplit(host)
    if not parsed.hostname or urllib.request.proxy_bypass(parsed.hostname):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(parsed.scheme) or None
