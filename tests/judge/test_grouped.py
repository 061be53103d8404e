"""Unit tests of same-job A/B statistics over several process pairs (judge/grouped.py)."""

from __future__ import annotations

import math
import random

import pytest

from pytest_perfguard.judge.grouped import (
    MIN_GROUP_PAIRS,
    ProcessPrior,
    grouped_estimate,
    grouped_settled,
)
from pytest_perfguard.judge.paired import (
    detectable_change,
    paired_estimate,
    paired_time_metric,
    with_process_variance,
)

PRIOR = ProcessPrior(sd=0.02, df=4)


def rounds(
    rng: random.Random, offsets: list[float], per_group: int, truth: float, noise: float
) -> tuple[list[float], list[int]]:
    """Ratios of `per_group` pairs of rounds for each process pair g, whose processes differ
    by exp(offsets[g]) on top of the true change, in the round-robin order the rounds run."""
    ratios, groups = [], []
    for _ in range(per_group):
        for g, offset in enumerate(offsets):
            ratios.append(math.exp(math.log1p(truth) + offset + rng.gauss(0, noise)))
            groups.append(g)
    return ratios, groups


def test_agreeing_process_pairs_estimate_the_change_with_the_priors_spread() -> None:
    ratios, groups = rounds(random.Random(1), [0.0] * 8, 10, 0.10, 0.005)
    est = grouped_estimate(ratios, groups, PRIOR)
    assert est.processes == 8
    assert est.n == 80
    assert est.change == pytest.approx(0.10, abs=0.003)
    assert est.interval[0] < est.change < est.interval[1]
    assert est.p < 1e-4
    # The pairs agree, but the interval cannot be narrower than the A/A prior allows: its
    # variance counts as PRIOR.df process pairs of 2% sd among df + 7 degrees of freedom.
    assert est.df == PRIOR.df + 7
    assert est.se is not None
    floor = math.sqrt(PRIOR.df * PRIOR.sd**2 / est.df / 8)
    assert est.se >= floor
    assert est.process_sd >= math.sqrt(PRIOR.df / est.df) * PRIOR.sd


def test_one_unlucky_process_pair_widens_the_interval_instead_of_failing() -> None:
    # A/A: seven process pairs agree, one runs 20% slower (a bad layout in one process).
    ratios, groups = rounds(random.Random(2), [0.0] * 7 + [math.log(1.2)], 10, 0.0, 0.005)
    grouped = grouped_estimate(ratios, groups, PRIOR)
    assert grouped.change == pytest.approx(math.exp(math.log(1.2) / 8) - 1, abs=0.003)
    assert grouped.interval[0] < 0 < grouped.interval[1]
    assert grouped.p > 0.05 / 32  # not significant even before the correction's factor
    agreeing = grouped_estimate(*rounds(random.Random(2), [0.0] * 8, 10, 0.0, 0.005), PRIOR)
    assert grouped.process_sd > 2 * agreeing.process_sd
    assert grouped.interval[1] - grouped.interval[0] > 2 * (
        agreeing.interval[1] - agreeing.interval[0]
    )


def test_the_interval_covers_the_truth_at_its_confidence() -> None:
    rng = random.Random(3)
    covered = 0
    trials = 300
    for _ in range(trials):
        offsets = [rng.gauss(0, 0.02) for _ in range(8)]
        ratios, groups = rounds(rng, offsets, 6, 0.05, 0.01)
        lo, hi = grouped_estimate(ratios, groups, PRIOR).interval
        covered += lo < 0.05 < hi
    # Binomial(300, 0.95): 285 expected, sd 3.8; a rule ignoring the processes covers ~60%.
    assert covered >= 275


def test_fewer_than_two_process_pairs_fall_back_to_the_one_pair_estimate() -> None:
    ratios = [1.1, 1.12, 1.09, 1.11, 1.1, 1.08]
    one_group = grouped_estimate(ratios, [0] * 6, PRIOR)
    expected = with_process_variance(paired_estimate(ratios), PRIOR.sd)
    assert one_group == expected
    # a second process pair with a single pair of rounds has no spread of its own: ignored
    assert grouped_estimate([*ratios, 1.5], [0] * 6 + [1], PRIOR).processes == 1


