"""Words every decision of the judge: the rule behind a verdict, budgets, reasons.

The one place where a rule becomes a sentence: the judge returns kinds and numbers
(model.Decision, judge.budgets.BudgetBreach), every renderer and the JSON document word them
here, so the terminal, Markdown, the CLI and `rule` in the JSON results say the same.
A rule's caveats are worded in caveats.py and appended here; budgets in budgets.py.
"""

from __future__ import annotations

from pytest_perfguard.judge.policy import MiB
from pytest_perfguard.metrics import BY_NAME
from pytest_perfguard.model import (
    Comparison,
    Decision,
    MetricComparison,
    Rule,
)
from pytest_perfguard.report.budgets import budget_text, unchecked_text
from pytest_perfguard.report.caveats import (
    AB_PROCESSES,
    caveat_text,
    differences_text,
)
from pytest_perfguard.report.caveats import named_number as _number
from pytest_perfguard.report.caveats import named_text as _text
from pytest_perfguard.report.parallel import efficiency_rule
from pytest_perfguard.report.plain import plain_sentence

__all__ = [
    "AB_PROCESSES",
    "budget_text",
    "caveat_text",
    "comparison_notes",
    "differences_text",
    "reason_text",
    "rule_text",
    "unchecked_text",
]


def _pct(x: float) -> str:
    return f"{x * 100:+.1f}%"


def _count(value: float) -> str:
    """A count as stored, every digit shown: 117730, 6634432, 2.333333."""
    value = float(value)  # an int from JSON results too
    return f"{value:.0f}" if value.is_integer() and abs(value) < 1e15 else f"{value:.7g}"


def _here(p: float | None) -> str:
    return "no p-value" if p is None else f"p = {p:.3g}"


def _runs(weight: float) -> str:
    """A prior's degrees of freedom as a number of saved runs: 1.6, 12, 100."""
    return f"{weight:.1f}" if weight < 10 else f"{weight:.0f}"


def _time_saved_runs(m: MetricComparison, d: Decision) -> str:
    alpha, ref = _number(d, "alpha"), _text(d, "scale") == "ref"
    where = "reference-corrected" if ref else "raw"
    other = "raw" if ref else "reference-corrected"
    both = f" ({other} time tested too, p doubled)" if _number(d, "tries") > 1 else ""
    prior = d.texts.get("prior")
    moderated = ""
    # The prior's df and the test's df stay in the JSON decision, for scripts.
    if prior == "moderated":
        moderated = (
            f", that sd estimated together with the suite's {int(_number(d, 'prior_n'))} "
            "benchmarks, since a few saved runs alone estimate it roughly (the suite's typical "
            f"spread weighs as much as {_runs(_number(d, 'prior_d0'))} more saved runs)"
        )
    elif prior is not None:
        moderated = (
            f", that sd from its own runs only: they varied more than the suite's "
            f"{int(_number(d, 'prior_n'))} benchmarks typically do"
        )
    floor = ""
    if d.texts.get("floor") == "known":
        floor = " (the drift floor, taken as known: the saved runs vary less)"
    elif d.texts.get("floor"):
        floor = " (the drift floor: the saved runs varied less)"
    return (
        f"{where} time{both} vs {int(_number(d, 'runs'))} saved runs with run-to-run sd "
        f"{_pct(_number(d, 'sd'))[1:]}{floor}{moderated}: fails beyond the "
        f"{_pct(_number(d, 'min_effect'))[1:]} minimum effect when {_corrected(d, alpha)}; "
        f"here {_here(m.p_value)}"
    )


def _corrected(d: Decision, alpha: float, test: str = "") -> str:
    return (
        f"{_text(d, 'correction')}-adjusted {test}p < {alpha:g} over {int(_number(d, 'family'))} "
        "time comparisons"
    )


def _time_few_runs(m: MetricComparison, d: Decision) -> str:
    alpha = _number(d, "alpha")
    within = d.numbers.get("within_p")
    u = "no rounds saved" if within is None else f"p = {within:.3g}"
    return (
        f"only {int(_number(d, 'runs'))} saved run(s), {int(_number(d, 'min_runs'))} needed "
        f"to estimate run-to-run variation: time fails only beyond {_pct(_number(d, 'bar'))} on "
        f"raw and reference-corrected time, {_corrected(d, alpha)} against an assumed "
        f"run-to-run sd of {_pct(_number(d, 'drift'))[1:]} (here {_here(m.p_value)}) and a "
        f"within-run U test p < {alpha:g} (here {u})"
    )


