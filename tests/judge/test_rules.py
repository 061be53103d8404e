"""Decisions: the judge returns kinds and numbers, report/rules.py words every one of them,
and the JSON results carry both the words and the decision to word them again."""

from __future__ import annotations

import ast
import dataclasses
import json
import math
from pathlib import Path

import pytest

from pytest_perfguard.judge.budgets import Budget, BudgetBreach
from pytest_perfguard.judge.policy import MiB, Observation, Policy
from pytest_perfguard.judge.verdict import compare_all, compare_benchmark
from pytest_perfguard.model import (
    Baseline,
    BaselineEntry,
    BenchResult,
    Caveat,
    CaveatKind,
    Comparison,
    Decision,
    Fingerprint,
    Measurement,
    MetricComparison,
    Rule,
    RunSummary,
    Verdict,
)
from pytest_perfguard.report.json import (
    ResultsError,
    parse_results,
    render_json,
    results_document,
)
from pytest_perfguard.report.plain import plain_sentence
from pytest_perfguard.report.rules import (
    budget_text,
    caveat_text,
    comparison_notes,
    rule_text,
    unchecked_text,
)
from tests.fakes import CONFTEST

PACKAGE = Path(__file__).resolve().parent.parent.parent / "pytest_perfguard"
FP = Fingerprint("CPython", "3.12.1", "Linux", "x86_64", "CPU A", 2, "0.1", "test-machine")

SAVED = {"runs": 5, "alpha": 0.05, "family": 7, "sd": 0.123, "min_effect": 0.1, "tries": 2,
         "df": 11.5, "prior_n": 40, "prior_d0": 6.25}  # fmt: skip
FEW = {"runs": 2, "alpha": 0.05, "family": 7, "min_runs": 3, "bar": 0.5, "drift": 0.5,
       "within_p": 0.0123}  # fmt: skip
PAIRED = {"pairs": 40, "process_sd": 0.02, "min_effect": 0.03, "bias_floor": 0.05,
          "alpha": 0.05, "family": 3}  # fmt: skip
