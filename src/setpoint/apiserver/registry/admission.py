"""The request pipeline's seams: authentication, authorization, admission.

Each stage is a small protocol with a permissive default, so later work
(TLS client certificates, tokens, RBAC, webhooks) plugs in without touching
the handlers. Order per request: authenticate -> authorize -> (writes)
mutating admission -> validation -> validating admission -> storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from setpoint.apimachinery.types import Obj

if TYPE_CHECKING:
    from setpoint.apiserver.http import Request


@dataclass(frozen=True, slots=True)
class UserInfo:
    """Who is asking (``authentication/v1 UserInfo``)."""

    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: dict[str, list[str]] = field(default_factory=dict)


ANONYMOUS_ADMIN = UserInfo("system:admin", ("system:masters", "system:authenticated"))


@dataclass(frozen=True, slots=True)
class Attributes:
    """What a request does (``authorizer.Attributes`` and ``admission.Attributes``)."""

    user: UserInfo
    verb: str
    group: str
    version: str
    resource: str
    subresource: str
    namespace: str
    name: str
    kind: str = ""
    dry_run: bool = False
    #: The URL path of a non-resource request (``/version``, ``/healthz``...).
    path: str = ""
    #: False for non-resource requests: ``verb`` is then the lowercased HTTP method.
    resource_request: bool = True
    #: What admission says back beside its verdict (webhooks' ``warnings`` and
    #: ``auditAnnotations``): filled during the request, sent as ``Warning`` headers / audited.
    warnings: list[str] = field(default_factory=list, compare=False)
    annotations: dict[str, str] = field(default_factory=dict, compare=False)
    #: The group and version of ``kind`` when they are not the resource's: a subresource with a kind
    #: of its own, such as ``pods/eviction`` (``policy/v1`` Eviction).
    kind_group_version: tuple[str, str] | None = None

    def with_name(self, name: str) -> Attributes:
        """The same request, about the object ``name`` (a create's, known once its body is read);
        its warnings and annotations are shared. Twice as fast as ``dataclasses.replace``."""
        return Attributes(self.user, self.verb, self.group, self.version, self.resource, self.subresource,
                          self.namespace, name, self.kind, self.dry_run, self.path, self.resource_request,
                          self.warnings, self.annotations, self.kind_group_version)


class Authenticator(Protocol):
    def authenticate(self, request: Request) -> UserInfo | None:
        """The user behind the request (its headers, its connection's client certificate),
        or None if the credentials are bad."""
        ...


class Authorizer(Protocol):
    def authorize(self, attrs: Attributes) -> tuple[bool, str]:
        """(allowed, reason)."""
        ...


class AdmissionPlugin(Protocol):
    """A mutating and/or validating admission step.

    ``admit`` may change ``obj`` in place (mutating); ``validate`` may only
    raise a ``StatusError``. ``obj`` is None for deletes, ``old`` None for
    creates.
    """

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None: ...

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None: ...


class AllowAll:
    """The default authenticator and authorizer: everyone is an administrator."""

    def authenticate(self, request: Request) -> UserInfo | None:
        return ANONYMOUS_ADMIN

    def authorize(self, attrs: Attributes) -> tuple[bool, str]:
        return True, ""


class AdmissionChain:
    """Runs the mutating steps of every plugin, then their validating steps."""

    def __init__(self, plugins: list[AdmissionPlugin] | None = None) -> None:
        self.plugins: list[AdmissionPlugin] = list(plugins or [])

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        for p in self.plugins:
            await p.admit(attrs, obj, old)

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        for p in self.plugins:
            await p.validate(attrs, obj, old)
