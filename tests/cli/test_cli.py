"""The `perfguard` command line: show, compare and merge, exit codes, errors, --help."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pytest_perfguard.cli import main
from pytest_perfguard.model import Baseline, BenchResult, BenchSettings, Fingerprint, Measurement
from pytest_perfguard.report.json import render_json, results_document
from pytest_perfguard.store import baseline as storage
from pytest_perfguard.store.history import merge

ENV = Fingerprint(
    "CPython", "3.12.4", "Linux", "x86_64", "Test CPU 9000", 2, "0.1.0", "test-machine"
)
DAY0 = datetime(2024, 5, 1, tzinfo=timezone.utc)
NAMES = ("t.py::test_a", "t.py::test_b", "t.py::test_c")
# Run-to-run wobble of about 1%, as a quiet machine shows, so only a real change is significant.
WOBBLE = (1.0, 1.01, 0.99, 1.005, 0.995)


def measured(median: float, allocs: float = 3.0) -> Measurement:
    samples = tuple(median * (1 + (i % 5 - 2) / 500) for i in range(20))
    return Measurement(
        median,
        median / 200,
        20,
        100,
        samples,
        tuple(s / 50 for s in samples),
        50.0,
        0.0,
        allocs,
        64.0,
        None,
        8192,
    )


def result(
    nodeid: str, median: float, *, allocs: float = 3.0, min_effect: float = 0.1, line: int = 10
) -> BenchResult:
    settings = BenchSettings(min_effect=min_effect)
    return BenchResult(nodeid, None, measured(median, allocs), settings, ("t.py", line))


def history(env: Fingerprint = ENV, names: tuple[str, ...] = NAMES, start: int = 0) -> Baseline:
    """Five saved runs a day apart; test_a takes 1 us, test_b 2 us, test_c 3 us."""
    baseline = None
    for day, wobble in enumerate(WOBBLE):
        runs = [result(n, 1000.0 * (NAMES.index(n) + 1) * wobble) for n in names]
        baseline = merge(baseline, runs, env, now=DAY0 + timedelta(days=start + day))
    assert baseline is not None
    return baseline


def results_json(path: Path, results: list[BenchResult], env: Fingerprint = ENV) -> Path:
    document = results_document(results, {}, env, {}, "2024-06-01T00:00:00+00:00")
    path.write_text(render_json(document), encoding="utf-8")
    return path


def now_results(
    a: float = 1000.0, allocs_b: float = 3.0, min_effect: float = 0.1
) -> list[BenchResult]:
    return [
        result("t.py::test_a", a, min_effect=min_effect, line=5),
        result("t.py::test_b", 2000.0, allocs=allocs_b, line=9),
        result("t.py::test_c", 3000.0, line=14),
    ]


@pytest.fixture
def old(tmp_path: Path) -> Path:
    path = tmp_path / "old.toml"
    storage.save(path, history())
    return path


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest_perfguard", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_show_baseline_prints_the_environment_and_the_newest_run(old: Path) -> None:
    proc = run("show", old)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"{old}: baseline, 3 benchmark(s), newest run of each"
    assert "CPython 3.12.4 on Linux x86_64, Test CPU 9000 (2 CPUs)" in lines[1]
    assert lines[1].endswith("; machine test-machine")
    row = next(line for line in lines if line.startswith("t.py::test_a "))
    # 5 runs; the newest (wobble 0.995) shows 995 ns; runs spread from 990 to 1010 ns = 2.0%.
    newest = ["t.py::test_a", "5", "2024-05-05T00:00:00+00:00", "test-machine", "995", "ns"]
    assert row.split()[:6] == newest
    assert "2.0%" in row.split() and "8.00 KiB" in row


def test_show_results_prints_the_measurements(tmp_path: Path) -> None:
    path = results_json(tmp_path / "now.json", now_results(a=1500.0))
    proc = run("show", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{path}: results of 3 benchmark(s), created 2024-06-01T00:00")
    row = next(line for line in proc.stdout.splitlines() if line.startswith("t.py::test_a "))
    assert "1.50 us" in row and "20 x 100" in row


def test_compare_with_a_regression_exits_1_with_table_and_rule(old: Path, tmp_path: Path) -> None:
    new = results_json(tmp_path / "now.json", now_results(a=1500.0))
    proc = run("compare", old, new)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert out.splitlines()[0].split()[:3] == ["benchmark", "baseline", "now"]
    row = next(line for line in out.splitlines() if line.startswith("t.py::test_a "))
    assert "1.50 us" in row and "regressed" in row
    assert "regressions:\n  t.py::test_a\n    time/op regressed: " in out
    said = "Slower by 50.0%, more than the variation between the saved runs explains."
    assert f"      rule: {said} time regressed +50.0%" in out
    assert "vs 5 saved runs" in out
    assert out.rstrip().endswith("perfguard: 1 regression in 3 benchmarks")


def test_compare_without_a_regression_exits_0(old: Path, tmp_path: Path) -> None:
    new = results_json(tmp_path / "now.json", now_results())
    proc = run("compare", old, new)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "regressions:" not in proc.stdout
    assert proc.stdout.rstrip().endswith("perfguard: no regression in 3 benchmarks")


def test_compare_two_baselines_and_an_allocation_regression(old: Path, tmp_path: Path) -> None:
    later = merge(history(), now_results(allocs_b=5.0), ENV, now=DAY0 + timedelta(30))
    storage.save(tmp_path / "new.toml", later)
    assert main(["compare", str(old), str(tmp_path / "new.toml")]) == 1


def test_alloc_tolerance_option_for_baselines_and_results(old: Path, tmp_path: Path) -> None:
    # test_b: 3 allocs/op in every saved run, now 3.1 (+3.3%).
    later = merge(history(), now_results(allocs_b=3.1), ENV, now=DAY0 + timedelta(30))
    storage.save(tmp_path / "new.toml", later)
    assert main(["compare", str(old), str(tmp_path / "new.toml")]) == 1
    assert main(["compare", str(old), str(tmp_path / "new.toml"), "--alloc-tolerance=5%"]) == 0
    results = now_results(allocs_b=3.1)
    results[1] = replace(results[1], settings=BenchSettings(alloc_tolerance=0.05))
    new = results_json(tmp_path / "now.json", results)  # test_b's own setting travels in JSON
    assert main(["compare", str(old), str(new)]) == 0
    assert main(["compare", str(old), str(new), "--alloc-tolerance=0"]) == 1


def test_warn_only_reports_but_exits_0(
    old: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = results_json(tmp_path / "now.json", now_results(a=1500.0))
    assert main(["compare", str(old), str(new), "--warn-only"]) == 0
    out = capsys.readouterr().out
    assert "advisory regressions (not failing):\n  t.py::test_a" in out
    assert "\nregressions:" not in out


def test_each_benchmarks_own_min_effect_applies_unless_overridden(
    old: Path, tmp_path: Path
) -> None:
    # test_a was marked min_effect="60%": its +50% is within what its author allowed.
    new = results_json(tmp_path / "now.json", now_results(a=1500.0, min_effect=0.6))
    assert main(["compare", str(old), str(new)]) == 0
    assert main(["compare", str(old), str(new), "--min-effect", "10%"]) == 1


def test_a_different_cpu_makes_time_advisory_unless_strict(
    old: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = replace(ENV, cpu_model="Other CPU")
    new = results_json(tmp_path / "now.json", now_results(a=1500.0), other)
    assert main(["compare", str(old), str(new)]) == 0
    assert "note: environments differ (CPU: Test CPU 9000 -> Other CPU)" in capsys.readouterr().out
    assert main(["compare", str(old), str(new), "--strict"]) == 1


def test_another_machine_makes_time_advisory_and_counts_still_gate(
    old: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = replace(ENV, machine="box-b")
    new = results_json(tmp_path / "now.json", now_results(a=1500.0), other)
    assert main(["compare", str(old), str(new)]) == 0
    assert "note: environments differ (machine: test-machine -> box-b)" in capsys.readouterr().out
    more = results_json(tmp_path / "more.json", now_results(a=1500.0, allocs_b=5.0), other)
    assert main(["compare", str(old), str(more)]) == 1  # allocs/op gates on any machine


def test_show_names_the_machine_of_each_benchmark(tmp_path: Path) -> None:
    mixed = shard(history(), ("t.py::test_b",), 10, replace(ENV, machine="box-b"))
    storage.save(tmp_path / "mixed.toml", mixed)
    lines = run("show", tmp_path / "mixed.toml").stdout.splitlines()
    assert lines[1].endswith("; machine box-b")
    machines = {line.split()[0]: line.split()[3] for line in lines if line.startswith("t.py::")}
    assert machines == {"t.py::test_a": "test-machine", "t.py::test_b": "box-b",
                        "t.py::test_c": "test-machine"}  # fmt: skip
    old = tmp_path / "old.toml"  # as an older perfguard wrote it: no machine anywhere
    old.write_text(
        (tmp_path / "mixed.toml").read_text().replace('machine = "test-machine"\n', "")
        .replace('machine = "box-b"\n', "")
    )  # fmt: skip
    lines = run("show", old).stdout.splitlines()
    assert lines[1].endswith("; machine unknown")
    assert all(" unknown " in line for line in lines if line.startswith("t.py::"))


def test_compare_writes_the_markdown_report(old: Path, tmp_path: Path) -> None:
    new = results_json(tmp_path / "now.json", now_results(a=1500.0))
    report = tmp_path / "report.md"
    assert main(["compare", str(old), str(new), "--markdown", str(report)]) == 1
    text = report.read_text(encoding="utf-8")
    assert text.startswith("### perfguard: ❌ 1 regression in 3 benchmarks\n")
    assert f"Compared with `{old}`" in text and "<summary>All measurements (3 benchmarks)" in text


def bad_inputs(tmp_path: Path, old: Path) -> dict[str, tuple[Path, str]]:
    """name -> (NEW file, what the error line must say)."""

    def write(name: str, text: str) -> Path:
        (tmp_path / name).write_text(text, encoding="utf-8")
        return tmp_path / name

    good = json.loads(render_json(results_document(now_results(), {}, ENV, {}, "2024-06-01")))
    newer = dict(good, schema_version=2)
    wrong_type = json.loads(json.dumps(good))
    wrong_type["benchmarks"][1]["measurement"]["median_ns"] = "fast"
    toml = old.read_text(encoding="utf-8").replace("schema_version = 1", "schema_version = 9")
    not_a_time = json.loads(json.dumps(good))
    not_a_time["benchmarks"][0]["measurement"]["samples_ns"][3] = 0
    too_large = tmp_path / "large.toml"
    with too_large.open("wb") as file:
        file.truncate(storage.MAX_FILE_BYTES + 1)  # sparse: nothing written
    return {
        "missing": (tmp_path / "nope.toml", "no such file"),
        "directory": (tmp_path, "is a directory"),
        "bad json": (write("bad.json", '{"benchmarks": [1,'), "line 1: not valid JSON"),
        "other json": (write("other.json", '{"name": "x"}'), "not perfguard results"),
        "newer json": (write("v2.json", json.dumps(newer)), "schema_version 2 is from a newer"),
        "wrong type": (
            write("t.json", json.dumps(wrong_type)),
            "benchmarks[1]: measurement.median_ns: expected a finite number",
        ),
        "bad toml": (write("bad.toml", "x = [\n"), "not valid TOML"),
        "not a baseline": (write("other.toml", 'name = "x"\n'), "no schema_version"),
        "newer toml": (write("v9.toml", toml), "schema_version 9, from a newer perfguard"),
        "binary": (tmp_path / "bin.dat", "not UTF-8"),
        "nan json": (
            write("nan.json", json.dumps(good).replace('"median_ns": 2000.0', '"median_ns": NaN')),
            "benchmarks[1]: measurement.median_ns: expected a finite number from 1e-06",
        ),
        "zero sample": (
            write("zero.json", json.dumps(not_a_time)),
            "benchmarks[0]: measurement.samples_ns[3]: expected a finite number from 1e-06",
        ),
        "deep json": (write("deep.json", "[" * 100_000), "not valid JSON: nested too deeply"),
        "huge number json": (write("n.json", '{"a": ' + "9" * 5000 + "}"), "not valid JSON"),
        "too large": (too_large, "larger than the 20 MiB limit for a perfguard file"),
        "deep toml": (write("deep.toml", "x = " + "[" * 100_000), "nested over 32 deep"),
        "dotted toml": (write("dots.toml", "a" + ".a" * 100_000 + " = 1"), "line 1: a dotted key"),
        "huge number toml": (write("n.toml", "x = " + "9" * 5000), "line 1: not valid TOML"),
        "zero median toml": (
            write(
                "zero.toml",
                old.read_text(encoding="utf-8").replace("median_ns = 1", "median_ns = 0.0 # ", 1),
            ),
            "median_ns: expected a finite number from 1e-06 to 1e+15, got 0.0",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "directory",
        "bad json",
        "other json",
        "newer json",
        "wrong type",
        "bad toml",
        "not a baseline",
        "newer toml",
        "binary",
        "nan json",
        "zero sample",
        "deep json",
        "huge number json",
        "too large",
        "deep toml",
        "dotted toml",
        "huge number toml",
        "zero median toml",
    ],
)
def test_bad_input_is_one_error_line_exit_2_and_nothing_written(
    case: str, old: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bin.dat").write_bytes(b"\xff\xfe\x00")
    new, problem = bad_inputs(tmp_path, old)[case]
    report = tmp_path / "report.md"
    assert main(["compare", str(old), str(new), "--markdown", str(report)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"perfguard: error: {new}")
    assert problem in captured.err and captured.err.count("\n") == 1
    assert not report.exists()


def test_old_must_be_a_baseline(old: Path, tmp_path: Path) -> None:
    new = results_json(tmp_path / "now.json", now_results())
    proc = run("compare", new, old)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        f"perfguard: error: {new}: results JSON holds one run, no saved history: "
        "OLD must be a baseline TOML (NEW may be either)\n"
    )


def shard(base: Baseline, names: tuple[str, ...], day: int, env: Fingerprint = ENV) -> Baseline:
    """A CI shard: the committed baseline plus one new run of `names` on `day`."""
    runs = [result(n, 1000.0 * (NAMES.index(n) + 1)) for n in names]
    return merge(base, runs, env, now=DAY0 + timedelta(days=day))


def days(baseline: Baseline, nodeid: str) -> list[int]:
    stamps = [datetime.fromisoformat(r.timestamp) for r in baseline.entries[nodeid].runs]
    return [(s - DAY0).days for s in stamps]


def test_merge_two_shards_combines_runs_of_shared_benchmarks_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    committed = history()  # runs on days 0-4
    storage.save(tmp_path / "a.toml", shard(committed, ("t.py::test_a", "t.py::test_b"), 10))
    storage.save(tmp_path / "b.toml", shard(committed, ("t.py::test_b", "t.py::test_c"), 11))
    out = tmp_path / "all" / "merged.toml"
    assert main(["merge", str(tmp_path / "a.toml"), str(tmp_path / "b.toml"), "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"merged 2 file(s), 3 benchmark(s), into {out}\n"
    merged = storage.load(out)
    assert days(merged, "t.py::test_a") == [1, 2, 3, 4, 10]
    assert days(merged, "t.py::test_c") == [1, 2, 3, 4, 11]
    # Both shards started from the same five runs: counted once, the newest five kept.
    assert days(merged, "t.py::test_b") == [2, 3, 4, 10, 11]
    # Five runs saved: run-to-run variation comes from them, raw samples are not kept.
    assert all(r.samples_ns is None for r in merged.entries["t.py::test_b"].runs)


def test_merge_keeps_the_newer_entry_whole_across_environments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = replace(ENV, cpu_model="Other CPU")
    storage.save(tmp_path / "a.toml", history())
    storage.save(tmp_path / "b.toml", shard(Baseline(None, {}), ("t.py::test_b",), 20, other))
    out = tmp_path / "out.toml"
    assert (
        main(
            [
                "merge",
                str(tmp_path / "a.toml"),
                str(tmp_path / "b.toml"),
                "-o",
                str(out),
                "--keep",
                "3",
            ]
        )
        == 0
    )
    assert "CPU: Test CPU 9000 -> Other CPU" in capsys.readouterr().out
    merged = storage.load(out)
    assert days(merged, "t.py::test_b") == [20]  # never mixed with the other machine's runs
    assert days(merged, "t.py::test_a") == [0, 1, 2, 3, 4]  # in one input only: untouched
    assert merged.fingerprint == other  # the input holding the newest run


def test_merge_keeps_machines_apart(tmp_path: Path) -> None:
    committed = history()  # runs on days 0-4 on test-machine
    elsewhere = replace(ENV, machine="box-b")
    storage.save(tmp_path / "a.toml", shard(committed, ("t.py::test_a",), 10))
    storage.save(tmp_path / "b.toml", shard(committed, ("t.py::test_a", "t.py::test_b"), 11,
                                            elsewhere))  # fmt: skip
    out = tmp_path / "out.toml"
    assert main(["merge", str(tmp_path / "a.toml"), str(tmp_path / "b.toml"), "-o", str(out)]) == 0
    merged = storage.load(out)
    # box-b's save started test_a and test_b again: its runs never pool with test-machine's.
    assert days(merged, "t.py::test_a") == [11]
    assert merged.entries["t.py::test_a"].machine == "box-b"
    assert days(merged, "t.py::test_c") == [0, 1, 2, 3, 4]
    assert merged.entries["t.py::test_c"].machine == "test-machine"


def test_merge_refuses_to_replace_a_file_that_is_not_an_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    storage.save(tmp_path / "a.toml", history())
    out = tmp_path / "precious.toml"
    out.write_text("my notes\n", encoding="utf-8")
    assert main(["merge", str(tmp_path / "a.toml"), "-o", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"perfguard: error: {out}: already exists and is not one of the inputs; add it as an "
        "input to keep its entries, or pass --force to replace it\n"
    )
    assert out.read_text(encoding="utf-8") == "my notes\n"
    assert main(["merge", str(tmp_path / "a.toml"), "-o", str(out), "--force"]) == 0
    assert set(storage.load(out).entries) == set(NAMES)


def test_merge_into_one_of_its_inputs_keeps_that_files_entries(tmp_path: Path) -> None:
    storage.save(tmp_path / "all.toml", history(names=("t.py::test_a",)))
    storage.save(tmp_path / "b.toml", history(names=("t.py::test_c",)))
    args = ["merge", str(tmp_path / "all.toml"), str(tmp_path / "b.toml")]
    assert main([*args, "-o", str(tmp_path / "all.toml")]) == 0
    assert set(storage.load(tmp_path / "all.toml").entries) == {"t.py::test_a", "t.py::test_c"}


@pytest.mark.parametrize("bad", ["results.json", "v9.toml", "missing.toml"])
def test_merge_with_a_bad_input_writes_nothing(
    bad: str, old: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results_json(tmp_path / "results.json", now_results())
    text = old.read_text(encoding="utf-8").replace("schema_version = 1", "schema_version = 9")
    (tmp_path / "v9.toml").write_text(text, encoding="utf-8")
    out = tmp_path / "out.toml"
    assert main(["merge", str(old), str(tmp_path / bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"perfguard: error: {tmp_path / bad}") and err.count("\n") == 1
    assert not out.exists()
    hidden = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert hidden in ([], [storage.SAVE_DIR])  # the old file's save lock, git-ignored
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("show", "the newest run of each benchmark for a baseline"),
        ("compare", "Exit status: 1 when any benchmark regressed"),
        ("merge", "Conflict rule, per benchmark"),
    ],
)
def test_help_of_each_command(command: str, says: str) -> None:
    proc = run(command, "--help")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith(f"usage: perfguard {command} ")
    assert says in " ".join(proc.stdout.split())


def test_no_command_is_a_usage_error() -> None:
    proc = run()
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("usage: perfguard ")


def with_calls(results: list[BenchResult], calls: float) -> list[BenchResult]:
    return [replace(r, measurement=replace(r.measurement, calls_per_op=calls)) for r in results]


def test_calls_tolerance_option_for_baselines_and_results(tmp_path: Path) -> None:
    # Every benchmark: 100 calls/op in every saved run, now 104 (+4%).
    baseline = None
    for day, wobble in enumerate(WOBBLE):
        runs = [result(n, 1000.0 * (i + 1) * wobble) for i, n in enumerate(NAMES)]
        baseline = merge(baseline, with_calls(runs, 100.0), ENV, now=DAY0 + timedelta(days=day))
    assert baseline is not None
    old = tmp_path / "old.toml"
    storage.save(old, baseline)
    later = merge(baseline, with_calls(now_results(), 104.0), ENV, now=DAY0 + timedelta(30))
    storage.save(tmp_path / "new.toml", later)
    args = ["compare", str(old), str(tmp_path / "new.toml")]
    assert main(args) == 1
    assert main([*args, "--calls-tolerance=5%"]) == 0
    assert main([*args, "--alloc-tolerance=5%"]) == 1  # allocations only
    results = [
        replace(r, settings=replace(r.settings, calls_tolerance=0.05))
        for r in with_calls(now_results(), 104.0)
    ]
    new = results_json(tmp_path / "now.json", results)  # each benchmark's own setting
    assert main(["compare", str(old), str(new)]) == 0
    assert main(["compare", str(old), str(new), "--calls-tolerance=0"]) == 1