COUNT = {"runs": 5, "low": 117.0, "high": 120.0, "tolerance": 0.05, "limit": 129.0}
SAMPLES: dict[Rule, tuple[str, Decision, str]] = {
    # rule kind: (metric, decision, a piece of the wording that shows its numbers were used)
    Rule.TIME_UNUSABLE: ("time", Decision(Rule.TIME_UNUSABLE), "no usable time"),
    Rule.TIME_SAVED_RUNS: (
        "time",
        Decision(
            Rule.TIME_SAVED_RUNS,
            SAVED,
            {"scale": "ref", "correction": "Holm", "prior": "moderated", "floor": "known"},
        ),
        "vs 5 saved runs with run-to-run sd 12.3% (the drift floor, taken as known",
    ),
    Rule.TIME_FEW_RUNS: (
        "time",
        Decision(Rule.TIME_FEW_RUNS, FEW, {"scale": "raw", "correction": "Bonferroni"}),
        "only 2 saved run(s), 3 needed",
    ),
    Rule.TIME_PAIRED: (
        "time",
        Decision(Rule.TIME_PAIRED, PAIRED, {"ref": "main (1a2b)", "correction": "Bonferroni"}),
        "fails beyond 5.0% (the A/A process bias floor, over the 3.0% minimum effect)",
    ),
    Rule.COUNT_EXACT: (
        "calls",  # a count the rules do not know by name: worded by its own
        Decision(Rule.COUNT_EXACT, COUNT, {"unit": "calls/op"}),
        "calls regressed: 120 -> 130 calls/op (+10); all 5 saved runs counted 120 calls/op",
    ),
    Rule.COUNT_VARYING: (
        "allocs",
        Decision(Rule.COUNT_VARYING, COUNT, {"unit": "allocs/op"}),
        "the saved runs vary by 3 allocs/op (117 to 120; threads?)",
    ),
    Rule.COUNT_PAIRED: (
        "bytes",
        Decision(
            Rule.COUNT_PAIRED, {"grain": 64.0, "tolerance": 0.0}, {"unit": "B/op", "ref": "v1"}
        ),
        "against v1 measured in this run; a change counts as real when it is at least half an "
        "average allocation's bytes per op, since changed code does at least one more or fewer "
        "per call while a one-off in either side's counting window adds only a fraction per op: "
        "here 32 B/op or more (half of 64 B, the average allocation)",
    ),
    Rule.MEMORY_SAVED: (
        "memory",
        Decision(Rule.MEMORY_SAVED, {"floor_bytes": 4 * MiB, "share": 0.1, "limit_bytes": 5 * MiB}),
        "changes beyond ±max(4 MiB, 10%) = 5 MiB count as real",
    ),
    Rule.MEMORY_PAIRED: (
        "memory",
        Decision(Rule.MEMORY_PAIRED, {"floor_bytes": 4 * MiB, "share": 0.1}, {"ref": "v1"}),
        "against v1 measured in this run; changes beyond ±max(4 MiB, 10%)",
    ),
    Rule.CUSTOM: (
        "hit_rate",
        Decision(
            Rule.CUSTOM,
            {"runs": 3, "limit": 114.0, "tolerance": 0.05},
            {"unit": "hits", "better": "lower", "how": "tolerance"},
        ),
        "hit_rate regressed: 120 -> 130 hits against the saved runs (lower is better); a move "
        "the worse way beyond 5.00% is real",
    ),
    Rule.NO_BASELINE_ENTRY: ("", Decision(Rule.NO_BASELINE_ENTRY), "no baseline entry yet"),
    Rule.NOT_MEASURED: ("", Decision(Rule.NOT_MEASURED), "not measured by this complete run"),
    Rule.NO_BASE_MEASUREMENT: (
        "",
        Decision(Rule.NO_BASE_MEASUREMENT, texts={"ref": "v1", "error": "the base test failed"}),
        "v1: the base test failed",
    ),
    Rule.NOT_PAIRED: (
        "",
        Decision(Rule.NOT_PAIRED, texts={"ref": "v1", "why": "an exact schedule"}),
        "not paired with v1: an exact schedule",
    ),
    Rule.RECORDED: ("time", Decision(Rule.RECORDED, texts={"rule": "as it was"}), "as it was"),
}
CAVEATS = {
    CaveatKind.ENVIRONMENT: (
        Caveat(CaveatKind.ENVIRONMENT, texts={"what": "cpu_model", "old": "A", "new": "B"}),
        "CPU: A -> B",
    ),
    CaveatKind.NO_ENVIRONMENT: (
        Caveat(CaveatKind.NO_ENVIRONMENT),
        "the compared run records no environment",
    ),
    CaveatKind.INTERPRETER: (
        Caveat(CaveatKind.INTERPRETER, texts={"old": "3.11", "now": "3.12"}),
        "counts differ between interpreters: baseline Python 3.11, now 3.12",
    ),
    CaveatKind.BUSY: (
        Caveat(CaveatKind.BUSY, {"share": 0.6}),
        "other processes took 60% of the machine while it was timed",
    ),
    CaveatKind.TRACER: (
        Caveat(CaveatKind.TRACER, texts={"tracers": "coverage"}),
        "a tracer/profiler was active while measuring (coverage)",
    ),
    CaveatKind.AB_TRACER: (
        Caveat(CaveatKind.AB_TRACER, texts={"tracers": "coverage"}),
        "a tracer/profiler was active (coverage)",
    ),
    CaveatKind.HOSTED_CI: (
        Caveat(CaveatKind.HOSTED_CI, texts={"service": "GitHub Actions"}),
        "a GitHub Actions job with no machine named",
    ),
    CaveatKind.AB_PROCESSES: (
        Caveat(CaveatKind.AB_PROCESSES),
        "one process per side cannot tell a real change",
    ),
}


def sample(kind: Rule) -> MetricComparison:
    metric, decision, _ = SAMPLES[kind]
    return MetricComparison(metric or "time", 120.0, 130.0, 1 / 12, None, 0.001,
                            Verdict.REGRESSED, decision, 0.2)  # fmt: skip


@pytest.mark.parametrize("kind", list(Rule))
def test_every_rule_kind_is_worded_from_its_numbers(kind: Rule) -> None:
    text = rule_text(sample(kind))
    assert SAMPLES[kind][2] in text
    assert "nan" not in text and "{" not in text


def test_moderation_is_worded_without_degrees_of_freedom() -> None:
    # Was "moderated over 40 benchmarks (prior df 6.25, t on 11.5 df)".
    text = rule_text(sample(Rule.TIME_SAVED_RUNS))
    assert "that sd estimated together with the suite's 40 benchmarks" in text
    assert "weighs as much as 6.2 more saved runs" in text
    assert " df" not in text and "moderated" not in text


