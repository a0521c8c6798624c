"""Kubernetes ``Status`` errors and ``field.Error`` causes.

Every failure the API server answers is a :class:`StatusError`, rendered as a
``metav1.Status`` with kube-apiserver's codes, reasons and messages.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import orjson

from setpoint.apimachinery.goformat import field_value


class FieldErrorType(enum.Enum):
    """``field.ErrorType``: the value is the ``reason`` of a Status cause."""

    NOT_FOUND = "FieldValueNotFound"
    REQUIRED = "FieldValueRequired"
    DUPLICATE = "FieldValueDuplicate"
    INVALID = "FieldValueInvalid"
    NOT_SUPPORTED = "FieldValueNotSupported"
    FORBIDDEN = "FieldValueForbidden"
    TOO_LONG = "FieldValueTooLong"
    TOO_MANY = "FieldValueTooMany"
    INTERNAL = "InternalError"
    TYPE_INVALID = "FieldValueTypeInvalid"


_TYPE_TEXT = {
    FieldErrorType.NOT_FOUND: "Not found",
    FieldErrorType.REQUIRED: "Required value",
    FieldErrorType.DUPLICATE: "Duplicate value",
    FieldErrorType.INVALID: "Invalid value",
    FieldErrorType.NOT_SUPPORTED: "Unsupported value",
    FieldErrorType.FORBIDDEN: "Forbidden",
    FieldErrorType.TOO_LONG: "Too long",
    FieldErrorType.TOO_MANY: "Too many",
    FieldErrorType.INTERNAL: "Internal error",
    FieldErrorType.TYPE_INVALID: "Invalid value",
}

#: Types whose message never shows the bad value (as field.Error.ErrorBody).
_NO_VALUE = {
    FieldErrorType.REQUIRED,
    FieldErrorType.FORBIDDEN,
    FieldErrorType.TOO_LONG,
    FieldErrorType.INTERNAL,
}

#: Marker for "no bad value to show".
OMIT: Any = object()


class GoLiteral(str):
    """A bad value already rendered as Go prints it (shown unquoted)."""


def _render_value(value: Any) -> str:
    """The bad value as ``field.Error.ErrorBody`` prints it; a :class:`GoLiteral` as it is.

    Bad values here are often Go structs, built as dicts in field order: they keep it.
    """
    if isinstance(value, GoLiteral):
        return str(value)
    return field_value(value, structs=True)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One ``field.Error``: a field path, a type, the bad value and a detail."""

    type: FieldErrorType
    field: str
    value: Any = OMIT
    detail: str = ""

    def body(self) -> str:
        """The message without the field path, as ``field.Error.ErrorBody``."""
        text = _TYPE_TEXT[self.type]
        if self.type not in _NO_VALUE and self.value is not OMIT:
            text = f"{text}: {_render_value(self.value)}"
        if self.detail:
            text = f"{text}: {self.detail}"
        return text

    def message(self) -> str:
        return f"{self.field}: {self.body()}" if self.field else self.body()

    def cause(self) -> dict[str, Any]:
        return {"reason": self.type.value, "message": self.body(), "field": self.field}


def invalid(field: str, value: Any, detail: str) -> FieldError:
    return FieldError(FieldErrorType.INVALID, field, value, detail)


def required(field: str, detail: str = "") -> FieldError:
    return FieldError(FieldErrorType.REQUIRED, field, OMIT, detail)


def forbidden(field: str, detail: str) -> FieldError:
    return FieldError(FieldErrorType.FORBIDDEN, field, OMIT, detail)


def not_supported(field: str, value: Any, supported: list[str]) -> FieldError:
    detail = "supported values: " + ", ".join(_render_value(v) for v in supported)
    return FieldError(FieldErrorType.NOT_SUPPORTED, field, value, detail)


def duplicate(field: str, value: Any) -> FieldError:
    return FieldError(FieldErrorType.DUPLICATE, field, value)


