"""What every in-process backend shares: the revision counters, snapshots and watch entry.

A backend subclasses :class:`InProcessStore`, sets ``_hub`` (its
:class:`~setpoint.storage.watch.WatchHub`), ``_compact`` and ``_closed``,
implements ``_history`` (how the hub replays past events) and the rest of
:class:`~setpoint.storage.interface.Storage`.
"""

from __future__ import annotations

from .interface import Compacted, Event, FutureRevision, StoreClosed
from .keys import check_prefix, check_revision
from .watch import Watcher, WatchHub


class InProcessStore:
    _hub: WatchHub
    _compact: int
    _closed: bool

    @property
    def revision(self) -> int:
        """The current revision (synchronous twin of :meth:`current_revision`: an in-process store
        knows it without an await)."""
        self._check_open()
        return self._hub.revision

    async def current_revision(self) -> int:
        return self.revision

    async def compact_revision(self) -> int:
        self._check_open()
        return self._compact

    def watch(self, prefix: str, start_revision: int) -> Watcher:
        self._check_open()
        check_prefix(prefix)
        check_revision(start_revision, "start_revision")
        if start_revision < self._compact:
            raise Compacted(start_revision, self._compact)
        return self._hub.watch(prefix, start_revision, self._history)

    async def _history(self, prefix: str, after: int, upto: int, limit: int) -> tuple[list[Event], int]:
        """Events of ``prefix`` in (after, upto], at most ``limit``; and how far they reach."""
        raise NotImplementedError

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("store is closed")

    def _snapshot(self, revision: int) -> int:
        """The revision a read at ``revision`` (0: latest) sees, or the error for it."""
        check_revision(revision)
        current = self._hub.revision
        if revision == 0:
            return current
        if revision > current:
            raise FutureRevision(revision, current)
        if revision < self._compact:
            raise Compacted(revision, self._compact)
        return revision
