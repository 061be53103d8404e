"""The first sentence of every rule text: what the verdict means, in plain words, before the
numbers that decided it (rules.py)."""

from __future__ import annotations

from pytest_perfguard.metrics import BY_NAME
from pytest_perfguard.model import Decision, MetricComparison, Rule, Verdict
from pytest_perfguard.report.parallel import efficiency_sentence

__all__ = ["plain_sentence"]

_TIME = frozenset({Rule.TIME_SAVED_RUNS, Rule.TIME_FEW_RUNS, Rule.TIME_PAIRED})
_COUNTS = frozenset({Rule.COUNT_EXACT, Rule.COUNT_VARYING, Rule.COUNT_PAIRED})
_MEMORY = frozenset({Rule.MEMORY_SAVED, Rule.MEMORY_PAIRED})


def _noise(d: Decision) -> str:
    """What a time change has to stand out from, under this rule."""
    if d.rule is Rule.TIME_PAIRED:
        return "the difference between two processes of the same code"
    if d.rule is Rule.TIME_FEW_RUNS:
        return "what few saved runs can show of the run-to-run variation"
    return "the variation between the saved runs"


def _time(m: MetricComparison) -> str:
    if m.metric != "time":  # a sweep's efficiency, judged as time (judge/efficiency.py)
        return efficiency_sentence(m)
    d, size = m.decision, f"{abs(m.change) * 100:.1f}%"
    if m.verdict is Verdict.REGRESSED:
        return f"Slower by {size}, more than {_noise(d)} explains."
    if m.verdict is Verdict.IMPROVED:
        return f"Faster by {size}, more than {_noise(d)} explains."
    if m.verdict is Verdict.INCONCLUSIVE:
        detects = "" if m.detectable is None else f" (it detects {m.detectable * 100:.1f}% or more)"
        direction = "slower" if m.change > 0 else "faster"
        return f"{size} {direction}, but not clearly enough to tell from {_noise(d)}{detects}."
    return "No change in time that this run can tell."


def _base(d: Decision) -> str:
    ref = d.texts.get("ref")
    return "the saved runs" if ref is None or d.rule is not Rule.COUNT_PAIRED else ref


def _counts(m: MetricComparison) -> str:
    spec = BY_NAME.get(m.metric)
    what = spec.label if spec is not None and spec.label else m.metric
    d = m.decision
    if m.verdict is Verdict.REGRESSED:
        if d.rule is Rule.COUNT_VARYING:
            return f"More {what} per op than the saved runs ever counted, beyond their range."
        return f"More {what} per op than {_base(d)}: the code does more, not noise."
    if m.verdict is Verdict.IMPROVED:
        return f"Fewer {what} per op than {_base(d)}."
    return f"The same {what} per op as {_base(d)}, as far as the rule allows."


def _memory(m: MetricComparison) -> str:
    if m.verdict is Verdict.REGRESSED:
        return "Peak memory grew beyond its margin."
    if m.verdict is Verdict.IMPROVED:
        return "Peak memory shrank beyond its margin."
    return "Peak memory stayed within its margin."


def plain_sentence(m: MetricComparison) -> str | None:
    """What `m`'s verdict means, in one sentence; None for a rule that decides no metric."""
    rule = m.decision.rule
    if rule in _TIME:
        return _time(m)
    if rule in _COUNTS:
        return _counts(m)
    if rule in _MEMORY:
        return _memory(m)
    return None
