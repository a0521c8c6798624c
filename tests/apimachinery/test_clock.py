"""Kube's timestamps: metav1.Time / MicroTime JSON, RFC 3339 parsing and Go's zero time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from setpoint.apimachinery import clock


def test_format_time_is_utc_whole_seconds() -> None:
    t = datetime(2024, 5, 1, 13, 59, 30, 654321, tzinfo=timezone(timedelta(hours=2)))
    assert clock.format_time(t) == "2024-05-01T11:59:30Z"
    assert clock.format_micro_time(t) == "2024-05-01T11:59:30.654321Z"
    assert clock.format_time(datetime(2024, 5, 1, 11, 59, 30)) == "2024-05-01T11:59:30Z"  # naive is UTC


def test_now_rfc3339_is_the_current_second() -> None:
    before = int(time.time())
    text = clock.now_rfc3339()
    after = int(time.time())
    parsed = clock.parse_time(text)
    assert parsed is not None and text.endswith("Z") and len(text) == 20
    assert before <= parsed.timestamp() <= after
    again = clock.parse_time(clock.now_rfc3339())  # formatted once a second, still the current one
    assert again is not None and after <= again.timestamp() + 1 and again.timestamp() <= time.time()


def test_micro_time() -> None:
    assert clock.micro_time(0) == "1970-01-01T00:00:00.000000Z"
    assert clock.micro_time(1714564770.25) == "2024-05-01T11:59:30.250000Z"
    now = clock.parse_time(clock.micro_time())
    assert now is not None and abs(now.timestamp() - time.time()) < 5


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-05-01T11:59:30Z", datetime(2024, 5, 1, 11, 59, 30, tzinfo=UTC)),
    ("2024-05-01T11:59:30.123456789Z", datetime(2024, 5, 1, 11, 59, 30, 123456, tzinfo=UTC)),
    ("2024-05-01T13:59:30+02:00", datetime(2024, 5, 1, 11, 59, 30, tzinfo=UTC)),
    ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
])
def test_parse_time(text: str, expected: datetime) -> None:
    assert clock.parse_time(text) == expected


@pytest.mark.parametrize("text", ["", "garbage", "2024-05-01", "2024-05-01 11:59:30Z", "2024-05-01T11:59:30",
                                  "2024-13-01T11:59:30Z", "2024-05-01T25:00:00Z", "2024-05-01T11:59:30+0200"])
def test_parse_time_refuses_what_rfc3339_refuses(text: str) -> None:
    assert clock.parse_time(text) is None


def test_zero_time() -> None:
    zero = clock.parse_time(clock.ZERO_TIME)
    assert zero is not None and clock.is_zero(zero)
    assert clock.format_time(zero) == clock.ZERO_TIME
    assert not clock.is_zero(datetime(1, 1, 1, 0, 0, 1, tzinfo=UTC))
    assert not clock.is_zero(datetime(1970, 1, 1, tzinfo=UTC))
    assert not clock.is_zero(datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))))  # year 0 in UTC
