"""One A/B session on the head side: the base tree and worker, which benchmarks pair, and
what each pairing gave."""

from __future__ import annotations

import contextlib
import os
import random
import statistics
import time
from collections.abc import Sequence

from pytest_perfguard.ab.controller import (
    COLLECT_DEADLINE_S,
    Worker,
    WorkerError,
    WorkerLost,
)
from pytest_perfguard.ab.rounds import PairedTiming, Pairs
from pytest_perfguard.ab.rundir import RunDir
from pytest_perfguard.ab.sides import Stall, WorkerTest
from pytest_perfguard.ab.worktree import BaseTree
from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.measure.engine import TimingPass
from pytest_perfguard.model import PairedRun
from pytest_perfguard.store import codec

__all__ = ["QUIT_GRACE_S", "ABRun"]

QUIT_GRACE_S = 10.0
"""At the end of a run, the workers' sessions have this long to end (their last test's and
their session's teardown) before they are killed. A cancelled run kills them at once."""


class ABRun:
    """Pairs each head benchmark that the base side also has with the base workers' rounds,
    over `len(bases)` process pairs (head worker g with base worker g)."""

    def __init__(
        self,
        tree: BaseTree,
        bases: Sequence[Worker],
        heads: Sequence[Worker],
        policy: Policy,
        run_dir: RunDir,
        *,
        answer_within: float | None = None,
        started: float | None = None,
    ) -> None:
        if not bases or len(bases) != len(heads):
            raise ValueError(f"{len(heads)} head and {len(bases)} base workers: pairs needed")
        self.tree = tree
        self.bases = list(bases)
        """Base workers; the first also measures allocations, memory and the profile."""
        self.heads = list(heads)
        """Head workers: sessions in the working tree, started as the base ones are."""
        self.policy = policy
        self.run_dir = run_dir
        self.answer_within = answer_within
        """Seconds a worker has to answer one command (--perf-ab-timeout); None: derived
        from each benchmark's max_time (controller.answer_deadline)."""
        self.started = time.monotonic() if started is None else started
        self.ready_s: float | None = None
        """Seconds from starting the workers until all had collected."""
        self._retired: list[Worker] = []
        """Workers that hung and were replaced."""
        self.rng = random.Random()
        self.base_ids: frozenset[str] = frozenset()
        self.shared: tuple[str, ...] = ()
        self.new: tuple[str, ...] = ()
        """Head's perf tests the base tree does not have."""
        self.removed: tuple[str, ...] = ()
        """The base tree's perf tests head does not have."""
        self._open: dict[str, tuple[list[WorkerTest], list[WorkerTest], Pairs, Stall]] = {}
        self._cpu: set[int] | None = None

    @property
    def processes(self) -> int:
        """Process pairs the rounds are spread over."""
        return len(self.bases)

    @property
    def pids(self) -> tuple[int, ...]:
        """The workers' process ids: their CPU time is this run's own, not other load."""
        return tuple(worker.process.pid for worker in (*self.bases, *self.heads))

    def collected(self, head_ids: Sequence[str]) -> None:
        """Every worker collected: which benchmarks pair. Raises WorkerError or WorkerLost."""
        base = self.bases[0].wait_collected()
        both = set(base)
        for worker in (*self.bases[1:], *self.heads):
            both &= set(worker.wait_collected())
        self.base_ids = frozenset(both)
        self.shared = tuple(n for n in head_ids if n in self.base_ids)
        self.new = tuple(n for n in head_ids if n not in self.base_ids)
        head = set(head_ids)
        self.removed = tuple(n for n in base if n not in head)
        self.ready_s = time.monotonic() - self.started
        self._pin()

    def timing_for(self, nodeid: str, min_effect: float, *, family: int) -> TimingPass | None:
        """The paired timing pass of a benchmark both sides have; None for head-only ones.
        Its stop rule's level is Bonferroni's over the `family` of benchmarks that pair."""
        if nodeid not in self.base_ids:
            return None
        from pytest_perfguard.judge.grouped import ProcessPrior, grouped_settled
        from pytest_perfguard.judge.paired import settled

        level = self.policy.alpha / max(1, family)
        prior = ProcessPrior(self.policy.ab_process_sd, self.policy.ab_prior_df)
        k = self.processes
        self._replace_hung()
        stall, within = Stall(), self.answer_within
        heads = [WorkerTest(worker, nodeid, stall, within) for worker in self.heads]
        bases = [WorkerTest(worker, nodeid, stall, within) for worker in self.bases]
        pairs = Pairs()
        self._open[nodeid] = (heads, bases, pairs, stall)

        def done(ratios: Sequence[float], groups: Sequence[int]) -> bool:
            if k == 1:
                return settled(ratios, min_effect, level, process_sd=prior.sd)
            return grouped_settled(ratios, groups, k, min_effect, level, prior)

        return PairedTiming(heads, bases, pairs, done, self.rng)

    def finished(self, nodeid: str) -> PairedRun | None:
        """After head's test: the base side's outcome (ending its rounds if head's test ended
        them early), or None for a benchmark that was not paired."""
        opened = self._open.pop(nodeid, None)
        if opened is None:
            return None
        heads, bases, pairs, stall = opened
        for side in (*heads, *bases):
            side.finish()
        groups = tuple(pairs.groups) if self.processes > 1 else ()
        if stall.why is not None:
            return PairedRun(self.tree.label, tuple(pairs.ratios), None, stall.why, groups)
        # A head worker whose test failed (even before the rounds): not comparable, saying so.
        failed = next((h.outcome for h in heads if h.outcome and not h.outcome.passed), None)
        if failed is not None:
            why = failed.error or "its test failed"
            return PairedRun(
                self.tree.label, tuple(pairs.ratios), None, f"head worker: {why}", groups
            )
        outcome = bases[0].outcome
        if outcome is None:  # the rounds never started: head's test failed first, or it
            return None  # measured without them (RunState then says "not paired")
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
        median = statistics.median(pairs.base_ns) if pairs.base_ns else None
        return PairedRun(self.tree.label, tuple(pairs.ratios), base, error, groups, median)

    def _pin(self) -> None:
        """Both sides on one CPU where the OS allows: one runs while the other waits."""
        affinity = getattr(os, "sched_getaffinity", None)
        if affinity is None:
            return
        self._cpu = set(affinity(0))
        cpu = {max(self._cpu)}
        for pid in (0, *self.pids):
            with contextlib.suppress(OSError):
                os.sched_setaffinity(pid, cpu)

    def _replace_hung(self) -> None:
        """A worker killed for not answering gets a successor, so that the benchmarks after
        the one it hung on pair as before."""
        for workers in (self.bases, self.heads):
            for i, worker in enumerate(workers):
                if not worker.hung:
                    continue
                self._retired.append(worker)
                name = "base" if workers is self.bases else "head"
                workers[i] = worker.restart(self.run_dir.new_log(name))
                try:
                    workers[i].wait_collected(COLLECT_DEADLINE_S)
                except (WorkerLost, WorkerError) as exc:  # its benchmarks: not comparable
                    workers[i].lost = workers[i].lost or str(exc)
                    continue
                if self._cpu is not None:
                    with contextlib.suppress(OSError):
                        os.sched_setaffinity(workers[i].process.pid, {max(self._cpu)})

    @property
    def _workers(self) -> tuple[Worker, ...]:
        return (*self.bases, *self.heads)

    def quit(self) -> None:
        """Ask every worker to end its session, and give every process all its CPUs back:
        the workers end theirs while head ends its own (close() waits for them)."""
        for worker in self._workers:
            if self._cpu is not None:
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(worker.process.pid, self._cpu)
            worker.quit()
        self._unpin()

    def _unpin(self) -> None:
        if self._cpu is not None:
            os.sched_setaffinity(0, self._cpu)
            self._cpu = None

    def close(self, grace: float = QUIT_GRACE_S) -> None:
        """Stop the workers (politely for `grace` seconds in all, then not), remove the
        worktree and the run's directory (but the logs of workers that failed), and give head
        its CPUs back. A signal meanwhile kills the workers at once. Idempotent."""
        try:
            self.quit()
            end = time.monotonic() + grace
            for worker in self._workers:
                worker.wait(end - time.monotonic())
        except KeyboardInterrupt:  # a cancel while the workers end: no wait, no traceback
            self.cancel()
        finally:
            self._clean_up()

    def cancel(self) -> None:
        """Kill every worker now (the run was interrupted), then clean up. Idempotent."""
        try:
            for worker in self._workers:
                with contextlib.suppress(OSError):
                    worker.process.kill()
            for worker in self._workers:
                worker.kill()
        finally:
            self._clean_up()

    def _clean_up(self) -> None:
        try:
            self.tree.remove()
            failed = [w.log for w in (*self._retired, *self._workers) if w.lost is not None]
            self.run_dir.close(keep=failed)
        finally:
            self._unpin()
