"""Scaling groups from the user's side: `scale="n"` over parametrized sizes, the fit in the
summary and the JSON, `limit_scaling`, and the stored gate on another machine. The allocation
counts scale exactly, so the verdicts here do not depend on this machine's speed."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from pytest_perfguard.cli import main
from pytest_perfguard.measure.allocations import load_hooks
from tests.htmlpage import read_page
from tests.report.test_report_markdown import table_rows

FAST = ("--perf-max-time=0.01", "-p", "no:cacheprovider")
needs_cext = pytest.mark.skipif(load_hooks() is None, reason="C extension not built here")

GROWTH = """
import os
import pytest

POWER = int(os.environ.get("POWER", "1"))

def work(n):
    return [object() for _ in range(n ** POWER)]

@pytest.mark.perf(scale="n"{extra})
@pytest.mark.parametrize("n", [16, 32, 64, 128])
def test_grow(perf, n):
    perf(work, n)
"""


def suite(pytester: pytest.Pytester, extra: str = "") -> None:
    pytester.makepyfile(test_growth=GROWTH.format(extra=extra))


@needs_cext
def test_the_summary_fits_each_metric_and_the_json_has_a_scaling_section(
    pytester: pytest.Pytester,
) -> None:
    suite(pytester)
    result = pytester.runpytest(*FAST, "--perf-json=out.json")
    assert result.ret == 0
    rows = [
        line.split() for line in result.outlines if line.startswith("test_growth.py::test_grow ")
    ]
    allocs = next(row for row in rows if row[1] == "allocs/op")
    assert allocs[2:4] == ["16..128", "(4)"] and allocs[5] == "O(n)"
    assert 0.85 < float(allocs[4]) <= 1.05  # n objects, and the list's fixed cost
    (group,) = json.loads((pytester.path / "out.json").read_text())["scaling"]
    assert group["group"] == "test_growth.py::test_grow"
    assert group["sizes"] == [16, 32, 64, 128]
    assert group["metrics"]["allocs"]["class"] == "n"
    assert group["metrics"]["allocs"]["exponent"] == pytest.approx(1.0, abs=0.1)
    assert group["failures"] == []


@needs_cext
def test_limit_scaling_fails_the_run_when_a_group_grows_faster(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite(pytester, extra=', limit_scaling="n"')
    assert pytester.runpytest(*FAST).ret == 0
    monkeypatch.setenv("POWER", "2")
    result = pytester.runpytest(*FAST)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "FAILED test_growth.py::test_grow: allocs grows as n^2.* (best fit O(n^2)), beyond "
            "limit_scaling O(n) *"
        ]
    )


@needs_cext
def test_a_group_turned_quadratic_fails_against_runs_saved_on_another_machine(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite(pytester)
    monkeypatch.setenv("PERFGUARD_MACHINE", "where-it-was-saved")
    pytester.runpytest(*FAST, "--perf-save").assert_outcomes(passed=4)
    monkeypatch.setenv("PERFGUARD_MACHINE", "another-machine")
    same = pytester.runpytest(*FAST, "--perf-compare")
    assert same.ret == 0, same.outlines
    assert not any("scaling regressed" in line for line in same.outlines)
    monkeypatch.setenv("POWER", "2")
    result = pytester.runpytest(*FAST, "--perf-compare")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["FAILED test_growth.py::test_grow: allocs scaling regressed: exponent 0.9* -> 2.* "
         "class O(n) -> O(n^2)"]
    )  # fmt: skip


@needs_cext
def test_perfguard_compare_fits_the_groups_of_a_results_file_against_the_baseline(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    suite(pytester)
    pytester.runpytest(*FAST, "--perf-save").assert_outcomes(passed=4)
    baseline = str(pytester.path / ".perfguard" / "baseline.toml")
    pytester.runpytest(*FAST, "--perf-json=same.json").assert_outcomes(passed=4)
    assert main(["compare", baseline, "same.json"]) == 0
    same = capsys.readouterr().out
    assert "scaling:" in same and "scaling regressed" not in same
    monkeypatch.setenv("POWER", "2")
    pytester.runpytest(*FAST, "--perf-json=quadratic.json").assert_outcomes(passed=4)
    capsys.readouterr()
    assert main(["compare", baseline, "quadratic.json", "--markdown", "report.md"]) == 1
    out = capsys.readouterr().out
    assert re.search(
        r"FAILED test_growth.py::test_grow: allocs scaling regressed: exponent 0\.9\d -> 2\.\d+ "
        r".*class O\(n\) -> O\(n\^2\)",
        out,
    ), out
    markdown = (pytester.path / "report.md").read_text()
    allocs = next(row for row in table_rows(markdown, "group") if row[1] == "allocs/op")
    assert allocs[0] == "`test_growth.py::test_grow`" and allocs[4] == "O(n^2)"


def test_fewer_sizes_selected_fit_nothing(pytester: pytest.Pytester) -> None:
    suite(pytester)
    result = pytester.runpytest(*FAST, "-k", "16 or 32")
    result.assert_outcomes(passed=2)
    assert not any("perfguard: scaling" in line for line in result.outlines)


@pytest.mark.parametrize(
    ("marker", "sizes", "error"),
    [
        ('scale="size"', "[1, 10, 100]", "scale='size' names no @pytest.mark.parametrize argument"),
        ('scale="n"', "[1, 10]", "needs at least 3 sizes, got 2 (1, 10)"),
        ('scale="n"', "[10, 20, 40]", "sizes must span at least 8x, got 4x (10 to 40)"),
        ('scale="n"', "[1, 10, 0.5]", "sizes must be positive ints, got 0.5"),
        ('scale="n", limit_scaling="n!"', "[1, 10, 100]", "unknown complexity class 'n!'"),
        ("scale=3", "[1, 10, 100]", "invalid scale=3"),
    ],
)
def test_a_group_that_cannot_be_fitted_is_a_collection_error(
    pytester: pytest.Pytester, marker: str, sizes: str, error: str
) -> None:
    pytester.makepyfile(
        test_bad=f"""
        import pytest

        @pytest.mark.perf({marker})
        @pytest.mark.parametrize("n", {sizes})
        def test_it(perf, n):
            perf(len, "x" * 3)
        """
    )
    result = pytester.runpytest(*FAST)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert any(error in line for line in result.outlines), result.outlines


@needs_cext
def test_a_group_turned_quadratic_fails_against_the_base_revision_in_ab(
    pytester: pytest.Pytester,
) -> None:
    # The base commit grows as n; the working tree as n^2. Both are fitted in the same run.
    suite(pytester)
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "base"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=pytester.path, check=True)  # fmt: skip
    same = pytester.runpytest_subprocess(*FAST, "--perf-compare-ref", "HEAD",
                                         "--perf-ab-processes", "1")  # fmt: skip
    assert same.ret == 0, same.outlines
    assert not any("scaling regressed" in line for line in same.outlines)
    quadratic = GROWTH.format(extra="").replace('os.environ.get("POWER", "1")', '"2"')
    pytester.makepyfile(test_growth=quadratic)
    result = pytester.runpytest_subprocess(*FAST, "--perf-compare-ref", "HEAD",
                                           "--perf-ab-processes", "1")  # fmt: skip
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["FAILED test_growth.py::test_grow: allocs scaling regressed: exponent 0.9* -> 2.* "
         "class O(n) -> O(n^2)"]
    )  # fmt: skip


@needs_cext
def test_markdown_step_summary_annotations_and_html_carry_the_scaling_verdicts(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite(pytester, extra=', limit_scaling="n"')
    summary = pytester.path / "step_summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    outputs = ("--perf-markdown=report.md", "--perf-html=report.html")
    assert pytester.runpytest(*FAST, *outputs).ret == 0
    calm = (pytester.path / "report.md").read_text()
    assert "scaling failure" not in calm.splitlines()[0]
    allocs = next(row for row in table_rows(calm, "group") if row[1] == "allocs/op")
    assert allocs[0] == "`test_growth.py::test_grow`" and allocs[2] == "16..128 (4)"
    assert allocs[4] == "O(n)" and allocs[7] == ""
    summary.unlink()
    monkeypatch.setenv("POWER", "2")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = pytester.runpytest(*FAST, *outputs)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["::error file=test_growth.py,line=*,title=perfguard%3A test_grow scaling::allocs grows "
         "as n^2.* beyond limit_scaling O(n)*"]
    )  # fmt: skip
    for text in ((pytester.path / "report.md").read_text(), summary.read_text()):
        assert re.match(r"### perfguard: ❌ \d+ scaling failures?; 4 benchmarks measured", text)
        allocs = next(row for row in table_rows(text, "group") if row[1] == "allocs/op")
        assert allocs[4] == "O(n^2)" and allocs[7] == "❌ over limit_scaling"
        assert "- ❌ `test_growth.py::test_grow`: allocs grows as n^2." in text
    page = read_page((pytester.path / "report.html").read_text())
    assert page.text_of("span", "verdict") == ["FAIL"]
    [scaling] = page.find("section", "scaling")
    assert "allocs/op: O(n^2), n^2." in scaling.text  # the plot's legend, drawn as text
    assert len(page.find("svg")) == 4 + 1  # one distribution per case, one scaling plot
