"""The A/B table from one source: base and now are the medians of the very rounds the paired
change was estimated from, not the base worker's own rounds beside head's paired ones."""

from __future__ import annotations

import random

from pytest_perfguard.ab.rounds import PairedTiming, Pairs
from pytest_perfguard.judge.ab import compare_paired
from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.measure.engine import Engine, Warmth
from pytest_perfguard.model import BenchSettings, Measurement, PairedRun
from tests.fakes import FakeClock


class Side:
    """A worker whose rounds take `ns` each, on `clock`."""

    def __init__(self, ns: int, clock: FakeClock) -> None:
        self.ns, self.clock = ns, clock

    def start(self, loops: int, budget: float) -> int | None:
        return loops or 10

    def round(self) -> int | None:
        self.clock.advance(self.ns)
        return self.ns

    def finish(self) -> None:
        pass


def measurement(median_ns: float) -> Measurement:
    return Measurement(median_ns, 1.0, 8, 10, (median_ns,) * 8, (1.0,) * 8, median_ns, 0.0)


def test_the_paired_rounds_keep_both_sides_times() -> None:
    clock = FakeClock()
    heads = [Side(1200, clock), Side(1200, clock)]
    bases = [Side(1000, clock), Side(1000, clock)]
    pairs = Pairs()
    timing = PairedTiming(heads, bases, pairs, lambda r, g: True, random.Random(1))
    engine = Engine(clock=clock)
    plan = timing(engine, BenchSettings(max_time=0.01), 10**9, None, Warmth())
    try:  # every round runs in the (fake) workers: the pass has no step of its own
        next(plan)
    except StopIteration as ended:
        head = ended.value
    else:
        raise AssertionError("the paired pass ran a round here")
    assert head.median_ns == 120.0  # ns per op: rounds of 10 calls
    assert pairs.base_ns and set(pairs.base_ns) == {100.0}
    assert set(pairs.ratios) == {1.2}


def test_the_table_shows_the_paired_medians() -> None:
    # The base worker's own rounds read 80 ns/op; the rounds paired with head's read 100.
    paired = PairedRun("main (abc)", (1.2,) * 12, measurement(80.0), base_median_ns=100.0)
    comparison = compare_paired("t", None, measurement(120.0), paired, Policy(), family=1,
                                min_effect=0.05)  # fmt: skip
    (time,) = [m for m in comparison.metrics if m.metric == "time"]
    assert (time.baseline, time.current) == (100.0, 120.0)
    assert abs(time.change - 0.2) < 1e-9  # as the columns say