def _detectable(m: MetricComparison) -> str:
    return _pct(float("nan") if m.detectable is None else m.detectable)


def _time(m: MetricComparison, d: Decision) -> str:
    if m.metric != "time":  # a sweep's efficiency, judged as time (judge/efficiency.py)
        return efficiency_rule(m, d)
    why = _time_saved_runs(m, d) if d.rule is Rule.TIME_SAVED_RUNS else _time_few_runs(m, d)
    text = f"time {m.verdict.value} {_pct(m.change)} ({why}); smallest detectable {_detectable(m)}"
    if _text(d, "scale") == "ref":
        text += "; baseline shown at today's machine speed"
    return text


def _time_paired(m: MetricComparison, d: Decision) -> str:
    min_effect, floor = _number(d, "min_effect"), _number(d, "bias_floor")
    beyond = f"the {_pct(min_effect)[1:]} minimum effect"
    if floor > min_effect:
        beyond = f"{_pct(floor)[1:]} (the A/A process bias floor, over {beyond})"
    process_sd = _number(d, "process_sd")
    processes = int(d.numbers.get("processes", 1))
    between, test = "", "Wilcoxon"
    if processes > 1:
        between = f" over {processes} process pairs, {process_sd:.1%} sd between them"
        test = "t"
    elif process_sd > 0:
        between, test = f", with a {process_sd:.1%} sd between processes (A/A)", "normal"
    return (
        f"time {m.verdict.value} {_pct(m.change)} (paired rounds with {_text(d, 'ref')} in this "
        f"run: {int(_number(d, 'pairs'))} pairs, head/base per-op ratio, Hodges-Lehmann "
        f"estimate{between}; fails beyond {beyond} when "
        f"{_corrected(d, _number(d, 'alpha'), test + ' ')}; here {_here(m.p_value)}); "
        f"smallest detectable {_detectable(m)}"
    )


def _label(m: MetricComparison) -> str:
    spec = BY_NAME.get(m.metric)
    name = spec.label if spec is not None and spec.label else m.metric
    return f"{name} {m.verdict.value}"


def _count_saved(m: MetricComparison, d: Decision) -> str:
    unit, tolerance = _text(d, "unit"), _number(d, "tolerance")
    low, high, limit = _number(d, "low"), _number(d, "high"), _number(d, "limit")
    allowed = f"{d.texts.get('knob', 'alloc_tolerance')} {tolerance * 100:.4g}%"
    runs = int(_number(d, "runs"))
    counted = "the saved run counted" if runs == 1 else f"all {runs} saved runs counted"
    if d.rule is Rule.COUNT_VARYING:
        why = (
            f"the saved runs vary by {_count(high - low)} {unit} ({_count(low)} to "
            f"{_count(high)}; threads?), so changes within that range are not counted"
            + (f", nor the {allowed}" if tolerance else "")
            + f": above {_count(limit)} {unit} counts as real"
        )
    elif tolerance:
        why = (
            f"{counted} {_count(high)} {unit}; counts are exact, so a rise "
            f"beyond the {allowed} (above {_count(limit)} {unit}) counts as real"
        )
    else:
        why = f"{counted} {_count(high)} {unit}; counts are exact, so any rise counts as real"
    delta = m.current - m.baseline
    return (
        f"{_label(m)}: {_count(m.baseline)} -> {_count(m.current)} {unit} "
        f"({'+' if delta >= 0 else '-'}{_count(abs(delta))}); {why}"
    )


def _memory_saved(m: MetricComparison, d: Decision) -> str:
    b, n, t0, lim = (
        x / MiB
        for x in (m.baseline, m.current, _number(d, "floor_bytes"), _number(d, "limit_bytes"))
    )
    return (
        f"{_label(m)}: {b:.4g} -> {n:.4g} MiB ({n - b:+.4g}); changes "
        f"beyond ±max({t0:.4g} MiB, {_number(d, 'share'):.0%}) = {lim:.4g} MiB count as real"
    )


