"""Allocation sites kept and compared: the diff, "where" on which regressions, the saved lines,
old files without sites, the JSON round trip and the --perf-profile text table."""

from __future__ import annotations

import pytest

from pytest_perfguard.judge.evidence import Evidence, concluded
from pytest_perfguard.judge.sites import SITES_KEPT, diff_sites
from pytest_perfguard.model import (
    NO_FRAME,
    AllocSite,
    Decision,
    MetricComparison,
    Rule,
    SiteChange,
    Verdict,
    Where,
)
from pytest_perfguard.report.sitetable import site_table
from pytest_perfguard.report.where import top_line, where_lines
from pytest_perfguard.store import baseline as storage
from pytest_perfguard.store.baseline import BaselineError
from pytest_perfguard.store.checks import Invalid
from pytest_perfguard.store.sitelines import parse_sites, site_line
from pytest_perfguard.store.verdictcodec import where_from_dict, where_to_dict

BASE = (
    AllocSite("lib.py", 10, "build", 3.0, 300.0),
    AllocSite("lib.py", 20, "helper", 1.0, 56.0),
    AllocSite("", 0, NO_FRAME, 0.5, 8.0),
)


def metric(name: str, verdict: Verdict) -> MetricComparison:
    return MetricComparison(name, 1.0, 2.0, 1.0, None, None, verdict, Decision(Rule.COUNT_EXACT))


def test_a_new_line_in_a_function_is_the_top_allocation_change() -> None:
    head = (*BASE[:2], AllocSite("lib.py", 21, "helper", 1.0, 64.0), BASE[2])
    by_allocs, by_bytes = diff_sites(BASE, head)
    assert by_allocs == (SiteChange("lib.py", 21, "helper", 0.0, 1.0, 0.0, 64.0),)
    assert by_bytes == by_allocs


def test_sites_match_by_function_when_an_edit_above_moves_their_lines() -> None:
    moved = tuple(AllocSite(s.file, s.line + 3 if s.line else 0, *_rest(s)) for s in BASE)
    bigger = (AllocSite("lib.py", 13, "build", 3.0, 65836.0), *moved[1:])
    by_allocs, by_bytes = diff_sites(BASE, bigger)
    assert by_allocs == ()  # the same allocations, lines moved: no change
    assert by_bytes == (SiteChange("lib.py", 13, "build", 3.0, 3.0, 300.0, 65836.0),)


def _rest(s: AllocSite) -> tuple[str, float, float]:
    return (s.function, s.allocs, s.nbytes)


def test_rises_and_falls_are_ranked_by_size_and_cut_at_top() -> None:
    base = tuple(AllocSite("m.py", i, f"f{i}", 1.0, 8.0) for i in range(1, 13))
    head = tuple(AllocSite("m.py", i, f"f{i}", 1.0 + i, 8.0) for i in range(1, 13))
    by_allocs, _ = diff_sites(base, head, top=10)
    assert [c.function for c in by_allocs] == [f"f{i}" for i in range(12, 2, -1)]


def test_against_a_saved_table_cut_at_15_sites_small_unknown_head_sites_are_left_out() -> None:
    base = tuple(AllocSite("m.py", i, f"f{i}", 100.0 - i, 8.0) for i in range(SITES_KEPT))
    small = AllocSite("m.py", 99, "maybe_cut", 1.0, 8.0)  # below base's least: maybe cut there
    large = AllocSite("m.py", 98, "new", 500.0, 8.0)
    by_allocs, _ = diff_sites(base, (*base, small, large), kept=SITES_KEPT)
    assert [c.function for c in by_allocs] == ["new"]
    by_allocs, _ = diff_sites(base, (*base, small, large))  # live: every site counts
    assert [c.function for c in by_allocs] == ["new", "maybe_cut"]


@pytest.mark.parametrize(
    ("name", "has_sites"),
    [("allocs", True), ("bytes", True), ("memory", True), ("objects", True), ("time", False)],
)
def test_where_names_sites_for_allocation_and_memory_regressions_only(
    name: str, has_sites: bool
) -> None:
    head = (*BASE, AllocSite("lib.py", 21, "helper", 1.0, 64.0))
    evidence = Evidence((object(),), "2026-01-01", sites=BASE, sites_kept=SITES_KEPT)
    comparison = concluded("t", None, evidence, [metric(name, Verdict.REGRESSED)], (), head)
    where = comparison.where
    assert (where is not None and bool(where.sites_by_allocs)) is has_sites


