"""perf.parallel from the user's side: figures, the sweep, per-thread setup, the efficiency
gate against saved runs and bad input. A fake clock that the threads advance makes every
figure exact: a "scaling" op takes 1000 ns of its thread's time whatever the number of threads
(each thread ticks 1000 / threads, the shared clock adding them up), a "serial" op takes 1000 ns
of the clock whatever the threads, as under a lock."""

from __future__ import annotations

import json

import pytest

FAST = ("--perf-max-time=0.05", "-p", "no:cacheprovider")

CONFTEST = """
import threading
import json

import pytest
from pytest_perfguard.measure.engine import Engine
from pytest_perfguard.plugin.session import SESSION_KEY

class Clock:
    now = 0
    lock = threading.Lock()
    def __call__(self):
        return Clock.now

def tick(ns):
    with Clock.lock:
        Clock.now += ns

def gang_size():
    # perfguard names its threads perfguard-<threads>-<index>; the calling thread is 1.
    name = threading.current_thread().name
    return int(name.split("-")[1]) if name.startswith("perfguard-") else 1

def scaling(ns=1000):
    tick(ns / gang_size())

def serial(ns=1000):
    tick(ns)

@pytest.fixture(autouse=True)
def _fake_clock(request):
    # No load probe: the machine's real load would make every verdict advisory.
    request.config.stash[SESSION_KEY].engine = Engine(
        clock=Clock(), reference=lambda: tick(1000), load_probe=lambda: None
    )
"""


@pytest.fixture
def fake(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    return pytester


def test_one_count_reports_ops_per_second_per_thread_time_and_the_build(
    fake: pytest.Pytester,
) -> None:
    fake.makepyfile(
        """
        from conftest import scaling

        def test_it(perf):
            assert perf.parallel(scaling, threads=2) is None
            m = perf.measurement
            assert (m.threads, m.median_ns, m.sweep) == (2, 1000.0, ())
            assert m.ops_per_s == 2e6
            assert m.python_build in ("GIL", "free-threaded")
        """
    )
    result = fake.runpytest(*FAST)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "parallel: test_one_count_reports_ops_per_second_per_thread_time_and_the_build.py"
            "::test_it: 2 threads (GIL build): 2 Mops/s, 1.00 us/op per thread",
            "note: *perf.parallel: allocations, calls and peak memory are counted on one thread*",
        ]
    )


def test_the_default_is_the_cpus_this_process_may_use(fake: pytest.Pytester) -> None:
    fake.makepyfile(
        """
        import os
        from conftest import scaling

        def test_it(perf):
            perf.parallel(scaling)
            assert perf.measurement.threads == len(os.sched_getaffinity(0))
        """
    )
    fake.runpytest(*FAST).assert_outcomes(passed=1)


@pytest.mark.parametrize(("op", "efficiency"), [("scaling", "1.00"), ("serial", "0.50")])
def test_a_sweep_reports_speedup_and_efficiency_against_one_thread(
    fake: pytest.Pytester, op: str, efficiency: str
) -> None:
    fake.makepyfile(
        f"""
        from conftest import {op}

        def test_it(perf):
            perf.parallel({op}, threads=[1, 2])
            m = perf.measurement
            assert [t.threads for t in m.sweep] == [1, 2]
            assert len(m.sweep[0].samples_ns) == len(m.sweep[1].samples_ns) == m.rounds
        """
    )
    result = fake.runpytest(*FAST)
    result.assert_outcomes(passed=1)
    speedup = "2.00" if op == "scaling" else "1.00"
    result.stdout.fnmatch_lines(
        [
            f"parallel: *::test_it: 2 threads (GIL build): *; at 2: speedup {speedup}x, "
            f"efficiency {efficiency} [[]{efficiency}, {efficiency}]"
        ]
    )


