"""GitHub workflow-command annotations for failing regressions."""

from __future__ import annotations

from pytest_perfguard.model import (
    BenchResult,
    Comparison,
    Decision,
    Measurement,
    MetricComparison,
    Rule,
    Verdict,
)
from pytest_perfguard.report.github import annotations, escape_data, escape_property


def metric(
    verdict: Verdict = Verdict.REGRESSED, *, name: str = "time", advisory: bool = False
) -> MetricComparison:
    rule = Decision(Rule.RECORDED, texts={"rule": "the rule\nsecond line"})
    return MetricComparison(name, 1e6, 1.5e6, 0.5, (0.4, 0.6), 0.001, verdict, rule, 0.1, advisory)


def result(nodeid: str, location: tuple[str, int] | None) -> BenchResult:
    m = Measurement(1.5e6, 1e3, 10, 1, (1.5e6,), (), 1.0, 0.0)
    return BenchResult(nodeid, None, m, location=location)


def test_escaping_follows_githubs_rules_percent_first() -> None:
    assert escape_data("50%\r\nnext: a,b") == "50%25%0D%0Anext: a,b"
    assert escape_property("perfguard: t[a,b] 5%") == "perfguard%3A t[a%2Cb] 5%25"
    assert escape_property("%3A") == "%253A"  # a literal escape sequence stays literal


def test_one_error_per_failing_benchmark_pointing_at_the_test_function() -> None:
    failing = Comparison("tests/test_x.py::test_a[1,2]", None, Verdict.REGRESSED, (metric(),))
    lines = annotations([failing], [result(failing.nodeid, ("tests/test_x.py", 12))])
    assert lines == [
        "::error file=tests/test_x.py,line=12,title=perfguard%3A test_a[1%2C2] regressed::"
        "time/op regressed: 1.00 ms -> 1.50 ms (+50.0%25 [+40.0%25, +60.0%25], p=0.001)"
    ]  # GitHub decodes %25 back to %: a bare % could be read as the start of an escape


def test_advisory_improved_and_unchanged_benchmarks_are_not_annotated() -> None:
    comparisons = [
        Comparison("t.py::adv", None, Verdict.REGRESSED, (metric(advisory=True),)),
        Comparison("t.py::imp", None, Verdict.IMPROVED, (metric(Verdict.IMPROVED),)),
        Comparison("t.py::same", None, Verdict.UNCHANGED, (metric(Verdict.UNCHANGED),)),
        Comparison("t.py::new", None, Verdict.NEW),
    ]
    assert annotations(comparisons, [result(c.nodeid, ("t.py", 1)) for c in comparisons]) == []


def test_every_failing_metric_is_in_the_one_line_message_and_advisory_ones_are_not() -> None:
    metrics = (metric(), metric(name="allocs"), metric(name="memory", advisory=True))
    failing = Comparison("t.py::test_b", None, Verdict.REGRESSED, metrics)
    (line,) = annotations([failing], [result("t.py::test_b", ("t,1.py", 3))])
    assert line.startswith("::error file=t%2C1.py,line=3,title=perfguard%3A test_b regressed::")
    message = line.split("::", 2)[2]
    assert message.count("regressed") == 2 and "allocs/op regressed: 1e+06 -> 1.5e+06" in message
    assert "peak mem" not in message and "\n" not in line


def test_without_a_location_the_error_is_still_emitted_unanchored() -> None:
    failing = Comparison("t.py::test_c", None, Verdict.REGRESSED, (metric(),))
    (line,) = annotations([failing], [])
    assert line.startswith("::error title=perfguard%3A test_c regressed::time/op regressed")
