"""Name and label checks, as apimachinery's ``pkg/util/validation`` and ``pkg/api/validate/content``.

Each ``is_*`` function returns kube's detail strings for a value (an empty list when
it is valid), character for character, for callers to wrap in field errors: object
names (:func:`is_dns1123_subdomain`, :func:`is_dns1123_label`,
:func:`is_dns1035_label`), label keys and values (:func:`is_qualified_name`,
:func:`is_valid_label_value`) and URL path segments.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "DNS1035_LABEL_MAX_LENGTH",
    "DNS1123_LABEL_MAX_LENGTH",
    "DNS1123_SUBDOMAIN_MAX_LENGTH",
    "LABEL_KEY_NAME_MAX_LENGTH",
    "LABEL_VALUE_MAX_LENGTH",
    "byte_len",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_qualified_name",
    "is_valid_label_value",
    "is_valid_path_segment_name",
    "is_valid_path_segment_prefix",
]

DNS1123_LABEL_MAX_LENGTH: Final = 63
DNS1123_SUBDOMAIN_MAX_LENGTH: Final = 253
DNS1035_LABEL_MAX_LENGTH: Final = 63
LABEL_VALUE_MAX_LENGTH: Final = 63
LABEL_KEY_NAME_MAX_LENGTH: Final = 63


# --------------------------------------------------------------------------
# Message builders (util/validation and api/validate/content)
# --------------------------------------------------------------------------

_EMPTY_ERROR: Final = "must be non-empty"


def _max_len_chars(length: int) -> str:
    """``util/validation.MaxLenError`` (DNS names say "characters")."""
    return f"must be no more than {length} characters"


def _max_len_bytes(length: int) -> str:
    """``content.MaxLenError`` (label keys and values say "bytes")."""
    return f"must be no more than {length} bytes"


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    """``RegexError``, including kube's double space before each "or"."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    out = msg + " (e.g. "
    for i, example in enumerate(examples):
        if i > 0:
            out += " or "
        out += f"'{example}', "
    return out + f"regex used for validation is '{fmt}')"


def byte_len(value: str) -> int:
    """Length in bytes, as Go's ``len(string)``."""
    if value.isascii():
        return len(value)
    return len(value.encode("utf-8", "surrogatepass"))


# --------------------------------------------------------------------------
# Name checks
# --------------------------------------------------------------------------

_DNS1123_LABEL_FMT: Final = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_ERR: Final = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_FMT: Final = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_ERR: Final = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
_DNS1035_LABEL_FMT: Final = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_LABEL_ERR: Final = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
    "start with an alphabetic character, and end with an alphanumeric character"
)
_LABEL_KEY_FMT: Final = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_KEY_ERR: Final = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_VALUE_FMT: Final = "(" + _LABEL_KEY_FMT + ")?"
_LABEL_VALUE_ERR: Final = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)

# Python's engine backtracks, so the subdomain rule (label(.label)*) is
# checked label by label instead of with one nested pattern: same language,
# linear time on hostile input.
_dns1123_label_match: Final = re.compile(_DNS1123_LABEL_FMT).fullmatch
_dns1123_subdomain_match: Final = re.compile(_DNS1123_SUBDOMAIN_FMT).fullmatch
_dns1035_label_match: Final = re.compile(_DNS1035_LABEL_FMT).fullmatch
_label_key_match: Final = re.compile(_LABEL_KEY_FMT).fullmatch
_label_value_match: Final = re.compile(_LABEL_VALUE_FMT).fullmatch

