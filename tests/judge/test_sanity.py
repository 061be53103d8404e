"""A saved run far from its siblings (a hand-edited baseline) is a warning naming entry and run."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_perfguard.cli import main
from pytest_perfguard.judge.sanity import outlying_runs
from pytest_perfguard.model import BaselineEntry, RunSummary
from pytest_perfguard.store import baseline as storage
from tests.fakes import CONFTEST
from tests.plugin.test_plugin_baseline import FAST, STEADY, SUITE, baseline_with, write_baseline


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def entry(*medians: float) -> BaselineEntry:
    runs = tuple(RunSummary(f"2026-01-0{i + 1}T00:00:00+00:00", m, None, None, 20, 10)
                 for i, m in enumerate(medians))  # fmt: skip
    return BaselineEntry("t.py::test_a", None, runs)


def test_a_run_ten_times_off_its_siblings_is_named() -> None:
    (o,) = outlying_runs([entry(92046.0, 91000.0, 9204.6, 93000.0, 92500.0)])
    assert (o.nodeid, o.timestamp, o.median_ns, o.siblings) == (
        "t.py::test_a", "2026-01-03T00:00:00+00:00", 9204.6, 5,
    )  # fmt: skip
    assert o.factor == pytest.approx(0.1, rel=0.02)
    assert outlying_runs([entry(100.0, 120.0, 450.0, 90.0)]) == []  # 4.5x: drift, not a typo
    (slow,) = outlying_runs([entry(267.0, 7630.0, 266.0)])  # the good two are not named
    assert (slow.median_ns, slow.siblings_ns) == (7630.0, 267.0)
    assert outlying_runs([entry(100.0, 1000.0)]) == []  # two runs: which one is off?


EDITED = (990.0, 1000.0, 100.0, 1005.0, 995.0)  # the third run lost a digit


def test_the_plugin_warns_and_passes(suite: pytest.Pytester) -> None:
    write_baseline(suite, baseline_with({"test_suite.py::test_steady": EDITED}))
    result = suite.runpytest(*FAST, "--perf-compare", "-k", "steady")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "perfguard: warning: baseline entry test_suite.py::test_steady: its saved run of "
        "2026-01-03T00:00:00+00:00 is 9.9x faster than the median of its 5 saved runs "
        "(100 ns against 995 ns); a hand-edited file? *",
    ])  # fmt: skip
    write_baseline(suite, baseline_with({"test_suite.py::test_steady": STEADY}))
    result = suite.runpytest(*FAST, "--perf-compare", "-k", "steady")
    assert "warning: baseline entry" not in result.stdout.str()


def test_perfguard_compare_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "old.toml", tmp_path / "new.toml"
    storage.save(old, baseline_with({"t.py::test_a": EDITED}))
    storage.save(new, baseline_with({"t.py::test_a": STEADY}))
    main(["compare", str(old), str(new)])
    out = capsys.readouterr().out
    assert "note: warning: baseline entry t.py::test_a: its saved run of 2026-01-03" in out
