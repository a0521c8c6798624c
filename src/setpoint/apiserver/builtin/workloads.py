"""What the workload kinds share: pod template defaults and checks, selectors, printer cells.

kube's ``SetDefaults_PodSpec``/``SetDefaults_Container`` (``pkg/apis/core/v1/defaults.go``)
as they apply to a pod template, ``ValidatePodTemplateSpecForReplicaSet`` of
``pkg/apis/apps/validation/validation.go``, and the cells its printers share
(``pkg/printers/internalversion/printers.go``).
"""

from __future__ import annotations

from typing import Any

from setpoint.apimachinery import labels
from setpoint.apimachinery.selection import SelectorError
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.encoding.errors import GoLiteral
from setpoint.apiserver.registry import metadata


def get(obj: Any, *path: str) -> Any:
    """The value at ``path`` (None when a step is missing or not an object)."""
    cur = obj
    for part in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def image_pull_policy(image: object) -> str:
    """``SetDefaults_Container``'s pull policy: Always for ``:latest`` or no tag."""
    if not isinstance(image, str):
        return "IfNotPresent"
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    return "Always" if ":" not in name or name.endswith(":latest") else "IfNotPresent"


def default_template(template: object) -> None:
    """Default a pod template's spec in place (``SetDefaults_PodSpec`` and the containers').

    ``SetDefaults_Pod`` (requests from limits, ``enableServiceLinks``) is not
    applied to templates, as in kube.
    """
    spec = get(template, "spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("securityContext", {})
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            if not isinstance(c, dict):
                continue
            c.setdefault("imagePullPolicy", image_pull_policy(c.get("image")))
            c.setdefault("terminationMessagePath", "/dev/termination-log")
            c.setdefault("terminationMessagePolicy", "File")
            c.setdefault("resources", {})
            for port in c.get("ports") or []:
                if isinstance(port, dict):
                    port.setdefault("protocol", "TCP")


def go_string_map(value: object) -> GoLiteral:
    """A ``map[string]string`` as Go's ``%#v`` prints it (keys sorted)."""
    if not isinstance(value, dict) or value is None:
        return GoLiteral("map[string]string(nil)")
    inner = ", ".join(f"{_go_quote(k)}:{_go_quote(v)}" for k, v in sorted(value.items()))
    return GoLiteral(f"map[string]string{{{inner}}}")


def _go_quote(value: object) -> str:
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def go_label_selector(selector: object) -> GoLiteral:
    """A ``metav1.LabelSelector`` as Go's ``%#v`` prints it (a field error's bad value)."""
    if not isinstance(selector, dict):
        return GoLiteral("null")
    match_labels = selector.get("matchLabels")
    ml = go_string_map(match_labels) if isinstance(match_labels, dict) else "map[string]string(nil)"
    exprs = selector.get("matchExpressions")
    if isinstance(exprs, list) and exprs:
        parts = []
        for e in exprs:
            e = e if isinstance(e, dict) else {}
            values = e.get("values")
            vs = ("[]string{" + ", ".join(_go_quote(v) for v in values) + "}"
                  if isinstance(values, list) else "[]string(nil)")
            parts.append(f'v1.LabelSelectorRequirement{{Key:{_go_quote(e.get("key", ""))}, '
                         f'Operator:{_go_quote(e.get("operator", ""))}, Values:{vs}}}')
        me = "[]v1.LabelSelectorRequirement{" + ", ".join(parts) + "}"
    else:
        me = "[]v1.LabelSelectorRequirement(nil)"
    return GoLiteral(f"v1.LabelSelector{{MatchLabels:{ml}, MatchExpressions:{me}}}")


def selector_string(selector: object) -> str:
    """``metav1.LabelSelectorAsSelector(s).String()`` ("" for nil or an invalid one)."""
    if not isinstance(selector, dict):
        return ""
    try:
        return str(labels.as_selector(selector))
    except SelectorError:
        return ""


def format_selector(selector: object) -> str:
    """``metav1.FormatLabelSelector``: the selector string, ``<none>`` when empty."""
    text = selector_string(selector)
    return text or "<none>"


def _is_empty_selector(selector: Obj) -> bool:
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def validate_selector_and_template(spec: Obj, kind: str) -> list[errors.FieldError]:
    """The selector (required, not empty, valid) and the template it must match.

    ``kind`` is the word kube's message uses (``deployment``, ``replicaset``...).
    """
    out: list[errors.FieldError] = []
    selector = spec.get("selector")
    template = spec.get("template")
    compiled: labels.Selector | None = None
    if selector is None:
        out.append(errors.required("spec.selector", ""))
    elif isinstance(selector, dict):
        out.extend(metadata.validate_label_selector(selector, "spec.selector"))
        if _is_empty_selector(selector):
            out.append(errors.invalid("spec.selector", go_label_selector(selector),
                                      f"empty selector is invalid for {kind}"))
        else:
            try:
                compiled = labels.as_selector(selector)
            except SelectorError:
                compiled = None
    if not isinstance(template, dict):
        out.append(errors.required("spec.template", ""))
        return out
    template_labels = get(template, "metadata", "labels")
    if compiled is not None and not compiled.matches(template_labels if isinstance(template_labels, dict) else {}):
        out.append(errors.invalid("spec.template.metadata.labels", go_string_map(template_labels),
                                  "`selector` does not match template `labels`"))
    out.extend(validate_pod_template(template, "spec.template", restart_policies=("Always",)))
    return out


def validate_pod_template(template: Obj, path: str, *, restart_policies: tuple[str, ...]) -> list[errors.FieldError]:
    """The template's pod spec: containers named and with images, the restart policy allowed."""
    out: list[errors.FieldError] = []
    spec = template.get("spec")
    if not isinstance(spec, dict):
        return [errors.required(f"{path}.spec.containers", "")]
    policy = spec.get("restartPolicy")
    if policy not in restart_policies:
        out.append(errors.not_supported(f"{path}.spec.restartPolicy", policy, list(restart_policies)))
    out.extend(validate_containers(spec.get("containers"), f"{path}.spec"))
    return out


def validate_containers(containers: object, path: str) -> list[errors.FieldError]:
    """A pod spec's ``containers`` under ``path``: at least one, each an object with a unique
    DNS-1123 label name and an image."""
    if not isinstance(containers, list) or not containers:
        return [errors.required(f"{path}.containers", "")]
    out: list[errors.FieldError] = []
    seen: set[str] = set()
    for i, c in enumerate(containers):
        cpath = f"{path}.containers[{i}]"
        if not isinstance(c, dict):
            out.append(errors.type_invalid(cpath, c, "must be an object"))
            continue
        name = c.get("name")
        if not isinstance(name, str) or not name:
            out.append(errors.required(f"{cpath}.name", ""))
        else:
            out.extend(errors.invalid(f"{cpath}.name", name, m) for m in metadata.is_dns1123_label(name))
            if name in seen:
                out.append(errors.duplicate(f"{cpath}.name", name))
            seen.add(name)
        if not isinstance(c.get("image"), str) or not c.get("image"):
            out.append(errors.required(f"{cpath}.image", ""))
    return out


def non_negative(value: object, path: str) -> list[errors.FieldError]:
    """``ValidateNonnegativeField``."""
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [errors.invalid(path, value, "must be greater than or equal to 0")]
    return []


# --- printer cells ------------------------------------------------------------------


def containers_and_images(obj: Obj) -> tuple[str, str]:
    """``layoutContainerCells``: the template's container names and images, comma-joined."""
    containers = get(obj, "spec", "template", "spec", "containers")
    names: list[str] = []
    images: list[str] = []
    for c in containers if isinstance(containers, list) else ():
        if isinstance(c, dict):
            names.append(str(c.get("name", "")))
            images.append(str(c.get("image", "")))
    return ",".join(names), ",".join(images)


def template_containers(obj: Obj) -> str:
    return containers_and_images(obj)[0]


def template_images(obj: Obj) -> str:
    return containers_and_images(obj)[1]


def spec_selector(obj: Obj) -> str:
    return format_selector(get(obj, "spec", "selector"))


def int_at(obj: Obj, *path: str) -> int:
    value = get(obj, *path)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# --- int-or-percent (``pkg/apis/apps/validation``) ------------------------------------------

_PERCENT_MESSAGE = ("a valid percent string must be a numeric string followed by an ending '%' "
                    "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")


def go_quote(value: object) -> str:
    """A string as Go's ``%#v``/``%q`` prints it."""
    return _go_quote(value)


def go_int_or_string(value: object) -> GoLiteral:
    """An ``intstr.IntOrString`` as Go's ``%#v`` prints it (its ``String`` has a pointer receiver)."""
    if isinstance(value, str):
        return GoLiteral(f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{_go_quote(value)}}}")
    number = value if isinstance(value, int) and not isinstance(value, bool) else 0
    return GoLiteral(f'intstr.IntOrString{{Type:0, IntVal:{number}, StrVal:""}}')


