"""The audit log: kube-apiserver's ``--audit-policy-file`` and ``--audit-log-path``.

:class:`Policy` is an ``audit.k8s.io/v1 Policy`` compiled once (kube's policy checker: the
first rule that matches the user, groups, verb, resource or non-resource URL and namespace
gives the level and the stages to omit). :class:`Auditor` wraps the API server's handler: it
times the request, lets the pipeline run, then writes kube's ``audit.k8s.io/v1 Event`` lines
(RequestReceived, ResponseStarted for streams, ResponseComplete or Panic): every ~20 ms the
events gathered are rendered at once and handed to a :class:`LogWriter`, which writes them on a
thread of its own, so requests never wait for the disk; :meth:`Auditor.close` flushes. Without a policy the server
has no auditor and pays nothing.

What the rest of the pipeline tells the auditor, through ``request.state``:

* ``"audit"``: ``(user, decision, reason)``, set by :func:`note` once the request is
  authenticated and authorized -- the user it acts as and the authorizer's answer (the
  ``authorization.k8s.io/decision`` and ``/reason`` annotations).
* ``"authenticated_user"``: set by impersonation, the user who really authenticated; the
  event's ``user`` is that one and ``impersonatedUser`` the one noted.
* ``"panic"``: the exception an internal error came from (the Panic stage).

Secrets: at Request and RequestResponse levels a Secret's request and response bodies
are *not* written -- the event of a request on ``secrets`` is written at Metadata level,
as the policies kube recommends do. Redacting ``data`` would still leak key names, sizes
and the last-applied annotation, and patches and lists have shapes of their own; leaving
the bodies out is the one form that cannot leak.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import glob
import logging
import os
import queue
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
import yaml

from setpoint.apiserver.endpoints.handlers import decode_body
from setpoint.apiserver.http import Request, Response, StreamingResponse
from setpoint.apiserver.registry.admission import Attributes, Authenticator, UserInfo

log = logging.getLogger(__name__)

NONE, METADATA, REQUEST, REQUEST_RESPONSE = "None", "Metadata", "Request", "RequestResponse"
_LEVELS = {NONE: 0, METADATA: 1, REQUEST: 2, REQUEST_RESPONSE: 3}
STAGES = ("RequestReceived", "ResponseStarted", "ResponseComplete", "Panic")
_API_VERSIONS = ("audit.k8s.io/v1",)
_METHOD_VERBS = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update", "PATCH": "patch",
                 "DELETE": "delete"}
_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})
_MAX_USER_AGENT = 1024


class PolicyError(ValueError):
    """The audit policy file is unusable."""


# --- the request as the policy sees it (kube's RequestInfo) -------------------------------


@dataclass(slots=True)
class RequestInfo:
    """kube's ``RequestInfoFactory`` result, from the URL alone (a 404 is audited too)."""

    resource_request: bool
    path: str
    verb: str
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""


def request_info(request: Request) -> RequestInfo:
    path = request.path
    parts = [p for p in path.strip("/").split("/") if p]
    method_verb = _METHOD_VERBS.get(request.method, request.method.lower())
    non_resource = RequestInfo(False, path, request.method.lower())
    if len(parts) < 3 or parts[0] not in ("api", "apis") or (parts[0] == "apis" and len(parts) < 4):
        return non_resource
    if parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    else:
        group, version, rest = parts[1], parts[2], parts[3:]
    verb = method_verb
    if rest[0] == "watch":
        verb, rest = "watch", rest[1:]
        if not rest:
            return non_resource
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    info = RequestInfo(True, path, verb, group, version, namespace, rest[0])
    if len(rest) >= 2:
        info.name = rest[1]
    if len(rest) >= 3:
        info.subresource = rest[2]
    if not info.name and verb == "get":
        w = request.query_one("watch")
        info.verb = "watch" if w is not None and w.lower() in ("true", "1") else "list"
        selector = request.query_one("fieldSelector") or ""
        if selector.startswith("metadata.name=") and "," not in selector:
            info.name = selector[len("metadata.name="):]
    elif not info.name and verb == "delete":
        info.verb = "deletecollection"
    return info


