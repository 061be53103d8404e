"""Whether runs from two environments may be compared: times, and deterministic counts."""

from __future__ import annotations

from dataclasses import replace

from pytest_perfguard.model import BaselineEntry, Caveat, CaveatKind, Fingerprint

__all__ = ["counts_comparable", "differences", "entry_environment", "machine_caveat"]


def entry_environment(fingerprint: Fingerprint, entry: BaselineEntry | None) -> Fingerprint:
    """The environment an entry's runs were measured in: the file's, with the entry's own Python
    (where it records one) and the entry's own machine (a save that did not re-measure an entry
    leaves it with runs older than the file's fingerprint). An entry without a machine is from
    an unknown one, whatever machine saved the file last."""
    if entry is None:
        return fingerprint
    python = entry.python_version or fingerprint.python_version
    return replace(fingerprint, python_version=python, machine=entry.machine)


def differences(
    baseline: Fingerprint | None, current: Fingerprint, entry: BaselineEntry | None = None
) -> tuple[Caveat, ...]:
    """What makes times measured in `baseline` (or in `entry`'s own environment) incomparable
    with times measured in `current`, as caveats (report/rules.py words them).

    Compared: the machine, implementation, Python major.minor, OS, architecture, CPU model. A
    machine is the same only when both runs record the same one: a baseline without one is
    from an unknown machine. A run that is a job of a hosted CI service with no machine named
    is compared with nothing: its next job may be another VM. Patch releases, CPU count and
    perfguard version are not compared: they did not move single-threaded timings. A baseline
    without a fingerprint differs in "environment".
    """
    if baseline is None:
        return (_differs("environment", "", ""),)
    old = entry_environment(baseline, entry)
    pairs = (
        ("machine", old.machine, current.machine),
        ("python_implementation", old.python_implementation, current.python_implementation),
        ("python_version", old.python_minor, current.python_minor),
        ("os", old.os, current.os),
        ("arch", old.arch, current.arch),
        ("cpu_model", old.cpu_model, current.cpu_model),
    )
    # An unrecorded machine ("") is not the same machine as another unrecorded one.
    found = [
        _differs(what, a, b) for what, a, b in pairs if a != b or (what == "machine" and not a)
    ]
    if current.hosted:
        found.insert(0, Caveat(CaveatKind.HOSTED_CI, texts={"service": current.hosted}))
    return tuple(found)


def machine_caveat(baseline: Fingerprint | None, current: Fingerprint) -> Caveat | None:
    """Why stored time is advisory for the whole file, machine-wise: this run is a hosted CI
    job, or the file was recorded on another (or an unknown) machine; None when it is the same
    machine. The summary says it once, above the table."""
    if baseline is None:
        return None
    for caveat in differences(baseline, current):
        if caveat.kind is CaveatKind.HOSTED_CI or caveat.texts.get("what") == "machine":
            return caveat
    return None


def _differs(what: str, old: str, new: str) -> Caveat:
    return Caveat(CaveatKind.ENVIRONMENT, texts={"what": what, "old": old, "new": new})


def counts_comparable(
    baseline: Fingerprint | None, current: Fingerprint, entry: BaselineEntry | None = None
) -> bool:
    """Whether deterministic counts (allocs/op, B/op, calls/op) may be compared exactly.

    They depend on the interpreter, not the machine: same implementation and same Python
    major.minor (the entry's own version when it records one, as in `differences`).
    """
    if baseline is None:
        return False
    old = entry_environment(baseline, entry)
    return (
        old.python_implementation == current.python_implementation
        and old.python_minor == current.python_minor
    )
