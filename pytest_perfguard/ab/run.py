"""One A/B session on the head side: the base tree and worker, which benchmarks pair, and
what each pairing gave."""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Sequence

from pytest_perfguard.ab.controller import BaseTest, BaseWorker
from pytest_perfguard.ab.rounds import PairedTiming, Pairs
from pytest_perfguard.ab.worktree import BaseTree
from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.measure.engine import TimingPass
from pytest_perfguard.model import PairedRun
from pytest_perfguard.store import codec

__all__ = ["ABRun"]


class ABRun:
    """Pairs each head benchmark that the base side also has with the base worker's rounds."""

    def __init__(
        self, tree: BaseTree, worker: BaseWorker, head: BaseWorker, policy: Policy
    ) -> None:
        self.tree = tree
        self.worker = worker
        self.head = head
        """The head side's worker: a session in the working tree, started as the base one is."""
        self.policy = policy
        self.rng = random.Random()
        self.base_ids: frozenset[str] = frozenset()
        self.shared: tuple[str, ...] = ()
        self.new: tuple[str, ...] = ()
        """Head's perf tests the base tree does not have."""
        self.removed: tuple[str, ...] = ()
        """The base tree's perf tests head does not have."""
        self._open: dict[str, tuple[BaseTest, BaseTest, Pairs]] = {}
        self._cpu: set[int] | None = None

    def collected(self, head_ids: Sequence[str]) -> None:
        """Both sessions collected: which benchmarks pair. Raises WorkerError or WorkerLost."""
        base = self.worker.wait_collected()
        heads = frozenset(self.head.wait_collected())
        self.base_ids = frozenset(base) & heads
        self.shared = tuple(n for n in head_ids if n in self.base_ids)
        self.new = tuple(n for n in head_ids if n not in self.base_ids)
        head = set(head_ids)
        self.removed = tuple(n for n in base if n not in head)
        self._pin()

    def timing_for(self, nodeid: str, min_effect: float) -> TimingPass | None:
        """The paired timing pass of a benchmark both sides have; None for head-only ones."""
        if nodeid not in self.base_ids:
            return None
        from pytest_perfguard.judge.paired import settled

        level = self.policy.alpha / max(1, len(self.shared))
        process_sd = self.policy.ab_process_sd
        head, test, pairs = BaseTest(self.head, nodeid), BaseTest(self.worker, nodeid), Pairs()
        self._open[nodeid] = (head, test, pairs)

        def done(ratios: Sequence[float]) -> bool:
            return settled(ratios, min_effect, level, process_sd=process_sd)

        return PairedTiming(head, test, pairs, done, self.rng)

    def finished(self, nodeid: str) -> PairedRun | None:
        """After head's test: the base side's outcome (ending its rounds if head's test ended
        them early), or None for a benchmark that was not paired."""
        opened = self._open.pop(nodeid, None)
        if opened is None:
            return None
        head, test, pairs = opened
        head.finish()
        test.finish()
        outcome = test.outcome
        if outcome is None:  # the rounds never started (head's test failed first)
            return None
        if head.outcome is not None and not head.outcome.passed:
            why = head.outcome.error or "its test failed"
            return PairedRun(self.tree.label, tuple(pairs.ratios), None, f"head worker: {why}")
        base = (
            None
            if outcome.measurement is None
            else codec.measurement_from_dict(outcome.measurement)
        )
        error = outcome.error
        if error is None and not outcome.passed:
            error = "the base test failed"
        if error is None and base is None:
            error = "the base test measured nothing"
        if error is None and not pairs.ratios:
            error = "no pairs of rounds were made"
        return PairedRun(self.tree.label, tuple(pairs.ratios), base, error)

    def _pin(self) -> None:
        """Both sides on one CPU where the OS allows: one runs while the other waits."""
        affinity = getattr(os, "sched_getaffinity", None)
        if affinity is None:
            return
        self._cpu = set(affinity(0))
        cpu = {max(self._cpu)}
        for pid in (0, self.worker.process.pid, self.head.process.pid):
            with contextlib.suppress(OSError):
                os.sched_setaffinity(pid, cpu)

    def close(self) -> None:
        """Stop the worker, remove the worktree, give head its CPUs back. Idempotent."""
        try:
            self.worker.close()
            self.head.close()
        finally:
            self.tree.remove()
            if self._cpu is not None:
                os.sched_setaffinity(0, self._cpu)
                self._cpu = None