_DNS1123_LABEL_REGEX_ERROR: Final = _regex_error(_DNS1123_LABEL_ERR, _DNS1123_LABEL_FMT, "my-name", "123-abc")
_DNS1123_SUBDOMAIN_REGEX_ERROR: Final = _regex_error(
    _DNS1123_SUBDOMAIN_ERR, _DNS1123_SUBDOMAIN_FMT, "example.com"
)
_DNS1035_LABEL_REGEX_ERROR: Final = _regex_error(_DNS1035_LABEL_ERR, _DNS1035_LABEL_FMT, "my-name", "abc-123")
_LABEL_KEY_REGEX_ERROR: Final = _regex_error(_LABEL_KEY_ERR, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
_LABEL_VALUE_REGEX_ERROR: Final = _regex_error(
    _LABEL_VALUE_ERR, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"
)


def _is_subdomain(value: str) -> bool:
    return _dns1123_subdomain_match(value) is not None


def is_dns1123_label(value: str) -> list[str]:
    """``IsDNS1123Label``: e.g. namespace names."""
    if byte_len(value) <= DNS1123_LABEL_MAX_LENGTH and _dns1123_label_match(value) is not None:
        return []
    errs: list[str] = []
    if byte_len(value) > DNS1123_LABEL_MAX_LENGTH:
        errs.append(_max_len_chars(DNS1123_LABEL_MAX_LENGTH))
    if _dns1123_label_match(value) is None:
        if _is_subdomain(value):
            errs.append("must not contain dots")
        else:
            errs.append(_DNS1123_LABEL_REGEX_ERROR)
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    """``IsDNS1123Subdomain``: most object names."""
    errs: list[str] = []
    if byte_len(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        errs.append(_max_len_chars(DNS1123_SUBDOMAIN_MAX_LENGTH))
    if not _is_subdomain(value):
        errs.append(_DNS1123_SUBDOMAIN_REGEX_ERROR)
    return errs


def _content_is_dns1123_subdomain(value: str) -> list[str]:
    """``content.IsDNS1123Subdomain`` (label-key prefixes): says "bytes"."""
    errs: list[str] = []
    if byte_len(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        errs.append(_max_len_bytes(DNS1123_SUBDOMAIN_MAX_LENGTH))
    if not _is_subdomain(value):
        errs.append(_DNS1123_SUBDOMAIN_REGEX_ERROR)
    return errs


def is_dns1035_label(value: str) -> list[str]:
    """``IsDNS1035Label``: e.g. service names."""
    errs: list[str] = []
    if byte_len(value) > DNS1035_LABEL_MAX_LENGTH:
        errs.append(_max_len_chars(DNS1035_LABEL_MAX_LENGTH))
    if _dns1035_label_match(value) is None:
        errs.append(_DNS1035_LABEL_REGEX_ERROR)
    return errs


def is_qualified_name(value: str) -> list[str]:
    """``IsQualifiedName`` = ``content.IsLabelKey``: label keys, finalizers, annotation keys."""
    if "/" not in value and byte_len(value) <= LABEL_KEY_NAME_MAX_LENGTH and _label_key_match(value) is not None:
        return []
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part " + _EMPTY_ERROR)
        else:
            errs.extend("prefix part " + msg for msg in _content_is_dns1123_subdomain(prefix))
    else:
        return [
            "a valid label key "
            + _LABEL_KEY_REGEX_ERROR
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part " + _EMPTY_ERROR)
    elif byte_len(name) > LABEL_KEY_NAME_MAX_LENGTH:
        errs.append("name part " + _max_len_bytes(LABEL_KEY_NAME_MAX_LENGTH))
    if _label_key_match(name) is None:
        errs.append("name part " + _LABEL_KEY_REGEX_ERROR)
    return errs


def is_valid_label_value(value: str) -> list[str]:
    """``IsValidLabelValue`` = ``content.IsLabelValue``."""
    if byte_len(value) <= LABEL_VALUE_MAX_LENGTH and _label_value_match(value) is not None:
        return []
    errs: list[str] = []
    if byte_len(value) > LABEL_VALUE_MAX_LENGTH:
        errs.append(_max_len_bytes(LABEL_VALUE_MAX_LENGTH))
    if _label_value_match(value) is None:
        errs.append(_LABEL_VALUE_REGEX_ERROR)
    return errs


def is_valid_path_segment_prefix(name: str) -> list[str]:
    """``IsValidPathSegmentPrefix``: no ``/`` or ``%`` (empty and length are not checked)."""
    errs: list[str] = []
    if "/" in name:
        errs.append("may not contain '/'")
    if "%" in name:
        errs.append("may not contain '%'")
    return errs


def is_valid_path_segment_name(name: str) -> list[str]:
    """``IsValidPathSegmentName``: a name that can be one URL path segment."""
    if name in (".", ".."):
        return [f"may not be '{name}'"]
    return is_valid_path_segment_prefix(name)
