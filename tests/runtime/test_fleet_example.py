"""Runs the fleet example's tests (examples/fleet: the mirror controller, the cross-cluster disruption
budget) in the suite."""

from __future__ import annotations

import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fleet"
sys.path.insert(0, str(EXAMPLE))

from test_fleet_operator import (  # type: ignore[import-not-found]  # noqa: E402
    test_a_mirrored_configmap_reaches_every_member_and_goes_with_its_source,
)
from test_xpdb import (  # type: ignore[import-not-found]  # noqa: E402
    test_concurrent_drains_on_three_clusters_never_break_the_budget,
    test_max_unavailable_counts_the_controllers_replicas_and_an_unreachable_member_refuses,
)

__all__ = ["test_a_mirrored_configmap_reaches_every_member_and_goes_with_its_source",
           "test_concurrent_drains_on_three_clusters_never_break_the_budget",
           "test_max_unavailable_counts_the_controllers_replicas_and_an_unreachable_member_refuses"]
