"""Input checks and key-range helpers shared by the backends."""

from __future__ import annotations

from .interface import MAX_KEY_BYTES, MAX_VALUE_BYTES, InvalidInput

_MAX_CHAR = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)


def check_key(key: object) -> str:
    """Return ``key`` if it is a valid key, else raise :class:`InvalidInput`."""
    if not isinstance(key, str):
        raise InvalidInput(f"key must be str, not {type(key).__name__}")
    if not key:
        raise InvalidInput("key must not be empty")
    if len(key) * 4 > MAX_KEY_BYTES or not key.isascii():
        try:
            size = len(key.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise InvalidInput(f"key is not valid UTF-8: {exc.reason}") from None
        if size > MAX_KEY_BYTES:
            raise InvalidInput(f"key is {size} bytes long, more than the limit of {MAX_KEY_BYTES}")
    return key


def check_value(value: object) -> bytes:
    """Return ``value`` if it is a valid value, else raise :class:`InvalidInput`."""
    if not isinstance(value, bytes):
        raise InvalidInput(f"value must be bytes, not {type(value).__name__}")
    if len(value) > MAX_VALUE_BYTES:
        raise InvalidInput(f"value is {len(value)} bytes long, more than the limit of {MAX_VALUE_BYTES}")
    return value


def check_prefix(prefix: object) -> str:
    """Return ``prefix`` if it is a valid prefix (any str, even empty)."""
    if not isinstance(prefix, str):
        raise InvalidInput(f"prefix must be str, not {type(prefix).__name__}")
    return prefix


def check_revision(revision: object, what: str = "revision") -> int:
    """Return ``revision`` if it is a non-negative int."""
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 0:
        raise InvalidInput(f"{what} must be a non-negative int, not {revision!r}")
    return revision


def prefix_end(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix``.

    ``None`` when there is none (empty prefix, or only U+10FFFF characters).
    Python compares strings by code point, which is the order of their UTF-8
    bytes, so the bound also holds for SQLite's BINARY collation.
    """
    chars = prefix
    while chars:
        last = ord(chars[-1])
        if last < _MAX_CHAR:
            nxt = last + 1
            if nxt in _SURROGATES:
                nxt = _SURROGATES.stop
            return chars[:-1] + chr(nxt)
        chars = chars[:-1]
    return None


def range_bounds(prefix: str, start_after: str | None) -> tuple[str, bool, str | None]:
    """``(low, inclusive, high)``: keys ``k`` with ``low <= k`` (or ``<`` when not
    inclusive) and ``k < high`` (no bound when ``None``)."""
    if start_after is not None and start_after >= prefix:
        return start_after, False, prefix_end(prefix)
    return prefix, True, prefix_end(prefix)
