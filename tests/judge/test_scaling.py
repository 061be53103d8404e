"""The scaling fit: exponents, classes and verdicts from known curves (no real timing)."""

from __future__ import annotations

import math
import random

import pytest

from pytest_perfguard.judge.scaling import (
    CLASSES,
    Complexity,
    Fit,
    ScalingVerdict,
    class_named,
    compare_fits,
    fit,
    group_problem,
    local_exponent,
    over_limit,
)
from pytest_perfguard.judge.scaling_groups import Member, judge_groups
from pytest_perfguard.model import BenchResult, Measurement

SIZES = [100, 300, 1000, 3000, 10000]


def noisy(f: object, noise: float, rng: random.Random, rounds: int = 15) -> list[list[float]]:
    assert callable(f)
    return [[f(n) * math.exp(rng.gauss(0, noise)) for _ in range(rounds)] for n in SIZES]


def fitted(sizes: list[int], samples: list[list[float]]) -> Fit:
    result = fit(sizes, samples)
    assert isinstance(result, Fit), result
    return result


@pytest.mark.parametrize(
    ("sizes", "problem"),
    [
        ([1, 2], "at least 3 sizes, got 2 (1, 2)"),
        ([10, 20, 40], "span at least 8x, got 4x (10 to 40)"),
        ([10, 100, 100, 1000], None),
        ([0, 10, 100], "positive ints, got 0"),
        ([1.5, 10, 100], "positive ints, got 1.5"),
        ([True, 10, 100], "positive ints, got True"),
        (["10", 100, 1000], "positive ints, got '10'"),
    ],
)
def test_a_group_needs_three_positive_int_sizes_over_8x(
    sizes: list[object], problem: str | None
) -> None:
    said = group_problem(sizes)
    if problem is None:
        assert said is None
    else:
        assert said is not None and problem in said


@pytest.mark.parametrize(
    ("written", "name"),
    [("n log n", "n log n"), ("O(n^2)", "n^2"), ("n**2", "n^2"), ("NlogN", "n log n"), ("1", "1")],
)
def test_limit_classes_are_read_in_the_usual_spellings(written: str, name: str) -> None:
    assert class_named(written).name == name


def test_an_unknown_class_names_the_ones_there_are() -> None:
    with pytest.raises(ValueError, match=r"unknown complexity class 'n!'.*'n log n'"):
        class_named("n!")


@pytest.mark.parametrize("c", CLASSES, ids=lambda c: c.name)
def test_each_class_is_recognised_from_exact_values_with_a_fixed_cost(c: Complexity) -> None:
    overhead = 0.3 * c.f(SIZES[0])  # a fixed per-call cost, as at small n
    result = fitted(SIZES, [[overhead + 2 * c.f(n)] for n in SIZES])
    assert result.best.name == c.name
    assert result.low == result.high == result.exponent  # exact: no interval
    assert result.exponent <= local_exponent(c, SIZES) + 1e-9  # the fixed cost flattens it


def test_machine_speed_does_not_move_the_fit() -> None:
    rng = random.Random(3)
    samples = noisy(lambda n: n * math.log2(n), 0.05, rng)
    slow = [[2.5 * v for v in size] for size in samples]
    a, b = fitted(SIZES, samples), fitted(SIZES, slow)
    assert a.best == b.best
    assert a.exponent == pytest.approx(b.exponent)
    assert (a.low, a.high) == pytest.approx((b.low, b.high))


@pytest.mark.parametrize("c", CLASSES, ids=lambda c: c.name)
def test_the_class_is_right_in_9_of_10_noisy_groups(c: Complexity) -> None:
    rng = random.Random(7)
    right = sum(fitted(SIZES, noisy(c.f, 0.05, rng)).best == c for _ in range(10))
    assert right >= 9


def test_the_interval_holds_the_true_exponent_and_narrows_with_less_noise() -> None:
    rng = random.Random(11)
    quiet = fitted(SIZES, noisy(lambda n: n, 0.01, rng))
    loud = fitted(SIZES, noisy(lambda n: n, 0.2, rng))
    assert quiet.low <= 1.0 <= quiet.high
    assert quiet.high - quiet.low < loud.high - loud.low


