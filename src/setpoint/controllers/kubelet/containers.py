"""The simulated container runtime of one pod: its containers played out over time.

A :class:`PodRun` is what a kubelet and its container runtime know about one pod: each
container's instances (created, started, ready, exited), restarts and back-off. It holds no
I/O: :meth:`PodRun.advance` moves it to a time, collecting the Events a kubelet records on
the way (:attr:`PodRun.events`), and :meth:`PodRun.status` renders the pod's status at that
time as kube's kubelet reports it (``pkg/kubelet/kubelet_pods.go`` ``generateAPIPodStatus``,
``pkg/kubelet/status/generate.go``, ``pkg/kubelet/kuberuntime``).

Containers start from their declared :class:`~setpoint.apimachinery.podbehavior.Behavior`:
init containers one after the other, each run to completion, then the regular containers
together. A container that exits (``exitAfter``) or fails its liveness probe
(``livenessFailAfter``, only with a ``livenessProbe``: exit 137) is restarted by the pod's
``restartPolicy`` with the kubelet's back-off: the first restart at once, then 10 s doubling
up to 300 s (``CrashLoopBackOff``), forgotten after 600 s without a restart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final

from setpoint.apimachinery.clock import format_time
from setpoint.apimachinery.podbehavior import Behavior
from setpoint.apimachinery.types import Obj

#: The kubelet's container back-off: initial, maximum (``MaxContainerBackOff``).
BACKOFF_INITIAL: Final = 10.0
BACKOFF_MAX: Final = 300.0
#: How long after an ``ErrImagePull`` the kubelet reports ``ImagePullBackOff``.
PULL_BACKOFF_SHOWN: Final = 1.0
#: The exit code of a container the kubelet killed (SIGKILL).
KILLED: Final = 137

#: Event reasons (``pkg/kubelet/events``).
PULLING, PULLED, CREATED, STARTED, KILLING = "Pulling", "Pulled", "Created", "Started", "Killing"
BACKOFF, FAILED, UNHEALTHY = "BackOff", "Failed", "Unhealthy"


def go_duration(seconds: float) -> str:
    """Go's ``time.Duration.String`` for whole and fractional seconds (``10s``, ``1m20s``, ``1.5s``)."""
    if seconds == 0:
        return "0s"
    whole = int(seconds)
    if seconds < 60:
        text = f"{seconds:.9f}".rstrip("0").rstrip(".")
        return f"{text}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    frac = f"{seconds - whole:.9f}".rstrip("0").rstrip(".")[1:] if seconds != whole else ""
    return (f"{hours}h" if hours else "") + f"{minutes}m{secs}{frac}s"


def rfc3339(t: float) -> str:
    """A Unix time as ``metav1.Time``."""
    return format_time(datetime.fromtimestamp(t, UTC))


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def image_ref(image: str) -> str:
    """The image as containerd reports it: registry and tag filled in (``nginx`` ->
    ``docker.io/library/nginx:latest``)."""
    name, digest = image, ""
    if "@" in name:
        name, digest = name.split("@", 1)
    first, _, rest = name.partition("/")
    if not rest or ("." not in first and ":" not in first and first != "localhost"):
        name = f"docker.io/{name}" if rest else f"docker.io/library/{name}"
    if digest:
        return f"{name}@{digest}"
    if ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    return name


def image_id(image: str) -> str:
    """A stable ``imageID`` (``repo@sha256:...``) for the image."""
    ref = image_ref(image)
    if "@" in ref:
        return ref
    repo = ref.rsplit(":", 1)[0] if ":" in ref.rsplit("/", 1)[-1] else ref
    return f"{repo}@sha256:{_digest('image', ref)}"


def image_size(image: str) -> int:
    """A stable, plausible size in bytes for the image."""
    return 5_000_000 + int(_digest("size", image_ref(image))[:8], 16) % 95_000_000