# --- the policy ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _GroupResources:
    group: str
    resources: tuple[str, ...]
    names: frozenset[str]


@dataclass(frozen=True, slots=True)
class Rule:
    level: str
    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    verbs: frozenset[str] = frozenset()
    resources: tuple[_GroupResources, ...] = ()
    namespaces: frozenset[str] = frozenset()
    non_resource_urls: tuple[str, ...] = ()
    omit_stages: frozenset[str] = frozenset()
    omit_managed_fields: bool | None = None

    def matches(self, user: UserInfo | None, info: RequestInfo) -> bool:
        """kube's ``ruleMatches``."""
        if self.users and (user is None or user.name not in self.users):
            return False
        if self.groups and (user is None or self.groups.isdisjoint(user.groups)):
            return False
        if self.verbs and info.verb not in self.verbs:
            return False
        if self.namespaces or self.resources:
            return self._matches_resource(info)
        if self.non_resource_urls:
            return not info.resource_request and any(_path_matches(info.path, s) for s in self.non_resource_urls)
        return True

    def _matches_resource(self, info: RequestInfo) -> bool:
        if not info.resource_request:
            return False
        if self.namespaces and info.namespace not in self.namespaces:
            return False
        if not self.resources:
            return True
        sub = info.subresource
        combined = f"{info.resource}/{sub}" if sub else info.resource
        for gr in self.resources:
            if gr.group != info.group:
                continue
            if not gr.resources:
                return True
            if gr.names and info.name not in gr.names:
                continue
            for res in gr.resources:
                if res in (combined, "*") or (sub and res == f"*/{sub}") or (
                        res.endswith("/*") and res[:-2] == info.resource):
                    return True
        return False


def _path_matches(path: str, spec: str) -> bool:
    return spec in ("*", path) or (spec.endswith("*") and path.startswith(spec.rstrip("*")))


@dataclass(frozen=True, slots=True)
class Policy:
    """A compiled ``audit.k8s.io/v1 Policy``."""

    rules: tuple[Rule, ...]
    omit_stages: frozenset[str] = frozenset()
    omit_managed_fields: bool = False

    def evaluate(self, user: UserInfo | None, info: RequestInfo) -> tuple[str, frozenset[str], bool]:
        """(level, stages to omit, omit managedFields): the first matching rule's, else None."""
        for rule in self.rules:
            if rule.matches(user, info):
                omit_mf = self.omit_managed_fields if rule.omit_managed_fields is None else rule.omit_managed_fields
                return rule.level, rule.omit_stages, omit_mf
        return NONE, self.omit_stages, self.omit_managed_fields


