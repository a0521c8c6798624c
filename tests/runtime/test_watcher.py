"""The watcher state machine, driven step by step by a fake of the HTTP layer (list and watch only)."""

from __future__ import annotations

from runtime_fakes import FakeListWatch, FakeStream, cm, page

from setpoint.runtime import errors, watcher
from setpoint.runtime.backoff import Backoff
from setpoint.runtime.errors import ConnectionFailed


async def run_until(lw: FakeListWatch, state: watcher.State, n: int) -> tuple[list[watcher.Event], watcher.State]:
    """Step until ``n`` events came out (skipping trampoline steps)."""
    out: list[watcher.Event] = []
    for _ in range(100):
        event, state = await watcher.step(lw, state, kind="ConfigMap", api_version="v1")
        if event is not None:
            out.append(event)
            if len(out) == n:
                return out, state
    raise AssertionError(f"only {len(out)} events: {out}")


async def test_paged_list_then_watch() -> None:
    lw = FakeListWatch()
    lw.lists.extend([page([cm("a", "1")], cont="t1"), page([cm("b", "2")], rv="5")])
    lw.watches.append(FakeStream([("ADDED", cm("c", "6")), ("DELETED", cm("a", "7"))]))
    events, state = await run_until(lw, watcher.Empty(), 6)
    assert [type(e).__name__ for e in events] == ["Init", "Page", "Page", "InitDone", "Apply", "Delete"]
    assert isinstance(events[3], watcher.InitDone) and events[3].resource_version == "5"
    assert lw.calls == [("list", None), ("list", "t1"), ("watch", "5")]
    page_event = events[1]
    assert isinstance(page_event, watcher.Page)
    assert page_event.objects[0]["kind"] == "ConfigMap", "list items get their kind filled in"
    assert isinstance(state, watcher.Watching) and state.resource_version == "7"


async def test_bookmark_moves_resume_point_and_end_of_stream_rewatches_from_it() -> None:
    lw = FakeListWatch()
    lw.lists.append(page([], rv="10"))
    stream = FakeStream([("BOOKMARK", {"metadata": {"resourceVersion": "42"}})])
    lw.watches.extend([stream, FakeStream([("MODIFIED", cm("x", "43"))])])
    state: watcher.State = watcher.Empty()
    events, state = await run_until(lw, state, 3)  # Init, InitDone, Apply
    assert stream.closed
    assert lw.calls[-2:] == [("watch", "10"), ("watch", "42")]
    assert isinstance(events[-1], watcher.Apply)


async def test_gone_error_event_relists() -> None:
    lw = FakeListWatch()
    lw.lists.extend([page([cm("a", "1")], rv="3"), page([cm("b", "9")], rv="9")])
    gone = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"}
    first = FakeStream([("ERROR", gone)])
    lw.watches.extend([first, FakeStream([])])
    events, state = await run_until(lw, watcher.Empty(), 5)
    assert [type(e).__name__ for e in events] == ["Init", "Page", "InitDone", "Failed", "Init"]
    failed = events[3]
    assert isinstance(failed, watcher.Failed) and isinstance(failed.error, errors.Gone)
    assert first.closed
    assert isinstance(state, watcher.Listing)


async def test_watch_start_410_relists_but_connection_failure_retries_watch() -> None:
    lw = FakeListWatch()
    lw.lists.extend([page([], rv="3"), page([], rv="8")])
    lw.watches.extend([ConnectionFailed("refused"), errors.Gone(410, {"reason": "Expired"})])
    events, state = await run_until(lw, watcher.Empty(), 5)
    assert [type(e).__name__ for e in events] == ["Init", "InitDone", "Failed", "Failed", "Init"]
    assert isinstance(state, watcher.Listing)
    assert lw.calls == [("list", None), ("watch", "3"), ("watch", "3")]


async def test_broken_stream_resumes_from_last_seen_version() -> None:
    lw = FakeListWatch()
    lw.lists.append(page([], rv="3"))
    broken = FakeStream([("ADDED", cm("a", "4")), ConnectionFailed("reset")])
    lw.watches.extend([broken, FakeStream([("ADDED", cm("b", "5"))])])
    events, _ = await run_until(lw, watcher.Empty(), 5)
    assert [type(e).__name__ for e in events] == ["Init", "InitDone", "Apply", "Failed", "Apply"]
    assert lw.calls[-1] == ("watch", "4")
    assert broken.closed


async def test_list_failure_starts_over_and_quick_empty_watch_counts_as_failure() -> None:
    lw = FakeListWatch()
    lw.lists.extend([errors.ApiError(500, {"reason": "InternalError"}), page([], rv="1")])
    lw.watches.append(FakeStream([]))
    events, state = await run_until(lw, watcher.Empty(), 5)
    assert [type(e).__name__ for e in events] == ["Init", "Failed", "Init", "InitDone", "Failed"]
    assert isinstance(state, watcher.Listed) and state.resource_version == "1"


async def test_too_large_resource_version_relists() -> None:
    lw = FakeListWatch()
    lw.lists.extend([page([], rv="100")])
    too_large = errors.ApiError(504, {"reason": "Timeout",
                                      "details": {"causes": [{"reason": "ResourceVersionTooLarge"}]}})
    lw.watches.append(too_large)
    events, state = await run_until(lw, watcher.Empty(), 3)
    assert isinstance(events[-1], watcher.Failed)
    assert isinstance(state, watcher.Empty)


async def test_driver_backs_off_after_failures_and_closes_stream_on_exit() -> None:
    slept: list[float] = []

    async def fake_sleep(d: float) -> None:
        slept.append(d)

    lw = FakeListWatch()
    lw.lists.extend([ConnectionFailed("down"), ConnectionFailed("down"), page([], rv="2")])
    stream = FakeStream([("ADDED", cm("a", "3"))])
    lw.watches.append(stream)
    gen = watcher.watch(lw, backoff=Backoff(rand=lambda: 0.0), sleep=fake_sleep)
    seen = []
    async for ev in gen:
        seen.append(type(ev).__name__)
        if isinstance(ev, watcher.Apply):
            break
    await gen.aclose()
    assert slept == [0.8, 1.6]
    assert seen == ["Init", "Failed", "Init", "Failed", "Init", "InitDone", "Apply"]
    assert stream.closed
