"""The run state of one session (or one xdist worker): what was measured, judged and reported.

Pure: no pytest. The plugin feeds it node ids, measurements and reports; a command-line run or
an A/B controller can drive it the same way. Renderers are imported where a report is written,
so a session that measures nothing never loads them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from pytest_perfguard.config.options import Switches
from pytest_perfguard.errors import PerfguardError
from pytest_perfguard.judge.budgets import check_budgets
from pytest_perfguard.judge.scaling_groups import GroupResult, Member, judge_groups
from pytest_perfguard.model import (
    BenchResult,
    BenchSettings,
    Comparison,
    Measurement,
    RunSummary,
)
from pytest_perfguard.run.compare import Comparator, comparator
from pytest_perfguard.run.gate import Gate
from pytest_perfguard.run.outputs import Outputs
from pytest_perfguard.run.paired import PairedState
from pytest_perfguard.run.reports import Finished, reason, write_reports

__all__ = ["Judged", "RunState"]


@dataclass(frozen=True, slots=True)
class Judged:
    """One benchmark after its budgets and its baseline comparison."""

    result: BenchResult
    comparison: Comparison | None
    failures: tuple[str, ...]
    """Why the test fails, one message per cause; empty when it passes."""


@dataclass
class RunState:
    """Settings, gate and results of one session; one per process."""

    defaults: BenchSettings
    gate: Gate
    switches: Switches
    is_worker: bool = False
    order: dict[str, int] = field(default_factory=dict)
    """Collection order, for a stable summary under xdist."""
    measured: dict[str, BenchResult] = field(default_factory=dict)
    """Measured in this process."""
    reported: dict[str, BenchResult] = field(default_factory=dict)
    """From every process's reports."""
    comparisons: dict[str, Comparison] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)
    workers: int = 0
    save_message: str = ""
    errors: list[str] = field(default_factory=list)
    """End-of-run problems that fail the run though every test passed (an output not written)."""
    ab: PairedState | None = None
    """Same-job A/B: the base revision and the rounds paired with it, when comparing with it."""
    scale_members: dict[str, Member] = field(default_factory=dict)
    """Cases of scaling groups (marker keyword `scale`), from every process's reports."""
    scaling: list[GroupResult] = field(default_factory=list)
    """The groups fitted at the end of the run."""
    comparator: Comparator = field(init=False)
    """What each benchmark is compared with: chosen once, as the session starts."""

    def __post_init__(self) -> None:
        self.comparator = comparator(self.gate, self.ab)

    def collected(self, nodeids: Iterable[str], perf_nodeids: Iterable[str]) -> None:
        self.order = {nodeid: i for i, nodeid in enumerate(nodeids)}
        self.comparator.collected(perf_nodeids)

    def unpaired(self, nodeid: str, why: str) -> None:
        """A benchmark measured without the paired timing pass it was offered, and why."""
        if self.ab is not None:
            self.ab.unpaired[nodeid] = why

    def record(self, result: BenchResult) -> None:
        self.measured[result.nodeid] = result

    def judge(self, nodeid: str) -> Judged:
        """Budgets, then the baseline comparison when comparing; either can fail the test."""
        result = self.measured[nodeid]
        budgets = check_budgets(result.measurement, result.settings)
        failures = []
        if budgets.unchecked or budgets.failures:
            from pytest_perfguard.report.budgets import budget_text, unchecked_text

            unchecked = tuple(unchecked_text(b) for b in budgets.unchecked)
            if unchecked:
                notes = result.measurement.notes + unchecked
                result = replace(result, measurement=replace(result.measurement, notes=notes))
                self.measured[nodeid] = result
            if budgets.failures:
                failures.append(f"{nodeid}: " + "; ".join(map(budget_text, budgets.failures)))
        comparison = self.comparator.judge(result)
        if comparison is not None and comparison.failing:
            failures.append(self.comparator.failure(comparison))
        return Judged(result, comparison, tuple(failures))

    def receive(self, result: BenchResult, comparison: Comparison | None, passed: bool) -> None:
        """A benchmark's outcome as reported (by this process or an xdist worker)."""
        self.reported[result.nodeid] = result
        if comparison is not None:
            self.comparisons[result.nodeid] = comparison
        if not passed:
            self.failed.add(result.nodeid)

    def in_order(self) -> list[BenchResult]:
        last = len(self.order)
        return sorted(self.reported.values(), key=lambda r: self.order.get(r.nodeid, last))

    def compared(self, results: Iterable[BenchResult]) -> list[Comparison]:
        return [self.comparisons[r.nodeid] for r in results if r.nodeid in self.comparisons]

    def finish(self, outputs: Outputs, now: datetime) -> None:
        """Write the reports, then save the baseline where the save rule allows."""
        results = self.in_order()
        comparisons = self.compared(results)
        measured = [r.nodeid for r in results]
        nothing = self.gate.compared_nothing(measured) and not self.switches.allow_new
        if nothing:
            self.errors.append(self.gate.compared_nothing_message(measured))
        unpaired = None if self.ab is None else self.ab.nothing_paired(measured, self.comparisons)
        if unpaired is not None:
            self.errors.append(unpaired)
        if self.scale_members:
            # As the time verdicts: over one process pair, A/B time counts only with --perf-strict.
            one_pair = self.ab is not None and self.ab.processes == 1 and not self.switches.strict
            self.scaling = judge_groups(
                self.scale_members,
                {r.nodeid: r for r in results},
                self._scaling_base(),
                "one process pair (--perf-ab-processes)" if one_pair else None,
            )
        finished = Finished(
            results,
            self.comparisons,
            self.gate,
            self.ab,
            frozenset(self.failed),
            self.scaling,
            self.comparator.machine_note(),
            now,
        )
        self.errors.extend(write_reports(finished, outputs))
        decision = self.gate.save_decision(comparisons, len(self.failed), compared_nothing=nothing)
        saved = [r for r in results if r.nodeid not in self.failed]
        path = self.gate.options.path
        if decision.save and saved:
            restarted = self.gate.restarted(r.nodeid for r in saved)
            try:
                self.gate.save(saved, now)
            except (OSError, PerfguardError) as exc:
                self.errors.append(f"could not save the baseline to {path}: {reason(exc)}")
            else:
                self.save_message = f"saved {len(saved)} benchmark(s) to {path}{decision.reason}"
                if restarted:
                    from pytest_perfguard.report.machine import restarted_note

                    self.save_message += f"; {restarted_note(restarted)}"
        elif not decision.save:
            self.save_message = decision.reason

    def _scaling_base(self) -> dict[str, RunSummary | Measurement] | None:
        """What each benchmark's scaling is compared with: the base revision's measurement in
        A/B, else its newest saved run when comparing with the saved runs; None: neither."""
        if self.ab is not None:
            return {n: p.base for n, p in self.ab.runs.items() if p.base is not None}
        baseline = self.gate.baseline
        if not self.gate.options.compare or baseline is None:
            return None
        return {nodeid: entry.runs[-1] for nodeid, entry in baseline.entries.items()}

    @property
    def scaling_failures(self) -> list[str]:
        return [failure for group in self.scaling for failure in group.failures]

    def summary_sections(self, in_actions: bool) -> list[tuple[str | None, list[str]]]:
        """The terminal summary: titled sections of lines."""
        results = self.in_order()
        quiet = not self.gate.options.compare and self.ab is None
        if not results and quiet and not self.save_message:
            return []  # nothing to say: a run without perf tests loads no renderer
        from pytest_perfguard.report import github, terminal

        comparisons = self.compared(results)
        summary = terminal.Summary(
            results=results,
            comparisons=comparisons,
            compare=self.gate.options.compare,
            baseline_path=str(self.gate.options.path),
            baseline_found=self.gate.baseline is not None,
            missing=self.gate.missing(r.nodeid for r in results),
            workers=self.workers,
            save_message=self.save_message,
            errors=tuple(self.errors),
            warnings=self.comparator.outlier_warnings(r.nodeid for r in results),
            annotations=github.annotations(comparisons, results, self.scaling)
            if in_actions
            else (),
            ab=None if self.ab is None else self.ab.ref,
            ab_removed=() if self.ab is None else self.ab.removed,
            machine_note=self.comparator.machine_note(),
        )
        sections = terminal.render_summary(summary)
        if self.scaling:
            from pytest_perfguard.report.scaling import scaling_lines

            sections.insert(
                1 if results else 0, ("perfguard: scaling", scaling_lines(self.scaling))
            )
        return sections