def load_policy(path: Path | str) -> Policy:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise PolicyError(f"failed to read file path {str(path)!r}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"failed decoding file {str(path)!r}: {exc}") from None
    policy = parse_policy(data)
    if not policy.rules:
        raise PolicyError(f"loaded illegal policy with 0 rules from file {path}")
    return policy


def _stages(values: Any, where: str) -> frozenset[str]:
    out = frozenset(values or ())
    for s in out:
        if s not in STAGES:
            raise PolicyError(f'{where}: Unsupported value: "{s}": supported values: '
                              + ", ".join(f'"{x}"' for x in STAGES))
    return out


def parse_policy(data: Any) -> Policy:
    if not isinstance(data, dict) or data.get("kind") != "Policy" or data.get("apiVersion") not in _API_VERSIONS:
        raise PolicyError("failed decoding: expected kind Policy, apiVersion audit.k8s.io/v1")
    top_omit = _stages(data.get("omitStages"), "omitStages")
    rules = []
    for i, raw in enumerate(data.get("rules") or []):
        where = f"rules[{i}]"
        level = raw.get("level", "")
        if level not in _LEVELS:
            raise PolicyError(f'{where}.level: Unsupported value: "{level}": supported values: '
                              + ", ".join(f'"{x}"' for x in _LEVELS))
        resources = tuple(
            _GroupResources(gr.get("group", ""), tuple(gr.get("resources") or ()), frozenset(gr.get("resourceNames") or ()))
            for gr in raw.get("resources") or ())
        urls = tuple(raw.get("nonResourceURLs") or ())
        if urls and (resources or raw.get("namespaces")):
            raise PolicyError(f"{where}.nonResourceURLs: Invalid value: {list(urls)}: rules cannot apply to both "
                              "regular resources and non-resource URLs")
        mf = raw.get("omitManagedFields")
        rules.append(Rule(level, frozenset(raw.get("users") or ()), frozenset(raw.get("userGroups") or ()),
                          frozenset(raw.get("verbs") or ()), resources, frozenset(raw.get("namespaces") or ()), urls,
                          top_omit | _stages(raw.get("omitStages"), f"{where}.omitStages"),
                          None if mf is None else bool(mf)))
    return Policy(tuple(rules), top_omit, bool(data.get("omitManagedFields", False)))


# --- the log ------------------------------------------------------------------------------


class LogWriter:
    """Audit lines written by a thread of its own, in batches; ``-`` is standard output.

    ``max_size_mb`` > 0 rotates the file when it would grow past that many megabytes (the old
    one renamed ``NAME-<time>.EXT``, as kube's lumberjack does), keeping ``max_backups`` of them
    (0: all)."""

    def __init__(self, path: str, *, max_size_mb: int = 0, max_backups: int = 0) -> None:
        self.path = path
        self._max_bytes = max_size_mb * 1024 * 1024
        self._max_backups = max_backups
        self._queue: queue.SimpleQueue[list[bytes] | None] = queue.SimpleQueue()
        self._file: IO[bytes] = self._open()
        self._size = self._file.tell() if path != "-" else 0
        self._thread = threading.Thread(target=self._run, name="audit-log", daemon=True)
        self._thread.start()

    def _open(self) -> IO[bytes]:
        if self.path == "-":
            return sys.stdout.buffer
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "ab")  # noqa: SIM115 -- kept open for the writer's lifetime
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)
        return f

    def put(self, lines: list[bytes]) -> None:
        """Queue rendered lines (each ending in a newline) for the thread to write."""
        self._queue.put(lines)

    def close(self) -> None:
        """Write what is queued, then stop."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        q = self._queue
        done = False
        while not done:
            item = q.get()
            lines: list[bytes] = []
            while True:
                if item is None:
                    done = True
                    break
                lines.extend(item)
                if len(lines) >= 1000:
                    break
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    break
            if lines:
                self._write(lines)
        if self.path != "-":
            self._file.close()

    def _write(self, lines: list[bytes]) -> None:
        try:
            if not self._max_bytes:
                self._file.write(b"".join(lines))
            else:
                for line in lines:
                    if self._size and self._size + len(line) > self._max_bytes:
                        self._file.flush()
                        self._rotate()
                    self._file.write(line)
                    self._size += len(line)
            self._file.flush()
        except OSError as exc:
            log.error("audit: writing %s failed: %s", self.path, exc)

    def _rotate(self) -> None:
        self._file.close()
        stem, ext = os.path.splitext(self.path)
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H-%M-%S.%f")[:-3]
        target, n = f"{stem}-{stamp}{ext}", 0
        while os.path.exists(target):  # two rotations in one millisecond
            n += 1
            target = f"{stem}-{stamp}.{n}{ext}"
        os.replace(self.path, target)
        if self._max_backups:
            backups = sorted(glob.glob(f"{glob.escape(stem)}-*{glob.escape(ext)}"))
            for old in backups[:-self._max_backups]:
                with contextlib.suppress(OSError):
                    os.remove(old)
        self._file = self._open()
        self._size = 0


_last_second: list[Any] = [None, ""]


def _micro_time(t: float) -> str:
    """metav1.MicroTime as JSON: RFC 3339 with microseconds, UTC (the seconds formatted once)."""
    sec = int(t)
    micro = int((t - sec) * 1_000_000)  # truncated, as Go formats it
    cache = _last_second  # only the event loop formats times
    if cache[0] != sec:
        cache[0], cache[1] = sec, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
    return f"{cache[1]}.{micro:06d}Z"


def _user(user: UserInfo | None) -> dict[str, Any]:
    if user is None:
        return {}
    out: dict[str, Any] = {"username": user.name}
    if user.uid:
        out["uid"] = user.uid
    if user.groups:
        out["groups"] = list(user.groups)
    if user.extra:
        out["extra"] = user.extra
    return out


@dataclass(slots=True)
class _Event:
    """What every stage of one request's events shares."""

    level: str
    audit_id: str
    uri: str
    verb: str
    user: UserInfo | None
    impersonated: UserInfo | None
    source_ips: list[str]
    user_agent: str
    object_ref: dict[str, str] | None
    received: float
    annotations: dict[str, str] = field(default_factory=dict)
    request_object: Any = None
    response_object: Any = None


