"""Calls per op and the profile, from the user's side: the summary column, the calls gate,
profile=False, --perf-profile files and the "where" lines of a failure (pytester runs)."""

from __future__ import annotations

import dataclasses
import json
import pstats

import pytest

from pytest_perfguard.measure.environment import current_fingerprint
from pytest_perfguard.model import Baseline, BaselineEntry, FunctionCost, RunSummary
from pytest_perfguard.store import baseline as storage
from tests.fakes import CONFTEST, MACHINE

FAST = ("--perf-max-time=0.01", "-p", "no:cacheprovider")

SUITE = """
import pytest
from conftest import tick


def helper():
    pass


@pytest.mark.perf{marker}
def test_calls():
    tick(1000)
{calls}
"""
NODE = "test_suite.py::test_calls"


def suite(pytester: pytest.Pytester, helpers: int, marker: str = "") -> None:
    pytester.makeconftest(CONFTEST)
    body = "\n".join(["    helper()"] * helpers)
    pytester.makepyfile(test_suite=SUITE.format(marker=marker, calls=body))


def save_calls(pytester: pytest.Pytester, calls: float, helper_calls: float) -> None:
    """A baseline of 5 steady runs counting `calls` calls/op, the newest with a profile."""
    fp = dataclasses.replace(current_fingerprint(MACHINE))
    profile = (
        FunctionCost("test_suite.py", 5, "helper", helper_calls, 100.0),
        FunctionCost("test_suite.py", 9, "test_calls", 1.0, 300.0),
    )
    runs = tuple(
        RunSummary(f"2026-01-0{i + 1}T00:00:00+00:00", 1000.0, 1.0, 1000.0, 20, 200,
                   calls_per_op=calls, profile=profile if i == 4 else None)
        for i in range(5)
    )  # fmt: skip
    entry = BaselineEntry(NODE, None, runs, fp.python_minor, fp.machine)
    storage.save(pytester.path / ".perfguard" / "baseline.toml", Baseline(fp, {NODE: entry}))


def test_the_summary_shows_calls_per_op(pytester: pytest.Pytester) -> None:
    suite(pytester, helpers=3)
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(passed=1)
    # The test, tick (the fake clock's) and helper three times.
    result.stdout.fnmatch_lines(
        ["benchmark * allocs/op*B/op*calls/op*peak mem", f"{NODE} * B  *5  *"]
    )


def test_one_more_call_per_op_fails_compare_and_says_where(pytester: pytest.Pytester) -> None:
    suite(pytester, helpers=2)
    save_calls(pytester, calls=3.0, helper_calls=1.0)
    result = pytester.runpytest(*FAST, "--perf-compare")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "  calls/op regressed: 3 -> 4 (+33.3%)",
            "    rule: More function calls per op than the saved runs: the code does more, not "
            "noise. function calls regressed: 3 -> 4 calls/op (+1); all 5 saved runs counted "
            "3 calls/op; counts are exact, so any rise counts as real",
            "  where (per op, profiled; base: the saved run of 2026-01-05T00:00:00+00:00):",
            "    own time:",
            "    calls:",
            # tick is not in the saved profile: counted from 0 there. Ties: by file:line.
            "      +1 conftest.py:*(tick): 0 -> 1 calls",
            "      +1 test_suite.py:5(helper): 1 -> 2 calls",
        ]
    )


def test_the_same_calls_pass_and_calls_tolerance_allows_a_rise(
    pytester: pytest.Pytester,
) -> None:
    suite(pytester, helpers=1)
    save_calls(pytester, calls=3.0, helper_calls=1.0)
    pytester.runpytest(*FAST, "--perf-compare").assert_outcomes(passed=1)
    suite(pytester, helpers=2)
    pytester.runpytest(*FAST, "--perf-compare").assert_outcomes(failed=1)
    result = pytester.runpytest(*FAST, "--perf-compare", "--perf-calls-tolerance=40%")
    result.assert_outcomes(passed=1)
    pytester.makeini("[pytest]\nperf_calls_tolerance = 30%\n")
    pytester.runpytest(*FAST, "--perf-compare").assert_outcomes(failed=1)


def test_profile_false_measures_no_calls_and_gates_none(pytester: pytest.Pytester) -> None:
    suite(pytester, helpers=5, marker="(profile=False)")
    save_calls(pytester, calls=3.0, helper_calls=1.0)
    result = pytester.runpytest(*FAST, "--perf-compare")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"{NODE} * B  *n/a  *"])
    suite(pytester, helpers=5)
    pytester.runpytest(*FAST, "--perf-compare", "--perf-profiling=false").assert_outcomes(passed=1)
    pytester.runpytest(*FAST, "--perf-compare").assert_outcomes(failed=1)