def too_long(field: str, max_length: int) -> FieldError:
    return FieldError(FieldErrorType.TOO_LONG, field, OMIT, f"may not be more than {max_length} bytes")


def too_many(field: str, actual: int, max_items: int) -> FieldError:
    return FieldError(FieldErrorType.TOO_MANY, field, actual, f"must have at most {max_items} items")


def type_invalid(field: str, value: Any, detail: str) -> FieldError:
    return FieldError(FieldErrorType.TYPE_INVALID, field, value, detail)


class StatusError(Exception):
    """An error answered as a ``metav1.Status``."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or []

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            out["details"] = self.details
        out["code"] = self.code
        return out

    def body(self) -> bytes:
        return orjson.dumps(self.status())


def _details(name: str | None, group: str, kind: str, **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
    if kind:
        d["kind"] = kind
    d.update(extra)
    return d


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, group: str, name: str) -> StatusError:
    return StatusError(
        404,
        "NotFound",
        f'{_qualified(resource, group)} "{name}" not found',
        details=_details(name, group, resource),
    )


def already_exists(resource: str, group: str, name: str) -> StatusError:
    return StatusError(
        409,
        "AlreadyExists",
        f'{_qualified(resource, group)} "{name}" already exists',
        details=_details(name, group, resource),
    )


def conflict(resource: str, group: str, name: str, detail: str) -> StatusError:
    return StatusError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": {detail}',
        details=_details(name, group, resource),
    )


MODIFIED_DETAIL = "the object has been modified; please apply your changes to the latest version and try again"


def invalid_object(kind: str, group: str, name: str, errors: list[FieldError]) -> StatusError:
    """422 Invalid naming each field error (``apierrors.NewInvalid``)."""
    text = errors[0].message() if len(errors) == 1 else "[" + ", ".join(e.message() for e in errors) + "]"
    qualified = f"{kind}.{group}" if group else kind
    return StatusError(
        422,
        "Invalid",
        f'{qualified} "{name}" is invalid: {text}',
        details=_details(name, group, kind, causes=[e.cause() for e in errors]),
    )


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def method_not_allowed() -> StatusError:
    return StatusError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )


def gone(message: str) -> StatusError:
    return StatusError(410, "Expired", message)


def too_large(limit: int) -> StatusError:
    return StatusError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")


def unsupported_media_type(content_type: str, accepted: list[str]) -> StatusError:
    return StatusError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media types include: "
        f"{', '.join(accepted)}",
        details={"causes": [{"reason": "UnexpectedHeader", "message": content_type, "field": "Content-Type"}]}
        if content_type
        else None,
    )


def not_acceptable(accepted: list[str]) -> StatusError:
    return StatusError(
        406,
        "NotAcceptable",
        f"only the following media types are accepted: {', '.join(accepted)}",
    )


def too_many_requests(retry_after: int = 1) -> StatusError:
    return StatusError(
        429,
        "TooManyRequests",
        "Too many requests, please try again later.",
        details={"retryAfterSeconds": retry_after},
        headers=[("Retry-After", str(retry_after))],
    )


def unknown(message: str) -> StatusError:
    """A plain Go ``error`` reaching ``ErrorToAPIStatus``: 500 with the empty ``StatusReasonUnknown``."""
    return StatusError(500, "", message)


def internal_error(message: str) -> StatusError:
    return StatusError(
        500,
        "InternalError",
        f"Internal error occurred: {message}",
        details={"causes": [{"message": message}]},
    )


def forbidden_request(message: str) -> StatusError:
    return StatusError(403, "Forbidden", message)


def unauthorized(message: str = "Unauthorized") -> StatusError:
    return StatusError(401, "Unauthorized", message)


def status_success(details: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``Status`` with ``status: Success`` (deletecollection, delete of a missing-already)."""
    out: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details:
        out["details"] = details
    return out
