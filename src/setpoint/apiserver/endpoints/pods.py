"""The Pod subresources that are not plain reads and writes of the Pod: ``binding`` (and the
namespaced ``bindings`` resource; the work is :mod:`setpoint.apiserver.builtin.binding`'s),
``log``, and the streaming ``exec``, ``attach`` and ``portforward``.

The last four are kube's ``LogLocation``/``streamLocation`` (``pkg/registry/core/pod/strategy.go``)
up to the point where kube-apiserver would call the pod's kubelet: setpoint's nodes are
simulated and run no containers. A container's log is what its declared behaviour says it
writes when it starts (:mod:`setpoint.apimachinery.podbehavior`: the pod's annotation, the
``kube-system/setpoint-behaviors`` ConfigMap), served with the kubelet's options (``tailLines``,
``limitBytes``, ``timestamps``, ``sinceSeconds``/``sinceTime``, ``previous``, ``follow``: the
stream stays open until the container stops or the pod goes). ``exec``, ``attach`` and
``portforward`` answer a 400 saying that there is nothing to connect to.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from setpoint.apimachinery import podbehavior
from setpoint.apimachinery.clock import parse_time
from setpoint.apiserver.builtin.binding import BindingStrategy, bind
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.endpoints import handlers
from setpoint.apiserver.http import Response, StreamingResponse
from setpoint.apiserver.registry.objectstore import ObjectStore, parse_resource_version
from setpoint.apiserver.registry.resources import Obj, Registry
from setpoint.apiserver.registry.selectors import selector_filter

__all__ = ["binding", "connect", "log", "validate_container"]


def _container_names(spec: Obj) -> list[str]:
    """podutil.VisitContainers order: init containers, containers, ephemeral containers."""
    names: list[str] = []
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict) and isinstance(c.get("name"), str):
                names.append(c["name"])
    return names


def validate_container(container: str, pod: Obj) -> str:
    """kube's ``validateContainer``: the container a request means, or its 400."""
    spec = pod.get("spec") or {}
    name = (pod.get("metadata") or {}).get("name", "")
    if not container:
        containers = spec.get("containers") or []
        if len(containers) == 1:
            return str(containers[0].get("name", ""))
        if not containers:
            raise errors.bad_request(f"a container name must be specified for pod {name}")
        names = " ".join(_container_names(spec))
        raise errors.bad_request(f"a container name must be specified for pod {name}, choose one of: [{names}]")
    if container not in _container_names(spec):
        raise errors.bad_request(f"container {container} is not valid for pod {name}")
    return container


async def _pod(store: ObjectStore, call: handlers.Call) -> Obj:
    assert call.name is not None
    return (await store.get(call.resource, call.namespace, call.name)).obj


# --- log ---------------------------------------------------------------------------


def _status_of(pod: Obj, container: str) -> Obj | None:
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for cs in status.get(key) or []:
            if isinstance(cs, dict) and cs.get("name") == container:
                return cs
    return None


def _kubelet_log_error(pod: Obj, container: str, previous: bool) -> str | None:
    """The kubelet's ``validateContainerLogStatus``: why there are no logs, or None when the
    container is running (or has run) and its log -- empty on a simulated node -- is served."""
    pod_name = (pod.get("metadata") or {}).get("name", "")
    cs = _status_of(pod, container)
    q = f'container "{container}" in pod "{pod_name}"'
    if cs is None:
        return f"{q} is not available"
    last = (cs.get("lastState") or {}).get("terminated")
    state = cs.get("state") or {}
    waiting, running, terminated = state.get("waiting"), state.get("running"), state.get("terminated")
    if previous:
        if not isinstance(last, dict) or not last.get("containerID"):
            return f'previous terminated container "{container}" in pod "{pod_name}" not found'
        return None
    if running is not None:
        return None
    if terminated is not None:
        if not (terminated or {}).get("containerID") and not (isinstance(last, dict) and last.get("containerID")):
            return f"{q} is terminated"
        return None
    if last is not None:
        return None if (last or {}).get("containerID") else f"{q} is terminated"
    if waiting is not None:
        reason = (waiting or {}).get("reason") or ""
        if reason == "ErrImagePull":
            return f"{q} is waiting to start: image can't be pulled"
        if reason == "ImagePullBackOff":
            return f"{q} is waiting to start: trying and failing to pull image"
        return f"{q} is waiting to start: {reason}"
    return f"{q} is waiting to start - no logs yet"


