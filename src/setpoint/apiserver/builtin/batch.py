"""batch/v1 Job and CronJob (kube's ``pkg/registry/batch/{job,cronjob}/strategy.go``).

Defaults are ``SetDefaults_Job``/``SetDefaults_CronJob`` of ``pkg/apis/batch/v1/defaults.go``
(pod templates as ``SetDefaults_PodSpec``); a Job without ``manualSelector`` gets kube's
generated selector and template labels (``batch.kubernetes.io/controller-uid``,
``batch.kubernetes.io/job-name`` and their legacy unprefixed forms). Validation is the
common part of ``pkg/apis/batch/validation/validation.go`` with kube's messages and field
paths; a CronJob's schedule is parsed as robfig/cron's ``ParseStandard`` parses it
(:mod:`setpoint.apimachinery.cron`). Columns are ``printJob`` and ``printCronJob``.
Both serve ``/status``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

from setpoint.apimachinery import cron, labels
from setpoint.apimachinery.selection import SelectorError
from setpoint.apimachinery.types import Obj
from setpoint.apimachinery.validation import is_dns1123_label, is_qualified_name
from setpoint.apiserver.builtin import workloads as w
from setpoint.apiserver.builtin.declare import declare, description
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.encoding.errors import OMIT, GoLiteral
from setpoint.apiserver.endpoints.table import AGE_COLUMN, NAME_COLUMN, age_since, human_duration, parse_time
from setpoint.apiserver.registry import metadata
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

_BATCH = "io.k8s.api.batch.v1."

JOB_NAME_LABEL: Final = "batch.kubernetes.io/job-name"
CONTROLLER_UID_LABEL: Final = "batch.kubernetes.io/controller-uid"
LEGACY_JOB_NAME_LABEL: Final = "job-name"
LEGACY_CONTROLLER_UID_LABEL: Final = "controller-uid"

_MAX_PARALLELISM_INDEXED: Final = 100_000
_MAX_FAILED_INDEXES: Final = 100_000
_MAX_POD_FAILURE_POLICY_RULES: Final = 20
_MAX_EXIT_CODES: Final = 255
_MAX_CONDITION_PATTERNS: Final = 20
_ACTIONS: Final = ["Count", "FailIndex", "FailJob", "Ignore"]
_OPERATORS: Final = ["In", "NotIn"]
_CONDITION_STATUSES: Final = ["False", "True", "Unknown"]
_TZ_PART: Final = re.compile(r"^[A-Za-z.\-_0-9+]{1,14}$")


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(parent: Obj, key: str) -> Obj:
    """``parent[key]`` as a dict, made (and stored) when missing."""
    found = parent.get(key)
    if not isinstance(found, dict):
        found = parent[key] = {}
    return found


def default_job_spec(spec: Obj) -> None:
    """``SetDefaults_Job``'s spec part (in place), and the pod template's defaults."""
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    if spec.get("podReplacementPolicy") is None:
        spec["podReplacementPolicy"] = "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed"
    spec.setdefault("manualSelector", False)
    _default_pod_failure_policy(spec)


def _default_pod_failure_policy(spec: Obj) -> None:
    policy = spec.get("podFailurePolicy")
    for rule in (policy.get("rules") or []) if isinstance(policy, dict) else ():
        for pattern in (rule.get("onPodConditions") or []) if isinstance(rule, dict) else ():
            if isinstance(pattern, dict) and not pattern.get("status"):
                pattern["status"] = "True"


def generate_selector(job: Obj) -> None:
    """kube's ``generateSelector``: the template labels and the selector that pick this Job's pods."""
    meta = job["metadata"]
    spec = job["spec"]
    template = _dict(spec, "template")
    tlabels = _dict(_dict(template, "metadata"), "labels")
    for key in (LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL):
        tlabels.setdefault(key, str(meta.get("name", "")))
    for key in (LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL):
        tlabels.setdefault(key, str(meta.get("uid", "")))
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        selector = spec["selector"] = {}
    match_labels = selector.get("matchLabels")
    if not isinstance(match_labels, dict):
        match_labels = selector["matchLabels"] = {}
    match_labels.setdefault(CONTROLLER_UID_LABEL, str(meta.get("uid", "")))


def _copy_template_labels(job: Obj) -> None:
    """``SetDefaults_Job``: a Job without labels shows its template's (kube defaults every read)."""
    meta = job["metadata"]
    tlabels = w.get(job, "spec", "template", "metadata", "labels")
    if isinstance(tlabels, dict) and not meta.get("labels"):
        meta["labels"] = dict(tlabels)


# --- validation -----------------------------------------------------------------------


