"""One priority level's seats and queues: kube's ``fairqueuing/queueset`` and ``shufflesharding``.

A limited priority level has a concurrency limit in seats. A request that fits while
nothing waits takes its seats at once (no task switch). Otherwise it is shuffle-sharded
to the shortest queue of its flow's hand (kube's ``Dealer``: a hand of ``handSize`` queues
dealt from the flow's hash) and waits there; a full queue (``queueLengthLimit``), or any
wait on a ``Reject`` level, is refused. Queues are served fairly, as kube's queueset: each
queue has a virtual ``next_r`` that grows by the seat-seconds its requests use, and the
next request dispatched is the head of the waiting queue whose virtual finish (``next_r`` plus
the head's work) is smallest (a queue that was idle starts at the current virtual time), so a
flow that sends many wide
requests cannot take the turn of one that sends a few narrow ones. A head that does not fit
in the free seats stops dispatching until enough are free (kube's rule, so wide requests
are not starved); a request wider than the whole limit runs alone.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from typing import Any

#: The seat-seconds charged to a queue at dispatch for each seat, corrected when the request
#: ends by its real duration (kube's queueset starts from an estimate the same way).
ESTIMATED_SERVICE_SECONDS = 0.003

QUEUE_FULL = "queue-full"
TIME_OUT = "time-out"
CONCURRENCY_LIMIT = "concurrency-limit"
CANCELLED = "cancelled"


class Dealer:
    """kube's ``shufflesharding.Dealer``: a hand of distinct queue indices from a hash."""

    __slots__ = ("_hands", "deck_size", "hand_size")

    def __init__(self, deck_size: int, hand_size: int) -> None:
        if not 0 < hand_size <= deck_size:
            raise ValueError(f"hand size {hand_size} must be in 1..{deck_size}")
        self.deck_size = deck_size
        self.hand_size = hand_size
        #: Hands dealt, by hash (a flow's hash is the same for each of its requests).
        self._hands: dict[int, tuple[int, ...]] = {}

    def deal(self, hash_value: int) -> tuple[int, ...]:
        hand = self._hands.get(hash_value)
        if hand is None:
            hand = tuple(self._deal(hash_value))
            if len(self._hands) >= 4096:
                self._hands.clear()
            self._hands[hash_value] = hand
        return hand

    def _deal(self, hash_value: int) -> list[int]:
        remainders: list[int] = []
        for i in range(self.hand_size):
            hash_value, card = divmod(hash_value, self.deck_size - i)
            remainders.append(card)
        hand: list[int] = []
        for i, card in enumerate(remainders):
            # Each remainder indexes the deck with the cards dealt before it taken out.
            for j in range(i, 0, -1):
                if card >= remainders[j - 1]:
                    card += 1
            hand.append(card)
        return hand


class Waiter:
    """A request waiting in a queue (or dispatched from one)."""

    __slots__ = ("future", "queue", "seats", "work")

    def __init__(self, future: asyncio.Future[bool], queue: Queue, seats: int, work: float) -> None:
        self.future = future
        self.queue = queue
        self.seats = seats
        self.work = work


class Queue:
    __slots__ = ("executing", "index", "next_r", "waiting", "waiting_work")

    def __init__(self, index: int) -> None:
        self.index = index
        self.waiting: deque[Waiter] = deque()
        self.waiting_work = 0.0
        self.executing = 0
        self.next_r = 0.0


