"""Tests of the baseline file: format (golden file), errors, atomic save, merging."""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import stat
import subprocess
import sys
import time
from dataclasses import fields, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import tomli_w

from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.model import (
    NO_FRAME,
    AllocSite,
    Baseline,
    BaselineEntry,
    BenchResult,
    Fingerprint,
    FunctionCost,
    Measurement,
    RunSummary,
)
from pytest_perfguard.run.gate import Gate, GateOptions
from pytest_perfguard.store import baseline as storage
from pytest_perfguard.store import history
from pytest_perfguard.store.baseline import BaselineError
from pytest_perfguard.usermetrics import CustomMetric
from tests import savers

GOLDEN_DIR = Path(__file__).parent.parent / "golden"
WEIRD_ID = 'tests/test_x.py::test_y[a-"b"-ü]'

FP = Fingerprint(
    python_implementation="CPython",
    python_version="3.12.4",
    os="Linux",
    arch="x86_64",
    cpu_model="AMD EPYC 7763 64-Core Processor",
    cpu_count=2,
    perfguard_version="0.1.0",
    machine="test-machine",
)
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def stamp(day: int) -> str:
    return (T0 + timedelta(days=day)).isoformat(timespec="seconds")


def run(day: int, median: float = 1234.5, **kw: object) -> RunSummary:
    fields: dict[str, object] = {
        "timestamp": stamp(day),
        "median_ns": median,
        "ref_ratio": 27.0361,
        "reference_ns": 45.662,
        "rounds": 30,
        "loops": 256,
    }
    fields.update(kw)
    return RunSummary(**fields)  # type: ignore[arg-type]


GOLDEN = Baseline(
    replace(FP, hosted="GitHub Actions"),
    {
        "tests/test_sort.py::test_sorted": BaselineEntry(
            "tests/test_sort.py::test_sorted",
            "sort",
            (
                run(0, 81234.0, ref_ratio=1779.04, allocs_per_op=2.0, bytes_per_op=80056.0),
                run(1, 80917.0, ref_ratio=1772.1, allocs_per_op=2.0, bytes_per_op=80056.0),
                run(
                    2,
                    81502.0,
                    ref_ratio=1783.2,
                    allocs_per_op=2.0,
                    bytes_per_op=80056.0,
                    peak_memory_bytes=163840,
                    samples_ns=(81502.0, 81377.0, 81623.0),
                    ref_ratios=(1783.2, 1780.45, 1786.01),
                    calls_per_op=3.0,
                    objects_per_op=5.0,
                    bytes_processed=80000,
                    custom=(
                        CustomMetric("hit_rate", 0.75, "hits/op", "higher", tolerance=0.05),
                        CustomMetric("rows", 12.0, "rows", "lower", exact=True),
                    ),
                    instructions_per_op=1234567.0,
                    instructions_env="CPython 3.12.4 (main, Jun 1 2024, GCC 12.2.0); "
                    "valgrind-3.19.0; x86_64",
                    profile=(
                        FunctionCost("~", 0, "<built-in method builtins.sorted>", 1.0, 80910.0),
                        FunctionCost("tests/test_sort.py", 12, "test_sorted", 1.0, 412.5),
                        FunctionCost("tests/test_sort.py", 4, "key", 0.5, 30.25),
                    ),
                    sites=(
                        AllocSite("tests/test_sort.py", 13, "test_sorted", 1.0, 80000.0),
                        AllocSite("", 0, NO_FRAME, 0.5, 28.0),
                        AllocSite("tests/test_sort.py", 5, "Key.make", 0.5, 28.0),
                    ),
                ),
            ),
            "3.12",
            "test-machine",
        ),
        WEIRD_ID: BaselineEntry(
            WEIRD_ID,
            None,
            (
                run(1, 12.345, ref_ratio=None, reference_ns=None, rounds=50, loops=65536),
                run(
                    2,
                    12.351,
                    ref_ratio=None,
                    reference_ns=None,
                    rounds=50,
                    loops=65536,
                    samples_ns=(12.351, 12.349),
                    items_processed=4,
                ),
            ),
            "3.12",
            "test-machine",
        ),
        "tests/test_z.py::test_hash": BaselineEntry(
            "tests/test_z.py::test_hash",
            None,
            (
                run(
                    3,
                    905430.0,
                    threads=2,
                    ops_per_s=2208.9,
                    sweep=(1, 2),
                    efficiency=(1.0, 0.9412),
                    efficiency_rounds=(0.9412, 0.9387, 0.9455),
                ),
            ),
            "3.12",
            "test-machine",
        ),
    },
)


def golden_path() -> Path:
    return GOLDEN_DIR / f"baseline_v{storage.SCHEMA_VERSION}.toml"


