"""robfig/cron v3's ParseStandard: its messages, its day rule, next times."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from setpoint.apimachinery import cron

T = datetime(2026, 12, 6, 3, 7, 30, tzinfo=UTC)  # a Sunday


@pytest.mark.parametrize(("spec", "message"), [
    ("", "empty spec string"),
    ("x", "expected exactly 5 fields, found 1: [x]"),
    ("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"),
    ("60 * * * *", "end of range (60) above maximum (59): 60"),
    ("* 5-2 * * *", "beginning of range (5) beyond end of range (2): 5-2"),
    ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("a * * * *", 'failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax'),
    ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
    ("1/2/3 * * * *", "too many slashes: 1/2/3"),
    ("* * * foo *", 'failed to parse int from foo: strconv.Atoi: parsing "foo": invalid syntax'),
    ("@fortnightly", "unrecognized descriptor: @fortnightly"),
    ("@every 5x", 'failed to parse duration @every 5x: time: unknown unit "x" in duration "5x"'),
    ("TZ=Nowhere/City * * * * *", "provided bad location Nowhere/City: unknown time zone Nowhere/City"),
])
def test_parse_errors_are_robfigs(spec: str, message: str) -> None:
    with pytest.raises(cron.CronError) as e:
        cron.parse_standard(spec)
    assert str(e.value) == message


@pytest.mark.parametrize(("spec", "expected"), [
    ("*/5 * * * *", datetime(2026, 12, 6, 3, 10, tzinfo=UTC)),
    ("@hourly", datetime(2026, 12, 6, 4, 0, tzinfo=UTC)),
    ("@daily", datetime(2026, 12, 7, 0, 0, tzinfo=UTC)),
    ("@weekly", datetime(2026, 12, 13, 0, 0, tzinfo=UTC)),
    ("@monthly", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
    ("@yearly", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
    ("0 9 * * MON-FRI", datetime(2026, 12, 7, 9, 0, tzinfo=UTC)),
    ("0 0 1 jan ?", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
    # Both day fields restricted: either matches (the 15th, or a Monday).
    ("0 0 15 * 1", datetime(2026, 12, 7, 0, 0, tzinfo=UTC)),
    ("30 2 * * *", datetime(2026, 12, 7, 2, 30, tzinfo=UTC)),
    ("@every 90s", datetime(2026, 12, 6, 3, 9, 0, tzinfo=UTC)),
])
def test_next(spec: str, expected: datetime) -> None:
    assert cron.parse_standard(spec).next(T) == expected


def test_never_and_time_zones() -> None:
    assert cron.parse_standard("0 0 30 2 *").next(T) is None  # February 30th
    tokyo = cron.parse_standard("TZ=Asia/Tokyo 0 9 * * *").next(T)
    assert tokyo == datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    assert tokyo is not None and tokyo.astimezone(ZoneInfo("Asia/Tokyo")).hour == 9