class QueueSet:
    """The seats and queues of one limited priority level."""

    def __init__(self, limit: int, *, queues: int = 0, hand_size: int = 0, queue_length_limit: int = 0) -> None:
        self.limit = limit
        self.queue_length_limit = queue_length_limit
        self.queues = [Queue(i) for i in range(queues)]
        self.dealer = Dealer(queues, hand_size) if queues else None
        self.seats_in_use = 0
        self.executing = 0
        self.waiting = 0
        #: Queues with requests waiting, by index.
        self._active: dict[int, Queue] = {}
        self._r = 0.0
        self._enqueues = 0

    # --- admission --------------------------------------------------------------

    def try_take(self, seats: int) -> bool:
        """Take ``seats`` now when nothing waits and they fit (the fast path)."""
        if self.waiting == 0 and self.limit and (self.seats_in_use + seats <= self.limit or self.seats_in_use == 0):
            self.seats_in_use += seats
            self.executing += 1
            return True
        return False

    def enqueue(self, hash_value: int, seats: int) -> Waiter | str:
        """Queue a request that could not take its seats: its :class:`Waiter`, or why it is refused."""
        if self.dealer is None:
            return CONCURRENCY_LIMIT
        hand = self.dealer.deal(hash_value)
        size = len(hand)
        offset = self._enqueues % size
        self._enqueues += 1
        best: Queue | None = None
        for i in range(size):
            q = self.queues[hand[(offset + i) % size]]
            if best is None or q.waiting_work < best.waiting_work:
                best = q
        assert best is not None
        if len(best.waiting) >= self.queue_length_limit:
            return QUEUE_FULL
        if not best.waiting and not best.executing:
            best.next_r = max(best.next_r, self._r)
        work = seats * ESTIMATED_SERVICE_SECONDS
        waiter = Waiter(asyncio.get_running_loop().create_future(), best, seats, work)
        best.waiting.append(waiter)
        best.waiting_work += work
        self._active[best.index] = best
        self.waiting += 1
        self.dispatch()
        return waiter

    def cancel(self, waiter: Waiter) -> bool:
        """Take a waiting request out (its wait timed out); False if it was dispatched meanwhile."""
        q = waiter.queue
        try:
            q.waiting.remove(waiter)
        except ValueError:
            return False
        q.waiting_work -= waiter.work
        self.waiting -= 1
        if not q.waiting:
            self._active.pop(q.index, None)
        self.dispatch()
        return True

    # --- dispatch -------------------------------------------------------------------

    def dispatch(self) -> None:
        """Start as many waiting requests as the free seats allow, fairest queue first."""
        active = self._active
        while active:
            # kube's findDispatchQueueToBoundLocked: the smallest virtual finish of a queue's head,
            # so a narrow request is not held behind a wide one that started at the same time.
            best: Queue | None = None
            best_finish = 0.0
            for q in active.values():
                finish = q.next_r + q.waiting[0].work
                if best is None or finish < best_finish:
                    best, best_finish = q, finish
            assert best is not None
            head = best.waiting[0]
            if self.seats_in_use + head.seats > self.limit and (self.seats_in_use > 0 or not self.limit):
                return
            best.waiting.popleft()
            best.waiting_work -= head.work
            if not best.waiting:
                del active[best.index]
            self.waiting -= 1
            self._r = max(self._r, best.next_r)
            best.next_r += head.work
            best.executing += 1
            self.seats_in_use += head.seats
            self.executing += 1
            if not head.future.done():
                head.future.set_result(True)

    def release(self, seats: int, queue: Queue | None, started: float, work: float) -> None:
        """A request ends: give back its seats, correct its queue's charge by its real use."""
        self.seats_in_use -= seats
        self.executing -= 1
        if queue is not None:
            queue.executing -= 1
            used = (time.perf_counter() - started) * seats
            queue.next_r += used - work
        if self._active:
            self.dispatch()

    def release_seats(self, seats: int) -> None:
        """Give back seats held past the request's end (a write's watch notification time)."""
        self.seats_in_use -= seats
        if self._active:
            self.dispatch()

    def hold(self, seats: int) -> None:
        self.seats_in_use += seats

    def describe(self) -> dict[str, Any]:
        return {"limit": self.limit, "seatsInUse": self.seats_in_use, "executing": self.executing,
                "waiting": self.waiting, "queues": len(self.queues)}


def max_seats(limit: int, hand_size: int) -> int:
    """kube's per-level cap on a request's seats: max(1, min(ceil(15% of the limit), limit / handSize))."""
    if hand_size <= 0:
        return max(1, math.ceil(limit * 0.15))
    return max(1, min(math.ceil(limit * 0.15), limit // hand_size))
