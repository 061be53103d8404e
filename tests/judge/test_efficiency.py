"""Efficiency of a parallel sweep from injected per-round times: its estimate and interval,
and its verdict against saved runs (never real speed)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from pytest_perfguard.judge.efficiency import (
    efficiency_comparison,
    efficiency_rounds,
    estimate,
    saved_figures,
    sweep_estimates,
)
from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.model import Measurement, RunSummary, ThreadRounds, Verdict


def measured(one: list[float], many: list[float], threads: int = 2, **kw: object) -> Measurement:
    return Measurement(
        median_ns=sorted(many)[len(many) // 2],
        spread_ns=0.0,
        rounds=len(many),
        loops=1,
        samples_ns=tuple(many),
        ref_ratios=(),
        reference_ns=math.nan,
        gc_collections_per_op=0.0,
        threads=threads,
        sweep=(ThreadRounds(1, tuple(one)), ThreadRounds(threads, tuple(many))),
        **kw,  # type: ignore[arg-type]
    )


def wobble(level: float, n: int = 40, size: float = 0.02) -> list[float]:
    """n values around `level`, +-size, in a fixed order."""
    return [level * (1 + size * math.sin(i * 1.7)) for i in range(n)]


def test_rounds_are_one_threads_time_over_each_threads() -> None:
    one, many = ThreadRounds(1, (100.0, 200.0)), ThreadRounds(2, (200.0, 250.0))
    assert efficiency_rounds(one, many) == (0.5, 0.8)


def test_the_estimate_holds_the_rounds_and_its_interval_contains_it() -> None:
    e = estimate(wobble(0.5), 2)
    assert e.efficiency == pytest.approx(0.5, rel=0.01)
    assert e.interval[0] < e.efficiency < e.interval[1]
    assert e.interval[1] - e.interval[0] < 0.05
    assert e.speedup == pytest.approx(1.0, rel=0.01)
    assert e.rounds == 40


def test_a_measurement_gives_each_count_after_one() -> None:
    sweep = (
        ThreadRounds(1, (1000.0,) * 10),
        ThreadRounds(2, (1250.0,) * 10),
        ThreadRounds(4, (2000.0,) * 10),
    )
    m = replace(measured([1.0], [1.0]), threads=4, sweep=sweep)
    found = sweep_estimates(m)
    assert [(e.threads, round(e.efficiency, 3)) for e in found] == [(2, 0.8), (4, 0.5)]
    assert sweep_estimates(replace(m, sweep=())) == ()


def test_saved_figures_keep_threads_ops_and_each_counts_efficiency() -> None:
    m = measured(wobble(1000.0, 8), wobble(1250.0, 8))
    figures = saved_figures(m)
    assert figures["threads"] == 2 and figures["sweep"] == (1, 2)
    assert figures["ops_per_s"] == pytest.approx(2e9 / m.median_ns)
    assert figures["efficiency"][0] == 1.0
    assert figures["efficiency"][1] == pytest.approx(0.8, rel=0.02)
    assert len(figures["efficiency_rounds"]) == 8
    assert saved_figures(measured([1.0], [1.0], threads=None)) == {}  # type: ignore[arg-type]


def saved(efficiencies: list[float], sweep: tuple[int, ...] = (1, 2)) -> tuple[RunSummary, ...]:
    return tuple(
        RunSummary(
            timestamp=f"2026-01-0{i + 1}T00:00:00+00:00",
            median_ns=1000.0,
            ref_ratio=None,
            reference_ns=None,
            rounds=40,
            loops=1,
            threads=sweep[-1],
            sweep=sweep,
            efficiency=(1.0, e),
            efficiency_rounds=tuple(wobble(e)) if i == len(efficiencies) - 1 else None,
        )
        for i, e in enumerate(efficiencies)
    )


RUNS = [0.95, 0.94, 0.96, 0.95]


@pytest.mark.parametrize(
    ("level", "verdict"),
    [(0.95, Verdict.UNCHANGED), (0.5, Verdict.REGRESSED), (1.9, Verdict.IMPROVED)],
)
def test_efficiency_is_judged_as_the_time_t_n_over_t_1(level: float, verdict: Verdict) -> None:
    now = measured(wobble(1000.0), [1000.0 / level] * 40)
    m = efficiency_comparison(saved(RUNS), now, Policy(), min_effect=0.10)
    assert m is not None
    assert m.metric == "efficiency at 2 threads"
    assert m.verdict is verdict
    assert m.baseline == pytest.approx(0.95, rel=0.02)
    assert m.current == pytest.approx(level, rel=0.02)
    assert m.change == pytest.approx(level / m.baseline - 1, rel=0.02, abs=0.01)
    assert m.interval is not None and m.interval[0] < m.change < m.interval[1]
    assert not m.advisory


def test_a_machine_ten_times_slower_with_the_same_scaling_is_unchanged() -> None:
    now = measured(wobble(10_000.0), wobble(10_000.0 / 0.95))
    m = efficiency_comparison(saved(RUNS), now, Policy(), min_effect=0.10)
    assert m is not None and m.verdict is Verdict.UNCHANGED


def test_a_drop_within_min_effect_does_not_fail() -> None:
    now = measured(wobble(1000.0), [1000.0 / 0.90] * 40)  # -5%
    m = efficiency_comparison(saved(RUNS), now, Policy(), min_effect=0.10)
    assert m is not None and m.verdict is not Verdict.REGRESSED


def test_a_busy_machine_makes_it_advisory() -> None:
    now = measured(wobble(1000.0), [2000.0] * 40, others_cpu=0.6)
    m = efficiency_comparison(saved(RUNS), now, Policy(), min_effect=0.10)
    assert m is not None and m.verdict is Verdict.REGRESSED and m.advisory


def test_saved_runs_of_another_sweep_or_none_compare_nothing() -> None:
    now = measured(wobble(1000.0), [2000.0] * 40)
    assert efficiency_comparison(saved(RUNS, (1, 4)), now, Policy(), min_effect=0.1) is None
    plain = tuple(RunSummary("2026-01-01T00:00:00+00:00", 1.0, None, None, 1, 1) for _ in range(3))
    assert efficiency_comparison(plain, now, Policy(), min_effect=0.1) is None


def test_json_figures_leave_out_an_unbounded_interval() -> None:
    from pytest_perfguard.store.sweep import parallel_figures

    few = parallel_figures(measured([1000.0, 1000.0], [2000.0, 2000.0]))
    assert few["sweep"][1]["efficiency"] == 0.5
    assert few["sweep"][1]["efficiency_interval"] is None  # 2 rounds: no 95% interval
    many = parallel_figures(measured(wobble(1000.0), wobble(2000.0, size=0.05)))
    lo, hi = many["sweep"][1]["efficiency_interval"]
    assert lo < 0.5 < hi
