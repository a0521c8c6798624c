"""cert-manager's API (``cert-manager.io/v1``) as setpoint models: the CRDs of Issuer,
ClusterIssuer, Certificate and CertificateRequest, declared in Python.

Field names, JSON names, enums, list types, required fields, short names, categories and
printer columns are cert-manager's (``pkg/apis/certmanager/v1``, ``deploy/crds``), so a
manifest written for cert-manager is accepted here unchanged. The issuer kinds setpoint does
not implement (``acme``, ``vault``, ``venafi``) are kept as free-form objects: accepted, stored,
and reported as not supported by the issuer controller.

The controllers work on plain dicts from the cache; these models make the CRDs
(:func:`crds`) and give typed views where useful.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from setpoint.models import CRDModel, CustomResource, PrinterColumn, Rule, crd_for

GROUP = "cert-manager.io"
VERSION = "v1"
API_VERSION = f"{GROUP}/{VERSION}"

_ATOMIC: dict[str, Any] = {"x-kubernetes-list-type": "atomic"}

_AGE = PrinterColumn(
    "Age", ".metadata.creationTimestamp", type="date",
    description="CreationTimestamp is a timestamp representing the server time when this object was created. It is "
                "not guaranteed to be set in happens-before order across separate operations. Clients may not set "
                "this value. It is represented in RFC3339 form and is in UTC.")
_READY = PrinterColumn("Ready", '.status.conditions[?(@.type == "Ready")].status')
_STATUS = PrinterColumn("Status", '.status.conditions[?(@.type == "Ready")].message', priority=1)

KeyUsage = Literal[
    "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment",
    "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing",
    "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
    "microsoft sgc", "netscape sgc"]


class Condition(CRDModel):
    """A condition of a cert-manager resource (``Ready``, ``Issuing``, ``Approved``...)."""

    type: str = Field(description="Type of the condition.")
    status: Literal["True", "False", "Unknown"] = Field(description="Status of the condition.")
    last_transition_time: str | None = Field(None, json_schema_extra={"format": "date-time"},
                                             description="The last time the condition changed status.")
    reason: str | None = Field(None, description="A brief machine readable explanation for the condition.")
    message: str | None = Field(None, description="A human readable description of the details of the transition.")
    observed_generation: int | None = Field(None, json_schema_extra={"format": "int64"},
                                            description="The .metadata.generation the condition was set from.")


class RequestCondition(CRDModel):
    """A condition of a CertificateRequest (``Ready``, ``InvalidRequest``, ``Approved``, ``Denied``)."""

    type: str = Field(description="Type of the condition.")
    status: Literal["True", "False", "Unknown"] = Field(description="Status of the condition.")
    last_transition_time: str | None = Field(None, json_schema_extra={"format": "date-time"},
                                             description="The last time the condition changed status.")
    reason: str | None = Field(None, description="A brief machine readable explanation for the condition.")
    message: str | None = Field(None, description="A human readable description of the details of the transition.")


def _conditions(description: str) -> Any:
    return Field(None, description=description,
                 json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]})


class IssuerRef(CRDModel):
    """Reference to the issuer responsible for issuing the certificate."""

    group: str | None = Field(None, description="Group of the issuer being referred to. Defaults to 'cert-manager.io'.")
    kind: str | None = Field(None, description="Kind of the issuer being referred to. Defaults to 'Issuer'.")
    name: str = Field(description="Name of the issuer being referred to.")


# --- issuers ---------------------------------------------------------------------------------------


class CAIssuer(CRDModel):
    """Sign certificates with a CA key pair stored in a Secret (``tls.crt``, ``tls.key``)."""

    crl_distribution_points: list[str] | None = Field(None, json_schema_extra=_ATOMIC,
                                                      description="CRL distribution points put in issued certificates.")
    issuing_certificate_urls: list[str] | None = Field(None, alias="issuingCertificateURLs",
                                                       json_schema_extra=_ATOMIC,
                                                       description="URLs of the issuing certificate (AIA).")
    ocsp_servers: list[str] | None = Field(None, json_schema_extra=_ATOMIC,
                                           description="OCSP responders put in issued certificates.")
    secret_name: str = Field(description="SecretName is the name of the secret used to sign Certificates issued "
                                         "by this Issuer.")


class SelfSignedIssuer(CRDModel):
    """Sign certificates with their own private key."""

    crl_distribution_points: list[str] | None = Field(None, json_schema_extra=_ATOMIC,
                                                      description="CRL distribution points put in issued certificates.")


class IssuerSpec(CRDModel):
    """The configuration of an issuer: exactly one of its kinds."""

    acme: dict[str, Any] | None = Field(None, description="ACME issuer (stored; not implemented by setpoint).")
    ca: CAIssuer | None = Field(None, description="CA configures this issuer to sign certificates using a signing "
                                                  "CA keypair stored in a Secret resource.")
    self_signed: SelfSignedIssuer | None = Field(None, description="SelfSigned configures this issuer to 'self sign' "
                                                                   "certificates using the private key used to "
                                                                   "create the CertificateRequest object.")
    vault: dict[str, Any] | None = Field(None, description="Vault issuer (stored; not implemented by setpoint).")
    venafi: dict[str, Any] | None = Field(None, description="Venafi issuer (stored; not implemented by setpoint).")

    # cert-manager's webhook (ValidateIssuerConfig), as CEL
    __validations__ = (
        Rule("has(self.acme) || has(self.ca) || has(self.selfSigned) || has(self.vault) || has(self.venafi)",
             message="at least one issuer must be configured"),
        Rule("[has(self.acme), has(self.ca), has(self.selfSigned), has(self.vault), has(self.venafi)]"
             ".filter(x, x).size() <= 1", message="may not specify more than one issuer type"),
    )


class IssuerStatus(CRDModel):
    """The observed state of an issuer."""

    acme: dict[str, Any] | None = Field(None, description="ACME specific status (unused by setpoint).")
    conditions: list[Condition] | None = _conditions("List of status conditions to indicate the status of an "
                                                     "Issuer. Known condition types are `Ready`.")


_ISSUER_COLUMNS = (_READY, _STATUS, _AGE)


class Issuer(CustomResource, group=GROUP, version=VERSION, short_names=("iss",), categories=("cert-manager",),
             printer_columns=_ISSUER_COLUMNS):
    """An Issuer represents a certificate issuing authority which can be referenced as part of `issuerRef` fields.
    It is scoped to a single namespace and can therefore only be referenced by resources within the same
    namespace."""

    spec: IssuerSpec
    status: IssuerStatus | None = None


class ClusterIssuer(CustomResource, group=GROUP, version=VERSION, scope="Cluster", short_names=("ciss",),
                    categories=("cert-manager",), printer_columns=_ISSUER_COLUMNS):
    """A ClusterIssuer represents a certificate issuing authority which can be referenced as part of `issuerRef`
    fields. It is similar to an Issuer, however it is cluster-scoped and therefore can be referenced by resources
    that exist in *any* namespace, not just the same namespace as the referent."""

    spec: IssuerSpec
    status: IssuerStatus | None = None


# --- certificates ----------------------------------------------------------------------------------


class X509Subject(CRDModel):
    """Full X509 name specification."""

    countries: list[str] | None = Field(None, json_schema_extra=_ATOMIC, description="Countries to be used.")
    localities: list[str] | None = Field(None, json_schema_extra=_ATOMIC, description="Cities to be used.")
    organizational_units: list[str] | None = Field(None, json_schema_extra=_ATOMIC,
                                                   description="Organizational Units to be used.")
    organizations: list[str] | None = Field(None, json_schema_extra=_ATOMIC, description="Organizations to be used.")
    postal_codes: list[str] | None = Field(None, json_schema_extra=_ATOMIC, description="Postal codes to be used.")
    provinces: list[str] | None = Field(None, json_schema_extra=_ATOMIC, description="State/Provinces to be used.")
    serial_number: str | None = Field(None, description="Serial number to be used.")
    street_addresses: list[str] | None = Field(None, json_schema_extra=_ATOMIC,
                                               description="Street addresses to be used.")


class PrivateKey(CRDModel):
    """Options of the private key."""

    algorithm: Literal["RSA", "ECDSA", "Ed25519"] | None = Field(
        None, description="Algorithm is the private key algorithm of the corresponding private key for this "
                          "certificate. If `algorithm` is specified and `size` is not provided, key size of 2048 "
                          "will be used for `RSA` key algorithm and key size of 256 will be used for `ECDSA` key "
                          "algorithm. Default: RSA.")
    encoding: Literal["PKCS1", "PKCS8"] | None = Field(
        None, description="The private key cryptography standards (PKCS) encoding for this certificate's private "
                          "key to be encoded in. Default: PKCS1.")
    rotation_policy: Literal["Never", "Always"] | None = Field(
        None, description="Whether a new private key is made at each issuance (Always, the default) or the "
                          "existing one reused (Never).")
    size: int | None = Field(None, description="Size is the key bit size of the corresponding private key for this "
                                               "certificate (RSA: 2048, 4096 or 8192; ECDSA: 256, 384 or 521).")

    # cert-manager's webhook (ValidateCertificateSpec), as CEL
    __validations__ = (
        Rule("(has(self.algorithm) && self.algorithm != 'RSA') || !has(self.size) || self.size == 0 || "
             "(self.size >= 2048 && self.size <= 8192)", message="must be between 2048 and 8192 for rsa keyAlgorithm",
             field_path=".size"),
        Rule("!has(self.algorithm) || self.algorithm != 'ECDSA' || !has(self.size) || self.size in [0, 256, 384, 521]",
             message='supported values: "256", "384", "521"', field_path=".size"),
    )


class PasswordSecretRef(CRDModel):
    """A key of a Secret."""

    key: str | None = Field(None, description="The key of the entry in the Secret resource's `data` field.")
    name: str = Field(description="Name of the resource being referred to.")


class JKSKeystore(CRDModel):
    """JKS keystore output (accepted; not written by setpoint)."""

    alias: str | None = None
    create: bool
    password: str | None = None
    password_secret_ref: PasswordSecretRef | None = None


class PKCS12Keystore(CRDModel):
    """PKCS#12 keystore output: ``keystore.p12`` and ``truststore.p12`` in the Secret."""

    create: bool = Field(description="Create enables PKCS12 keystore creation for the Certificate.")
    password: str | None = Field(None, description="Password used to encrypt the keystore (literal).")
    password_secret_ref: PasswordSecretRef | None = Field(None, description="The Secret key holding the password.")
    profile: Literal["LegacyRC2", "LegacyDES", "Modern2023", "Modern2026"] | None = Field(
        None, description="The key and certificate encryption algorithms.")