def test_ratios_and_process_numbers_must_match() -> None:
    with pytest.raises(ValueError, match="3 ratios but 2 process pair numbers"):
        grouped_estimate([1.0, 1.0, 1.0], [0, 1], PRIOR)


def test_detectable_change_uses_the_estimates_error() -> None:
    ratios, groups = rounds(random.Random(4), [0.0] * 8, 10, 0.0, 0.005)
    est = grouped_estimate(ratios, groups, PRIOR)
    few = grouped_estimate(*rounds(random.Random(4), [0.0] * 3, 10, 0.0, 0.005), PRIOR)
    # more process pairs, a smaller error and more degrees of freedom: a smaller change found
    assert 0 < detectable_change(est, 0.05 / 32) < detectable_change(few, 0.05 / 32)


def test_the_stop_rule_waits_for_every_process_pair() -> None:
    ratios, groups = rounds(random.Random(5), [0.0] * 4, MIN_GROUP_PAIRS, 0.5, 0.001)
    level = 0.05 / 10
    # +50%, beyond doubt, but one process pair is one pair of rounds short
    assert not grouped_settled(ratios[:-1], groups[:-1], 4, 0.03, level, PRIOR)
    assert grouped_settled(ratios, groups, 4, 0.03, level, PRIOR)
    # a process pair that never ran: not settled
    assert not grouped_settled(ratios, groups, 5, 0.03, level, PRIOR)


def test_the_stop_rule_ends_when_more_rounds_cannot_narrow_the_interval() -> None:
    # A change right at the minimum effect: never clear of it, but once each process pair's
    # own error is well below the prior's process variation more rounds barely help.
    noisy = rounds(random.Random(6), [0.0] * 4, MIN_GROUP_PAIRS, 0.03, 0.05)
    quiet = rounds(random.Random(6), [0.0] * 4, MIN_GROUP_PAIRS, 0.03, 0.001)
    assert not grouped_settled(*noisy, 4, 0.03, 0.005, PRIOR)
    assert grouped_settled(*quiet, 4, 0.03, 0.005, PRIOR)


def test_the_verdict_over_process_pairs_says_so() -> None:
    from pytest_perfguard.judge.policy import Policy
    from pytest_perfguard.model import Verdict
    from pytest_perfguard.report.rules import rule_text

    ratios, groups = rounds(random.Random(7), [0.0] * 8, 10, 0.10, 0.005)
    est = grouped_estimate(ratios, groups, PRIOR)
    p_adj = min(1.0, est.p * 32)
    m = paired_time_metric(1000.0, 1100.0, est, p_adj, 32, "Bonferroni", Policy(), 0.03, 0.0, "v1")
    assert m.verdict is Verdict.REGRESSED
    assert m.decision.numbers["processes"] == 8
    assert m.detectable == max(0.03, detectable_change(est, 0.05 / 32))
    assert (
        f"Hodges-Lehmann estimate over 8 process pairs, {est.process_sd:.1%} sd between them; "
        "fails beyond the 3.0% minimum effect when Bonferroni-adjusted t p < 0.05 over 32 time "
        "comparisons"
    ) in rule_text(m)


def test_each_worker_pads_its_heap_differently() -> None:
    from pytest_perfguard.plugin.ab_worker import random_padding

    sizes = set()
    for seed in range(20):
        big, *small = random_padding(random.Random(seed))
        assert isinstance(big, bytearray) and 16 <= len(big) < 1 << 16
        assert len(small) < 256
        assert all(isinstance(b, bytes) and 1 <= len(b) <= 512 for b in small)
        sizes.add((len(big), len(small)))
    assert len(sizes) == 20  # no two of these workers lay their heaps out alike
