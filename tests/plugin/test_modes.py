"""One scenario matrix through every mode, from the user's side: a stored baseline
(--perf-save, then --perf-compare) and same-job A/B (--perf-compare-ref), each with the `perf`
fixture and with the pytest-benchmark-compatible `benchmark` fixture. A knob honoured in one
mode and dropped in another fails here. Both sides run on the fake clock: time changes are
exact.

Each run holds every scenario as a test of its own, so that a mode pays its fixed cost (A/B's
workers, stored mode's saved runs) once for the whole matrix row."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass

import pytest

from pytest_perfguard.measure.allocations import load_hooks
from tests.fakes import CONFTEST as FAKE_CLOCK

# The fake clock on a machine that reads as idle: time verdicts must not turn advisory because
# other tests share the machine.
CONFTEST = FAKE_CLOCK.replace("tick(1000))", "tick(1000), load_probe=lambda: None)")
assert CONFTEST != FAKE_CLOCK

COMPAT = ("-p", "no:benchmark", "-p", "no:codspeed")
"""pytest-benchmark or pytest-codspeed, where installed, own `benchmark` unless turned off."""

SCENARIO = """
def work_{name}(ns):
    tick(ns)
    kept = (object(), object(), object(){more_allocs})
    helper(){more_calls}
    return kept

{marker}def test_{name}({fixture}):
    {fixture}(work_{name}, {ns})
"""
HEADER = """
import pytest
from conftest import tick

def helper():
    return None
"""


@dataclass(frozen=True)
class Code:
    """One side's version of a scenario's work(): what it costs per op."""

    ns: int = 1000
    more_allocs: int = 0
    """Allocations per op beyond the base's."""
    more_calls: int = 0
    """Calls per op beyond the base's."""


BASE = Code()


@dataclass(frozen=True)
class Scenario:
    name: str
    head: Code
    marker: str = ""
    """The perf marker's keywords, on both versions of the test."""
    changed: str | None = None
    """The metric (as the JSON results name it) the head changes."""
    fails: bool = False

    def source(self, code: Code, fixture: str) -> str:
        return SCENARIO.format(
            name=self.name,
            ns=code.ns,
            more_allocs=", object()" * code.more_allocs,
            more_calls="\n    helper()" * code.more_calls,
            marker=f"@pytest.mark.perf({self.marker})\n" if self.marker else "",
            fixture=fixture,
        )


ALLOC_TOLERANCE = 'alloc_tolerance="50%"'
CALLS_TOLERANCE = 'calls_tolerance="50%"'
# Base: 4 allocs/op (the tuple, its 3 objects; the fake clock's int) and 3 calls/op (work,
# tick, helper): one more of either is +25-33%, within a 50% tolerance.
MORE_ALLOCS = Code(more_allocs=1)
MORE_CALLS = Code(more_calls=1)

SCENARIOS = [
    Scenario("unchanged", BASE),
    Scenario("more_allocs", MORE_ALLOCS, changed="allocs", fails=True),
    Scenario("more_allocs_marker_tolerance", MORE_ALLOCS, ALLOC_TOLERANCE, changed="allocs"),
    Scenario("more_calls", MORE_CALLS, changed="calls", fails=True),
    Scenario("more_calls_marker_tolerance", MORE_CALLS, CALLS_TOLERANCE, changed="calls"),
    Scenario("slower", Code(ns=3000), changed="time", fails=True),
]
TOLERANCE_OPTIONS = ("--perf-alloc-tolerance=50%", "--perf-calls-tolerance=50%")
OPTION_SCENARIOS = [
    Scenario("more_allocs", MORE_ALLOCS, changed="allocs"),
    Scenario("more_calls", MORE_CALLS, changed="calls"),
]
FAILURE_LINE = {
    "allocs": "allocs/op regressed: 4* -> 5* (+2*%)",
    "calls": "calls/op regressed: 3 -> 4 (+33.3%)",
    "time": "time/op regressed: 1.00 us -> 3.00 us (+200.0%*",
}
"""The first line under a failing scenario's header, by the metric it changed."""
COUNTS = {"allocs", "calls"}
"""Count metrics: one more per op reads as +1 (give or take the fraction per op that A/B's
counting windows add)."""


def git(pytester: pytest.Pytester, *args: str) -> None:
    who = ("-c", "user.name=t", "-c", "user.email=t@t")
    subprocess.run(["git", *who, *args], cwd=pytester.path, capture_output=True, check=True)