def _validate_has_label(template_meta: Obj, path: str, key: str, expected: str) -> list[errors.FieldError]:
    """``ValidateHasLabel``."""
    tlabels = template_meta.get("labels") if isinstance(template_meta.get("labels"), dict) else None
    if tlabels is None or key not in tlabels:
        return [errors.required(f"{path}.labels[{key}]", expected)]
    if tlabels[key] != expected:
        return [errors.invalid(f"{path}.labels[{key}]", w.go_string_map(tlabels), expected)]
    return []


def _validate_generated_selector(job: Obj, prefixed: bool) -> list[errors.FieldError]:
    spec = job.get("spec") or {}
    if spec.get("manualSelector") is True or spec.get("selector") is None:
        return []
    meta = job.get("metadata") or {}
    uid, name = str(meta.get("uid") or ""), str(meta.get("name") or "")
    out: list[errors.FieldError] = []
    if not uid:
        out.append(errors.required("metadata.uid", ""))
    tmeta = w.get(spec, "template", "metadata")
    tmeta = tmeta if isinstance(tmeta, dict) else {}
    path = "spec.template.metadata"
    out.extend(_validate_has_label(tmeta, path, LEGACY_CONTROLLER_UID_LABEL, uid))
    out.extend(_validate_has_label(tmeta, path, LEGACY_JOB_NAME_LABEL, name))
    expected = {LEGACY_CONTROLLER_UID_LABEL: uid, LEGACY_JOB_NAME_LABEL: name}
    if prefixed:
        out.extend(_validate_has_label(tmeta, path, CONTROLLER_UID_LABEL, uid))
        out.extend(_validate_has_label(tmeta, path, JOB_NAME_LABEL, name))
        expected.update({CONTROLLER_UID_LABEL: uid, JOB_NAME_LABEL: name})
    try:
        selector = labels.as_selector(spec["selector"])
    except (SelectorError, TypeError, AttributeError):
        return out
    if not selector.matches(expected):
        out.append(errors.invalid("spec.selector", w.go_label_selector(spec["selector"]),
                                  "`selector` not auto-generated"))
    return out


def _validate_pod_failure_policy(spec: Obj, path: str) -> list[errors.FieldError]:
    policy = spec.get("podFailurePolicy")
    if not isinstance(policy, dict):
        return []
    out: list[errors.FieldError] = []
    rules = policy.get("rules") or []
    rules_path = f"{path}.rules"
    if len(rules) > _MAX_POD_FAILURE_POLICY_RULES:
        out.append(errors.too_many(rules_path, len(rules), _MAX_POD_FAILURE_POLICY_RULES))
    pod_spec = w.get(spec, "template", "spec") or {}
    names = {c.get("name") for key in ("containers", "initContainers")
             for c in (pod_spec.get(key) or []) if isinstance(c, dict)}
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        rpath = f"{rules_path}[{i}]"
        action = rule.get("action") or ""
        if not action:
            out.append(errors.required(f"{rpath}.action", "valid values: " + _go_quoted_list(_ACTIONS)))
        elif action == "FailIndex":
            if spec.get("backoffLimitPerIndex") is None:
                out.append(errors.invalid(f"{rpath}.action", action, "requires the backoffLimitPerIndex to be set"))
        elif action not in _ACTIONS:
            out.append(errors.not_supported(f"{rpath}.action", action, _ACTIONS))
        on_exit = rule.get("onExitCodes")
        on_conditions = rule.get("onPodConditions") or []
        if isinstance(on_exit, dict):
            out.extend(_validate_on_exit_codes(on_exit, f"{rpath}.onExitCodes", names))
        if on_conditions:
            out.extend(_validate_on_pod_conditions(on_conditions, f"{rpath}.onPodConditions"))
        if on_exit is not None and on_conditions:
            out.append(errors.invalid(rpath, OMIT, "specifying both OnExitCodes and OnPodConditions is not supported"))
        if on_exit is None and not on_conditions:
            out.append(errors.invalid(rpath, OMIT, "specifying one of OnExitCodes and OnPodConditions is required"))
    return out


def _go_quoted_list(values: list[str]) -> str:
    """Go's ``%q`` of a ``[]string``: ``["a" "b"]``."""
    return "[" + " ".join(f'"{v}"' for v in values) + "]"


