"""The HTML report's renderer (pure): content, order, escaping and plots, read back with
html.parser."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pytest_perfguard.model import (
    BenchResult,
    Comparison,
    Decision,
    FunctionChange,
    Measurement,
    MetricComparison,
    PairedRun,
    Rule,
    RunSummary,
    SiteChange,
    Verdict,
    Where,
)
from pytest_perfguard.report.html import PLOTS_MISSING, HtmlReport, render_html
from pytest_perfguard.report.plots import MatplotlibPlotter
from tests.htmlpage import read_page


class FakePlotter:
    """Records what each plot was asked to draw; draws a marked, empty <svg>."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def _svg(self, kind: str, *args: Any) -> str:
        self.calls.append((kind, args))
        return f'<svg class="{kind}"></svg>'

    def distribution(
        self, samples_ns: Sequence[float], saved_ns: Sequence[float], saved_label: str
    ) -> str:
        return self._svg("distribution", tuple(samples_ns), tuple(saved_ns), saved_label)

    def ratios(
        self,
        ratios: Sequence[float],
        interval: tuple[float, float] | None,
        min_effect: float,
        ref: str,
    ) -> str:
        return self._svg("ratios", tuple(ratios), interval, min_effect, ref)

    def trend(
        self, labels: Sequence[str], medians_ns: Sequence[float], today_ns: float, regressed: bool
    ) -> str:
        return self._svg("trend", tuple(labels), tuple(medians_ns), today_ns, regressed)


def _fields(m: Measurement) -> dict[str, Any]:
    return {name: getattr(m, name) for name in Measurement.__dataclass_fields__}


def result(nodeid: str, median: float, group: str | None = None) -> BenchResult:
    samples = (median * 0.98, median, median * 1.02, median * 1.5)
    m = Measurement(median, median * 0.02, len(samples), 100, samples, (), 1000.0, 0.0, 3.0, 96.0)
    return BenchResult(nodeid, group, m)


def recorded(rule: str) -> Decision:
    """A decision as read back from results written before decisions: its words only."""
    return Decision(Rule.RECORDED, texts={"rule": rule})


def time_metric(verdict: Verdict, change: float, rule: str = "the rule", advisory: bool = False):
    interval = (change - 0.05, change + 0.05)
    return MetricComparison(
        "time", 1000.0, 1000.0 * (1 + change), change, interval, 0.001, verdict,
        recorded(rule), 0.2, advisory,
    )  # fmt: skip


def comparison(nodeid: str, *metrics: MetricComparison) -> Comparison:
    worst = Verdict.REGRESSED if any(m.verdict is Verdict.REGRESSED for m in metrics) else None
    return Comparison(nodeid, None, worst or metrics[0].verdict, metrics)


def runs(*medians: float) -> tuple[RunSummary, ...]:
    return tuple(
        RunSummary(f"2026-11-0{i + 1}T10:3{i}:00+00:00", m, 1.0, 1000.0, 20, 100, 3.0)
        for i, m in enumerate(medians)
    )


SAME, SLOW, SOFT = "t.py::test_same", "t.py::test_slow", "t.py::test_soft"


def regressed_report(**extra: Any) -> HtmlReport:
    """Three benchmarks in run order: unchanged, an advisory regression, a failing one."""
    results = [result(SAME, 1000.0), result(SOFT, 1300.0), result(SLOW, 1500.0)]
    comparisons = {
        SAME: comparison(SAME, time_metric(Verdict.UNCHANGED, 0.0)),
        SOFT: comparison(SOFT, time_metric(Verdict.REGRESSED, 0.3, advisory=True)),
        SLOW: comparison(SLOW, time_metric(Verdict.REGRESSED, 0.5, "fails beyond 10%")),
    }
    return HtmlReport(results, comparisons, "2026-11-30T12:00:00+00:00", "b.toml", **extra)


def test_the_first_screen_says_fail_and_lists_the_failing_regression_first() -> None:
    page = read_page(render_html(regressed_report(), FakePlotter()))
    assert page.find("header", "fail")
    assert page.text_of("h1") == ["perfguard: 1 regression in 3 benchmarks (1 advisory)"]
    assert page.text_of("span", "verdict") == ["FAIL"]
    [listed] = page.text_of("section", "regressions")
    assert listed.index("test_slow") < listed.index("test_soft")
    assert "test_same" not in listed  # only regressions are listed there
    # Then the table of all benchmarks and the sections, in the same order: urgent first.
    rows = [row.text for row in page.find("tr")[1:4]]
    assert ["test_slow" in rows[0], "test_soft" in rows[1], "test_same" in rows[2]] == [True] * 3
    assert page.bench_sections() == [SLOW, SOFT, SAME]


