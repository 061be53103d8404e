"""One benchmark on one worker, as the paired timing pass drives it (rounds.Side)."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_perfguard.ab.controller import Outcome, Worker, WorkerLost, answer_deadline
from pytest_perfguard.ab.protocol import Message, Verb

__all__ = ["Stall", "WorkerTest"]


@dataclass
class Stall:
    """Shared by the sides of one benchmark: once a worker stopped answering about it, the
    benchmark is not comparable, and no other worker is asked to run it (each would hang the
    same way and cost another deadline)."""

    why: str | None = None


class WorkerTest:
    """One benchmark's side on one worker: the worker runs the test on `start`."""

    def __init__(
        self, worker: Worker, nodeid: str, stall: Stall, fixed_deadline: float | None = None
    ) -> None:
        self.worker = worker
        self.nodeid = nodeid
        self.stall = stall
        self.fixed_deadline = fixed_deadline
        self.within = answer_deadline(0.0, fixed_deadline)
        self.state = "new"  # new -> rounds -> done
        self.outcome: Outcome | None = None

    def start(self, loops: int, budget: float) -> int | None:
        self.within = answer_deadline(budget, self.fixed_deadline)
        gone = self.stall.why or self.worker.lost
        if gone is not None:
            self.state = "done"
            self.outcome = Outcome(False, gone, None)
            return None
        try:
            self.worker.send(Verb.RUN, nodeid=self.nodeid, loops=loops)
            message = self.worker.expect(
                Verb.CALIBRATED, Verb.DONE, within=self.within, doing=f"running {self.nodeid}"
            )
        except WorkerLost as exc:
            self._lost(exc)
            return None
        if message.verb is Verb.DONE:
            self._done(message)
            return None
        self.state = "rounds"
        return int(message.fields["loops"])

    def round(self) -> int | None:
        if self.stall.why is not None:  # another worker hung on it: the rounds end
            return None
        try:
            self.worker.send(Verb.ROUND)
            doing = f"in a round of {self.nodeid}"
            message = self.worker.expect(Verb.ELAPSED, within=self.within, doing=doing)
            return int(message.fields["ns"])
        except WorkerLost as exc:
            self._lost(exc)
            return None

    def finish(self) -> None:
        """End the rounds; the worker's passes and its verdict on the test follow."""
        if self.state != "rounds":
            return
        try:
            self.worker.send(Verb.FINISH)
            doing = f"finishing {self.nodeid}"
            self._done(self.worker.expect(Verb.DONE, within=self.within, doing=doing))
        except WorkerLost as exc:
            self._lost(exc)

    def _done(self, message: Message) -> None:
        self.state = "done"
        fields = message.fields
        self.outcome = Outcome(
            bool(fields["passed"]), fields.get("error"), fields.get("measurement")
        )

    def _lost(self, exc: WorkerLost) -> None:
        self.state = "done"
        self.worker.lost = str(exc)
        if self.worker.hung and self.stall.why is None:
            self.stall.why = str(exc)
        self.outcome = Outcome(False, str(exc), None)
