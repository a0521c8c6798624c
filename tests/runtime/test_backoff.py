"""The watcher backoff: client-go's 800 ms -> 30 s curve with jitter, reset on success."""

from __future__ import annotations

from setpoint.runtime.backoff import Backoff


def test_curve_without_jitter_doubles_to_the_cap() -> None:
    b = Backoff(rand=lambda: 0.0)
    assert [round(next(b), 3) for _ in range(8)] == [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0]


def test_jitter_stays_between_base_and_twice_base_capped() -> None:
    b = Backoff(rand=lambda: 0.999)
    delays = [next(b) for _ in range(10)]
    assert 0.8 <= delays[0] < 1.6
    assert all(d <= 30.0 for d in delays)
    assert delays[-1] == 30.0


def test_reset_and_quiet_period_start_over() -> None:
    now = [0.0]
    b = Backoff(rand=lambda: 0.0, clock=lambda: now[0])
    next(b), next(b), next(b)
    b.reset()
    assert next(b) == 0.8
    next(b)
    now[0] += 121  # two quiet minutes, as client-go's backoff manager
    assert next(b) == 0.8
