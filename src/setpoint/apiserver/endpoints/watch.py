"""The watch verb: a chunked stream of newline-delimited watch events.

As kube-apiserver's ``endpoints/handlers/watch.go``: events as ``{"type", "object"}``
lines (JSON, Table rows or PartialObjectMetadata, as negotiated), BOOKMARKs when the
client allows them, watch-list (``sendInitialEvents``) ending with the
``k8s.io/initial-events-end`` bookmark, and a 410 as one ``ERROR`` event. Which
events a watch sees is the registry's business (:meth:`ObjectStore.watch`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

import orjson

from setpoint.apiserver.encoding import errors
from setpoint.apiserver.endpoints import table
from setpoint.apiserver.endpoints.handlers import JSON, Call, Output, build_matcher, negotiate
from setpoint.apiserver.http import ChunkSink, Request, Response, StreamingResponse
from setpoint.apiserver.registry.objectstore import ObjectStore, parse_resource_version
from setpoint.apiserver.registry.resources import Resource
from setpoint.apiserver.registry.watch import NOT_WRITTEN, WRITTEN, WRITTEN_STOP, Batch, Watch, Writer

#: ``--min-request-timeout``'s default: a watch without timeoutSeconds stays open between this and
#: twice this (kube-apiserver's randomized timeout, which spreads reconnections out).
MIN_REQUEST_TIMEOUT = 1800.0
#: Idle time after which a watcher that allows bookmarks gets one.
BOOKMARK_INTERVAL = 10.0


def _bool_param(request: Request, name: str) -> bool:
    v = request.query_one(name)
    return v is not None and v.lower() in ("true", "1", "")


def default_seconds(min_request_timeout: float) -> float:
    """How long a watch without timeoutSeconds stays open: ``min_request_timeout * (1 + rand)``."""
    return min_request_timeout * (1.0 + random.random())


async def watch(store: ObjectStore, call: Call, *,
                min_request_timeout: float = MIN_REQUEST_TIMEOUT) -> StreamingResponse | Response:
    request = call.request
    out = negotiate(request)
    r = call.resource
    matches = build_matcher(call)
    rv_text = request.query_one("resourceVersion") or ""
    rv_match = request.query_one("resourceVersionMatch") or ""
    send_initial = request.query_one("sendInitialEvents")
    bookmarks = _bool_param(request, "allowWatchBookmarks")
    timeout_text = request.query_one("timeoutSeconds")
    try:
        timeout = float(timeout_text) if timeout_text else default_seconds(min_request_timeout)
    except ValueError:
        raise errors.bad_request(f"invalid timeoutSeconds: {timeout_text!r}") from None
    initial: bool
    if send_initial is not None:
        initial = send_initial.lower() == "true"
        if rv_match != "NotOlderThan":
            raise errors.invalid_object("ListOptions", "meta.k8s.io", "", [errors.forbidden(
                "resourceVersionMatch",
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")])
        if initial and not bookmarks:
            raise errors.invalid_object("ListOptions", "meta.k8s.io", "", [errors.forbidden(
                "allowWatchBookmarks", "sendInitialEvents requires setting allowWatchBookmarks to true")])
    else:
        if rv_match:
            raise errors.invalid_object("ListOptions", "meta.k8s.io", "", [errors.forbidden(
                "resourceVersionMatch", "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided")])
        initial = rv_text in ("", "0")
    rv = parse_resource_version(rv_text) if rv_text else 0
    fresh = (initial and rv_text == "") or (send_initial is not None and rv != 0)
    w = await store.watch(r, call.namespace, rv, matches, initial_events=initial, fresh=fresh)
    if w.error is not None:
        # kube answers 200 with one ERROR event carrying 410 Expired.
        return StreamingResponse(200, _once(orjson.dumps({"type": "ERROR", "object": w.error}) + b"\n"), JSON)
    sink = _Sink()
    return StreamingResponse(
        200,
        _stream(store, call, w, out, timeout, bookmarks, send_initial == "true" and initial, sink),
        JSON,
        headers=[("Cache-Control", "no-cache, private")],
        direct=sink.attach,
    )


class _Sink:
    """The connection's :class:`ChunkSink`, once the response is being sent."""

    __slots__ = ("sink",)

    def __init__(self) -> None:
        self.sink: ChunkSink | None = None

    def attach(self, sink: ChunkSink) -> None:
        self.sink = sink


