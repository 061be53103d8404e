"""Comparisons <-> plain dicts of JSON types: their metrics, decisions, caveats and "where".

The verdict side of the codec (codec.py holds measurements, settings and results).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_perfguard.model import (
    Caveat,
    CaveatKind,
    Comparison,
    Decision,
    FunctionChange,
    MetricComparison,
    Rule,
    Verdict,
    Where,
)
from pytest_perfguard.store.sitedicts import changes_from_dicts, changes_to_dicts


def _number(name: str, value: object) -> float:
    """A number as written, or as JSON had to write it (null: NaN; "inf", "-inf")."""
    if value is None:
        return math.nan
    if isinstance(value, str) and value in ("inf", "-inf"):
        return float(value)
    if type(value) not in (int, float):
        raise ValueError(f"{name}: expected a number, got {value!r}")
    return value  # type: ignore[return-value]


def _facts(name: str, d: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, str]]:
    numbers, texts = d.get("numbers", {}), d.get("texts", {})
    if not isinstance(numbers, dict) or not isinstance(texts, dict):
        raise ValueError(f"{name}: numbers and texts must be objects")
    if not all(isinstance(v, str) for v in texts.values()):
        raise ValueError(f"{name}.texts: expected strings")
    return {str(k): _number(f"{name}.numbers.{k}", v) for k, v in numbers.items()}, texts


def _caveat_to_dict(c: Caveat) -> dict[str, Any]:
    return {"kind": c.kind.value, "numbers": dict(c.numbers), "texts": dict(c.texts)}


def decision_to_dict(d: Decision) -> dict[str, Any]:
    """The rule's kind and the numbers (and names) it used: enough to word it again."""
    return {
        "kind": d.rule.value,
        "numbers": dict(d.numbers),
        "texts": dict(d.texts),
        "caveats": [_caveat_to_dict(c) for c in d.caveats],
        "counted": d.counted,
    }


def decision_from_dict(d: Mapping[str, Any]) -> Decision:
    """A decision as decision_to_dict wrote it; ValueError names a bad kind or value."""
    kinds = {r.value: r for r in Rule}
    if d.get("kind") not in kinds:
        raise ValueError(f"decision.kind: unknown rule {d.get('kind')!r}")
    caveats = []
    for i, raw in enumerate(d.get("caveats", ())):
        try:
            kind = CaveatKind(raw["kind"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"decision.caveats[{i}]: unknown caveat {raw!r}") from None
        caveats.append(Caveat(kind, *_facts(f"decision.caveats[{i}]", raw)))
    numbers, texts = _facts("decision", d)
    return Decision(kinds[d["kind"]], numbers, texts, tuple(caveats), d.get("counted") is True)


def metric_to_dict(m: MetricComparison, rule: str | None = None) -> dict[str, Any]:
    """The metric, with `rule` (the decision in words, from report/rules.py) when given."""
    return {
        "metric": m.metric,
        "baseline": m.baseline,
        "current": m.current,
        "change": m.change,
        "interval": None if m.interval is None else list(m.interval),
        "p_value": m.p_value,
        "verdict": m.verdict.value,
        **({"rule": rule} if rule is not None else {}),
        "decision": decision_to_dict(m.decision),
        "detectable": m.detectable,
        "advisory": m.advisory,
    }


def metric_from_dict(d: Mapping[str, Any]) -> MetricComparison:
    """A metric; one written before decisions were stored (only `rule`) gets a RECORDED
    decision holding that wording, so it reads and reports as it did."""
    interval = d["interval"]
    raw = d.get("decision")
    if raw is not None:
        decision = decision_from_dict(raw)
    else:
        decision = Decision(Rule.RECORDED, texts={"rule": d["rule"]})
    return MetricComparison(
        metric=d["metric"],
        baseline=_number("baseline", d["baseline"]),
        current=_number("current", d["current"]),
        change=_number("change", d["change"]),
        interval=None if interval is None else (interval[0], interval[1]),
        p_value=d["p_value"],
        verdict=Verdict(d["verdict"]),
        decision=decision,
        detectable=None if d["detectable"] is None else _number("detectable", d["detectable"]),
        advisory=d["advisory"],
    )


def comparison_to_dict(
    c: Comparison, rules: Sequence[str] | None = None, notes: Sequence[str] | None = None
) -> dict[str, Any]:
    """The comparison; `rules` (one per metric) and `notes` (the reason worded, then the
    notes) are the words of report/rules.py, for documents people read."""
    worded = rules if rules is not None else [None] * len(c.metrics)
    return {
        "nodeid": c.nodeid,
        "group": c.group,
        "verdict": c.verdict.value,
        "metrics": [metric_to_dict(m, r) for m, r in zip(c.metrics, worded, strict=True)],
        "notes": list(c.notes if notes is None else notes),
        "reason": None if c.reason is None else decision_to_dict(c.reason),
        "where": None if c.where is None else where_to_dict(c.where),
    }


def _change_to_dict(f: FunctionChange) -> dict[str, Any]:
    return {
        "file": f.file,
        "line": f.line,
        "function": f.function,
        "base_calls_per_op": f.base_calls,
        "head_calls_per_op": f.head_calls,
        "base_own_ns": f.base_own_ns,
        "head_own_ns": f.head_own_ns,
    }


def _change_from_dict(d: Mapping[str, Any]) -> FunctionChange:
    return FunctionChange(
        d["file"],
        d["line"],
        d["function"],
        d["base_calls_per_op"],
        d["head_calls_per_op"],
        d["base_own_ns"],
        d["head_own_ns"],
    )


def where_to_dict(w: Where) -> dict[str, Any]:
    return {
        "base": w.base,
        "live": w.live,
        "by_time": [_change_to_dict(f) for f in w.by_time],
        "by_calls": [_change_to_dict(f) for f in w.by_calls],
        "sites_by_allocs": changes_to_dicts(w.sites_by_allocs),
        "sites_by_bytes": changes_to_dicts(w.sites_by_bytes),
        "sites_by_objects": changes_to_dicts(w.sites_by_objects),
    }


def where_from_dict(d: Mapping[str, Any]) -> Where:
    return Where(
        by_time=tuple(_change_from_dict(f) for f in d["by_time"]),
        by_calls=tuple(_change_from_dict(f) for f in d["by_calls"]),
        base=d["base"],
        live=bool(d.get("live", False)),
        sites_by_allocs=changes_from_dicts(d.get("sites_by_allocs", ())),
        sites_by_bytes=changes_from_dicts(d.get("sites_by_bytes", ())),
        sites_by_objects=changes_from_dicts(d.get("sites_by_objects", ())),
    )


def comparison_from_dict(d: Mapping[str, Any]) -> Comparison:
    """As comparison_to_dict wrote it without words: `notes` are the comparison's own."""
    reason = d.get("reason")
    return Comparison(
        nodeid=d["nodeid"],
        group=d["group"],
        verdict=Verdict(d["verdict"]),
        metrics=tuple(metric_from_dict(m) for m in d["metrics"]),
        notes=tuple(d["notes"]),
        reason=None if reason is None else decision_from_dict(reason),
        where=None if d.get("where") is None else where_from_dict(d["where"]),
    )
