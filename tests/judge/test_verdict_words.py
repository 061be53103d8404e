"""Verdict words in every renderer: "inconclusive (detects > X%)" for a change clear of zero
that the rule cannot call, "unchanged" only for an interval that holds zero."""

from __future__ import annotations

from pathlib import Path

from pytest_perfguard.cli import main
from pytest_perfguard.judge.paired import PairedEstimate, paired_time_metric
from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.model import BenchResult, Comparison, Verdict, overall_verdict
from pytest_perfguard.report.github import annotations
from pytest_perfguard.report.html import HtmlReport, render_html
from pytest_perfguard.report.json import parse_results, render_json, results_document
from pytest_perfguard.report.markdown import headline, render_markdown
from pytest_perfguard.report.terminal import describe_metric, render_comparisons
from pytest_perfguard.store import baseline as storage
from tests.cli.test_cli import ENV, history, measured, result, results_json

WORD = "inconclusive (detects > 30%)"


def inconclusive(nodeid: str = "t.py::test_a") -> Comparison:
    est = PairedEstimate(40, 0.2, (0.15, 0.25), 1e-6, 0.02)
    m = paired_time_metric(1000.0, 1200.0, est, 1e-6, 1, "Holm", Policy(), 0.3, 0.0, "main")
    assert m.verdict is Verdict.INCONCLUSIVE and m.detectable == 0.3
    return Comparison(nodeid, None, overall_verdict([m]), (m,))


def test_the_terminal_table_and_sentence_say_inconclusive_and_what_it_detects() -> None:
    c = inconclusive()
    row = render_comparisons([c])[1]
    assert WORD in row and "unchanged" not in row
    assert describe_metric(c.metrics[0]).startswith(f"time/op {WORD}: 1.00 us -> 1.20 us")


def test_markdown_html_json_and_annotations_agree() -> None:
    c = inconclusive()
    r = BenchResult(c.nodeid, None, measured(1200.0))
    md = render_markdown([c], [r], baseline_path="b.toml")
    assert f"| {WORD} |" in md and "unchanged" not in md
    assert headline([c], [r]) == "✅ no regression in 1 benchmark (1 inconclusive)"
    page = render_html(HtmlReport([r], {c.nodeid: c}, "now"), None)
    assert WORD in page and ">unchanged<" not in page
    document = results_document([r], {c.nodeid: c}, ENV, {}, "2024-06-01T00:00:00+00:00")
    metric = document["benchmarks"][0]["comparison"]["metrics"][0]
    assert (metric["verdict"], metric["decision"]["kind"]) == ("inconclusive", "time_paired")
    assert metric["rule"].startswith("20.0% slower, but not clearly enough to tell from")
    assert "time inconclusive +20.0% (paired rounds" in metric["rule"]
    back = parse_results(render_json(document), source="x").comparisons[c.nodeid]
    assert back.verdict is Verdict.INCONCLUSIVE
    assert annotations([c], [r]) == []  # never fails


def test_perfguard_compare_says_inconclusive_and_exits_0(tmp_path: Path, capsys: object) -> None:
    old = tmp_path / "old.toml"
    storage.save(old, history(names=("t.py::test_a",)))
    # +20% against runs 1% apart: clear of zero, under a 50% minimum effect.
    new = results_json(tmp_path / "now.json", [result("t.py::test_a", 1200.0, min_effect=0.5)])
    md = tmp_path / "c.md"
    assert main(["compare", str(old), str(new), "--markdown", str(md)]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    row = next(line for line in out.splitlines() if line.startswith("t.py::test_a "))
    assert "inconclusive (detects > 50%)" in row and "unchanged" not in row
    assert "| inconclusive (detects > 50%) |" in md.read_text()
