"""Every code block in README.md is run or checked here, so the documentation cannot rot."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

from pytest_perfguard.store import baseline as storage

from .fakes import CONFTEST
from .plugin.test_plugin_baseline import STEADY, SUITE, baseline_with, write_baseline

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", README, flags=re.DOTALL | re.MULTILINE)
FAST = ("--perf-max-time=0.01", "-p", "no:cacheprovider")


def blocks(language: str) -> list[str]:
    return [text for lang, text in BLOCKS if lang == language]


def test_the_readme_opens_with_the_two_commands_ci_runs() -> None:
    first, second = blocks("bash")[:2]
    assert "pytest examples --perf-compare" in first
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert second.strip().split("&& ")[-1] in ci  # the test command
    assert first.strip().split("&& ")[-1] in ci  # the main job


@pytest.mark.parametrize("code", blocks("python"), ids=lambda code: code.split("def ")[1][:20])
def test_python_blocks_run_as_test_files(pytester: pytest.Pytester, code: str) -> None:
    pytester.makepyfile(test_readme_block=code)
    # -p no:benchmark: the migration example's `benchmark` is perfguard's even where
    # pytest-benchmark is installed (the `bench` extra)
    result = pytester.runpytest(*FAST, "-p", "no:benchmark", "-p", "no:codspeed")
    functions = len(re.findall(r"^(?:async )?def test_", code, flags=re.MULTILINE))
    sizes = re.search(r'parametrize\("n", \[(.*?)\]\)', code)  # the scaling example's cases
    tests = functions - 1 + len(sizes.group(1).split(",")) if sizes else functions
    assert tests >= 1
    result.assert_outcomes(passed=tests)  # every test in the block, and nothing else
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*- perfguard: * benchmark* -*"])


def test_quickstart_commands_work(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_readme_block=blocks("python")[0])
    quickstart = next(b for b in blocks("bash") if "git add" in b)
    for line in quickstart.splitlines():
        command = shlex.split(line.split("#")[0])
        if command and command[0] == "pytest":
            result = pytester.runpytest(*command[1:], *FAST)
            assert result.ret == 0, result.stdout.str()
    assert (pytester.path / ".perfguard" / "baseline.toml").exists()


def test_the_toml_block_is_a_valid_baseline() -> None:
    (toml,) = blocks("toml")
    baseline = storage.loads(toml)
    assert "tests/test_sort.py::test_sorted" in baseline.entries
    assert storage.dumps(baseline) == toml


def test_the_failure_message_block_matches_a_real_failure(pytester: pytest.Pytester) -> None:
    # Deterministic: a fake clock (each op ticks 2000 ns) against a written baseline whose
    # 5 saved runs have a median of 500 ns: the README's 500 ns -> 2.00 us, +300.0%.
    (sample,) = blocks("")
    pytester.makeconftest(CONFTEST)
    pytester.mkdir("tests")
    code = "from conftest import tick\ndef test_parse(perf):\n    perf(tick, 2000)\n"
    (pytester.path / "tests" / "test_parse.py").write_text(code)
    nodeid = "tests/test_parse.py::test_parse"
    write_baseline(pytester, baseline_with({nodeid: tuple(m / 2 for m in STEADY)}))
    result = pytester.runpytest(*FAST, "--perf-compare")
    result.assert_outcomes(failed=1)
    assert result.ret == 1
    out = [line.strip() for line in result.outlines]
    quoted = [line.strip() for line in sample.splitlines() if line.strip()]
    assert quoted[0] == f"{nodeid}: performance regression" and quoted[0] in out
    # Every line as printed (the fake clock makes them the same every run; the rule's long
    # line is wrapped in the README).
    start = out.index(quoted[0])
    printed = out[start : start + 1 + len(quoted)]
    assert " ".join(quoted) in " ".join(printed), "\n".join(printed)


def test_the_ci_recipes_use_only_real_options(pytester: pytest.Pytester) -> None:
    recipes = "\n".join(blocks("yaml"))
    flags = set(re.findall(r"(--perf-[a-z-]+)", recipes))
    assert {"--perf-compare", "--perf-save", "--perf-only", "--perf-compare-ref"} <= flags
    help_text = pytester.runpytest("--help").stdout.str()
    assert all(flag in help_text for flag in flags), flags - set(help_text.split())


def test_the_perfguard_command_block_runs(pytester: pytest.Pytester) -> None:
    import subprocess

    # Deterministic inputs: written baselines, and results measured with a fake clock
    # (test_steady 1000 ns/op, test_other 2000 ns/op).
    commands = next(b for b in blocks("bash") if b.startswith("perfguard "))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    steady, other = "test_suite.py::test_steady", "test_suite.py::test_other"
    doubled = tuple(2 * m for m in STEADY)
    storage.save(pytester.path / "shard1.toml", baseline_with({steady: STEADY}))
    storage.save(pytester.path / "shard2.toml", baseline_with({other: doubled}))
    storage.save(pytester.path / "old.toml", baseline_with({steady: STEADY, other: doubled}))
    write_baseline(pytester, baseline_with({steady: STEADY, other: doubled}))
    pytester.runpytest(*FAST, "--perf-json=results.json").assert_outcomes(passed=2)

    def perfguard(argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest_perfguard", *argv[1:]],
            cwd=pytester.path,
            capture_output=True,
            text=True,
            check=False,
        )

    expected = {"show": 0, "compare": 0, "merge": 0}  # nothing regressed
    ran = {}
    for line in commands.splitlines():
        argv = shlex.split(line.split("#")[0])
        done = perfguard(argv)
        assert done.returncode == expected[argv[1]], (line, done.stdout, done.stderr)
        ran[argv[1]] = argv, done
    assert set(ran) == set(expected)
    assert steady in ran["show"][1].stdout and other in ran["show"][1].stdout
    assert set(storage.load(pytester.path / "all.toml").entries) == {steady, other}
    # The same compare line against a baseline where test_other was twice as fast: exit 1.
    storage.save(pytester.path / "old.toml", baseline_with({steady: STEADY, other: STEADY}))
    done = perfguard(ran["compare"][0])
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "regress" in done.stdout and other in done.stdout


def test_the_quoted_comparison_is_the_peer_benchmark_scripts_table() -> None:
    # The measurements (a 6-minute run on a noisy machine) cannot be rerun here; what can be
    # checked is that the quoted table is exactly what benchmarks/compare_peers.py prints for
    # its figures (derived columns included: false failures per run from the count, "of 10"
    # from the script's benchmarks, timeit's own ratio 1.00x), that it was a run with the
    # script's default repetitions, and that the prose below it quotes the table's numbers.
    import importlib.util

    path = Path(__file__).parent.parent / "benchmarks" / "compare_peers.py"
    spec = importlib.util.spec_from_file_location("compare_peers", path)
    assert spec is not None and spec.loader is not None
    peers = importlib.util.module_from_spec(spec)
    sys.modules["compare_peers"] = peers  # its dataclasses look their module up
    try:
        spec.loader.exec_module(peers)
    finally:
        del sys.modules["compare_peers"]
    quoted = next(block for block in blocks("text") if block.startswith("tool ")).splitlines()
    row = re.compile(
        r"(?P<tool>\S+) +(?P<ns>[\d.]+) +(?P<ratio>[\d.]+)x +(?P<wall>[\d.]+) s  (?P<aa>.+?) +"
        r"[\d.]+ of \d+ \((?P<total>\d+) in (?P<runs>\d+)\)"
    )
    noop, walls, spreads, failures = {}, {}, {}, {}
    for line in quoted[1:3]:
        match = row.fullmatch(line)
        assert match, line
        tool = match["tool"]
        noop[tool] = (float(match["ns"]), float(match["ratio"]))
        walls[tool] = float(match["wall"])
        pairs = [item.split() for item in match["aa"].split(", ")]
        spreads[tool] = {name: float(value.rstrip("%")) / 100 for name, value in pairs}
        assert tuple(spreads[tool]) == peers.AA_NAMES
        runs, total = int(match["runs"]), int(match["total"])
        failures[tool] = [total] + [0] * (runs - 1)  # the table shows the sum and the count
    tool, ns, ratio = quoted[3].split()[:3]
    assert ratio == "1.00x"  # timeit against itself
    noop[tool] = (float(ns), 1.0)
    footer = re.findall(r"\d+", quoted[4])
    reps, total_s = tuple(int(n) for n in footer[:4]), float(footer[4])
    defaults = re.findall(r"--(?:noop-reps|suite-reps|aa-runs|compares) (\d+)", peers.__doc__ or "")
    assert reps == tuple(int(n) for n in defaults)  # a full run, not --quick
    assert peers.table(noop, walls, spreads, failures, reps, total_s) == quoted
    assert "python benchmarks/compare_peers.py" in README
    # The prose quotes the table.
    benchmarks, compares = len(peers.GATE_NAMES), reps[3]
    bench_failed, perf_failed = sum(failures["pytest-benchmark"]), sum(failures["perfguard"])
    assert f"({benchmarks} benchmarks of unchanged code, {compares} compare runs)" in README
    assert f"failed {bench_failed} of {benchmarks * compares} verdicts" in README
    assert perf_failed == 0 and "(5 saved runs) failed none" in README
    values = [v * 100 for by_name in spreads.values() for v in by_name.values()]
    assert f"large for both tools ({min(values):.0f}-{max(values):.0f}%)" in README


def test_the_machine_note_is_the_line_the_summary_prints() -> None:
    import dataclasses

    from pytest_perfguard.judge.compatibility import machine_caveat
    from pytest_perfguard.report.machine import machine_note
    from tests.measure.test_environment import FP

    quoted = next(b for b in blocks("text") if b.startswith("note: baseline recorded"))
    there = dataclasses.replace(FP, machine="perfguard-dev-vm")
    here = dataclasses.replace(FP, machine="host-3f9a1c2b7d4e")
    caveat = machine_caveat(there, here)
    assert caveat is not None
    assert quoted.strip() == f"note: {machine_note(caveat, strict=False)}"
