"""Unit tests of the regression verdict, with constructed baselines and measurements."""

from __future__ import annotations

import dataclasses
import math
import random

import pytest

from pytest_perfguard.judge.policy import Observation, Policy
from pytest_perfguard.judge.timeverdict import fit_time_prior
from pytest_perfguard.judge.verdict import compare_all, compare_baselines, compare_benchmark
from pytest_perfguard.model import (
    Baseline,
    BaselineEntry,
    BenchResult,
    BenchSettings,
    Comparison,
    Fingerprint,
    Measurement,
    MetricComparison,
    RunSummary,
    Verdict,
)
from pytest_perfguard.report.rules import rule_text

MiB = 1024 * 1024
FP = Fingerprint("CPython", "3.11.7", "Linux", "x86_64", "Test CPU A", 2, "0.1", "test-machine")
STEADY = (100.0, 101.0, 99.0, 100.5, 99.5)  # run medians, ~0.8% run-to-run sd
WILD = (100.0, 150.0, 70.0, 125.0, 80.0)  # ~40% run-to-run sd


def rounds(median: float, n: int = 20) -> tuple[float, ...]:
    """Per-round values tightly around a median (0.2% steps), so within-run noise is small."""
    return tuple(median * (1 + 0.002 * (i % 5 - 2)) for i in range(n))


def entry(
    medians: tuple[float, ...], *, refs: tuple[float, ...] | None = None, nodeid: str = "t::a",
    python: str = "3.11", allocs: float | None = 2.0, peak: int | None = None,
) -> BaselineEntry:  # fmt: skip
    refs = refs or tuple(m / 50 for m in medians)
    runs = tuple(
        RunSummary(
            "2026-01-01T00:00:00Z",
            m,
            r,
            50.0,
            20,
            100,
            allocs,
            64.0,
            peak,
            rounds(m) if i == len(medians) - 1 else None,
            rounds(r) if i == len(medians) - 1 else None,
        )
        for i, (m, r) in enumerate(zip(medians, refs, strict=True))
    )
    return BaselineEntry(nodeid, None, runs, python, "test-machine")


def measured(
    median: float, *, ref: float | None = None, allocs: float | None = 2.0, peak: int | None = None
) -> Measurement:
    ref = median / 50 if ref is None else ref
    return Measurement(median, 0.0, 20, 100, rounds(median), rounds(ref), 50.0, 0.0,
                       allocs_per_op=allocs, bytes_per_op=64.0, peak_memory_bytes=peak)  # fmt: skip


def result(nodeid: str, m: Measurement, min_effect: float = 0.10) -> BenchResult:
    return BenchResult(nodeid, None, m, BenchSettings(min_effect=min_effect))


def one(
    e: BaselineEntry, m: Measurement, policy: Policy | None = None, *, current: Fingerprint = FP,
    base_fp: Fingerprint = FP, min_effect: float = 0.10,
) -> Comparison:  # fmt: skip
    """Compare one benchmark through compare_all; returns its Comparison."""
    baseline = Baseline(base_fp, {e.nodeid: e})
    (c,) = compare_all(baseline, [result(e.nodeid, m, min_effect)], current, policy or Policy())
    return c


def metric(c: Comparison, name: str) -> MetricComparison:
    (m,) = [m for m in c.metrics if m.metric == name]
    return m


def test_unchanged_code_is_unchanged_with_every_field_filled() -> None:
    c = one(entry(STEADY), measured(100.2))
    t = metric(c, "time")
    assert c.verdict is Verdict.UNCHANGED and not c.failing
    assert t.baseline == pytest.approx(100.0, rel=0.01)
    assert t.current == 100.2
    assert t.interval is not None and t.interval[0] < t.change < t.interval[1]
    assert t.p_value is not None and t.p_value > 0.5
    # One benchmark, 5 runs, the 5% reference-corrected drift floor: about +21%.
    assert t.detectable is not None and 0.10 <= t.detectable < 0.25
    assert metric(c, "allocs").verdict is Verdict.UNCHANGED