class Keystores(CRDModel):
    """Additional keystore output formats."""

    jks: JKSKeystore | None = None
    pkcs12: PKCS12Keystore | None = None


class NameConstraintItem(CRDModel):
    dns_domains: list[str] | None = Field(None, json_schema_extra=_ATOMIC)
    email_addresses: list[str] | None = Field(None, json_schema_extra=_ATOMIC)
    ip_ranges: list[str] | None = Field(None, json_schema_extra=_ATOMIC)
    uri_domains: list[str] | None = Field(None, json_schema_extra=_ATOMIC)


class NameConstraints(CRDModel):
    """X.509 name constraints (for CA certificates)."""

    critical: bool | None = None
    excluded: NameConstraintItem | None = None
    permitted: NameConstraintItem | None = None


class OtherName(CRDModel):
    oid: str | None = None
    utf8_value: str | None = None


class OutputFormat(CRDModel):
    """An additional output format of the private key and certificate."""

    type: Literal["DER", "CombinedPEM"] = Field(description="`DER` adds `key.der`; `CombinedPEM` adds "
                                                            "`tls-combined.pem` (key then chain).")


class RenewalWindow(CRDModel):
    cron: str = Field(min_length=1)
    timezone: str | None = Field(None, min_length=1)
    window_duration: str = Field(pattern=r"^([0-9]+(\.[0-9]+)?(s|m|h))+$")


