"""Unit tests of the paired (same-job A/B) statistics in pytest_perfguard.judge.paired."""

from __future__ import annotations

import math
import random
import statistics
import subprocess
import sys

import pytest

from pytest_perfguard.judge.paired import (
    PairedEstimate,
    detectable_change,
    paired_estimate,
    paired_time_metric,
    settled,
)
from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.model import Caveat, CaveatKind, Verdict
from pytest_perfguard.report.rules import rule_text


def ratios(rng: random.Random, n: int, ratio: float, sd: float) -> list[float]:
    """n head/base ratios: lognormal noise of log-sd `sd` around `ratio`."""
    return [ratio * math.exp(rng.gauss(0.0, sd)) for _ in range(n)]


def walsh(values: list[float]) -> list[float]:
    logs = [math.log(v) for v in values]
    n = len(logs)
    return sorted((logs[i] + logs[j]) / 2 for i in range(n) for j in range(i, n))


def test_the_estimate_recovers_a_known_shift() -> None:
    est = paired_estimate(ratios(random.Random(1), 60, 1.05, 0.02))
    assert est.n == 60
    assert est.change == pytest.approx(0.05, abs=0.01)
    assert est.interval[0] < est.change < est.interval[1]
    assert est.p < 1e-6
    assert est.spread == pytest.approx(0.02, rel=0.3)


@pytest.mark.parametrize("n", [20, 333])
def test_estimate_and_interval_are_the_walsh_order_statistics(n: int) -> None:
    # Ties included (rounded ratios): the selection must agree with the brute-force sort.
    rng = random.Random(n)
    data = [round(r, 3) for r in ratios(rng, n, 1.01, 0.01)]
    w = walsh(data)
    est = paired_estimate(data)
    assert math.log1p(est.change) == pytest.approx(statistics.median(w), abs=1e-12)
    if n == 20:  # signed-rank table, n = 20, two-sided 0.05: T <= 52, so W(53) and W(N-52)
        lo, hi = w[52], w[len(w) - 53]
        assert est.interval == pytest.approx((math.expm1(lo), math.expm1(hi)), abs=1e-12)


@pytest.mark.parametrize("n", [20, 60])  # exact ranks, normal-approximation ranks
def test_the_interval_covers_the_true_shift_about_95_percent_of_the_time(n: int) -> None:
    rng = random.Random(7 + n)
    truth = 0.03
    covered = 0
    for _ in range(400):
        lo, hi = paired_estimate(ratios(rng, n, 1 + truth, 0.05)).interval
        covered += lo <= truth <= hi
    assert 0.90 <= covered / 400 <= 0.99


def test_p_is_uniform_ish_under_no_change() -> None:
    rng = random.Random(11)
    ps = [paired_estimate(ratios(rng, 20, 1.0, 0.03)).p for _ in range(400)]
    assert 0.02 <= sum(p < 0.05 for p in ps) / 400 <= 0.09
    assert 0.40 <= sum(p < 0.5 for p in ps) / 400 <= 0.60


def test_too_few_pairs_or_all_zero_log_ratios_give_p_one_and_an_open_interval() -> None:
    one = paired_estimate([1.2])
    assert (one.n, one.p, one.spread) == (1, 1.0, 0.0)
    assert one.change == pytest.approx(0.2)
    assert one.interval == (-1.0, math.inf)  # 5 pairs cannot reach 95% either
    assert paired_estimate([1.1, 1.2, 1.3, 1.4, 1.5]).interval == (-1.0, math.inf)
    same = paired_estimate([1.0] * 12)
    assert (same.change, same.p, same.interval) == (0.0, 1.0, (0.0, 0.0))


@pytest.mark.parametrize("bad", [[], [0.0], [1.0, -1.0], [math.inf], [math.nan, 1.0]])
def test_ratios_must_be_finite_and_positive(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="finite positive"):
        paired_estimate(bad)
    if bad:
        with pytest.raises(ValueError):
            settled(bad * 10, 0.03, 0.05)