def test_one_more_allocation_per_op_fails() -> None:
    c = one(entry(STEADY, allocs=2.0), measured(100.0, allocs=3.0))
    a = metric(c, "allocs")
    assert c.verdict is Verdict.REGRESSED
    assert c.failing == (a,)
    assert (a.baseline, a.current, a.change) == (2.0, 3.0, 0.5)
    assert "allocs" in rule_text(a) and "2 -> 3" in rule_text(a)


@pytest.mark.parametrize("count", [2.0, 800.0, 1800.0, 117_730.0, 999_999.0])
def test_one_more_allocation_fails_whatever_the_count(count: float) -> None:
    assert not one(entry(STEADY, allocs=count), measured(100.0, allocs=count)).failing
    c = one(entry(STEADY, allocs=count), measured(100.0, allocs=count + 1))
    a = metric(c, "allocs")
    assert c.failing == (a,)
    assert f"{count:.0f} -> {count + 1:.0f} allocs/op (+1); all 5 saved runs counted" in rule_text(
        a
    )
    assert "counts are exact, so any rise counts as real" in rule_text(a)


def test_a_fraction_of_an_allocation_per_op_fails_too() -> None:
    # One extra allocation every other call: half an allocation per op is real; so are two
    # more in a window of 100 calls. One more in the whole window may be a one-time allocation.
    assert one(entry(STEADY, allocs=2.0), measured(100.0, allocs=2.5)).failing
    assert one(entry(STEADY, allocs=0.0), measured(100.0, allocs=0.02)).failing
    assert not one(entry(STEADY, allocs=0.0), measured(100.0, allocs=0.01)).failing


def test_one_more_byte_per_op_fails() -> None:
    e = entry(STEADY)  # 64 B/op in every saved run
    now = dataclasses.replace(measured(100.0), bytes_per_op=65.0)
    b = metric(one(e, now), "bytes")
    assert b.verdict is Verdict.REGRESSED
    assert "allocated bytes regressed: 64 -> 65 B/op (+1)" in rule_text(b)


def test_counts_rounded_by_the_file_are_the_same_count() -> None:
    # The file keeps 7 significant digits: 92,337,538 B/op is saved as 92,337,540.
    runs = tuple(dataclasses.replace(r, bytes_per_op=92337540.0) for r in entry(STEADY).runs)
    saved = dataclasses.replace(entry(STEADY), runs=runs)
    for now_bytes in (92337538.0, 92337544.0):
        now = dataclasses.replace(measured(100.0), bytes_per_op=now_bytes)
        b = metric(one(saved, now), "bytes")
        assert b.verdict is Verdict.UNCHANGED, rule_text(b)
    over = dataclasses.replace(measured(100.0), bytes_per_op=92337540.0 + 200)
    assert metric(one(saved, over), "bytes").verdict is Verdict.REGRESSED


def test_alloc_tolerance_comes_from_each_benchmarks_settings() -> None:
    e = entry(STEADY, allocs=1000.0)
    assert one(e, measured(100.0, allocs=1001.0)).failing
    settings = BenchSettings(alloc_tolerance=0.05)
    within = BenchResult(e.nodeid, None, measured(100.0, allocs=1050.0), settings)
    beyond = BenchResult(e.nodeid, None, measured(100.0, allocs=1051.0), settings)
    baseline = Baseline(FP, {e.nodeid: e})
    (c,) = compare_all(baseline, [within], FP, Policy())
    assert not c.failing
    assert "beyond the alloc_tolerance 5% (above 1050 allocs/op) counts as real" in (
        rule_text(metric(c, "allocs"))
    )
    (c,) = compare_all(baseline, [beyond], FP, Policy())
    assert [m.metric for m in c.failing] == ["allocs"]
    # The plugin's per-test path takes it as a keyword; the policy's is the default.
    now = Observation.from_measurement(measured(100.0, allocs=1050.0))
    assert compare_benchmark(e, now, Policy()).failing
    assert not compare_benchmark(e, now, Policy(), alloc_tolerance=0.05).failing
    assert not compare_benchmark(e, now, Policy(alloc_tolerance=0.05)).failing