def result(nodeid: str, median: float = 1000.0, group: str | None = None) -> BenchResult:
    m = Measurement(
        median_ns=median,
        spread_ns=3.0,
        rounds=3,
        loops=100,
        samples_ns=(median, median + 1, median - 1),
        ref_ratios=(2.0, 2.01, 1.99),
        reference_ns=500.0,
        gc_collections_per_op=0.0,
        allocs_per_op=1.0,
    )
    return BenchResult(nodeid, group, m)


# --- format ------------------------------------------------------------------------------------


def test_writer_output_matches_golden_file() -> None:
    if os.environ.get("PERFGUARD_UPDATE_GOLDEN"):
        golden_path().write_bytes(storage.dumps(GOLDEN).encode())
    assert storage.dumps(GOLDEN) == golden_path().read_bytes().decode("utf-8")


def test_golden_file_loads_to_the_same_model() -> None:
    assert storage.load(golden_path()) == GOLDEN


def test_a_baseline_written_before_instruction_counts_still_loads() -> None:
    text = golden_path().read_text(encoding="utf-8")
    older = re.sub(r"\ninstructions_(per_op|env) = .*", "", text)
    assert "instructions" not in older
    loaded = storage.loads(older)
    run = loaded.entries["tests/test_sort.py::test_sorted"].runs[-1]
    assert run.instructions_per_op is None
    assert run.calls_per_op == 3.0


def test_a_baseline_written_before_calls_and_profiles_still_loads() -> None:
    text = golden_path().read_text(encoding="utf-8")
    older = re.sub(r"\ncalls_per_op = .*|\nprofile = \[[^\]]*\]", "", text)
    assert "calls" not in older and "profile" not in older
    loaded = storage.loads(older)
    newest = loaded.entries["tests/test_sort.py::test_sorted"].runs[-1]
    assert newest.calls_per_op is None and newest.profile is None


def test_a_baseline_written_before_objects_were_counted_still_loads() -> None:
    text = golden_path().read_text(encoding="utf-8")
    older = re.sub(r"\nobjects_per_op = .*", "", text)
    assert "objects" not in older
    newest = storage.loads(older).entries["tests/test_sort.py::test_sorted"].runs[-1]
    assert newest.objects_per_op is None and newest.calls_per_op == 3.0


def test_a_baseline_written_before_machines_loads_as_from_an_unknown_machine() -> None:
    text = golden_path().read_text(encoding="utf-8")
    older = re.sub(r'\n(machine|hosted) = "[^"]*"', "", text)
    assert "machine" not in older and "hosted" not in older
    loaded = storage.loads(older)
    assert loaded.fingerprint is not None
    assert (loaded.fingerprint.machine, loaded.fingerprint.hosted) == ("", "")
    assert {e.machine for e in loaded.entries.values()} == {""}


def test_golden_file_covers_every_model_field() -> None:
    # A field added to the model must be added to the file format (and a golden file) too.
    text = golden_path().read_text(encoding="utf-8")
    assert text.count('\nmachine = "test-machine"') == 4  # the file's, and each entry's own
    for cls in (Fingerprint, RunSummary):
        for field in fields(cls):
            if field.name == "custom":  # a table per metric
                assert ".runs.custom.hit_rate]\n" in text
                continue
            assert f"\n{field.name} = " in text, field.name


def test_layout_schema_version_first_then_environment_then_sorted_benchmarks() -> None:
    lines = storage.dumps(GOLDEN).splitlines()
    assert lines[0] == "schema_version = 1"
    assert lines[2] == "[environment]"
    headers = [line for line in lines if line.startswith("[benchmarks.")]
    entries = [line for line in headers if ".runs.custom." not in line]  # a run's own tables
    assert entries == sorted(entries) and len(entries) < len(headers)


@pytest.mark.parametrize(
    "nodeid",
    [
        WEIRD_ID,
        "tests/test x.py::test[with space]",
        "tests/t.py::T::test[a.b::c]",
        "tests/t.py::test[back\\slash-'single']",
        "tests/t.py::test[\t-\x7f-\u00e9\u0301-\U0001f600-中文]",
        "tests/t.py::test[]]",
        "plain",
    ],
)
def test_node_ids_round_trip(tmp_path: Path, nodeid: str) -> None:
    entry = BaselineEntry(nodeid, "g", (run(0),), "3.12")
    baseline = Baseline(FP, {nodeid: entry})
    storage.save(tmp_path / "b.toml", baseline)
    assert storage.load(tmp_path / "b.toml") == baseline


def test_numbers_are_rounded_and_none_fields_left_out() -> None:
    raw = run(0, 1234.56789, ref_ratio=1.0123456789, reference_ns=None, bytes_per_op=1 / 3)
    text = storage.dumps(Baseline(None, {"t": BaselineEntry("t", None, (raw,))}))
    assert "median_ns = 1234.6\n" in text
    assert "ref_ratio = 1.01235\n" in text
    assert "bytes_per_op = 0.3333333\n" in text
    for absent in ("reference_ns", "allocs_per_op", "peak_memory_bytes", "samples_ns", "group"):
        assert absent not in text
    assert "[environment]" not in text
    # Writing what was read changes nothing more.
    assert storage.dumps(storage.loads(text)) == text


