"""Which collected tests are perf tests, and their settings from their markers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pytest

from pytest_perfguard.config.settings import marker_settings
from pytest_perfguard.model import BenchSettings

if TYPE_CHECKING:
    from pytest_perfguard.judge.scaling_groups import Member

__all__ = ["is_perf", "scaling_members", "settings_of"]


def is_perf(item: pytest.Item, names: Sequence[str]) -> bool:
    """A test marked with, or using the fixture of, one of `names` ("perf", "benchmark")."""
    fixtures = getattr(item, "fixturenames", ())
    return any(item.get_closest_marker(n) is not None or n in fixtures for n in names)


def settings_of(
    item: pytest.Item, names: Sequence[str], defaults: BenchSettings
) -> tuple[BenchSettings, tuple[str, ...]]:
    """A perf test's settings from its markers, and notes about them; SettingsError."""
    perf = item.get_closest_marker("perf")
    args, kwargs = (perf.args, perf.kwargs) if perf else ((), {})
    bench = item.get_closest_marker("benchmark") if "benchmark" in names else None
    if bench is None:
        return marker_settings(defaults, args, kwargs, item.nodeid), ()
    from pytest_perfguard.compat.marker import perf_keywords, unused_note

    mapped, unused = perf_keywords(bench.args, bench.kwargs, item.nodeid)
    settings = marker_settings(defaults, (), mapped, item.nodeid, marker="benchmark")
    if perf is not None:
        settings = marker_settings(settings, args, kwargs, item.nodeid)
    return settings, (unused_note(unused),) if unused else ()


def scaling_members(
    cases: Sequence[tuple[pytest.Item, BenchSettings]],
) -> dict[str, Member] | str:
    """The cases of one test function's `scale` groups (at least 3 sizes over 8x each), by
    node id; the error when a group is not one."""
    scaled = [(item, settings) for item, settings in cases if settings.scale]
    if not scaled:
        return {}
    from pytest_perfguard.judge.scaling_groups import members

    scale = scaled[0][1].scale
    assert scale is not None
    params = [(item.nodeid, getattr(item, "callspec", None)) for item, _ in scaled]
    return members(scale, [(n, {} if c is None else dict(c.params)) for n, c in params])
