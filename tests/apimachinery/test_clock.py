"""Kube's timestamps: metav1.Time / MicroTime JSON, RFC 3339 parsing and Go's zero time."""

from __future__ import annotations

import random
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


# Go's own messages (time/format_test.go's parseErrorTests and what metav1.Time answers).
@pytest.mark.parametrize(("value", "layout", "expected"), [
    ("2024-05-01T11:59:30Z", clock.RFC3339_LAYOUT, None),
    ("2024-05-01T11:59:30.123456789-07:00", clock.RFC3339_LAYOUT, None),
    ("2024-05-01T1:59:30Z", clock.RFC3339_LAYOUT, None),  # the hour is "15", not "15" padded
    ("2024-02-29T00:00:00Z", clock.RFC3339_LAYOUT, None),
    ("2024-05-01T11:59:30.000001Z", clock.RFC3339_MICRO_LAYOUT, None),
    ("foo", clock.RFC3339_LAYOUT,
     'parsing time "foo" as "2006-01-02T15:04:05Z07:00": cannot parse "foo" as "2006"'),
    ("2024-05-01T11:59:30", clock.RFC3339_LAYOUT,
     'parsing time "2024-05-01T11:59:30" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"'),
    ("2024-05-01 11:59:30Z", clock.RFC3339_LAYOUT,
     'parsing time "2024-05-01 11:59:30Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 11:59:30Z" as "T"'),
    ("2024-5-01T11:59:30Z", clock.RFC3339_LAYOUT,
     'parsing time "2024-5-01T11:59:30Z" as "2006-01-02T15:04:05Z07:00": cannot parse "5-01T11:59:30Z" as "01"'),
    ("2024-13-01T00:00:00Z", clock.RFC3339_LAYOUT, 'parsing time "2024-13-01T00:00:00Z": month out of range'),
    ("2023-02-29T00:00:00Z", clock.RFC3339_LAYOUT, 'parsing time "2023-02-29T00:00:00Z": day out of range'),
    ("2024-05-01T24:00:00Z", clock.RFC3339_LAYOUT, 'parsing time "2024-05-01T24:00:00Z": hour out of range'),
    ("2024-05-01T11:60:00Z", clock.RFC3339_LAYOUT, 'parsing time "2024-05-01T11:60:00Z": minute out of range'),
    ("2024-05-01T11:59:30+25:00", clock.RFC3339_LAYOUT,
     'parsing time "2024-05-01T11:59:30+25:00": time zone offset hour out of range'),
    ("2024-05-01T11:59:30Zjunk", clock.RFC3339_LAYOUT,
     'parsing time "2024-05-01T11:59:30Zjunk": extra text: "junk"'),
    ("2024-05-01T11:59:30Z", clock.RFC3339_MICRO_LAYOUT,
     'parsing time "2024-05-01T11:59:30Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"'),
    ('say "hi"', clock.RFC3339_LAYOUT,
     'parsing time "say \\"hi\\"" as "2006-01-02T15:04:05Z07:00": cannot parse "say \\"hi\\"" as "2006"'),
])
def test_parse_error_is_gos(value: str, layout: str, expected: str | None) -> None:
    assert clock.parse_error(value, layout) == expected


def test_parse_error_shortcut_agrees_with_the_walk() -> None:
    # The usual spelling is accepted without the element-by-element walk: every value near it
    # (each character replaced, dropped or doubled) gets the walk's answer.
    rng = random.Random(7)
    alphabet = "0123456789-+:.,TZ x\u0661"
    seeds = ["2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z", "2024-12-31T11:59:30+24:60",
             "2024-05-01T11:59:30.654321Z", "2024-04-31T11:59:30.5-02:00", "0000-01-01T00:00:00Z"]
    tried = 0
    for layout in (clock.RFC3339_LAYOUT, clock.RFC3339_MICRO_LAYOUT):
        for seed in seeds:
            values = {seed}
            for i in range(len(seed)):
                values |= {seed[:i] + c + seed[i + 1:] for c in rng.sample(alphabet, 6)}
                values |= {seed[:i] + seed[i + 1:], seed[:i] + seed[i] + seed[i:]}
            for v in values:
                assert clock.parse_error(v, layout) == clock._walk_error(v, layout), (v, layout)
                tried += 1
    assert tried > 1000


@pytest.mark.parametrize(("text", "seconds"), [
    ("15s", 15.0), ("1m30s", 90.0), ("0", 0.0), ("-1.5h", -5400.0), ("300ms", 0.3), ("5m0s", 300.0), ("1h2m3s", 3723.0)])
def test_parse_duration_as_go(text: str, seconds: float) -> None:
    assert clock.parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(("text", "message"), [
    ("5", 'time: missing unit in duration "5"'),
    ("1x", 'time: unknown unit "x" in duration "1x"'),
    ("", 'time: invalid duration ""'),
    ("s", 'time: invalid duration "s"'),
])
def test_parse_duration_errors_are_gos(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        clock.parse_duration(text)
