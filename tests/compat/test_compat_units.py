"""The pure compat layer: stats, the option and marker mapping, pytest-benchmark's file."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pytest_perfguard.compat import document
from pytest_perfguard.compat.marker import perf_keywords
from pytest_perfguard.compat.stats import FIELDS, Metadata, NodeInfo, Stats
from pytest_perfguard.compat.translate import translate
from pytest_perfguard.config.settings import SettingsError
from pytest_perfguard.measure.timing import summarize
from pytest_perfguard.model import BenchResult


@pytest.mark.parametrize(
    ("data", "q1", "q3"),
    [
        ([1.0], 1.0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 1.5, 3.5),  # even: medians of the halves
        ([1.0, 2.0, 3.0, 4.0, 5.0], 1.75, 4.25),  # 4k+1
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 2.25, 5.75),  # 4k+3
    ],
)
def test_quartiles_by_pytest_benchmarks_methods(data: list[float], q1: float, q3: float) -> None:
    stats = Stats(list(reversed(data)))
    assert (stats.q1, stats.q3, stats.iqr) == (q1, q3, q3 - q1)


def test_the_other_fields() -> None:
    stats = Stats([1.0, 2.0, 3.0, 4.0, 100.0])
    assert (stats.min, stats.max, stats.median, stats.rounds) == (1.0, 100.0, 3.0, 5)
    assert stats.total == 110.0 and stats.mean == 22.0
    assert stats.ops == pytest.approx(5 / 110)
    assert stats.iqr_outliers == 1 and stats.hd15iqr == 4.0 and stats.ld15iqr == 1.0
    assert stats.outliers == f"{stats.stddev_outliers};1"
    assert set(stats.as_dict()) == set(FIELDS)
    assert Stats([2.0]).stddev == 0


def test_the_same_figures_as_pytest_benchmarks_own_stats() -> None:
    theirs = pytest.importorskip("pytest_benchmark.stats")
    data = [3.1, 2.0, 2.2, 9.5, 2.1, 2.05, 2.4, 2.3, 1.9, 7.0, 2.2]
    for n in range(1, len(data) + 1):
        reference = theirs.Stats()
        for value in data[:n]:
            reference.update(value)
        ours = Stats(data[:n])
        for name in FIELDS:
            assert getattr(ours, name) == pytest.approx(getattr(reference, name)), (n, name)


def _result(samples: Sequence[float], loops: int = 10) -> BenchResult:
    m = summarize(list(samples), [], [], loops, 0, [])
    return BenchResult("tests/test_x.py::test_y[a]", "g", m)


def test_metadata_reads_like_pytest_benchmarks() -> None:
    info = NodeInfo("test_y[a]", "tests/test_x.py::test_y[a]", "a", {"p": 1})
    extra: dict[str, object] = {}
    meta = Metadata(info, "g", extra, _result([100.0, 300.0, 200.0]).measurement, {"x": 1})
    extra["late"] = True
    assert meta["median"] == meta.get("median") == meta.stats.median == 200e-9
    assert meta.stats.data == [100e-9, 300e-9, 200e-9] and meta.iterations == 10
    assert meta["name"] == "test_y[a]" and meta.get("missing", 5) == 5
    entry = meta.as_dict()
    assert entry["extra_info"] == {"late": True} and entry["params"] == {"p": 1}
    assert entry["stats"]["iterations"] == 10 and len(entry["stats"]["data"]) == 3
    assert "data" not in meta.as_dict(include_data=False)["stats"]


def test_the_document_and_values_json_cannot_hold() -> None:
    extras = {
        "tests/test_x.py::test_y[a]": document.node_extras(
            NodeInfo("test_y[a]", "tests/test_x.py::test_y[a]", "a", {"p": object}),
            {"when": datetime(2026, 1, 1)},
        )
    }
    doc = document.document([_result([100.0])], extras, {"node": "n"}, {"id": "c"}, "now")
    [entry] = doc["benchmarks"]
    assert entry["params"] == {"p": "UNSERIALIZABLE[<class 'object'>]"}
    assert entry["extra_info"]["when"].startswith("UNSERIALIZABLE[datetime.datetime(2026")
    assert entry["group"] == "g" and entry["name"] == "test_y[a]"
    assert doc["machine_info"] == {"node": "n"} and doc["commit_info"] == {"id": "c"}
    assert document.render(doc).startswith("{\n    ")


def test_commit_info_from_git_and_outside_a_repository(tmp_path: Path) -> None:
    answers = {
        "rev-parse HEAD": "abc123",
        "status --porcelain --untracked-files=no": " M file.py",
        "show -s --pretty=format:%cI": "2026-01-01T00:00:00+00:00",
        "show -s --pretty=format:%aI": "2026-01-01T00:00:00+00:00",
        "rev-parse --abbrev-ref HEAD": "main",
        "rev-parse --show-toplevel": "/src/project",
        "rev-parse --git-dir": ".git",
    }

    def git(args: Sequence[str], cwd: Path) -> str:
        return answers[" ".join(args)]

    info = document.commit_info(tmp_path, git)
    assert info == {
        "id": "abc123",
        "time": "2026-01-01T00:00:00+00:00",
        "author_time": "2026-01-01T00:00:00+00:00",
        "dirty": True,
        "project": "project",
        "branch": "main",
    }

    def no_git(args: Sequence[str], cwd: Path) -> str:
        raise subprocess.CalledProcessError(128, "git")

    assert document.commit_info(tmp_path, no_git)["id"] == "unversioned"
    now = datetime(2026, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
    assert document.autosave_name(info, now) == "abc123_20260203_040506_uncommitted-changes"


def test_storage_files_are_numbered_on(tmp_path: Path) -> None:
    first = document.storage_file(tmp_path, "base")
    assert first == tmp_path / document.machine_id() / "0001_base.json"
    first.parent.mkdir()
    first.write_text("{}")
    (first.parent / "0007_other.json").write_text("{}")
    assert document.storage_file(tmp_path, "next").name == "0008_next.json"


def test_translate_maps_explains_and_lets_perf_options_win() -> None:
    t = translate(
        {"disable": True, "max_time": "2", "min_rounds": "9", "autosave": True, "timer": "x"},
        {"perf_min_rounds": True},
    )
    assert t.perf == {"perf_off": True, "perf_max_time": "2", "perf_save": True}
    assert t.header[0] == (
        "perfguard: pytest-benchmark options set these perfguard options: --benchmark-disable "
        "-> --perf-off, --benchmark-max-time=2 -> --perf-max-time=2, --benchmark-min-rounds=9 "
        "(overridden by --perf-min-rounds), --benchmark-autosave -> --perf-save"
    )
    assert " as --perf-" not in t.header[0]  # was "read as --benchmark-autosave as --perf-save"
    assert any(line.startswith("perfguard: --benchmark-timer ignored") for line in t.header)
    assert (t.save, t.storage) == ("", ".benchmarks")
    assert translate({"disable": True, "enable": True}, {}).perf == {}


def test_compare_fail_percentages_map_to_the_minimum_effect() -> None:
    # Was "thresholds unused": a migrated suite lost the failure it had.
    t = translate({"compare": "latest", "compare_fail": ["max:1%", "mean:7%", "median:5%"]}, {})
    assert t.perf["perf_min_effect"] == "5%"
    assert "perf_warn_only" not in t.perf
    assert (
        "perfguard: --benchmark-compare-fail median:5%: a test fails when it is at least 5% "
        "slower and perfguard's significance rule finds the slowdown real (--perf-min-effect=5%;"
    ) in "\n".join(t.header)
    assert any(
        line.startswith("perfguard: --benchmark-compare-fail max:1% not used: only min:")
        for line in t.header
    )
    assert "unused" not in "\n".join(t.header)
    given = translate({"compare": "1", "compare_fail": ["min:5%"]}, {"perf_min_effect": True})
    assert "perf_min_effect" not in given.perf
    assert "--perf-min-effect was given" in "\n".join(given.header)
    alone = translate({"compare_fail": ["mean:5%"]}, {})
    assert "perf_min_effect" not in alone.perf
    assert alone.header == (
        "perfguard: --benchmark-compare-fail mean:5% ignored without --benchmark-compare",
    )
    seconds = translate({"compare": "latest", "compare_fail": ["mean:0.001"]}, {})
    assert "perf_min_effect" not in seconds.perf


def test_translate_compare_storage_skip_only() -> None:
    advisory = translate({"compare": "latest"}, {})
    assert advisory.perf == {"perf_compare": True, "perf_warn_only": True, "perf_allow_new": True}
    gating = translate({"compare": "latest", "compare_fail": ["min:5%"]}, {})
    assert gating.perf == {"perf_compare": True, "perf_min_effect": "5%"}
    stored = translate({"storage": "file://ci/bench", "save": "base"}, {})
    assert stored.perf == {"perf_baseline": "ci/bench/perfguard-baseline.toml", "perf_save": True}
    assert (stored.save, stored.storage) == ("base", "ci/bench")
    elastic = translate({"storage": "elasticsearch+https://h/i", "autosave": True}, {})
    assert "perf_baseline" not in elastic.perf and elastic.storage is None
    assert translate({"skip": True, "only": True}, {}).skip is False
    assert translate({"skip": True}, {}).skip is True


def test_marker_keywords() -> None:
    mapped, unused = perf_keywords((), {"group": 3, "max_time": 1, "timer": "t"}, "t.py::t")
    assert mapped == {"group": "3", "max_time": 1} and unused == ("timer",)
    assert perf_keywords((), {"group": None}, "t.py::t") == ({}, ())
    with pytest.raises(SettingsError, match="unknown keyword rounds"):
        perf_keywords((), {"rounds": 3}, "t.py::t")
    with pytest.raises(SettingsError, match="takes keyword arguments only"):
        perf_keywords((1,), {}, "t.py::t")