def test_non_finite_numbers_are_refused_before_writing(tmp_path: Path) -> None:
    bad = Baseline(FP, {"t": BaselineEntry("t", None, (run(0, float("nan")),))})
    with pytest.raises(ValueError, match=r"t\.runs\.median_ns is not finite"):
        storage.save(tmp_path / "b.toml", bad)
    assert not list(tmp_path.iterdir())


def test_empty_baseline_round_trips() -> None:
    assert storage.loads(storage.dumps(Baseline(None, {}))) == Baseline(None, {})


def test_hand_written_variants_are_accepted() -> None:
    text = """schema_version = 1
[benchmarks.t]
runs = [{ timestamp = 2024-05-01T12:00:00Z, median_ns = 1200, rounds = 3, loops = 1 }]
"""
    (summary,) = storage.loads(text).entries["t"].runs
    assert summary.timestamp == "2024-05-01T12:00:00+00:00"
    assert summary.median_ns == 1200.0
    assert isinstance(summary.median_ns, float)


# --- errors ------------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "baseline.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_invalid_toml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'schema_version = 1\n\n[benchmarks."t"]\ngroup = oops\n')
    with pytest.raises(BaselineError) as info:
        storage.load(path)
    assert info.value.line == 4
    assert str(info.value).startswith(f"{path}, line 4: not valid TOML")


@pytest.mark.parametrize(
    ("cut_after", "expected"),
    [
        ("", ": no schema_version"),
        ("\n[benchmarks.", ", line 14: not valid TOML: Invalid initial character for a key part"),
        ('timestamp = "2024', ", line 20: not valid TOML: Unterminated string at the end of the"),
        ("samples_ns = [\n    81502.0,", ", line 50: not valid TOML: Invalid value at the end"),
        (
            'sorted".runs]]\n',
            ', line 19: benchmarks."tests/test_sort.py::test_sorted".runs[0].timestamp: ',
        ),
    ],
)
def test_truncated_file_is_an_error(tmp_path: Path, cut_after: str, expected: str) -> None:
    golden = golden_path().read_text(encoding="utf-8")
    path = write(tmp_path, golden[: golden.index(cut_after) + len(cut_after)] if cut_after else "")
    with pytest.raises(BaselineError) as info:
        storage.load(path)
    assert str(info.value).startswith(f"{path}{expected}")


