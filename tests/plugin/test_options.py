"""Session-wide switches, the baseline path and keep-runs resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_perfguard.config.options import (
    DEFAULT_BASELINE,
    resolve_baseline_path,
    resolve_keep,
    resolve_switches,
)
from pytest_perfguard.config.settings import SettingsError


def test_a_flag_wins_over_the_ini_key() -> None:
    switches = resolve_switches({"compare": None, "save": True}, {"compare": True, "save": False})
    assert switches.compare and switches.save and not switches.strict


def test_baseline_path_cli_is_relative_to_the_invocation_dir_ini_to_the_rootdir() -> None:
    root, cwd = Path("/repo"), Path("/repo/sub")
    assert resolve_baseline_path("b.toml", "ini.toml", root, cwd) == cwd / "b.toml"
    assert resolve_baseline_path(None, "ini.toml", root, cwd) == root / "ini.toml"
    assert resolve_baseline_path(None, None, root, cwd) == root / DEFAULT_BASELINE


def test_keep_runs_precedence_and_errors() -> None:
    assert resolve_keep(None, None) == 5
    assert resolve_keep("3", "9") == 3
    assert resolve_keep(None, "9") == 9
    with pytest.raises(SettingsError, match=r"keep_runs='0' from option --perf-keep-runs"):
        resolve_keep("0", None)
    with pytest.raises(SettingsError, match=r"keep_runs='x' from ini key perf_keep_runs"):
        resolve_keep(None, "x")