def test_compare_baselines_uses_the_policys_alloc_tolerance() -> None:
    old = Baseline(FP, {"t::a": entry(STEADY, allocs=100.0)})
    new = Baseline(FP, {"t::a": entry((*STEADY[1:], 100.0), allocs=104.0)})
    assert compare_baselines(old, new, Policy())[0].failing
    assert not compare_baselines(old, new, Policy(alloc_tolerance=0.05))[0].failing


def test_fewer_allocations_are_improved() -> None:
    c = one(entry(STEADY, allocs=3.0), measured(100.0, allocs=2.0))
    assert metric(c, "allocs").verdict is Verdict.IMPROVED and not c.failing


def test_quarter_slower_with_steady_runs_fails() -> None:
    c = one(entry(STEADY), measured(125.0))
    t = metric(c, "time")
    assert c.verdict is Verdict.REGRESSED and c.failing == (t,)
    assert t.change == pytest.approx(0.25, abs=0.01)
    assert t.interval is not None and t.interval[0] > 0
    assert "5 saved runs" in rule_text(t) and "minimum effect" in rule_text(t)


def test_quarter_slower_with_wild_runs_does_not_fail() -> None:
    c = one(entry(WILD), measured(125.0))
    t = metric(c, "time")
    assert t.verdict is Verdict.UNCHANGED and not c.failing
    assert t.detectable is not None and t.detectable > 0.5


def test_small_but_significant_change_below_min_effect_is_inconclusive() -> None:
    e = entry((100.0, 100.2, 99.8, 100.1, 99.9))
    no_floor = Policy(drift_floor=(0.0, 0.0))  # the min_effect rule alone
    c = one(e, measured(108.0), no_floor)
    t = metric(c, "time")
    assert t.p_value is not None and t.p_value < 0.001
    assert t.interval is not None and t.interval[0] > 0
    assert t.verdict is Verdict.INCONCLUSIVE and c.verdict is Verdict.INCONCLUSIVE
    assert not c.failing and not t.advisory
    faster = one(e, measured(92.0), no_floor)
    assert faster.verdict is Verdict.INCONCLUSIVE and not faster.failing
    assert one(e, measured(100.1), no_floor).verdict is Verdict.UNCHANGED
    assert one(e, measured(115.0), no_floor).failing
    assert not one(e, measured(115.0), no_floor, min_effect=0.2).failing  # settings count


def test_faster_is_improved() -> None:
    c = one(entry(STEADY), measured(70.0))
    assert c.verdict is Verdict.IMPROVED and not c.failing


def test_reference_ratio_is_used_where_it_cancels_drift() -> None:
    refs = (2.0, 2.01, 1.99, 2.0, 2.005)
    # Raw time swung 70..150 with the machine; the ratio stayed put: +60% raw is not a change.
    assert not one(entry(WILD, refs=refs), measured(160.0, ref=2.0)).failing
    # The ratio rose 30% while raw time looks ordinary: the machine was faster, the code slower.
    t = metric(one(entry(WILD, refs=refs), measured(100.0, ref=2.6)), "time")
    assert t.verdict is Verdict.REGRESSED and "reference-corrected time" in rule_text(t)
    assert t.change == pytest.approx(0.3, abs=0.01)
    assert t.current == 100.0 and t.baseline == pytest.approx(100 / 1.3, rel=0.01)


def test_detectable_size_is_the_most_sensitive_scales_whichever_won() -> None:
    refs = (2.0, 2.01, 1.99, 2.0, 2.005)
    # Unchanged code; raw time sits right on its (wild) mean, so raw wins the p-value race,
    # but a real slowdown would show on the steady reference-corrected scale first.
    level = math.exp(sum(math.log(m) for m in WILD) / len(WILD))
    t = metric(one(entry(WILD, refs=refs), measured(level, ref=2.2)), "time")
    assert t.verdict is Verdict.UNCHANGED and "raw time" in rule_text(t)
    ref_only = metric(one(entry(WILD, refs=refs), measured(level * 1.1, ref=2.0)), "time")
    assert "reference-corrected time" in rule_text(ref_only)
    assert t.detectable == pytest.approx(ref_only.detectable)
    assert t.detectable is not None and t.detectable < 0.5


