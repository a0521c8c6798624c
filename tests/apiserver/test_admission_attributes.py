"""Admission attributes (the copy a create makes once it knows the object's name) and the chain
of plugins."""

from __future__ import annotations

import dataclasses

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.registry.admission import AdmissionChain, Attributes, UserInfo


def test_with_name_is_replace_of_the_name_alone() -> None:
    # Every field set to a value of its own, so a field passed in the wrong place shows.
    attrs = Attributes(UserInfo("u", ("g",)), "create", "apps", "v1", "deployments", "scale", "ns", "",
                       "Scale", True, "/p", False, ["w"], {"a": "b"}, ("autoscaling", "v1"))
    named = attrs.with_name("web")
    assert named == dataclasses.replace(attrs, name="web")
    assert [getattr(named, f.name) for f in dataclasses.fields(Attributes) if f.name != "name"] == \
        [getattr(attrs, f.name) for f in dataclasses.fields(Attributes) if f.name != "name"]
    assert named.warnings is attrs.warnings and named.annotations is attrs.annotations


class _Recorder:
    """A plugin that writes down each call."""

    def __init__(self, name: str, calls: list[str]) -> None:
        self.name, self.calls = name, calls

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        self.calls.append(f"{self.name}.admit {attrs.resource}")

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        self.calls.append(f"{self.name}.validate {attrs.resource}")


class _PodsOnly(_Recorder):
    resources = frozenset({("", "pods")})
    validating = False


class _ValidatingOnly(_Recorder):
    mutating = False


def _attrs(resource: str) -> Attributes:
    return Attributes(UserInfo("u"), "create", "", "v1", resource, "", "ns", "x")


async def test_the_chain_calls_each_plugin_only_for_what_it_says_it_looks_at() -> None:
    calls: list[str] = []
    chain = AdmissionChain([_Recorder("every", calls), _PodsOnly("pods", calls), _ValidatingOnly("check", calls)])
    for resource in ("pods", "configmaps"):
        await chain.admit(_attrs(resource), {}, None)
        await chain.validate(_attrs(resource), {}, None)
    assert calls == ["every.admit pods", "pods.admit pods", "every.validate pods", "check.validate pods",
                     "every.admit configmaps", "every.validate configmaps", "check.validate configmaps"]
    # A plugin added once the chain has run is called from then on, in its place.
    calls.clear()
    chain.plugins.insert(0, _Recorder("late", calls))
    await chain.admit(_attrs("configmaps"), {}, None)
    assert calls == ["late.admit configmaps", "every.admit configmaps"]


class _Quiet(_Recorder):
    """A plugin that says, per request, whether it has anything to do."""

    def admits(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> bool:
        return attrs.name == "admit-me"

    def validates(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> bool:
        return obj is not None and obj.get("check") is True


async def test_the_chain_skips_a_step_its_plugin_says_has_nothing_to_do() -> None:
    calls: list[str] = []
    chain = AdmissionChain([_Quiet("quiet", calls), _Recorder("every", calls)])
    await chain.admit(_attrs("configmaps"), {}, None)
    await chain.validate(_attrs("configmaps"), {}, None)
    assert calls == ["every.admit configmaps", "every.validate configmaps"]
    calls.clear()
    await chain.admit(_attrs("configmaps").with_name("admit-me"), {}, None)
    await chain.validate(_attrs("configmaps"), {"check": True}, None)
    assert calls == ["quiet.admit configmaps", "every.admit configmaps",
                     "quiet.validate configmaps", "every.validate configmaps"]
