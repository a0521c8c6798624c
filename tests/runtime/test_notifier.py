"""The notifier: an informer's list and watch with nothing kept, fed by a fake list/watch (no server),
and through the shared cache: one per key, never a reader's answer."""

from __future__ import annotations

from typing import Any

import pytest
from runtime_fakes import FakeListWatch, FakeStream, cm, page
from test_informer_unit import Recorder, feed

from setpoint.runtime.cache import Cache, NotCached
from setpoint.runtime.notifier import Notifier
from setpoint.runtime.resource import Kind

CONFIG_MAP = Kind("v1", "ConfigMap")


class Lists(Recorder):
    """A recorder that also sees where lists begin and end (a :class:`ListHandler`)."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = self.handler()

    def on_add(self, obj: Any) -> None:
        self.inner.on_add(obj)

    def on_update(self, old: Any, new: Any) -> None:
        assert old is new, "a notifier knows no previous state"
        self.inner.on_update(old, new)

    def on_delete(self, obj: Any) -> None:
        self.inner.on_delete(obj)

    def on_list(self) -> None:
        self.events.append(("list", "", ""))

    def on_listed(self, relist: bool) -> None:
        self.events.append(("listed", "relist" if relist else "first", ""))


async def test_events_are_handed_on_and_nothing_is_kept() -> None:
    notifier = Notifier(client=None, kind=CONFIG_MAP)
    rec = Lists()
    notifier.add_handler(rec)
    lw = FakeListWatch()
    gone = {"kind": "Status", "code": 410, "reason": "Expired"}
    lw.lists.extend([page([cm("a", "1"), cm("b", "2")], rv="2"), page([cm("b", "2"), cm("c", "5")], rv="5")])
    lw.watches.extend([FakeStream([("ADDED", cm("d", "3")), ("MODIFIED", cm("a", "4")), ("DELETED", cm("d", "4")),
                                   ("ERROR", gone)]),
                       FakeStream([])])
    # Init Page InitDone Apply Apply Delete Failed Init Page InitDone
    await feed(notifier, lw, stop_after=10)
    assert rec.events == [("list", "", ""), ("add", "a", "1"), ("add", "b", "2"), ("listed", "first", ""),
                          ("add", "d", "3"), ("update", "a", "4"), ("delete", "d", "4"),
                          # a re-list cannot tell changed from unchanged: each object is an update
                          ("list", "", ""), ("update", "b", "2"), ("update", "c", "5"), ("listed", "relist", "")]
    assert len(notifier.store) == 0 and notifier.lists == 2 and notifier.has_synced and notifier.failures == 1
    late = Lists()
    notifier.add_handler(late)
    assert late.events == [], "nothing kept, nothing replayed"


async def test_the_cache_shares_notifiers_and_reads_never_come_from_one() -> None:
    cache = Cache(client=None)  # type: ignore[arg-type]
    notifier = cache.acquire(CONFIG_MAP, store=False)
    assert isinstance(notifier, Notifier) and cache.acquire(CONFIG_MAP, store=False) is notifier
    informer = cache.acquire(CONFIG_MAP)
    assert informer is not notifier and not isinstance(informer, Notifier)
    selected = cache.acquire(CONFIG_MAP, field_selector="metadata.name=x", store=False)
    notifier._synced.set()
    selected._synced.set()
    with pytest.raises(NotCached):  # the informer has not synced; neither notifier answers for it
        cache.get(CONFIG_MAP, "a", "default")
    await cache.release(informer)
    with pytest.raises(NotCached):
        cache.get(CONFIG_MAP, "a", "default")
    await cache.release(notifier)
    assert notifier in cache.informers, "one reference left"
    await cache.release(notifier)
    assert notifier not in cache.informers and selected in cache.informers
