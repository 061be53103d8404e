"""The session's regression gate: which baseline, each benchmark's verdict, whether to save."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.metrics import tolerances_of
from pytest_perfguard.model import (
    Baseline,
    BenchResult,
    Caveat,
    Comparison,
    Fingerprint,
    Verdict,
)

if TYPE_CHECKING:
    from pytest_perfguard.judge.sanity import OutlyingRun
    from pytest_perfguard.judge.timeverdict import TimePrior

# The verdict (and scipy behind it) and the baseline file's code are imported where used: a
# session that neither compares nor saves never loads them.


@dataclass(frozen=True, slots=True)
class GateOptions:
    path: Path
    compare: bool
    save: bool
    keep: int
    policy: Policy

    def describe(self) -> dict[str, object]:
        """The settings that decided the verdicts, for the results document's `settings`."""
        return {
            "baseline": str(self.path),
            "compare": self.compare,
            "save": self.save,
            "strict": self.policy.strict,
            "warn_only": self.policy.warn_only,
            "alpha": self.policy.alpha,
            "min_effect": self.policy.min_effect,
            "keep_runs": self.keep,
        }


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
        """Read the baseline if comparing or saving; a bad file raises BaselineError
        before anything is measured, so it is never overwritten by a save."""
        baseline = None
        if options.compare or options.save:
            from pytest_perfguard.store.baseline import load_optional

            baseline = load_optional(options.path)
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
        from pytest_perfguard.judge.timeverdict import fit_time_prior

        return fit_time_prior(self.baseline.entries.values(), self.options.policy.min_runs)

    def load(self) -> None:
        """Import the verdict (and scipy behind it) now, before anything is measured, when
        comparing or saving. Benchmarks can depend on what the process has loaded: one that
        builds `inspect.signature` of a class copies `sys.modules` on every call, so its B/op
        grew by half once the first verdict had imported scipy, and an unchanged benchmark
        failed the exact bytes gate. Saving and comparing runs measure alike this way."""
        if self.options.compare or self.options.save:
            import pytest_perfguard.judge.stats as stats
            import pytest_perfguard.judge.verdict  # noqa: F401

            stats.preload()

    def judge(self, result: BenchResult, family: int) -> Comparison:
        """One benchmark against its saved runs, "where" included for a regression."""
        from pytest_perfguard.judge.efficiency import with_efficiency
        from pytest_perfguard.judge.policy import Observation
        from pytest_perfguard.judge.verdict import compare_benchmark

        entries = self.baseline.entries if self.baseline else {}
        comparison = compare_benchmark(
            entries.get(result.nodeid),
            Observation.from_measurement(result.measurement),
            self.options.policy,
            min_effect=result.settings.min_effect,
            tolerances=tolerances_of(result.settings),
            baseline_env=self.baseline.fingerprint if self.baseline else None,
            current_env=self.fingerprint,
            family=family,
            prior=self.prior,
        )
        comparison = with_efficiency(
            comparison,
            entries.get(result.nodeid),
            result.measurement,
            self.options.policy,
            min_effect=result.settings.min_effect,
            family=family,
        )
        return replace(comparison, nodeid=result.nodeid, group=result.group)

    def missing(self, measured: Iterable[str]) -> list[str]:
        """Baseline entries this run did not measure (a partial run, or removed tests)."""
        if self.baseline is None:
            return []
        seen = set(measured)
        return sorted(nodeid for nodeid in self.baseline.entries if nodeid not in seen)

    def compared_nothing(self, measured: Collection[str]) -> bool:
        """Comparing, benchmarks were measured and the baseline has entries, yet none of them
        is among those entries, and that looks like node ids that moved rather than tests that
        are new: nothing could fail. It does when a measured benchmark has an entry under
        another directory (the same file name and test: another rootdir, moved tests), or when
        the run measured at least as many benchmarks as the baseline holds (a whole suite
        renamed, or a new suite). A selection (`--lf`, `--sw`, `-k`, node ids, `--deselect`)
        of fewer tests, all new, compares nothing by design and is fine; so is a partial run
        that compares at least one benchmark."""
        known = self._known()
        if not self.options.compare or not known or not measured:
            return False
        if not known.isdisjoint(measured):
            return False
        tails = {_tail(nodeid) for nodeid in known}
        return len(measured) >= len(known) or any(_tail(n) in tails for n in measured)

    def outliers(self, nodeids: Iterable[str]) -> list[OutlyingRun]:
        """Saved runs of these benchmarks far from their siblings (see judge/sanity.py)."""
        if self.baseline is None:
            return []
        from pytest_perfguard.judge.sanity import outlying_runs

        entries = self.baseline.entries
        return outlying_runs(entries[n] for n in nodeids if n in entries)

    def _known(self) -> set[str]:
        """Node ids of the baseline's entries that hold a run."""
        entries = self.baseline.entries if self.baseline is not None else {}
        return {nodeid for nodeid, entry in entries.items() if entry.runs}

    def compared_nothing_message(self, measured: Collection[str]) -> str:
        entries = self._known()
        return (
            f"--perf-compare compared nothing: none of the {len(measured)} measured benchmarks "
            f"is in the baseline {self.options.path} ({len(entries)} entries, e.g. "
            f"{min(entries, default='')}), so nothing could fail. If the node ids moved "
            "(another rootdir, moved or renamed tests), fix that; for the first run of a new "
            "suite, pass --perf-allow-new"
        )

    def save_decision(
        self, comparisons: Sequence[Comparison], failed: int, *, compared_nothing: bool = False
    ) -> SaveDecision:
        """The save rule: with --perf-compare, a run in which anything regressed (advisory
        regressions included), or that compared nothing, does not replace the baseline;
        --perf-save alone accepts it."""
        if not self.options.save:
            return SaveDecision(False, "")
        if compared_nothing:
            return SaveDecision(False, "baseline not updated: --perf-compare compared nothing")
        regressed = [c for c in comparisons if c.verdict is Verdict.REGRESSED]
        if self.options.compare and regressed:
            return SaveDecision(
                False,
                f"baseline not updated: {len(regressed)} benchmark(s) regressed; to accept them "
                f"intentionally, rerun with --perf-save alone and commit {self.options.path}",
            )
        skipped = f" ({failed} benchmark(s) not saved: their test failed)" if failed else ""
        return SaveDecision(True, skipped)

    def restarted(self, nodeids: Iterable[str]) -> dict[str, tuple[Caveat, ...]]:
        """The benchmarks whose saved runs a save drops (another environment), with why."""
        from pytest_perfguard.store.history import restarted

        return restarted(self.baseline, nodeids, self.fingerprint)

    def save(self, results: Sequence[BenchResult], now: datetime) -> Baseline:
        from pytest_perfguard.store.baseline import save_results

        return save_results(
            self.options.path, results, self.fingerprint, keep=self.options.keep, now=now
        )


def _tail(nodeid: str) -> str:
    """A node id without the directories of its file: what stays when a rootdir or a test
    directory moves ("a/b/test_x.py::test_y[1]" -> "test_x.py::test_y[1]")."""
    path, sep, rest = nodeid.partition("::")
    return path.rsplit("/", 1)[-1] + sep + rest
