"""The request pipeline's seams: authentication, authorization, admission.

Each stage is a small protocol with a permissive default, so later work
(TLS client certificates, tokens, RBAC, webhooks) plugs in without touching
the handlers. Order per request: authenticate -> authorize -> (writes)
mutating admission -> validation -> validating admission -> storage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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


@dataclass(slots=True, unsafe_hash=True)
class Attributes:
    """What a request does (``authorizer.Attributes`` and ``admission.Attributes``).

    Not changed once made (:meth:`with_name` makes another), though not frozen: a frozen
    dataclass's ``__init__`` sets each field through ``object.__setattr__``, five times slower,
    and one is made for every request."""

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

    A plugin may say up front what it looks at (kube's ``Handles``), and the chain then calls
    it for nothing else: ``resources``, the ``(group, resource)`` pairs it acts on (absent or
    None: every request); ``mutating = False`` / ``validating = False``, its ``admit`` /
    ``validate`` does nothing.

    A plugin may also tell, without an await, that it has nothing to do for a request right now:
    ``admits(attrs, obj, old)`` / ``validates(attrs, obj, old)`` returning False (absent: always
    True). The chain then does not call that step: most requests meet no webhook, policy or quota,
    and every write passes here.
    """

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None: ...

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None: ...


class AllowAll:
    """The default authenticator and authorizer: everyone is an administrator."""

    def authenticate(self, request: Request) -> UserInfo | None:
        return ANONYMOUS_ADMIN

    def authorize(self, attrs: Attributes) -> tuple[bool, str]:
        return True, ""


Step = Callable[[Attributes, "Obj | None", "Obj | None"], Awaitable[None]]
#: A plugin's ``admits`` / ``validates``: whether its step has anything to do (None: always).
Wants = Callable[[Attributes, "Obj | None", "Obj | None"], bool] | None
Steps = tuple[tuple[Step, Wants], ...]


class AdmissionChain:
    """Runs the mutating steps of every plugin, then their validating steps (of the plugins
    that look at the request's resource: worked out once per resource)."""

    def __init__(self, plugins: list[AdmissionPlugin] | None = None) -> None:
        self.plugins: list[AdmissionPlugin] = list(plugins or [])
        #: Per (group, resource): the admit steps, then the validate steps, to run (each with
        #: its plugin's ``admits`` / ``validates``).
        self._steps: dict[tuple[str, str], tuple[Steps, Steps]] = {}
        #: The plugins ``_steps`` were worked out from (``plugins`` may be changed at any time).
        self._steps_of: tuple[AdmissionPlugin, ...] = ()

    def _for(self, attrs: Attributes) -> tuple[Steps, Steps]:
        plugins = tuple(self.plugins)
        if plugins != self._steps_of:
            self._steps.clear()
            self._steps_of = plugins
        key = (attrs.group, attrs.resource)
        steps = self._steps.get(key)
        if steps is None:
            looking = [p for p in plugins if (r := getattr(p, "resources", None)) is None or key in r]
            steps = self._steps[key] = (
                tuple((p.admit, getattr(p, "admits", None)) for p in looking if getattr(p, "mutating", True)),
                tuple((p.validate, getattr(p, "validates", None)) for p in looking
                      if getattr(p, "validating", True)))
        return steps

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        for step, wants in self._for(attrs)[0]:
            if wants is None or wants(attrs, obj, old):
                await step(attrs, obj, old)

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        for step, wants in self._for(attrs)[1]:
            if wants is None or wants(attrs, obj, old):
                await step(attrs, obj, old)
