"""The A/B timing passes: head's rounds paired with the base worker's, and the worker's rounds
run on the controller's command. Each side warms up and calibrates on its own first."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pytest_perfguard.ab.protocol import Channel, Verb
from pytest_perfguard.measure.engine import Engine, Warmth
from pytest_perfguard.measure.steps import Kind, Pass, Step
from pytest_perfguard.measure.timing import calibrate, gc_collections, summarize
from pytest_perfguard.model import BenchSettings, Measurement

__all__ = ["MIN_PAIRS", "PairedTiming", "Pairs", "RemoteTiming", "Side"]

MIN_PAIRS = 10
"""Pairs before the stop rule may end the rounds."""
MAX_PAIRS = 2000


class Side(Protocol):
    """One worker (head's or base's) as the paired timing pass sees it."""

    def start(self, loops: int, budget: float) -> int | None:
        """Run the base test up to its measured rounds of `loops` calls (head's: the same
        number on both sides); the calls per round it will make, or None when it has none to
        pair (it failed, measures nothing, or did not answer in time: the deadline of each
        answer derives from `budget`, the benchmark's max_time)."""
        ...

    def round(self) -> int | None:
        """One base round; its elapsed ns, or None when the base side is gone."""
        ...

    def finish(self) -> None:
        """End the base rounds: the worker runs its allocation and memory passes."""
        ...


@dataclass
class Pairs:
    """What the paired rounds of one benchmark gave, for the verdict."""

    ratios: list[float] = field(default_factory=list)
    """Per pair: head's ns/op over base's."""
    groups: list[int] = field(default_factory=list)
    """Per pair: the number of the process pair (head worker, base worker) that ran it."""
    base_ns: list[float] = field(default_factory=list)
    """Per pair: base's ns/op (head's are the timing pass's own samples)."""
    base_loops: int | None = None


def _timed_round(n: int, samples: list[float]) -> Pass[int]:
    """One measured round of n calls by the driver; its ns/op joins `samples`. Returns the
    collections it saw."""
    before = gc_collections()
    elapsed = yield Step(Kind.BENCH, n)
    if elapsed is None:
        raise TypeError("a timed step must be sent its elapsed ns")
    samples.append(elapsed / n)
    return gc_collections() - before


class PairedTiming:
    """The paired timing pass over K process pairs, each a head worker (a pytest session in the
    working tree, started like the base worker, so that neither side is the controlling
    process) and a base worker. Head's first worker calibrates; every other worker takes its
    number of calls per round. Then pairs of rounds go to the process pairs in turn, each pair
    in a fresh random order, until `settled(ratios, groups)` (after MIN_PAIRS and min_rounds)
    or each side has had its `max_time`. A process pair that cannot pair drops out; where none
    can, this process times its own rounds."""

    sides = 2
    """Each side gets `max_time`: the benchmark may take twice as long as alone."""

    def __init__(
        self,
        heads: Sequence[Side],
        bases: Sequence[Side],
        pairs: Pairs,
        settled: Callable[[Sequence[float], Sequence[int]], bool],
        rng: random.Random,
    ) -> None:
        if not heads or len(heads) != len(bases):
            raise ValueError(f"{len(heads)} head and {len(bases)} base workers: pairs needed")
        self.heads = heads
        self.bases = bases
        self.pairs = pairs
        self.settled = settled
        self.rng = rng

    def _start(self, budget: float) -> tuple[int | None, list[int]]:
        """Head's calls per round and the process pairs ready to run rounds of it."""
        n = self.heads[0].start(0, budget)
        if n is None:
            return None, []
        ready = []
        for group, (head, base) in enumerate(zip(self.heads, self.bases, strict=True)):
            if (group == 0 or head.start(n, budget) == n) and base.start(n, budget) == n:
                ready.append(group)
        self.pairs.base_loops = n if ready else None
        return n, ready

    def _finish(self) -> None:
        for side in (*self.heads, *self.bases):
            side.finish()

    def __call__(
        self,
        engine: Engine,
        settings: BenchSettings,
        deadline: int,
        first_ns: int | None,
        warmth: Warmth,
    ) -> Pass[Measurement]:
        clock, pairs = engine.clock, self.pairs
        samples: list[float] = []
        n, ready = self._start(settings.max_time)
        end = deadline + int(settings.max_time * 1e9)
        enough = max(MIN_PAIRS, settings.min_rounds)
        turn = 0
        while n is not None and ready and len(pairs.ratios) < MAX_PAIRS:
            group = ready[turn % len(ready)]
            head, base = self.heads[group], self.bases[group]
            if self.rng.random() < 0.5:
                head_ns, base_ns = head.round(), base.round()
            else:
                base_ns, head_ns = base.round(), head.round()
            if head_ns is None or base_ns is None:
                ready.remove(group)  # a worker is gone: the other process pairs go on
                continue
            turn += 1
            samples.append(head_ns / n)
            pairs.base_ns.append(base_ns / n)
            pairs.ratios.append(samples[-1] / pairs.base_ns[-1])
            pairs.groups.append(group)
            if len(pairs.ratios) >= enough and (
                clock() >= end
                or (turn % len(ready) == 0 and self.settled(pairs.ratios, pairs.groups))
            ):
                self._finish()
                return summarize(samples, [], [], n, 0, [])
        self._finish()
        cal = yield from engine.run_timed(
            calibrate(settings, clock=clock, deadline=deadline, first_ns=first_ns), warmth
        )
        engine.settle(warmth)
        own: list[float] = []
        collections = 0
        while len(own) < settings.min_rounds or clock() < deadline:
            collections += yield from _timed_round(cal.loops, own)
        return summarize(own, [], [], cal.loops, collections, [])


class RemoteTiming:
    """The base worker's timing pass: warm up and calibrate, say so, then one round of head's
    number of calls (`loops`: per-op times of rounds of equal length compare best) per
    "round" command until "finish"."""

    sides = 2

    def __init__(self, channel: Channel, loops: int | None) -> None:
        self.channel = channel
        self.loops = loops

    def __call__(
        self,
        engine: Engine,
        settings: BenchSettings,
        deadline: int,
        first_ns: int | None,
        warmth: Warmth,
    ) -> Pass[Measurement]:
        channel = self.channel
        cal = yield from engine.run_timed(
            calibrate(settings, clock=engine.clock, deadline=deadline, first_ns=first_ns),
            warmth,
        )
        engine.settle(warmth)
        n = self.loops or cal.loops
        channel.send(Verb.CALIBRATED, loops=n)
        samples: list[float] = []
        collections = 0
        while (verb := channel.receive().verb) is not Verb.FINISH:
            if verb is not Verb.ROUND:
                raise RuntimeError(f"worker: unexpected {verb.value!r} during rounds")
            collections += yield from _timed_round(n, samples)
            channel.send(Verb.ELAPSED, ns=round(samples[-1] * n))
        while len(samples) < settings.min_rounds:  # the other side could not pair: alone
            collections += yield from _timed_round(n, samples)
        return summarize(samples, [], [], n, collections, [])