def test_a_run_without_regressions_passes_and_one_without_comparisons_is_measured() -> None:
    report = regressed_report()
    calm = {SAME: report.comparisons[SAME]}
    passed = read_page(render_html(HtmlReport(report.results[:1], calm, "now"), None))
    assert passed.text_of("span", "verdict") == ["PASS"]
    assert passed.text_of("h1") == ["perfguard: no regression in 1 benchmark"]
    assert not passed.find("section", "regressions")
    measured = read_page(render_html(HtmlReport(report.results, {}, "now"), None))
    assert measured.text_of("span", "verdict") == ["MEASURED"]
    assert measured.text_of("h1") == [
        "perfguard: 3 benchmarks measured (not compared with a baseline)"
    ]


def test_a_failed_perf_test_fails_the_page_even_without_a_regression() -> None:
    # A budget failure (limit_time) is not a comparison: the page still says FAIL.
    report = HtmlReport([result(SAME, 1000.0)], {}, "now", failed=frozenset({SAME}))
    page = read_page(render_html(report, None))
    assert page.text_of("span", "verdict") == ["FAIL"]
    assert "test failed" in page.find("section", "bench")[0].text


def test_one_section_per_benchmark_with_a_plot_per_figure() -> None:
    plotter = FakePlotter()
    history = {SLOW: runs(1000.0, 1010.0)}
    page = read_page(render_html(regressed_report(history=history), plotter))
    sections = page.find("section", "bench")
    assert len(sections) == 3
    assert len(page.find("svg", "distribution")) == 3  # every benchmark has its rounds
    assert len(page.find("svg", "trend")) == 1  # only test_slow has saved runs
    trend = next(args for kind, args in plotter.calls if kind == "trend")
    assert trend == (("11-01\n10:30", "11-02\n10:31"), (1000.0, 1010.0), 1500.0, True)
    first = next(args for kind, args in plotter.calls if kind == "distribution")
    assert first[0] == result(SLOW, 1500.0).measurement.samples_ns
    # The figures as a table too, and the rule that decided each metric.
    assert "saved 11-01 10:30" in sections[0].text
    assert "fails beyond 10%" in sections[0].text
    assert "No saved runs" in sections[1].text


def test_the_newest_saved_runs_rounds_are_drawn_beside_this_runs() -> None:
    plotter = FakePlotter()
    newest = runs(1000.0)[0]
    kept = RunSummary(newest.timestamp, 1000.0, 1.0, 1000.0, 3, 100, samples_ns=(9.0, 10.0, 11.0))
    render_html(regressed_report(history={SAME: (kept,)}), plotter)
    drawn = [args for kind, args in plotter.calls if kind == "distribution"]
    assert drawn[2][1:] == ((9.0, 10.0, 11.0), "saved run 11-01 10:30")


def test_ab_draws_the_paired_ratios_with_the_interval_and_min_effect() -> None:
    plotter = FakePlotter()
    paired = PairedRun("main (1a2b3c)", (1.04, 1.1, 1.12, 1.09), None)
    report = regressed_report(paired={SLOW: paired}, min_effects={SLOW: 0.05}, ref=paired.ref)
    page = read_page(render_html(report, plotter))
    ratios = [args for kind, args in plotter.calls if kind == "ratios"]
    # The time metric's interval of the change (+45%, +55%) as an interval of the ratio.
    assert len(ratios) == 1
    values, interval, min_effect, ref = ratios[0]
    assert values == paired.ratios and min_effect == 0.05 and ref == "main (1a2b3c)"
    assert interval is not None and [round(x, 6) for x in interval] == [1.45, 1.55]
    assert "measured in this run in paired rounds" in page.text_of("p", "sub")[0]
    assert "head / base ratio" in page.find("section", "bench")[0].text


def test_user_strings_are_escaped() -> None:
    nodeid = 't.py::test_x[<script>alert("x")</script>]'
    rule = "<img src=x onerror=alert(1)> & more"
    results = [result(nodeid, 1000.0, group="<b>group</b>")]
    comparisons = {nodeid: comparison(nodeid, time_metric(Verdict.REGRESSED, 0.5, rule))}
    text = render_html(HtmlReport(results, comparisons, "now", "<i>b.toml</i>"), FakePlotter())
    page = read_page(text)
    assert page.external_references() == []
    assert not page.find("script") and not page.find("img") and not page.find("i")
    assert page.text_of("b") == ["this run", "regressed"]  # the page's own bold, no group
    assert page.bench_sections() == [nodeid]  # the attribute holds it intact
    section = page.find("section", "bench")[0].text
    assert nodeid in " ".join(page.text_of("h2")) and rule in section and "<b>group</b>" in section
    assert "<script>" not in text


