"""Which field selectors a resource accepts, and kube's words for the others.

kube-apiserver converts every ``fieldSelector`` term with the kind's field-label
conversion func before a list or watch runs; a label the kind does not support
fails the request with a 400 ``BadRequest``. Kube has two wordings, chosen by code
path rather than by built-in vs custom: every custom resource
(``crConverter.ConvertFieldLabel``) and the built-in kinds that register a
field-label conversion func (Pod, Node, Secret, Event, Namespace, Service, ...)
answer ``field label not supported: <label>`` (a few kinds have their own text,
e.g. Job); every other built-in kind (ConfigMap, Deployment, ...) falls back to
``runtime.DefaultMetaV1FieldSelectorConversion``, which answers ``"<label>" is not
a known field selector: only "metadata.name", "metadata.namespace"``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Final

from setpoint.apimachinery import fields
from setpoint.apimachinery.goformat import quote
from setpoint.apimachinery.selection import SelectorError

__all__ = ["check", "field_label_not_supported"]

_NOT_SUPPORTED: Final = "field label not supported: {label}"

#: Built-in kinds with a registered field-label conversion func, and the
#: error that func returns (``{label}``, ``{quoted}`` = Go %q, ``{version}``).
#: Any other built-in kind goes through DefaultMetaV1FieldSelectorConversion.
_FIELD_LABEL_FUNCS: Final[Mapping[tuple[str, str], str]] = {
    ("", "Pod"): _NOT_SUPPORTED,
    ("", "Node"): _NOT_SUPPORTED,
    ("", "ReplicationController"): _NOT_SUPPORTED,
    ("", "Event"): _NOT_SUPPORTED,
    ("", "Namespace"): _NOT_SUPPORTED,
    ("", "Secret"): _NOT_SUPPORTED,
    ("", "Service"): _NOT_SUPPORTED,
    ("events.k8s.io", "Event"): _NOT_SUPPORTED,
    ("batch", "Job"): "field label {quoted} not supported for batchv1.Job",
    ("certificates.k8s.io", "CertificateSigningRequest"): _NOT_SUPPORTED,
    ("certificates.k8s.io", "ClusterTrustBundle"): _NOT_SUPPORTED,
    ("certificates.k8s.io", "PodCertificateRequest"): _NOT_SUPPORTED,
    (
        "resource.k8s.io",
        "ResourceSlice",
    ): "field label not supported for resource.k8s.io/{version}, Kind=ResourceSlice: {label}",
}
_META_FIELD_LABELS: Final = frozenset({"metadata.name", "metadata.namespace"})


def field_label_not_supported(
    label: str,
    resource_kind: str = "",
    *,
    allowed: Collection[str] = (),
    group: str | None = None,
    version: str = "v1",
    custom: bool = False,
) -> str:
    """The message kube-apiserver answers for an unsupported field label.

    Kube picks it by code path: custom resources (``crConverter``) and the
    built-in kinds that register a field-label conversion func (Pod, Node,
    Secret, Event, ...; some with their own wording, e.g. Job) refuse with
    ``field label not supported: <label>``; every other built-in kind falls
    back to ``DefaultMetaV1FieldSelectorConversion``: ``"<label>" is not a
    known field selector: only "metadata.name", "metadata.namespace"``.

    ``resource_kind`` is a kind name or a style: ``"crd"`` (or
    ``custom=True``) and ``"builtin"`` give the first wording, ``"generic"``
    the second. An unknown kind whose ``allowed`` labels go beyond
    ``metadata.name``/``metadata.namespace`` cannot be a fallback kind, so it
    gets the first wording too.
    """
    if custom or resource_kind in ("crd", "builtin"):
        template = _NOT_SUPPORTED
    elif resource_kind == "generic":
        template = ""
    else:
        found = _FIELD_LABEL_FUNCS.get((group, resource_kind)) if group is not None else None
        if found is None and group is None:
            found = _FIELD_LABEL_FUNCS.get(("", resource_kind)) or next(
                (t for (_, kind), t in _FIELD_LABEL_FUNCS.items() if kind == resource_kind), None
            )
        if found is not None:
            template = found
        elif any(a not in _META_FIELD_LABELS for a in allowed):
            template = _NOT_SUPPORTED
        else:
            template = ""
    if not template:
        return f'{quote(label)} is not a known field selector: only "metadata.name", "metadata.namespace"'
    return template.format(label=label, quoted=quote(label), version=version)


def check(
    selector: fields.Selector,
    allowed: Collection[str],
    resource_kind: str = "",
    *,
    group: str | None = None,
    version: str = "v1",
    custom: bool = False,
    aliases: Mapping[str, str] | None = None,
) -> fields.Selector:
    """Refuse field labels the resource does not support, as the list/watch handler does.

    ``allowed`` is the set of supported labels; ``aliases`` maps legacy
    labels to their current name (``spec.host`` -> ``spec.nodeName`` for
    pods) and is applied to the returned selector, which callers should
    use from then on. The first unsupported term, in the selector's
    (sorted) order, raises :class:`SelectorError` worded as kube words it
    for that resource (see :func:`field_label_not_supported`):
    ``resource_kind`` is the resource's kind (``group``/``version``
    narrow it), or one of the styles ``"crd"``, ``"builtin"``,
    ``"generic"``; ``custom=True`` marks a custom resource.
    """
    renames = aliases or {}

    def convert(field: str, value: str) -> tuple[str, str]:
        if field in renames:
            return renames[field], value
        if field in allowed:
            return field, value
        raise SelectorError(
            field_label_not_supported(
                field, resource_kind, allowed=allowed, group=group, version=version, custom=custom
            )
        )

    return selector.transform(convert)