def test_detectable_change_follows_the_power_formula() -> None:
    est = PairedEstimate(40, 0.0, (0.0, 0.0), 1.0, 0.02)
    z = statistics.NormalDist().inv_cdf(0.975) + statistics.NormalDist().inv_cdf(0.8)
    expected = math.expm1(z * math.sqrt(math.pi / 3) * 0.02 / math.sqrt(40))
    assert detectable_change(est, 0.05) == pytest.approx(expected)
    assert detectable_change(est, 0.001) > detectable_change(est, 0.05)
    # 10 pairs: the smallest signed-rank p is 2/2^10 ~ 0.002, so level 0.05/31 is out of reach.
    assert detectable_change(PairedEstimate(10, 0.0, (0.0, 0.0), 1.0, 0.02), 0.05 / 31) == math.inf


def test_settled_waits_for_min_pairs_and_while_the_interval_straddles() -> None:
    rng = random.Random(3)
    clear = ratios(rng, 30, 1.20, 0.01)
    assert not settled(clear[:9], 0.03, 0.05)
    assert settled(clear[:10], 0.03, 0.05)
    assert settled(clear, 0.03, 0.05, min_pairs=30)
    # Around +3% with noise: can be either side of the bar.
    assert not settled(ratios(rng, 30, 1.03, 0.03), 0.03, 0.05)
    # Around -3%: straddles the improvement bar.
    assert not settled(ratios(rng, 30, 0.97, 0.03), 0.03, 0.05)


def test_settled_for_clear_no_change_and_clear_improvement() -> None:
    rng = random.Random(4)
    assert settled(ratios(rng, 20, 1.0, 0.002), 0.03, 0.05)
    assert settled(ratios(rng, 20, 0.80, 0.01), 0.03, 0.05)
    # A corrected level too small for 10 pairs to reach never settles them.
    assert not settled(ratios(rng, 10, 1.0, 0.002), 0.03, 0.05 / 31)


def test_settled_beyond_200_pairs_uses_the_cheap_interval() -> None:
    rng = random.Random(5)
    assert settled(ratios(rng, 500, 1.0, 0.05), 0.03, 0.001)
    assert settled(ratios(rng, 500, 1.10, 0.05), 0.03, 0.001)
    assert not settled(ratios(rng, 500, 1.03, 0.05), 0.03, 0.001)


def test_importing_the_module_imports_no_scipy() -> None:
    code = "import sys, pytest_perfguard.judge.paired; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def estimate(change: float, n: int = 40, spread: float = 0.02) -> PairedEstimate:
    return PairedEstimate(n, change, (change - 0.01, change + 0.01), 0.0001, spread)


def test_a_significant_change_beyond_the_minimum_effect_regresses() -> None:
    est = estimate(0.061)
    m = paired_time_metric(1000.0, 1061.0, est, 0.0004, 31, "Bonferroni", Policy(), 0.03, 0.0, "v1")
    assert (m.metric, m.verdict, m.advisory) == ("time", Verdict.REGRESSED, False)
    assert (m.baseline, m.current, m.change, m.interval, m.p_value) == (
        1000.0, 1061.0, 0.061, est.interval, 0.0004,
    )  # fmt: skip
    detectable = max(0.03, detectable_change(est, 0.05 / 31))
    assert m.detectable == detectable
    assert rule_text(m) == (
        "Slower by 6.1%, more than the difference between two processes of the same code "
        "explains. time regressed +6.1% (paired rounds with v1 in this run: 40 pairs, "
        "head/base per-op ratio, Hodges-Lehmann estimate; fails beyond the 3.0% minimum effect "
        "when Bonferroni-adjusted Wilcoxon p < 0.05 over 31 time comparisons; here p = 0.0004); "
        f"smallest detectable {detectable * 100:+.1f}%"
    )


def test_significant_but_below_the_minimum_effect_is_inconclusive() -> None:
    m = paired_time_metric(
        1000.0, 1020.0, estimate(0.02), 1e-6, 31, "Holm", Policy(), 0.03, 0.0, "r"
    )
    assert m.verdict is Verdict.INCONCLUSIVE  # [+1%, +3%] is clear of zero
    assert rule_text(m).startswith(
        "2.0% slower, but not clearly enough to tell from the difference between two processes "
        "of the same code (it detects "
    )
    assert "). time inconclusive +2.0% (" in rule_text(m)
    within = PairedEstimate(40, 0.005, (-0.005, 0.015), 0.3, 0.02)
    m = paired_time_metric(1000.0, 1005.0, within, 1.0, 31, "Holm", Policy(), 0.03, 0.0, "r")
    assert m.verdict is Verdict.UNCHANGED