def _int_param(call: handlers.Call, name: str) -> int | None:
    """An int64 query parameter, as kube's parameter codec converts it."""
    text = call.request.query_one(name)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise errors.bad_request(f'strconv.ParseInt: parsing "{text}": invalid syntax') from None


def _log_options_errors(call: handlers.Call) -> list[errors.FieldError]:
    """``ValidatePodLogOptions``."""
    out: list[errors.FieldError] = []
    tail, limit = _int_param(call, "tailLines"), _int_param(call, "limitBytes")
    since = _int_param(call, "sinceSeconds")
    if tail is not None and tail < 0:
        out.append(errors.invalid("tailLines", tail, "must be greater than or equal to 0"))
    if limit is not None and limit < 1:
        out.append(errors.invalid("limitBytes", limit, "must be greater than 0"))
    if since is not None and call.request.query_one("sinceTime") is not None:
        out.append(errors.forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified"))
    elif since is not None and since < 1:
        out.append(errors.invalid("sinceSeconds", since, "must be greater than 0"))
    return out


def _bool_param(call: handlers.Call, name: str) -> bool:
    return (call.request.query_one(name) or "").lower() in ("true", "1")


def _instance(pod: Obj, container: str, previous: bool) -> tuple[Obj, int, bool]:
    """The container instance whose log is asked: its state (running or terminated), its
    restart number, and whether it still runs."""
    cs = _status_of(pod, container) or {}
    state = cs.get("state") or {}
    last = (cs.get("lastState") or {}).get("terminated")
    count = cs.get("restartCount")
    restarts = count if isinstance(count, int) else 0
    current = state.get("running") or state.get("terminated")
    if previous or not isinstance(current, dict):
        # The last terminated instance: the one before the current, or, while waiting to
        # restart, the one that just ended.
        return (last if isinstance(last, dict) else {}), restarts - 1 if isinstance(current, dict) else restarts, False
    return current, restarts, "running" in state


async def _behavior(store: ObjectStore, registry: Registry | None, pod: Obj, container: str) -> podbehavior.Behavior:
    """The container's declared behaviour, as the kubelet reads it."""
    rules: list[podbehavior.ImageRule] = []
    configmaps = registry.get("", "v1", "configmaps") if registry is not None else None
    if configmaps is not None:
        try:
            cm = (await store.get(configmaps, podbehavior.RULES_NAMESPACE, podbehavior.RULES_CONFIGMAP)).obj
        except errors.StatusError:
            cm = None
        data = (cm or {}).get("data") or {}
        rules = podbehavior.parse_rules({k: v for k, v in data.items() if isinstance(v, str)})[0]
    spec = pod.get("spec") or {}
    found: Obj = next((c for key in ("initContainers", "containers", "ephemeralContainers")
                       for c in spec.get(key) or [] if isinstance(c, dict) and c.get("name") == container), {})
    try:
        return podbehavior.container_behavior(pod, found, rules)
    except podbehavior.BehaviorError:  # the kubelet runs such a pod without its annotation
        meta = dict(pod.get("metadata") or {})
        meta["annotations"] = {k: v for k, v in (meta.get("annotations") or {}).items() if k != podbehavior.ANNOTATION}
        return podbehavior.container_behavior({**pod, "metadata": meta}, found, rules)


def _nano(stamp: str) -> str:
    """A ``metav1.Time`` as the kubelet's log timestamps (RFC 3339, nine fractional digits)."""
    parsed = parse_time(stamp)
    if parsed is None:
        return stamp
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond * 1000:09d}Z"


def _since(call: handlers.Call) -> float | None:
    seconds = _int_param(call, "sinceSeconds")
    if seconds is not None:
        return time.time() - seconds
    text = call.request.query_one("sinceTime")
    if text is None:
        return None
    parsed = parse_time(text)
    if parsed is None:
        raise errors.bad_request(f'parsing time "{text}" as "2006-01-02T15:04:05Z07:00": cannot parse')
    return parsed.timestamp()