def pull_policy(container: Mapping[str, Any]) -> str:
    """``imagePullPolicy``, defaulted as kube does (Always for ``:latest`` or no tag)."""
    policy = container.get("imagePullPolicy")
    if isinstance(policy, str) and policy:
        return policy
    image = str(container.get("image") or "")
    tag = image.rsplit("/", 1)[-1]
    return "Always" if "@" not in image and (":" not in tag or tag.endswith(":latest")) else "IfNotPresent"


@dataclass(slots=True)
class Instance:
    """One run of a container."""

    id: str
    started: float
    ready_at: float | None
    #: When it ends by itself, and how (exit code; 137 for a failed liveness probe).
    ends_at: float | None
    exit_code: int
    liveness: bool = False
    finished: float | None = None

    def terminated(self) -> Obj:
        assert self.finished is not None
        return {"exitCode": self.exit_code, "reason": "Completed" if self.exit_code == 0 else "Error",
                "startedAt": rfc3339(self.started), "finishedAt": rfc3339(self.finished),
                "containerID": f"containerd://{self.id}"}


@dataclass(slots=True)
class Event:
    """An Event the kubelet records about the pod (``at``: when it happened)."""

    at: float
    type: str
    reason: str
    message: str


# Stages of a container.
_WAITING, _CREATING, _PULL_FAILED, _RUNNING, _BACKOFF, _DONE = range(6)


@dataclass(slots=True)
class ContainerRun:
    """One container of the pod: its current and previous instance, restarts, back-off."""

    name: str
    image: str
    policy: str
    behavior: Behavior
    init: bool
    #: Whether the container has a livenessProbe (only then does ``livenessFailAfter`` apply).
    liveness_probe: bool
    stage: int = _WAITING
    #: When the current creation began, and when the container starts.
    create_at: float = 0.0
    start_at: float = 0.0
    instance: Instance | None = None
    previous: Instance | None = None
    instances: int = 0
    #: The back-off entry (flowcontrol.Backoff): duration and last update; when the next try is.
    backoff: float = 0.0
    backoff_at: float = 0.0
    retry_at: float = 0.0
    pull_errors: int = 0
    pull_backoff_shown: bool = False
    #: Stopped by the kubelet (pod deletion): no restart.
    stopped: bool = False
    #: A restartable init container (``restartPolicy: Always``): a sidecar, running beside the others.
    sidecar: bool = False
    #: Whether the current creation has begun (image pulled), and readiness was reached.
    created: bool = False
    ready_seen: bool = False

    @property
    def restart_count(self) -> int:
        return max(0, self.instances - 1)

    def next_time(self) -> float | None:
        """When this container next changes, if it is scheduled to."""
        if self.stage == _CREATING:
            return self.start_at if self.created else self.create_at
        if self.stage == _PULL_FAILED:
            if not self.pull_backoff_shown:
                return min(self.retry_at, self.create_at + PULL_BACKOFF_SHOWN)
            return self.retry_at
        if self.stage == _RUNNING:
            inst = self.instance
            assert inst is not None
            out = [t for t in (inst.ends_at,) if t is not None]
            if inst.ready_at is not None and not self.ready_seen:
                out.append(inst.ready_at)
            return min(out) if out else None
        if self.stage == _BACKOFF:
            return self.retry_at
        return None