def _validate_on_exit_codes(req: Obj, path: str, names: set[Any]) -> list[errors.FieldError]:
    out: list[errors.FieldError] = []
    operator = req.get("operator") or ""
    if not operator:
        out.append(errors.required(f"{path}.operator", "valid values: " + _go_quoted_list(_OPERATORS)))
    elif operator not in _OPERATORS:
        out.append(errors.not_supported(f"{path}.operator", operator, _OPERATORS))
    container = req.get("containerName")
    if container is not None and container not in names:
        out.append(errors.invalid(f"{path}.containerName", container,
                                  "must be one of the container or initContainer names in the pod template"))
    values = req.get("values") or []
    vpath = f"{path}.values"
    go_values = GoLiteral("[]int32{" + ", ".join(str(v) for v in values) + "}") if values else GoLiteral("[]int32(nil)")
    if not values:
        out.append(errors.invalid(vpath, go_values, "at least one value is required"))
    elif len(values) > _MAX_EXIT_CODES:
        out.append(errors.too_many(vpath, len(values), _MAX_EXIT_CODES))
    seen: set[int] = set()
    ordered = True
    for j, value in enumerate(values):
        if operator == "In" and value == 0:
            out.append(errors.invalid(f"{vpath}[{j}]", value, "must not be 0 for the In operator"))
        if value in seen:
            out.append(errors.duplicate(f"{vpath}[{j}]", value))
        seen.add(value)
        if j > 0 and isinstance(value, int) and isinstance(values[j - 1], int) and values[j - 1] > value:
            ordered = False
    if not ordered:
        out.append(errors.invalid(vpath, go_values, "must be ordered"))
    return out


def _validate_on_pod_conditions(patterns: list[Any], path: str) -> list[errors.FieldError]:
    out: list[errors.FieldError] = []
    if len(patterns) > _MAX_CONDITION_PATTERNS:
        out.append(errors.too_many(path, len(patterns), _MAX_CONDITION_PATTERNS))
    for j, pattern in enumerate(patterns):
        if not isinstance(pattern, dict):
            continue
        ppath = f"{path}[{j}]"
        ctype = str(pattern.get("type") or "")
        out.extend(errors.invalid(f"{ppath}.type", ctype, m) for m in is_qualified_name(ctype))
        status = pattern.get("status") or ""
        if not status:
            out.append(errors.required(f"{ppath}.status", "valid values: " + _go_quoted_list(_CONDITION_STATUSES)))
        elif status not in _CONDITION_STATUSES:
            out.append(errors.not_supported(f"{ppath}.status", status, _CONDITION_STATUSES))
    return out


def _validate_job_spec_common(spec: Obj, path: str) -> list[errors.FieldError]:
    """kube's ``validateJobSpec``: counts, completion mode, policies, the pod template."""
    out: list[errors.FieldError] = []
    for key in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished",
                "backoffLimitPerIndex", "maxFailedIndexes"):
        out.extend(w.non_negative(spec.get(key), f"{path}.{key}"))
    if spec.get("maxFailedIndexes") is not None and spec.get("backoffLimitPerIndex") is None:
        out.append(errors.required(f"{path}.backoffLimitPerIndex", "when maxFailedIndexes is specified"))
    mode = spec.get("completionMode")
    parallelism, completions = _int(spec.get("parallelism")), _int(spec.get("completions"))
    max_failed = _int(spec.get("maxFailedIndexes"))
    if mode is not None:
        if mode not in ("NonIndexed", "Indexed"):
            out.append(errors.not_supported(f"{path}.completionMode", mode, ["NonIndexed", "Indexed"]))
        if mode == "Indexed":
            if spec.get("completions") is None:
                out.append(errors.required(f"{path}.completions", "when completion mode is Indexed"))
            if parallelism is not None and parallelism > _MAX_PARALLELISM_INDEXED:
                out.append(errors.invalid(f"{path}.parallelism", parallelism,
                                          f"must be less than or equal to {_MAX_PARALLELISM_INDEXED} "
                                          "when completion mode is Indexed"))
            if completions is not None and max_failed is not None and max_failed > completions:
                out.append(errors.invalid(f"{path}.maxFailedIndexes", max_failed,
                                          "must be less than or equal to completions"))
            if max_failed is not None and max_failed > _MAX_FAILED_INDEXES:
                out.append(errors.invalid(f"{path}.maxFailedIndexes", max_failed,
                                          f"must be less than or equal to {_MAX_FAILED_INDEXES}"))
    if mode in (None, "NonIndexed"):
        for key in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(key) is not None:
                out.append(errors.invalid(f"{path}.{key}", spec[key], "requires indexed completion mode"))
    out.extend(_validate_pod_failure_policy(spec, f"{path}.podFailurePolicy"))
    if spec.get("successPolicy") is not None and mode != "Indexed":
        out.append(errors.invalid(f"{path}.successPolicy", GoLiteral("batch.SuccessPolicy{...}"),
                                  "requires indexed completion mode"))
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None:
        if spec.get("podFailurePolicy") is not None:
            if replacement != "Failed":
                out.append(errors.not_supported(f"{path}.podReplacementPolicy", replacement, ["Failed"]))
        elif replacement not in ("Failed", "TerminatingOrFailed"):
            out.append(errors.not_supported(f"{path}.podReplacementPolicy", replacement,
                                            ["Failed", "TerminatingOrFailed"]))
    template = spec.get("template")
    tpath = f"{path}.template"
    if not isinstance(template, dict):
        template = {}
    tmeta = template.get("metadata")
    if isinstance(tmeta, dict):
        out.extend(metadata.validate_labels(tmeta.get("labels"), f"{tpath}.metadata.labels"))
        out.extend(metadata.validate_annotations(tmeta.get("annotations"), f"{tpath}.metadata.annotations"))
    found_spec = template.get("spec")
    pod_spec: Obj = found_spec if isinstance(found_spec, dict) else {}
    out.extend(w.validate_containers(pod_spec.get("containers"), f"{tpath}.spec"))
    policy = pod_spec.get("restartPolicy") or ""
    policy_path = f"{tpath}.spec.restartPolicy"
    if policy in ("Always", ""):
        out.append(errors.required(policy_path, 'valid values: "OnFailure", "Never"'))
    elif policy not in ("OnFailure", "Never"):
        out.append(errors.not_supported(policy_path, policy, ["OnFailure", "Never"]))
    elif spec.get("podFailurePolicy") is not None and policy != "Never":
        out.append(errors.invalid(policy_path, policy, 'only "Never" is supported when podFailurePolicy is specified'))
    return out