async def log(store: ObjectStore, call: handlers.Call, registry: Registry | None = None) -> Response | StreamingResponse:
    """GET ``pods/log``: the options checked; an unscheduled pod's log is empty (kube's nil
    location); on a (simulated) node, the kubelet's answer: why there is no log yet, or the
    container's declared lines."""
    problems = _log_options_errors(call)
    if problems:
        raise errors.invalid_object("PodLogOptions", "", call.name or "", problems)
    since = _since(call)
    pod = await _pod(store, call)
    query = call.request
    container = validate_container(query.query_one("container") or "", pod)
    if not (pod.get("spec") or {}).get("nodeName"):
        return Response(200, b"", "text/plain")
    previous = _bool_param(call, "previous")
    message = _kubelet_log_error(pod, container, previous)
    if message is not None:
        # kube's GenericHttpResponseChecker: a kubelet 400 becomes NewBadRequest(body).
        raise errors.bad_request(message)
    instance, restart, running = _instance(pod, container, previous)
    started = str(instance.get("startedAt") or "")
    lines = podbehavior.render_logs(await _behavior(store, registry, pod, container), pod, container, max(restart, 0))
    start = parse_time(started) if started else None
    if since is not None and start is not None and start.timestamp() < since:
        lines = []
    tail = _int_param(call, "tailLines")
    if tail is not None:
        lines = lines[len(lines) - tail:] if tail else []
    if _bool_param(call, "timestamps"):
        stamp = _nano(started)
        lines = [f"{stamp} {line}" for line in lines]
    body = "".join(f"{line}\n" for line in lines).encode()
    limit = _int_param(call, "limitBytes")
    if limit is not None:
        body = body[:limit]
    if not (_bool_param(call, "follow") and running):
        return Response(200, body, "text/plain")
    return StreamingResponse(200, _follow(store, call, pod, container, body), "text/plain")


async def _follow(store: ObjectStore, call: handlers.Call, pod: Obj, container: str, body: bytes) -> AsyncIterator[bytes]:
    """``follow=true``: the lines so far, then the stream held open while the container runs
    (its containerID unchanged); it ends when the container stops or the pod is deleted."""
    meta = pod.get("metadata") or {}
    running_id = (_status_of(pod, container) or {}).get("containerID")
    matches = selector_filter(call.resource, None, f"metadata.name={meta.get('name')}")
    watcher = await store.watch(call.resource, call.namespace, parse_resource_version(str(meta["resourceVersion"])),
                                matches, initial_events=False, fresh=False)
    try:
        if body:
            yield body
        if watcher.error is not None:
            return
        while True:
            batch = await watcher.next_batch(30.0)
            if batch is None:
                return
            for type_, event, _revision in batch:
                if event is None:
                    continue
                if type_ == "DELETED":
                    return
                cs = _status_of(event.object, container) or {}
                if "running" not in (cs.get("state") or {}) or cs.get("containerID") != running_id:
                    return
    finally:
        watcher.close()


# --- exec, attach, portforward ----------------------------------------------------------

_WHAT = {"exec": "execute commands in", "attach": "attach to", "portforward": "forward ports to"}


async def connect(store: ObjectStore, call: handlers.Call) -> Response:
    """GET/POST (websocket or SPDY upgrade) of ``pods/exec``, ``attach``, ``portforward``:
    kube's ``streamLocation`` checks, then a 400 -- a simulated node has no container to
    stream from. Upgrade requests get the Status too, which kubectl prints."""
    pod = await _pod(store, call)
    name = call.name
    container = ""
    if call.subresource != "portforward":
        container = validate_container(call.request.query_one("container") or "", pod)
    node = (pod.get("spec") or {}).get("nodeName")
    if not node:
        raise errors.bad_request(f"pod {name} does not have a host assigned")
    target = f'container "{container}" of pod "{name}"' if container else f'pod "{name}"'
    raise errors.bad_request(
        f'cannot {_WHAT[call.subresource]} {target}: node "{node}" is simulated and runs no containers')


# --- binding ----------------------------------------------------------------------------


async def binding(store: ObjectStore, call: handlers.Call) -> Response:
    """POST ``pods/{name}/binding`` or ``bindings``: :func:`~setpoint.apiserver.builtin.binding.bind`;
    answers a Success Status (201)."""
    out = handlers.negotiate(call.request)
    body = handlers.decode_body(call.request)
    strategy = call.resource.strategy
    pods = strategy.pods if isinstance(strategy, BindingStrategy) else call.resource
    await bind(store, pods, call.namespace, body, url_name=call.name, dry_run=handlers.is_dry_run(call.request),
               attrs=call.attrs)
    return handlers.json_response(201, {**errors.status_success(), "code": 201}, out)