def test_raw_time_is_used_where_the_reference_adds_noise() -> None:
    refs = (2.0, 3.0, 1.4, 2.5, 1.6)  # C-heavy code: the ratio swings, raw time is steady
    no_floor = Policy(drift_floor=(0.0, 0.0))
    t = metric(one(entry(STEADY, refs=refs), measured(125.0, ref=2.0), no_floor), "time")
    assert t.verdict is Verdict.REGRESSED and "raw time" in rule_text(t)


def test_saved_runs_that_agreed_by_chance_do_not_fail_a_shift_between_sessions() -> None:
    # Five saves minutes apart agreed within 1%; the next session runs C-heavy code 30% slower
    # because the host is, which the reference cannot see. The raw drift floor (20%) holds.
    refs = (2.0, 3.0, 1.4, 2.5, 1.6)
    shifted = measured(130.0, ref=2.0)
    assert not one(entry(STEADY, refs=refs), shifted).failing
    assert one(entry(STEADY, refs=refs), shifted, Policy(drift_floor=(0.0, 0.0))).failing


def test_holm_corrects_across_the_session() -> None:
    policy = Policy()
    steady = entry((100.0, 106.0, 94.0, 103.0, 97.0), nodeid="t::x")
    others = {f"t::{i}": dataclasses.replace(steady, nodeid=f"t::{i}") for i in range(199)}
    baseline = Baseline(FP, {**others, "t::x": steady})
    prior = fit_time_prior(baseline.entries.values())
    now = Observation.from_measurement(measured(120.0))
    alone = compare_benchmark(steady, now, policy, prior=prior)
    raw_p = metric(alone, "time").p_value
    assert alone.failing and raw_p is not None and 0.05 / 200 < raw_p < 0.05
    results = [result(n, measured(100.0)) for n in others] + [result("t::x", measured(120.0))]
    comps = compare_all(baseline, results, FP, policy)
    suite = metric(comps[-1], "time")
    assert 200 * raw_p < 1
    assert suite.p_value == pytest.approx(200 * raw_p)  # Holm's first step, same prior
    # Clear of zero at 95%, not after Holm: a change the suite cannot call.
    assert suite.verdict is Verdict.INCONCLUSIVE and not any(c.failing for c in comps)
    assert suite.interval is not None and suite.interval[0] > 0
    assert "over 200 time comparisons" in rule_text(suite)
    assert (suite.detectable or 0) > (metric(alone, "time").detectable or 1)


def quiet_suite(n: int, sd: float, seed: int) -> dict[str, BaselineEntry]:
    """n benchmarks whose 5 saved runs vary with log sd `sd` (sample variances scatter)."""
    rng = random.Random(seed)
    return {
        f"t::q{i}": entry(
            tuple(100 * math.exp(rng.gauss(0, sd)) for _ in range(5)), nodeid=f"t::q{i}"
        )
        for i in range(n)
    }


def test_a_noisy_benchmark_is_not_failed_by_a_quiet_suite() -> None:
    wild = entry(WILD, nodeid="t::wild")  # ~33% run-to-run sd among 300 at 2%
    baseline = Baseline(FP, {**quiet_suite(300, 0.02, 1), "t::wild": wild})
    prior = fit_time_prior(baseline.entries.values())
    assert prior.get("raw").d0 > 4  # the suite alone would moderate strongly
    # +98%: within its own drift (WILD spans 70..150), 6 sd of the suite's moderated sd
    now = Observation.from_measurement(measured(200.0))
    c = compare_benchmark(wild, now, Policy(), family=301, prior=prior)
    t = metric(c, "time")
    assert not c.failing
    assert "that sd from its own runs only: they varied more than the suite's" in rule_text(t)
    assert t.detectable is not None and t.detectable > 1.0
    results = [result(n, measured(100.0)) for n in baseline.entries if n != "t::wild"]
    comps = compare_all(baseline, [*results, result("t::wild", measured(200.0))], FP, Policy())
    assert not any(c.failing for c in comps)


