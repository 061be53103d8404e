"""Package versions recorded with instruction counts: which packages count, the text they are
kept as, and the advisory verdict naming the ones that changed (unit tests and the real pass)."""

from __future__ import annotations

import dataclasses
import re
import textwrap
import types
from pathlib import Path

import pytest

from pytest_perfguard.judge.policy import Observation, Policy
from pytest_perfguard.judge.verdict import compare_benchmark
from pytest_perfguard.measure import packages as pk
from pytest_perfguard.model import BaselineEntry, RunSummary, Verdict
from pytest_perfguard.report.rules import rule_text
from tests.plugin.test_plugin_instructions import needs_valgrind

ENV = "CPython 3.11.7 (main, May  9 2026, GCC 12.2.0); valgrind-3.19.0; x86_64"
OWNERS = {
    "attr": ["attrs"],
    "attrs": ["attrs"],
    "cattrs": ["cattrs"],
    "pytest": ["pytest"],
    "pytest_perfguard": ["perfguard"],
    "psutil": ["psutil"],
    "myproj": ["myproj"],
}
VERSIONS = {
    "attrs": "23.2.0",
    "cattrs": "23.2.3",
    "perfguard": "0.1",
    "psutil": "5.9",
    "myproj": "1",
}


def module(path: str) -> types.ModuleType:
    m = types.ModuleType("m")
    m.__file__ = path
    return m


def test_only_packages_imported_after_pytest_and_not_the_project_or_perfguard(
    tmp_path: Path,
) -> None:
    modules = {
        "pytest": module("/site/pytest/__init__.py"),
        "attr": module("/site/attr/__init__.py"),
        "attrs.converters": module("/site/attrs/converters.py"),
        "cattrs": module("/site/cattrs/__init__.py"),
        "json": module("/usr/lib/json/__init__.py"),  # the standard library: no distribution
        "pytest_perfguard": module("/site/pytest_perfguard/__init__.py"),
        "psutil": module("/site/psutil/__init__.py"),  # perfguard's load probe imports it
        "myproj": module(str(tmp_path / "src" / "myproj" / "__init__.py")),  # code under test
    }
    got = pk.imported_packages(
        {"pytest", "pytest_perfguard"},
        modules=modules,
        root=tmp_path,
        distributions=lambda: OWNERS,
        version=VERSIONS.__getitem__,
        requires=lambda dist: ["psutil>=5.9", "tomli-w>=1.0"] if dist == "perfguard" else [],
    )
    assert got == {"attrs": "23.2.0", "cattrs": "23.2.3"}


def test_environment_text_round_trips_and_old_strings_have_no_packages() -> None:
    env = pk.join_environment(ENV, {"attrs": "23.2.0", "cattrs": "23.2.3"})
    assert env == ENV + "; packages: attrs 23.2.0, cattrs 23.2.3"
    assert pk.split_environment(env) == (ENV, {"attrs": "23.2.0", "cattrs": "23.2.3"})
    assert pk.split_environment(pk.join_environment(ENV, {})) == (ENV, {})
    assert pk.join_environment(ENV, None) == ENV
    assert pk.split_environment(ENV) == (ENV, None)


def entry(env: str | None) -> BaselineEntry:
    summary = RunSummary("2026-01-01T00:00:00Z", 100.0, 2.0, 50.0, 20, 100)
    run = dataclasses.replace(summary, instructions_per_op=1_000_000.0, instructions_env=env)
    return BaselineEntry("t::a", None, (run,) * 3, "3.11", "test-machine")


def now(env: str, instructions: float = 1_100_000.0) -> Observation:
    return Observation(100.0, 2.0, (100.0,) * 20, (2.0,) * 20, instructions_per_op=instructions,
                       instructions_env=env)  # fmt: skip


def instructions_metric(saved: str | None, current: str, value: float = 1_100_000.0):  # type: ignore[no-untyped-def]
    c = compare_benchmark(entry(saved), now(current, value), Policy())
    (m,) = [m for m in c.metrics if m.metric == "instructions"]
    return m, c


def test_another_version_of_an_imported_package_is_advisory_and_named() -> None:
    saved = pk.join_environment(ENV, {"attrs": "23.1.0", "cattrs": "23.2.3", "six": "1.16"})
    current = pk.join_environment(ENV, {"attrs": "23.2.0", "cattrs": "23.2.3", "ujson": "5.9"})
    m, c = instructions_metric(saved, current)
    assert m.verdict is Verdict.REGRESSED and m.advisory and m not in c.failing
    (caveat,) = m.decision.caveats
    assert caveat.texts == {
        "what": "packages",
        "old": "attrs 23.1.0, six 1.16, ujson (not imported)",
        "new": "attrs 23.2.0, six (not imported), ujson 5.9",
    }
    assert (
        "versions of the packages the benchmarks imported: attrs 23.1.0, six 1.16, ujson (not "
        "imported) -> attrs 23.2.0, six (not imported), ujson 5.9" in rule_text(m)
    )


def test_same_packages_gate_and_a_baseline_without_packages_still_gates() -> None:
    current = pk.join_environment(ENV, {"attrs": "23.2.0"})
    for saved in (current, ENV):  # ENV alone: saved before versions were recorded
        m, c = instructions_metric(saved, current)
        assert m.verdict is Verdict.REGRESSED and not m.advisory and m in c.failing


def test_another_build_is_named_without_the_packages() -> None:
    saved = pk.join_environment(ENV, {"attrs": "23.1.0"})
    current = pk.join_environment(ENV.replace("3.19.0", "3.22.0"), {"attrs": "23.2.0"})
    m, _ = instructions_metric(saved, current)
    (caveat,) = m.decision.caveats
    assert caveat.texts == {
        "what": "instructions_env",
        "old": ENV,
        "new": ENV.replace("3.19.0", "3.22.0"),
    }


SUITE = textwrap.dedent(
    """
    import sortedcontainers

    def test_sorted(perf):
        perf(sortedcontainers.SortedList, [3, 1, 2])
    """
)


@pytest.mark.slow
@needs_valgrind
def test_the_pass_records_imported_versions_and_names_a_changed_one(
    pytester: pytest.Pytester,
) -> None:
    import sortedcontainers  # the pass runs in another process: it imports its own copy

    version = sortedcontainers.__version__
    pytester.makepyfile(test_suite=SUITE)
    args = ("--perf-instructions", "--perf-max-time", "0.05", "-p", "no:cacheprovider")
    pytester.runpytest(*args, "--perf-save").assert_outcomes(passed=1)
    path = pytester.path / ".perfguard" / "baseline.toml"
    saved = path.read_text()
    (env,) = re.findall(r'instructions_env = "(.*)"', saved)
    assert env.endswith(f"; packages: sortedcontainers {version}")  # nothing else
    # The same baseline as if saved with sortedcontainers 0.1 and half the instructions.
    (count,) = re.findall(r"instructions_per_op = (\S+)", saved)
    older = saved.replace(f"sortedcontainers {version}", "sortedcontainers 0.1").replace(
        f"instructions_per_op = {count}", f"instructions_per_op = {float(count) / 2:.1f}"
    )
    path.write_text(older)
    result = pytester.runpytest(*args, "--perf-compare", "--perf-markdown", "report.md")
    result.assert_outcomes(passed=1)  # advisory: never fails the test
    result.stdout.fnmatch_lines(["*instr/op regressed (advisory): *"])
    report = (pytester.path / "report.md").read_text()
    assert (
        f"versions of the packages the benchmarks imported: sortedcontainers 0.1 -> "
        f"sortedcontainers {version}" in report
    )