class PodRun:
    """The simulated runtime state of one pod; see the module docstring."""

    def __init__(self, pod: Mapping[str, Any], behaviors: Mapping[str, Behavior], start: float) -> None:
        meta = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        self.uid = str(meta.get("uid") or "")
        self.name = str(meta.get("name") or "")
        self.namespace = str(meta.get("namespace") or "")
        self.restart_policy = str(spec.get("restartPolicy") or "Always")
        self.start = start
        self.events: list[Event] = []
        self.inits = [self._container(c, behaviors, True) for c in spec.get("initContainers") or []
                      if isinstance(c, dict)]
        self.mains = [self._container(c, behaviors, False) for c in spec.get("containers") or []
                      if isinstance(c, dict)]
        #: Set when the pod has reached Succeeded or Failed.
        self.terminal: str | None = None
        self._init_index = 0
        if self.inits:
            self._schedule(self.inits[0], start)
        else:
            for c in self.mains:
                self._schedule(c, start)

    def _container(self, c: Mapping[str, Any], behaviors: Mapping[str, Behavior], init: bool) -> ContainerRun:
        name = str(c.get("name") or "")
        behavior = behaviors.get(name) or Behavior()
        if init and behavior.exit_after is None and c.get("restartPolicy") != "Always":
            behavior = replace(behavior, exit_after=0.0)  # an init container runs to completion
        return ContainerRun(name, str(c.get("image") or ""), pull_policy(c), behavior, init,
                            isinstance(c.get("livenessProbe"), dict),
                            sidecar=init and c.get("restartPolicy") == "Always")

    @property
    def pod_ref(self) -> str:
        """kube's ``format.Pod``: ``name_namespace(uid)``."""
        return f"{self.name}_{self.namespace}({self.uid})"

    def containers(self) -> list[ContainerRun]:
        return [*self.inits, *self.mains]

    # -- time ---------------------------------------------------------------------------------

    def _schedule(self, c: ContainerRun, at: float) -> None:
        """Begin creating ``c`` at ``at`` (pulling its image, then starting it)."""
        c.stage = _CREATING
        c.create_at = at
        c.created = False
        c.start_at = at + (c.behavior.start_delay if c.instances == 0 else 0.0)

    def next_time(self) -> float | None:
        """When the pod next changes on its own (None: not before something else happens)."""
        if self.terminal is not None:
            return None
        times = [t for c in self.containers() if (t := c.next_time()) is not None]
        return min(times) if times else None

    def advance(self, now: float) -> None:
        """Play every change due by ``now``, in time order."""
        while self.terminal is None:
            due = [(t, i, c) for i, c in enumerate(self.containers())
                   if (t := c.next_time()) is not None and t <= now]
            if not due:
                return
            t, _, c = min(due, key=lambda x: (x[0], x[1]))
            self._step(c, t)
            self._check_terminal(t)

    def _event(self, at: float, type_: str, reason: str, message: str) -> None:
        self.events.append(Event(at, type_, reason, message))

    def _step(self, c: ContainerRun, t: float) -> None:
        if c.stage == _CREATING:
            if not c.created:
                self._begin_create(c, t)
            else:
                self._start(c, t)
        elif c.stage == _PULL_FAILED:
            if not c.pull_backoff_shown and t < c.retry_at:
                c.pull_backoff_shown = True
                self._event(t, "Normal", BACKOFF, f'Back-off pulling image "{c.image}"')
                self._event(t, "Warning", FAILED, "Error: ImagePullBackOff")
            else:
                self._pull_failed(c, t)
        elif c.stage == _RUNNING:
            inst = c.instance
            assert inst is not None
            if inst.ends_at is not None and t >= inst.ends_at:
                self._exit(c, t)
            else:
                c.ready_seen = True
        elif c.stage == _BACKOFF:
            c.backoff, c.backoff_at = min(c.backoff * 2, BACKOFF_MAX), t
            self._schedule(c, t)

    def _begin_create(self, c: ContainerRun, t: float) -> None:
        """The image pull (or not), at the start of a creation."""
        c.created = True
        if c.behavior.pull_error:
            self._pull_failed(c, t)
            return
        if c.policy == "Always":
            self._event(t, "Normal", PULLING, f'Pulling image "{c.image}"')
            took = go_duration(c.start_at - t)
            self._event(c.start_at, "Normal", PULLED,
                        f'Successfully pulled image "{c.image}" in {took} ({took} including waiting). '
                        f"Image size: {image_size(c.image)} bytes.")
        else:
            self._event(t, "Normal", PULLED, f'Container image "{c.image}" already present on machine')

    def _pull_failed(self, c: ContainerRun, t: float) -> None:
        c.stage = _PULL_FAILED
        c.create_at = t
        c.pull_errors += 1
        c.pull_backoff_shown = False
        delay = min(BACKOFF_INITIAL * 2 ** (c.pull_errors - 1), BACKOFF_MAX)
        c.retry_at = t + delay
        self._event(t, "Normal", PULLING, f'Pulling image "{c.image}"')
        self._event(t, "Warning", FAILED, f'Failed to pull image "{c.image}": {self.pull_error_message(c)}')
        self._event(t, "Warning", FAILED, "Error: ErrImagePull")

    @staticmethod
    def pull_error_message(c: ContainerRun) -> str:
        ref = image_ref(c.image)
        return (f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": failed to resolve '
                f'reference "{ref}": {ref}: not found')

    def _start(self, c: ContainerRun, t: float) -> None:
        b = c.behavior
        c.instances += 1
        ident = _digest(self.uid, c.name, str(c.instances))
        ends: float | None = None
        code = b.exit_code
        liveness = False
        if b.exit_after is not None:
            ends = t + b.exit_after
        if b.liveness_fail_after is not None and c.liveness_probe and (not c.init or c.sidecar) \
                and (ends is None or t + b.liveness_fail_after < ends):
            ends, code, liveness = t + b.liveness_fail_after, KILLED, True
        ready_at = None if c.init and not c.sidecar else t + (b.ready_after or 0.0)
        if c.instance is not None:
            c.previous = c.instance
        c.instance = Instance(ident, t, ready_at, ends, code, liveness)
        c.ready_seen = ready_at is not None and ready_at <= t
        c.stage = _RUNNING
        self._event(t, "Normal", CREATED, f"Created container: {c.name}")
        self._event(t, "Normal", STARTED, f"Started container {c.name}")
        if c.sidecar and c.instances == 1 and self._init_index < len(self.inits) \
                and self.inits[self._init_index] is c:
            self._init_done(t)  # a started sidecar lets the next container begin

    def _init_done(self, t: float) -> None:
        """The current init container is done (or, a sidecar, started): begin the next one."""
        self._init_index += 1
        if self._init_index < len(self.inits):
            self._schedule(self.inits[self._init_index], t)
        else:
            for main in self.mains:
                self._schedule(main, t)

    def _exit(self, c: ContainerRun, t: float) -> None:
        inst = c.instance
        assert inst is not None
        inst.finished = t
        if inst.liveness:
            self._event(t, "Warning", UNHEALTHY, "Liveness probe failed: simulated failure")
            self._event(t, "Normal", KILLING, f"Container {c.name} failed liveness probe, will be restarted")
        restart = not c.stopped and (
            (self.restart_policy == "Always" and not c.init) or c.sidecar
            or (self.restart_policy != "Never" and inst.exit_code != 0))
        if not restart:
            c.stage = _DONE
            if c.init and not c.sidecar and inst.exit_code == 0:
                self._init_done(t)
            return
        # kubelet doBackOff: in back-off since the exit unless the entry is new or expired.
        if c.backoff == 0 or t - c.backoff_at > 2 * BACKOFF_MAX:
            c.backoff, c.backoff_at = BACKOFF_INITIAL, t
            self._schedule(c, t)
            return
        c.stage = _BACKOFF
        c.retry_at = t + c.backoff
        self._event(t, "Warning", BACKOFF, f"Back-off restarting failed container {c.name} in pod {self.pod_ref}")

    def _check_terminal(self, t: float) -> None:
        phase = self.phase()
        if phase in ("Succeeded", "Failed"):
            self.terminal = phase

    def stop(self, t: float) -> list[ContainerRun]:
        """The kubelet stops the pod (deletion): running containers are killed, none restart.
        Returns those that were running."""
        running = []
        for c in self.containers():
            c.stopped = True
            if c.stage == _RUNNING:
                running.append(c)
        return running

    # -- status -------------------------------------------------------------------------------

    def phase(self) -> str:
        """kube's ``getPhase``."""
        for c in self.inits:
            if c.stage == _DONE and c.instance is not None and c.instance.exit_code != 0:
                return "Failed"  # restartPolicy Never: an init container failed
        if self.inits and self._init_index < len(self.inits):
            return "Pending"
        running = waiting = stopped = succeeded = 0
        for c in self.mains:
            if c.stage == _RUNNING:
                running += 1
            elif c.stage == _DONE:
                stopped += 1
                assert c.instance is not None
                if c.instance.exit_code == 0:
                    succeeded += 1
            elif c.instance is not None:  # waiting to restart
                stopped += 1
            else:
                waiting += 1
        if waiting:
            return "Pending"
        if running:
            return "Running"
        if stopped:
            if self.restart_policy == "Always":
                return "Running"
            if stopped == succeeded and all(c.stage == _DONE for c in self.mains):
                return "Succeeded"
            if self.restart_policy == "Never":
                return "Failed"
            return "Running"
        return "Pending"

    def _state(self, c: ContainerRun, now: float) -> tuple[Obj, Obj, bool, bool]:
        """(state, lastState, ready, started) of a container at ``now``."""
        last: Obj = {}
        if c.stage == _RUNNING:
            inst = c.instance
            assert inst is not None
            if c.previous is not None:
                last = {"terminated": c.previous.terminated()}
            ready = (not c.init or c.sidecar) and inst.ready_at is not None and inst.ready_at <= now and not c.stopped
            return {"running": {"startedAt": rfc3339(inst.started)}}, last, ready, True
        if c.stage == _DONE:
            inst = c.instance
            assert inst is not None
            if c.previous is not None:
                last = {"terminated": c.previous.terminated()}
            # A regular init container that succeeded counts as ready.
            return {"terminated": inst.terminated()}, last, c.init and inst.exit_code == 0, False
        if c.instance is not None:
            last = {"terminated": c.instance.terminated()}
        if c.stage == _BACKOFF:
            message = (f"back-off {go_duration(c.backoff)} restarting failed container={c.name} "
                       f"pod={self.pod_ref}")
            return {"waiting": {"reason": "CrashLoopBackOff", "message": message}}, last, False, False
        if c.stage == _PULL_FAILED:
            if c.pull_backoff_shown:
                message = f'Back-off pulling image "{c.image}": ErrImagePull: {self.pull_error_message(c)}'
                return {"waiting": {"reason": "ImagePullBackOff", "message": message}}, last, False, False
            return {"waiting": {"reason": "ErrImagePull", "message": self.pull_error_message(c)}}, last, False, False
        # kube's default waiting state for a container the runtime does not know yet.
        reason = "PodInitializing" if self.inits else "ContainerCreating"
        return {"waiting": {"reason": reason}}, last, False, False

    def container_status(self, c: ContainerRun, now: float) -> Obj:
        state, last, ready, started = self._state(c, now)
        out: Obj = {"name": c.name, "state": state, "lastState": last, "ready": ready,
                    "restartCount": c.restart_count, "image": image_ref(c.image), "imageID": "",
                    "started": started}
        if c.instance is not None:
            out["imageID"] = image_id(c.image)
            if c.stage != _BACKOFF:
                out["containerID"] = f"containerd://{c.instance.id}"
        return out

    def status(self, pod: Mapping[str, Any], now: float) -> Obj:
        """The status fields the kubelet owns, at ``now`` (conditions it does not own are kept)."""
        phase = self.terminal or self.phase()
        inits = [self.container_status(c, now) for c in self.inits]
        mains = [self.container_status(c, now) for c in self.mains]
        spec = pod.get("spec") or {}
        conditions = _conditions(spec, pod.get("status") or {}, inits, mains, phase, now, self.inits)
        out: Obj = {"phase": phase, "conditions": conditions, "startTime": rfc3339(self.start),
                    "containerStatuses": mains}
        if inits:
            out["initContainerStatuses"] = inits
        return out