class Renewal(CRDModel):
    """When renewals may happen (accepted; setpoint renews at renewalTime)."""

    policy: Literal["RenewBefore", "Disabled"] | None = None
    windows: list[RenewalWindow] | None = Field(None, json_schema_extra=_ATOMIC)


class SecretTemplate(CRDModel):
    """Labels and annotations copied to the Secret."""

    annotations: dict[str, str] | None = Field(None, description="Annotations is a key value map to be copied to "
                                                                 "the target Kubernetes Secret.")
    labels: dict[str, str] | None = Field(None, description="Labels is a key value map to be copied to the target "
                                                            "Kubernetes Secret.")


class CertificateSpec(CRDModel):
    """The desired state of a Certificate."""

    additional_output_formats: list[OutputFormat] | None = Field(None, json_schema_extra=_ATOMIC)
    common_name: str | None = Field(None, description="Requested common name X509 certificate subject attribute.")
    dns_names: list[str] | None = Field(None, json_schema_extra=_ATOMIC, description="Requested DNS subject "
                                                                                     "alternative names.")
    duration: str | None = Field(None, description="Requested 'duration' (i.e. lifetime) of the Certificate. "
                                                   "Default: 2160h (90 days).")
    email_addresses: list[str] | None = Field(None, json_schema_extra=_ATOMIC,
                                              description="Requested email subject alternative names.")
    encode_usages_in_request: bool | None = Field(None, description="Whether to include usages in the CSR.")
    ip_addresses: list[str] | None = Field(None, json_schema_extra=_ATOMIC,
                                           description="Requested IP address subject alternative names.")
    is_ca: bool | None = Field(None, alias="isCA", description="Requested basic constraints isCA value; adds the "
                                                                "`cert sign` usage.")
    issuer_ref: IssuerRef = Field(description="Reference to the issuer responsible for issuing the certificate.")
    keystores: Keystores | None = Field(None, description="Additional keystore output formats.")
    literal_subject: str | None = Field(None, description="Requested X.509 certificate subject, RFC 4514 string.")
    name_constraints: NameConstraints | None = None
    other_names: list[OtherName] | None = Field(None, json_schema_extra=_ATOMIC)
    private_key: PrivateKey | None = Field(None, description="Private key options.")
    renew_before: str | None = Field(None, description="How long before the currently issued certificate's expiry "
                                                       "cert-manager should renew the certificate.")
    renew_before_percentage: int | None = Field(None, json_schema_extra={"format": "int32"},
                                                description="`renewBefore` as a percentage of the duration.")
    renewal: Renewal | None = None
    revision_history_limit: int | None = Field(None, json_schema_extra={"format": "int32"},
                                               description="The CertificateRequests kept. Default: 1.")
    secret_name: str = Field(description="Name of the Secret resource that will be automatically created and "
                                         "managed by this Certificate resource.")
    secret_template: SecretTemplate | None = None
    signature_algorithm: Literal["SHA256WithRSA", "SHA384WithRSA", "SHA512WithRSA", "ECDSAWithSHA256",
                                 "ECDSAWithSHA384", "ECDSAWithSHA512", "PureEd25519"] | None = None
    subject: X509Subject | None = None
    uris: list[str] | None = Field(None, json_schema_extra=_ATOMIC, description="Requested URI subject "
                                                                                "alternative names.")
    usages: list[KeyUsage] | None = Field(None, json_schema_extra=_ATOMIC,
                                          description="Requested key usages and extended key usages. Default: "
                                                      "digital signature, key encipherment.")

    # cert-manager's webhook (ValidateCertificateSpec, ValidateDuration), as CEL; durations under an hour
    # are allowed here (cert-manager refuses them) so that tests can watch renewals happen
    __validations__ = (
        Rule("has(self.commonName) || has(self.literalSubject) || "
             + " || ".join(f"(has(self.{f}) && size(self.{f}) > 0)"
                           for f in ("dnsNames", "uris", "emailAddresses", "ipAddresses", "otherNames")),
             message="at least one of commonName (from the commonName field or from a literalSubject), dnsNames, "
                     "emailSANs, ipAddresses, otherNames, or uriSANs must be set"),
        Rule("!has(self.literalSubject) || !has(self.commonName)",
             message="When providing a `LiteralSubject` no `commonName` may be provided.", field_path=".commonName"),
        Rule("!has(self.renewBefore) || !has(self.renewBeforePercentage)",
             message="renewBefore and renewBeforePercentage are mutually exclusive and cannot both be set",
             field_path=".renewBefore"),
        Rule("!has(self.renewBefore) || duration(self.renewBefore) < "
             "duration(has(self.duration) ? self.duration : '2160h')",
             message="certificate duration must be greater than renewBefore", field_path=".renewBefore"),
        Rule("!has(self.revisionHistoryLimit) || self.revisionHistoryLimit >= 1", message="must not be less than 1",
             field_path=".revisionHistoryLimit"),
    )


