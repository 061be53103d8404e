"""The session's regression gate: which baseline, each benchmark's verdict, whether to save."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

from pytest_perfguard import storage
from pytest_perfguard.model import Baseline, BenchResult, Comparison, Fingerprint, Verdict
from pytest_perfguard.verdict import (
    Observation,
    Policy,
    TimePrior,
    compare_benchmark,
    fit_time_prior,
)


@dataclass(frozen=True, slots=True)
class GateOptions:
    path: Path
    compare: bool
    save: bool
    keep: int
    policy: Policy


@dataclass(frozen=True, slots=True)
class SaveDecision:
    save: bool
    reason: str


class Gate:
    """Holds the baseline read at the start of the session, which the verdicts use; saving
    reads the file again under the save lock and merges into that (see storage.save_results)."""

    def __init__(
        self, options: GateOptions, baseline: Baseline | None, fingerprint: Fingerprint
    ) -> None:
        self.options = options
        self.baseline = baseline
        self.fingerprint = fingerprint

    @classmethod
    def open(cls, options: GateOptions, fingerprint: Fingerprint) -> Gate:
        """Read the baseline if comparing or saving; a bad file raises storage.BaselineError
        before anything is measured, so it is never overwritten by a save."""
        baseline = None
        if options.compare or options.save:
            baseline = storage.load_optional(options.path)
        return cls(options, baseline, fingerprint)

    def family(self, nodeids: Iterable[str]) -> int:
        """How many time comparisons this session will make: the collected benchmarks that
        have a baseline entry (every worker of a split run computes the same number)."""
        if self.baseline is None:
            return 0
        return sum(1 for nodeid in nodeids if nodeid in self.baseline.entries)

    @cached_property
    def prior(self) -> TimePrior | None:
        """The suite's run-to-run variance prior, fitted once from the whole baseline (so every
        test, and every worker of a split run, is moderated toward the same prior)."""
        if self.baseline is None:
            return None
        return fit_time_prior(self.baseline.entries.values(), self.options.policy.min_runs)

    def judge(self, result: BenchResult, family: int) -> Comparison:
        entries = self.baseline.entries if self.baseline else {}
        comparison = compare_benchmark(
            entries.get(result.nodeid),
            Observation.from_measurement(result.measurement),
            self.options.policy,
            min_effect=result.settings.min_effect,
            alloc_tolerance=result.settings.alloc_tolerance,
            baseline_env=self.baseline.fingerprint if self.baseline else None,
            current_env=self.fingerprint,
            family=family,
            prior=self.prior,
        )
        return Comparison(
            result.nodeid, result.group, comparison.verdict, comparison.metrics, comparison.notes
        )

    def missing(self, measured: Iterable[str]) -> list[str]:
        """Baseline entries this run did not measure (a partial run, or removed tests)."""
        if self.baseline is None:
            return []
        seen = set(measured)
        return sorted(nodeid for nodeid in self.baseline.entries if nodeid not in seen)

    def save_decision(self, comparisons: Sequence[Comparison], failed: int) -> SaveDecision:
        """The save rule: with --perf-compare, a run in which anything regressed (advisory
        regressions included) does not replace the baseline; --perf-save alone accepts it."""
        if not self.options.save:
            return SaveDecision(False, "")
        regressed = [c for c in comparisons if c.verdict is Verdict.REGRESSED]
        if self.options.compare and regressed:
            return SaveDecision(
                False,
                f"baseline not updated: {len(regressed)} benchmark(s) regressed; to accept them "
                f"intentionally, rerun with --perf-save alone and commit {self.options.path}",
            )
        skipped = f" ({failed} benchmark(s) not saved: their test failed)" if failed else ""
        return SaveDecision(True, skipped)

    def save(self, results: Sequence[BenchResult], now: datetime) -> Baseline:
        return storage.save_results(
            self.options.path, results, self.fingerprint, keep=self.options.keep, now=now
        )
