"""The end-of-run files: JSON results, HTML report, Markdown and GitHub's job summary.

Each output is written on its own: one that cannot be written is an error line for the run's
end, not the end of the others. Renderers are imported where their output is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pytest_perfguard.errors import PerfguardError
from pytest_perfguard.judge.scaling_groups import GroupResult
from pytest_perfguard.model import BenchResult, Comparison
from pytest_perfguard.run.gate import Gate
from pytest_perfguard.run.outputs import Outputs, shown_path
from pytest_perfguard.run.paired import PairedState

__all__ = ["Finished", "reason", "write_reports"]


@dataclass(frozen=True, slots=True)
class Finished:
    """What the reports of a finished run are made of."""

    results: list[BenchResult]
    """Every benchmark reported, in collection order."""
    comparisons: Mapping[str, Comparison]
    gate: Gate
    ab: PairedState | None
    failed: frozenset[str]
    scaling: list[GroupResult]
    machine_note: str
    now: datetime


def reason(exc: Exception) -> str:
    """An exception as the end of a one-line error."""
    return (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)


def write_reports(run: Finished, outputs: Outputs) -> list[str]:
    """Write every output asked for; the errors of those that could not be written."""
    errors: list[str] = []
    if outputs.json is not None:
        _write(outputs.json, _json(run), "the JSON results", errors)
    if outputs.html is not None:
        _write(outputs.html, _html(run), "the HTML report", errors)
    if not run.results or (outputs.markdown is None and outputs.step_summary is None):
        return errors
    text = _markdown(run, outputs.roots)
    if outputs.markdown is not None:
        _write(outputs.markdown, text, "the Markdown report", errors)
    if outputs.step_summary is not None:
        try:
            with open(outputs.step_summary, "a", encoding="utf-8") as summary:
                summary.write(text + "\n")
        except OSError as exc:
            errors.append(
                f"could not append to GITHUB_STEP_SUMMARY {outputs.step_summary}: {reason(exc)}"
            )
    return errors


def _json(run: Finished) -> str:
    from pytest_perfguard.report import json

    document = json.results_document(
        run.results,
        run.comparisons,
        run.gate.fingerprint,
        run.gate.options.describe(),
        run.now.isoformat(timespec="seconds"),
        None if run.ab is None else run.ab.table(),
    )
    if run.scaling:
        from pytest_perfguard.report.scaling import scaling_document

        document["scaling"] = scaling_document(run.scaling)
    return json.render_json(document)


def _markdown(run: Finished, roots: Sequence[Path]) -> str:
    from pytest_perfguard.report.markdown import render_markdown

    results = run.results
    return render_markdown(
        [run.comparisons[r.nodeid] for r in results if r.nodeid in run.comparisons],
        results,
        baseline_path=shown_path(run.gate.options.path, roots),
        ref=None if run.ab is None else run.ab.ref,
        notes=[run.machine_note] if run.machine_note else [],
        scaling=run.scaling,
    )


def _html(run: Finished) -> str:
    """The HTML page; the saved runs come from the baseline (read now if the run did not)."""
    from pytest_perfguard.report import html

    results, ab = run.results, run.ab
    baseline, notes, path = run.gate.baseline, [], run.gate.options.path
    if baseline is None and results:
        from pytest_perfguard.store.baseline import load_optional

        try:
            baseline = load_optional(path)
        except (OSError, PerfguardError) as exc:
            notes.append(f"The saved runs are not shown: {reason(exc)}")
    entries = {} if baseline is None else baseline.entries
    report = html.HtmlReport(
        results,
        run.comparisons,
        run.now.isoformat(timespec="seconds"),
        str(path),
        None if ab is None else ab.ref,
        history={r.nodeid: entries[r.nodeid].runs for r in results if r.nodeid in entries},
        paired={} if ab is None else ab.runs,
        failed=run.failed,
        notes=notes,
        min_effects={} if ab is None else {n: ab.min_effect_of(n) for n in ab.runs},
        scaling=run.scaling,
    )
    return html.render_html(report, html.load_plotter() if results else None)


def _write(path: Path, text: str, what: str, errors: list[str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        errors.append(f"could not write {what} to {path}: {reason(exc)}")
