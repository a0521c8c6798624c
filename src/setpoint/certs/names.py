"""cert-manager's names: kinds, annotations, labels, condition types and reasons, as its
``pkg/apis/certmanager/v1`` and controllers spell them (so tools written for cert-manager,
kubectl columns and ``kubectl wait --for=condition=Ready`` read setpoint's objects alike)."""

from __future__ import annotations

from typing import Final

from setpoint.runtime.resource import Kind

GROUP: Final = "cert-manager.io"
API_VERSION: Final = "cert-manager.io/v1"
CERTIFICATE: Final = Kind(API_VERSION, "Certificate")
CERTIFICATE_REQUEST: Final = Kind(API_VERSION, "CertificateRequest")
ISSUER: Final = Kind(API_VERSION, "Issuer")
CLUSTER_ISSUER: Final = Kind(API_VERSION, "ClusterIssuer")
SECRET: Final = Kind("v1", "Secret")
INGRESS: Final = Kind("networking.k8s.io/v1", "Ingress")

# Annotations and labels (pkg/apis/certmanager/v1/types.go).
CERTIFICATE_NAME: Final = "cert-manager.io/certificate-name"
CERTIFICATE_REVISION: Final = "cert-manager.io/certificate-revision"
PRIVATE_KEY_SECRET_NAME: Final = "cert-manager.io/private-key-secret-name"
ISSUER_NAME: Final = "cert-manager.io/issuer-name"
ISSUER_KIND: Final = "cert-manager.io/issuer-kind"
ISSUER_GROUP: Final = "cert-manager.io/issuer-group"
COMMON_NAME: Final = "cert-manager.io/common-name"
ALT_NAMES: Final = "cert-manager.io/alt-names"
IP_SANS: Final = "cert-manager.io/ip-sans"
URI_SANS: Final = "cert-manager.io/uri-sans"
EMAIL_SANS: Final = "cert-manager.io/email-sans"
SUBJECT_ORGANIZATIONS: Final = "cert-manager.io/subject-organizations"
NEXT_PRIVATE_KEY: Final = "cert-manager.io/next-private-key"
SECRET_FAO_LABEL: Final = "controller.cert-manager.io/fao"
INGRESS_ISSUER: Final = "cert-manager.io/issuer"
INGRESS_CLUSTER_ISSUER: Final = "cert-manager.io/cluster-issuer"
INGRESS_ISSUER_KIND: Final = "cert-manager.io/issuer-kind"
INGRESS_ISSUER_GROUP: Final = "cert-manager.io/issuer-group"
INGRESS_COMMON_NAME: Final = "cert-manager.io/common-name"
INGRESS_DURATION: Final = "cert-manager.io/duration"
INGRESS_RENEW_BEFORE: Final = "cert-manager.io/renew-before"

# Secret keys.
TLS_CERT: Final = "tls.crt"
TLS_KEY: Final = "tls.key"
CA_CERT: Final = "ca.crt"

# Condition types.
READY: Final = "Ready"
ISSUING: Final = "Issuing"
APPROVED: Final = "Approved"
DENIED: Final = "Denied"
INVALID_REQUEST: Final = "InvalidRequest"

# CertificateRequest Ready reasons (pkg/apis/certmanager/v1/types_certificaterequest.go).
REASON_PENDING: Final = "Pending"
REASON_FAILED: Final = "Failed"
REASON_ISSUED: Final = "Issued"
REASON_DENIED: Final = "Denied"
#: The Approved reason and Event of cert-manager's own approver.
APPROVER: Final = "cert-manager.io"
APPROVED_MESSAGE: Final = "Certificate request has been approved by cert-manager.io"
ISSUED_MESSAGE: Final = "Certificate fetched from issuer successfully"

# Certificate issuance triggers (pkg/controller/certificates/trigger/policies).
DOES_NOT_EXIST: Final = "DoesNotExist"
MISSING_DATA: Final = "MissingData"
INVALID_KEY_PAIR: Final = "InvalidKeyPair"
INVALID_CERTIFICATE: Final = "InvalidCertificate"
INCORRECT_ISSUER: Final = "IncorrectIssuer"
REQUEST_CHANGED: Final = "RequestChanged"
SECRET_MISMATCH: Final = "SecretMismatch"
EXPIRED: Final = "Expired"
RENEWING: Final = "Renewing"
MANUALLY_TRIGGERED: Final = "ManuallyTriggered"
READY_MESSAGE: Final = "Certificate is up to date and has not expired"

# Issuer Ready reasons (pkg/issuer/ca, pkg/issuer/selfsigned).
KEY_PAIR_VERIFIED: Final = "KeyPairVerified"
ERR_GET_KEY_PAIR: Final = "ErrGetKeyPair"
ERR_INVALID_KEY_PAIR: Final = "ErrInvalidKeyPair"
IS_READY: Final = "IsReady"
NOT_SUPPORTED: Final = "NotSupported"
