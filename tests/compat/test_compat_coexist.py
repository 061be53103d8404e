"""pytest-benchmark or pytest-codspeed active: perfguard leaves them their names, says how to
hand them over, and its own `perf` API keeps working."""

from __future__ import annotations

import importlib.util
import textwrap

import pytest

from tests.fakes import CONFTEST

FAKE_BENCHMARK = """
import pytest

def pytest_addoption(parser):
    group = parser.getgroup("benchmark")
    group.addoption("--benchmark-disable", action="store_true", default=False)
    group.addoption("--benchmark-json", metavar="PATH")

def pytest_configure(config):
    config.addinivalue_line("markers", "benchmark: the rival's marker")

@pytest.fixture
def benchmark():
    return lambda fn, *args, **kwargs: ("rival", fn(*args, **kwargs))
"""
"""A stand-in with pytest-benchmark's names (options, marker, fixture), as a package of that
name, so these tests need no install."""

SUITE = """
import pytest
from conftest import tick

@pytest.mark.benchmark(group="g")
def test_bench(benchmark):
    assert benchmark(len, "abc") == ("rival", 3)

def test_perf(perf):
    perf(tick, 100)
"""


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


@pytest.fixture
def rival(pytester: pytest.Pytester) -> pytest.Pytester:
    for package in ("pytest_benchmark", "pytest_codspeed"):
        if _installed(package):  # the real one would clash with the stand-in
            continue
        (pytester.path / package).mkdir()
        (pytester.path / package / "__init__.py").write_text("")
        (pytester.path / package / "plugin.py").write_text(FAKE_BENCHMARK)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    pytester.syspathinsert()
    return pytester


FAST = ("--perf-max-time=0.01", "-p", "no:cacheprovider")


@pytest.mark.parametrize(
    ("package", "name"), [("pytest_benchmark", "benchmark"), ("pytest_codspeed", "codspeed")]
)
def test_an_active_rival_keeps_its_names(rival: pytest.Pytester, package: str, name: str) -> None:
    if _installed(package):
        pytest.skip(f"{package} is installed: test_with_pytest_benchmark_installed covers it")
    result = rival.runpytest(*FAST, "-p", f"{package}.plugin", "--benchmark-disable")
    result.assert_outcomes(passed=2)  # no "option names already added", the rival's fixture ran
    display = package.replace("_", "-")
    result.stdout.fnmatch_lines(
        [
            f"perfguard: {display} is active and runs the `benchmark` tests; to measure them "
            f"with perfguard (its engine, baseline and gate), run with -p no:{name}",
            "*- perfguard: 1 benchmark*",
            "*::test_perf *100 ns*",
        ]
    )
    assert "::test_bench" not in result.stdout.str().split("perfguard: 1 benchmark")[1]


def test_the_rival_blocked_perfguard_takes_the_names(rival: pytest.Pytester) -> None:
    rival.makepyfile(
        test_suite=textwrap.dedent(SUITE)
        .replace('("rival", 3)', "3")
        .replace('len, "abc"', 'lambda: tick(200) or len("abc")')
    )
    result = rival.runpytest(*FAST, "-p", "no:benchmark", "-p", "no:codspeed")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*- perfguard: 2 benchmarks -*", "group g:", "  *::test_bench *200 ns*"]
    )


def test_perfguard_benchmark_can_be_turned_off_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(benchmark):\n    pass\n")
    result = pytester.runpytest(
        "-p", "no:perfguard-benchmark", "-p", "no:benchmark", "-p", "no:codspeed"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'benchmark' not found*"])


def test_with_pytest_benchmark_installed(pytester: pytest.Pytester) -> None:
    """The real one, where installed (the `bench` extra): both ways, in fresh processes."""
    pytest.importorskip("pytest_benchmark")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        import pytest
        from conftest import tick

        def test_bench(benchmark):
            assert benchmark(lambda: tick(100) or len("abc")) == 3

        def test_perf(perf):
            perf(tick, 100)
        """
    )
    result = pytester.runpytest_subprocess(*FAST, "--benchmark-disable")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["perfguard: pytest-benchmark is active and runs the `benchmark` tests; * -p no:benchmark"]
    )
    assert "perfguard: 1 benchmark" in result.stdout.str()
    result = pytester.runpytest_subprocess(*FAST, "-p", "no:benchmark", "--benchmark-max-time=0.01")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*- perfguard: 2 benchmarks -*"])
