"""Same-job A/B in the run state: each benchmark's verdict against the base revision, the
family of time comparisons, and the check that the run paired anything at all."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.metrics import tolerances_of
from pytest_perfguard.model import BenchResult, Comparison, Decision, PairedRun, Rule, Verdict

__all__ = ["UNPAIRED", "PairedState", "family", "judge_paired", "paired_nothing"]

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


@dataclass
class PairedState:
    """Same-job A/B in a session's state: the base revision (REF and its commit), what both
    sides have, and each benchmark's rounds paired with the base as the run fills them in."""

    ref: str
    min_effect: float
    """The A/B bar, unless a benchmark's marker sets its own (`effects`)."""
    processes: int = 1
    """Pairs of worker processes the A/B rounds are spread over."""
    shared: frozenset[str] = frozenset()
    """Benchmarks both sides have."""
    removed: tuple[str, ...] = ()
    """Perf tests only the base revision has."""
    unpaired: dict[str, str] = field(default_factory=dict)
    """Benchmarks both sides have that did not pair, and why."""
    runs: dict[str, PairedRun] = field(default_factory=dict)
    effects: dict[str, float] = field(default_factory=dict)
    """Benchmarks whose marker sets min_effect: that bar in A/B too."""

    @property
    def family(self) -> int:
        """The family of A/B time comparisons: benchmarks both sides have that pair."""
        return family(self.shared, self.unpaired)

    def min_effect_of(self, nodeid: str) -> float:
        return self.effects.get(nodeid, self.min_effect)

    def judge(self, result: BenchResult, policy: Policy) -> Comparison:
        return judge_paired(
            result,
            self.runs.get(result.nodeid),
            ref=self.ref,
            shared=self.shared,
            unpaired=self.unpaired,
            policy=policy,
            min_effect=self.min_effect_of(result.nodeid),
        )

    def nothing_paired(
        self, measured: Sequence[str], comparisons: Mapping[str, Comparison]
    ) -> str | None:
        return paired_nothing(self.ref, measured, self.shared, self.runs, comparisons)

    def table(self) -> dict[str, object]:
        """The JSON results' "ab" table."""
        return {
            "ref": self.ref,
            "removed": list(self.removed),
            "pairs": {nodeid: len(run.ratios) for nodeid, run in self.runs.items()},
            "processes": self.processes,
        }