class CertificateStatus(CRDModel):
    """The observed state of a Certificate."""

    acme: dict[str, Any] | None = None
    conditions: list[Condition] | None = _conditions("List of status conditions to indicate the status of "
                                                     "certificates. Known condition types are `Ready` and `Issuing`.")
    failed_issuance_attempts: int | None = Field(None, description="Continuous failed issuance attempts.")
    last_failure_time: str | None = Field(None, json_schema_extra={"format": "date-time"})
    next_private_key_secret_name: str | None = Field(None, description="The Secret holding the next private key.")
    not_after: str | None = Field(None, json_schema_extra={"format": "date-time"})
    not_before: str | None = Field(None, json_schema_extra={"format": "date-time"})
    renewal_time: str | None = Field(None, json_schema_extra={"format": "date-time"})
    revision: int | None = Field(None, description="The current revision of the certificate (1 on first issuance).")


class Certificate(CustomResource, group=GROUP, version=VERSION, short_names=("cert", "certs"),
                  categories=("cert-manager",), printer_columns=(
                      _READY, PrinterColumn("Secret", ".spec.secretName"),
                      PrinterColumn("Issuer", ".spec.issuerRef.name", priority=1), _STATUS, _AGE)):
    """A Certificate resource should be created to ensure an up to date and signed X.509 certificate is stored in
    the Kubernetes Secret resource named in `spec.secretName`."""

    spec: CertificateSpec
    status: CertificateStatus | None = None