def test_without_matplotlib_every_table_is_there_and_the_page_says_how_to_get_plots() -> None:
    page = read_page(render_html(regressed_report(history={SLOW: runs(1000.0)}), None))
    assert page.text_of("p", "plots-missing") == [PLOTS_MISSING]
    assert "pip install 'perfguard[html]'" in PLOTS_MISSING
    assert not page.find("svg")
    assert len(page.find("table", "overview")) == 1
    assert len(page.find("table", "runs")) == 3 and len(page.find("table", "metrics")) == 3


def test_matplotlib_draws_inline_svg_with_no_external_reference() -> None:
    paired = PairedRun("main (1a2b3c)", (1.04, 1.1, 1.12, 1.09, 3.0), None)
    history = {SLOW: runs(1000.0, 1010.0), SAME: runs(990.0)}
    report = regressed_report(history=history, paired={SOFT: paired}, min_effects={SOFT: 0.1})
    text = render_html(report, MatplotlibPlotter())
    page = read_page(text)
    assert len(page.find("svg")) == 3 + 2  # a distribution or ratios each, two trends
    assert page.external_references() == []
    assert "<?xml" not in text and "<!DOCTYPE svg" not in text
    ids = [e.attrs["id"] for e in page.elements if "id" in e.attrs]
    assert len(ids) == len(set(ids))  # ids from several figures never collide in one page
    soft = page.find("section", "bench")[1].text  # the A/B one, with the ratio's marks
    assert "95% interval" in soft and "1 off-scale" in soft
    # Both dashed lines of the min effect are in the legend, the green one below 1 too.
    assert "1.10 regression bar (+10% min effect)" in soft
    assert "0.90 improvement bar (-10% min effect)" in soft
    assert "this run (4 rounds, 1 off-scale)" in page.find("section", "bench")[0].text


def test_counts_read_whole_and_times_with_units() -> None:
    busy = result(SLOW, 1500.0)
    busy = BenchResult(
        SLOW, None, Measurement(**{**_fields(busy.measurement), "allocs_per_op": 117730.0})
    )
    allocs = MetricComparison("allocs", 2.0, 117730.0, 58864.0, None, None, Verdict.REGRESSED,
                              recorded("r"))  # fmt: skip
    report = HtmlReport([busy], {SLOW: comparison(SLOW, allocs)}, "now")
    text = render_html(report, None)
    # The regressions list, the table of all, this run's row and the verdict's row.
    assert text.count("117,730") == 4
    assert "e+05" not in text and "1.50 us" in text


def test_a_regression_shows_where_its_profile_changed() -> None:
    changes = (
        FunctionChange("lib.py", 3, "<parse>", 1.0, 2.0, 100.0, 250.0),
        FunctionChange("lib.py", 9, "tokenize", 4.0, 4.0, 80.0, 79.0),
    )
    where = Where(changes, changes[:1], "main (1a2b3c4d5e6f)", live=True)
    report = regressed_report()
    slow = replace(report.comparisons[SLOW], where=where)
    report = replace(report, comparisons={**report.comparisons, SLOW: slow})
    page = read_page(render_html(report, None))
    slow_section, *others = page.find("section", "bench")
    assert "base: main (1a2b3c4d5e6f), measured in this run" in slow_section.text
    tables = page.find("table", "where")
    assert len(tables) == 2  # own time, then calls per op
    own, calls = (t.text for t in tables)  # the cells' text, run together
    assert "lib.py:3(<parse>)100 ns250 ns+150 ns12" in own  # escaped, read back as text
    assert own.index("<parse>") < own.index("tokenize")
    assert "lib.py:3(<parse>)12+1" in calls and "tokenize" not in calls
    assert not any("Where" in s.text for s in others)


def test_an_allocation_regression_shows_its_sites_without_a_profile() -> None:
    change = SiteChange("lib.py", 21, "<helper>", 0.0, 1.0, 0.0, 65536.0)
    where = Where((), (), "main (1a2b3c4d5e6f)", True, (change,), (change,))
    report = regressed_report()
    slow = replace(report.comparisons[SLOW], where=where)
    report = replace(report, comparisons={**report.comparisons, SLOW: slow})
    page = read_page(render_html(report, None))
    tables = page.find("table", "where")
    assert len(tables) == 2  # no empty own-time table: allocs/op, then B/op
    allocs, nbytes = (t.text for t in tables)
    assert "lib.py:21(<helper>)01+1" in allocs  # escaped, read back as text
    assert "lib.py:21(<helper>)0 B64.0 KiB+64.0 KiB" in nbytes
