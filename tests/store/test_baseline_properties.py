"""Property tests: damaged files never crash the loader, the verdict or the `perfguard` command.

(a) any mutation of a valid baseline loads into a Baseline keeping the invariants, or raises
BaselineError; (b) the verdict never raises on a baseline the loader accepts; (c) every command
answers a bad file with one error line and exit 2. benchmarks/fuzz_baseline.py runs the same
mutations 10,000 times and more; here the example counts stay small so the suite stays fast.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import random
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_perfguard.cli import main
from pytest_perfguard.judge.policy import Observation, Policy
from pytest_perfguard.judge.verdict import compare_all, compare_baselines
from pytest_perfguard.judge.verdict import compare_benchmark as compare_one
from pytest_perfguard.model import (
    Baseline,
    BaselineEntry,
    BenchResult,
    BenchSettings,
    Fingerprint,
    Measurement,
    RunSummary,
)
from pytest_perfguard.report.json import render_json, results_document
from pytest_perfguard.store import baseline as storage
from pytest_perfguard.store import history
from pytest_perfguard.store.baseline import BaselineError
from tests.mutations import invariant_violations, mutate

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
ROOT = Path(__file__).parent.parent.parent
GOLDEN = (ROOT / "tests" / "golden" / "baseline_v1.toml").read_bytes()
EXAMPLES = (ROOT / ".perfguard" / "baseline.toml").read_bytes()
SEEDS = st.sampled_from([GOLDEN, GOLDEN, EXAMPLES])
FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


def measurement_of(run: RunSummary) -> Measurement:
    samples = run.samples_ns or (run.median_ns,)
    reference = run.reference_ns or (50.0 if run.ref_ratios else math.nan)  # as measured
    return Measurement(run.median_ns, 0.0, run.rounds, run.loops, samples, run.ref_ratios or (),
                       reference, 0.0, run.allocs_per_op, run.bytes_per_op, None,
                       run.peak_memory_bytes)  # fmt: skip


def judge_every_way(old: Baseline, new: Baseline) -> None:
    """Every entry point of the verdict, and the history operations a save or merge makes."""
    compare_baselines(old, new, Policy())
    compare_baselines(new, old, Policy(alloc_tolerance=0.05, strict=True))
    fp = new.fingerprint or old.fingerprint
    results = [
        BenchResult(e.nodeid, e.group, measurement_of(e.runs[-1]), BenchSettings())
        for e in new.entries.values()
    ]
    if fp is not None:
        compare_all(old, results, fp, Policy(), suite_complete=True)
        storage.loads(storage.dumps(history.merge(old, results, fp, now=NOW)))
    for e in new.entries.values():
        now = Observation.from_run(e.runs[-1])
        compare_one(old.entries.get(e.nodeid), now, Policy())
        compare_one(old.entries.get(e.nodeid), now, Policy(), family=100_000)
    history.merge_baselines(old, new)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FAST
@given(seed=SEEDS, rng=st.randoms(use_true_random=False))
def test_a_mutated_file_loads_valid_or_raises_baseline_error(
    scratch: Path, seed: bytes, rng: random.Random
) -> None:
    path = scratch / "baseline.toml"
    path.write_bytes(mutate(seed, rng))
    try:
        loaded = storage.load(path)
    except BaselineError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(str(path))
        return
    assert invariant_violations(loaded) == []
    judge_every_way(storage.loads(seed.decode()), loaded)  # (b) on what the loader accepted
    judge_every_way(loaded, storage.loads(seed.decode()))


# --- (b) baselines built from every value the loader accepts -----------------------------------

times = st.floats(storage.MIN_NS, storage.MAX_NS)
ratios = st.floats(storage.MIN_RATIO, storage.MAX_RATIO)
counts = st.one_of(st.none(), st.floats(0, storage.MAX_COUNT), st.sampled_from([0.0, 1.0, 800.0]))


@st.composite
def runs(draw: st.DrawFn, newest: bool) -> RunSummary:
    sampled = newest and draw(st.booleans())
    return RunSummary(
        timestamp=draw(st.sampled_from(["2024-05-01T12:00:00+00:00", "2024-05-02T00:00:00Z"])),
        median_ns=draw(times),
        ref_ratio=draw(st.none() | ratios),
        reference_ns=draw(st.none() | times),
        rounds=draw(st.integers(1, storage.MAX_ITERATIONS)),
        loops=draw(st.integers(1, storage.MAX_ITERATIONS)),
        allocs_per_op=draw(counts),
        bytes_per_op=draw(counts),
        peak_memory_bytes=draw(st.none() | st.integers(0, int(storage.MAX_COUNT))),
        samples_ns=tuple(draw(st.lists(times, min_size=1, max_size=8))) if sampled else None,
        ref_ratios=tuple(draw(st.lists(ratios, min_size=1, max_size=8))) if sampled else None,
    )


fingerprints = st.builds(
    Fingerprint,
    st.just("CPython"),
    st.sampled_from(["3.11.7", "3.12.1"]),
    st.just("Linux"),
    st.just("x86_64"),
    st.sampled_from(["CPU A", "CPU B"]),
    st.integers(1, storage.MAX_CPUS),
    st.just("0.1"),
    st.sampled_from(["m", "n", ""]),
    st.sampled_from(["", "GitHub Actions"]),
)


@st.composite
def baselines(draw: st.DrawFn) -> Baseline:
    entries = {}
    for nodeid in draw(st.lists(st.sampled_from(["t::a", "t::b", "t::c[x]"]), unique=True)):
        older = draw(st.lists(runs(newest=False), max_size=5))
        entry = BaselineEntry(
            nodeid, draw(st.none() | st.just("g")), (*older, draw(runs(newest=True))),
            draw(st.sampled_from(["3.11", "3.12", ""])), draw(st.sampled_from(["m", "n", ""])),
        )  # fmt: skip
        entries[nodeid] = entry
    baseline = Baseline(draw(st.none() | fingerprints), entries)
    return storage.loads(storage.dumps(baseline))  # exactly what the loader hands out


@FAST
@given(old=baselines(), new=baselines())
def test_the_verdict_never_raises_on_a_baseline_the_loader_accepts(
    old: Baseline, new: Baseline
) -> None:
    assert invariant_violations(old) == [] and invariant_violations(new) == []
    judge_every_way(old, new)


# --- (c) the `perfguard` command ----------------------------------------------------------------


def run_cli(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in argv])
    return status, out.getvalue(), err.getvalue()


def assert_one_line_error_or_success(status: int, err: str, commands: str) -> None:
    if status == 2:
        assert err.startswith("perfguard: error: ") and err.count("\n") == 1, (commands, err)
        assert "Traceback" not in err
    else:
        assert status in (0, 1) and err == "", (commands, status, err)


@settings(FAST, max_examples=30)  # four commands per example
@given(seed=SEEDS, rng=st.randoms(use_true_random=False))
def test_every_command_answers_a_bad_baseline_with_one_line(
    scratch: Path, seed: bytes, rng: random.Random
) -> None:
    good, bad, out = scratch / "good.toml", scratch / "bad.toml", scratch / "out.toml"
    good.write_bytes(seed)
    bad.write_bytes(mutate(seed, rng))
    for argv in (
        ("show", bad),
        ("compare", bad, good),
        ("compare", good, bad),
        ("merge", good, bad, "-o", out, "--force"),
    ):
        status, _, err = run_cli(*argv)
        assert_one_line_error_or_success(status, err, " ".join(map(str, argv)))
    if out.exists():
        storage.load(out)  # whatever merge wrote loads again


BAD_VALUES = [0, -1, 0.0, -1e308, 1e308, 1e400, "nan", None, True, "x" * 1000, [], {}, [[[]]]]


@FAST
@given(
    rng=st.randoms(use_true_random=False),
    value=st.sampled_from(BAD_VALUES) | st.floats() | st.integers(),
)
def test_every_command_answers_bad_results_json_with_one_line(
    scratch: Path, rng: random.Random, value: object
) -> None:
    good = scratch / "good.toml"
    good.write_bytes(GOLDEN)
    baseline = storage.loads(GOLDEN.decode())
    fp = baseline.fingerprint
    assert fp is not None
    results = [
        BenchResult(e.nodeid, e.group, measurement_of(e.runs[-1]), BenchSettings(), ("t.py", 3))
        for e in baseline.entries.values()
    ]
    doc = json.loads(render_json(results_document(results, {}, fp, {}, "2024-06-01T00:00:00Z")))
    # Replace one leaf of one benchmark with the bad value.
    target = rng.choice(doc["benchmarks"])
    table = target[rng.choice(["measurement", "settings", "measurement"])]
    table[rng.choice(sorted(table))] = value
    text = json.dumps(doc).replace('"nan"', "NaN")
    path = scratch / "now.json"
    path.write_text(text, encoding="utf-8")
    for argv in (("show", path), ("compare", good, path)):
        status, _, err = run_cli(*argv)
        assert_one_line_error_or_success(status, err, " ".join(map(str, argv)))


def test_runs_as_far_apart_as_the_loader_allows_are_judged() -> None:
    # 1e-6 ns and 1e15 ns both load; the t quantile of a large family times their spread once
    # overflowed exp(), and a change of -100% in float divided by zero.
    spread = [RunSummary(NOW.isoformat(), m, None, None, 1, 1) for m in (1e-6, 1e15, 1e-6)]
    entry = BaselineEntry("t", None, tuple(spread), "3.11", "test-machine")
    for median in (1e-6, 1.0, 1e15):
        now = Observation(median, samples_ns=(median,))
        for family in (1, 1000, 100_000):
            (time,) = compare_one(entry, now, Policy(), family=family).metrics
            assert time.detectable is not None and time.detectable > 1e10
    tiny = BaselineEntry("t", None, (spread[0],), "3.11", "test-machine")
    (time,) = compare_one(tiny, Observation(1e15, samples_ns=(1e15,)), Policy()).metrics
    assert time.change > 1e20


def test_the_mutations_do_reach_both_outcomes(scratch: Path) -> None:
    # Not vacuous: the mutations both break files and leave some loadable.
    rng = random.Random(11)
    loaded = refused = 0
    for _ in range(200):
        try:
            storage.loads(mutate(GOLDEN, rng).decode("utf-8", "replace"))
            loaded += 1
        except BaselineError:
            refused += 1
    assert loaded > 10 and refused > 100


def test_a_replaced_number_gives_the_key_and_line() -> None:
    text = GOLDEN.decode().replace("loops = 65536", "loops = 0", 1)
    with pytest.raises(BaselineError) as info:
        storage.loads(text, source="b.toml")
    assert str(info.value) == (
        'b.toml, line 96: benchmarks."tests/test_x.py::test_y[a-\\"b\\"-ü]".runs[0].loops: '
        "expected an integer from 1 to 1e+12, got 0"
    )
