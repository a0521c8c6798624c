"""kube-scheduler's scheduling queue: the pods waiting for a node.

Three parts, as ``internal/queue/scheduling_queue.go``: the *active* queue, a heap
ordered by priority (highest first) then creation time (``PrioritySort``); the *backoff*
queue, pods that failed and wait ``initial * 2^(attempts-1)`` seconds (capped) before
they are tried again; and the *unschedulable* pods, which wait for a change in the
cluster (a Node or Pod event: :meth:`SchedulingQueue.move_all`) -- or at most
``max_unschedulable`` seconds -- before going back through the backoff queue.

Times are the event loop's (monotonic); the backoffs are the scheduler's options.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from dataclasses import dataclass

from setpoint.apimachinery.types import Obj

Key = tuple[str, str]


def pod_key(pod: Obj) -> Key:
    meta = pod["metadata"]
    return (meta.get("namespace") or "", meta["name"])


@dataclass
class _Entry:
    pod: Obj
    attempts: int = 0
    #: When it last failed (loop time), for its backoff and the unschedulable timeout.
    failed_at: float = 0.0


class SchedulingQueue:
    """Pods to schedule, the next one first (:meth:`pop`)."""

    def __init__(self, *, initial_backoff: float = 1.0, max_backoff: float = 10.0,
                 max_unschedulable: float = 300.0) -> None:
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_unschedulable = max_unschedulable
        self._entries: dict[Key, _Entry] = {}
        self._active: list[tuple[int, str, int, Key]] = []
        self._in_active: dict[Key, int] = {}  # key -> the sequence number of its live heap entry
        self._backoff: dict[Key, float] = {}  # key -> when it may be tried again
        self._unschedulable: set[Key] = set()
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._closed = False

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Key) -> bool:
        return key in self._entries

    @property
    def unschedulable(self) -> set[Key]:
        return set(self._unschedulable)

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _push_active(self, key: Key) -> None:
        pod = self._entries[key].pod
        seq = next(self._seq)
        self._in_active[key] = seq
        self._backoff.pop(key, None)
        self._unschedulable.discard(key)
        priority = (pod.get("spec") or {}).get("priority") or 0
        created = str(pod["metadata"].get("creationTimestamp") or "")
        heapq.heappush(self._active, (-int(priority), created, seq, key))
        self._wake.set()

    def backoff_duration(self, attempts: int) -> float:
        """``calculateBackoffDuration``: initial doubled per earlier attempt, at most max."""
        if attempts <= 0:
            return 0.0
        return float(min(self.initial_backoff * 2 ** (attempts - 1), self.max_backoff))

    def add(self, pod: Obj) -> None:
        """A new pending pod, or a new version of one: an unschedulable pod is tried again
        (through its backoff), an active one keeps its place, one backing off waits on."""
        key = pod_key(pod)
        entry = self._entries.get(key)
        if entry is None:
            self._entries[key] = _Entry(pod)
            self._push_active(key)
            return
        entry.pod = pod
        if key in self._unschedulable:
            self._to_backoff(key)

    def add_quietly(self, pod: Obj) -> None:
        """A new version of a queued pod whose spec did not change (its status did): it stays where it is."""
        entry = self._entries.get(pod_key(pod))
        if entry is not None:
            entry.pod = pod
        else:
            self.add(pod)

    def delete(self, key: Key) -> None:
        """The pod is gone, bound or no longer ours."""
        self._entries.pop(key, None)
        self._in_active.pop(key, None)
        self._backoff.pop(key, None)
        self._unschedulable.discard(key)

    def _to_backoff(self, key: Key) -> None:
        entry = self._entries[key]
        self._unschedulable.discard(key)
        ready = entry.failed_at + self.backoff_duration(entry.attempts)
        if ready <= self._now():
            self._push_active(key)
        else:
            self._backoff[key] = ready
            self._wake.set()

    def failed(self, pod: Obj, *, unschedulable: bool) -> None:
        """A scheduling attempt failed: unschedulable pods wait for a cluster change, others back off."""
        key = pod_key(pod)
        entry = self._entries.get(key)
        if entry is None:
            return
        entry.attempts += 1
        entry.failed_at = self._now()
        if unschedulable:
            self._unschedulable.add(key)
        else:
            self._to_backoff(key)

    def move_all(self) -> None:
        """``MoveAllToActiveOrBackoffQueue``: a Node or Pod changed, unschedulable pods may fit now."""
        for key in list(self._unschedulable):
            self._to_backoff(key)

    def done(self, key: Key) -> None:
        """Scheduled: forget the pod (and its attempts)."""
        self.delete(key)

    def _flush(self) -> float | None:
        """Move due backoffs (and long-unschedulable pods) to the active queue; when to look again."""
        now = self._now()
        wake: float | None = None
        for key, ready in list(self._backoff.items()):
            if ready <= now:
                self._push_active(key)
            else:
                wake = ready if wake is None else min(wake, ready)
        for key in list(self._unschedulable):
            due = self._entries[key].failed_at + self.max_unschedulable
            if due <= now:
                self._to_backoff(key)
            else:
                wake = due if wake is None else min(wake, due)
        return wake

    async def pop(self) -> Obj | None:
        """The next pod to schedule, waiting for one; None once closed."""
        while not self._closed:
            wake = self._flush()
            while self._active:
                _, _, seq, key = heapq.heappop(self._active)
                if self._in_active.get(key) == seq:
                    del self._in_active[key]
                    return self._entries[key].pod
            self._wake.clear()
            timeout = None if wake is None else max(wake - self._now(), 0.0)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass
        return None

    def close(self) -> None:
        self._closed = True
        self._wake.set()
