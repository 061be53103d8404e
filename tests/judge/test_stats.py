"""Unit tests of the pure numerics in pytest_perfguard.judge.stats."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from scipy import stats as sps  # type: ignore[import-untyped]

from pytest_perfguard.judge import stats


def test_holm_adjusts_step_down_in_input_order() -> None:
    # Sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, then 0.04*1 raised to 0.06 (monotone).
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_handles_empty() -> None:
    assert stats.holm([0.5, 0.9]) == [1.0, 1.0]
    assert stats.holm([]) == []


def test_holm_is_never_stricter_than_bonferroni() -> None:
    p = [0.001, 0.002, 0.02, 0.3]
    assert all(h <= b for h, b in zip(stats.holm(p), stats.bonferroni(p), strict=True))
    assert stats.bonferroni([0.01, 0.5]) == [0.02, 1.0]


def test_mann_whitney_separates_shifted_samples() -> None:
    base = [100.0 + i for i in range(20)]
    assert stats.mann_whitney_p(base, [x * 1.5 for x in base]) < 1e-6
    assert stats.mann_whitney_p(base, list(reversed(base))) > 0.9
    assert stats.mann_whitney_p([1.0], [2.0, 3.0]) == 1.0


def test_hodges_lehmann_estimates_relative_shift() -> None:
    rng = random.Random(3)
    base = [100.0 * math.exp(rng.gauss(0, 0.02)) for _ in range(40)]
    now = [x * 1.2 * math.exp(rng.gauss(0, 0.02)) for x in base]
    change, (low, high) = stats.hodges_lehmann(base, now)
    assert change == pytest.approx(0.2, abs=0.02)
    assert low < change < high
    assert low < 0.2 < high
    assert high - low < 0.05  # tight with 40 rounds of 2% noise


def test_level_spread_is_on_log_scale() -> None:
    spread = stats.level_spread([1.0, math.exp(0.2)])
    assert spread.mean == pytest.approx(0.1)
    assert spread.var == pytest.approx(0.02)
    assert (spread.n, spread.df) == (2, 1.0)
    assert stats.level_spread([5.0]).var == 0.0
    with pytest.raises(ValueError):
        stats.level_spread([1.0, 0.0])


def test_median_variance_shrinks_with_rounds() -> None:
    assert stats.median_variance([10.0] * 8) == 0.0
    few = stats.median_variance([10.0, 11.0, 9.0, 10.5] * 5)
    many = stats.median_variance([10.0, 11.0, 9.0, 10.5] * 20)
    assert many == pytest.approx(few / 4)


def test_predictive_test_uses_run_to_run_and_within_run_variance() -> None:
    spread = stats.LevelSpread(0.0, 0.01, 4.0, 5)
    t = stats.predictive_test(spread, 0.3)
    se = math.sqrt(0.01 / 5 + 0.01)
    assert t.se == pytest.approx(se)
    assert t.p == pytest.approx(2 * sps.t.sf(0.3 / se, 4))
    assert t.interval[0] < math.expm1(0.3) < t.interval[1]
    noisier = stats.predictive_test(spread, 0.3, within_var=0.04)
    assert noisier.se == pytest.approx(math.sqrt(0.01 / 5 + 0.04))
    assert noisier.p > t.p


def test_predictive_test_is_calibrated_under_the_null() -> None:
    rng = random.Random(5)
    hits = 0
    for _ in range(4000):
        levels = [math.exp(rng.gauss(0, 0.3)) for _ in range(5)]
        hits += stats.predictive_test(stats.level_spread(levels), rng.gauss(0, 0.3)).p < 0.05
    assert 0.04 < hits / 4000 < 0.06


def test_detectable_change_is_where_the_test_turns_significant() -> None:
    d = stats.detectable_change(0.05, 8.0, 0.01)
    assert stats.shift_p(math.log1p(d), 0.05, 8.0) == pytest.approx(0.01)
    assert stats.detectable_change(0.05, 8.0, 0.001) > d


def test_variance_upper_bound_covers_the_true_variance_as_often_as_promised() -> None:
    rng = random.Random(7)
    df, true_var, covered = 4, 0.01, 0
    for _ in range(4000):
        sample = [rng.gauss(0.0, math.sqrt(true_var)) for _ in range(df + 1)]
        covered += stats.variance_upper(statistics.variance(sample), df, 0.95) >= true_var
    assert covered / 4000 == pytest.approx(0.95, abs=0.015)
    # More runs, a tighter bound; no runs to vary, no bound.
    assert stats.variance_upper(0.01, 20, 0.95) < stats.variance_upper(0.01, 4, 0.95)
    assert stats.variance_upper(0.01, 0, 0.95) == math.inf


def _chi2_variances(
    rng: random.Random, true_vars: list[float], df: int
) -> tuple[list[float], list[float]]:
    """Sample variances of df + 1 normal draws around each true variance."""
    out = []
    for v in true_vars:
        draws = [rng.gauss(0, math.sqrt(v)) for _ in range(df + 1)]
        out.append(statistics.variance(draws))
    return out, [float(df)] * len(out)


def test_variance_prior_recovers_known_s0_and_d0() -> None:
    rng = random.Random(11)
    # sigma_i^2 ~ d0 s0^2 / chi2(d0), with d0 = 10 and s0^2 = 0.04; each seen on 4 df.
    true_vars = [10 * 0.04 / rng.gammavariate(5, 2) for _ in range(4000)]
    prior = stats.fit_variance_prior(*_chi2_variances(rng, true_vars, 4))
    assert prior.n == 4000
    assert prior.d0 == pytest.approx(10, rel=0.25)
    assert prior.s0_sq == pytest.approx(0.04, rel=0.08)


def test_variance_prior_handles_mixed_df() -> None:
    rng = random.Random(12)
    true_vars = [20 * 0.01 / rng.gammavariate(10, 2) for _ in range(4000)]
    v4, d4 = _chi2_variances(rng, true_vars[:2000], 4)
    v9, d9 = _chi2_variances(rng, true_vars[2000:], 9)
    prior = stats.fit_variance_prior(v4 + v9, d4 + d9)
    assert prior.d0 == pytest.approx(20, rel=0.3)
    assert prior.s0_sq == pytest.approx(0.01, rel=0.08)


def test_equal_true_variances_give_the_capped_prior_df() -> None:
    rng = random.Random(13)
    prior = stats.fit_variance_prior(*_chi2_variances(rng, [0.01] * 2000, 4))
    assert prior.d0 == stats.MAX_PRIOR_DF
    assert prior.s0_sq == pytest.approx(0.01, rel=0.05)


def test_heterogeneous_variances_give_a_small_prior_df() -> None:
    # 70% pure Python (sd 5-17%) and 30% C-heavy (sd 35-50%), as on the reference scale.
    rng = random.Random(14)
    sds = [
        rng.uniform(0.05, 0.17) if rng.random() < 0.7 else rng.uniform(0.35, 0.5)
        for _ in range(200)
    ]
    prior = stats.fit_variance_prior(*_chi2_variances(rng, [s * s for s in sds], 4))
    assert 0 < prior.d0 < 3


def test_too_few_variances_give_no_prior_and_no_moderation() -> None:
    prior = stats.fit_variance_prior([0.01, 0.02], [4.0, 4.0])
    assert (prior.d0, prior.n) == (0.0, 2)
    spread = stats.LevelSpread(0.0, 0.05, 4.0, 5)
    assert stats.moderate(spread, prior) == spread
    # Zero variances (identical runs) carry no information about the spread: left out.
    assert stats.fit_variance_prior([0.0, 0.01, 0.02, 0.03], [4.0] * 4).n == 3


def test_moderate_is_the_df_weighted_mean_on_added_df() -> None:
    prior = stats.VariancePrior(0.01, 12.0, 50)
    m = stats.moderate(stats.LevelSpread(0.5, 0.02, 4.0, 5), prior)
    assert m.var == pytest.approx((12 * 0.01 + 4 * 0.02) / 16)
    assert (m.df, m.n, m.mean) == (16.0, 5, 0.5)


def test_moderate_leaves_a_variance_the_prior_cannot_explain() -> None:
    prior = stats.VariancePrior(0.0004, 40.0, 500)  # a quiet suite: sd 2%
    wild = stats.LevelSpread(0.0, 0.16, 4.0, 5)  # sd 40%: F = 400 on (4, 40) df
    assert stats.moderate(wild, prior) == wild
    assert stats.moderate(stats.LevelSpread(0.0, 0.0006, 4.0, 5), prior).df == 44.0
