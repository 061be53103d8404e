"""pytest-xdist: workers measure, the controller summarizes and saves once, verdicts as serial."""

from __future__ import annotations

import pytest

from pytest_perfguard.store import baseline as storage
from tests.fakes import CONFTEST

from .test_plugin_baseline import STEADY, baseline_with, write_baseline

pytest.importorskip("xdist")

SUITE = """
from conftest import tick

def test_steady(perf):
    perf(tick, 1000)

def test_other(perf):
    perf(tick, 2000)

def test_third(perf):
    perf(tick, 3000)

def test_fourth(perf):
    perf(tick, 4000)
"""

FLAGS = ("--perf-max-time=0.01", "-p", "no:cacheprovider", "-n", "2")


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def test_parallel_save_writes_one_baseline_with_every_benchmark(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess(*FLAGS, "--perf-save")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "*- perfguard: 4 benchmarks -*",
            "warning: measured in 2 parallel workers that share this machine's cores*",
            "perfguard: saved 4 benchmark(s) to *baseline.toml",
        ]
    )
    saved = storage.load(suite.path / ".perfguard" / "baseline.toml")
    assert sorted(saved.entries) == sorted(
        f"test_suite.py::test_{name}" for name in ("steady", "other", "third", "fourth")
    )
    assert all(len(entry.runs) == 1 for entry in saved.entries.values())
    assert saved.entries["test_suite.py::test_fourth"].runs[0].median_ns == 4000.0


def test_parallel_compare_gives_the_serial_verdicts(suite: pytest.Pytester) -> None:
    write_baseline(
        suite,
        baseline_with(
            {
                "test_suite.py::test_steady": STEADY,
                "test_suite.py::test_other": tuple(m / 2 for m in STEADY),
                "test_suite.py::test_third": tuple(m * 3 for m in STEADY),
            }
        ),
    )
    serial = suite.runpytest_subprocess(*FLAGS[:-2], "--perf-compare")
    parallel = suite.runpytest_subprocess(*FLAGS, "--perf-compare")
    for result in (serial, parallel):
        result.assert_outcomes(passed=3, failed=1)
        result.stdout.fnmatch_lines(
            [
                "*- perfguard: comparison with *",
                "test_suite.py::test_steady *unchanged*",
                "test_suite.py::test_other *regressed*",
                "test_suite.py::test_third *unchanged*",
                "test_suite.py::test_fourth *new*",
                "FAILED test_suite.py::test_other*",
            ]
        )