@dataclass(slots=True)
class _Record:
    event: _Event
    stage: str
    at: float
    status: dict[str, Any] | None

    def render(self) -> bytes:
        """The Event's JSON line, its fields in kube's order."""
        ev, stage = self.event, self.stage
        d: dict[str, Any] = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": ev.level,
                             "auditID": ev.audit_id, "stage": stage, "requestURI": ev.uri, "verb": ev.verb,
                             "user": _user(ev.user)}
        if ev.impersonated is not None:
            d["impersonatedUser"] = _user(ev.impersonated)
        d["sourceIPs"] = ev.source_ips
        if ev.user_agent:
            d["userAgent"] = ev.user_agent
        if ev.object_ref:
            d["objectRef"] = ev.object_ref
        if self.status is not None:
            d["responseStatus"] = self.status
        final = stage in ("ResponseComplete", "Panic")
        if stage != "RequestReceived" and ev.request_object is not None:
            d["requestObject"] = ev.request_object
        if final and ev.response_object is not None:
            d["responseObject"] = ev.response_object
        d["requestReceivedTimestamp"] = _micro_time(ev.received)
        d["stageTimestamp"] = _micro_time(self.at)
        if ev.annotations and stage != "RequestReceived":
            d["annotations"] = ev.annotations
        return orjson.dumps(d) + b"\n"


# --- the auditor --------------------------------------------------------------------------


def note(request: Request, attrs: Attributes, allowed: bool, reason: str) -> None:
    """Record the authorizer's attributes (the user, what the request does) and its decision
    for the audit event."""
    request.state["audit"] = (attrs, allowed, reason)


def _info_of(request: Request, attrs: Attributes) -> RequestInfo:
    """The RequestInfo of a routed resource request, from its attributes (no parsing)."""
    info = RequestInfo(True, request.path, attrs.verb, attrs.group, attrs.version, attrs.namespace,
                       attrs.resource, attrs.subresource, attrs.name)
    if not info.name and info.verb in ("list", "watch"):
        selector = request.query_one("fieldSelector") or ""
        if selector.startswith("metadata.name=") and "," not in selector:
            info.name = selector[len("metadata.name="):]
    elif info.resource == "namespaces" and info.name and not info.namespace:
        info.namespace = info.name
    return info


Handler = Callable[[Request], Awaitable[Response | StreamingResponse]]