def test_setup_runs_once_in_each_thread_untimed(fake: pytest.Pytester) -> None:
    fake.makepyfile(
        """
        import threading
        from conftest import scaling, tick

        seen = []

        def setup():
            seen.append(threading.current_thread().name)
            tick(10**9)  # untimed: it would be seen in the time per op
            return (500,), {}

        def test_it(perf):
            perf.parallel(scaling, threads=[1, 2], setup=setup)
            # the calling thread (the result's call and the passes after timing), then each
            # thread of each count
            assert sorted(seen) == sorted(
                ["MainThread", "MainThread", "perfguard-1-0", "perfguard-2-0", "perfguard-2-1"]
            )
            assert perf.measurement.median_ns == 500.0
        """
    )
    fake.runpytest(*FAST).assert_outcomes(passed=1)


def test_an_error_in_a_thread_fails_the_test_with_it(fake: pytest.Pytester) -> None:
    fake.makepyfile(
        """
        import threading

        def boom():
            if threading.current_thread().name == "perfguard-2-1":
                raise RuntimeError("thread two broke")

        def test_it(perf):
            perf.parallel(boom, threads=2)
        """
    )
    result = fake.runpytest(*FAST)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*RuntimeError: thread two broke*"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("perf.parallel(scaling, threads=0)", "threads must be at least 1, got 0"),
        ("perf.parallel(scaling, threads=-2)", "threads must be at least 1, got -2"),
        (
            "perf.parallel(scaling, threads=1.5)",
            "threads must be a whole number of threads, got 1.5",
        ),
        (
            "perf.parallel(scaling, threads='2')",
            "threads must be a whole number of threads, got '2'",
        ),
        (
            "perf.parallel(scaling, threads=True)",
            "threads must be a whole number of threads, got True",
        ),
        ("perf.parallel(scaling, threads=[])", "threads=[] is an empty sweep*"),
        (
            "perf.parallel(scaling, threads=[2, 4])",
            "threads=[2, 4]: a sweep must start at 1, since its efficiency is measured against "
            "one thread (ops/s at N / (N x ops/s at 1)); write threads=[1, 2, 4]",
        ),
        ("perf.parallel(scaling, threads=[1, 2, 2])", "threads=[1, 2, 2]: counts must increase*"),
        (
            "perf.parallel(scaling, threads=[1, 0])",
            "threads=[1, 0]: each count must be at least 1*",
        ),
        ("perf.parallel(42, threads=2)", "the function to measure must be callable, got 42"),
        ("perf.parallel(scaling, setup=3)", "setup must be callable, got 3"),
        ("perf.parallel(scaling, setup=lambda: 5)", "setup must return None or (args_tuple*got 5"),
    ],
)
def test_bad_input_is_an_error_naming_the_test(
    fake: pytest.Pytester, call: str, message: str
) -> None:
    fake.makepyfile(
        f"""
        from conftest import scaling

        def test_bad(perf):
            {call}
        """
    )
    result = fake.runpytest(*FAST)
    result.assert_outcomes(failed=1)
    escaped = message.replace("[", "[[]")
    result.stdout.fnmatch_lines([f"*::test_bad: perf.parallel(): {escaped}"])


def test_a_second_measurement_in_one_test_is_refused(fake: pytest.Pytester) -> None:
    fake.makepyfile(
        """
        from conftest import scaling

        def test_twice(perf):
            perf.parallel(scaling, threads=1)
            perf(scaling)
        """
    )
    result = fake.runpytest(*FAST)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*::test_twice: perf() after perf.parallel(): one measurement*"])


SWEEP = """
import os
from conftest import scaling, serial

# HEAD picks the op and its cost: "scaling:1000" or "serial:500" (a lock, on a machine twice
# as fast: the time per op at 2 threads is the same as scaling's at 1000)
OP, NS = os.environ.get("HEAD", "scaling:1000").split(":")

def test_sweep(perf):
    perf.parallel({"scaling": scaling, "serial": serial}[OP], int(NS), threads=[1, 2])
"""


