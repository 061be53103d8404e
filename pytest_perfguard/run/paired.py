"""Same-job A/B in the run state: each benchmark's verdict against the base revision, the
family of time comparisons, and the check that the run paired anything at all."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.metrics import tolerances_of
from pytest_perfguard.model import BenchResult, Comparison, Decision, PairedRun, Rule, Verdict

__all__ = ["UNPAIRED", "family", "judge_paired", "paired_nothing"]

UNPAIRED = "its measurement did not take the paired timing pass"
"""Why a benchmark both sides have did not pair, when its measurement did not say."""


def family(shared: Collection[str], unpaired: Mapping[str, str]) -> int:
    """Bonferroni's family for A/B time comparisons: the benchmarks both sides have, less
    those known not to pair. Known when measured: one judged before a later benchmark
    declines to pair faces a bar that much stricter, never a laxer one."""
    return len(shared) - sum(1 for nodeid in unpaired if nodeid in shared)


def judge_paired(
    result: BenchResult,
    paired: PairedRun | None,
    *,
    ref: str,
    shared: Collection[str],
    unpaired: dict[str, str],
    policy: Policy,
    min_effect: float,
) -> Comparison:
    """Head's benchmark against the base revision measured in this run: paired, "not paired"
    (both sides have it, but its measurement took no paired rounds; noted in `unpaired`), or
    new (the base revision does not have it)."""
    from pytest_perfguard.judge.ab import compare_paired, not_paired

    nodeid = result.nodeid
    if paired is None and nodeid in shared:
        return not_paired(nodeid, result.group, ref, unpaired.setdefault(nodeid, UNPAIRED))
    if paired is None:
        new = Decision(Rule.NO_BASELINE_ENTRY, texts={"ref": ref})
        return Comparison(nodeid, result.group, Verdict.NEW, reason=new)
    return compare_paired(
        nodeid,
        result.group,
        result.measurement,
        paired,
        policy,
        family=family(shared, unpaired),
        min_effect=min_effect,
        tolerances=tolerances_of(result.settings),
    )


def paired_nothing(
    ref: str,
    measured: Sequence[str],
    shared: Collection[str],
    paired: Mapping[str, PairedRun],
    comparisons: Mapping[str, Comparison],
) -> str | None:
    """An error line when benchmarks both sides have were measured and none of them paired
    usably (nothing could fail: the gate would be silently off), with the first one's reason;
    None otherwise."""
    both = [nodeid for nodeid in measured if nodeid in shared]
    if not both:
        return None
    from pytest_perfguard.judge.ab import pairs_usable

    if any(nodeid in paired and pairs_usable(paired[nodeid]) for nodeid in both):
        return None
    from pytest_perfguard.report.rules import comparison_notes

    first = comparisons.get(both[0])
    notes = comparison_notes(first) if first is not None else ()
    why = f" (e.g. {both[0]}: {notes[0]})" if notes else ""
    return (
        f"--perf-compare-ref {ref} paired none of the {len(both)} benchmark(s) both sides "
        f"have, so nothing could fail{why}"
    )