def _percent(value: object) -> int | None:
    """``getPercentValue``: the number of a valid ``N%`` string, else None."""
    if isinstance(value, str) and len(value) > 1 and value.endswith("%") and value[:-1].isdigit() \
            and value[:-1].isascii():
        return int(value[:-1])
    return None


def int_or_percent_value(value: object) -> int:
    """``getIntOrPercentValue``: the percentage or the integer (0 for anything else)."""
    percent = _percent(value)
    if percent is not None:
        return percent
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def validate_positive_int_or_percent(value: object, path: str) -> list[errors.FieldError]:
    """``ValidatePositiveIntOrPercent``."""
    if isinstance(value, str):
        return [] if _percent(value) is not None else [errors.invalid(path, go_int_or_string(value), _PERCENT_MESSAGE)]
    return non_negative(value, path)


def not_more_than_100_percent(value: object, path: str) -> list[errors.FieldError]:
    """``IsNotMoreThan100Percent``."""
    percent = _percent(value)
    if percent is None or percent <= 100:
        return []
    return [errors.invalid(path, go_int_or_string(value), "must not be greater than 100%")]


def format_labels(value: object) -> str:
    """``labels.FormatLabels``: ``k=v`` sorted and comma-joined, ``<none>`` when empty."""
    if not isinstance(value, dict) or not value:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(value.items()))
