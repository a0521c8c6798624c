"""Runs the tutorial's example test (examples/configwatcher) as part of the suite."""

from __future__ import annotations

import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "configwatcher"
sys.path.insert(0, str(EXAMPLE))

from test_configwatcher import (  # type: ignore[import-not-found]  # noqa: E402
    test_pods_are_restarted_when_their_configmap_changes,
    test_the_schema_refuses_a_watcher_without_pods,
)

__all__ = ["test_pods_are_restarted_when_their_configmap_changes", "test_the_schema_refuses_a_watcher_without_pods"]
