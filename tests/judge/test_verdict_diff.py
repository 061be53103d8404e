"""benchmarks/verdict_diff.py: the lines it compares, from a real `perfguard compare` output."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from pytest_perfguard.store import baseline as storage
from tests.plugin.test_plugin_baseline import STEADY, baseline_with

SCRIPT = Path(__file__).parent.parent.parent / "benchmarks" / "verdict_diff.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verdict_diff", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_verdict_lines_keep_each_rows_verdict_and_every_other_line(tmp_path: Path) -> None:
    script = load_script()
    steady, other = "test_suite.py::test_steady", "test_suite.py::test_other"
    storage.save(tmp_path / "old.toml", baseline_with({steady: STEADY, other: STEADY}))
    doubled = tuple(2 * m for m in STEADY)  # the newest run: 995 ns -> 1.99 us
    storage.save(tmp_path / "new.toml", baseline_with({steady: STEADY, other: doubled}))
    done = subprocess.run(
        [sys.executable, "-m", "pytest_perfguard", "compare", "old.toml", "new.toml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    lines = script.verdict_lines(done.stdout)
    rows = [line for line in lines if script.is_row(line)]
    assert rows == [f"{other}: regressed", f"{steady}: unchanged"]  # regressions first
    assert not any(line.startswith("benchmark ") for line in lines)  # the header is dropped
    # Everything else as printed: the rule behind the regression and the summary.
    said = (
        "rule: Slower by 99.0%, more than the variation between the saved runs explains. "
        "time regressed +99.0%"
    )
    assert any(line.strip().startswith(said) for line in lines)
    assert lines[-1] == done.stdout.splitlines()[-1]
    # A row's figures are not kept: the same verdict with other numbers is the same line.
    row = next(line for line in done.stdout.splitlines() if line.startswith(steady))
    other_figure = row.replace("995 ns", "996 ns")
    assert other_figure != row
    assert script.verdict_lines(done.stdout.replace(row, other_figure)) == lines
    # Another verdict is another line.
    assert script.verdict_lines(done.stdout.replace("unchanged", "improved ")) != lines