class Auditor:
    """Audits every request per ``policy`` into ``writer``."""

    def __init__(self, policy: Policy, writer: LogWriter) -> None:
        self.policy = policy
        self.writer = writer
        self._pending: list[_Record] = []

    def emit(self, record: _Record) -> None:
        """Queue an event; the events of ~20 ms go to the writer thread together (one wake-up,
        not one per request, so the thread does not fight the event loop for the GIL)."""
        pending = self._pending
        pending.append(record)
        if len(pending) == 1:
            try:
                asyncio.get_running_loop().call_later(0.02, self.flush)
            except RuntimeError:  # no loop (tests, shutdown): hand it over now
                self.flush()

    def flush(self) -> None:
        """Render the queued events (here, in one go: a thread rendering them would contend
        for the GIL with every request) and hand the lines to the writer thread."""
        if self._pending:
            batch, self._pending = self._pending, []
            lines = []
            for record in batch:
                try:
                    lines.append(record.render())
                except Exception:
                    log.exception("audit: failed to render an event")
            self.writer.put(lines)

    def close(self) -> None:
        """Write every event queued, then stop the writer."""
        self.flush()
        self.writer.close()

    async def serve(self, request: Request, handler: Handler, authenticator: Authenticator) -> (
            Response | StreamingResponse):
        """Run ``handler``; add the ``Audit-Id`` header; write the request's events."""
        received = time.time()
        audit_id = request.headers.get("audit-id") or str(uuid.uuid4())
        response = await handler(request)
        try:
            self._record(request, response, audit_id, received, authenticator)
        except Exception:
            log.exception("audit: failed to record %s %s", request.method, request.path)
        return _with_audit_id(response, audit_id)

    def _record(self, request: Request, response: Response | StreamingResponse, audit_id: str,
                received: float, authenticator: Authenticator) -> None:
        state = request.state
        noted = state.get("audit")
        decision: bool | None = None
        reason = ""
        if noted is not None:
            attrs: Attributes = noted[0]  # type: ignore[index]
            decision, reason = noted[1], noted[2]  # type: ignore[index]
            acting: UserInfo | None = attrs.user
            info = _info_of(request, attrs)
        else:
            # Requests the pipeline did not route or authenticate (non-resource paths, 404s, 401s).
            acting = authenticator.authenticate(request) if response.status != 401 else None
            info = request_info(request)
        original = state.get("authenticated_user")
        user: UserInfo | None = original if isinstance(original, UserInfo) else acting
        impersonated = acting if isinstance(original, UserInfo) else None
        level, omit, omit_managed = self.policy.evaluate(user, info)
        if level == NONE:
            return
        secret = info.resource_request and info.group == "" and info.resource == "secrets"
        if secret and _LEVELS[level] > _LEVELS[METADATA]:
            level = METADATA
        body: Any = None
        if request.body and info.verb in ("create", "update", "patch") and (
                _LEVELS[level] >= _LEVELS[REQUEST] or (info.verb == "create" and not info.name)):
            body = _decode(request)
            meta = body.get("metadata") if isinstance(body, dict) else None
            if not info.name and isinstance(meta, dict) and meta.get("name"):
                # A create's object names itself (kube fills objectRef from the decoded object).
                info.name = str(meta["name"])
        ev = _Event(level, audit_id, _request_uri(request), info.verb, user, impersonated, _source_ips(request),
                    _user_agent(request), _object_ref(info) if info.resource_request else None, received)
        if decision is not None:
            ev.annotations = {"authorization.k8s.io/decision": "allow" if decision else "forbid",
                              "authorization.k8s.io/reason": reason}
        if _LEVELS[level] >= _LEVELS[REQUEST] and body is not None:
            ev.request_object = _strip_managed(body) if omit_managed else body
        status = _status(response)
        if level == REQUEST_RESPONSE and isinstance(response, Response):  # a failure's Status too, as kube
            obj = _response_object(response)
            ev.response_object = _strip_managed(obj) if omit_managed else obj
        put = self.emit
        if "RequestReceived" not in omit:
            put(_Record(ev, "RequestReceived", received, None))
        panic = state.get("panic")
        if panic is not None:
            if "Panic" not in omit:
                put(_Record(ev, "Panic", time.time(), {
                    "metadata": {}, "status": "Failure", "message": f"APIServer panic'd: {panic}",
                    "reason": "InternalError", "code": 500}))
            return
        if isinstance(response, StreamingResponse):
            if "ResponseStarted" not in omit:
                put(_Record(ev, "ResponseStarted", time.time(), status))
            if "ResponseComplete" not in omit:
                response.chunks = _complete_after(response.chunks, self, ev, status)
            return
        if "ResponseComplete" not in omit:
            put(_Record(ev, "ResponseComplete", time.time(), status))