def _direct_writer(sink: ChunkSink, group_version: str) -> Writer:
    """Writes a batch of JSON events (served in the stored version) straight to the connection."""

    def write(batch: Batch) -> int:
        if sink.closed:
            return WRITTEN_STOP  # the reader ends the stream
        lines = []
        for type_, event, _ in batch:
            if event is None:
                continue
            if event.obj.api_version != group_version:
                return NOT_WRITTEN  # to be converted: the reader's business
            lines.append(event.line(type_))
        if lines:
            sink.write(lines[0] if len(lines) == 1 else b"".join(lines))
        return WRITTEN if sink.writable else WRITTEN_STOP

    return write


async def _once(line: bytes) -> AsyncIterator[bytes]:
    yield line


def _bookmark(r: Resource, revision: int, initial_end: bool = False) -> bytes:
    meta: dict[str, Any] = {"resourceVersion": str(revision)}
    if initial_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    return orjson.dumps({"type": "BOOKMARK", "object": {"kind": r.kind, "apiVersion": r.group_version, "metadata": meta}}) + b"\n"


async def _stream(
    store: ObjectStore,
    call: Call,
    watcher: Watch,
    out: Output,
    watch_seconds: float,
    bookmarks: bool,
    initial_end_bookmark: bool,
    connection: _Sink,
) -> AsyncIterator[bytes]:
    r = call.resource
    loop = asyncio.get_running_loop()
    deadline = loop.time() + watch_seconds
    table_header_sent = False
    start = watcher.start
    # Plain JSON events go straight from the watch cache to the connection while this waits
    # (no task switch per event); tables, metadata-only and converted events come through here.
    direct = not out.table and not out.partial and r.convert_batch is None
    writer: Writer | None = None
    try:
        pending_initial_end = initial_end_bookmark
        last_revision = start
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            wait = min(remaining, BOOKMARK_INTERVAL) if bookmarks else remaining
            if pending_initial_end and not watcher.pending:
                pending_initial_end = False
                yield _bookmark(r, last_revision if last_revision else start, True)
                continue
            sink = connection.sink
            if writer is None and direct and sink is not None:
                writer = _direct_writer(sink, r.group_version)
            batch = await watcher.next_batch(wait, None if pending_initial_end else writer)
            if batch is None:
                return
            if not batch:
                if sink is not None and not sink.writable:  # written directly up to a full buffer
                    if sink.closed:
                        return
                    await sink.drain()
                    continue
                if bookmarks and loop.time() < deadline:
                    yield _bookmark(r, max(last_revision, watcher.revision, start))
                continue
            chunks: list[bytes] = []
            if r.convert_batch is not None:
                try:  # one conversion review for the batch
                    await store.served_async(r, [e.object for _, e, _ in batch if e is not None])
                except errors.StatusError as exc:
                    yield orjson.dumps({"type": "ERROR", "object": exc.status()}) + b"\n"
                    return
            for type_, event, revision in batch:
                if event is None:
                    continue
                last_revision = max(last_revision, revision)
                if out.table:
                    obj = store.to_served(r, event.object)
                    t = table.render_table(r, [obj], include_object=out.include_object)
                    if table_header_sent:
                        t["columnDefinitions"] = []
                    table_header_sent = True
                    chunks.append(orjson.dumps({"type": type_, "object": t}) + b"\n")
                elif out.partial:
                    chunks.append(orjson.dumps({"type": type_, "object": table.partial_object_metadata(event.object)}) + b"\n")
                elif event.obj.api_version != r.group_version:
                    # Served in another version than stored: convert for this watcher.
                    chunks.append(orjson.dumps({"type": type_, "object": store.to_served(r, event.object)}) + b"\n")
                else:
                    chunks.append(event.line(type_))
            if pending_initial_end and not watcher.pending:
                pending_initial_end = False
                chunks.append(_bookmark(r, max(last_revision, start), True))
            if chunks:
                yield b"".join(chunks)
    finally:
        watcher.close()
