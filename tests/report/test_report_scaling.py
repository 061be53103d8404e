"""The scaling groups in the Markdown report and the HTML page (pure renderers): the summary's
rows, the verdicts and limit failures, the headline, and the log-log plot's data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from pytest_perfguard.complexity import class_named
from pytest_perfguard.judge.scaling import Fit, ScalingVerdict
from pytest_perfguard.judge.scaling_groups import GroupResult
from pytest_perfguard.model import BenchResult
from pytest_perfguard.report.github import annotations
from pytest_perfguard.report.html import HtmlReport, render_html
from pytest_perfguard.report.htmlscaling import CURVE_POINTS, scaling_series
from pytest_perfguard.report.markdown import render_markdown
from pytest_perfguard.report.plots import MatplotlibPlotter
from pytest_perfguard.report.plotter import ScalingSeries
from tests.htmlpage import read_page

from .test_html import FakePlotter, result
from .test_report_markdown import table_rows

SIZES = (16, 32, 64, 128)
GROUP = "t.py::test_grow"


def linear(exponent: float = 0.95) -> Fit:
    values = tuple(2.0 + n for n in SIZES)
    return Fit(SIZES, values, exponent, exponent, exponent, class_named("n"), 0.01, 1.0, 2.0)


def quadratic() -> Fit:
    values = tuple(2.0 + n * n for n in SIZES)
    return Fit(SIZES, values, 1.97, 1.97, 1.97, class_named("n^2"), 0.01, 1.0, 2.0)


def timed() -> Fit:
    values = tuple(0.5 * n for n in SIZES)
    return Fit(SIZES, values, 1.0, 0.93, 1.07, class_named("n"), 0.02, 0.5, 0.0)


def group(name: str = GROUP, **extra: Any) -> GroupResult:
    fields: dict[str, Any] = {
        "fits": {"time": timed(), "allocs": linear(), "calls": "nothing measured at n=16"},
        "base": {},
        "verdicts": {},
        "failures": (),
        "per_size": tuple(result(f"{name}[{n}]", 1000.0 * n).measurement for n in SIZES),
    }
    fields.update(extra)
    return GroupResult(name, SIZES, **fields)


LIMIT = f"{GROUP}: allocs grows as n^1.97 [1.97, 1.97] (best fit O(n^2)), beyond limit_scaling O(n)"
REGRESSED = f"{GROUP}: allocs scaling regressed: exponent 0.95 -> 1.97, class O(n) -> O(n^2)"


def failing() -> GroupResult:
    """allocs turned quadratic: the saved runs' fit was linear, and limit_scaling is "n"."""
    return group(
        fits={"time": timed(), "allocs": quadratic()},
        base={"time": timed(), "allocs": linear()},
        verdicts={
            "time": (ScalingVerdict.UNCHANGED, "same"),
            "allocs": (ScalingVerdict.REGRESSED, "worse"),
        },
        failures=(REGRESSED, LIMIT),
    )


def markdown(*groups: GroupResult) -> str:
    results = [result(f"{GROUP}[{n}]", 1000.0 * n) for n in SIZES]
    return render_markdown([], results, baseline_path=None, scaling=groups)


def test_markdown_has_the_summarys_row_per_fitted_metric() -> None:
    text = markdown(group())
    assert (
        text.splitlines()[0]
        == "### perfguard: ⏱️ 4 benchmarks measured (not compared with a baseline)"
    )
    rows = table_rows(text, "group")
    assert [row[1] for row in rows] == ["time/op", "allocs/op", "calls/op"]
    time, allocs, calls = rows
    assert time == ["`t.py::test_grow`", "time/op", "16..128 (4)", "1.00 [0.93, 1.07]", "O(n)",
                    "2.0%", "", ""]  # fmt: skip
    assert allocs[3:6] == ["0.95", "O(n)", "1.0%"]  # exact counts: no interval
    assert calls[3:6] == ["n/a: nothing measured at n=16", "", ""]
    assert "- `t.py::test_grow`: n=16: 16.0 us 3 allocs/op, n=32: 32.0 us 3 allocs/op" in text
    assert "❌" not in text


def test_markdown_leads_with_scaling_failures_and_marks_their_rows() -> None:
    text = markdown(failing())
    assert text.splitlines()[0] == (
        "### perfguard: ❌ 2 scaling failures; 4 benchmarks measured (not compared with a baseline)"
    )
    time, allocs = table_rows(text, "group")
    assert allocs[3:] == ["1.97", "O(n^2)", "1.0%", "0.95", "❌ regressed, over limit_scaling"]
    assert time[-1] == "unchanged"
    assert f"- ❌ `{GROUP}`: {REGRESSED.removeprefix(GROUP + ': ')}" in text
    assert f"- ❌ `{GROUP}`: {LIMIT.removeprefix(GROUP + ': ')}" in text


def test_markdown_keeps_a_group_name_with_a_pipe_in_one_cell() -> None:
    name = "t.py::test_grow[mode='a|b']"
    rows = table_rows(markdown(group(name)), "group")
    assert rows[0][0] == "`t.py::test_grow[mode='a\\|b']`" and len(rows[0]) == 8


