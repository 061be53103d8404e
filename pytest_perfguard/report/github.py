"""Render failing regressions as GitHub Actions `::error` workflow commands (pure)."""

# No `from __future__ import annotations`: it would bind the name `annotations`, which this
# module's public function needs; every annotation here is valid at runtime on Python 3.10.

from collections.abc import Sequence

from pytest_perfguard.judge.scaling_groups import GroupResult
from pytest_perfguard.model import BenchResult, Comparison
from pytest_perfguard.report.terminal import describe_metric
from pytest_perfguard.report.where import top_line

__all__ = ["annotations", "escape_data", "escape_property"]


def escape_data(text: str) -> str:
    """Escape a command's message: GitHub decodes these three and ends the command at a newline."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value, where `:` ends the properties and `,` separates them."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _test_name(nodeid: str) -> str:
    # The file is already in the annotation; the title names the test within it.
    return nodeid.split("::", 1)[1] if "::" in nodeid else nodeid


def _command(location: tuple[str, int] | None, title: str, message: str) -> str:
    properties = []
    if location is not None:
        path, line = location
        properties += [f"file={escape_property(path)}", f"line={line}"]
    properties.append(f"title={escape_property(title)}")
    return f"::error {','.join(properties)}::{escape_data(message)}"


def _function(nodeid: str) -> str:
    """The test function a case or a scaling group belongs to: its node id without params."""
    return nodeid.split("[", 1)[0]


def annotations(
    comparisons: Sequence[Comparison],
    results: Sequence[BenchResult],
    scaling: Sequence[GroupResult] = (),
) -> list[str]:
    """One `::error` command per benchmark failing on a non-advisory regression, and one per
    failure of a scaling group (a regressed fit, a `limit_scaling` exceeded).

    The annotation points at the test function when its result carries a location (path
    relative to the rootdir, 1-based line); without one it is still emitted, unanchored.
    """
    locations = {r.nodeid: r.location for r in results if r.location is not None}
    commands = []
    for c in comparisons:
        if not c.failing:
            continue
        message = "; ".join(describe_metric(m) for m in c.failing)
        if c.where is not None:
            message += f"\n{top_line(c.where)}"
        title = f"perfguard: {_test_name(c.nodeid)} regressed"
        commands.append(_command(locations.get(c.nodeid), title, message))
    by_function = {_function(nodeid): at for nodeid, at in locations.items()}
    for g in scaling:
        title = f"perfguard: {_test_name(g.group)} scaling"
        for failure in g.failures:
            message = failure.removeprefix(f"{g.group}: ")
            commands.append(_command(by_function.get(_function(g.group)), title, message))
    return commands
