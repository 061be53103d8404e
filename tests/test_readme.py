"""Every code block in README.md is run or checked here, so the documentation cannot rot."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from pytest_perfguard.store import baseline as storage

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
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1 and "failed" not in outcomes, result.stdout.str()
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
    (sample,) = blocks("")
    code = "import time\ndef test_parse(perf):\n    perf(time.sleep, {})\n"
    pytester.makepyfile(test_parse=code.format(0.0002))
    for _ in range(3):
        pytester.runpytest(*FAST, "--perf-save").assert_outcomes(passed=1)
    pytester.makepyfile(test_parse=code.format(0.004))  # 20x slower
    result = pytester.runpytest(*FAST, "--perf-compare")
    result.assert_outcomes(failed=1)
    for line in sample.splitlines():
        if line.lstrip().startswith(("time/op", "rule:", "If this change")):
            prefix = line.split(":")[0]
            assert any(out.startswith(prefix) for out in result.outlines), prefix


def test_the_ci_recipes_use_only_real_options(pytester: pytest.Pytester) -> None:
    recipes = "\n".join(blocks("yaml"))
    flags = set(re.findall(r"(--perf-[a-z-]+)", recipes))
    assert {"--perf-compare", "--perf-save", "--perf-only", "--perf-compare-ref"} <= flags
    help_text = pytester.runpytest("--help").stdout.str()
    assert all(flag in help_text for flag in flags), flags - set(help_text.split())


def test_the_perfguard_command_block_runs(pytester: pytest.Pytester) -> None:
    import subprocess
    import sys

    commands = next(b for b in blocks("bash") if b.startswith("perfguard "))
    pytester.makepyfile(test_readme_block=blocks("python")[0])
    for name in ("shard1.toml", "shard2.toml", "old.toml"):
        pytester.runpytest(*FAST, "--perf-save", f"--perf-baseline={name}").assert_outcomes(
            passed=4
        )
    pytester.runpytest(*FAST, "--perf-save").assert_outcomes(passed=4)
    pytester.runpytest(*FAST, "--perf-json=results.json").assert_outcomes(passed=4)
    for line in commands.splitlines():
        argv = shlex.split(line.split("#")[0])
        done = subprocess.run(
            [sys.executable, "-m", "pytest_perfguard", *argv[1:]],
            cwd=pytester.path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode in (0, 1), (line, done.stderr)
    assert (pytester.path / "all.toml").exists()


def test_the_quoted_comparison_comes_from_the_peer_benchmark_script() -> None:
    quoted = next(block for block in blocks("text") if block.startswith("tool "))
    script = (Path(__file__).parent.parent / "benchmarks" / "compare_peers.py").read_text()
    header = quoted.splitlines()[0].split()
    assert header[:3] == ["tool", "no-op", "ns/op"]
    assert "A/A false failures/run" in script and "10-bench suite" in script
    assert "python benchmarks/compare_peers.py" in README


def test_the_machine_note_is_the_line_the_summary_prints() -> None:
    import dataclasses

    from pytest_perfguard.judge.compatibility import machine_caveat
    from pytest_perfguard.report.machine import machine_note
    from tests.test_environment import FP

    quoted = next(b for b in blocks("text") if b.startswith("note: baseline recorded"))
    there = dataclasses.replace(FP, machine="perfguard-dev-vm")
    here = dataclasses.replace(FP, machine="host-3f9a1c2b7d4e")
    caveat = machine_caveat(there, here)
    assert caveat is not None
    assert quoted.strip() == f"note: {machine_note(caveat, strict=False)}"
