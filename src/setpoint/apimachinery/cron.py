"""Cron schedules as ``github.com/robfig/cron/v3``'s ``ParseStandard`` reads them, and their next times.

kube-apiserver validates a CronJob's schedule with ``cron.ParseStandard`` and the cronjob
controller asks the parsed schedule for its ``Next`` time; this module does both, with
robfig's error messages (``expected exactly 5 fields, found 1: [x]``, ``end of range (60)
above maximum (59): 0-60``...).  Five fields (minute, hour, day of month, month, day of
week), names (``jan``, ``sun``), ``*``/``?``, ranges, steps, lists, and the descriptors
``@yearly``, ``@annually``, ``@monthly``, ``@weekly``, ``@daily``, ``@midnight``,
``@hourly`` and ``@every <duration>``.  As robfig's: when both day fields are restricted
a day matching either runs; a ``TZ=``/``CRON_TZ=`` prefix names the zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["CronError", "Schedule", "load_location", "parse_standard"]

_STAR_BIT: Final = 1 << 63


class CronError(ValueError):
    """The schedule does not parse; the message is robfig/cron's."""


@dataclass(frozen=True, slots=True)
class _Bounds:
    min: int
    max: int
    names: dict[str, int]


_MINUTES: Final = _Bounds(0, 59, {})
_HOURS: Final = _Bounds(0, 23, {})
_DOM: Final = _Bounds(1, 31, {})
_MONTHS: Final = _Bounds(1, 12, {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))})
_DOW: Final = _Bounds(0, 6, {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))})


def _go_atoi(expr: str) -> int:
    """``strconv.Atoi``, with its error text."""
    if re.fullmatch(r"[+-]?[0-9]+", expr) is None:
        raise CronError(f'strconv.Atoi: parsing "{expr}": invalid syntax')
    num = int(expr)
    if not -(1 << 63) <= num < 1 << 63:
        raise CronError(f'strconv.Atoi: parsing "{expr}": value out of range')
    return num


def _parse_int(expr: str) -> int:
    try:
        num = _go_atoi(expr)
    except CronError as e:
        raise CronError(f"failed to parse int from {expr}: {e}") from None
    if num < 0:
        raise CronError(f"negative number ({num}) not allowed: {expr}")
    return num


def _int_or_name(expr: str, names: dict[str, int]) -> int:
    named = names.get(expr.lower())
    return named if named is not None else _parse_int(expr)


def _bits(lo: int, hi: int, step: int) -> int:
    out = 0
    for i in range(lo, hi + 1, step):
        out |= 1 << i
    return out