def test_moderation_detects_a_quarter_slowdown_the_own_runs_cannot() -> None:
    # Five runs at ~3.5% sd alone give t on 4 df: Bonferroni over 100 needs t ~ 9 (+45%).
    target = entry((100.0, 104.0, 96.0, 103.0, 97.5), nodeid="t::x")
    suite = {**quiet_suite(99, 0.035, 2), "t::x": target}
    prior = fit_time_prior(suite.values())
    now = Observation.from_measurement(measured(125.0))
    alone = compare_benchmark(target, now, Policy(), family=100)
    pooled = compare_benchmark(target, now, Policy(), family=100, prior=prior)
    t_alone, t_pooled = metric(alone, "time"), metric(pooled, "time")
    assert t_alone.verdict is Verdict.INCONCLUSIVE and (t_alone.detectable or 0) > 0.3
    assert t_pooled.verdict is Verdict.REGRESSED and (t_pooled.detectable or 1) < 0.25
    text = rule_text(t_pooled)
    assert "that sd estimated together with the suite's 100 benchmarks, since a few" in text
    assert "prior df" not in text and " df)" not in text  # was "(prior df 1.64, t on inf df)"
    assert t_pooled.decision.numbers["prior_d0"] == prior.get("raw").d0  # kept for scripts
    # The same suite through compare_all (Holm) fits the same prior from the baseline.
    results = [result(n, measured(100.0)) for n in suite if n != "t::x"]
    comps = compare_all(
        Baseline(FP, suite), [*results, result("t::x", measured(125.0))], FP, Policy()
    )
    assert [c.nodeid for c in comps if c.failing] == ["t::x"]


def test_few_saved_runs_fail_only_large_effects_and_say_so() -> None:
    e = entry((100.0, 101.0))
    t = metric(one(e, measured(300.0)), "time")  # +200%: could still be drift
    assert t.verdict is Verdict.UNCHANGED
    assert "only 2 saved run(s), 3 needed" in rule_text(t)
    assert t.detectable is not None and t.detectable > 1.0
    assert one(e, measured(1000.0)).failing  # 10x: no drift we measured does that


def test_few_runs_need_both_scales_to_agree() -> None:
    # 10x raw, but the machine was 10x slower too: the reference ratio did not move.
    e = entry((100.0,), refs=(2.0,))
    assert not one(e, measured(1000.0, ref=2.0)).failing


def test_other_cpu_makes_time_advisory_unless_strict() -> None:
    other = dataclasses.replace(FP, cpu_model="Test CPU B")
    c = one(entry(STEADY), measured(125.0), current=other)
    t = metric(c, "time")
    assert t.verdict is Verdict.REGRESSED and t.advisory and not c.failing
    assert "Test CPU B" in rule_text(t) and "advisory" in rule_text(t)
    strict = one(entry(STEADY), measured(125.0), Policy(strict=True), current=other)
    assert strict.failing == (metric(strict, "time"),)


def test_a_machine_busy_with_other_processes_makes_time_advisory_unless_strict() -> None:
    busy = dataclasses.replace(measured(125.0), others_cpu=0.6)
    t = metric(one(entry(STEADY), busy), "time")
    assert t.verdict is Verdict.REGRESSED and t.advisory
    assert "other processes took 60% of the machine while it was timed: advisory" in rule_text(t)
    assert one(entry(STEADY), busy, Policy(strict=True)).failing
    quiet = dataclasses.replace(measured(125.0), others_cpu=0.2)  # background daemons
    assert one(entry(STEADY), quiet).failing
    # Counts do not depend on the machine's load: they still gate.
    assert one(entry(STEADY), dataclasses.replace(busy, median_ns=100.0, allocs_per_op=3.0)).failing


def test_other_python_minor_makes_counts_advisory_even_when_strict() -> None:
    py312 = dataclasses.replace(FP, python_version="3.12.1")
    c = one(entry(STEADY), measured(100.0, allocs=3.0), Policy(strict=True), current=py312)
    a = metric(c, "allocs")
    assert a.verdict is Verdict.REGRESSED and a.advisory and not c.failing
    assert "3.11" in rule_text(a) and "3.12" in rule_text(a)
    patch = dataclasses.replace(FP, python_version="3.11.9")  # micro releases compare
    assert one(entry(STEADY), measured(100.0, allocs=3.0), current=patch).failing


