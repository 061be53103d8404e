"""--perf-profile's file names and directory checks (pure naming, real files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_perfguard.model import (
    BenchResult,
    Comparison,
    Measurement,
    PairedRun,
    Verdict,
)
from pytest_perfguard.run.outputs import OutputError
from pytest_perfguard.run.profiles import prepare_profile_dir, pstats_name, write_profiles


@pytest.mark.parametrize(
    "nodeid", ["t.py::test", "../../x::y", "/abs/t.py::a[b/c]", ".hidden::x", "::", "ü" * 300]
)
def test_names_stay_inside_the_directory_stable_and_unique(nodeid: str, tmp_path: Path) -> None:
    name = pstats_name(nodeid)
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert name.endswith(".pstats") and len(name) < 120
    assert name == pstats_name(nodeid)
    assert (tmp_path / name).resolve().parent == tmp_path.resolve()
    assert pstats_name(nodeid, base=True) == name.replace(".pstats", ".base.pstats")


def test_node_ids_alike_once_cleaned_get_different_names() -> None:
    assert pstats_name("t.py::a/b") != pstats_name("t.py::a_b")


def test_a_file_or_an_unwritable_place_is_named(tmp_path: Path) -> None:
    afile = tmp_path / "f"
    afile.write_text("")
    with pytest.raises(OutputError, match=r"--perf-profile .*f: is a file; give a directory"):
        prepare_profile_dir(afile, "--perf-profile")
    with pytest.raises(OutputError, match=r"ini key perf_profile .*cannot create the directory"):
        prepare_profile_dir(afile / "sub", "ini key perf_profile")
    prepare_profile_dir(tmp_path / "new" / "dir", "--perf-profile")
    assert (tmp_path / "new" / "dir").is_dir()


def measurement(data: bytes | None) -> Measurement:
    return Measurement(1.0, 0.0, 1, 1, (1.0,), (), 1.0, 0.0, profile_data=data)


def test_an_ab_regression_gets_the_base_profile_beside_it(tmp_path: Path) -> None:
    result = BenchResult("t.py::a", None, measurement(b"head"))
    paired = PairedRun("main", (1.0, 1.0), measurement(b"base"))
    same = Comparison("t.py::a", None, Verdict.UNCHANGED)
    assert write_profiles(tmp_path, result, same, paired) == [tmp_path / pstats_name("t.py::a")]
    worse = Comparison("t.py::a", None, Verdict.REGRESSED)
    written = write_profiles(tmp_path, result, worse, paired)
    assert [p.read_bytes() for p in written] == [b"head", b"base"]
    assert written[1].name == pstats_name("t.py::a", base=True)
    assert write_profiles(tmp_path, BenchResult("t.py::b", None, measurement(None))) == []
