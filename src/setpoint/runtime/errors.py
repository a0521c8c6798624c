"""API errors: a ``metav1.Status`` answer turned into an exception you can catch by meaning."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ApiError(Exception):
    """The server refused a request; ``status`` is its ``metav1.Status``."""

    def __init__(self, code: int, status: Mapping[str, Any] | None = None, *, message: str = "") -> None:
        self.code = code
        self.status: Mapping[str, Any] = status or {}
        self.reason: str = str(self.status.get("reason", ""))
        self.message = str(self.status.get("message", message))
        super().__init__(f"{code} {self.reason}: {self.message}".strip())


class ConnectionFailed(ApiError):
    """The server could not be reached, or the connection broke (no answer: ``code`` 0)."""

    def __init__(self, message: str) -> None:
        super().__init__(0, None, message=message)


class BadRequest(ApiError):
    """400."""


class Unauthorized(ApiError):
    """401."""


class Forbidden(ApiError):
    """403."""


class NotFound(ApiError):
    """404: the object (or the kind) does not exist."""


class Conflict(ApiError):
    """409: a stale resourceVersion, or (as :class:`AlreadyExists`) a name in use."""


class AlreadyExists(Conflict):
    """409 with reason AlreadyExists."""


class Gone(ApiError):
    """410: the resourceVersion asked for has been compacted away; list again."""


class UnsupportedMediaType(ApiError):
    """415: e.g. a strategic merge patch sent to a custom resource."""


class Invalid(ApiError):
    """422: the object failed validation."""


class TooManyRequests(ApiError):
    """429."""


_BY_CODE: dict[int, type[ApiError]] = {
    400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict, 410: Gone,
    415: UnsupportedMediaType, 422: Invalid, 429: TooManyRequests,
}


def from_status(code: int, status: Mapping[str, Any] | None, message: str = "") -> ApiError:
    """The most specific :class:`ApiError` for an HTTP code and its Status body."""
    if code == 409 and status is not None and status.get("reason") == "AlreadyExists":
        return AlreadyExists(code, status, message=message)
    return _BY_CODE.get(code, ApiError)(code, status, message=message)
