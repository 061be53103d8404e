"""pytest-benchmark's `--benchmark-*` options: accepted as written, mapped, or explained."""

from __future__ import annotations

import json
import textwrap

import pytest

from pytest_perfguard.compat.options import BASELINE_NAME
from pytest_perfguard.store import baseline as storage
from tests.fakes import CONFTEST

from .test_compat_fixture import COMPAT, FAST

SUITE = """
import os
import pytest
from conftest import tick

@pytest.mark.benchmark(group="g")
def test_bench(benchmark):
    benchmark.extra_info["cost"] = int(os.environ.get("COST", "1000"))
    benchmark(tick, benchmark.extra_info["cost"])

@pytest.mark.parametrize("n", [1, 2])
def test_param(benchmark, n):
    benchmark(tick, 500 * n)

def test_plain():
    pass
"""

EVERY_OPTION = """
    --benchmark-min-time=0.000005 --benchmark-max-time=0.01 --benchmark-min-rounds=7
    --benchmark-precision=0.02 --benchmark-confidence 0.99
    --benchmark-timer=time.perf_counter --benchmark-calibration-precision=10
    --benchmark-warmup on --benchmark-warmup-iterations=1000 --benchmark-disable-gc
    --benchmark-save-data --benchmark-cprofile=tottime --benchmark-cprofile-loops=auto
    --benchmark-cprofile-top=5 --benchmark-cprofile-dump=prof --benchmark-netrc=x
    --benchmark-verbose --benchmark-quiet --benchmark-sort=mean --benchmark-group-by=group
    --benchmark-columns=min,mean,stddev,outliers,rounds,iterations --benchmark-name=short
    --benchmark-time-unit=us --benchmark-histogram=hist
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def test_every_option_is_accepted_from_addopts_without_warnings(suite: pytest.Pytester) -> None:
    suite.makeini(
        "[pytest]\nfilterwarnings = error\naddopts =" + textwrap.indent(EVERY_OPTION, "    ")
    )
    result = suite.runpytest("-p", "no:cacheprovider", *COMPAT)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "perfguard: pytest-benchmark options set these perfguard options: "
            "--benchmark-max-time=0.01 -> --perf-max-time=0.01, --benchmark-min-rounds=7 -> "
            "--perf-min-rounds=7",
            "perfguard: --benchmark-min-time ignored: rounds are calibrated to ~200 us*",
            "perfguard: --benchmark-timer ignored: the clock is time.perf_counter_ns*",
            "perfguard: --benchmark-disable-gc ignored: GC stays on (turning it off hides "
            "real cost)*",
            "perfguard: --benchmark-columns ignored: the summary's columns are perfguard's",
            "perfguard: --benchmark-histogram ignored: the histograms are in --perf-html PATH*",
            "rootdir: *",
        ]
    )
    header = result.stdout.str().split("rootdir:")[0]
    assert header.count("--benchmark-warmup ignored") == 1
    assert "warnings summary" not in result.stdout.str()
    assert all(r >= 7 for r in _rounds(result.stdout.lines))


def _rounds(lines: list[str]) -> list[int]:
    return [
        int(line.split(" x ")[0].split()[-1])
        for line in lines
        if "::test_" in line and " x " in line
    ]


def test_nothing_is_said_without_benchmark_options(suite: pytest.Pytester) -> None:
    result = suite.runpytest(*FAST)
    result.assert_outcomes(passed=4)
    assert "perfguard:" not in result.stdout.str().split("collected")[0]


def test_skip_and_only(suite: pytest.Pytester) -> None:
    result = suite.runpytest(*FAST, "--benchmark-skip", "-rs")
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines(["*Skipping benchmark (--benchmark-skip active).*"])
    result = suite.runpytest(*FAST, "--benchmark-only", "-rs")
    result.assert_outcomes(passed=3, skipped=1)
    result.stdout.fnmatch_lines(["*Skipping non-benchmark (--benchmark-only active).*"])
    result = suite.runpytest(*FAST, "--benchmark-only", "--benchmark-skip")  # only wins
    result.assert_outcomes(passed=3, skipped=1)


def test_a_perf_option_given_wins_over_its_benchmark_counterpart(suite: pytest.Pytester) -> None:
    result = suite.runpytest(*FAST, "--benchmark-min-rounds=9", "--perf-min-rounds=20")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*--benchmark-min-rounds=9 (overridden by --perf-min-rounds)*"])
    assert all(r >= 20 for r in _rounds(result.stdout.lines))


def test_json_in_pytest_benchmarks_layout(suite: pytest.Pytester) -> None:
    result = suite.runpytest(*FAST, "--benchmark-json", "out/bench.json")
    result.assert_outcomes(passed=4)
    doc = json.loads((suite.path / "out" / "bench.json").read_text())
    assert set(doc) >= {"machine_info", "commit_info", "benchmarks", "datetime", "version"}
    assert doc["machine_info"]["python_version"] and "cpu" in doc["machine_info"]
    by_name = {b["name"]: b for b in doc["benchmarks"]}
    assert set(by_name) == {"test_bench", "test_param[1]", "test_param[2]"}
    bench = by_name["test_bench"]
    assert bench["fullname"] == "test_suite.py::test_bench"
    assert bench["group"] == "g" and bench["extra_info"] == {"cost": 1000}
    assert bench["params"] is None and bench["param"] is None
    stats = bench["stats"]
    assert stats["median"] == pytest.approx(1e-6) and stats["ops"] == pytest.approx(1e6)
    assert len(stats["data"]) == stats["rounds"] >= 5 and stats["iterations"] >= 1
    assert set(stats) >= {"min", "max", "mean", "stddev", "q1", "q3", "iqr", "total", "outliers"}
    assert by_name["test_param[2]"]["params"] == {"n": 2}
    assert by_name["test_param[2]"]["param"] == "2"
    assert by_name["test_param[2]"]["stats"]["median"] == pytest.approx(1e-6)
    assert bench["perfguard"]["allocs_per_op"] is not None


def test_json_output_path_is_checked_before_anything_runs(suite: pytest.Pytester) -> None:
    (suite.path / "blocker").write_text("a file")
    result = suite.runpytest(*FAST, "--benchmark-json=blocker/x.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--benchmark-json *blocker/x.json: *is a file*"])


def test_autosave_storage_and_compare(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        result = suite.runpytest(
            *FAST, "--benchmark-autosave", "--benchmark-storage=file://./store"
        )
        result.assert_outcomes(passed=4)
    path = suite.path / "store" / BASELINE_NAME
    result.stdout.fnmatch_lines(
        [
            "perfguard: --benchmark-storage=file://./store: the baseline file is "
            f"./store/{BASELINE_NAME}",
            f"perfguard: saved 3 benchmark(s) to {path}",
        ]
    )
    assert len(storage.load(path).entries["test_suite.py::test_bench"].runs) == 5
    # ... and each run also in pytest-benchmark's storage layout, for scripts that read it
    [machine] = (suite.path / "store").glob("*-*-*")
    saved = sorted(p.name for p in machine.glob("*.json"))
    assert [name[:5] for name in saved] == ["0001_", "0002_", "0003_", "0004_", "0005_"]
    assert all(name.startswith("0005_unversioned_") for name in saved[-1:])
    doc = json.loads((machine / saved[-1]).read_text())
    assert {b["fullname"] for b in doc["benchmarks"]} >= {"test_suite.py::test_bench"}
    assert "data" not in doc["benchmarks"][0]["stats"]  # without --benchmark-save-data
    result.stdout.fnmatch_lines(
        [f"perfguard: wrote pytest-benchmark's saved run to {machine}/0005_*"]
    )

    monkeypatch.setenv("COST", "3000")  # three times slower
    # --benchmark-compare alone reports (as pytest-benchmark does without -fail)
    result = suite.runpytest(*FAST, "--benchmark-compare", "--benchmark-storage=store")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*--benchmark-compare -> --perf-compare*--perf-warn-only*"])
    result.stdout.fnmatch_lines(["*test_bench*regressed*"])
    # with --benchmark-compare-fail, perfguard's gate fails the test
    result = suite.runpytest(
        *FAST,
        "--benchmark-compare=0001",
        "--benchmark-compare-fail=min:5%",
        "--benchmark-storage=store",
    )
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*--benchmark-compare=0001: compared with every saved run in the baseline*",
            "*--benchmark-compare-fail min:5%: a test fails when it is at least 5% slower and "
            "perfguard's significance rule finds the slowdown real (--perf-min-effect=5%;*",
            "*test_suite.py::test_bench: performance regression*",
        ]
    )
    # min:5% is the gate's minimum effect (the default is 10%)
    result.stdout.fnmatch_lines(["*fails beyond the 5.0% minimum effect*"])


def test_unsupported_storage_and_hooks_are_named(suite: pytest.Pytester) -> None:
    suite.makeconftest(
        CONFTEST
        + textwrap.dedent(
            """
            def pytest_benchmark_update_json(config, benchmarks, output_json):
                output_json["mine"] = True

            def pytest_benchmark_update_machine_info(config, machine_info):
                pass
            """
        )
    )
    result = suite.runpytest(*FAST, "--benchmark-storage=elasticsearch+https://host/index")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "perfguard: --benchmark-storage=elasticsearch+https://host/index: Elasticsearch "
            "storage is not supported; the baseline stays a TOML file (--perf-baseline)",
            "perfguard: pytest-benchmark's hooks are not supported and never called: "
            "*conftest.py: pytest_benchmark_update_json*",
        ]
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--benchmark-min-rounds=0", "invalid NUM '0': expected a whole number >= 1"),
        ("--benchmark-max-time=soon", "invalid SECONDS 'soon'"),
        ("--benchmark-compare-fail=fast", "invalid EXPR 'fast'"),
        ("--benchmark-warmup=maybe", "invalid KIND 'maybe'"),
        ("--benchmark-sort=speed", "invalid COL 'speed'"),
    ],
)
def test_bad_values_are_usage_errors(suite: pytest.Pytester, option: str, message: str) -> None:
    result = suite.runpytest(*FAST, option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


def test_help_lists_the_options_with_perfguards_meaning(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--help", *COMPAT)
    result.stdout.fnmatch_lines(
        [
            "pytest-benchmark's options, read by pytest-perfguard:",
            "*--benchmark-disable*as --perf-off)",
        ]
    )


def test_xdist_workers_measure_and_the_controller_writes_the_json(suite: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    result = suite.runpytest(*FAST, "-n", "2", "--benchmark-json=bench.json")
    result.assert_outcomes(passed=4)
    doc = json.loads((suite.path / "bench.json").read_text())
    by_name = {b["name"]: b for b in doc["benchmarks"]}
    assert by_name["test_bench"]["extra_info"] == {"cost": 1000}
    assert by_name["test_param[1]"]["params"] == {"n": 1}
