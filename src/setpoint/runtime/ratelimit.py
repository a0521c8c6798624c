"""Rate limiters: how long an item waits before it is retried, and client-side QPS.

The shapes and defaults are client-go's (``util/workqueue/default_rate_limiters.go``):

* :class:`ItemExponential` -- per item, ``base * 2**failures`` capped at ``maximum``
  (5 ms -> 1000 s by default);
* :class:`Bucket` -- one token bucket shared by all items (10 qps, burst 100), whose
  reservations may run into debt like ``golang.org/x/time/rate.Limiter.Reserve``;
* :class:`MaxOf` -- the longest wait of several limiters;
* :func:`default_controller_rate_limiter` -- ``MaxOf(ItemExponential(), Bucket())``,
  client-go's ``DefaultTypedControllerRateLimiter``.

Clocks are injectable (``clock=``) so tests need no sleeps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable
from typing import Protocol, TypeVar

T = TypeVar("T", bound=Hashable)
T_contra = TypeVar("T_contra", bound=Hashable, contravariant=True)

Clock = Callable[[], float]


class RateLimiter(Protocol[T_contra]):
    """Decides how long an item waits before it is retried."""

    def when(self, item: T_contra) -> float:
        """Seconds to wait before ``item`` is retried; counts one more failure."""
        ...

    def forget(self, item: T_contra) -> None:
        """The item succeeded: clear its failure count."""
        ...

    def num_requeues(self, item: T_contra) -> int:
        """How many times ``item`` has failed since it was last forgotten."""
        ...


class ItemExponential:
    """Per-item exponential backoff: ``base * 2**failures``, capped at ``maximum``."""

    def __init__(self, base: float = 0.005, maximum: float = 1000.0) -> None:
        if base <= 0 or maximum < base:
            raise ValueError("need 0 < base <= maximum")
        self.base = base
        self.maximum = maximum
        self._failures: dict[Hashable, int] = {}

    def when(self, item: Hashable) -> float:
        exp = self._failures.get(item, 0)
        self._failures[item] = exp + 1
        if exp >= 64:  # 2**64 * base overflows any sane maximum
            return self.maximum
        return min(self.base * (1 << exp), self.maximum)

    def forget(self, item: Hashable) -> None:
        self._failures.pop(item, None)

    def num_requeues(self, item: Hashable) -> int:
        return self._failures.get(item, 0)


class TokenBucket:
    """A token bucket: ``rate`` tokens a second, at most ``burst`` saved up.

    :meth:`reserve` takes a token now and returns how long the caller must wait
    before using it (tokens may go negative, as with Go's ``Limiter.Reserve``);
    :meth:`acquire` waits that long.
    """

    def __init__(self, rate: float, burst: int, *, clock: Clock = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("need rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()

    def reserve(self) -> float:
        now = self._clock()
        elapsed = now - self._last
        self._last = now
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate) - 1.0
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self.rate

    def delay(self) -> float:
        """How long until a token is free, without taking it."""
        tokens = min(float(self.burst), self._tokens + (self._clock() - self._last) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    async def acquire(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)


class Bucket:
    """One token bucket for all items (10 qps, burst 100 by default)."""

    def __init__(self, qps: float = 10.0, burst: int = 100, *, clock: Clock = time.monotonic) -> None:
        self.bucket = TokenBucket(qps, burst, clock=clock)

    def when(self, item: Hashable) -> float:
        return self.bucket.reserve()

    def forget(self, item: Hashable) -> None:
        pass

    def num_requeues(self, item: Hashable) -> int:
        return 0


class MaxOf:
    """The longest wait of several limiters; every limiter counts every failure."""

    def __init__(self, *limiters: RateLimiter[Hashable]) -> None:
        if not limiters:
            raise ValueError("MaxOf needs at least one limiter")
        self.limiters = limiters

    def when(self, item: Hashable) -> float:
        return max(limiter.when(item) for limiter in self.limiters)

    def forget(self, item: Hashable) -> None:
        for limiter in self.limiters:
            limiter.forget(item)

    def num_requeues(self, item: Hashable) -> int:
        return max(limiter.num_requeues(item) for limiter in self.limiters)


def default_controller_rate_limiter(*, clock: Clock = time.monotonic) -> MaxOf:
    """client-go's default: max(per-item 5 ms -> 1000 s, bucket 10 qps / burst 100)."""
    return MaxOf(ItemExponential(0.005, 1000.0), Bucket(10.0, 100, clock=clock))


def per_item_rate_limiter() -> ItemExponential:
    """controller-runtime >= 0.23's priority-queue default: per-item exponential only."""
    return ItemExponential(0.005, 1000.0)