class CertificateRequestSpec(CRDModel):
    """The desired state of a CertificateRequest (immutable after creation)."""

    duration: str | None = Field(None, description="Requested 'duration' (i.e. lifetime) of the Certificate.")
    extra: dict[str, list[str]] | None = Field(None, description="Extra attributes of the requester.")
    groups: list[str] | None = Field(None, json_schema_extra=_ATOMIC, description="Groups of the requester.")
    is_ca: bool | None = Field(None, alias="isCA", description="Requested basic constraints isCA value.")
    issuer_ref: IssuerRef = Field(description="Reference to the issuer responsible for issuing the certificate.")
    request: str = Field(json_schema_extra={"format": "byte"},
                         description="The PEM-encoded X.509 certificate signing request.")
    uid: str | None = Field(None, description="UID of the requester.")
    usages: list[KeyUsage] | None = Field(None, json_schema_extra=_ATOMIC, description="Requested key usages.")
    username: str | None = Field(None, description="Username of the requester.")


class CertificateRequestStatus(CRDModel):
    """The observed state of a CertificateRequest."""

    ca: str | None = Field(None, json_schema_extra={"format": "byte"}, description="The PEM CA of the certificate.")
    certificate: str | None = Field(None, json_schema_extra={"format": "byte"},
                                    description="The PEM certificate (and chain) issued.")
    conditions: list[RequestCondition] | None = _conditions("Known condition types are `Ready`, `InvalidRequest`, "
                                                     "`Approved` and `Denied`.")
    failure_time: str | None = Field(None, json_schema_extra={"format": "date-time"})


class CertificateRequest(CustomResource, group=GROUP, version=VERSION, short_names=("cr", "crs"),
                         categories=("cert-manager",), printer_columns=(
                             PrinterColumn("Approved", '.status.conditions[?(@.type == "Approved")].status'),
                             PrinterColumn("Denied", '.status.conditions[?(@.type == "Denied")].status'),
                             _READY, PrinterColumn("Issuer", ".spec.issuerRef.name"),
                             PrinterColumn("Requester", ".spec.username"), _STATUS, _AGE)):
    """A CertificateRequest is used to request a signed certificate from one of the configured issuers. A
    CertificateRequest is a one-shot resource: it represents a single point in time request for a certificate."""

    spec: CertificateRequestSpec
    status: CertificateRequestStatus | None = None


MODELS: tuple[type[CustomResource], ...] = (Certificate, CertificateRequest, ClusterIssuer, Issuer)


def crds() -> list[dict[str, Any]]:
    """The four CRDs (``apiextensions.k8s.io/v1``), as dicts."""
    return [crd_for(m) for m in MODELS]