def test_a_paired_count_says_its_rule_in_words_then_the_limit() -> None:
    # Was "a change of half 1 allocs/op or more counts" / "half 64.01 B/op": garbled.
    from pytest_perfguard.judge.ab import _count_metric

    allocs = _count_metric("allocs", "allocs/op", 6.0, 7.0, 0.0, "v1", 1.0)
    nbytes = _count_metric("bytes", "B/op", 640.1, 704.11, 0.1, "v1", 64.01)
    assert allocs is not None and nbytes is not None
    text = rule_text(allocs)
    assert "half" in text and "half 1" not in text
    assert "at least half an allocation per op" in text
    assert text.endswith("here 0.5 allocs/op or more")
    text = rule_text(nbytes)
    assert "half 64.01" not in text
    assert "at least half an average allocation's bytes per op plus 10% of the base" in text
    assert text.endswith(
        "here 96.02 B/op or more (half of 64.01 B, the average allocation, plus 10% of 640.1 B/op)"
    )


@pytest.mark.parametrize("kind", list(CaveatKind))
def test_every_caveat_is_worded_and_says_whether_it_counts(kind: CaveatKind) -> None:
    caveat, words = CAVEATS[kind]
    assert words in caveat_text(caveat)
    m = sample(Rule.COUNT_EXACT)
    advisory = dataclasses.replace(m, decision=dataclasses.replace(m.decision, caveats=(caveat,)))
    assert rule_text(advisory).endswith(f"; {caveat_text(caveat)}: advisory")
    counted = dataclasses.replace(advisory.decision, counted=True)
    assert rule_text(dataclasses.replace(m, decision=counted)).endswith(": counts under strict")


@pytest.mark.parametrize("budget", list(Budget))
def test_every_budget_is_worded(budget: Budget) -> None:
    breach = BudgetBreach(budget, 3e6, 2e6, 10, 100)
    assert budget_text(breach).startswith(f"{budget.value} exceeded: ")
    assert unchecked_text(budget).startswith(f"{budget.value} not checked: ")


def test_a_decision_missing_a_number_it_needs_says_which() -> None:
    m = dataclasses.replace(sample(Rule.TIME_PAIRED), decision=Decision(Rule.TIME_PAIRED))
    with pytest.raises(ValueError, match="time_paired: no number 'min_effect'"):
        rule_text(m)


