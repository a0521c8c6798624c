"""Where the API server is and how to authenticate to it: kubeconfig, in-cluster, or a bare URL.

Reading kubeconfig files and authenticating is lightkube's job (``lightkube.config``;
see "The runtime's client" in ``docs/architecture.md`` for why that library): it selects the context,
decodes ``*-data`` fields, builds the TLS context (CA, client certificate, insecure),
and supplies the credentials -- static tokens, token files (re-read on 401, as
in-cluster service-account tokens rotate), basic auth and ``exec`` credential plugins
(run again on 401). This module adds what lightkube leaves out: ``KUBECONFIG`` lists
of files merged as kubectl merges them, ``tls-server-name`` and ``proxy-url``.

A :class:`Config` is a URL, an :class:`ssl.SSLContext`, and an :class:`Auth` whose
:meth:`Auth.authorization` is cheap to call before every request: lightkube's
credential objects are driven once up front and again only after a 401.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


class ConfigError(Exception):
    """The configuration could not be loaded."""


class Auth(Protocol):
    """Supplies the ``Authorization`` header; may refresh it."""

    async def authorization(self) -> str | None:
        """The header value for the next request (``None``: send none)."""
        ...

    async def refresh(self) -> bool:
        """The server answered 401: renew credentials; True if a retry may help."""
        ...


class StaticAuth:
    """A fixed header: a bearer token, or nothing."""

    def __init__(self, header: str | None) -> None:
        self._header = header

    @classmethod
    def bearer(cls, token: str | None) -> StaticAuth:
        return cls(f"Bearer {token}" if token else None)

    async def authorization(self) -> str | None:
        return self._header

    async def refresh(self) -> bool:
        return False


class FlowAuth:
    """Any ``httpx.Auth`` (lightkube's credential objects), reduced to a cached header.

    The auth flow runs once to get the first header, and again with a synthetic 401
    answer when the server refuses it -- which is when lightkube's token-file and exec
    credentials renew themselves. Between 401s the cached header is sent as is.
    """

    def __init__(self, auth: Any, url: str) -> None:
        self._auth = auth
        self._url = url
        self._header: str | None = None
        self._started = False

    async def authorization(self) -> str | None:
        if not self._started:
            self._header = await self._run(renew=False)
            self._started = True
        return self._header

    async def refresh(self) -> bool:
        header = await self._run(renew=True)
        changed = header is not None and header != self._header
        if header is not None:
            self._header = header
        self._started = True
        return changed

    async def _run(self, *, renew: bool) -> str | None:
        import httpx2 as httpx

        flow = self._auth.async_auth_flow(httpx.Request("GET", self._url))
        try:
            request = await flow.__anext__()
            if renew:
                try:
                    request = await flow.asend(httpx.Response(401, request=request))
                except StopAsyncIteration:
                    return None  # this credential cannot renew itself
            header: str | None = request.headers.get("Authorization")
            return header
        except Exception as e:  # a failing exec plugin, an unreadable token file...
            raise ConfigError(f"cannot get credentials: {e}") from e
        finally:
            await flow.aclose()


@dataclass
class Config:
    """Everything a :class:`~setpoint.runtime.client.Client` needs to reach one API server.

    ``qps``/``burst`` set a client-side token bucket; ``None`` (the default, as in
    controller-runtime >= 0.15, which relies on the server's priority and fairness) sends
    without client-side limits.
    """

    host: str
    namespace: str = "default"
    auth: Auth = field(default_factory=lambda: StaticAuth(None))
    ssl_context: ssl.SSLContext | None = None
    tls_server_name: str | None = None
    proxy: str | None = None
    qps: float | None = None
    burst: int = 10
    timeout: float = 60.0
    user_agent: str = "setpoint-runtime/0.1"

    @classmethod
    def from_url(cls, url: str, *, token: str | None = None, namespace: str = "default",
                 insecure: bool = False) -> Config:
        """A server reached at ``url`` (http or https) with an optional bearer token."""
        ctx = None
        if url.startswith("https"):
            ctx = ssl.create_default_context()
            if insecure:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
        return cls(host=url.rstrip("/"), namespace=namespace, auth=StaticAuth.bearer(token), ssl_context=ctx)

    @classmethod
    def from_kubeconfig(cls, path: str | os.PathLike[str] | None = None, *,
                        context: str | None = None) -> Config:
        """Load a kubeconfig: ``path``, else ``$KUBECONFIG`` (a ``:``-separated list is merged as
        kubectl merges it), else ``~/.kube/config``; use ``context`` or the current one."""
        if path is not None:
            paths = [Path(path).expanduser()]
        else:
            env = os.environ.get("KUBECONFIG", "")
            paths = [Path(p).expanduser() for p in env.split(os.pathsep) if p] or [Path.home() / ".kube" / "config"]
        data = merge_kubeconfigs(paths)
        return cls.from_kubeconfig_dict(data, context=context, path=next((p for p in paths if p.is_file()), None))

    @classmethod
    def from_kubeconfig_dict(cls, data: Mapping[str, Any], *, context: str | None = None,
                             path: Path | None = None) -> Config:
        """Like :meth:`from_kubeconfig`, from an already parsed kubeconfig."""
        from lightkube.config import client_adapter
        from lightkube.config.kubeconfig import KubeConfig
        from lightkube.core.exceptions import ConfigError as LightkubeConfigError

        try:
            single = KubeConfig.from_dict(dict(data), fname=path).get(context)
            assert single is not None
            return cls._from_single(single, raw=data, trust_env=True, client_adapter=client_adapter)
        except (LightkubeConfigError, KeyError, ValueError, OSError, AssertionError) as e:
            raise ConfigError(f"cannot use kubeconfig{f' {path}' if path else ''}: {e!r}") from e

    @classmethod
    def in_cluster(cls, *, account_dir: Path = SERVICE_ACCOUNT_DIR,
                   environ: Mapping[str, str] | None = None) -> Config:
        """The pod's service account: ``KUBERNETES_SERVICE_HOST``/``PORT``, its CA, its rotated token."""
        from lightkube.config import client_adapter
        from lightkube.config.kubeconfig import KubeConfig
        from lightkube.config.models import Cluster, User
        from lightkube.core.exceptions import ConfigError as LightkubeConfigError

        env = os.environ if environ is None else environ
        host, port = env.get("KUBERNETES_SERVICE_HOST"), env.get("KUBERNETES_SERVICE_PORT")
        if not host or not port:
            raise ConfigError("not running in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set")
        if ":" in host:
            host = f"[{host}]"
        token_file = account_dir / "token"
        try:
            token = token_file.read_text().strip()
            namespace_file = account_dir / "namespace"
            namespace = namespace_file.read_text().strip() if namespace_file.exists() else "default"
            single = KubeConfig.from_one(
                cluster=Cluster(server=f"https://{host}:{port}", certificate_auth=str(account_dir / "ca.crt")),
                user=User(token=token, token_file=str(token_file)), namespace=namespace).get()
            assert single is not None
            return cls._from_single(single, raw={}, trust_env=False, client_adapter=client_adapter)
        except (LightkubeConfigError, OSError, AssertionError, ssl.SSLError) as e:
            raise ConfigError(f"not running in a cluster: {e}") from e

    @classmethod
    def load(cls, *, context: str | None = None) -> Config:
        """In a pod, its service account; elsewhere, the kubeconfig (as kubectl finds it)."""
        if os.environ.get("KUBERNETES_SERVICE_HOST") and (SERVICE_ACCOUNT_DIR / "token").exists():
            return cls.in_cluster()
        return cls.from_kubeconfig(context=context)

    @classmethod
    def _from_single(cls, single: Any, *, raw: Mapping[str, Any], trust_env: bool, client_adapter: Any) -> Config:
        server = str(single.cluster.server).rstrip("/")
        ctx = None
        if server.startswith("https"):
            from lightkube.config.models import User

            ctx = client_adapter.verify_cluster(single.cluster, single.user or User(), single.abs_file,
                                                trust_env=trust_env)
        auth_obj = client_adapter.user_auth(single.user) if single.user is not None else None
        auth: Auth = FlowAuth(auth_obj, server) if auth_obj is not None else StaticAuth(None)
        cluster_raw = _named(raw.get("clusters"), single.context.cluster, "cluster")
        return cls(host=server, namespace=single.namespace, auth=auth, ssl_context=ctx,
                   tls_server_name=cluster_raw.get("tls-server-name"), proxy=cluster_raw.get("proxy-url"))


def _named(entries: Any, name: str, key: str) -> Mapping[str, Any]:
    for entry in entries or ():
        if entry.get("name") == name:
            value: Mapping[str, Any] = entry.get(key) or {}
            return value
    return {}


_FILE_FIELDS = {"clusters": ("cluster", ("certificate-authority",)),
                "users": ("user", ("client-certificate", "client-key", "tokenFile"))}


def merge_kubeconfigs(paths: list[Path]) -> dict[str, Any]:
    """Merge kubeconfig files as kubectl does: the first file to define a name wins, the first
    ``current-context`` wins; relative file references are resolved against their own file."""
    merged: dict[str, Any] = {"clusters": [], "users": [], "contexts": [], "current-context": None}
    seen: dict[str, set[str]] = {"clusters": set(), "users": set(), "contexts": set()}
    found = False
    for path in paths:
        if not path.is_file():
            continue
        found = True
        data = yaml.safe_load(path.read_text()) or {}
        if not merged["current-context"] and data.get("current-context"):
            merged["current-context"] = data["current-context"]
        for section in ("clusters", "users", "contexts"):
            for entry in data.get(section) or ():
                name = entry.get("name")
                if name is None or name in seen[section]:
                    continue
                seen[section].add(name)
                if section in _FILE_FIELDS:
                    key, fields = _FILE_FIELDS[section]
                    body = dict(entry.get(key) or {})
                    for f in fields:
                        if body.get(f) and not Path(body[f]).is_absolute():
                            body[f] = str(path.parent / body[f])
                    entry = {**entry, key: body}
                merged[section].append(entry)
    if not found:
        raise ConfigError(f"no kubeconfig file found (looked at {', '.join(map(str, paths))})")
    return merged
