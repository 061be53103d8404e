"""`@pytest.mark.benchmark(...)` keywords: which become perfguard marker keywords, which are
accepted and left unused (and why), which are errors."""

from __future__ import annotations

from collections.abc import Mapping

from pytest_perfguard.config.settings import check_marker_arguments

__all__ = ["KEYWORDS", "perf_keywords", "unused_note"]

MAPPED = ("group", "max_time", "min_rounds")
"""Keywords with the same meaning in `@pytest.mark.perf`."""

UNUSED = {
    "min_time": "rounds are calibrated to ~200 us",
    "timer": "the clock is time.perf_counter_ns",
    "disable_gc": "GC stays on, turning it off hides real cost",
    "warmup": "perfguard always warms up with warmup calls before calibrating",
    "warmup_iterations": "perfguard always warms up with warmup calls before calibrating",
    "calibration_precision": "rounds are calibrated to ~200 us",
    "precision": "rounds run until max_time; the gate's statistics decide",
    "confidence": "rounds run until max_time; the gate's statistics decide",
    "cprofile": "perfguard profiles every benchmark (unless profile=False)",
}
"""Keywords pytest-benchmark accepts that perfguard does not use, and what it does instead."""

KEYWORDS = (*MAPPED, *UNUSED)


def perf_keywords(
    args: tuple[object, ...], kwargs: Mapping[str, object], test: str
) -> tuple[dict[str, object], tuple[str, ...]]:
    """(`@pytest.mark.perf` keywords, names of the keywords given but unused) for a test's
    `@pytest.mark.benchmark(...)`; positional arguments and unknown keywords are errors, as in
    pytest-benchmark."""
    source = f"@pytest.mark.benchmark on {test}"
    check_marker_arguments(source, args, kwargs, KEYWORDS)
    mapped = {name: value for name, value in kwargs.items() if name in MAPPED}
    if "group" in mapped:  # pytest-benchmark takes any value; None or "" is no group
        group = mapped.pop("group")
        if group is not None and group != "":
            mapped["group"] = str(group)
    unused = tuple(name for name in kwargs if name in UNUSED)
    return mapped, unused


def unused_note(names: tuple[str, ...]) -> str:
    """One note for a measurement: the benchmark marker's keywords perfguard did not use."""
    return "@pytest.mark.benchmark keywords unused: " + "; ".join(
        f"{name} ({UNUSED[name]})" for name in names
    )
