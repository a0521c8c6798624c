"""Several authenticators tried in turn: the first that names a user wins (kube's ``unionauth``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from setpoint.apiserver.http import Request
    from setpoint.apiserver.registry.admission import Authenticator, UserInfo

__all__ = ["Union"]


class Union:
    """Asks each authenticator in order; ``None`` when none of them knows the request."""

    def __init__(self, *authenticators: Authenticator) -> None:
        self.authenticators = authenticators

    def authenticate(self, request: Request) -> UserInfo | None:
        for authenticator in self.authenticators:
            user = authenticator.authenticate(request)
            if user is not None:
                return user
        return None