def _range(expr: str, r: _Bounds) -> int:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    extra = 0
    if low_and_high[0] in ("*", "?"):
        start, end, extra = r.min, r.max, _STAR_BIT
    else:
        start = _int_or_name(low_and_high[0], r.names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], r.names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _parse_int(range_and_step[1])
        if single:
            end = r.max
        if step > 1:
            extra = 0
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < r.min:
        raise CronError(f"beginning of range ({start}) below minimum ({r.min}): {expr}")
    if end > r.max:
        raise CronError(f"end of range ({end}) above maximum ({r.max}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return _bits(start, end, step) | extra


def _field(text: str, r: _Bounds) -> int:
    bits = 0
    for expr in (p for p in text.split(",") if p):
        bits |= _range(expr, r)
    return bits


def load_location(name: str) -> tzinfo:
    """``time.LoadLocation``: UTC for ``""``/``UTC``, else the IANA zone; raises with Go's text."""
    if name in ("", "UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise CronError(f"unknown time zone {name}") from None


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed schedule: bit sets per field (robfig's ``SpecSchedule``), or an ``@every`` period."""

    minute: int = 0
    hour: int = 0
    dom: int = 0
    month: int = 0
    dow: int = 0
    location: tzinfo | None = None
    every: timedelta | None = None

    def _day_matches(self, t: datetime) -> bool:
        dom_match = bool(1 << t.day & self.dom)
        dow_match = bool(1 << ((t.weekday() + 1) % 7) & self.dow)
        if self.dom & _STAR_BIT or self.dow & _STAR_BIT:
            return dom_match and dow_match
        return dom_match or dow_match

    def next(self, t: datetime) -> datetime | None:
        """The first time after ``t`` the schedule fires (None when none within five years).

        ``t`` is aware; without a ``TZ=`` prefix the schedule runs in ``t``'s zone (kube
        passes times in the CronJob's ``timeZone``, or the controller's local zone, UTC here).
        """
        if self.every is not None:
            # robfig's ConstantDelaySchedule: the period in whole seconds (at least one).
            step = timedelta(seconds=max(int(self.every.total_seconds()), 1))
            return t.replace(microsecond=0) + step
        orig = t.tzinfo
        if self.location is not None:
            t = t.astimezone(self.location)
        zone = t.tzinfo
        # Whole minutes of wall time, after t.
        wall = t.replace(tzinfo=None, second=0, microsecond=0) + timedelta(minutes=1)
        year_limit = wall.year + 5
        while True:
            if wall.year > year_limit:
                return None
            if not 1 << wall.month & self.month:
                year, month = (wall.year + 1, 1) if wall.month == 12 else (wall.year, wall.month + 1)
                wall = datetime(year, month, 1)
                continue
            if not self._day_matches(wall):
                wall = datetime(wall.year, wall.month, wall.day) + timedelta(days=1)
                continue
            if not 1 << wall.hour & self.hour:
                wall = wall.replace(minute=0) + timedelta(hours=1)
                continue
            if not 1 << wall.minute & self.minute:
                wall += timedelta(minutes=1)
                continue
            found = wall.replace(tzinfo=zone)
            return found.astimezone(orig) if orig is not None else found


_DESCRIPTORS: Final = {
    "@yearly": ("0", "0", "1", "1", "*"),
    "@annually": ("0", "0", "1", "1", "*"),
    "@monthly": ("0", "0", "1", "*", "*"),
    "@weekly": ("0", "0", "*", "*", "0"),
    "@daily": ("0", "0", "*", "*", "*"),
    "@midnight": ("0", "0", "*", "*", "*"),
    "@hourly": ("0", "*", "*", "*", "*"),
}

_DURATION_UNITS: Final = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
                          "h": 3600.0}


def _parse_duration(text: str) -> timedelta:
    """``time.ParseDuration`` (its errors as Go words them)."""
    quoted = f'"{text}"'
    s = text
    sign = 1
    if s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if s == "0":
        return timedelta(0)
    if not s:
        raise CronError(f"time: invalid duration {quoted}")
    total = 0.0
    while s:
        m = re.match(r"([0-9]*(?:\.[0-9]*)?)", s)
        number = m.group(1) if m else ""
        if number in ("", "."):
            raise CronError(f"time: invalid duration {quoted}")
        s = s[len(number):]
        u = re.match(r"[^0-9.]*", s)
        unit = u.group(0) if u else ""
        if not unit:
            raise CronError(f"time: missing unit in duration {quoted}")
        if unit not in _DURATION_UNITS:
            raise CronError(f'time: unknown unit "{unit}" in duration {quoted}')
        total += float(number) * _DURATION_UNITS[unit]
        s = s[len(unit):]
    return timedelta(seconds=sign * total)


def _create(fields: tuple[str, ...] | list[str], location: tzinfo | None) -> Schedule:
    return Schedule(minute=_field(fields[0], _MINUTES), hour=_field(fields[1], _HOURS),
                    dom=_field(fields[2], _DOM), month=_field(fields[3], _MONTHS),
                    dow=_field(fields[4], _DOW), location=location)


def parse_standard(spec: str) -> Schedule:
    """``cron.ParseStandard(spec)``; raises :class:`CronError` with robfig's message."""
    if not spec:
        raise CronError("empty spec string")
    location: tzinfo | None = None
    if spec.startswith(("TZ=", "CRON_TZ=")):
        i = spec.find(" ")
        eq = spec.find("=")
        name = spec[eq + 1:i] if i >= 0 else spec[eq + 1:]
        try:
            location = load_location(name)
        except CronError as e:
            raise CronError(f"provided bad location {name}: {e}") from None
        spec = spec[i:].strip() if i >= 0 else ""
    if spec.startswith("@"):
        descriptor = _DESCRIPTORS.get(spec)
        if descriptor is not None:
            return _create(descriptor, location)
        if spec.startswith("@every "):
            try:
                period = _parse_duration(spec[len("@every "):])
            except CronError as e:
                raise CronError(f"failed to parse duration {spec}: {e}") from None
            return Schedule(location=location, every=period)
        raise CronError(f"unrecognized descriptor: {spec}")
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    return _create(fields, location)
