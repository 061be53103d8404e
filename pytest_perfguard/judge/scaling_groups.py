"""Scaling groups: the cases of one parametrized test over input sizes, fitted and judged
once all of them were measured (pure: node ids, measurements and saved runs in)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pytest_perfguard.complexity import class_named
from pytest_perfguard.judge.scaling import Fit, ScalingVerdict, compare_fits, fit, over_limit
from pytest_perfguard.metrics import METRICS, MetricKind, MetricSpec
from pytest_perfguard.model import BenchResult, BenchSettings, Measurement, RunSummary

__all__ = ["GroupResult", "Member", "judge_groups", "members"]


@dataclass(frozen=True, slots=True)
class Member:
    """One case of a scaling group."""

    group: str
    size: int


def members(
    scale: str, cases: Sequence[tuple[str, Mapping[str, object]]]
) -> dict[str, Member] | str:
    """The scaling group and size of each case (node id, parametrize arguments) of one test
    function whose marker says `scale=...`, or why they cannot form groups. Cases that differ
    in their other arguments form one group per value of those."""
    from pytest_perfguard.judge.scaling import group_problem

    found: dict[str, Member] = {}
    by_group: dict[str, list[object]] = {}
    for nodeid, params in cases:
        if scale not in params:
            named = ", ".join(sorted(params)) or "none"
            return (
                f"scale={scale!r} names no @pytest.mark.parametrize argument of {nodeid} "
                f"(its arguments: {named})"
            )
        others = ", ".join(f"{k}={v!r}" for k, v in sorted(params.items()) if k != scale)
        base = nodeid.split("[", 1)[0]
        group = f"{base}[{others}]" if others else base
        size = params[scale]
        by_group.setdefault(group, []).append(size)
        if isinstance(size, int) and not isinstance(size, bool):
            found[nodeid] = Member(group, size)
    for group, sizes in by_group.items():
        problem = group_problem(sizes)
        if problem is not None:
            return f"scaling group {group} (scale={scale!r}): {problem}"
    return found


@dataclass(frozen=True, slots=True)
class GroupResult:
    group: str
    sizes: tuple[int, ...]
    fits: dict[str, Fit | str]
    """Each fitted metric's fit, or why it has none."""
    base: dict[str, Fit | str]
    """The same from the saved runs, when compared."""
    verdicts: dict[str, tuple[ScalingVerdict, str]]
    failures: tuple[str, ...]
    per_size: tuple[Measurement, ...]
    nodeids: tuple[str, ...] = ()
    """Each size's benchmark."""


def _fitted() -> tuple[MetricSpec, ...]:
    return tuple(m for m in METRICS if m.kind is not MetricKind.MEMORY)


def _samples(spec: MetricSpec, figures: Sequence[Measurement | RunSummary]) -> list[list[float]]:
    """Each size's samples of `spec`: time as the rounds' reference ratios where every case
    has them (drift between sizes measured seconds apart cancels), else their ns/op."""
    if spec.kind is MetricKind.TIME:
        if all(f.ref_ratios for f in figures):
            return [list(f.ref_ratios or ()) for f in figures]
        return [list(f.samples_ns or ()) or [f.median_ns] for f in figures]
    values = [getattr(f, spec.field) for f in figures]
    return [[] if v is None else [float(v)] for v in values]


def _fits(
    sizes: Sequence[int], figures: Sequence[Measurement | RunSummary]
) -> dict[str, Fit | str]:
    fits: dict[str, Fit | str] = {}
    for spec in _fitted():
        samples = _samples(spec, figures)
        if all(not s for s in samples):
            continue  # not measured at all
        fits[spec.name] = fit(sizes, samples)
    return fits


def judge_groups(
    groups: Mapping[str, Member],
    results: Mapping[str, BenchResult],
    saved: Mapping[str, RunSummary | Measurement] | None,
    time_advisory: str | None = None,
) -> list[GroupResult]:
    """Every group whose cases were all measured: its fits, and against `saved` (each case's
    newest saved run, or the base revision's measurement in A/B) its verdicts;
    `limit_scaling` checked either way. With `time_advisory` (why), a time exponent that
    regressed against `saved` is said with that reason and fails nothing, as the time verdicts
    of those benchmarks."""
    by_group: dict[str, list[tuple[int, BenchResult]]] = {}
    for nodeid, member in groups.items():
        if nodeid in results:
            by_group.setdefault(member.group, []).append((member.size, results[nodeid]))
    judged = []
    for group, cases in by_group.items():
        if len({size for size, _ in cases}) < 3:
            continue  # a selection (-k, --lf) ran too few sizes to fit
        cases.sort(key=lambda case: case[0])
        sizes = [size for size, _ in cases]
        settings: BenchSettings = cases[0][1].settings
        fits = _fits(sizes, [r.measurement for _, r in cases])
        base: dict[str, Fit | str] = {}
        if saved is not None and all(r.nodeid in saved for _, r in cases):
            base = _fits(sizes, [saved[r.nodeid] for _, r in cases])
        verdicts = {}
        failures = []
        for name, now in fits.items():
            before = base.get(name)
            if isinstance(now, Fit) and isinstance(before, Fit):
                verdict, said = compare_fits(before, now, settings.scale_tolerance)
                advisory = time_advisory if name == "time" else None
                if verdict is ScalingVerdict.REGRESSED and advisory is not None:
                    said += f" (advisory: {advisory})"
                elif verdict is ScalingVerdict.REGRESSED:
                    failures.append(f"{group}: {name} scaling regressed: {said}")
                verdicts[name] = (verdict, said)
            if isinstance(now, Fit) and settings.limit_scaling is not None:
                limit = class_named(settings.limit_scaling)
                breach = over_limit(now, limit, settings.scale_tolerance)
                if breach is not None:
                    failures.append(f"{group}: {name} {breach}")
        measured = tuple(r.measurement for _, r in cases)
        judged.append(
            GroupResult(
                group,
                tuple(sizes),
                fits,
                base,
                verdicts,
                tuple(failures),
                measured,
                tuple(r.nodeid for _, r in cases),
            )
        )
    return judged
