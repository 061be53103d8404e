"""Objects created per site (Python 3.13+): the diff by objects/op, its words, the saved line,
the JSON round trips (older documents without objects load) and the text table's column. Pure:
runs on every Python."""

from __future__ import annotations

import json

import pytest

from pytest_perfguard.judge.evidence import Evidence, concluded
from pytest_perfguard.judge.sites import SITES_KEPT, diff_objects, diff_sites
from pytest_perfguard.model import (
    NO_FRAME,
    AllocSite,
    BenchResult,
    BenchSettings,
    Decision,
    Measurement,
    MetricComparison,
    Rule,
    SiteChange,
    Verdict,
    Where,
)
from pytest_perfguard.report.sitetable import site_table
from pytest_perfguard.report.sitewords import site_tables
from pytest_perfguard.report.where import top_line, where_lines
from pytest_perfguard.store.checks import Invalid
from pytest_perfguard.store.codec import result_from_dict, result_to_dict
from pytest_perfguard.store.sitelines import parse_sites, site_line
from pytest_perfguard.store.verdictcodec import where_from_dict, where_to_dict

BASE = (
    AllocSite("lib.py", 10, "build", 3.0, 300.0, 4.0),
    AllocSite("lib.py", 20, "helper", 0.0, 0.0, 1.0),
    AllocSite("", 0, NO_FRAME, 0.5, 8.0, 0.5),
)
# A `tag = []` added to helper: a free-list list, no allocator call, one more object.
HEAD = (BASE[0], BASE[1], AllocSite("lib.py", 21, "helper", 0.0, 0.0, 1.0), BASE[2])


def test_a_free_list_object_added_per_call_is_the_top_objects_change_only() -> None:
    assert diff_sites(BASE, HEAD) == ((), ())  # allocs and bytes unchanged
    (change,) = diff_objects(BASE, HEAD)
    assert change == SiteChange("lib.py", 21, "helper", 0, 0, 0, 0, 0.0, 1.0)


def test_objects_are_compared_only_when_both_sides_counted_them() -> None:
    old = tuple(AllocSite(s.file, s.line, s.function, s.allocs, s.nbytes) for s in BASE)
    assert diff_objects(old, HEAD) == ()
    assert diff_objects(HEAD, old) == ()
    by_allocs, _ = diff_sites(old, HEAD)
    assert all(c.base_objects is None and c.head_objects is None for c in by_allocs)


def test_against_a_cut_saved_table_a_head_site_making_more_objects_than_the_least_is_kept() -> None:
    base = tuple(AllocSite("lib.py", i, f"f{i}", 10.0 + i, 0.0, 2.0) for i in range(SITES_KEPT))
    small = AllocSite("new.py", 1, "small", 0.0, 0.0, 1.0)  # may be one the cut left out
    large = AllocSite("new.py", 9, "large", 0.0, 0.0, 3.0)
    names = [c.function for c in diff_objects(base, (*base, small, large), kept=SITES_KEPT)]
    assert names == ["large"]
    names = [c.function for c in diff_objects(base, (*base, small, large))]
    assert names == ["large", "small"]


def test_an_objects_regression_names_the_site_in_where() -> None:
    objects = MetricComparison(
        "objects", 1.0, 2.0, 1.0, None, None, Verdict.REGRESSED, Decision(Rule.COUNT_EXACT)
    )
    evidence = Evidence((object(),), "2026-01-01", sites=BASE, sites_kept=SITES_KEPT)
    where = concluded("t", None, evidence, [objects], (), HEAD).where
    assert where is not None
    assert [c.function for c in where.sites_by_objects] == ["helper"]
    lines = where_lines(where)
    i = lines.index("  allocation sites, by objects/op:")
    assert lines[i + 1] == "    +1 objects (0 -> 1) lib.py:21(helper)"
    assert "most changed objects/op: +1 objects (0 -> 1) lib.py:21(helper)" in top_line(where)
    assert tuple(header for header, _ in site_tables(where)) == (
        ["allocation site", "objects/op base", "now", "change"],
    )


def test_where_with_objects_round_trips_through_json_and_old_documents_have_none() -> None:
    change = SiteChange("lib.py", 21, "helper", 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)
    where = Where((), (), "base", False, (), (), (change,))
    assert where_from_dict(json.loads(json.dumps(where_to_dict(where)))) == where
    old = where_to_dict(where)
    del old["sites_by_objects"]
    assert where_from_dict(old).sites_by_objects == ()
    old_change = where_to_dict(Where((), (), "b", False, (change,)))["sites_by_allocs"][0]
    del old_change["base_objects"], old_change["head_objects"]
    old_where = {"base": "b", "by_time": [], "by_calls": [], "sites_by_allocs": [old_change]}
    assert where_from_dict(old_where).sites_by_allocs[0].head_objects is None


def test_saved_lines_carry_objects_only_where_counted_and_old_lines_load() -> None:
    lines = [site_line(s) for s in BASE]
    assert lines == [
        "3 allocs, 300 B, 4 objects: lib.py:10(build)",
        "0 allocs, 0 B, 1 objects: lib.py:20(helper)",
        "0.5 allocs, 8 B, 0.5 objects: <no Python frame>",
    ]
    assert parse_sites(lines, "x.sites") == BASE
    old = AllocSite("lib.py", 10, "build", 3.0, 300.0)
    assert site_line(old) == "3 allocs, 300 B: lib.py:10(build)"
    assert parse_sites(["3 allocs, 300 B: lib.py:10(build)"], "x.sites") == (old,)
    with pytest.raises(Invalid, match="objects") as info:
        parse_sites([lines[0], "3 allocs, 300 B, -1 objects: lib.py:10(build)"], "x.sites")
    assert info.value.key == "x.sites[1]"


def _result(sites: tuple[AllocSite, ...]) -> BenchResult:
    measurement = Measurement(
        median_ns=12.5,
        spread_ns=0.5,
        rounds=3,
        loops=7,
        samples_ns=(12.0, 12.5, 13.0),
        ref_ratios=(0.1, 0.2, 0.3),
        reference_ns=100.0,
        gc_collections_per_op=0.01,
        allocs_per_op=2.0,
        bytes_per_op=64.0,
        retained_blocks_per_op=0.0,
        peak_memory_bytes=4096,
        peak_memory_exact=False,
        sites=sites,
    )
    return BenchResult("t.py::test", None, measurement, BenchSettings(), location=("t.py", 3))


def test_results_with_site_objects_round_trip_and_older_results_without_them_load() -> None:
    result = _result(BASE)
    assert result_from_dict(json.loads(json.dumps(result_to_dict(result)))) == result
    data = json.loads(json.dumps(result_to_dict(result)))
    for site in data["measurement"]["sites"]:
        del site["objects"]
    loaded = result_from_dict(data)
    assert [s.objects for s in loaded.measurement.sites] == [None, None, None]


def test_the_site_table_file_has_an_objects_column_only_where_counted() -> None:
    text = site_table("t.py::test_x", BASE)
    assert text.splitlines()[1].split() == ["allocs/op", "B/op", "objects/op", "share", "site"]
    assert text.splitlines()[3].split() == ["0", "0", "1", "0.0%", "lib.py:20(helper)"]
    old = tuple(AllocSite(s.file, s.line, s.function, s.allocs, s.nbytes) for s in BASE)
    assert "objects" not in site_table("t.py::test_x", old)