def test_a_bad_profile_value_names_its_source(pytester: pytest.Pytester) -> None:
    suite(pytester, helpers=1, marker='(profile="maybe")')
    result = pytester.runpytest(*FAST)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*invalid profile='maybe' from @pytest.mark.perf on*"])


def test_perf_profile_writes_a_pstats_file_per_benchmark(pytester: pytest.Pytester) -> None:
    suite(pytester, helpers=2)
    pytester.makepyfile(
        test_other="""
        import pytest
        from conftest import tick

        @pytest.mark.parametrize("x", ["../../etc", "a/b"])
        def test_p(perf, x):
            perf(tick, len(x))
        """
    )
    result = pytester.runpytest(*FAST, "--perf-profile", "profiles")
    result.assert_outcomes(passed=3)
    written = sorted(p.name for p in (pytester.path / "profiles").iterdir())
    files = [f for f in written if f.endswith(".pstats")]
    assert len(files) == 3 and all("/" not in f for f in written)
    # Beside each profile, where its benchmark allocates, its allocation sites' table.
    assert {f.removesuffix(".sites.txt") + ".pstats" for f in written if f not in files} <= {*files}
    assert [pytester.path / "profiles" / f for f in files] == sorted(
        (pytester.path / "profiles").glob("*.pstats")
    )  # all inside the directory, none hidden
    ours = next(f for f in files if f.startswith("test_suite.py_test_calls-"))
    stats = pstats.Stats(str(pytester.path / "profiles" / ours))
    called = {name: nc for (_, _, name), (_, nc, *_) in stats.stats.items()}  # type: ignore[attr-defined]
    assert called["helper"] == 2 * called["test_calls"]
    # The same node id gets the same file on the next run: nothing is added.
    pytester.runpytest(*FAST, "--perf-profile", "profiles").assert_outcomes(passed=3)
    assert sorted(p.name for p in (pytester.path / "profiles").iterdir()) == written


def test_perf_profile_from_the_ini_file_and_no_files_with_profiling_off(
    pytester: pytest.Pytester,
) -> None:
    suite(pytester, helpers=1)
    pytester.makeini("[pytest]\nperf_profile = out/prof\n")
    pytester.runpytest(*FAST, "--perf-profiling=false").assert_outcomes(passed=1)
    assert list((pytester.path / "out" / "prof").iterdir()) == []
    pytester.runpytest(*FAST).assert_outcomes(passed=1)
    assert len(list((pytester.path / "out" / "prof").glob("*.pstats"))) == 1


def test_perf_profile_naming_a_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    suite(pytester, helpers=1)
    (pytester.path / "afile").write_text("")
    result = pytester.runpytest(*FAST, "--perf-profile", "afile")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--perf-profile *afile: is a file; give a directory*"])


def test_a_profile_that_cannot_be_written_is_one_error_at_the_end(
    pytester: pytest.Pytester,
) -> None:
    suite(pytester, helpers=1)
    # The directory was checked at the start; a test run before the benchmark puts a file there.
    pytester.makepyfile(
        test_zz_replace="""
        import shutil

        def test_replace_the_directory():
            shutil.rmtree("profiles")
            open("profiles", "w").close()
        """,
        test_zzz_late="""
        import pytest
        from conftest import tick

        @pytest.mark.perf
        def test_late():
            tick(1000)
        """,
    )
    result = pytester.runpytest(*FAST, "--perf-profile", "profiles")
    result.assert_outcomes(passed=3)  # the benchmark itself passed
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*could not write the profile of test_zzz_late.py::test_late to *profiles: *"]
    )
    assert "Traceback" not in result.stdout.str()


def test_where_is_in_the_json_and_markdown_reports(pytester: pytest.Pytester) -> None:
    suite(pytester, helpers=2)
    save_calls(pytester, calls=3.0, helper_calls=1.0)
    result = pytester.runpytest(
        *FAST, "--perf-compare", "--perf-json", "out.json", "--perf-markdown", "out.md"
    )
    result.assert_outcomes(failed=1)
    doc = json.loads((pytester.path / "out.json").read_text())
    [bench] = doc["benchmarks"]
    assert bench["measurement"]["calls_per_op"] == 4
    assert "profile_data" not in bench["measurement"]
    where = bench["comparison"]["where"]
    assert (where["base"], where["live"]) == ("2026-01-05T00:00:00+00:00", False)
    helper = next(c for c in where["by_calls"] if c["function"] == "helper")
    assert (helper["base_calls_per_op"], helper["head_calls_per_op"]) == (1, 2)
    markdown = (pytester.path / "out.md").read_text()
    assert "<summary>Where each regression happened</summary>" in markdown
    assert "\n    +1 test_suite.py:5(helper): 1 -> 2 calls\n" in markdown
