"""Words the caveats of a decision: why a verdict may be advisory, how environments differ.

report/rules.py words the decisions themselves, with these caveats appended.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_perfguard.model import Caveat, CaveatKind, Decision

__all__ = ["AB_PROCESSES", "caveat_text", "differences_text", "named_number", "named_text"]

_ENVIRONMENT = {
    "python_implementation": "Python implementation",
    "python_version": "Python version",
    "os": "OS",
    "arch": "architecture",
    "cpu_model": "CPU",
    "machine": "machine",
    "instructions_env": "what the instruction counts depend on (Python build; valgrind; arch)",
    "packages": "versions of the packages the benchmarks imported",
}
AB_PROCESSES = (
    "one process per side cannot tell a real change from the variation between processes "
    "(A/A: up to ±17% for C-heavy code), so A/B time over one process pair counts only under "
    "--perf-strict"
)


def _missing(d: Decision | Caveat, what: str, name: str) -> ValueError:
    kind = d.kind.value if isinstance(d, Caveat) else d.rule.value
    return ValueError(f"{kind}: no {what} {name!r}")


def named_number(d: Decision | Caveat, name: str) -> float:
    """A figure the decision or caveat names; ValueError (naming its kind) when absent."""
    if name not in d.numbers:
        raise _missing(d, "number", name)
    return d.numbers[name]


def named_text(d: Decision | Caveat, name: str) -> str:
    """A text the decision or caveat names; ValueError (naming its kind) when absent."""
    if name not in d.texts:
        raise _missing(d, "text", name)
    return d.texts[name]


def caveat_text(c: Caveat) -> str:
    """Why a verdict may be advisory, in words."""
    kind = c.kind
    if kind is CaveatKind.ENVIRONMENT:
        what = named_text(c, "what")
        if what == "environment":
            return "the baseline records no environment"
        old = named_text(c, "old") or ("unknown" if what == "machine" else "")
        return f"{_ENVIRONMENT.get(what, what)}: {old} -> {named_text(c, 'new')}"
    if kind is CaveatKind.HOSTED_CI:
        return (
            f"a {named_text(c, 'service')} job with no machine named (the next may be another VM)"
        )
    if kind is CaveatKind.NO_ENVIRONMENT:
        return "the compared run records no environment"
    if kind is CaveatKind.INTERPRETER:
        return (
            f"counts differ between interpreters: baseline Python {named_text(c, 'old')}, "
            f"now {named_text(c, 'now')}"
        )
    if kind is CaveatKind.BUSY:
        return (
            f"other processes took {named_number(c, 'share'):.0%} of the machine while it was timed"
        )
    if kind is CaveatKind.TRACER:
        return f"a tracer/profiler was active while measuring ({named_text(c, 'tracers')})"
    if kind is CaveatKind.AB_TRACER:
        return f"a tracer/profiler was active ({named_text(c, 'tracers')})"
    return AB_PROCESSES


def differences_text(differences: Sequence[Caveat]) -> str:
    """How two environments differ, "; "-separated ("" when they do not)."""
    return "; ".join(caveat_text(c) for c in differences)
