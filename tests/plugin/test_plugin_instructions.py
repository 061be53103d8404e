"""--perf-instructions from the user's side: the real pass under valgrind on a tiny suite, and
the usage error where valgrind is missing."""

from __future__ import annotations

import json
import platform
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from pytest_perfguard.measure.instructions import load_callgrind

SUITE = textwrap.dedent(
    """
    import pytest

    def unit():
        return sum(range(200))

    def work(k):
        for _ in range(k):
            unit()

    def heavy():
        work(500)  # 10x the measured call: counted, it could not go unnoticed

    @pytest.mark.perf
    def test_marker():
        work(50)

    def test_once(perf):
        perf(work, 50)

    def test_twice(perf):
        perf(work, 100)

    def test_setup_excluded(perf):
        perf(work, 50, setup=heavy, teardown=lambda k: heavy())

    def test_paused_excluded(perf):
        for _ in perf.loop():
            with perf.paused():
                heavy()
            work(50)

    def test_compat(benchmark):
        benchmark(work, 50)

    def test_threaded(perf):
        import threading
        def call():
            t = threading.Thread(target=work, args=(50,))
            t.start()
            t.join()
        perf(call)

    @pytest.mark.perf(instructions=False)
    def test_not_counted():
        work(50)
    """
)

needs_valgrind = pytest.mark.skipif(
    shutil.which("valgrind") is None or load_callgrind() is None,
    reason="valgrind is not installed (or the extension was built without its header)",
)


def instructions(results: Path) -> dict[str, float | None]:
    data = json.loads(results.read_text())
    return {
        r["nodeid"].split("::")[-1]: r["measurement"]["instructions_per_op"]
        for r in data["benchmarks"]
    }


@pytest.mark.slow
@needs_valgrind
def test_counts_scale_with_the_work_and_leave_out_setup(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest(
        "--perf-instructions", "--perf-max-time", "0.05", "--perf-json", "out.json", "--perf-save"
    )
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(
        [
            "perfguard: counting instructions of 7 benchmarks under valgrind",
            "perfguard: instructions counted for 6 benchmarks, 1 n/a in *",
            "*instr/op*",
            "note: test_suite.py::test_threaded: instructions/op n/a: other threads ran while "
            "counting (* in all), so the count depends on how they were scheduled",
        ]
    )
    got = instructions(pytester.path / "out.json")
    assert got["test_not_counted"] is None and got["test_threaded"] is None
    once = got["test_once"]
    assert once is not None and once > 50 * 1000  # sum(range(200)): ~20 instructions a step
    assert got["test_twice"] == pytest.approx(2 * once, rel=0.05)
    assert got["test_marker"] == pytest.approx(once, rel=0.02)
    # heavy() is 10x the call: if it were counted, these would read 11x and more.
    assert got["test_setup_excluded"] == pytest.approx(once, rel=0.02)
    assert got["test_paused_excluded"] == pytest.approx(once, rel=0.02)
    assert got["test_compat"] == pytest.approx(once, rel=0.02)
    saved = (pytester.path / ".perfguard" / "baseline.toml").read_text()
    assert saved.count("instructions_per_op = ") == 6
    # Each count with what it depends on: this Python's build, valgrind's version, the arch,
    # the versions of the installed packages the tests imported.
    envs = set(re.findall(r'instructions_env = "(.*)"', saved))
    (env,) = envs
    assert platform.python_version() in env and "valgrind-3." in env
    assert env.endswith(f"; {platform.machine()}; packages: none")  # only the stdlib imported


def test_valgrind_missing_is_a_usage_error_saying_how_to_install_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_suite=SUITE)
    monkeypatch.setenv("PATH", str(pytester.path / "no-bin"))
    result = pytester.runpytest("--perf-instructions", "--perf-save")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--perf-instructions needs valgrind*apt-get install valgrind*"])
    assert not (pytester.path / ".perfguard").exists()  # nothing else ran


def test_without_the_flag_nothing_is_counted(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_once(perf):
            perf(sum, range(10))
        """
    )
    result = pytester.runpytest("--perf-max-time", "0.05", "--perf-json", "out.json")
    result.assert_outcomes(passed=1)
    assert "counting instructions" not in result.stdout.str()
    assert "instr/op" not in result.stdout.str()
    assert instructions(pytester.path / "out.json") == {"test_once": None}


def test_with_xdist_workers_it_is_a_usage_error_saying_to_run_without_n(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest("-n", "2", "--perf-instructions", "--perf-save")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--perf-instructions runs its own worker under valgrind; run it without -n*"]
    )
    assert not (pytester.path / ".perfguard").exists()  # nothing else ran
    ini = pytester.makeini("[pytest]\nperf_instructions = true\n")
    result = pytester.runpytest("-n", "2", "--perf-save", "-c", str(ini))
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # from the ini too