def test_no_regression_no_where() -> None:
    evidence = Evidence((object(),), "2026-01-01", sites=BASE)
    head = (*BASE, AllocSite("lib.py", 21, "helper", 1.0, 64.0))
    comparison = concluded("t", None, evidence, [metric("allocs", Verdict.IMPROVED)], (), head)
    assert comparison.where is None


def test_where_lines_and_the_annotation_name_the_site_and_its_line() -> None:
    change = SiteChange("lib.py", 21, "helper", 0.0, 1.0, 0.0, 65536.0)
    where = Where((), (), "REF (abc)", True, (change,), (change,))
    assert where_lines(where) == [
        "where (per op, profiled; base: REF (abc), measured in this run):",
        "  allocation sites, by allocs/op:",
        "    +1 allocs (0 -> 1) lib.py:21(helper)",
        "  allocation sites, by B/op:",
        "    +64.0 KiB (0 B -> 64.0 KiB) lib.py:21(helper)",
    ]
    assert top_line(where) == (
        "most changed allocs/op: +1 allocs (0 -> 1) lib.py:21(helper); "
        "most changed B/op: +64.0 KiB (0 B -> 64.0 KiB) lib.py:21(helper)"
    )


def test_where_with_sites_round_trips_through_json_and_old_documents_have_none() -> None:
    change = SiteChange("lib.py", 21, "helper", 0.0, 1.0, 0.0, 64.0)
    where = Where((), (), "base", False, (change,), ())
    assert where_from_dict(where_to_dict(where)) == where
    old = where_to_dict(where)
    del old["sites_by_allocs"], old["sites_by_bytes"]
    assert where_from_dict(old).sites_by_allocs == ()


def test_saved_site_lines_read_back_and_name_a_bad_one() -> None:
    lines = [site_line(s) for s in BASE]
    assert lines == [
        "3 allocs, 300 B: lib.py:10(build)",
        "1 allocs, 56 B: lib.py:20(helper)",
        "0.5 allocs, 8 B: <no Python frame>",
    ]
    assert parse_sites(lines, "x.sites") == BASE
    with pytest.raises(
        Invalid, match=r"expected '<allocs> allocs, <bytes> B\[, <objects> objects\]: file:"
    ) as info:
        parse_sites([lines[0], "3 allocs: lib.py:10(build)"], "x.sites")
    assert info.value.key == "x.sites[1]"


OLD = """schema_version = 1

[benchmarks."t.py::test_x"]
runs = [
    { timestamp = "2026-01-01T00:00:00+00:00", median_ns = 100.0, rounds = 5, loops = 10, \
allocs_per_op = 3.0, bytes_per_op = 300.0, profile = ["1 calls, 50 ns: t.py:1(test_x)"] },
]
"""


def test_a_baseline_saved_before_sites_loads_without_them() -> None:
    baseline = storage.loads(OLD, source="old.toml")
    run = baseline.entries["t.py::test_x"].runs[0]
    assert run.sites is None and run.allocs_per_op == 3.0


def test_a_bad_site_line_in_a_baseline_names_the_key() -> None:
    text = OLD.replace('(test_x)"] }', '(test_x)"], sites = ["three allocs: t.py:1(test_x)"] }')
    with pytest.raises(BaselineError, match=r'test_x"\.runs\[0\]\.sites\[0\]: expected'):
        storage.loads(text, source="old.toml")


def test_the_site_table_file_is_flat_text_with_shares() -> None:
    text = site_table("t.py::test_x", BASE)
    assert text.splitlines() == [
        "allocation sites of t.py::test_x, per op (the sites pass, by allocs/op)",
        "   allocs/op           B/op  share  site",
        "           3            300  66.7%  lib.py:10(build)",
        "           1             56  22.2%  lib.py:20(helper)",
        "         0.5              8  11.1%  <no Python frame>",
    ]
