"""--perf-instructions without valgrind: the pass's windows with a fake extension, the dumps and
progress file read back, the worker's restarts and deadlines, merging, gating, bad input."""

from __future__ import annotations

import dataclasses
import gc
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_perfguard.judge.policy import Observation, Policy
from pytest_perfguard.judge.verdict import compare_benchmark
from pytest_perfguard.measure import instructions as ins
from pytest_perfguard.measure.steps import Step, drive
from pytest_perfguard.model import BaselineEntry, Measurement, RunSummary, Verdict
from pytest_perfguard.plugin.instructions import WORKER_ENV
from pytest_perfguard.report.rules import rule_text
from pytest_perfguard.run import instructions as run
from pytest_perfguard.worker.process import Deadlines, WorkerExit, run_worker


class FakeCallgrind:
    """Records what the pass asked of callgrind; counts "instructions" as calls made while
    collection was on (10 per call, 7 per window for opening and closing it)."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.collecting = False
        self.count = 0
        self.dumps: dict[str, int] = {}
        self.gc_during: list[bool] = []

    def callgrind_state(self) -> str:
        return "ready"

    def callgrind_instrument(self, on: bool) -> None:
        self.log.append(f"instrument {on}")

    def callgrind_start(self) -> None:
        self.log.append("start")
        self.collecting, self.count = True, 7
        self.gc_during.append(gc.isenabled())

    def callgrind_stop(self, label: str) -> None:
        self.log.append(f"stop {label}")
        self.collecting = False
        self.dumps[label] = self.count

    def callgrind_pause(self) -> None:
        self.log.append("pause")
        self.collecting = False

    def callgrind_resume(self) -> None:
        self.log.append("resume")
        self.collecting = True

    def callgrind_run(self, fn: Callable[[], object], n: int, label: str) -> None:
        self.callgrind_start()
        for _ in range(n):
            fn()
        self.callgrind_stop(label)

    def op(self, cost: int = 10) -> None:
        if self.collecting:
            self.count += cost


def ticking(step: float) -> Callable[[], float]:
    now = [0.0]

    def clock() -> float:
        now[0] += step
        return now[0]

    return clock


def test_windows_count_only_the_calls_not_setup_and_cancel_their_own_cost() -> None:
    hooks = FakeCallgrind()

    def run_step(step: Step) -> None:
        for _ in range(step.n):
            with step.pause:
                hooks.op(1000)  # per-call setup: never counted
            hooks.op(10)

    windows = drive(
        ins.instruction_pass(hooks, 3, warmup=4, clock=ticking(0.01), collect=lambda: None),
        run_step,
    )
    assert windows.warmup == 4 and windows.calls == ins.window_calls(0.01)
    one = hooks.dumps[ins.label(3, windows.calls)]
    two = hooks.dumps[ins.label(3, 2 * windows.calls)]
    assert (
        run.per_op({(3, windows.calls): one, (3, 2 * windows.calls): two}, 3, windows.calls) == 10
    )
    assert hooks.log[0] == "pause"  # warm-up pauses outside a window do nothing in C
    assert hooks.log.count("start") == 2 and hooks.log[-1] == "instrument False"
    assert hooks.gc_during == [False, False] and gc.isenabled()


def test_a_call_that_raises_closes_its_window_and_turns_gc_back_on() -> None:
    hooks = FakeCallgrind()
    calls = [0]

    def run_step(step: Step) -> None:
        calls[0] += 1
        if calls[0] > 2:  # the first window
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        drive(ins.instruction_pass(hooks, 0, warmup=2, clock=ticking(5.0)), run_step)
    assert hooks.log[-2:] == ["stop perfguard 0 1", "instrument False"]
    assert not hooks.collecting and gc.isenabled()


def test_slow_warm_up_stops_early_and_takes_one_call_per_window() -> None:
    hooks = FakeCallgrind()
    windows = drive(
        ins.instruction_pass(hooks, 0, warmup=100, clock=ticking(2 * ins.WARMUP_BUDGET_S)),
        lambda step: None,
    )
    assert windows.warmup == 2 and windows.calls == 1


def test_call_windows_use_the_c_loop() -> None:
    hooks = FakeCallgrind()
    windows = ins.call_windows(hooks, hooks.op, 1, warmup=3, clock=ticking(5.0))
    assert windows.calls == 1
    assert hooks.dumps == {"perfguard 1 1": 17, "perfguard 1 2": 27}


@pytest.mark.parametrize(
    ("per_call", "calls"),
    [
        (0.0, ins.WINDOW_CALLS),
        (ins.SLOW_CALL_S, ins.WINDOW_CALLS),
        (ins.SLOW_CALL_S * 1.01, 1),
        (100.0, 1),
    ],
)
def test_window_calls(per_call: float, calls: int) -> None:
    assert ins.window_calls(per_call) == calls


DUMP = """# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 4242
cmd:  python -m pytest
part: 3