def test_zero_at_some_sizes_has_no_exponent_and_zero_everywhere_is_constant() -> None:
    assert fit(SIZES, [[0.0], [0.0], [1.0], [2.0], [4.0]]) == (
        "zero at n=100, 300 and not at every size: no exponent"
    )
    flat = fitted(SIZES, [[0.0]] * 5)
    assert (flat.best.name, flat.exponent) == ("1", 0.0)
    assert fit(SIZES, [[1.0], [], [1.0], [1.0], [1.0]]) == "nothing measured at n=300"


def test_quadratic_head_against_linear_base_regresses_and_back_improves() -> None:
    rng = random.Random(5)
    base = fitted(SIZES, noisy(lambda n: n, 0.05, rng))
    head = fitted(SIZES, noisy(lambda n: n * n / 50, 0.05, rng))
    verdict, said = compare_fits(base, head, 0.3)
    assert verdict is ScalingVerdict.REGRESSED
    assert "class O(n) -> O(n^2)" in said
    assert compare_fits(head, base, 0.3)[0] is ScalingVerdict.IMPROVED


def test_unchanged_code_never_regresses_in_50_noisy_pairs() -> None:
    rng = random.Random(13)
    verdicts = [
        compare_fits(
            fitted(SIZES, noisy(lambda n: n * math.log2(n), 0.1, rng)),
            fitted(SIZES, noisy(lambda n: n * math.log2(n), 0.1, rng)),
            0.3,
        )[0]
        for _ in range(50)
    ]
    assert verdicts.count(ScalingVerdict.REGRESSED) == 0


def test_a_small_rise_within_the_tolerance_is_unchanged() -> None:
    base = fitted(SIZES, [[float(n)] for n in SIZES])
    head = fitted(SIZES, [[n**1.2] for n in SIZES])
    assert compare_fits(base, head, 0.3)[0] is ScalingVerdict.UNCHANGED
    assert compare_fits(base, head, 0.1)[0] is ScalingVerdict.REGRESSED


def test_limit_scaling_fails_a_group_clearly_above_its_class() -> None:
    quadratic = fitted(SIZES, [[n * n + 1000.0] for n in SIZES])
    said = over_limit(quadratic, class_named("n log n"), 0.3)
    assert said is not None
    assert "beyond limit_scaling O(n log n)" in said and "best fit O(n^2)" in said
    linear = fitted(SIZES, [[3.0 * n] for n in SIZES])
    assert over_limit(linear, class_named("n"), 0.3) is None
    sorting = fitted(SIZES, [[n * math.log2(n)] for n in SIZES])
    assert over_limit(sorting, class_named("n"), 0.3) is None  # n log n is ~n^1.15 here


def test_data_steeper_than_a_class_is_not_that_class() -> None:
    # n log n over 1000..64000 with a fixed cost: a + b*n fits it within 1-2%, but its
    # exponent (1.1+) is steeper than any O(n) curve with a positive constant can be.
    sizes = [1000, 4000, 16000, 64000]
    rng = random.Random(17)
    samples = [
        [(2000 + n * math.log2(n)) * math.exp(rng.gauss(0, 0.02)) for _ in range(8)] for n in sizes
    ]
    result = fitted(sizes, samples)
    assert result.exponent > 1.05
    assert result.best.name == "n log n"


def _group(power: int) -> dict[str, BenchResult]:
    """A group of 4 sizes whose time per op grows as n**power, with a little noise."""
    rng = random.Random(power)
    results = {}
    for n in (16, 32, 64, 128):
        samples = tuple(100.0 * n**power * rng.uniform(0.99, 1.01) for _ in range(20))
        m = Measurement(sorted(samples)[10], 1.0, 20, 1, samples, (), 1.0, 0.0)
        results[f"t.py::test_grow[{n}]"] = BenchResult(f"t.py::test_grow[{n}]", None, m)
    return results


def test_a_time_exponent_judged_advisory_is_said_and_fails_nothing() -> None:
    members = {f"t.py::test_grow[{n}]": Member("t.py::test_grow", n) for n in (16, 32, 64, 128)}
    base = {nodeid: r.measurement for nodeid, r in _group(1).items()}
    (counted,) = judge_groups(members, _group(2), base)
    assert counted.failures and "time scaling regressed" in counted.failures[0]
    (advisory,) = judge_groups(members, _group(2), base, "one process pair")
    assert advisory.failures == ()
    verdict, said = advisory.verdicts["time"]
    assert verdict is ScalingVerdict.REGRESSED and said.endswith("(advisory: one process pair)")
