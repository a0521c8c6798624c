"""Kube's timestamps: ``metav1.Time`` and ``metav1.MicroTime`` as JSON, and their parsing.

``metav1.Time`` marshals as RFC 3339 in UTC to the second (``2006-01-02T15:04:05Z``),
``metav1.MicroTime`` to the microsecond (``2006-01-02T15:04:05.000000Z``); both
unmarshal with ``time.Parse(time.RFC3339, ...)``, which also takes a fraction and a
numeric zone. Go's zero time (``0001-01-01T00:00:00Z``) means "unset": it marshals
as ``null`` and ``kubectl`` prints its age as ``<unknown>``.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Final

__all__ = [
    "ZERO_TIME",
    "format_micro_time",
    "format_time",
    "is_zero",
    "micro_time",
    "now_rfc3339",
    "parse_time",
]

#: Go's zero ``time.Time`` as RFC 3339.
ZERO_TIME: Final = "0001-01-01T00:00:00Z"


def format_time(t: datetime) -> str:
    """``metav1.Time.MarshalJSON``: UTC, whole seconds (a naive ``t`` is taken as UTC)."""
    if t.tzinfo is not None:
        t = t.astimezone(UTC)
    # Not strftime: its %Y does not pad years before 1000 (Go's zero time is year 1).
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


def format_micro_time(t: datetime) -> str:
    """``metav1.MicroTime.MarshalJSON``: UTC, six fractional digits (a naive ``t`` is taken as UTC)."""
    if t.tzinfo is not None:
        t = t.astimezone(UTC)
    return (f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
            f".{t.microsecond:06d}Z")


#: The last second formatted by :func:`now_rfc3339` and its text: a memo, not state --
#: every object written within one second gets the same timestamp, formatted once.
_now_memo: tuple[int, str] = (0, "")


def now_rfc3339() -> str:
    """The current time as ``metav1.Time`` JSON (``metav1.Now()`` marshalled), formatted once a second."""
    global _now_memo
    second = int(time.time())
    if _now_memo[0] != second:
        _now_memo = (second, format_time(datetime.fromtimestamp(second, UTC)))
    return _now_memo[1]


def micro_time(t: float | None = None) -> str:
    """``metav1.NowMicro()`` marshalled (or the Unix time ``t``): ``2006-01-02T15:04:05.000000Z``."""
    return format_micro_time(datetime.fromtimestamp(time.time() if t is None else t, UTC))


_RFC3339: Final = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})")


def parse_time(value: str) -> datetime | None:
    """``time.Parse(time.RFC3339, value)`` as ``metav1.Time.UnmarshalJSON`` does, or None if it fails.

    The result is timezone-aware; a fraction beyond microseconds is cut (Python keeps
    no nanoseconds).
    """
    m = _RFC3339.fullmatch(value)
    if m is None:
        return None
    date, clock, frac, zone = m.groups()
    text = f"{date}T{clock}"
    if frac:
        text += "." + (frac + "000000")[:6]
    text += "+00:00" if zone == "Z" else zone
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def is_zero(t: datetime) -> bool:
    """``time.Time.IsZero``: January 1, year 1, 00:00:00 UTC."""
    if t.tzinfo is not None:
        try:
            t = t.astimezone(UTC)
        except OverflowError:  # before year 1 in UTC
            return False
    return (t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond) == (1, 1, 1, 0, 0, 0, 0)