def _count_paired(m: MetricComparison, d: Decision) -> str:
    unit, tolerance, grain = _text(d, "unit"), _number(d, "tolerance"), _number(d, "grain")
    spec = BY_NAME.get(m.metric)
    what = spec.grain if spec is not None and spec.grain else f"one {unit.removesuffix('/op')}"
    limit = d.numbers.get("limit", tolerance * m.baseline + grain / 2)  # recorded before 'limit'
    slack = f" plus {tolerance * 100:.4g}% of the base" if tolerance else ""
    parts = [f"half of {grain:.4g} B, the average allocation"] if m.metric == "bytes" else []
    if tolerance:
        parts.append(f"plus {tolerance * 100:.4g}% of {m.baseline:.6g} {unit}")
    numbers = f" ({', '.join(parts)})" if parts else ""
    return (
        f"{_label(m)}: {m.baseline:.6g} -> {m.current:.6g} {unit} "
        f"({m.current - m.baseline:+.6g}) against {_text(d, 'ref')} measured in this run; "
        f"a change counts as real when it is at least half {what} per op{slack}, since changed "
        "code does at least one more or fewer per call while a one-off in either side's "
        f"counting window adds only a fraction per op: here {limit:.4g} {unit} or more{numbers}"
    )


def _memory_paired(m: MetricComparison, d: Decision) -> str:
    return (
        f"{_label(m)}: {m.baseline / MiB:.4g} -> {m.current / MiB:.4g} MiB against "
        f"{_text(d, 'ref')} measured in this run; changes beyond "
        f"±max({_number(d, 'floor_bytes') / MiB:.4g} MiB, {_number(d, 'share'):.0%}) count as "
        "real"
    )


def _custom(m: MetricComparison, d: Decision) -> str:
    unit, how = d.texts.get("unit", ""), d.texts.get("how", "")
    against = f"{d.texts['ref']} measured in this run" if "ref" in d.texts else "the saved runs"
    head = f"{_label(m)}: {m.baseline:.6g} -> {m.current:.6g} {unit}".rstrip()
    head += f" against {against} ({d.texts.get('better', 'lower')} is better)"
    if how == "exact":
        return f"{head}; reported as exact: any move the worse way beyond them is real"
    if how == "tolerance":
        return f"{head}; a move the worse way beyond {_number(d, 'tolerance'):.2%} is real"
    return f"{head}; no tolerance given: shown only (perf.report(..., tolerance='5%') gates it)"


_METRIC_RULES = {
    Rule.CUSTOM: _custom,
    Rule.TIME_SAVED_RUNS: _time,
    Rule.TIME_FEW_RUNS: _time,
    Rule.TIME_PAIRED: _time_paired,
    Rule.COUNT_EXACT: _count_saved,
    Rule.COUNT_VARYING: _count_saved,
    Rule.COUNT_PAIRED: _count_paired,
    Rule.MEMORY_SAVED: _memory_saved,
    Rule.MEMORY_PAIRED: _memory_paired,
}


def reason_text(d: Decision) -> str:
    """A rule that needs no metric: why a benchmark has none, or a wording recorded earlier."""
    if d.rule is Rule.TIME_UNUSABLE:
        return "time not comparable: no usable time in the baseline or now"
    if d.rule is Rule.NO_BASELINE_ENTRY:  # with a REF: new in the working tree (A/B)
        ref = d.texts.get("ref")
        return "no baseline entry yet" if ref is None else f"not in {ref}: a new benchmark"
    if d.rule is Rule.NOT_MEASURED:
        return "in the baseline but not measured by this complete run"
    if d.rule is Rule.NO_BASE_MEASUREMENT:
        return f"{_text(d, 'ref')}: {d.texts.get('error') or 'too few pairs of rounds'}"
    if d.rule is Rule.NOT_PAIRED:
        return f"not paired with {_text(d, 'ref')}: {_text(d, 'why')}"
    if d.rule is Rule.RECORDED:
        return _text(d, "rule")
    raise ValueError(f"{d.rule.value}: a metric's rule; word it with rule_text")


def rule_text(m: MetricComparison) -> str:
    """The rule that decided a metric, in words a user can act on, with its caveats."""
    d = m.decision
    word = _METRIC_RULES.get(d.rule)
    text = reason_text(d) if word is None else word(m, d)
    plain = plain_sentence(m)
    if plain is not None:  # one plain sentence first, then the numbers
        text = f"{plain} {text}"
    if d.caveats:
        said = "; ".join(caveat_text(c) for c in d.caveats)
        text += f"; {said}: " + ("counts under strict" if d.counted else "advisory")
    return text


def comparison_notes(c: Comparison) -> tuple[str, ...]:
    """A benchmark's notes: why it has no metrics (when decided so), then remarks."""
    return c.notes if c.reason is None else (reason_text(c.reason), *c.notes)