def test_the_bias_floor_raises_the_bar() -> None:
    m = paired_time_metric(
        1000.0, 1040.0, estimate(0.04), 1e-6, 3, "Holm", Policy(), 0.03, 0.05, "r"
    )
    assert m.verdict is Verdict.INCONCLUSIVE
    assert m.detectable is not None and m.detectable >= 0.05
    assert (
        "fails beyond 5.0% (the A/A process bias floor, over the 3.0% minimum effect)"
        in rule_text(m)
    )


def test_improved_and_not_significant() -> None:
    improved = paired_time_metric(
        1000.0, 900.0, estimate(-0.1), 1e-4, 5, "Holm", Policy(), 0.03, 0.0, "r"
    )
    assert improved.verdict is Verdict.IMPROVED
    assert rule_text(improved).startswith(
        "Faster by 10.0%, more than the difference between two processes of the same code "
        "explains. time improved -10.0% ("
    )
    for p_adj in (0.2, None):
        m = paired_time_metric(
            1000.0, 1200.0, estimate(0.2), p_adj, 5, "Holm", Policy(), 0.03, 0.0, "r"
        )
        assert m.verdict is Verdict.INCONCLUSIVE  # [+19%, +21%]: clear of zero, not called
    assert "here no p-value" in rule_text(m)


def test_warn_only_and_caveats_make_the_verdict_advisory() -> None:
    est = estimate(0.2)
    args = (1000.0, 1200.0, est, 1e-4, 5, "Holm")
    warn = paired_time_metric(*args, Policy(warn_only=True), 0.03, 0.0, "r")
    assert warn.verdict is Verdict.REGRESSED and warn.advisory
    caveats = (Caveat(CaveatKind.BUSY, {"share": 0.6}),)
    busy = paired_time_metric(*args, Policy(), 0.03, 0.0, "r", caveats)
    said = "other processes took 60% of the machine while it was timed"
    assert busy.advisory and rule_text(busy).endswith(f"; {said}: advisory")
    strict = paired_time_metric(*args, Policy(strict=True), 0.03, 0.0, "r", caveats)
    assert not strict.advisory and rule_text(strict).endswith(f"; {said}: counts under strict")


@pytest.mark.parametrize("spread", [0.0, 0.001, 0.5])
@pytest.mark.parametrize("n", [1, 12, 2000])
def test_detectable_is_never_below_the_minimum_effect(spread: float, n: int) -> None:
    m = paired_time_metric(
        1.0, 1.0, estimate(0.0, n, spread), 0.5, 7, "Holm", Policy(), 0.03, 0.0, "r"
    )
    assert m.detectable is not None and m.detectable >= 0.03


def test_process_variance_widens_the_interval_and_the_p_value() -> None:
    from pytest_perfguard.judge.paired import with_process_variance

    rng = random.Random(7)
    ratios = [1.02 * math.exp(rng.gauss(0, 0.002)) for _ in range(200)]
    alone = paired_estimate(ratios)
    both = with_process_variance(alone, 0.02)
    assert alone.p < 1e-6  # 200 tight pairs: +2% is certain within these two processes...
    assert both.p > 0.3  # ...but two processes of identical code differ by ~2% too
    assert both.interval[0] < 0 < both.interval[1]
    assert both.change == alone.change
    assert detectable_change(both, 0.05) > 0.05 > detectable_change(alone, 0.05)
    assert with_process_variance(alone, 0.0) == alone


def test_more_pairs_stop_helping_once_the_process_variation_dominates() -> None:
    rng = random.Random(3)
    ratios = [1.02 * math.exp(rng.gauss(0, 0.01)) for _ in range(40)]
    # Straddles +3% with the process sd in, but the pairs' own error is already far below it.
    assert settled(ratios, 0.03, 0.05, process_sd=0.05)
    assert not settled(ratios[:5], 0.03, 0.05, process_sd=0.05)  # under min_pairs