def test_a_tracer_makes_every_verdict_advisory_time_counting_only_when_strict() -> None:
    traced = dataclasses.replace(measured(150.0, allocs=3.0), tracers=("sys.settrace",))
    c = one(entry(STEADY), traced)
    assert c.verdict is Verdict.REGRESSED and not c.failing
    for name in ("time", "allocs"):
        m = metric(c, name)
        assert (
            m.advisory
            and "a tracer/profiler was active while measuring (sys.settrace)" in rule_text(m)
        )
    strict = one(entry(STEADY), traced, Policy(strict=True))
    assert [m.metric for m in strict.failing] == ["time"]  # counts stay advisory


def test_warn_only_makes_everything_advisory() -> None:
    c = one(entry(STEADY), measured(150.0, allocs=5.0), Policy(warn_only=True))
    assert c.verdict is Verdict.REGRESSED and not c.failing
    assert all(m.advisory for m in c.metrics)


def test_peak_memory_tolerance_is_the_larger_of_4_mib_and_10_percent() -> None:
    def mem(base: int, now: int) -> Verdict:
        return metric(one(entry(STEADY, peak=base), measured(100.0, peak=now)), "memory").verdict

    assert mem(100 * MiB, 109 * MiB) is Verdict.UNCHANGED
    assert mem(100 * MiB, 111 * MiB) is Verdict.REGRESSED
    assert mem(MiB // 2, 4 * MiB) is Verdict.UNCHANGED  # +3.5 MiB, though +700%
    assert mem(MiB // 2, 5 * MiB) is Verdict.REGRESSED


def test_new_and_missing() -> None:
    baseline = Baseline(FP, {"t::a": entry(STEADY), "t::gone": entry(STEADY, nodeid="t::gone")})
    results = [result("t::a", measured(100.0)), result("t::new", measured(5.0))]
    partial = compare_all(baseline, results, FP, Policy())
    assert [(c.nodeid, c.verdict) for c in partial] == [
        ("t::a", Verdict.UNCHANGED),
        ("t::new", Verdict.NEW),
    ]
    full = compare_all(baseline, results, FP, Policy(), suite_complete=True)
    assert [(c.nodeid, c.verdict) for c in full][-1] == ("t::gone", Verdict.MISSING)
    assert all(c.verdict is Verdict.NEW for c in compare_all(None, results, FP, Policy()))


def test_compare_baselines_offline() -> None:
    old = Baseline(FP, {"t::a": entry(STEADY)})
    newer = entry((*STEADY[1:], 100.0), allocs=3.0)
    comps = compare_baselines(old, Baseline(FP, {"t::a": newer}), Policy())
    assert [m.metric for m in comps[0].failing] == ["allocs"]


def test_baseline_without_environment_is_advisory() -> None:
    e = entry(STEADY, allocs=2.0)
    now = [result(e.nodeid, measured(125.0, allocs=3.0))]
    (c,) = compare_all(Baseline(None, {e.nodeid: e}), now, FP, Policy())
    assert c.verdict is Verdict.REGRESSED and not c.failing
    assert all(m.advisory for m in c.metrics)
    assert "records no environment" in rule_text(metric(c, "time"))


def test_counts_that_varied_between_saved_runs_get_that_much_slack() -> None:
    # Thread-pool code: the counted thread's allocations depend on scheduling.
    runs = entry(STEADY)
    varied = dataclasses.replace(
        runs,
        runs=tuple(
            dataclasses.replace(r, allocs_per_op=a)
            for r, a in zip(runs.runs, (20.0, 24.0, 22.0, 21.0, 22.0), strict=True)
        ),
    )
    # Seen 20 to 24: a rise within that range above the top is not counted, beyond it is.
    a = metric(one(varied, measured(100.0, allocs=28.0)), "allocs")
    assert a.verdict is Verdict.UNCHANGED
    assert (
        "the saved runs vary by 4 allocs/op (20 to 24; threads?), so changes within that range "
        "are not counted: above 28 allocs/op counts as real"
    ) in rule_text(a)
    assert metric(one(varied, measured(100.0, allocs=29.0)), "allocs").verdict is (
        Verdict.REGRESSED
    )
    fewer = metric(one(varied, measured(100.0, allocs=15.0)), "allocs")
    assert fewer.verdict is Verdict.IMPROVED


def test_floor_is_taken_as_known_only_where_the_saved_runs_show_less_drift() -> None:
    # Among 52 benchmarks, +25% on a benchmark whose saved runs agree within 1% fails: they show
    # its drift is below the 5% reference-corrected floor, so the floor is tested as known.
    # Runs 4% apart are below the floor too, but five of them cannot show that the true drift
    # is: the t test keeps their 4 df, and +25% stays within what such a benchmark can drift.
    def decide(medians: tuple[float, ...]) -> MetricComparison:
        now = Observation.from_measurement(measured(125.0))
        c = compare_benchmark(entry(medians), now, Policy(), family=52)
        return metric(c, "time")

    steady, unsure = decide(STEADY), decide((100.0, 104.0, 96.0, 103.0, 97.0))
    assert steady.verdict is Verdict.REGRESSED
    assert "sd 5.0% (the drift floor, taken as known" in rule_text(steady)
    assert steady.detectable is not None and steady.detectable < 0.25
    assert unsure.verdict is Verdict.INCONCLUSIVE  # +25% is clear of zero, not of the drift
    assert "sd 5.0% (the drift floor: the saved runs varied less)" in rule_text(unsure)
    assert unsure.detectable is not None and unsure.detectable > 0.4


def test_a_noisier_suite_does_not_hide_a_quiet_benchmarks_own_evidence() -> None:
    # The suite's benchmarks vary 2-15% (a weak prior), so moderation pulls the quiet
    # benchmark's variance up toward them on few df; whether the floor is known is its own
    # runs' evidence (their upper bound), not that.
    target = entry(STEADY, nodeid="t::x")
    mixed = [quiet_suite(1, 0.02 + 0.13 * i / 50, i) for i in range(51)]
    suite = {f"t::m{i}": e for i, d in enumerate(mixed) for e in d.values()}
    suite["t::x"] = target
    prior = fit_time_prior(suite.values())
    assert prior.get("ref").d0 < 10
    now = Observation.from_measurement(measured(125.0))
    t = metric(compare_benchmark(target, now, Policy(), family=52, prior=prior), "time")
    assert t.verdict is Verdict.REGRESSED and "taken as known" in rule_text(t)


def test_a_single_benchmark_is_corrected_for_the_sessions_family() -> None:
    # The plugin decides each test alone, Bonferroni over the benchmarks it will compare.
    now = Observation.from_measurement(measured(113.0))
    alone = compare_benchmark(entry(STEADY), now, Policy(), baseline_env=FP, current_env=FP)
    among_many = compare_benchmark(
        entry(STEADY), now, Policy(), baseline_env=FP, current_env=FP, family=200
    )
    t_alone, t_many = metric(alone, "time"), metric(among_many, "time")
    assert t_alone.p_value is not None and t_many.p_value is not None
    assert t_many.p_value == pytest.approx(min(1.0, t_alone.p_value * 200))
    assert "Bonferroni-adjusted p < 0.05 over 200 time comparisons" in rule_text(t_many)
    assert t_many.detectable is not None and t_alone.detectable is not None
    assert t_many.detectable > t_alone.detectable


def test_peak_memory_that_varied_between_saved_runs_gets_that_much_slack() -> None:
    base = entry(STEADY, peak=10 * MiB)
    varied = dataclasses.replace(
        base,
        runs=tuple(
            dataclasses.replace(r, peak_memory_bytes=p * MiB)
            for r, p in zip(base.runs, (10, 14, 12, 11, 13), strict=True)
        ),
    )
    # Median 12 MiB; seen range 4 MiB, so up to 12 + 8 MiB is noise here.
    assert not one(varied, measured(100.0, peak=19 * MiB)).failing
    assert metric(one(varied, measured(100.0, peak=21 * MiB)), "memory").verdict is (
        Verdict.REGRESSED
    )
