"""Backoff: the delays to wait between failed attempts, as a resettable iterator.

The default curve is client-go's reflector backoff
(``wait.NewExponentialBackoffManager(800ms, 30s, 2min, 2.0, 1.0)``): start at
800 ms, double on each failure, add up to 100 % random jitter, never wait more
than 30 s, and start over after two quiet minutes (or on :meth:`Backoff.reset`,
which a watcher calls once a request succeeds).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator


class Backoff(Iterator[float]):
    """An endless iterator of delays in seconds; ``next(backoff)`` counts one failure."""

    def __init__(self, initial: float = 0.8, maximum: float = 30.0, *, factor: float = 2.0,
                 jitter: float = 1.0, reset_after: float | None = 120.0,
                 clock: Callable[[], float] = time.monotonic,
                 rand: Callable[[], float] = random.random) -> None:
        if initial <= 0 or maximum < initial or factor < 1 or jitter < 0:
            raise ValueError("need 0 < initial <= maximum, factor >= 1, jitter >= 0")
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
        self.reset_after = reset_after
        self._clock = clock
        self._rand = rand
        self._current = initial
        self._last: float | None = None

    def __next__(self) -> float:
        now = self._clock()
        if self._last is not None and self.reset_after is not None and now - self._last > self.reset_after:
            self._current = self.initial
        self._last = now
        delay = self._current * (1.0 + self._rand() * self.jitter)
        self._current = min(self._current * self.factor, self.maximum)
        return min(delay, self.maximum)

    def reset(self) -> None:
        """Forget past failures: the next delay is ``initial`` again (plus jitter)."""
        self._current = self.initial
        self._last = None