def test_markdown_without_scaling_groups_has_no_scaling_section() -> None:
    assert "Scaling" not in markdown()


class ScalingPlotter(FakePlotter):
    def scaling(self, title: str, series: Sequence[ScalingSeries]) -> str:
        return self._svg("scaling", title, tuple(series))


def page_of(*groups: GroupResult, plotter: Any = None) -> Any:
    results = [result(f"{GROUP}[{n}]", 1000.0 * n) for n in SIZES]
    return read_page(render_html(HtmlReport(results, {}, "now", scaling=groups), plotter))


def test_html_has_the_table_and_one_log_log_plot_per_group() -> None:
    plotter = ScalingPlotter()
    page = page_of(group(), group("t.py::test_other"), plotter=plotter)
    assert page.text_of("span", "verdict") == ["MEASURED"]
    [section] = page.find("section", "scaling")
    rows = page.find("table", "scaling")[0].text
    assert "1.00 [0.93, 1.07]" in rows and "n/a: nothing measured at n=16" in rows
    drawn = [args for kind, args in plotter.calls if kind == "scaling"]
    assert [title for title, _ in drawn] == ["test_grow", "test_other"]
    assert len(page.find("svg", "scaling")) == 2
    # calls has no fit: not drawn; each series relative to its value at the smallest size.
    labels = [s.label for s in drawn[0][1]]
    assert labels == ["time/op: O(n), n^1.00", "allocs/op: O(n), n^0.95"]
    allocs = drawn[0][1][1]
    assert allocs.measured == pytest.approx([1.0, 34 / 18, 66 / 18, 130 / 18])
    assert len(allocs.curve) == CURVE_POINTS
    assert allocs.curve[0] == pytest.approx((16, 1.0)) and allocs.curve[-1] == pytest.approx(
        (128, 130 / 18)
    )  # the fit the verdict used, evaluated: 2 + n
    assert allocs.saved_curve == ()  # not compared
    assert "n=16: 16.0 us" in section.text


def test_html_fails_the_page_on_a_scaling_failure_and_shows_it_first() -> None:
    page = page_of(failing())
    assert page.text_of("span", "verdict") == ["FAIL"]
    assert page.text_of("h1") == [
        "perfguard: 2 scaling failures; 4 benchmarks measured (not compared with a baseline)"
    ]
    sections = [e.attrs.get("class", "") for e in page.find("section")]
    assert sections.index("scaling") < sections.index("")  # before the table of every benchmark
    assert page.text_of("b", "bad") == ["regressed, over limit_scaling"]
    assert "beyond limit_scaling O(n)" in page.find("section", "scaling")[0].text


def test_a_compared_group_also_draws_the_saved_runs_fit() -> None:
    time, allocs = scaling_series(failing())
    assert allocs.curve[-1] == pytest.approx((128, 16386 / 258))  # now: 2 + n^2
    assert allocs.saved_curve[0] == pytest.approx((16, 1.0))
    assert allocs.saved_curve[-1] == pytest.approx((128, 130 / 18))  # saved: 2 + n
    assert len(time.saved_curve) == CURVE_POINTS


def test_a_metric_zero_at_every_size_is_not_drawn_on_log_axes() -> None:
    zero = Fit(SIZES, (0.0,) * 4, 0.0, 0.0, 0.0, class_named("1"), 0.0, 0.0, 0.0)
    assert scaling_series(group(fits={"allocs": zero})) == []


def test_matplotlib_draws_the_group_as_inline_svg() -> None:
    text = render_html(
        HtmlReport([result(f"{GROUP}[16]", 1.0)], {}, "now", scaling=(failing(),)),
        MatplotlibPlotter(),
    )
    page = read_page(text)
    figure = page.find("section", "scaling")[0].text
    assert "time/op: O(n), n^1.00" in figure and "allocs/op: O(n^2), n^1.97" in figure
    assert "relative to n=16" in figure and "n (log scale)" in figure
    assert "fitted class" in figure and "base's fit" in figure
    assert page.external_references() == []


def test_each_scaling_failure_is_a_github_error_at_the_test_function() -> None:
    results = [
        BenchResult(f"{GROUP}[{n}]", None, result(f"{GROUP}[{n}]", 1.0).measurement,
                    location=("t.py", 12))
        for n in SIZES
    ]  # fmt: skip
    commands = annotations([], results, [failing(), group("t.py::test_calm")])
    assert commands == [
        f"::error file=t.py,line=12,title=perfguard%3A test_grow scaling::{text}"
        for text in (REGRESSED.removeprefix(GROUP + ": "), LIMIT.removeprefix(GROUP + ": "))
    ]
    # A group of other parameters ("[mode='a']") is found at its function too; no location:
    # still emitted, unanchored.
    other = group(f"{GROUP}[mode='a']", failures=(f"{GROUP}[mode='a']: allocs over",))
    assert annotations([], results, [other]) == [
        "::error file=t.py,line=12,title=perfguard%3A test_grow[mode='a'] scaling::allocs over"
    ]
    assert annotations([], [], [other]) == [
        "::error title=perfguard%3A test_grow[mode='a'] scaling::allocs over"
    ]
