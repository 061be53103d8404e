"""What the summary says when stored runs come from another machine or environment."""

from __future__ import annotations

from collections.abc import Mapping

from pytest_perfguard.model import Caveat, CaveatKind
from pytest_perfguard.report.rules import differences_text
from pytest_perfguard.units import plural

__all__ = ["machine_note", "restarted_note"]


def machine_note(caveat: Caveat, *, strict: bool) -> str:
    """Why stored time verdicts do not count here, and what does: from
    `compatibility.machine_caveat` (another or an unknown machine, or a hosted CI job)."""
    if caveat.kind is CaveatKind.HOSTED_CI:
        where = (
            f"this is a {caveat.texts['service']} job with no machine named, and the next job "
            "may run on another VM"
        )
        remedy = (
            "name a runner you keep with --perf-machine, or compare time with --perf-compare-ref"
        )
    else:
        old = caveat.texts.get("old", "")
        unknown = "an unknown machine (the file predates machine names)"
        recorded = f"machine {old}" if old else unknown
        where = f"baseline recorded on {recorded}, this is {caveat.texts.get('new', '')}"
        remedy = (
            "to gate time here, --perf-save on this machine; for time on changing machines use "
            "--perf-compare-ref"
        )
    time = "time counts anyway (--perf-strict)" if strict else "time advisory"
    return f"{where}: {time}; counts (allocs/op, B/op, calls/op) still gate; {remedy}"


def restarted_note(restarted: Mapping[str, tuple[Caveat, ...]]) -> str:
    """A save that dropped saved runs from another environment: how many, why, one example."""
    first, why = next(iter(restarted.items()))
    return (
        f"{plural(len(restarted), 'benchmark')} started their saved runs again, since runs from "
        f"another environment never pool ({differences_text(why)}), e.g. {first}"
    )
