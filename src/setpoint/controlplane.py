"""A whole control plane in one process: storage, API server, built-in controllers.

The controllers (:class:`~setpoint.controllers.manager.ControllerManager`) get the API
server's registry and object store, not the server: they read and write in-process.

The server speaks TLS unless told otherwise (``tls=None``): its certificates come from
:mod:`setpoint.apiserver.pki` (kept in the data dir), and the kubeconfig it writes trusts the
cluster CA and carries the administrator's client certificate.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import os
import ssl
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from setpoint import storage
from setpoint.apiserver import pki, tls
from setpoint.apiserver.audit import Auditor
from setpoint.apiserver.authn.authentication import Authentication
from setpoint.apiserver.authn.x509 import X509Authenticator
from setpoint.apiserver.encryption import EncryptedStorage, EncryptionConfig
from setpoint.apiserver.server import APIServer
from setpoint.controllers.apiserverlease import APIServerLeases, add_apiserver_leases
from setpoint.controllers.bootstrap import add_kubernetes_service, host_address
from setpoint.controllers.manager import ControllerManager
from setpoint.controllers.options import ControllerOptions
from setpoint.runtime import metrics as runtime_metrics
from setpoint.runtime.leader import LeaderElection

#: Events the API server's one storage watch may fall behind by before it re-lists.
WATCH_BUFFER = 1_000_000


class ControlPlane:
    """What ``setpoint up`` runs: open it with :meth:`start`, end it with :meth:`stop`."""

    def __init__(self, storage_url: str, *, host: str = "127.0.0.1", port: int = 6443,
                 data_dir: Path | None = None, controllers: Iterable[str] = ("*",),
                 advertise_address: str | None = None, controller_options: ControllerOptions | None = None,
                 nodes: int = 0, tls_options: tls.TLSOptions | None = tls.TLSOptions(),
                 cluster_pki: pki.ClusterPKI | None = None, token_auth_file: Path | None = None,
                 anonymous_auth: bool | None = None, authorization_modes: tuple[str, ...] | None = None,
                 server_options: dict[str, Any] | None = None, auditor: Auditor | None = None,
                 encryption: EncryptionConfig | None = None, leader_elect: bool | None = None,
                 election: LeaderElection | None = None, **storage_options: object) -> None:
        self.controller_selectors = tuple(controllers)
        self.controller_options = controller_options
        self.storage_url = storage_url
        self.host = host
        self.requested_port = port
        self.data_dir = data_dir
        #: The address the ``kubernetes`` Endpoints point at (None: the host's, as kube-apiserver picks it).
        self.advertise_address = advertise_address
        #: Simulated nodes to register (0: a bare control plane, no scheduler or kubelet).
        self.nodes = nodes
        #: How to serve TLS (None: plain HTTP).
        self.tls_options = tls_options
        #: Certificates made beforehand (tests share one set per process); None: the data dir's.
        self.cluster_pki = cluster_pki
        #: The kubeconfig a client needs (the one written to ``DIR/kubeconfig``); set by :meth:`start`.
        self.kubeconfig: dict[str, object] = {}
        self._kubeconfig_credentials: dict[str, str] = {}
        self._storage_options = storage_options
        #: More keyword arguments of :class:`APIServer` (in-flight limits, priority and fairness).
        self.server_options = server_options or {}
        if anonymous_auth is None:
            # Over plain HTTP kubectl sends no bearer token: requests without credentials stay allowed there.
            anonymous_auth = tls_options is None
        #: ``--authorization-mode``. By default RBAC (the kubeconfig's user is in system:masters: allowed
        #: everything), but AlwaysAllow while kubectl is anonymous over plain HTTP: RBAC would refuse it all.
        self.authorization_modes = authorization_modes or (
            ("AlwaysAllow",) if tls_options is None and anonymous_auth else ("RBAC",))
        #: The authenticators (client certificates, ``--token-auth-file``, ServiceAccount tokens, anonymous)
        #: and keys; over plain HTTP the kubeconfig carries an administrator token instead of a certificate.
        self.authentication = Authentication(data_dir=data_dir, token_file=token_auth_file, anonymous=anonymous_auth,
                                             authenticators=[X509Authenticator()], admin_token=tls_options is None)
        #: The audit log and the encryption at rest of the API server (None: off).
        self.auditor = auditor
        self.encryption = encryption
        #: ``--leader-elect``: the controllers run while this server holds their Lease (None: on etcd,
        #: where several servers share the state; SQLite and memory have one server).
        self.leader_elect = storage_url.startswith("etcd://") if leader_elect is None else leader_elect
        #: This server's candidacy: identity and timings (None: a new identity, client-go's timings).
        self.election = election
        self.storage: storage.Storage | None = None
        self.server: APIServer | None = None
        self.controllers: ControllerManager | None = None
        #: This server's identity Lease and its part in the `kubernetes` Service's endpoints.
        self.apiserver_leases: APIServerLeases | None = None

    async def start(self) -> None:
        options = {"watch_buffer": WATCH_BUFFER, **self._storage_options}
        context = self._tls_setup()
        self.storage = await storage.open_storage(self.storage_url, **options)
        try:
            if self.encryption is not None:
                self.storage = EncryptedStorage(self.storage, self.encryption)
                await self.storage.verify()  # a wrong key fails here, with the key it could not read
            self.server = APIServer(self.storage, authentication=self.authentication,
                                    authorization_modes=self.authorization_modes, auditor=self.auditor,
                                    **self.server_options)
            await self.server.start(self.host, self.requested_port, ssl_context=context)
            self.kubeconfig = kubeconfig(self.url, **self._kubeconfig_credentials)
            # Written as soon as the server answers /readyz (clients wait for that, not for controllers).
            if self.data_dir is not None:
                write_kubeconfig(self.data_dir / "kubeconfig", self.kubeconfig)
            self.controllers = ControllerManager(self.server.registry, self.server.objects,
                                                 controllers=self.controller_selectors, ca_data=self.ca.cert_pem,
                                                 options=self.controller_options, nodes=self.nodes,
                                                 leader_elect=self.leader_elect, election=self.election)
            # kube-apiserver's bootstrap controller: the `kubernetes` Service in `default` (with leader
            # election, the leader's), and its endpoints from every server's identity Lease (each server's).
            client, port, address = self.controllers.client, self.port, self.advertise_address or host_address()
            self.controllers.add_elected(lambda m: add_kubernetes_service(m, client, port=port))
            self.apiserver_leases = add_apiserver_leases(self.controllers.manager, client, address=address, port=port,
                                                         clock=self.controllers.options.clock)
            await self.controllers.start()
            # As kube-controller-manager's /metrics: controller_runtime_*, workqueue_*.
            self.server.metrics_sources.append(runtime_metrics.render)
        except BaseException:
            await self.stop()
            raise

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.port

    @property
    def url(self) -> str:
        scheme = "http" if self.tls_options is None else "https"
        return f"{scheme}://{_client_host(self.host)}:{self.port}"

    def _tls_setup(self) -> ssl.SSLContext | None:
        """Load or make the certificates; the serving context (None for plain HTTP)."""
        options = self.tls_options
        if options is None:
            #: The cluster CA (kept in the data dir): published as kube-root-ca.crt.
            self.ca = self.cluster_pki.ca if self.cluster_pki is not None else pki.load_or_create_ca(self.data_dir)
            assert self.authentication.admin_token is not None
            self._kubeconfig_credentials = {"token": self.authentication.admin_token}
            return None
        sans = [*options.sans, *(a for a in (self.host, self.advertise_address) if a and _specific_ip(a))]
        try:
            cluster = self.cluster_pki or pki.load_or_create(self.data_dir, sans)
        except ValueError as e:
            raise tls.TLSError(str(e)) from None
        self.ca = cluster.ca
        serving = cluster.serving
        if options.cert_file is not None and options.key_file is not None:
            serving = tls.load_pair(options.cert_file, options.key_file)
        client_cas = cluster.ca.cert_pem
        if options.client_ca_file is not None:
            client_cas += b"\n" + tls.load_cas(options.client_ca_file)
        self._kubeconfig_credentials = {
            "certificate-authority-data": _b64(tls.trust_bundle(cluster.ca.cert_pem, serving.cert_pem)),
            "client-certificate-data": _b64(cluster.admin.cert_pem),
            "client-key-data": _b64(cluster.admin.key_pem)}
        return tls.server_context(serving, client_cas)

    async def stop(self) -> None:
        if self.apiserver_leases is not None:
            with contextlib.suppress(Exception):  # a clean stop drops this server from the endpoints at once
                await self.apiserver_leases.remove()
            self.apiserver_leases = None
        if self.controllers is not None:
            await self.controllers.stop()
            self.controllers = None
        if self.server is not None:
            await self.server.stop()
            self.server = None
        if self.storage is not None:
            await self.storage.close()
            self.storage = None
        if self.auditor is not None:
            self.auditor.close()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _specific_ip(host: str) -> bool:
    """Whether ``host`` is one IP address a client may dial (not 0.0.0.0 or ::)."""
    try:
        return not ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def _client_host(host: str) -> str:
    """The host part of the URL clients use for a server bound to ``host``."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if ip.is_unspecified:
        ip = ipaddress.ip_address("127.0.0.1" if ip.version == 4 else "::1")
    return f"[{ip}]" if ip.version == 6 else str(ip)


def kubeconfig(url: str, **credentials: str) -> dict[str, object]:
    """A self-contained kubeconfig whose cluster, user and context are all named ``setpoint``:
    ``credentials`` are the cluster's ``certificate-authority-data`` and the user's fields
    (``client-certificate-data``/``client-key-data``, or ``token``)."""
    ca = credentials.pop("certificate-authority-data", None)
    cluster: dict[str, str] = {"server": url}
    if ca is not None:
        cluster["certificate-authority-data"] = ca
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "setpoint", "cluster": cluster}],
        "users": [{"name": "setpoint", "user": dict(credentials)}],
        "contexts": [{"name": "setpoint", "context": {"cluster": "setpoint", "user": "setpoint",
                                                       "namespace": "default"}}],
        "current-context": "setpoint",
        "preferences": {},
    }


def write_kubeconfig(path: Path, config: dict[str, object]) -> None:
    """Write the kubeconfig atomically (readers never see half a file), readable by its owner only."""
    tmp = path.with_suffix(".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        f.write(yaml.safe_dump(config, sort_keys=False))
    os.replace(tmp, path)
