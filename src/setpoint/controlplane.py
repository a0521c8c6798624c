"""A whole control plane in one process: storage, API server, built-in controllers.

The controllers (:class:`~setpoint.controllers.manager.ControllerManager`) get the API
server's registry and object store, not the server: they read and write in-process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import yaml

from setpoint import storage
from setpoint.apiserver import pki
from setpoint.apiserver.audit import Auditor
from setpoint.apiserver.encryption import EncryptedStorage, EncryptionConfig
from setpoint.apiserver.server import APIServer
from setpoint.controllers.bootstrap import add_kubernetes_service, host_address
from setpoint.controllers.manager import ControllerManager
from setpoint.controllers.options import ControllerOptions
from setpoint.runtime import metrics as runtime_metrics

#: Events the API server's one storage watch may fall behind by before it re-lists.
WATCH_BUFFER = 1_000_000


class ControlPlane:
    """What ``setpoint up`` runs: open it with :meth:`start`, end it with :meth:`stop`."""

    def __init__(self, storage_url: str, *, host: str = "127.0.0.1", port: int = 6443,
                 data_dir: Path | None = None, controllers: Iterable[str] = ("*",),
                 advertise_address: str | None = None, controller_options: ControllerOptions | None = None,
                 nodes: int = 0, auditor: Auditor | None = None, encryption: EncryptionConfig | None = None,
                 **storage_options: object) -> None:
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
        self._storage_options = storage_options
        #: The audit log and the encryption at rest of the API server (None: off).
        self.auditor = auditor
        self.encryption = encryption
        self.storage: storage.Storage | None = None
        self.server: APIServer | None = None
        self.controllers: ControllerManager | None = None

    async def start(self) -> None:
        options = {"watch_buffer": WATCH_BUFFER, **self._storage_options}
        self.storage = await storage.open_storage(self.storage_url, **options)
        try:
            if self.encryption is not None:
                self.storage = EncryptedStorage(self.storage, self.encryption)
                await self.storage.verify()  # a wrong key fails here, with the key it could not read
            self.server = APIServer(self.storage, auditor=self.auditor)
            await self.server.start(self.host, self.requested_port)
            # Written as soon as the server answers /readyz (clients wait for that, not for controllers).
            if self.data_dir is not None:
                write_kubeconfig(self.data_dir / "kubeconfig", self.url)
            #: The cluster CA (kept in the data dir): published as kube-root-ca.crt.
            self.ca = pki.load_or_create_ca(self.data_dir)
            self.controllers = ControllerManager(self.server.registry, self.server.objects,
                                                 controllers=self.controller_selectors, ca_data=self.ca.cert_pem,
                                                 options=self.controller_options, nodes=self.nodes)
            # kube-apiserver's bootstrap controller: the `kubernetes` Service in `default`.
            add_kubernetes_service(self.controllers.manager, self.controllers.client, port=self.port,
                                   address=self.advertise_address or host_address())
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
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
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


def kubeconfig(url: str) -> dict[str, object]:
    """A kubeconfig whose cluster, user and context are all named ``setpoint``."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "setpoint", "cluster": {"server": url}}],
        "users": [{"name": "setpoint", "user": {"token": "setpoint"}}],
        "contexts": [{"name": "setpoint", "context": {"cluster": "setpoint", "user": "setpoint",
                                                       "namespace": "default"}}],
        "current-context": "setpoint",
        "preferences": {},
    }


def write_kubeconfig(path: Path, url: str) -> None:
    """Write the kubeconfig atomically (readers never see half a file)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(kubeconfig(url), sort_keys=False))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
