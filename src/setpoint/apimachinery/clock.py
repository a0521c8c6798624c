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
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

__all__ = [
    "REAL_CLOCK",
    "RFC3339_LAYOUT",
    "RFC3339_MICRO_LAYOUT",
    "ZERO_TIME",
    "Clock",
    "FakeClock",
    "format_micro_time",
    "format_time",
    "is_zero",
    "micro_time",
    "now_rfc3339",
    "parse_duration",
    "parse_error",
    "parse_time",
    "unix_time",
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


# --- Go's time.Parse errors ----------------------------------------------------------

#: ``time.RFC3339`` and ``metav1.RFC3339Micro``: the layouts Time and MicroTime unmarshal with.
RFC3339_LAYOUT: Final = "2006-01-02T15:04:05Z07:00"
RFC3339_MICRO_LAYOUT: Final = "2006-01-02T15:04:05.000000Z07:00"

#: Each layout as Go's ``nextStdChunk`` splits it: (literal prefix, layout element).
_CHUNKS: Final = {
    RFC3339_LAYOUT: (("", "2006"), ("-", "01"), ("-", "02"), ("T", "15"), (":", "04"), (":", "05"),
                     ("", "Z07:00")),
    RFC3339_MICRO_LAYOUT: (("", "2006"), ("-", "01"), ("-", "02"), ("T", "15"), (":", "04"), (":", "05"),
                           ("", ".000000"), ("", "Z07:00")),
}
_DAYS_IN_MONTH: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
#: The usual spelling of each layout (two-digit fields, ``Z`` or ``+hh:mm``): what parses without
#: the element-by-element walk, once its fields are in range.
_PLAIN: Final = {
    RFC3339_LAYOUT: re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.,][0-9]+)?"
                               r"(?:Z|[+-]([0-9]{2}):([0-9]{2}))"),
    RFC3339_MICRO_LAYOUT: re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})[.,][0-9]{6}"
                                     r"(?:Z|[+-]([0-9]{2}):([0-9]{2}))"),
}


class _Bad(Exception):
    """``errBad``: the element does not parse."""


def _go_quote(s: str) -> str:
    """The time package's ``quote``: Go-style double quotes."""
    out = ['"']
    for c in s:
        if c in '"\\':
            out.append("\\" + c)
        elif " " <= c < "\x7f":
            out.append(c)
        else:
            out.extend(f"\\x{b:02x}" for b in c.encode())
    out.append('"')
    return "".join(out)


def _getnum(value: str, fixed: bool) -> tuple[int, str]:
    if not value[:1].isdigit() or not value[:1].isascii():
        raise _Bad
    if len(value) < 2 or not ("0" <= value[1] <= "9"):
        if fixed:
            raise _Bad
        return int(value[0]), value[1:]
    return int(value[:2]), value[2:]


def parse_error(value: str, layout: str = RFC3339_LAYOUT) -> str | None:
    """Why ``time.Parse(layout, value)`` fails, in Go's words, or None when it parses.

    ``layout`` is :data:`RFC3339_LAYOUT` (``metav1.Time``) or
    :data:`RFC3339_MICRO_LAYOUT` (``metav1.MicroTime``).
    """
    plain = _PLAIN[layout].fullmatch(value)
    if plain is not None:
        year, month, day, hour, minute, second, zh, zm = plain.groups()
        m = int(month)
        if (1 <= m <= 12 and int(hour) < 24 and int(minute) < 60 and int(second) < 60
                and (zh is None or (int(zh) <= 24 and int(zm) <= 60))):
            y = int(year)
            leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
            if 1 <= int(day) <= _DAYS_IN_MONTH[m - 1] + (m == 2 and leap):
                return None
    return _walk_error(value, layout)