@dataclass(frozen=True)
class Row:
    """One mode with one fixture: runs the base and head versions of a set of scenarios."""

    pytester: pytest.Pytester
    mode: str
    fixture: str

    def write(self, scenarios: list[Scenario], side: str) -> None:
        sources = [s.source(BASE if side == "base" else s.head, self.fixture) for s in scenarios]
        self.pytester.makepyfile(test_scenarios=HEADER + "".join(sources))

    def run(self, scenarios: list[Scenario], *args: str) -> pytest.RunResult:
        """The base versions make the baseline, the head versions are judged against it;
        `args` go to the judged run."""
        self.pytester.makeconftest(CONFTEST)
        self.write(scenarios, "base")
        # hypothesis's plugin would import hypothesis anew in every run: seconds each.
        common = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-rA"]
        common += ["--perf-max-time=0.01"]
        if self.fixture == "benchmark":
            common += COMPAT
        if self.mode == "stored":
            # A time verdict needs 3 saved runs to estimate run-to-run variation; counts, one.
            saves = 3 if any(s.changed == "time" for s in scenarios) else 1
            for _ in range(saves):
                saved = self.pytester.runpytest(*common, "--perf-save")
                saved.assert_outcomes(passed=len(scenarios))
            self.write(scenarios, "head")
            return self.pytester.runpytest(*common, "--perf-compare", "--perf-json=out.json", *args)
        git(self.pytester, "init", "-q")
        git(self.pytester, "add", ".")
        git(self.pytester, "commit", "-qm", "base")
        self.write(scenarios, "head")  # uncommitted: the head side
        ab = ("--perf-compare-ref", "HEAD", "--perf-ab-processes", "2")
        return self.pytester.runpytest_subprocess(*common, "--perf-json=out.json", *ab, *args)

    def check(self, scenarios: list[Scenario], result: pytest.RunResult) -> None:
        """Each scenario passes or fails as it should, for the reason it should, with the
        change it made measured and no other metric moved."""
        failing = [s for s in scenarios if s.fails]
        summary = re.findall(r"^(PASSED|FAILED) \S+::(\w+)", result.stdout.str(), re.M)
        found = {test: outcome for outcome, test in summary}  # a diff here names the scenario
        assert found == {f"test_{s.name}": "FAILED" if s.fails else "PASSED" for s in scenarios}
        result.assert_outcomes(passed=len(scenarios) - len(failing), failed=len(failing))
        for s in failing:
            assert s.changed is not None
            result.stdout.fnmatch_lines(
                [f"*test_{s.name}: performance regression*", f"  {FAILURE_LINE[s.changed]}"],
                consecutive=True,
            )
        document = json.loads((self.pytester.path / "out.json").read_text())
        benches = {b["nodeid"].split("::")[-1]: b["comparison"] for b in document["benchmarks"]}
        assert benches.keys() == {f"test_{s.name}" for s in scenarios}
        for s in scenarios:
            comparison = benches[f"test_{s.name}"]
            assert comparison["verdict"] == ("regressed" if s.fails else "unchanged"), s.name
            metrics = {m["metric"]: m for m in comparison["metrics"]}
            assert {"time", "allocs", "calls"} <= metrics.keys(), s.name
            for name, metric in metrics.items():
                moved = name == s.changed or (s.changed == "allocs" and name == "bytes")
                expected = "regressed" if s.fails and moved else "unchanged"
                assert metric["verdict"] == expected, (s.name, name, metric)
            if s.changed in COUNTS:
                change = metrics[s.changed]
                rise = change["current"] - change["baseline"]
                assert rise == pytest.approx(1, abs=0.1), (s.name, change)
                if s.marker or not s.fails:  # a rise the tolerance allows, and says so
                    assert "50%" in change["rule"], (s.name, change["rule"])
            elif s.changed == "time":
                time = metrics["time"]
                assert time["current"] == pytest.approx(3 * time["baseline"]), s.name


ROWS = [
    pytest.param(("stored", "perf"), id="stored-perf"),
    pytest.param(("stored", "benchmark"), id="stored-benchmark"),
    pytest.param(("ab", "perf"), id="ab-perf"),
    pytest.param(("ab", "benchmark"), id="ab-benchmark"),
]


@pytest.fixture(params=ROWS)
def row(request: pytest.FixtureRequest, pytester: pytest.Pytester) -> Row:
    mode, fixture = request.param
    return Row(pytester, mode, fixture)


pytestmark = pytest.mark.skipif(load_hooks() is None, reason="C extension not built here")


def test_each_scenario_passes_or_fails_as_it_should(row: Row) -> None:
    result = row.run(SCENARIOS)
    row.check(SCENARIOS, result)
    result.stdout.fnmatch_lines(["*::test_unchanged *+0.0%*unchanged*"])  # compared, not "new"


def test_the_tolerance_options_allow_one_more_allocation_and_call(row: Row) -> None:
    result = row.run(OPTION_SCENARIOS, *TOLERANCE_OPTIONS)
    row.check(OPTION_SCENARIOS, result)
