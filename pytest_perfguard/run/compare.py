"""What a session compares each benchmark with, chosen once when the session starts: its saved
runs, the base revision measured in this run (A/B), or nothing. Each benchmark then goes
through the one comparison path (judge/evidence.py) with that evidence."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from pytest_perfguard.model import BenchResult, Comparison
from pytest_perfguard.run.gate import Gate
from pytest_perfguard.run.outputs import shown_path
from pytest_perfguard.run.paired import PairedState

__all__ = ["Comparator", "LiveBase", "NoComparison", "SavedRuns", "comparator"]


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


class LiveBase(NoComparison):
    """--perf-compare-ref REF: the base revision measured in this run, time from the rounds
    paired with it."""

    def __init__(self, paired: PairedState, gate: Gate) -> None:
        super().__init__(gate)
        self.paired, self.policy = paired, gate.options.policy

    def judge(self, result: BenchResult) -> Comparison | None:
        return self.paired.judge(result, self.policy)

    def failure(self, comparison: Comparison) -> str:
        from pytest_perfguard.report.terminal import failure_message

        return failure_message(comparison, "", self.paired.ref)

    def machine_note(self) -> str:
        return ""  # both sides are measured here, now


def comparator(gate: Gate, paired: PairedState | None = None) -> Comparator:
    """The session's comparator: in same-job A/B, the live base; else the saved runs when
    comparing; else none."""
    if paired is not None:
        return LiveBase(paired, gate)
    return SavedRuns(gate) if gate.options.compare else NoComparison(gate)
