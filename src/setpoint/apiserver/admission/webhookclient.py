"""Calling webhooks: one HTTPS client per server, shared by admission and CRD conversion webhooks.

kube's ``k8s.io/apiserver/pkg/util/webhook`` (ClientManager, service resolution) in small:

* :meth:`WebhookClient.target` compiles a ``clientConfig`` once (when its configuration or CRD
  changes): the URL, and an :class:`ssl.SSLContext` trusting ``caBundle`` (or the system's roots),
  built once per distinct bundle;
* a ``service`` reference is resolved on every call, as kube's endpoint-routing resolver does:
  the Service's port (``service.port``, 443 by default) gives the target port, the Service's
  Endpoints an address. There is no cluster network, and Endpoints may not hold a loopback
  address: a Service without endpoints is this machine, ``127.0.0.1`` at the target port — the
  port an operator's webhook server listens on when it runs locally (``port: 443, targetPort:
  9443`` for controller-runtime's). The certificate is checked for ``NAME.NAMESPACE.svc``, as kube
  checks it;
* :meth:`WebhookClient.post` sends one review with aiohttp and answers the decoded JSON, or
  raises :class:`CallError` worded as Go's HTTP client words the failure
  (``Post "https://...?timeout=10s": dial tcp 127.0.0.1:9443: connect: connection refused``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry

if TYPE_CHECKING:
    import aiohttp


class CallError(Exception):
    """A failure to call a webhook (not a webhook's answer): kube's ``ErrCallingWebhook`` reason."""


@dataclass(frozen=True, slots=True)
class Target:
    """A compiled ``clientConfig``: a URL, or a Service to resolve at call time."""

    url: str
    service: tuple[str, str, int, str] | None  # namespace, name, port, path
    ssl: ssl.SSLContext | None
    error: str = ""  # why no client could be made (a bad caBundle)


class WebhookClient:
    """The server's webhook client: SSL contexts by CA bundle, one aiohttp session."""

    def __init__(self, registry: Registry, objects: ObjectStore) -> None:
        self._registry = registry
        self._objects = objects
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _context(self, ca_bundle: str) -> ssl.SSLContext:
        ctx = self._contexts.get(ca_bundle)
        if ctx is None:
            cadata = base64.b64decode(ca_bundle, validate=True).decode("ascii") if ca_bundle else None
            ctx = ssl.create_default_context(cadata=cadata)  # no bundle: the system's roots
            self._contexts[ca_bundle] = ctx
        return ctx

    def target(self, config: Any) -> Target:
        """Compile a ``WebhookClientConfig`` (validated already)."""
        config = config if isinstance(config, dict) else {}
        try:
            ctx: ssl.SSLContext | None = self._context(str(config.get("caBundle") or ""))
            error = ""
        except (ssl.SSLError, binascii.Error, ValueError, UnicodeDecodeError):
            ctx, error = None, "unable to load root certificates: unable to parse bytes as PEM block"
        service = config.get("service")
        if isinstance(service, dict):
            return Target("", (str(service.get("namespace") or ""), str(service.get("name") or ""),
                               int(service.get("port") or 443), str(service.get("path") or "")), ctx, error)
        return Target(str(config.get("url") or ""), None, ctx, error)

    def _resolve(self, target: Target) -> tuple[str, str | None]:
        """The URL to dial and the name the certificate must carry."""
        if target.service is None:
            return target.url, None
        namespace, name, port, path = target.service
        services = self._registry.get("", "v1", "services")
        endpoints = self._registry.get("", "v1", "endpoints")
        svc = None if services is None else self._objects.cacher(services).get(services.key(namespace, name))
        if svc is None:
            raise CallError(f'services "{name}" not found')
        target_port: Any = None
        for p in (svc.obj.get("spec") or {}).get("ports") or []:
            if p.get("port") == port:
                target_port = p.get("targetPort", port)
                break
        if target_port is None:
            raise CallError(f'no service port {port} found for service "{name}"')
        eps = None if endpoints is None else self._objects.cacher(endpoints).get(endpoints.key(namespace, name))
        for subset in (eps.obj.get("subsets") or []) if eps is not None else []:
            addresses = subset.get("addresses") or []
            for ep_port in subset.get("ports") or []:
                if addresses and (ep_port.get("port") == target_port or ep_port.get("name") == target_port
                                  or len(subset.get("ports") or []) == 1):
                    ip = str(addresses[0].get("ip"))
                    host = f"[{ip}]" if ":" in ip else ip
                    return f"https://{host}:{ep_port.get('port')}{path}", f"{name}.{namespace}.svc"
        if isinstance(target_port, int):
            # No endpoints (they may not hold a loopback address): the webhook runs on this machine.
            return f"https://127.0.0.1:{target_port}{path}", f"{name}.{namespace}.svc"
        raise CallError(f'no endpoints available for service "{name}"')

    async def post(self, target: Target, body: Obj, timeout: float) -> Any:
        """POST a review; the decoded response, or :class:`CallError`."""
        if asyncio.current_task() is None:
            # A request's first step runs outside any task (the HTTP server starts it at once);
            # the timeouts here need one.
            return await asyncio.get_running_loop().create_task(self.post(target, body, timeout))
        import aiohttp  # ~150 ms of start-up, paid by the first webhook call only

        if target.error:
            raise CallError(f"could not get REST client: {target.error}")
        url, server_name = self._resolve(target)
        seconds = max(1, int(timeout + 0.999))
        url = f"{url}?timeout={seconds}s"
        session = self._session
        if session is None:
            session = self._session = aiohttp.ClientSession(
                json_serialize=lambda o: orjson.dumps(o).decode(),
                connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300))
        try:
            async with asyncio.timeout(timeout):
                async with session.post(url, data=orjson.dumps(body), ssl=target.ssl or True,
                                        server_hostname=server_name,
                                        headers={"Content-Type": "application/json",
                                                 "Accept": "application/json, */*"}) as response:
                    data = await response.read()
                    status = response.status
        except TimeoutError:
            raise CallError(f'Post "{url}": context deadline exceeded') from None
        except aiohttp.ClientConnectorCertificateError as exc:
            raise CallError(f'Post "{url}": tls: failed to verify certificate: {_x509(exc)}') from None
        except aiohttp.ClientSSLError as exc:
            raise CallError(f'Post "{url}": remote error: tls: {exc}') from None
        except aiohttp.ClientConnectorError as exc:
            raise CallError(f'Post "{url}": dial tcp {_host_port(url)}: connect: {_errno_text(exc)}') from None
        except aiohttp.ClientError as exc:
            raise CallError(f'Post "{url}": {exc or type(exc).__name__}') from None
        if not 200 <= status < 300:
            raise CallError(_status_error(status, data))
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise CallError(f"couldn't get version/kind; json parse error: {exc}") from None


def _host_port(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc


def _errno_text(exc: aiohttp.ClientConnectorError) -> str:
    err = exc.os_error
    if isinstance(err, ConnectionRefusedError):
        return "connection refused"
    return (err.strerror or str(err)).lower() if err is not None else str(exc)


def _x509(exc: aiohttp.ClientConnectorCertificateError) -> str:
    text = str(exc.certificate_error)
    if "Hostname mismatch" in text or "IP address mismatch" in text:
        return f"x509: certificate is not valid for the requested name ({text})"
    return "x509: certificate signed by unknown authority"


def _status_error(status: int, body: bytes) -> str:
    """What client-go's REST client says of a non-2xx answer that is not a Status."""
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        decoded = None
    if isinstance(decoded, dict) and decoded.get("kind") == "Status" and decoded.get("message"):
        return str(decoded["message"])
    if status == 404:
        return "the server could not find the requested resource"
    if status >= 500:
        text = body.decode("utf-8", "replace").strip()
        return f'an error on the server ("{text}") has prevented the request from succeeding'
    return f"the server responded with the status code {status} but did not return more information"