def test_the_saved_run_keeps_threads_ops_and_efficiency(fake: pytest.Pytester) -> None:
    fake.makepyfile(test_sweep=SWEEP)
    fake.runpytest(*FAST, "--perf-save").assert_outcomes(passed=1)
    text = (fake.path / ".perfguard" / "baseline.toml").read_text()
    assert "\nthreads = 2\nops_per_s = 2000000.0\nsweep = [\n    1,\n    2,\n]\n" in text
    assert "\nefficiency = [\n    1.0,\n    1.0,\n]\n" in text


@pytest.mark.parametrize(
    ("head", "outcome"),
    [
        ("scaling:1000", "passed"),  # unchanged
        ("scaling:300", "passed"),  # a faster machine: efficiency the same
        ("serial:500", "failed"),  # time per op unchanged at 2 threads, efficiency halved
    ],
)
def test_a_drop_in_efficiency_fails_whatever_the_speed(
    fake: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, head: str, outcome: str
) -> None:
    fake.makepyfile(test_sweep=SWEEP)
    for _ in range(3):
        fake.runpytest(*FAST, "--perf-save").assert_outcomes(passed=1)
    monkeypatch.setenv("HEAD", head)
    result = fake.runpytest(*FAST, "--perf-compare")
    result.assert_outcomes(**{outcome: 1})
    if outcome == "failed":
        result.stdout.fnmatch_lines(
            [
                "*::test_sweep: performance regression",
                "  efficiency at 2 threads regressed: 1 -> 0.5 (-50.0%*",
                "    rule: Efficiency fell by 50.0%: the threads scale worse than in the saved*",
            ]
        )
        assert "time/op regressed" not in result.stdout.str()


def test_a_busy_machine_makes_the_efficiency_verdict_advisory(
    fake: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Other processes taking the free cores lower a sweep's efficiency as a lock would.
    fake.makepyfile(test_sweep=SWEEP)
    for _ in range(3):
        fake.runpytest(*FAST, "--perf-save").assert_outcomes(passed=1)
    conftest = fake.path / "conftest.py"
    busy = """
from pytest_perfguard.measure.load import CpuTimes
READS = iter(range(10**6))
def busy():
    i = next(READS)
    return CpuTimes(wall_s=float(i), busy_s=2.0 * i, own_s=0.5 * i, cpus=2)
"""
    text = conftest.read_text().replace("load_probe=lambda: None", "load_probe=busy")
    conftest.write_text(busy + text)
    monkeypatch.setenv("HEAD", "serial:500")
    result = fake.runpytest(*FAST, "--perf-compare")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*efficiency at 2 threads regressed (advisory): 1 -> 0.5*"])


def test_json_markdown_and_html_carry_the_figures(fake: pytest.Pytester) -> None:
    fake.makepyfile(test_sweep=SWEEP)
    fake.runpytest(
        *FAST, "--perf-json=out.json", "--perf-markdown=out.md", "--perf-html=out.html"
    ).assert_outcomes(passed=1)
    doc = json.loads((fake.path / "out.json").read_text())
    m = doc["benchmarks"][0]["measurement"]
    assert (m["threads"], m["ops_per_s"], m["python_build"]) == (2, 2e6, "GIL")
    one, two = m["sweep"]
    assert (one["threads"], two["threads"], two["ops_per_s"]) == (1, 2, 2e6)
    assert two["efficiency"] == 1.0 and two["efficiency_interval"] == [1.0, 1.0]
    line = "2 threads (GIL build): 2 Mops/s, 1.00 us/op per thread; at 2: speedup 2.00x, "
    line += "efficiency 1.00 [1.00, 1.00]"
    assert f"- parallel: test_sweep.py::test_sweep: {line}" in (fake.path / "out.md").read_text()
    assert line in (fake.path / "out.html").read_text()


def test_perf_off_calls_once_on_the_calling_thread(fake: pytest.Pytester) -> None:
    fake.makepyfile(
        """
        import threading

        calls = []

        def op():
            calls.append(threading.current_thread().name)
            return 7

        def test_it(perf):
            assert perf.parallel(op, threads=[1, 2]) == 7
            assert calls == ["MainThread"] and perf.measurement is None
        """
    )
    fake.runpytest(*FAST, "--perf-off").assert_outcomes(passed=1)