def test_the_judge_imports_nothing_from_report() -> None:
    found = []
    for path in sorted((PACKAGE / "judge").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found += [f"{path.name}: {n}" for n in names if "report" in n.split(".")]
    assert found == []


def entry(nodeid: str, median: float, allocs: float | None, python: str = "3.12") -> BaselineEntry:
    runs = tuple(
        RunSummary(f"2026-01-0{i + 1}T00:00:00+00:00", median * (1 + i / 100), 1.0, 1000.0, 20,
                   200, allocs, 64.0, 10 * MiB)
        for i in range(5)
    )  # fmt: skip
    return BaselineEntry(nodeid, None, runs, python, "test-machine")


def measured(median: float, **fields: object) -> Measurement:
    base: dict[str, object] = {
        "median_ns": median,
        "spread_ns": 1.0,
        "rounds": 10,
        "loops": 100,
        "samples_ns": (median,) * 10,
        "ref_ratios": (),
        "reference_ns": 1.0,
        "gc_collections_per_op": 0.0,
        "allocs_per_op": 3.0,
        "bytes_per_op": 64.0,
        "peak_memory_bytes": 30 * MiB,
    }
    base.update(fields)
    return Measurement(**base)  # type: ignore[arg-type]


def judged() -> list[Comparison]:
    """Every kind of caveat the stored-baseline judge gives, and both whole-benchmark reasons."""
    baseline = Baseline(
        FP,
        {
            "t.py::slow": entry("t.py::slow", 1000.0, 2.0, python="3.11"),
            "t.py::gone": entry("t.py::gone", 1000.0, 2.0),
        },
    )
    now = dataclasses.replace(FP, cpu_model="CPU B")
    results = [
        BenchResult("t.py::slow", None, measured(3000.0, others_cpu=0.6, tracers=("coverage",))),
        BenchResult("t.py::new", None, measured(10.0)),
    ]
    return compare_all(baseline, results, now, Policy(), suite_complete=True)


def test_the_judges_decisions_carry_names_and_numbers_not_prose() -> None:
    comparisons = judged()
    assert [c.verdict for c in comparisons] == [Verdict.REGRESSED, Verdict.NEW, Verdict.MISSING]
    decisions = [m.decision for c in comparisons for m in c.metrics]
    decisions += [c.reason for c in comparisons if c.reason is not None]
    assert {d.rule for d in decisions} == {
        Rule.TIME_SAVED_RUNS, Rule.COUNT_EXACT, Rule.MEMORY_SAVED, Rule.NO_BASELINE_ENTRY,
        Rule.NOT_MEASURED,
    }  # fmt: skip
    caveats = [c for d in decisions for c in d.caveats]
    assert {c.kind for c in caveats} == {
        CaveatKind.ENVIRONMENT, CaveatKind.BUSY, CaveatKind.TRACER, CaveatKind.INTERPRETER,
    }  # fmt: skip
    texts = {t for d in (*decisions, *caveats) for t in d.texts.values()}
    # Only names: the scale, the correction, units, and values taken from the input as they are.
    given = {"CPU A", "CPU B", "3.11", "3.12", "coverage", "cpu_model", "python_version"}
    names = {"raw", "ref", "Holm", "moderated", "not moderated", "known", "assumed"}
    knobs = {"alloc_tolerance", "calls_tolerance"}
    assert texts <= {*names, *knobs, "allocs/op", "B/op", "calls/op", *given}
    assert all(c.notes == () for c in comparisons)


def test_compare_benchmark_without_an_entry_decides_new_with_a_reason() -> None:
    c = compare_benchmark(None, Observation(1.0), Policy())
    assert c.reason == Decision(Rule.NO_BASELINE_ENTRY)
    assert comparison_notes(c) == ("no baseline entry yet",)


def document(comparisons: list[Comparison]) -> dict[str, object]:
    results = [BenchResult(c.nodeid, None, measured(3000.0)) for c in comparisons]
    return results_document(
        results, {c.nodeid: c for c in comparisons}, FP, {}, "2026-01-01T00:00:00+00:00"
    )


def test_decisions_round_trip_through_the_json_results() -> None:
    comparisons = [c for c in judged() if c.verdict is not Verdict.MISSING]
    reason = SAMPLES[Rule.NO_BASE_MEASUREMENT][1]
    metrics = (sample(Rule.TIME_PAIRED),)
    paired = Comparison("t.py::ab", None, Verdict.REGRESSED, metrics, ("a remark",), reason)
    comparisons.append(paired)
    text = render_json(document(comparisons))
    raw = json.loads(text)
    for bench, c in zip(raw["benchmarks"], comparisons, strict=True):
        written = bench["comparison"]
        assert [m["rule"] for m in written["metrics"]] == [rule_text(m) for m in c.metrics]
        assert written["notes"] == list(comparison_notes(c))
    read = parse_results(text, source="out.json").comparisons
    assert list(read.values()) == comparisons
    for bench in raw["benchmarks"]:
        metrics = read[bench["nodeid"]].metrics
        for m, again in zip(bench["comparison"]["metrics"], metrics, strict=True):
            assert rule_text(again) == m["rule"]  # the decision words the rule again


def test_non_finite_numbers_survive_the_json_results() -> None:
    m = sample(Rule.COUNT_EXACT)
    numbers = {**m.decision.numbers, "limit": math.inf, "low": -math.inf}
    odd = dataclasses.replace(m, decision=dataclasses.replace(m.decision, numbers=numbers))
    c = Comparison("t.py::odd", None, Verdict.REGRESSED, (odd,))
    read = parse_results(render_json(document([c])), source="x").comparisons["t.py::odd"]
    assert read.metrics[0].decision.numbers == numbers


def test_results_written_before_decisions_read_with_their_recorded_rule() -> None:
    raw = json.loads(render_json(document([c for c in judged() if c.verdict is Verdict.REGRESSED])))
    old = raw["benchmarks"][0]["comparison"]
    for m in old["metrics"]:
        del m["decision"]
    del old["reason"]
    read = parse_results(json.dumps(raw), source="old.json").comparisons["t.py::slow"]
    assert {m.decision.rule for m in read.metrics} == {Rule.RECORDED}
    assert [rule_text(m) for m in read.metrics] == [m["rule"] for m in old["metrics"]]
    assert read.metrics[0].decision.numbers == {}


def test_a_broken_decision_in_results_names_where(tmp_path: Path) -> None:
    raw = json.loads(render_json(document([c for c in judged() if c.verdict is Verdict.NEW])))
    raw["benchmarks"][0]["comparison"]["reason"]["kind"] = "guess"
    with pytest.raises(ResultsError, match=r"bad\.json: benchmarks\[0\]\.comparison: .*'guess'"):
        parse_results(json.dumps(raw), source="bad.json")
    raw = json.loads(render_json(document([c for c in judged() if c.verdict is Verdict.REGRESSED])))
    del raw["benchmarks"][0]["comparison"]["metrics"][0]["decision"]["numbers"]["alpha"]
    with pytest.raises(
        ResultsError, match=r"benchmarks\[0\]\.comparison: time_saved_runs: no number 'alpha'"
    ):
        parse_results(json.dumps(raw), source="bad.json")


def test_the_json_results_of_a_run_carry_rule_and_decision(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        from conftest import tick

        def test_steady(perf):
            perf(tick, 1000)
        """
    )
    flags = ("--perf-max-time=0.01", "-p", "no:cacheprovider", "--perf-json", "out.json")
    pytester.runpytest(*flags, "--perf-save").assert_outcomes(passed=1)
    pytester.runpytest(*flags, "--perf-compare").assert_outcomes(passed=1)
    text = (pytester.path / "out.json").read_text()
    (bench,) = json.loads(text)["benchmarks"]
    time = bench["comparison"]["metrics"][0]
    assert time["rule"].startswith("No change in time that this run can tell. time unchanged ")
    assert time["decision"]["kind"] == "time_few_runs"
    assert time["decision"]["numbers"]["runs"] == 1
    (again,) = parse_results(text, source="out.json").comparisons.values()
    assert rule_text(again.metrics[0]) == time["rule"]


def _metric(
    name: str, rule: Rule, verdict: Verdict, change: float = 0.0, ref: str | None = None
) -> MetricComparison:
    texts = {} if ref is None else {"ref": ref}
    return MetricComparison(name, 100.0, 100.0 * (1 + change), change, None, None, verdict,
                            Decision(rule, {}, texts), 0.08)  # fmt: skip


@pytest.mark.parametrize(
    ("metric", "said"),
    [
        (
            _metric("time", Rule.TIME_SAVED_RUNS, Verdict.REGRESSED, 0.12),
            "Slower by 12.0%, more than the variation between the saved runs explains.",
        ),
        (
            _metric("time", Rule.TIME_PAIRED, Verdict.IMPROVED, -0.05),
            "Faster by 5.0%, more than the difference between two processes of the same code "
            "explains.",
        ),
        (
            _metric("time", Rule.TIME_FEW_RUNS, Verdict.INCONCLUSIVE, 0.04),
            "4.0% slower, but not clearly enough to tell from what few saved runs can show of the "
            "run-to-run variation (it detects 8.0% or more).",
        ),
        (
            _metric("time", Rule.TIME_SAVED_RUNS, Verdict.UNCHANGED),
            "No change in time that this run can tell.",
        ),
        (
            _metric("allocs", Rule.COUNT_EXACT, Verdict.REGRESSED, 0.01),
            "More allocations per op than the saved runs: the code does more, not noise.",
        ),
        (
            _metric("calls", Rule.COUNT_VARYING, Verdict.REGRESSED, 0.5),
            "More function calls per op than the saved runs ever counted, beyond their range.",
        ),
        (
            _metric("bytes", Rule.COUNT_PAIRED, Verdict.IMPROVED, -0.5, ref="main (abc)"),
            "Fewer allocated bytes per op than main (abc).",
        ),
        (
            _metric("objects", Rule.COUNT_PAIRED, Verdict.UNCHANGED, ref="main (abc)"),
            "The same objects created per op as main (abc), as far as the rule allows.",
        ),
        (
            _metric("memory", Rule.MEMORY_SAVED, Verdict.REGRESSED, 0.5),
            "Peak memory grew beyond its margin.",
        ),
    ],
)
def test_every_metric_rule_has_a_plain_first_sentence(metric: MetricComparison, said: str) -> None:
    # rule_text puts it first (the plugin, CLI and README tests show it there, numbers after).
    assert plain_sentence(metric) == said