def _validate_job_spec(spec: Obj) -> list[errors.FieldError]:
    """``ValidateJobSpec``: the common checks, the selector, and that it matches the template."""
    out = _validate_job_spec_common(spec, "spec")
    selector = spec.get("selector")
    if selector is None:
        out.append(errors.required("spec.selector", ""))
    else:
        out.extend(metadata.validate_label_selector(selector, "spec.selector"))
    try:
        compiled = labels.as_selector(selector) if isinstance(selector, dict) else None
    except (SelectorError, TypeError, AttributeError):
        compiled = None
    if compiled is not None or selector is None:
        tlabels = w.get(spec, "template", "metadata", "labels")
        tlabels = tlabels if isinstance(tlabels, dict) else {}
        # A nil selector selects nothing (LabelSelectorAsSelector(nil) is labels.Nothing()).
        if compiled is None or not compiled.matches(tlabels):
            out.append(errors.invalid("spec.template.metadata.labels", w.go_string_map(tlabels or None),
                                      "`selector` does not match template `labels`"))
    return out


def _immutable(path: str, new: object, old: object) -> list[errors.FieldError]:
    if new == old:
        return []
    value: Any = new if isinstance(new, (int, str, bool)) or new is None else GoLiteral(_go_struct(new))
    return [errors.invalid(path, value, "field is immutable")]


def _go_struct(value: object) -> str:
    if isinstance(value, dict) and set(value) <= {"matchLabels", "matchExpressions"}:
        return str(w.go_label_selector(value))
    return str(value)


