"""--perf-html from the user's side: pytester runs of real test files on a fake clock."""

from __future__ import annotations

import sys

import pytest

from pytest_perfguard.report.html import PLOTS_MISSING
from pytest_perfguard.report.plots import MatplotlibPlotter
from tests.ab.test_ab import git, repo, run  # noqa: F401  # repo: the A/B fixture
from tests.fakes import CONFTEST
from tests.htmlpage import read_page

from .test_plugin_baseline import SUITE
from .test_plugin_ci import regressed  # noqa: F401  # test_other twice its saved time

FAST = ("--perf-max-time=0.01", "-p", "no:cacheprovider")


@pytest.fixture(autouse=True, scope="module")
def _matplotlib_loaded() -> None:
    # An in-process run unloads the modules it imported; matplotlib's, imported again by the
    # next run, would mix classes of two loads. Drawing each plot once loads them all first.
    plotter = MatplotlibPlotter()
    plotter.distribution([1.0, 2.0], [1.5], "saved")
    plotter.ratios([1.0, 1.1], (1.0, 1.2), 0.1, "main")
    plotter.trend(["a"], [1.0], 2.0, False)


def test_the_report_shows_the_regression_first_with_plots(
    regressed: pytest.Pytester,  # noqa: F811
) -> None:
    result = regressed.runpytest(*FAST, "--perf-compare", "--perf-html=out/report.html")
    result.assert_outcomes(passed=1, failed=1)
    page = read_page((regressed.path / "out" / "report.html").read_text(encoding="utf-8"))
    assert page.text_of("span", "verdict") == ["FAIL"]
    assert page.text_of("h1") == ["perfguard: 1 regression in 2 benchmarks"]
    assert "test_suite.py::test_other" in page.text_of("section", "regressions")[0]
    assert page.bench_sections() == ["test_suite.py::test_other", "test_suite.py::test_steady"]
    # Each: the rounds' distribution and the trend of the 5 saved runs with this one.
    assert len(page.find("svg")) == 4
    other = page.find("section", "bench")[0].text
    assert "Median time per op, run by run" in other and "01-05" in other
    assert "time regressed +300.0% (reference-corrected" in other  # the rule
    assert page.external_references() == []


def test_without_matplotlib_the_report_has_the_tables_and_says_how_to_get_plots(
    regressed: pytest.Pytester,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib: ImportError
    monkeypatch.delitem(sys.modules, "pytest_perfguard.report.plots", raising=False)
    result = regressed.runpytest(*FAST, "--perf-compare", "--perf-html=report.html")
    result.assert_outcomes(passed=1, failed=1)
    assert "Traceback" not in result.stdout.str()
    page = read_page((regressed.path / "report.html").read_text(encoding="utf-8"))
    assert page.text_of("p", "plots-missing") == [PLOTS_MISSING]
    assert not page.find("svg")
    assert len(page.find("table", "overview")) == 1 and len(page.find("table", "runs")) == 2
    assert page.bench_sections() == ["test_suite.py::test_other", "test_suite.py::test_steady"]


def test_a_plain_run_reports_every_benchmark_and_escapes_node_ids(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_odd="""
        import pytest
        from conftest import tick

        @pytest.mark.parametrize("n", [1], ids=["<script>alert(1)</script>"])
        def test_odd(perf, n):
            perf(tick, 1000)
        """
    )
    pytester.runpytest(*FAST, "--perf-html=r.html").assert_outcomes(passed=1)
    text = (pytester.path / "r.html").read_text(encoding="utf-8")
    page = read_page(text)
    assert page.bench_sections() == ["test_odd.py::test_odd[<script>alert(1)</script>]"]
    assert page.text_of("span", "verdict") == ["MEASURED"]
    assert not page.find("script") and "<script>" not in text
    assert len(page.find("svg")) == 1  # the distribution; no saved runs, no trend
    for cls in ("overview", "runs"):  # the counts the summary shows, calls/op included
        assert "calls/op" in page.find("table", cls)[0].text


def test_the_ini_key_writes_under_the_rootdir(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    pytester.makeini("[pytest]\nperf_html = reports/perf.html\n")
    sub = pytester.mkdir("sub")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(sub)
        pytester.runpytest(*FAST, str(pytester.path)).assert_outcomes(passed=2)
    page = read_page((pytester.path / "reports" / "perf.html").read_text(encoding="utf-8"))
    assert len(page.bench_sections()) == 2
    assert not (sub / "reports").exists()


@pytest.mark.parametrize(
    ("args", "ini", "source"),
    [(("--perf-html=out",), "", "--perf-html"), ((), "perf_html = out", "ini key perf_html")],
)
def test_a_directory_as_the_report_is_a_usage_error_naming_its_source(
    pytester: pytest.Pytester, args: tuple[str, ...], ini: str, source: str
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    pytester.makeini(f"[pytest]\n{ini}\n")
    (pytester.path / "out").mkdir()
    result = pytester.runpytest(*FAST, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*pytest-perfguard: {source} *out: is a directory; give a file*"])


def test_ab_draws_the_paired_ratios(repo: pytest.Pytester) -> None:  # noqa: F811
    repo.makepyfile(mylib="from conftest import tick\n\ndef work():\n    tick(1100)\n")
    sha = git(repo, "rev-parse", "--short=12", "HEAD")
    result = run(repo, "--perf-compare-ref", "HEAD", "--perf-ab-processes=2", "--perf-html=r.html")
    result.assert_outcomes(failed=2)  # +10% on the fake clock, in every pair of rounds
    page = read_page((repo.path / "r.html").read_text(encoding="utf-8"))
    assert f"HEAD ({sha}), measured in this run in paired rounds" in page.text_of("p", "sub")[0]
    assert page.text_of("span", "verdict") == ["FAIL"]
    work = page.find("section", "bench")[0].text
    assert "Head / base (HEAD) time per op, each pair of rounds" in work
    assert "95% interval" in work and "min effect" in work and "head / base ratio" in work
    assert "1.100" in work  # every pair's ratio on the fake clock


def test_an_unreadable_baseline_is_a_note_not_a_failure(pytester: pytest.Pytester) -> None:
    # Without --perf-compare the run never read the baseline; the report reads it for the trend.
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    (pytester.path / ".perfguard").mkdir()
    (pytester.path / ".perfguard" / "baseline.toml").write_text("schema_version = [\n")
    result = pytester.runpytest(*FAST, "--perf-html=r.html")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    page = read_page((pytester.path / "r.html").read_text(encoding="utf-8"))
    [note] = [n for n in page.text_of("p", "note") if "saved runs are not shown" in n]
    assert "baseline.toml" in note
    assert len(page.bench_sections()) == 2
