"""What a session compares each benchmark with, chosen once when the session starts: its saved
runs, the base revision measured in this run (A/B), or nothing. Each benchmark then goes
through the one comparison path (judge/evidence.py) with that evidence."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

from pytest_perfguard.model import BenchResult, Comparison, PairedRun
from pytest_perfguard.run.gate import Gate
from pytest_perfguard.run.outputs import shown_path
from pytest_perfguard.run.paired import judge_paired

__all__ = ["Comparator", "LiveBase", "NoComparison", "PairedTable", "SavedRuns", "comparator"]


class Comparator(Protocol):
    """How this session judges each benchmark against its evidence."""

    def collected(self, perf_nodeids: Iterable[str]) -> None:
        """The session's perf tests, before any is judged."""

    def judge(self, result: BenchResult) -> Comparison | None:
        """The benchmark's comparison; None when the session compares nothing."""

    def failure(self, comparison: Comparison) -> str:
        """Why a failing comparison fails its test, and how to accept it if intended."""

    def machine_note(self) -> str:
        """The comparison's first line when the evidence is from another machine."""

    def outlier_warnings(self, nodeids: Iterable[str]) -> tuple[str, ...]:
        """Evidence far from its siblings, for these benchmarks."""


class NoComparison:
    """Neither --perf-compare nor --perf-compare-ref: benchmarks are measured, not judged."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate

    def collected(self, perf_nodeids: Iterable[str]) -> None:
        pass

    def judge(self, result: BenchResult) -> Comparison | None:
        return None

    def failure(self, comparison: Comparison) -> str:
        return ""

    def machine_note(self) -> str:
        """Said whenever the run read a baseline from another machine (saving into it too)."""
        baseline = self.gate.baseline
        if baseline is None:
            return ""
        from pytest_perfguard.judge.compatibility import machine_caveat
        from pytest_perfguard.report.machine import machine_note

        caveat = machine_caveat(baseline.fingerprint, self.gate.fingerprint)
        strict = self.gate.options.policy.strict
        return "" if caveat is None else machine_note(caveat, strict=strict)

    def outlier_warnings(self, nodeids: Iterable[str]) -> tuple[str, ...]:
        return ()


class SavedRuns(NoComparison):
    """--perf-compare: the baseline's saved runs (from this machine or another), time
    Bonferroni-corrected over the collected benchmarks the baseline holds."""

    def __init__(self, gate: Gate) -> None:
        super().__init__(gate)
        self.family = 0

    def collected(self, perf_nodeids: Iterable[str]) -> None:
        self.family = self.gate.family(perf_nodeids)

    def judge(self, result: BenchResult) -> Comparison | None:
        return self.gate.judge(result, self.family)

    def failure(self, comparison: Comparison) -> str:
        from pytest_perfguard.report.terminal import failure_message

        # The path to commit as a shell in the working directory would name it.
        return failure_message(comparison, shown_path(self.gate.options.path, (Path.cwd(),)))

    def outlier_warnings(self, nodeids: Iterable[str]) -> tuple[str, ...]:
        """Saved runs far from their siblings, for the benchmarks compared with them."""
        from pytest_perfguard.report.verdicts import outlier_text

        return tuple(map(outlier_text, self.gate.outliers(nodeids)))


class PairedTable(Protocol):
    """The A/B side of a session's state, filled as the run goes (see RunState)."""

    @property
    def ab_shared(self) -> frozenset[str]: ...
    @property
    def ab_unpaired(self) -> dict[str, str]: ...
    @property
    def ab_min_effect(self) -> float: ...
    @property
    def ab_effects(self) -> Mapping[str, float]: ...
    @property
    def paired(self) -> Mapping[str, PairedRun]: ...


class LiveBase(NoComparison):
    """--perf-compare-ref REF: the base revision measured in this run, time from the rounds
    paired with it."""

    def __init__(self, ref: str, table: PairedTable, gate: Gate) -> None:
        super().__init__(gate)
        self.ref, self.table, self.policy = ref, table, gate.options.policy

    def judge(self, result: BenchResult) -> Comparison | None:
        table, nodeid = self.table, result.nodeid
        return judge_paired(
            result,
            table.paired.get(nodeid),
            ref=self.ref,
            shared=table.ab_shared,
            unpaired=table.ab_unpaired,
            policy=self.policy,
            min_effect=table.ab_effects.get(nodeid, table.ab_min_effect),
        )

    def failure(self, comparison: Comparison) -> str:
        from pytest_perfguard.report.terminal import failure_message

        return failure_message(comparison, "", self.ref)

    def machine_note(self) -> str:
        return ""  # both sides are measured here, now


def comparator(gate: Gate, ref: str | None = None, table: PairedTable | None = None) -> Comparator:
    """The session's comparator: with REF (and the state's A/B table), the live base; else the
    saved runs when comparing; else none."""
    if ref is not None and table is not None:
        return LiveBase(ref, table, gate)
    return SavedRuns(gate) if gate.options.compare else NoComparison(gate)
