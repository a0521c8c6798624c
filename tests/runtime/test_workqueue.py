"""Work queue semantics: model-based property tests plus the delaying and shutdown paths."""

from __future__ import annotations

import asyncio
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from setpoint.runtime import ratelimit, workqueue

KEYS = st.sampled_from(["a", "b", "c", "d", "e"])


class QueueModel(RuleBasedStateMachine):
    """The queue against a plain model of client-go's dirty/processing/queue sets."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.q: workqueue.WorkQueue[str] = workqueue.WorkQueue("model")
        self.order: list[str] = []
        self.dirty: set[str] = set()
        self.processing: set[str] = set()

    def teardown(self) -> None:
        self.loop.close()

    @rule(key=KEYS)
    def add(self, key: str) -> None:
        self.q.add(key)
        if key not in self.dirty:
            self.dirty.add(key)
            if key not in self.processing:
                self.order.append(key)

    @precondition(lambda self: bool(self.order))
    @rule()
    def get(self) -> None:
        got = self.loop.run_until_complete(self.q.get())
        expected = self.order.pop(0)
        assert got == expected, "keys come out in FIFO order"
        assert got not in self.processing, "a key is never handed to two workers at once"
        self.processing.add(got)
        self.dirty.discard(got)

    @precondition(lambda self: bool(self.processing))
    @rule(data=st.data())
    def done(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.processing)))
        self.q.done(key)
        self.processing.discard(key)
        if key in self.dirty:
            self.order.append(key)  # re-added while in process: handed out again afterwards

    @invariant()
    def same_shape(self) -> None:
        assert len(self.q) == len(self.order)
        assert set(self.q.processing) == self.processing
        assert len(set(self.order)) == len(self.order), "no key waits twice"


TestQueueModel = QueueModel.TestCase
TestQueueModel.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)


@settings(max_examples=25, deadline=None)
@given(adds=st.lists(st.tuples(KEYS, st.integers(0, 3)), min_size=1, max_size=60),
       workers=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_concurrent_workers_never_share_a_key_and_see_every_add(
        adds: list[tuple[str, int]], workers: int, seed: int) -> None:
    """With real concurrent workers: no key in two workers at once, and every add is seen by a
    processing that starts after it."""

    async def main() -> None:
        rng = random.Random(seed)
        q: workqueue.WorkQueue[str] = workqueue.WorkQueue("concurrent")
        active: set[str] = set()
        last_add: dict[str, int] = {}
        last_start: dict[str, int] = {}
        tick = 0

        async def worker() -> None:
            nonlocal tick
            while True:
                try:
                    key = await q.get()
                except workqueue.ShutDown:
                    return
                assert key not in active
                active.add(key)
                tick += 1
                last_start[key] = tick
                for _ in range(rng.randint(0, 3)):
                    await asyncio.sleep(0)
                active.discard(key)
                q.done(key)

        tasks = [asyncio.create_task(worker()) for _ in range(workers)]
        for key, pause in adds:
            tick += 1
            last_add[key] = tick
            q.add(key)
            for _ in range(pause):
                await asyncio.sleep(0)
        # wait for the condition: everything handed out and finished
        for _ in range(100_000):
            if not (len(q) or q.processing):
                break
            await asyncio.sleep(0)
        await q.shut_down_with_drain()
        await asyncio.gather(*tasks)
        for key, added in last_add.items():
            assert last_start[key] > added, f"{key} added at {added} was not processed afterwards"

    asyncio.run(main())


async def test_add_after_keeps_the_earlier_deadline_and_releases_in_order() -> None:
    q: workqueue.WorkQueue[str] = workqueue.WorkQueue("delay")
    q.add_after("late", 0.2)
    q.add_after("early", 0.02)
    q.add_after("late", 0.05)   # earlier deadline wins
    q.add_after("early", 5.0)   # later deadline ignored
    assert len(q) == 0 and q.delayed == 2
    first = await asyncio.wait_for(q.get(), 2)
    second = await asyncio.wait_for(q.get(), 2)
    assert (first, second) == ("early", "late")
    assert q.delayed == 0


async def test_add_after_zero_is_immediate_and_delayed_key_dedups_with_queue() -> None:
    q: workqueue.WorkQueue[str] = workqueue.WorkQueue("delay0")
    q.add_after("k", 0)
    assert len(q) == 1
    q.add_after("k", 0.01)
    assert await q.get() == "k"
    q.done("k")
    assert await asyncio.wait_for(q.get(), 2) == "k"  # the delayed copy arrives later


async def test_rate_limited_retries_back_off_and_forget_resets() -> None:
    limiter = ratelimit.ItemExponential(0.001, 1.0)
    q: workqueue.WorkQueue[str] = workqueue.WorkQueue("rl", rate_limiter=limiter)
    for n in range(3):
        q.add_rate_limited("x")
        assert q.num_requeues("x") == n + 1
        assert await asyncio.wait_for(q.get(), 2) == "x"
        q.done("x")
    q.forget("x")
    assert q.num_requeues("x") == 0


async def test_shutdown_wakes_waiting_workers_and_refuses_adds() -> None:
    q: workqueue.WorkQueue[str] = workqueue.WorkQueue("sd")
    waiter = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.add_after("later", 10)
    q.shut_down()
    with pytest.raises(workqueue.ShutDown):
        await waiter
    q.add("x")
    assert len(q) == 0 and q.delayed == 0
    with pytest.raises(workqueue.ShutDown):
        await q.get()


async def test_shutdown_with_drain_waits_for_items_in_process() -> None:
    q: workqueue.WorkQueue[str] = workqueue.WorkQueue("drain")
    q.add("busy")
    assert await q.get() == "busy"
    drain = asyncio.create_task(q.shut_down_with_drain())
    await asyncio.sleep(0)
    assert not drain.done()
    q.done("busy")
    await asyncio.wait_for(drain, 1)


async def test_cancelled_getter_does_not_swallow_a_wakeup() -> None:
    q: workqueue.WorkQueue[str] = workqueue.WorkQueue("cancel")
    g1 = asyncio.create_task(q.get())
    g2 = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.add("k")
    g1.cancel()
    assert await asyncio.wait_for(g2, 1) == "k"


def test_item_exponential_curve_matches_client_go() -> None:
    limiter = ratelimit.ItemExponential()
    delays = [limiter.when("x") for _ in range(20)]
    assert delays[:4] == [0.005, 0.01, 0.02, 0.04]
    assert delays[-1] == 1000.0
    assert limiter.num_requeues("x") == 20
    limiter.forget("x")
    assert limiter.when("x") == 0.005


def test_bucket_allows_burst_then_spaces_at_qps() -> None:
    now = [0.0]
    bucket = ratelimit.Bucket(10, 100, clock=lambda: now[0])
    assert all(bucket.when(i) == 0 for i in range(100))
    assert bucket.when("101") == pytest.approx(0.1)
    assert bucket.when("102") == pytest.approx(0.2)
    now[0] += 1.0  # ten tokens come back, paying off the two borrowed
    assert bucket.when("x") == 0


def test_default_controller_limiter_is_max_of_both() -> None:
    now = [0.0]
    limiter = ratelimit.default_controller_rate_limiter(clock=lambda: now[0])
    assert limiter.when("a") == 0.005
    assert limiter.when("a") == 0.01
    for i in range(98):
        limiter.when(i)
    assert limiter.when("b") == pytest.approx(0.1)  # bucket exhausted: it dominates the 5 ms
    assert limiter.num_requeues("a") == 2
