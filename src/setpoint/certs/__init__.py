"""Certificates as a control plane: cert-manager's API (``cert-manager.io/v1``) served by
controllers written with :mod:`setpoint.runtime`, like any operator -- so they run inside
``setpoint up --certificates`` and against any real cluster (``python -m setpoint.certs run``).

* :mod:`~setpoint.certs.api` -- the CRDs (Issuer, ClusterIssuer, Certificate,
  CertificateRequest) from Python models, matching cert-manager's published CRDs;
* :mod:`~setpoint.certs.issuers` -- issuers' ``Ready`` (selfSigned, ca);
* :mod:`~setpoint.certs.certificates` -- Certificate -> key -> CertificateRequest -> Secret,
  renewal, healing, back-off;
* :mod:`~setpoint.certs.requests` -- the approver and the signer;
* :mod:`~setpoint.certs.ingress` -- cert-manager's ingress-shim;
* :mod:`~setpoint.certs.pki`, :mod:`~setpoint.certs.keypairs` -- the cryptography (``cryptography``);
* :mod:`~setpoint.certs.cli` -- ``python -m setpoint.certs`` (run, install, status, renew,
  approve, deny, inspect).

::

    mgr = Manager(client)
    await install_crds(client)
    setup(mgr)                  # CertOptions() for cert-manager's defaults
    await mgr.run()
"""

from __future__ import annotations

from setpoint.certs.api import crds
from setpoint.certs.certificates import add_certificate_controller
from setpoint.certs.ingress import add_ingress_shim
from setpoint.certs.issuers import add_issuer_controllers
from setpoint.certs.names import CERTIFICATE, CERTIFICATE_REQUEST, CLUSTER_ISSUER, ISSUER
from setpoint.certs.options import CertOptions
from setpoint.certs.requests import add_request_controllers
from setpoint.runtime.client import Client, wait_served
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.manager import Manager

__all__ = ["CertOptions", "install_crds", "setup"]

#: The field manager of the CRDs' server-side apply.
FIELD_MANAGER = "setpoint-certs"


def setup(mgr: Manager, options: CertOptions | None = None) -> None:
    """Add the certificate controllers to ``mgr`` (the CRDs must be installed: :func:`install_crds`)."""
    options = options or CertOptions()
    recorder = EventRecorder(mgr.client, "cert-manager")
    add_issuer_controllers(mgr, recorder, options)
    add_request_controllers(mgr, recorder, options)
    add_certificate_controller(mgr, recorder, options)
    if options.ingress_shim:
        add_ingress_shim(mgr, recorder, options)


async def install_crds(client: Client, *, timeout: float = 30.0) -> None:
    """Apply the four CRDs (server-side, forcing) and wait until the server serves them."""
    for crd in crds():
        await client.apply(crd, field_manager=FIELD_MANAGER, force=True)
    await wait_served(client, (CERTIFICATE, CERTIFICATE_REQUEST, ISSUER, CLUSTER_ISSUER), timeout=timeout)
