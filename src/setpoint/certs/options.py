"""The settings of the certificate controllers (cert-manager's flags, and a clock for tests)."""

from __future__ import annotations

from dataclasses import dataclass

from setpoint.apimachinery.clock import REAL_CLOCK, Clock


@dataclass
class CertOptions:
    """cert-manager's defaults; tests shorten the back-off and may inject a clock."""

    #: The time the controllers go by (a :class:`~setpoint.apimachinery.clock.FakeClock` in tests).
    clock: Clock = REAL_CLOCK
    #: The delay after the first failed issuance; it doubles with each further failure...
    backoff_initial: float = 3600.0
    #: ...up to this (cert-manager: 1 h doubling to 32 h).
    backoff_max: float = 32 * 3600.0
    #: ``--cluster-resource-namespace``: where the Secrets of ClusterIssuers are read.
    cluster_resource_namespace: str = "cert-manager"
    #: Approve CertificateRequests for setpoint's issuers (cert-manager's internal approver);
    #: off: approve or deny by hand (``setpoint-certs approve|deny``).
    auto_approve: bool = True
    #: Create Certificates for annotated Ingresses (cert-manager's ingress-shim).
    ingress_shim: bool = True
    #: Workers of each controller.
    workers: int = 16


def backoff_delay(attempts: int, options: CertOptions) -> float:
    """Seconds to wait after ``attempts`` failed issuances in a row: cert-manager's
    ``backoff_initial * 2 ** (attempts - 1)``, at most ``backoff_max``."""
    if attempts < 1:
        return 0.0
    delay: float = options.backoff_initial * 2.0 ** min(attempts - 1, 62)
    return min(delay, options.backoff_max)