def test_wrong_type_names_the_key_path(tmp_path: Path) -> None:
    text = golden_path().read_text(encoding="utf-8")
    # The third run of the first benchmark.
    marker = "median_ns = 81502.0"
    path = write(tmp_path, text.replace(marker, "median_ns = 'abc'"))
    with pytest.raises(BaselineError) as info:
        storage.load(path)
    assert str(info.value) == (
        f'{path}, line 41: benchmarks."tests/test_sort.py::test_sorted".runs[2].median_ns: '
        "expected a finite number, got 'abc'"
    )
    assert info.value.key == 'benchmarks."tests/test_sort.py::test_sorted".runs[2].median_ns'


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "    1783.2,",
            "    true,",
            55,
            "runs[2].ref_ratios[0]: expected a finite number, got true",
        ),
        ("    1783.2,", "    nan,", 55, "runs[2].ref_ratios[0]: expected a finite number, got nan"),
        (
            "    1783.2,",
            "    {},",
            55,
            "runs[2].ref_ratios[0]: expected a finite number, got a table",
        ),
        (
            "ref_ratios = [\n    1783.2,\n    1780.45,\n    1786.01,\n]",
            "ref_ratios = 3",
            54,
            "runs[2].ref_ratios: expected an array of finite numbers, got 3",
        ),
        ("rounds = 30\n", "rounds = 30.5\n", 24, "runs[0].rounds: expected an integer, got 30.5"),
        ('"2024-05-03T12:00:00+00:00"', '"yesterday"', 40, "runs[2].timestamp: expected an ISO"),
        ('"2024-05-03T12:00:00+00:00"', '"2024-05-03T12:00:00"', 40, "a UTC offset, got '2024"),
        ('group = "sort"', "group = 3", 15, 'test_sorted".group: expected a string, got 3'),
        (
            "cpu_count = 2",
            "cpu_count = '2'",
            9,
            "environment.cpu_count: expected an integer, got '2'",
        ),
        ('os = "Linux"', 'oss = "Linux"', 6, "environment.oss: unknown key (known: arch, "),
        ('os = "Linux"', "", 3, "environment.os: missing, expected a string"),
        ("loops = 65536\n", "", 92, 'ü]".runs[0].loops: missing, expected an integer'),
        # Types right, values impossible: the verdict divides by and takes logs of these.
        (
            "median_ns = 81502.0",
            "median_ns = 0",
            41,
            "median_ns: expected a finite number from 1e-06 to 1e+15, got 0",
        ),
        ("median_ns = 81502.0", "median_ns = -1.0", 41, "median_ns: expected a finite number"),
        ("median_ns = 81502.0", "median_ns = 1e308", 41, "to 1e+15, got 1e+308"),
        (
            "    1783.2,",
            "    0.0,",
            55,
            "runs[2].ref_ratios[0]: expected a finite number from 1e-09",
        ),
        ("reference_ns = 45.662", "reference_ns = -inf", 23, "reference_ns: expected a finite"),
        (
            "rounds = 30\n",
            "rounds = 0\n",
            24,
            "runs[0].rounds: expected an integer from 1 to 1e+12",
        ),
        ("loops = 256", "loops = -3", 25, "runs[0].loops: expected an integer from 1 to"),
        ("allocs_per_op = 2.0", "allocs_per_op = -1.0", 26, "expected a finite number from 0 to"),
        ("bytes_per_op = 80056.0", "bytes_per_op = 1e19", 27, "from 0 to 1e+18, got 1e+19"),
        ("peak_memory_bytes = 163840", "peak_memory_bytes = -1", 48, "from 0 to 1e+18, got -1"),
        ("cpu_count = 2", "cpu_count = 0", 9, "cpu_count: expected an integer from 1 to 1e+06"),
        ('"2024-05-03T12:00:00+00:00"', "0001-01-01T00:00:00+23:59", 40, "runs[2].timestamp:"),
    ],
)
def test_wrong_values_are_reported(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    text = golden_path().read_text(encoding="utf-8")
    assert old in text
    path = write(tmp_path, text.replace(old, new, 1))
    with pytest.raises(BaselineError) as info:
        storage.load(path)
    assert str(info.value).startswith(f"{path}, line {line}: ")
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2", "the file has schema_version 2, from a newer perfguard; this perfguard"),
        ("0", "unknown schema_version 0"),
        ('"1"', "schema_version: expected an integer, got '1'"),
        ("1.0", "schema_version: expected an integer, got 1.0"),
    ],
)
def test_unknown_schema_version(tmp_path: Path, value: str, message: str) -> None:
    path = write(tmp_path, f"# comment\nschema_version = {value}\n[benchmarks.t]\nnew = 1\n")
    with pytest.raises(BaselineError) as info:
        storage.load(path)
    assert str(info.value).startswith(f"{path}, line 2: ")
    assert message in str(info.value)
    assert f"reads schema_version {storage.SCHEMA_VERSION}" in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("environment = 1", "<string>: environment: expected a table, got 1"),
        ("benchmarks = []", "<string>: benchmarks: expected a table, got an array"),
        ("benchmarks.t = 1", "<string>: benchmarks.t: expected a table, got 1"),
        ("benchmarks.t.runs = []", "<string>: benchmarks.t.runs: expected at least one run"),
        ("benchmarks.t.runs = [1]", "<string>: benchmarks.t.runs[0]: expected a table, got 1"),
    ],
)
def test_wrong_tables_are_reported(text: str, message: str) -> None:
    with pytest.raises(BaselineError) as info:
        storage.loads(f"schema_version = 1\n{text}\n")
    assert str(info.value).startswith(message)


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "b.toml"
    path.write_bytes(b"schema_version = 1\n# \xff\n")
    with pytest.raises(BaselineError, match=r"line 2: not UTF-8"):
        storage.load(path)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "b.toml"
    path.write_bytes(b"\xef\xbb\xbf" + golden_path().read_bytes())
    assert storage.load(path) == GOLDEN


