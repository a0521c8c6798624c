"""admissionregistration.k8s.io/v1 MutatingWebhookConfiguration and ValidatingWebhookConfiguration
(kube's ``pkg/registry/admissionregistration`` and ``pkg/apis/admissionregistration/validation``).

Defaulted as ``SetDefaults_ValidatingWebhook``/``SetDefaults_MutatingWebhook`` (failurePolicy
``Fail``, matchPolicy ``Equivalent``, empty selectors, ``timeoutSeconds: 10``, a rule's scope ``*``,
a service port 443, reinvocationPolicy ``Never``) and validated as kube's v1 validation checks
what the webhook plugin relies on. The plugin that calls them is
:mod:`setpoint.apiserver.admission.webhook`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin.declare import declare
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry import metadata
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

GROUP = "admissionregistration.k8s.io"
_FAILURE_POLICIES = ["Fail", "Ignore"]
_MATCH_POLICIES = ["Equivalent", "Exact"]
_SIDE_EFFECTS = ["None", "NoneOnDryRun"]
_SCOPES = ["*", "Cluster", "Namespaced"]
_OPERATIONS = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"]
_REINVOCATION = ["IfNeeded", "Never"]
_REVIEW_VERSIONS = ("v1", "v1beta1")


def _default_webhook(hook: Obj, mutating: bool) -> None:
    hook.setdefault("failurePolicy", "Fail")
    hook.setdefault("matchPolicy", "Equivalent")
    hook.setdefault("namespaceSelector", {})
    hook.setdefault("objectSelector", {})
    hook.setdefault("timeoutSeconds", 10)
    if mutating:
        hook.setdefault("reinvocationPolicy", "Never")
    for rule in hook.get("rules") or []:
        if isinstance(rule, dict):
            rule.setdefault("scope", "*")
    service = (hook.get("clientConfig") or {}).get("service")
    if isinstance(service, dict):
        service.setdefault("port", 443)


class WebhookConfigurationStrategy(Strategy):
    """Both configuration kinds; ``mutating`` adds the reinvocation policy."""

    has_generation = True

    def __init__(self, mutating: bool) -> None:
        self.mutating = mutating

    def name_fn(self, name: str, prefix: bool) -> list[str]:
        return metadata.name_is_dns_subdomain(name, prefix)

    def prepare_for_create(self, obj: Obj) -> None:
        for hook in obj.get("webhooks") or []:
            if isinstance(hook, dict):
                _default_webhook(hook, self.mutating)

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        self.prepare_for_create(obj)

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        return obj.get("webhooks") != old.get("webhooks")

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        out: list[errors.FieldError] = []
        seen: set[str] = set()
        for i, hook in enumerate(obj.get("webhooks") or []):
            if isinstance(hook, dict):
                out.extend(_validate_webhook(hook, f"webhooks[{i}]", self.mutating, seen))
        return out


def _validate_webhook(hook: Obj, path: str, mutating: bool, seen: set[str]) -> list[errors.FieldError]:
    out: list[errors.FieldError] = []
    name = hook.get("name")
    if not name:
        out.append(errors.required(f"{path}.name", ""))
    elif isinstance(name, str):
        if name in seen:
            out.append(errors.duplicate(f"{path}.name", name))
        seen.add(name)
        if name.count(".") < 2:
            out.append(errors.invalid(f"{path}.name", name, "should be a domain with at least three segments "
                                                            "separated by dots"))
    versions = hook.get("admissionReviewVersions")
    if not versions:
        out.append(errors.required(f"{path}.admissionReviewVersions",
                                   "must specify one of v1, v1beta1"))
    elif not any(v in _REVIEW_VERSIONS for v in versions):
        out.append(errors.invalid(f"{path}.admissionReviewVersions", versions,
                                  "must include at least one of v1, v1beta1"))
    side = hook.get("sideEffects")
    if side is None:
        out.append(errors.required(f"{path}.sideEffects", "must specify one of None, NoneOnDryRun"))
    elif side not in _SIDE_EFFECTS:
        out.append(errors.not_supported(f"{path}.sideEffects", side, _SIDE_EFFECTS))
    for field, value, allowed in (("failurePolicy", hook.get("failurePolicy"), _FAILURE_POLICIES),
                                  ("matchPolicy", hook.get("matchPolicy"), _MATCH_POLICIES),
                                  ("reinvocationPolicy", hook.get("reinvocationPolicy"), _REINVOCATION)):
        if value is not None and value not in allowed and (mutating or field != "reinvocationPolicy"):
            out.append(errors.not_supported(f"{path}.{field}", value, allowed))
    timeout = hook.get("timeoutSeconds")
    if isinstance(timeout, int) and not 1 <= timeout <= 30:
        out.append(errors.invalid(f"{path}.timeoutSeconds", timeout,
                                  "the timeout value must be between 1 and 30 seconds"))
    for j, rule in enumerate(hook.get("rules") or []):
        if isinstance(rule, dict):
            out.extend(_validate_rule(rule, f"{path}.rules[{j}]"))
    out.extend(validate_client_config(hook.get("clientConfig"), f"{path}.clientConfig"))
    return out


def _validate_rule(rule: Obj, path: str) -> list[errors.FieldError]:
    out: list[errors.FieldError] = []
    for field in ("apiGroups", "apiVersions", "resources", "operations"):
        values = rule.get(field)
        if not values:
            out.append(errors.required(f"{path}.{field}", ""))
        elif "*" in values and len(values) > 1:
            out.append(errors.invalid(f"{path}.{field}", values, "if '*' is present, must not specify other "
                                                                 + ("operations" if field == "operations" else field)))
    for k, op in enumerate(rule.get("operations") or []):
        if op not in _OPERATIONS:
            out.append(errors.not_supported(f"{path}.operations[{k}]", op, _OPERATIONS))
    scope = rule.get("scope")
    if scope is not None and scope not in _SCOPES:
        out.append(errors.not_supported(f"{path}.scope", scope, _SCOPES))
    return out


def validate_client_config(config: Any, path: str) -> list[errors.FieldError]:
    """``ValidateWebhookClientConfig``: exactly one of an https ``url`` or a ``service``."""
    if not isinstance(config, dict):
        return [errors.required(path, "exactly one of url or service is required")]
    url, service = config.get("url"), config.get("service")
    if url is not None and service is not None:
        return [errors.required(path, "exactly one of url or service is required")]
    if url is None and service is None:
        return [errors.required(path, "exactly one of url or service is required")]
    if url is not None:
        parts = urlsplit(str(url))
        if parts.scheme != "https":
            return [errors.invalid(f"{path}.url", url, "'https' is the only allowed URL scheme")]
        if not parts.hostname:
            return [errors.invalid(f"{path}.url", url, "host must be specified")]
        if parts.fragment:
            return [errors.invalid(f"{path}.url", url, "fragments are not permitted in the URL")]
        if parts.query:
            return [errors.invalid(f"{path}.url", url, "query parameters are not permitted in the URL")]
        return []
    out: list[errors.FieldError] = []
    if not isinstance(service, dict):
        return [errors.required(f"{path}.service", "")]
    if not service.get("name"):
        out.append(errors.required(f"{path}.service.name", "service name is required"))
    if not service.get("namespace"):
        out.append(errors.required(f"{path}.service.namespace", "service namespace is required"))
    port = service.get("port", 443)
    if not isinstance(port, int) or not 1 <= port <= 65535:
        out.append(errors.invalid(f"{path}.service.port", port, "port is not valid: must be between 1 and 65535, "
                                                                "inclusive"))
    svc_path = service.get("path")
    if svc_path is not None and not str(svc_path).startswith("/"):
        out.append(errors.invalid(f"{path}.service.path", svc_path, "must start with a '/'"))
    return out


def _webhook_count(obj: Obj) -> int:
    return len(obj.get("webhooks") or [])


_COLUMNS = (Column("Webhooks", "integer", _webhook_count, description="The number of webhooks"),)


def resources() -> list[Resource]:
    """admissionregistration.k8s.io/v1's two webhook configuration kinds, freshly made."""
    return [
        declare(GROUP, "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations",
                "mutatingwebhookconfiguration", False, WebhookConfigurationStrategy(True), columns=_COLUMNS,
                categories=("api-extensions",)),
        declare(GROUP, "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations",
                "validatingwebhookconfiguration", False, WebhookConfigurationStrategy(False), columns=_COLUMNS,
                categories=("api-extensions",)),
    ]
