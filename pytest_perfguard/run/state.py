"""The run state of one session (or one xdist worker): what was measured, judged and reported.

Pure: no pytest. The plugin feeds it node ids, measurements and reports; a command-line run or
an A/B controller can drive it the same way. Renderers are imported where a report is written,
so a session that measures nothing never loads them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from pytest_perfguard.config.options import Switches
from pytest_perfguard.judge.budgets import check_budgets
from pytest_perfguard.model import BenchResult, BenchSettings, Comparison
from pytest_perfguard.run.gate import Gate

__all__ = ["Judged", "Outputs", "RunState"]


@dataclass(frozen=True, slots=True)
class Judged:
    """One benchmark after its budgets and its baseline comparison."""

    result: BenchResult
    comparison: Comparison | None
    failures: tuple[str, ...]
    """Why the test fails, one message per cause; empty when it passes."""


@dataclass(frozen=True, slots=True)
class Outputs:
    """Where the end-of-session reports go (None: not written)."""

    json: Path | None = None
    markdown: Path | None = None
    step_summary: Path | None = None
    """GitHub Actions' job summary file, appended to."""


@dataclass
class RunState:
    """Settings, gate and results of one session; one per process."""

    defaults: BenchSettings
    gate: Gate
    switches: Switches
    is_worker: bool = False
    family: int = 0
    """Time comparisons this session makes (Bonferroni's family size)."""
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

    def collected(self, nodeids: Iterable[str], perf_nodeids: Iterable[str]) -> None:
        self.order = {nodeid: i for i, nodeid in enumerate(nodeids)}
        self.family = self.gate.family(perf_nodeids)

    def record(self, result: BenchResult) -> None:
        self.measured[result.nodeid] = result

    def judge(self, nodeid: str) -> Judged:
        """Budgets, then the baseline comparison when comparing; either can fail the test."""
        result = self.measured[nodeid]
        budgets = check_budgets(result.measurement, result.settings)
        if budgets.unchecked:
            notes = result.measurement.notes + budgets.unchecked
            result = replace(result, measurement=replace(result.measurement, notes=notes))
            self.measured[nodeid] = result
        failures = [f"{nodeid}: " + "; ".join(budgets.failures)] if budgets.failures else []
        comparison = None
        if self.gate.options.compare:
            comparison = self.gate.judge(result, self.family)
            if comparison.failing:
                from pytest_perfguard.report.terminal import failure_message

                failures.append(failure_message(comparison, str(self.gate.options.path)))
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
        self.write_reports(results, comparisons, outputs, now)
        decision = self.gate.save_decision(comparisons, len(self.failed))
        saved = [r for r in results if r.nodeid not in self.failed]
        if decision.save and saved:
            self.gate.save(saved, now)
            path = self.gate.options.path
            self.save_message = f"saved {len(saved)} benchmark(s) to {path}{decision.reason}"
        elif not decision.save:
            self.save_message = decision.reason

    def write_reports(
        self,
        results: list[BenchResult],
        comparisons: list[Comparison],
        outputs: Outputs,
        now: datetime,
    ) -> None:
        if outputs.json is not None:
            from pytest_perfguard.report import json

            document = json.results_document(
                results,
                self.comparisons,
                self.gate.fingerprint,
                self.gate.options.describe(),
                now.isoformat(timespec="seconds"),
            )
            outputs.json.write_text(json.render_json(document), encoding="utf-8")
        if not results or (outputs.markdown is None and outputs.step_summary is None):
            return
        from pytest_perfguard.report.markdown import render_markdown

        text = render_markdown(comparisons, results, baseline_path=str(self.gate.options.path))
        if outputs.markdown is not None:
            outputs.markdown.write_text(text, encoding="utf-8")
        if outputs.step_summary is not None:
            with open(outputs.step_summary, "a", encoding="utf-8") as summary:
                summary.write(text + "\n")

    def summary_sections(self, in_actions: bool) -> list[tuple[str | None, list[str]]]:
        """The terminal summary: titled sections of lines."""
        results = self.in_order()
        if not results and not self.gate.options.compare and not self.save_message:
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
            annotations=github.annotations(comparisons, results) if in_actions else (),
        )
        return terminal.render_summary(summary)


def outputs_from(json: str | None, markdown: str | None) -> Outputs:
    """The report paths of a session; GITHUB_STEP_SUMMARY from the environment."""
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    return Outputs(
        Path(json) if json else None,
        Path(markdown) if markdown else None,
        Path(step) if step else None,
    )