desc: I1 cache:
desc: Timerange: Basic block 1 - 2
desc: Trigger: Client Request: perfguard 12 40

positions: instr
events: Ir
fn=(1) f
0 5
summary: 612486

totals: 612486
"""


def test_parse_dump_reads_the_label_and_the_total() -> None:
    assert run.parse_dump(DUMP.splitlines()) == ((12, 40), 612486)
    ending = DUMP.replace("Client Request: perfguard 12 40", "Program termination")
    assert run.parse_dump(ending.splitlines()) == (None, None)


def test_read_dumps_and_per_op(tmp_path: Path) -> None:
    (tmp_path / "callgrind.out.1.1").write_text(DUMP)
    (tmp_path / "callgrind.out.1.2").write_text(
        DUMP.replace("12 40", "12 80").replace("612486", "1224886")
    )
    (tmp_path / "callgrind.out.1").write_text(DUMP.replace("Client Request: perfguard 12 40", "x"))
    dumps = run.read_dumps(tmp_path)
    assert dumps == {(12, 40): 612486, (12, 80): 1224886}
    assert run.per_op(dumps, 12, 40) == (1224886 - 612486) / 40
    assert run.per_op(dumps, 12, 20) is None


def test_read_events_skips_a_line_cut_short() -> None:
    lines = [
        json.dumps({"event": "start", "index": 0, "nodeid": "a"}),
        json.dumps({"event": "windows", "index": 0, "calls": 4, "warmup": 16}),
        json.dumps({"event": "start", "index": 1, "nodeid": "b"}),
        json.dumps({"event": "error", "index": 1, "error": "failed"}),
        '{"event": "sta',
    ]
    events = run.read_events(lines)
    assert events.started == [0, 1] and events.windows == {0: 4} and events.errors == {1: "failed"}


class FakeWorkers:
    """Worker sessions that 'count' each benchmark as 100 * (index + 1) instructions per op,
    crash on the node ids in `crash` and hang on those in `hang`."""

    def __init__(self, crash: tuple[str, ...] = (), hang: tuple[str, ...] = ()) -> None:
        self.crash, self.hang = crash, hang
        self.runs: list[dict[str, int]] = []
        self.envs: list[dict[str, str]] = []

    def __call__(
        self, argv: list[str], *, env: dict[str, str], progress: Path, **kw: Any
    ) -> WorkerExit:
        work = Path(env[run.DIR_ENV])
        todo = json.loads((work / run.TODO).read_text())
        self.runs.append(todo)
        self.envs.append(env)
        with progress.open("a") as out:
            for nodeid, i in todo.items():
                out.write(json.dumps({"event": "start", "index": i, "nodeid": nodeid}) + "\n")
                if nodeid in self.crash:
                    return WorkerExit(-11, None, 1.0, "Segmentation fault")
                if nodeid in self.hang:
                    return WorkerExit(None, "step", 1.0, "")
                for n in (2, 4):
                    dump = DUMP.replace("12 40", f"{i} {n}").replace(
                        "612486", str(7 + 100 * (i + 1) * n)
                    )
                    (work / f"callgrind.out.{len(self.runs)}.{i}.{n}").write_text(dump)
                out.write(json.dumps({"event": "windows", "index": i, "calls": 2}) + "\n")
        return WorkerExit(0, None, 1.0, "")


def count(fake: FakeWorkers, nodeids: list[str]) -> run.InstructionCounts:
    return run.count_instructions(
        nodeids, ["-q"], cwd=Path.cwd(), valgrind="valgrind", run=fake, environ={}
    )


def test_one_worker_counts_every_benchmark_with_a_fixed_hash_seed() -> None:
    fake = FakeWorkers()
    counts = count(fake, ["a", "b", "c"])
    assert counts.per_op == {"a": 100.0, "b": 200.0, "c": 300.0}
    assert counts.errors == {} and counts.workers == 1
    assert fake.envs[0]["PYTHONHASHSEED"] == "0"


def test_a_crash_or_a_hang_is_that_benchmarks_error_and_the_rest_go_on() -> None:
    fake = FakeWorkers(crash=("b",), hang=("d",))
    counts = count(fake, ["a", "b", "c", "d", "e"])
    assert counts.per_op == {"a": 100.0, "c": 300.0, "e": 500.0}
    assert "exit -11" in counts.errors["b"] and "Segmentation fault" in counts.errors["b"]
    assert "timed out after 300 s" in counts.errors["d"]
    assert [list(todo) for todo in fake.runs] == [["a", "b", "c", "d", "e"], ["c", "d", "e"], ["e"]]


def test_a_worker_that_runs_nothing_is_not_started_again() -> None:
    def broken(argv: list[str], **kw: Any) -> WorkerExit:
        return WorkerExit(4, None, 0.5, "ERROR: usage\nunknown option")

    counts = run.count_instructions(["a", "b"], [], cwd=Path.cwd(), valgrind="v", run=broken)
    assert counts.per_op == {} and counts.workers == 1
    assert all("exit 4" in e and "unknown option" in e for e in counts.errors.values())


def test_the_worker_command_runs_pytest_under_callgrind_with_collection_off() -> None:
    argv = run.worker_command("/usr/bin/valgrind", Path("/w"), "/py", ["-q", "t.py"])
    assert argv[:4] == ["/usr/bin/valgrind", "--tool=callgrind", "--collect-atstart=no",
                        "--instr-atstart=no"]  # fmt: skip
    assert argv[-6:] == ["-m", "pytest", "-p", run.WORKER_PLUGIN, "-q", "t.py"]
    assert run.DIR_ENV == WORKER_ENV


def test_with_instructions_merges_a_count_or_notes_why_not() -> None:
    m = Measurement(100.0, 1.0, 5, 10, (100.0,), (), 50.0, 0.0)
    counts = run.InstructionCounts({"a": 1234.5}, {"b": "timed out"}, 1.0, 1)
    assert run.with_instructions(m, counts, "a").instructions_per_op == 1234.5
    noted = run.with_instructions(m, counts, "b")
    assert noted.instructions_per_op is None
    assert noted.notes == ("instructions/op n/a: timed out",)
    assert run.with_instructions(m, counts, "c") == m


def test_valgrind_missing_says_how_to_install_it() -> None:
    with pytest.raises(run.ValgrindUnavailable, match="apt-get install valgrind"):
        run.find_valgrind(which=lambda name: None, system="linux", machine="x86_64")
    assert run.find_valgrind(which=lambda n: "/usr/bin/" + n, system="linux", machine="x86_64")


@pytest.mark.parametrize(("system", "machine"), [("darwin", "arm64"), ("win32", "AMD64")])
def test_a_platform_valgrind_cannot_run_on_says_so(system: str, machine: str) -> None:
    with pytest.raises(run.ValgrindUnavailable, match=f"does not run on {system} {machine}"):
        run.find_valgrind(which=lambda name: "/bin/valgrind", system=system, machine=machine)


def test_run_worker_kills_a_step_that_takes_too_long(tmp_path: Path) -> None:
    progress = tmp_path / "progress"
    progress.write_text("")
    script = f"open({str(progress)!r}, 'a').write('x\\n'); import time; time.sleep(60)"
    exit = run_worker(
        [sys.executable, "-c", script], env={}, cwd=tmp_path, progress=progress,
        log=tmp_path / "log", deadlines=Deadlines(step_s=1.0, total_s=30.0),
    )  # fmt: skip
    assert exit.returncode is None and exit.timed_out == "step" and exit.seconds < 10


def test_run_worker_returns_the_exit_code_and_output(tmp_path: Path) -> None:
    exit = run_worker(
        [sys.executable, "-c", "print('hello'); raise SystemExit(3)"], env={}, cwd=tmp_path,
        progress=tmp_path / "p", log=tmp_path / "log", deadlines=Deadlines(30.0, 30.0),
    )  # fmt: skip
    assert exit.returncode == 3 and exit.timed_out is None and "hello" in exit.log


ENV = "CPython 3.11.7 (main, May 9 2026, GCC 12.2.0); valgrind-3.19.0; x86_64"


def runs_with(instructions: float | None, env: str | None = ENV) -> BaselineEntry:
    summary = RunSummary("2026-01-01T00:00:00Z", 100.0, 2.0, 50.0, 20, 100)
    counted = dataclasses.replace(summary, instructions_per_op=instructions, instructions_env=env)
    return BaselineEntry("t::a", None, (counted,) * 3, "3.11", "test-machine")


def now(instructions: float | None, env: str | None = ENV) -> Observation:
    return Observation(100.0, 2.0, (100.0,) * 20, (2.0,) * 20, instructions_per_op=instructions,
                       instructions_env=env)  # fmt: skip


@pytest.mark.parametrize(
    ("tolerance", "current", "verdict"),
    [
        (0.002, 1_001_000.0, Verdict.UNCHANGED),
        (0.002, 1_010_000.0, Verdict.REGRESSED),
        (0.02, 1_010_000.0, Verdict.UNCHANGED),
        (0.002, 990_000.0, Verdict.IMPROVED),
    ],
)
def test_instructions_gate_like_the_other_counts_with_their_tolerance(
    tolerance: float, current: float, verdict: Verdict
) -> None:
    c = compare_benchmark(
        runs_with(1_000_000.0), now(current), Policy(), instructions_tolerance=tolerance
    )
    (m,) = [m for m in c.metrics if m.metric == "instructions"]
    assert m.verdict is verdict
    assert (m in c.failing) is (verdict is Verdict.REGRESSED)


@pytest.mark.parametrize(
    ("saved", "current"),
    [
        (ENV, ENV.replace("3.11.7", "3.11.9")),  # another build of the same Python
        (ENV, ENV.replace("valgrind-3.19.0", "valgrind-3.22.0")),
        (None, ENV),  # counted before the environment was recorded: unknown
    ],
)
def test_counts_from_another_build_or_valgrind_are_advisory(
    saved: str | None, current: str
) -> None:
    c = compare_benchmark(runs_with(1_000_000.0, saved), now(1_100_000.0, current), Policy())
    (m,) = [m for m in c.metrics if m.metric == "instructions"]
    assert m.verdict is Verdict.REGRESSED and m.advisory and m not in c.failing
    (caveat,) = m.decision.caveats
    assert caveat.texts == {"what": "instructions_env", "old": saved or "unknown", "new": current}
    assert "what the instruction counts depend on" in rule_text(m)


def test_no_instruction_count_on_either_side_is_no_instruction_verdict() -> None:
    for entry, current in ((runs_with(None), 5.0), (runs_with(5.0), None)):
        c = compare_benchmark(entry, now(current), Policy())
        assert all(m.metric != "instructions" for m in c.metrics)


def test_threads_alive_during_the_windows_are_reported() -> None:
    alive = iter([1, 1, 1, 1, 3])  # a thread started by the windows' calls, alive after them
    windows = drive(
        ins.instruction_pass(FakeCallgrind(), 0, warmup=2, clock=ticking(0.0),
                             threads=lambda: next(alive)),
        lambda step: None,
    )  # fmt: skip
    assert windows.threads == 3 and windows.calls == ins.WINDOW_CALLS


def test_threads_alive_after_the_warm_up_skip_the_windows() -> None:
    fake = FakeCallgrind()
    alive = iter([1, 3, 3])  # the first warm-up call left a thread running
    windows = drive(
        ins.instruction_pass(fake, 0, warmup=16, clock=ticking(0.0), threads=lambda: next(alive)),
        lambda step: None,
    )
    assert windows.threads == 3 and windows.warmup == 2 and windows.calls == 0
    assert "start" not in fake.log  # no window opened: the count would be n/a anyway
    quiet = drive(ins.instruction_pass(FakeCallgrind(), 0, warmup=2), lambda step: None)
    assert quiet.threads == 1


def test_a_thread_started_and_joined_inside_a_call_is_seen() -> None:
    def call() -> None:
        t = threading.Thread(target=sum, args=(range(10),))
        t.start()
        t.join()

    def run_step(step: Step) -> None:
        for _ in range(step.n):
            call()

    before = threading.gettrace()
    windows = drive(ins.instruction_pass(FakeCallgrind(), 0, warmup=2), run_step)
    assert windows.threads == 1 + 3 * windows.calls
    assert ins.call_windows(FakeCallgrind(), call, 0, warmup=2).threads > 1
    assert threading.gettrace() is before