def _walk_error(value: str, layout: str) -> str | None:
    """:func:`parse_error` element by element, as Go's ``time.Parse`` walks the layout."""
    prefix_of = f"parsing time {_go_quote(value)}"

    def cannot(rest: str, element: str) -> str:
        return f"{prefix_of} as {_go_quote(layout)}: cannot parse {_go_quote(rest)} as {_go_quote(element)}"

    rest = value
    year = month = day = 0
    for prefix, element in _CHUNKS[layout]:
        for c in prefix:
            if not rest or rest[0] != c:
                return cannot(rest, prefix)
            rest = rest[1:]
        hold = rest
        out_of_range = ""
        try:
            if element == "2006":
                if len(rest) < 4 or not ("0" <= rest[0] <= "9") or not rest[:4].isascii() or not rest[:4].isdigit():
                    raise _Bad
                year, rest = int(rest[:4]), rest[4:]
            elif element == "01":
                month, rest = _getnum(rest, True)
                if not 1 <= month <= 12:
                    out_of_range = "month"
            elif element == "02":
                day, rest = _getnum(rest, True)
            elif element == "15":
                hour, rest = _getnum(rest, False)
                if not 0 <= hour < 24:
                    out_of_range = "hour"
            elif element == "04":
                minute, rest = _getnum(rest, True)
                if not 0 <= minute < 60:
                    out_of_range = "minute"
            elif element == "05":
                second, rest = _getnum(rest, True)
                if not 0 <= second < 60:
                    out_of_range = "second"
                elif layout == RFC3339_LAYOUT and len(rest) >= 2 and rest[0] in ".," and "0" <= rest[1] <= "9":
                    n = 2  # a fraction the layout does not name is taken
                    while n < len(rest) and "0" <= rest[n] <= "9":
                        n += 1
                    rest = rest[n:]
            elif element == ".000000":
                if len(rest) < 7 or rest[0] not in ".," or not all("0" <= c <= "9" for c in rest[1:7]):
                    raise _Bad
                rest = rest[7:]
            else:  # Z07:00
                if rest[:1] == "Z":
                    rest = rest[1:]
                else:
                    if len(rest) < 6 or rest[3] != ":":
                        raise _Bad
                    sign, hours, minutes, rest = rest[0], rest[1:3], rest[4:6], rest[6:]
                    hr, _ = _getnum(hours, True)
                    mm, _ = _getnum(minutes, True)
                    if hr > 24:
                        out_of_range = "time zone offset hour"
                    if mm > 60:
                        out_of_range = "time zone offset minute"
                    if sign not in "+-" and not out_of_range:
                        raise _Bad
        except _Bad:
            return cannot(hold, element)
        if out_of_range:
            return f"{prefix_of}: {out_of_range} out of range"
    if rest:
        return f"{prefix_of}: extra text: {_go_quote(rest)}"
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if day < 1 or day > _DAYS_IN_MONTH[month - 1] + (month == 2 and leap):
        return f"{prefix_of}: day out of range"
    return None


def unix_time(t: float) -> str:
    """Unix seconds as ``metav1.Time`` JSON."""
    return format_time(datetime.fromtimestamp(t, UTC))


# --- clocks controllers read -----------------------------------------------------------


class Clock:
    """The current time for controllers (``k8s.io/utils/clock``): real by default; a test
    injects a :class:`FakeClock` and moves it instead of waiting.

    :meth:`subscribe` registers a callback run whenever the time jumps (never, for the real
    clock): a controller that computed a delay from the old time looks again.
    """

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return datetime.now(UTC)

    def since(self, t: datetime) -> float:
        """Seconds from ``t`` to now."""
        return (self.now() - t).total_seconds()

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after each jump of the time (the real clock never jumps)."""


class FakeClock(Clock):
    """A clock that stands still until :meth:`step` or :meth:`set` moves it."""

    def __init__(self, t: datetime) -> None:
        self._t = t if t.tzinfo is not None else t.replace(tzinfo=UTC)
        self._callbacks: list[Callable[[], None]] = []

    def now(self) -> datetime:
        return self._t

    def set(self, t: datetime) -> None:
        """Move to ``t`` and wake the subscribers."""
        self._t = t if t.tzinfo is not None else t.replace(tzinfo=UTC)
        for callback in list(self._callbacks):
            callback()

    def step(self, seconds: float) -> None:
        """Move forward by ``seconds`` and wake the subscribers."""
        self.set(self._t + timedelta(seconds=seconds))

    def subscribe(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)


#: The real clock.
REAL_CLOCK: Final = Clock()


# --- Go durations -----------------------------------------------------------------------------

_DURATION_UNITS: Final = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
                          "h": 3600.0}
_DURATION_PART: Final = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` (``"15s"``, ``"1m30s"``, ``"-1.5h"``, ``"0"``) in seconds;
    ``ValueError`` with Go's message when it does not parse."""
    rest = text
    sign = -1.0 if rest[:1] == "-" else 1.0
    rest = rest[1:] if rest[:1] in "+-" and rest else rest
    if rest == "0":
        return 0.0
    total, pos = 0.0, 0
    while pos < len(rest):
        m = _DURATION_PART.match(rest, pos)
        if m is None:
            unit_start = pos
            while unit_start < len(rest) and (rest[unit_start].isdigit() or rest[unit_start] == "."):
                unit_start += 1
            if unit_start > pos and unit_start < len(rest):
                unit_end = unit_start
                while unit_end < len(rest) and not (rest[unit_end].isdigit() or rest[unit_end] == "."):
                    unit_end += 1
                raise ValueError(f'time: unknown unit "{rest[unit_start:unit_end]}" in duration "{text}"')
            if unit_start == len(rest) and unit_start > pos:
                raise ValueError(f'time: missing unit in duration "{text}"')
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    if not rest:
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * total
