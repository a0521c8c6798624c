"""Admission attributes: the copy a create makes once it knows the object's name."""

from __future__ import annotations

import dataclasses

from setpoint.apiserver.registry.admission import Attributes, UserInfo


def test_with_name_is_replace_of_the_name_alone() -> None:
    # Every field set to a value of its own, so a field passed in the wrong place shows.
    attrs = Attributes(UserInfo("u", ("g",)), "create", "apps", "v1", "deployments", "scale", "ns", "",
                       "Scale", True, "/p", False, ["w"], {"a": "b"}, ("autoscaling", "v1"))
    named = attrs.with_name("web")
    assert named == dataclasses.replace(attrs, name="web")
    assert [getattr(named, f.name) for f in dataclasses.fields(Attributes) if f.name != "name"] == \
        [getattr(attrs, f.name) for f in dataclasses.fields(Attributes) if f.name != "name"]
    assert named.warnings is attrs.warnings and named.annotations is attrs.annotations