class JobStrategy(Strategy):
    """batch/v1 Job: defaults and a generated selector on create, status reset; ``/status``."""

    #: kube's job store: batch/v1 orphans a Job's pods unless the DELETE says otherwise,
    default_gc_policy = "OrphanDependents"
    #: and warns a DELETE that names no policy (read by the DELETE handler).
    delete_warning = ("child pods are preserved by default when jobs are deleted; set propagationPolicy=Background "
                      "to remove them or set propagationPolicy=Orphan to suppress this warning")

    def prepare_for_create(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        default_job_spec(spec)
        w.default_template(spec.get("template"))
        if spec.get("manualSelector") is not True:
            generate_selector(obj)
        _copy_template_labels(obj)
        obj["status"] = {}

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        default_job_spec(spec)
        w.default_template(spec.get("template"))
        _copy_template_labels(obj)

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        return self._validate(obj, prefixed=True)

    def _validate(self, obj: Obj, *, prefixed: bool) -> list[errors.FieldError]:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [errors.required("spec", "")]
        out = _validate_generated_selector(obj, prefixed)
        out.extend(_validate_job_spec(spec))
        completions = _int(spec.get("completions"))
        if spec.get("completionMode") == "Indexed" and completions is not None and completions > 0:
            name = str(w.get(obj, "metadata", "name") or "")
            hostname = f"{name}-{completions - 1}"
            if is_dns1123_label(hostname):
                out.append(errors.invalid("metadata.name", name,
                                          f"will not able to create pod with invalid DNS label: {hostname}"))
        return out

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        if obj.get("status") != old.get("status") and obj.get("spec") == old.get("spec"):
            # Only /status writes change the status (an update keeps the stored one): kube's
            # status strategy validates the status alone.
            return validate_job_status_update(obj, old)
        old_labels = w.get(old, "spec", "template", "metadata", "labels") or {}
        prefixed = JOB_NAME_LABEL in old_labels and CONTROLLER_UID_LABEL in old_labels
        out = self._validate(obj, prefixed=prefixed)
        spec, old_spec = obj.get("spec") or {}, old.get("spec") or {}
        if spec.get("completionMode") == "Indexed":
            if spec.get("completions") != old_spec.get("completions") and spec.get("completions") is not None \
                    and spec.get("completions") != spec.get("parallelism"):
                out.append(errors.invalid("spec.completions", spec.get("completions"),
                                          "can only be modified in tandem with spec.parallelism"))
        else:
            out.extend(_immutable("spec.completions", spec.get("completions"), old_spec.get("completions")))
        out.extend(_immutable("spec.selector", spec.get("selector"), old_spec.get("selector")))
        template, old_template = spec.get("template"), old_spec.get("template")
        if old_spec.get("suspend") is True and w.get(old, "status", "startTime") is None \
                and isinstance(template, dict) and isinstance(old_template, dict):
            # A suspended Job that never started may change its scheduling directives.
            old_template = {**old_template, "metadata": {**(old_template.get("metadata") or {}),
                                                         **_pick(template.get("metadata"), "labels", "annotations")},
                            "spec": {**(old_template.get("spec") or {}),
                                     **_pick(template.get("spec"), "nodeSelector", "tolerations",
                                             "schedulingGates", "affinity")}}
        out.extend(_immutable("spec.template", template, old_template))
        for key in ("completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy", "successPolicy"):
            out.extend(_immutable(f"spec.{key}", spec.get(key), old_spec.get(key)))
        return out

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        return obj.get("spec") != old.get("spec")


# --- status (ValidateJobUpdateStatus, with the checks kube's status strategy turns on) -------


def _cond_true(job: Obj, kind: str) -> bool:
    return any(isinstance(c, dict) and c.get("type") == kind and c.get("status") == "True"
               for c in w.get(job, "status", "conditions") or ())


def _as_dict(value: object) -> Obj:
    return value if isinstance(value, dict) else {}


def _go_time(value: object) -> GoLiteral:
    """A ``*metav1.Time`` as a field error prints it (``time.Time.String``)."""
    t = parse_time(value)
    return GoLiteral(t.strftime("%Y-%m-%d %H:%M:%S +0000 UTC") if t is not None else str(value))


def _go_uids(values: object) -> str:
    uids = [v for v in values if isinstance(v, str)] if isinstance(values, list) else []
    if not uids:
        return "[]types.UID(nil)"
    return "[]types.UID{" + ", ".join(f'"{v}"' for v in uids) + "}"


def validate_job_status_update(job: Obj, old: Obj) -> list[errors.FieldError]:
    """``ValidateJobStatusUpdate`` with the options of ``getStatusValidationOptions`` (JobManagedBy on)."""
    out: list[errors.FieldError] = []
    status = _as_dict(job.get("status"))
    old_status = _as_dict(old.get("status"))
    spec = _as_dict(job.get("spec"))

    def changed(key: str) -> bool:
        return bool(status.get(key) != old_status.get(key))

    def cond_changed(kind: str) -> bool:
        return _cond_true(job, kind) != _cond_true(old, kind)

    complete, failed = _cond_true(job, "Complete"), _cond_true(job, "Failed")
    finished = complete or failed
    finished_changed = finished != (_cond_true(old, "Complete") or _cond_true(old, "Failed"))
    target, met = _cond_true(job, "FailureTarget"), _cond_true(job, "SuccessCriteriaMet")
    for key in ("active", "succeeded", "failed", "ready", "terminating"):
        out.extend(w.non_negative(status.get(key), f"status.{key}"))
    uncounted = status.get("uncountedTerminatedPods")
    if isinstance(uncounted, dict):
        seen: set[str] = set()
        for kind in ("succeeded", "failed"):
            for i, uid in enumerate(uncounted.get(kind) or ()):
                path = f"status.uncountedTerminatedPods.{kind}[{i}]"
                if not uid:
                    out.append(errors.invalid(path, "", "must not be empty"))
                elif uid in seen:
                    out.append(errors.duplicate(path, uid))
                else:
                    seen.add(uid)
    conditions = "status.conditions"
    if (cond_changed("Complete") or cond_changed("Failed")) and complete and failed:
        out.append(errors.invalid(conditions, OMIT, "cannot set Complete=True and Failed=true conditions"))
    if (cond_changed("Complete") or cond_changed("FailureTarget")) and complete and target:
        out.append(errors.invalid(conditions, OMIT, "cannot set Complete=True and FailureTarget=true conditions"))
    completion = status.get("completionTime")
    if (cond_changed("Complete") or changed("completionTime")) and completion and not complete:
        out.append(errors.invalid("status.completionTime", _go_time(completion),
                                  "cannot set completionTime when there is no Complete=True condition"))
    if (cond_changed("Complete") or changed("completionTime")) and not completion and complete:
        out.append(errors.required("status.completionTime", "completionTime is required for Complete jobs"))
    start, end = parse_time(status.get("startTime")), parse_time(completion)
    if (changed("startTime") or changed("completionTime")) and start and end and end < start:
        out.append(errors.invalid("status.completionTime", _go_time(completion),
                                  "completionTime cannot be set before startTime"))
    if (cond_changed("Failed") or changed("failedIndexes")) and failed and not target:
        out.append(errors.invalid(conditions, OMIT,
                                  "cannot set Failed=True condition without the FailureTarget=true condition"))
    if (cond_changed("Complete") or cond_changed("SuccessCriteriaMet")) and complete and not met:
        out.append(errors.invalid(conditions, OMIT,
                                  "cannot set Complete=True condition without the SuccessCriteriaMet=true condition"))
    active = _int(status.get("active")) or 0
    if (finished_changed or changed("active")) and active > 0 and finished:
        out.append(errors.invalid("status.active", active, "active>0 is invalid for finished job"))
    if (finished_changed or changed("startTime")) and not status.get("startTime") and finished:
        out.append(errors.required("status.startTime", "startTime is required for finished job"))
    if (finished_changed or changed("uncountedTerminatedPods")) and finished and isinstance(uncounted, dict) \
            and (uncounted.get("succeeded") or uncounted.get("failed")):
        value = GoLiteral(f"&batch.UncountedTerminatedPods{{Succeeded:{_go_uids(uncounted.get('succeeded'))}, "
                          f"Failed:{_go_uids(uncounted.get('failed'))}}}")
        out.append(errors.invalid("status.uncountedTerminatedPods", value,
                                  "uncountedTerminatedPods needs to be empty for finished job"))
    indexed = spec.get("completionMode") == "Indexed"
    if changed("completedIndexes") and status.get("completedIndexes") and not indexed:
        out.append(errors.invalid("status.completedIndexes", status["completedIndexes"],
                                  "cannot set non-empty completedIndexes when non-indexed completion mode"))
    if changed("failedIndexes") and spec.get("backoffLimitPerIndex") is None and status.get("failedIndexes") is not None:
        out.append(errors.invalid("status.failedIndexes", status["failedIndexes"],
                                  "cannot set non-null failedIndexes when backoffLimitPerIndex is null"))
    terminating = _int(status.get("terminating")) or 0
    if (finished_changed or changed("terminating")) and terminating > 0 and finished:
        out.append(errors.invalid("status.terminating", terminating, "terminating>0 is invalid for finished job"))
    ready = _int(status.get("ready"))
    if (changed("ready") or changed("active")) and ready is not None and ready > active:
        out.append(errors.invalid("status.ready", ready, "cannot set more ready pods than active"))
    if met and failed:
        out.append(errors.invalid(conditions, OMIT, "cannot set SuccessCriteriaMet=True and Failed=true conditions"))
    if met and target:
        out.append(errors.invalid(conditions, OMIT,
                                  "cannot set SuccessCriteriaMet=True and FailureTarget=true conditions"))
    if spec.get("successPolicy") is not None and not met and complete:
        out.append(errors.invalid(conditions, OMIT,
                                  "cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True"))
    for kind in ("Failed", "Complete", "FailureTarget"):
        if _cond_true(old, kind) and not _cond_true(job, kind):
            out.append(errors.invalid(conditions, OMIT, f"cannot disable the terminal {kind}=True condition"))
    for key in ("failed", "succeeded"):
        if key == "succeeded" and indexed and spec.get("completions") == spec.get("parallelism"):
            continue
        new_count, old_count = _int(status.get(key)) or 0, _int(old_status.get(key)) or 0
        if new_count < old_count:
            out.append(errors.invalid(f"status.{key}", new_count, f"cannot decrease the {key} counter"))
    old_completion = old_status.get("completionTime")
    if completion and old_completion and completion != old_completion:
        out.append(errors.invalid("status.completionTime", _go_time(completion), "completionTime cannot be mutated"))
    if _cond_true(old, "SuccessCriteriaMet") and not met:
        out.append(errors.invalid(conditions, OMIT, "cannot disable the SuccessCriteriaMet=True condition"))
    if _cond_true(old, "Complete") and not _cond_true(old, "SuccessCriteriaMet") and met:
        out.append(errors.invalid(conditions, OMIT,
                                  "cannot set SuccessCriteriaMet=True for Job already has Complete=true conditions"))
    return out


def _pick(source: object, *keys: str) -> Obj:
    if not isinstance(source, dict):
        return {}
    return {k: source[k] for k in keys if k in source}


# --- CronJob --------------------------------------------------------------------------


def validate_schedule(schedule: str, allow_tz: bool, time_zone: object, path: str) -> list[errors.FieldError]:
    """``validateScheduleFormat``."""
    out: list[errors.FieldError] = []
    try:
        cron.parse_standard(schedule)
    except cron.CronError as e:
        out.append(errors.invalid(path, schedule, str(e)))
    if allow_tz and "TZ" in schedule and time_zone is not None:
        out.append(errors.invalid(path, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
    elif not allow_tz and "TZ" in schedule:
        out.append(errors.invalid(path, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
    return out


def validate_time_zone(tz: object, path: str) -> list[errors.FieldError]:
    """``validateTimeZone``."""
    if tz is None:
        return []
    text = str(tz)
    if not text:
        return [errors.invalid(path, text, "timeZone must be nil or non-empty string")]
    for part in text.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TZ_PART.match(part):
            return [errors.invalid(path, text, f"unknown time zone {text}")]
    out: list[errors.FieldError] = []
    if text.lower() == "local":
        out.append(errors.invalid(path, text,
                                  "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"))
    try:
        cron.load_location(text)
    except cron.CronError as e:
        out.append(errors.invalid(path, text, str(e)))
    return out


class CronJobStrategy(Strategy):
    """batch/v1 CronJob: ``SetDefaults_CronJob``, status reset on create; ``/status``."""

    def prepare_for_create(self, obj: Obj) -> None:
        self._default(obj)
        obj["status"] = {}

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        self._default(obj)

    @staticmethod
    def _default(obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        if not spec.get("concurrencyPolicy"):
            spec["concurrencyPolicy"] = "Allow"
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
        job_spec = w.get(spec, "jobTemplate", "spec")
        if isinstance(job_spec, dict):
            _default_pod_failure_policy(job_spec)
            w.default_template(job_spec.get("template"))

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        out = self._validate_spec(obj, None)
        name = str(w.get(obj, "metadata", "name") or "")
        if len(name) > 52:
            out.append(errors.invalid("metadata.name", name, "must be no more than 52 characters"))
        return out

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        return self._validate_spec(obj, old.get("spec") if isinstance(old.get("spec"), dict) else {})

    @staticmethod
    def _validate_spec(obj: Obj, old_spec: Obj | None) -> list[errors.FieldError]:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [errors.required("spec", "")]
        out: list[errors.FieldError] = []
        schedule = spec.get("schedule")
        if not schedule:
            out.append(errors.required("spec.schedule", ""))
        else:
            allow_tz = old_spec is not None and "TZ" in str(old_spec.get("schedule") or "")
            out.extend(validate_schedule(str(schedule), allow_tz, spec.get("timeZone"), "spec.schedule"))
        out.extend(w.non_negative(spec.get("startingDeadlineSeconds"), "spec.startingDeadlineSeconds"))
        if old_spec is None or old_spec.get("timeZone") != spec.get("timeZone"):
            out.extend(validate_time_zone(spec.get("timeZone"), "spec.timeZone"))
        policy = spec.get("concurrencyPolicy") or ""
        if not policy:
            out.append(errors.required("spec.concurrencyPolicy", ""))
        elif policy not in ("Allow", "Forbid", "Replace"):
            out.append(errors.not_supported("spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]))
        job_spec = w.get(spec, "jobTemplate", "spec")
        job_spec = job_spec if isinstance(job_spec, dict) else {}
        out.extend(_validate_job_spec_common(job_spec, "spec.jobTemplate.spec"))
        if job_spec.get("selector") is not None:
            out.append(errors.invalid("spec.jobTemplate.spec.selector", w.go_label_selector(job_spec["selector"]),
                                      "`selector` will be auto-generated"))
        if job_spec.get("manualSelector") is True:
            out.append(errors.not_supported("spec.jobTemplate.spec.manualSelector", GoLiteral("true"),
                                            ["nil", "false"]))
        for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
            out.extend(w.non_negative(spec.get(key), f"spec.{key}"))
        return out

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        return obj.get("spec") != old.get("spec")


# --- columns --------------------------------------------------------------------------


def _has_condition(obj: Obj, kind: str) -> bool:
    for c in w.get(obj, "status", "conditions") or []:
        if isinstance(c, dict) and c.get("type") == kind and c.get("status") == "True":
            return True
    return False


def job_status(obj: Obj) -> str:
    """``printJob``'s STATUS."""
    if _has_condition(obj, "Complete"):
        return "Complete"
    if _has_condition(obj, "Failed"):
        return "Failed"
    if w.get(obj, "metadata", "deletionTimestamp"):
        return "Terminating"
    for kind in ("Suspended", "FailureTarget", "SuccessCriteriaMet"):
        if _has_condition(obj, kind):
            return kind
    return "Running"


def _job_completions(obj: Obj) -> str:
    succeeded = w.int_at(obj, "status", "succeeded")
    completions = _int(w.get(obj, "spec", "completions"))
    if completions is not None:
        return f"{succeeded}/{completions}"
    parallelism = w.int_at(obj, "spec", "parallelism")
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _job_duration(obj: Obj) -> str:
    start = parse_time(w.get(obj, "status", "startTime"))
    if start is None:
        return ""
    end = parse_time(w.get(obj, "status", "completionTime")) or datetime.now(UTC)
    return human_duration(end - start)


def _template_containers(obj: Obj) -> tuple[str, str]:
    return w.containers_and_images({"spec": w.get(obj, "spec", "jobTemplate", "spec") or {}})


def _cron_last_schedule(obj: Obj) -> str:
    last = w.get(obj, "status", "lastScheduleTime")
    return age_since(last) if last else "<none>"


def _bool_ptr(value: object) -> str:
    return "<unset>" if value is None else ("True" if value else "False")


_WIDE_CONTAINERS = "Names of each container in the template."
_WIDE_IMAGES = "Images referenced by each container in the template."

_JOB_COLUMNS = (
    NAME_COLUMN,
    Column("Status", "string", job_status, description="Status of the job."),
    Column("Completions", "string", _job_completions, description=description(_BATCH + "JobStatus", "succeeded")),
    Column("Duration", "string", _job_duration, description="Time required to complete the job."),
    AGE_COLUMN,
    Column("Containers", "string", w.template_containers, priority=1, description=_WIDE_CONTAINERS),
    Column("Images", "string", w.template_images, priority=1, description=_WIDE_IMAGES),
    Column("Selector", "string", w.spec_selector, priority=1, description=description(_BATCH + "JobSpec", "selector")),
)

_CRON_JOB_COLUMNS = (
    NAME_COLUMN,
    Column("Schedule", "string", lambda o: str(w.get(o, "spec", "schedule") or ""),
           description=description(_BATCH + "CronJobSpec", "schedule")),
    Column("Timezone", "string", lambda o: str(w.get(o, "spec", "timeZone") or "<none>")
           if w.get(o, "spec", "timeZone") is not None else "<none>",
           description=description(_BATCH + "CronJobSpec", "timeZone")),
    Column("Suspend", "boolean", lambda o: _bool_ptr(w.get(o, "spec", "suspend")),
           description=description(_BATCH + "CronJobSpec", "suspend")),
    Column("Active", "integer", lambda o: len(w.get(o, "status", "active") or []),
           description=description(_BATCH + "CronJobStatus", "active")),
    Column("Last Schedule", "string", _cron_last_schedule,
           description=description(_BATCH + "CronJobStatus", "lastScheduleTime")),
    AGE_COLUMN,
    Column("Containers", "string", lambda o: _template_containers(o)[0], priority=1, description=_WIDE_CONTAINERS),
    Column("Images", "string", lambda o: _template_containers(o)[1], priority=1, description=_WIDE_IMAGES),
    Column("Selector", "string", lambda o: w.format_selector(w.get(o, "spec", "jobTemplate", "spec", "selector")),
           priority=1, description=description(_BATCH + "JobSpec", "selector")),
)


def resources() -> list[Resource]:
    """batch/v1's kinds, freshly made."""
    status = frozenset({"status"})
    return [
        declare("batch", "v1", "Job", "jobs", "job", True, JobStrategy(), categories=("all",),
                subresources=status, columns=_JOB_COLUMNS,
                field_getters={"status.successful": lambda o: str(w.int_at(o, "status", "succeeded"))}),
        declare("batch", "v1", "CronJob", "cronjobs", "cronjob", True, CronJobStrategy(), short_names=("cj",),
                categories=("all",), subresources=status, columns=_CRON_JOB_COLUMNS),
    ]


__all__ = ["CONTROLLER_UID_LABEL", "JOB_NAME_LABEL", "CronJobStrategy", "JobStrategy", "resources"]
