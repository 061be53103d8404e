"""The Markdown report: headline counts, row order, escaping, plain runs."""

from __future__ import annotations

import re

from pytest_perfguard.model import (
    BenchResult,
    Comparison,
    Decision,
    Measurement,
    MetricComparison,
    Rule,
    Verdict,
)
from pytest_perfguard.report.markdown import code, headline, render_markdown


def metric(
    verdict: Verdict, *, name: str = "time", advisory: bool = False, change: float = 0.5
) -> MetricComparison:
    return MetricComparison(
        name,
        1e6,
        1e6 * (1 + change),
        change,
        (change - 0.1, change + 0.1),
        0.001,
        verdict,
        Decision(Rule.RECORDED, texts={"rule": f"rule for {name}"}),
        0.1,
        advisory,
    )


def comparison(nodeid: str, verdict: Verdict, *metrics: MetricComparison) -> Comparison:
    return Comparison(nodeid, None, verdict, metrics)


def result(nodeid: str, median: float = 2000.0, exact: bool = True) -> BenchResult:
    m = Measurement(
        median, median / 50, 10, 4, (median,), (), 1.0, 0.0, 3.0, 100.0, None, 2048, exact
    )
    return BenchResult(nodeid, None, m)


FAIL = comparison("t.py::fail", Verdict.REGRESSED, metric(Verdict.REGRESSED))
ADVISORY = comparison("t.py::adv", Verdict.REGRESSED, metric(Verdict.REGRESSED, advisory=True))
IMPROVED = comparison("t.py::imp", Verdict.IMPROVED, metric(Verdict.IMPROVED, change=-0.4))
SAME = comparison("t.py::same", Verdict.UNCHANGED, metric(Verdict.UNCHANGED, change=0.01))
NEW = Comparison("t.py::new", None, Verdict.NEW, notes=("no baseline entry yet",))
GONE = Comparison("t.py::gone", None, Verdict.MISSING)


def cells(line: str) -> list[str]:
    """A GFM table row split as GitHub does: on pipes not escaped with a backslash."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def table_rows(text: str, first_header: str) -> list[list[str]]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} "))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(cells(line))
    return rows


def test_headline_counts_failing_regressions_and_leaves_missing_out_of_the_total() -> None:
    second = comparison("t.py::fail2", Verdict.REGRESSED, metric(Verdict.REGRESSED))
    line = headline([SAME, FAIL, ADVISORY, IMPROVED, NEW, GONE, second])
    assert line == ("❌ 2 regressions in 6 benchmarks (1 advisory, 1 improved, 1 new, 1 missing)")


def test_headline_singular_and_passing_with_advisory_only() -> None:
    assert headline([FAIL]) == "❌ 1 regression in 1 benchmark"
    assert headline([SAME, ADVISORY]) == "✅ no regression in 2 benchmarks (1 advisory)"
    assert headline([SAME, ADVISORY], icons=False) == "no regression in 2 benchmarks (1 advisory)"


def test_headline_without_comparisons() -> None:
    assert headline([], [result("a"), result("b")]) == (
        "⏱️ 2 benchmarks measured (not compared with a baseline)"
    )
    assert headline([], []) == "no benchmarks measured"


def test_failing_rows_come_first_then_advisory_then_improved_and_the_rest_in_run_order() -> None:
    text = render_markdown([SAME, NEW, IMPROVED, ADVISORY, FAIL], [], baseline_path="b.toml")
    rows = table_rows(text, "benchmark")
    names = [r[0] for r in rows]
    assert names == ["`t.py::fail`", "`t.py::adv`", "`t.py::imp`", "`t.py::same`", "`t.py::new`"]
    assert rows[0][1:] == [
        "1.00 ms",
        "1.50 ms",
        "+50.0% [+40.0%, +60.0%]",
        "0.001",
        "❌ regressed: time/op",
        ">10%",
    ]
    assert rows[1][5] == "⚠️ regressed: time/op (advisory)"
    assert rows[4][1:] == ["", "", "", "", "🆕 new", ""]  # no time metric: no figures
    assert text.startswith("### perfguard: ❌ 1 regression in 5 benchmarks")
    assert "Compared with `b.toml`" in text


def test_a_benchmark_failing_on_allocations_only_is_listed_first_with_the_metric_named() -> None:
    allocs = metric(Verdict.REGRESSED, name="allocs", change=2.0)
    only_allocs = comparison("t.py::allocs", Verdict.REGRESSED, metric(Verdict.UNCHANGED), allocs)
    text = render_markdown([SAME, only_allocs], [], baseline_path=None)
    first = table_rows(text, "benchmark")[0]
    assert (first[0], first[5]) == ("`t.py::allocs`", "❌ regressed: allocs/op")
    others = table_rows(text.split("Other metrics that changed:")[1], "benchmark")
    assert others == [
        [
            "`t.py::allocs`",
            "allocs/op",
            "1e+06",
            "3e+06",
            "+200.0% [+190.0%, +210.0%]",
            "❌ regressed",
        ]
    ]
    assert "- `t.py::allocs`: allocs/op regressed" in text and "rule for allocs" in text


def test_unchanged_other_metrics_are_left_out() -> None:
    same = comparison(
        "t.py::x",
        Verdict.UNCHANGED,
        metric(Verdict.UNCHANGED),
        metric(Verdict.UNCHANGED, name="bytes"),
    )
    text = render_markdown([same], [], baseline_path=None)
    assert "Other metrics" not in text and "Why each regression" not in text


def test_pipes_and_backticks_in_node_ids_cannot_break_the_table() -> None:
    weird = "t.py::test[a|b-`x`]"
    text = render_markdown(
        [comparison(weird, Verdict.REGRESSED, metric(Verdict.REGRESSED))],
        [result(weird)],
        baseline_path="base|line.toml",
    )
    row = table_rows(text, "benchmark")[0]
    assert len(row) == 7
    assert row[0] == "``t.py::test[a\\|b-`x`]``"
    measured = table_rows(text.split("<summary>All measurements")[1], "benchmark")[0]
    assert len(measured) == 7 and measured[0] == row[0]


def test_code_spans() -> None:
    assert code("plain") == "`plain`"
    assert code("a``b") == "```a``b```"
    assert code("`edge`") == "`` `edge` ``"
    assert code("a|b\nc") == "`a\\|b c`"


def test_plain_run_is_just_the_measurement_table() -> None:
    text = render_markdown([], [result("t.py::a", 1500.0, exact=False)], baseline_path=None)
    assert "<details>" not in text and "change [95% CI]" not in text
    assert table_rows(text, "benchmark") == [
        ["`t.py::a`", "1.50 us", "±2.0%", "3", "100 B", "n/a", "≥2.00 KiB"]
    ]


def test_measurements_are_collapsed_under_a_comparison_and_notes_close_the_report() -> None:
    text = render_markdown(
        [SAME], [result("t.py::same")], baseline_path="b.toml", notes=["baseline not updated"]
    )
    details = text.index("<details><summary>All measurements (1 benchmark)</summary>")
    assert text.index("| benchmark | time/op |") > details
    assert text.endswith("\n- baseline not updated\n")