def _names(names: list[str]) -> str:
    """A Go ``%s`` of a string slice."""
    return "[" + " ".join(names) + "]"


def _conditions(spec: Mapping[str, Any], status: Mapping[str, Any], inits: list[Obj], mains: list[Obj],
                phase: str, now: float, init_runs: list[ContainerRun]) -> list[Obj]:
    """The pod's conditions: the kubelet's four (kube's ``generate.go``), the others kept."""
    own: dict[str, tuple[str, str, str]] = {"PodReadyToStartContainers": ("True", "", "")}
    # Initialized
    incomplete = [s["name"] for s, c in zip(inits, init_runs, strict=True)
                  if not (s["started"] if c.sidecar else s["ready"])]
    any_started = any(s.get("started") or s["state"].get("terminated") or s["lastState"] for s in mains)
    if phase == "Succeeded":
        own["Initialized"] = ("True", "PodCompleted", "")
    elif any_started or not incomplete:
        own["Initialized"] = ("True", "", "")
    else:
        own["Initialized"] = ("False", "ContainersNotInitialized",
                              f"containers with incomplete status: {_names(incomplete)}")
    # ContainersReady and Ready
    if phase in ("Succeeded", "Failed"):
        reason = "PodCompleted" if phase == "Succeeded" else "PodFailed"
        ready = ("False", reason, "")
    else:
        unready = [s["name"] for s, c in zip(inits, init_runs, strict=True) if c.sidecar and not s["ready"]]
        unready += [s["name"] for s in mains if not s["ready"]]
        ready = ("False", "ContainersNotReady", f"containers with unready status: {_names(unready)}") \
            if unready else ("True", "", "")
    own["ContainersReady"] = ready
    pod_ready = ready
    if ready[0] == "True":
        gates = [g.get("conditionType") for g in spec.get("readinessGates") or [] if isinstance(g, dict)]
        existing = {c.get("type"): c for c in status.get("conditions") or [] if isinstance(c, dict)}
        problems = []
        for gate in gates:
            cond = existing.get(gate)
            if cond is None:
                problems.append(f'corresponding condition of pod readiness gate "{gate}" does not exist.')
            elif cond.get("status") != "True":
                problems.append(f'the status of pod readiness gate "{gate}" is not "True", but {cond.get("status")}')
        if problems:
            pod_ready = ("False", "ReadinessGatesNotReady", ", ".join(problems))
    own["Ready"] = pod_ready
    stamp = rfc3339(now)
    out: list[Obj] = []
    seen: set[str] = set()
    for cond in status.get("conditions") or []:
        if not isinstance(cond, dict):
            continue
        kind = cond.get("type")
        if kind in own:
            seen.add(kind)
            out.append(_condition(kind, own[kind], cond, stamp))
        else:
            out.append(cond)
    for kind in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"):
        if kind not in seen:
            out.append(_condition(kind, own[kind], None, stamp))
    return out


def _condition(kind: str, value: tuple[str, str, str], old: Mapping[str, Any] | None, stamp: str) -> Obj:
    status, reason, message = value
    cond: Obj = {"type": kind, "status": status}
    if old is not None and old.get("status") == status and old.get("lastTransitionTime"):
        cond["lastTransitionTime"] = old["lastTransitionTime"]
    else:
        cond["lastTransitionTime"] = stamp
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


__all__ = ["BACKOFF_INITIAL", "BACKOFF_MAX", "ContainerRun", "Event", "Instance", "PodRun", "go_duration",
           "image_id", "image_ref", "pull_policy", "rfc3339"]