def test_unreadable_path_is_a_baseline_error(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match=r"is a directory|cannot read it"):
        storage.load(tmp_path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        storage.load(tmp_path / "none.toml")
    assert storage.load_optional(tmp_path / "none.toml") is None


# --- atomic save -------------------------------------------------------------------------------


def files_in(folder: Path) -> list[str]:
    """What `git add` sees in `folder`: the save directory ignores itself; nothing else is
    inside it but its .gitignore and lock files."""
    private = folder / storage.SAVE_DIR
    if private.exists():
        for name in os.listdir(private):
            assert name == ".gitignore" or name.endswith(".lock"), name
        assert (private / ".gitignore").read_text().splitlines()[-1] == "*"
    return sorted(set(os.listdir(folder)) - {storage.SAVE_DIR})


def test_save_creates_parent_dirs_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "baseline.toml"
    storage.save(path, GOLDEN)
    storage.save(path, GOLDEN)
    assert files_in(path.parent) == ["baseline.toml"]
    assert storage.load(path) == GOLDEN


def test_failing_serializer_leaves_existing_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "baseline.toml"
    storage.save(path, GOLDEN)
    before = path.read_bytes()

    def explode(*args: object, **kwargs: object) -> str:
        raise RuntimeError("serializer failed")

    monkeypatch.setattr(tomli_w, "dumps", explode)
    with pytest.raises(RuntimeError, match="serializer failed"):
        storage.save(path, Baseline(FP, {}))
    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["baseline.toml"]


def test_failing_replace_removes_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "baseline.toml"
    storage.save(path, GOLDEN)
    before = path.read_bytes()

    def refuse(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        storage.save(path, Baseline(FP, {}))
    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["baseline.toml"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_save_keeps_the_mode_of_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "baseline.toml"
    storage.save(path, GOLDEN)
    path.chmod(0o640)
    storage.save(path, GOLDEN)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_save_results_never_overwrites_a_corrupt_file(tmp_path: Path) -> None:
    text = golden_path().read_text(encoding="utf-8")
    path = write(tmp_path, text[: len(text) // 2] + '"')
    before = path.read_bytes()
    with pytest.raises(BaselineError, match="nothing was saved"):
        storage.save_results(path, [result("t")], FP, now=T0)
    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["baseline.toml"]


def test_save_results_creates_then_merges(tmp_path: Path) -> None:
    path = tmp_path / ".perfguard" / "baseline.toml"
    storage.save_results(path, [result("a"), result("b")], FP, now=T0)
    saved = storage.save_results(path, [result("a")], FP, now=T0 + timedelta(hours=1))
    assert storage.load(path) == saved
    assert [len(e.runs) for e in saved.entries.values()] == [2, 1]


# --- merge -------------------------------------------------------------------------------------


def test_merge_appends_measured_and_keeps_others() -> None:
    later = T0 + timedelta(days=3)
    merged = history.merge(
        GOLDEN, [result(WEIRD_ID, 13.0), result("tests/new.py::t")], FP, now=later
    )
    assert list(merged.entries) == sorted(merged.entries)
    sort_id = "tests/test_sort.py::test_sorted"
    assert merged.entries[sort_id] is GOLDEN.entries[sort_id]
    weird = merged.entries[WEIRD_ID]
    assert [r.median_ns for r in weird.runs] == [12.345, 12.351, 13.0]
    # Three saved runs now: run-to-run variation comes from them, raw samples are dropped.
    assert [r.samples_ns is None for r in weird.runs] == [True, True, True]
    assert weird.runs[-1].timestamp == "2024-05-04T12:00:00+00:00"
    assert weird.runs[-1].ref_ratio == 2.0
    assert weird.runs[-1].reference_ns == 500.0
    assert len(merged.entries["tests/new.py::t"].runs) == 1


def test_merge_without_existing_file() -> None:
    merged = history.merge(None, [result("t", group="g")], FP, now=T0)
    assert merged.fingerprint == FP
    assert merged.entries["t"].group == "g"
    assert merged.entries["t"].python_version == "3.12"


def test_merge_keeps_last_k_runs_and_raw_samples_only_while_runs_are_few() -> None:
    baseline = None
    for day in range(7):
        baseline = history.merge(
            baseline, [result("t", 1000.0 + day)], FP, keep=5, now=T0 + timedelta(days=day)
        )
    assert baseline is not None
    runs = baseline.entries["t"].runs
    assert [r.median_ns for r in runs] == [1002.0, 1003.0, 1004.0, 1005.0, 1006.0]
    assert all(r.samples_ns is None and r.ref_ratios is None for r in runs)


def test_the_newest_of_few_runs_keeps_thinned_raw_samples() -> None:
    many = dataclasses.replace(
        result("t", 1000.0),
        measurement=dataclasses.replace(
            result("t", 1000.0).measurement,
            samples_ns=tuple(float(i) for i in range(1000)),
            ref_ratios=tuple(i / 10 for i in range(1000)),
        ),
    )
    once = history.merge(None, [many], FP, now=T0)
    twice = history.merge(once, [many], FP, now=T0 + timedelta(days=1))
    newest = twice.entries["t"].runs[-1]
    assert newest.samples_ns is not None and newest.ref_ratios is not None
    assert len(newest.samples_ns) == history.SAMPLES_KEPT
    assert newest.samples_ns[:3] == (0.0, 31.0, 62.0)  # evenly spaced over the run, in order
    assert twice.entries["t"].runs[0].samples_ns is None


@pytest.mark.parametrize(
    ("change", "kept"),
    [
        ({"python_version": "3.12.7"}, 3),  # a patch release: still comparable
        ({"cpu_count": 4, "perfguard_version": "0.2.0"}, 3),
        ({"cpu_model": "Intel Xeon"}, 0),
        ({"python_version": "3.13.0"}, 0),
        ({"python_implementation": "PyPy"}, 0),
        ({"arch": "aarch64"}, 0),
    ],
)
def test_merge_drops_incomparable_runs_of_remeasured_benchmarks(
    change: dict[str, object], kept: int
) -> None:
    new_fp = replace(FP, **change)  # type: ignore[arg-type]
    sort_id = "tests/test_sort.py::test_sorted"
    merged = history.merge(GOLDEN, [result(sort_id)], new_fp, now=T0 + timedelta(days=3))
    assert len(merged.entries[sort_id].runs) == kept + 1
    assert merged.entries[WEIRD_ID] == GOLDEN.entries[WEIRD_ID]  # untouched: kept as it was
    assert merged.fingerprint == new_fp


def test_merge_compares_with_the_entrys_own_python() -> None:
    # An entry kept from an older Python while the file moved on: its runs are not comparable.
    old = Baseline(FP, {"t": BaselineEntry("t", None, (run(0),), "3.11")})
    merged = history.merge(old, [result("t")], FP, now=T0 + timedelta(days=1))
    assert len(merged.entries["t"].runs) == 1


def test_merge_rerun_result_counts_once() -> None:
    merged = history.merge(None, [result("t", 1.0), result("t", 2.0)], FP, now=T0)
    assert [r.median_ns for r in merged.entries["t"].runs] == [2.0]


def test_merge_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        history.merge(None, [], FP, now=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="keep must be at least 1"):
        history.merge(None, [], FP, keep=0, now=T0)


# --- merging shards ----------------------------------------------------------------------------


def test_merge_baselines_of_disjoint_shards() -> None:
    a = history.merge(None, [result("a")], FP, now=T0)
    b = history.merge(None, [result("b")], FP, now=T0 + timedelta(seconds=5))
    assert history.merge_baselines(a, b).entries == {**a.entries, **b.entries}


def test_merge_baselines_counts_shared_history_once() -> None:
    # Both shards started from the committed file and each re-measured its own benchmark.
    later = T0 + timedelta(days=5)
    shard_a = history.merge(GOLDEN, [result(WEIRD_ID)], FP, now=later)
    shard_b = history.merge(GOLDEN, [result("tests/test_sort.py::test_sorted")], FP, now=later)
    both = history.merge(
        GOLDEN, [result(WEIRD_ID), result("tests/test_sort.py::test_sorted")], FP, now=later
    )
    assert history.merge_baselines(shard_a, shard_b) == both
    assert history.merge_baselines(shard_b, shard_a) == both


def test_merge_baselines_combines_runs_by_time_and_keeps_last_k() -> None:
    old, new = (
        (run(0), run(2), run(4, samples_ns=(1.0,))),
        (run(1), run(3), run(5, samples_ns=(2.0,))),
    )
    a = Baseline(FP, {"t": BaselineEntry("t", "old", old, machine=FP.machine)})
    b = Baseline(FP, {"t": BaselineEntry("t", "new", new, machine=FP.machine)})
    entry = history.merge_baselines(a, b, keep=4).entries["t"]
    assert [r.timestamp for r in entry.runs] == [stamp(d) for d in (2, 3, 4, 5)]
    assert [r.samples_ns for r in entry.runs] == [None, None, None, None]
    assert entry.group == "new"


def test_merge_baselines_never_mixes_machines() -> None:
    other = replace(FP, cpu_model="Intel Xeon")
    # One machine name, another CPU: not one machine (a name must match the CPU too).
    a = Baseline(FP, {"t": BaselineEntry("t", None, (run(0), run(3)), machine=FP.machine)})
    b = Baseline(other, {"t": BaselineEntry("t", None, (run(1), run(2)), machine=FP.machine)})
    merged = history.merge_baselines(a, b)
    assert merged.entries["t"] == a.entries["t"]
    assert merged.fingerprint == FP
    assert history.merge_baselines(b, a) == merged


def test_merge_baselines_never_mixes_pythons() -> None:
    a = Baseline(FP, {"t": BaselineEntry("t", None, (run(0), run(3)), "3.11", FP.machine)})
    b = Baseline(FP, {"t": BaselineEntry("t", None, (run(1), run(2)), "3.12", FP.machine)})
    assert history.merge_baselines(a, b).entries["t"] == a.entries["t"]


def test_merge_baselines_with_missing_fingerprint() -> None:
    a = Baseline(None, {})
    b = history.merge(None, [result("t")], FP, now=T0)
    assert history.merge_baselines(a, b) == b
    assert history.merge_baselines(b, a) == b


# --- pathological input: refused quickly, one line, never a traceback -------------------------


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "baseline.toml"
    with path.open("wb") as file:
        file.truncate(storage.MAX_FILE_BYTES + 1)
    with pytest.raises(BaselineError, match=r": larger than the 20 MiB limit for a perfguard file"):
        storage.load(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x = " + "[" * 100_000 + "]" * 100_000, "line 1: brackets nested over 32 deep"),
        ("x = " + "{a=" * 100_000, "line 1: brackets nested over 32 deep"),
        ("x = [\n" + "[1, [\n" * 50, "line 17: brackets nested over 32 deep"),
        ("a" + ".a" * 100_000 + " = 1", "line 1: a dotted key of over 16 parts"),
        ('\n"a"' + '."a"' * 100_000 + " = 1", "line 2: a dotted key of over 16 parts"),
        ("[" + ".".join(["a"] * 20) + "]", "line 1: a dotted key of over 16 parts"),
        ("x = " + "9" * 5000, "line 1: not valid TOML: Exceeds the limit"),
    ],
)
def test_pathological_toml_is_refused_before_parsing(text: str, message: str) -> None:
    with pytest.raises(BaselineError) as info:
        storage.loads(text, source="b.toml")
    assert str(info.value).startswith("b.toml, ") and message in str(info.value)
    assert "\n" not in str(info.value)


def test_recursion_in_the_parser_is_a_baseline_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Were the pre-scan fooled, tomllib's RecursionError is still caught.
    monkeypatch.setattr(storage, "MAX_NESTING", 10**9)
    with pytest.raises(BaselineError, match="nested too deeply"):
        storage.loads("x = " + "[" * 100_000 + "]" * 100_000)


def test_dots_and_brackets_inside_strings_and_comments_are_not_structure() -> None:
    deep = "t.py::test[" + "[" * 40 + ".".join("abcdefghijklmnopqrstuvwxyz") + "]" * 40 + "]"
    entry = BaselineEntry(deep, 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r "[[[[[', (run(0),), "3.12")
    text = storage.dumps(Baseline(FP, {deep: entry}))
    text += "# " + "[" * 40 + "." * 40 + "\n"
    assert storage.loads(text).entries[deep] == entry
    literal = f"schema_version = 1\n[benchmarks.'{deep}']\ngroup = '''{'.' * 40}'''\n"
    literal += "runs = [{timestamp = 2024-05-01T12:00:00Z, median_ns = 1.5, rounds = 1, loops = 1}]"
    assert storage.loads(literal).entries[deep].group == "." * 40
    ml_basic = literal.replace(f"'''{'.' * 40}'''", '"""a\\"""' + "[." * 40 + '"""')
    assert storage.loads(ml_basic).entries[deep].group == 'a"""' + "[." * 40


def test_a_long_inline_array_of_floats_is_fine() -> None:
    samples = ", ".join(f"{i + 1}.5" for i in range(500))
    text = f"""schema_version = 1
[benchmarks.t]
runs = [{{ timestamp = 2024-05-01T12:00:00Z, median_ns = 1.5, rounds = 1, loops = 1, samples_ns = [{samples}] }}]
"""  # noqa: E501
    (summary,) = storage.loads(text).entries["t"].runs
    assert summary.samples_ns is not None and len(summary.samples_ns) == 500


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("runs", [{"timestamp": stamp(0), "median_ns": 1.0, "rounds": 1, "loops": 1}] * 10_001,
         "10001 runs, more than the 10000 allowed"),
        ("group", "g" * 70_000, "group: a string of 70000 characters (at most 65536)"),
    ],
)  # fmt: skip
def test_structure_limits(field: str, value: object, message: str) -> None:
    table: dict[str, object] = {"runs": [{"timestamp": stamp(0), "median_ns": 1.0, "rounds": 1,
                                          "loops": 1}]}  # fmt: skip
    table[field] = value
    text = tomli_w.dumps({"schema_version": 1, "benchmarks": {"t": table}})
    with pytest.raises(BaselineError, match=re.escape(message)):
        storage.loads(text)


def test_what_would_not_load_is_never_written(tmp_path: Path) -> None:
    # A fake clock can measure 0 ns/op; the loader refuses it, so the writer does too.
    bad = Baseline(FP, {"t": BaselineEntry("t", None, (run(0, 0.0),))})
    with pytest.raises(ValueError, match=r"it would not load: .*median_ns: expected a finite num"):
        storage.save(tmp_path / "b.toml", bad)
    assert not list(tmp_path.iterdir())


# --- concurrent and killed saves -----------------------------------------------------------------


def test_concurrent_savers_in_real_processes_lose_no_entry(tmp_path: Path) -> None:
    # 4 processes, 5 saves each, all at once into one file: every entry lands.
    path = tmp_path / ".perfguard" / "baseline.toml"
    for _ in range(2):
        expected, found, failed = savers.concurrent_round(path, processes=4, saves=5)
        assert failed == ""
        assert found == expected
    assert found == 20  # the second round re-saved the same node ids
    assert all(len(e.runs) == 2 for e in storage.load(path).entries.values())
    assert files_in(path.parent) == ["baseline.toml"]


def test_a_save_merges_what_is_on_disk_then_not_what_the_session_read(tmp_path: Path) -> None:
    path = tmp_path / "baseline.toml"
    storage.save_results(path, [result("t::mine")], FP, now=T0)
    gate = Gate.open(GateOptions(path, True, True, 5, Policy()), FP)  # the session starts
    storage.save_results(path, [result("t::theirs")], FP, now=T0)  # another job saves
    gate.save([result("t::mine")], T0 + timedelta(hours=1))
    saved = storage.load(path)
    assert set(saved.entries) == {"t::mine", "t::theirs"}
    assert len(saved.entries["t::mine"].runs) == 2


def test_a_save_waits_for_the_lock_and_says_who_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "baseline.toml"
    # A second holder (another open file: a lock of its own) must wait, here in vain.
    with (
        storage.saving(path),
        pytest.raises(BaselineError) as info,
        storage.saving(path, timeout=0.05),
    ):
        pass
    assert "another process has been saving it for over 0.05 s" in str(info.value)
    assert f"{storage.SAVE_DIR}/baseline.toml.lock" in str(info.value).replace(os.sep, "/")
    storage.save(path, GOLDEN)  # released: saving works again


def test_temporary_files_of_killed_saves_are_removed_and_only_those(tmp_path: Path) -> None:
    path = tmp_path / "baseline.toml"
    storage.save(path, GOLDEN)
    private = tmp_path / storage.SAVE_DIR
    stale = private / "baseline.toml.deadbeef.tmp"  # a killed save of this file
    legacy_old = tmp_path / ".baseline.toml.0badcafe.tmp"  # from perfguard before the lock
    legacy_new = tmp_path / ".baseline.toml.12345678.tmp"  # maybe still being written
    others = [private / "other.toml.deadbeef.tmp", tmp_path / "notes.tmp", tmp_path / "x.toml"]
    for litter in (stale, legacy_old, legacy_new, *others):
        litter.write_text("half a baseline")
    os.utime(legacy_old, (0, 0))
    storage.save_results(path, [result("t")], FP, now=T0)
    assert not stale.exists() and not legacy_old.exists()
    assert legacy_new.exists() and all(other.exists() for other in others)


def wait_for(marker: Path, child: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Wait until `child` writes `marker`; fail if it exits first or the deadline passes."""
    deadline = time.monotonic() + seconds
    while not marker.exists():
        assert child.poll() is None, f"the saver exited ({child.returncode}) before {marker.name}"
        assert time.monotonic() < deadline, f"no {marker.name} after {seconds} s"
        time.sleep(0.01)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
@pytest.mark.parametrize("at", ["locked", "written"])
def test_a_save_killed_mid_write_leaves_a_whole_file_and_the_next_save_clears_up(
    tmp_path: Path, at: str
) -> None:
    # The child saves and stops for good at `at`, writing a marker there; killed only then:
    # holding the lock after reading and merging, or with its temporary file written and
    # synced but not renamed. No fixed delay decides where the kill lands.
    path = tmp_path / "baseline.toml"
    storage.save_results(path, [result(f"t::{i}") for i in range(300)], FP, now=T0)
    before = path.read_bytes()
    ready = tmp_path / f"ready-{at}"
    child = subprocess.Popen([sys.executable, "-m", "tests.savers", "hold", str(path), at,
                              str(ready)], cwd=Path(__file__).parent.parent.parent)  # fmt: skip
    try:
        wait_for(ready, child)
        temporary = list((tmp_path / storage.SAVE_DIR).glob("*.tmp"))
        assert len(temporary) == (1 if at == "written" else 0)
        if temporary:
            assert len(storage.loads(temporary[0].read_text()).entries) == 300  # fully written
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert path.read_bytes() == before  # the old file, whole
    assert len(list((tmp_path / storage.SAVE_DIR).glob("*.tmp"))) == len(temporary)  # left
    storage.save_results(path, [result("t::0")], FP, now=T0)  # the lock is free again
    assert not list((tmp_path / storage.SAVE_DIR).glob("*.tmp"))
    assert files_in(tmp_path) == ["baseline.toml", ready.name]


def test_a_baseline_written_before_parallel_benchmarks_loads_without_their_keys() -> None:
    text = golden_path().read_text(encoding="utf-8")
    older = re.sub(
        r"\n(threads|ops_per_s) = .*|\n(sweep|efficiency|efficiency_rounds) = \[[^]]*\]", "", text
    )
    assert "efficiency" not in older and "threads =" not in older
    newest = storage.loads(older).entries["tests/test_z.py::test_hash"].runs[-1]
    assert (newest.threads, newest.sweep, newest.efficiency) == (None, None, None)
    assert newest.median_ns == 905430.0


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("threads = 2", "threads = 0"),
        ("threads = 2", 'threads = "2"'),
        ("sweep = [\n    1,\n    2,\n]", "sweep = [1, 2.5]"),
    ],
)
def test_a_bad_parallel_key_names_its_benchmark(edit: str, message: str) -> None:
    text = golden_path().read_text(encoding="utf-8").replace(edit, message)
    with pytest.raises(storage.BaselineError, match=r"test_z\.py::test_hash.*(threads|sweep)"):
        storage.loads(text)