async def _complete_after(chunks: AsyncIterator[bytes], auditor: Auditor, ev: _Event,
                          status: dict[str, Any]) -> AsyncIterator[bytes]:
    try:
        async for chunk in chunks:
            yield chunk
    finally:
        auditor.emit(_Record(ev, "ResponseComplete", time.time(), status))
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


def _with_audit_id(response: Response | StreamingResponse, audit_id: str) -> (
        Response | StreamingResponse):
    headers = [*(response.headers or []), ("Audit-Id", audit_id)]
    if isinstance(response, StreamingResponse):
        return StreamingResponse(response.status, response.chunks, response.content_type, headers, response.direct)
    return Response(response.status, response.body, response.content_type, headers)


def _request_uri(request: Request) -> str:
    if request.query_string:
        return f"{request.raw_path.decode('utf-8', 'replace')}?{request.query_string.decode('utf-8', 'replace')}"
    return request.raw_path.decode("utf-8", "replace")


def _source_ips(request: Request) -> list[str]:
    """kube's ``SourceIPs``: X-Forwarded-For, X-Real-Ip, then the peer, without repeats."""
    ips: list[str] = []
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        ips.extend(p.strip() for p in forwarded.split(",") if p.strip())
    real = request.headers.get("x-real-ip", "").strip()
    if real and real not in ips:
        ips.append(real)
    if request.client is not None and request.client[0] not in ips:
        ips.append(request.client[0])
    return ips


def _user_agent(request: Request) -> str:
    ua = request.headers.get("user-agent", "")
    return ua[:_MAX_USER_AGENT] + "...TRUNCATED" if len(ua) > _MAX_USER_AGENT else ua


def _object_ref(info: RequestInfo) -> dict[str, str]:
    ref = {"resource": info.resource}
    if info.namespace:
        ref["namespace"] = info.namespace
    if info.name:
        ref["name"] = info.name
    if info.group:
        ref["apiGroup"] = info.group
    if info.version:
        ref["apiVersion"] = info.version
    if info.subresource:
        ref["subresource"] = info.subresource
    return ref


def _decode(request: Request) -> Any:
    try:
        return orjson.loads(request.body)
    except orjson.JSONDecodeError:
        pass
    try:
        return decode_body(request)
    except Exception:
        return None


def _status(response: Response | StreamingResponse) -> dict[str, Any]:
    """The event's responseStatus: the Status a failure answered, else just the code."""
    if isinstance(response, Response) and response.status >= 300 and (
            response.content_type or "").startswith("application/json"):
        try:
            body = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            body = None
        if isinstance(body, dict) and body.get("kind") == "Status":
            return {k: v for k, v in body.items() if k not in ("kind", "apiVersion")}
    return {"metadata": {}, "code": response.status}


def _response_object(response: Response) -> Any:
    if not (response.content_type or "").startswith("application/json"):
        return None
    try:
        return orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return None


def _strip_managed(obj: Any) -> Any:
    """A copy of ``obj`` (or of each item of a list) without ``metadata.managedFields``."""
    if not isinstance(obj, dict):
        return obj
    out = obj
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        out = {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    items = obj.get("items")
    if isinstance(items, list):
        out = {**out, "items": [_strip_managed(i) for i in items]}
    return out
