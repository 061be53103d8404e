"""Refuse a rootdir that the value of a perfguard option chose.

pytest determines the rootdir and the ini file before it loads plugins, so it cannot know that
`--perf-baseline` takes a value: in `--perf-baseline PATH`, PATH counts as a test path there
(pytest-dev/pytest#8846). An existing PATH outside the project moves the rootdir, which renames
every node id (no benchmark matches the baseline; a save adds them all again) and can leave the
project's ini file unread. `--perf-baseline=PATH` is one argument and never counts. A plugin
cannot take part in that early choice, so the run is refused when the value changed it.
"""

from __future__ import annotations

import inspect
import itertools
import os
import shlex
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_perfguard.config import options
from pytest_perfguard.config.settings import CONFIGURABLE, SettingsError

VALUE_FLAGS = frozenset(
    [f"--perf-{name.replace('_', '-')}" for name in CONFIGURABLE]
    + [f"--perf-{name}" for name in options.PATHS]
    + ["--perf-keep-runs"]
)
"""The flags of perfguard that take a value."""


def separate_values(args: Sequence[str], flags: Collection[str]) -> list[tuple[str, str]]:
    """(flag, value) for each of `flags` whose value is the next argument."""
    found = []
    for flag, value in itertools.pairwise(args):
        if flag == "--":
            break
        if flag in flags and not value.startswith("-"):
            found.append((flag, value))
    return found


def _exists(path: Path) -> bool:
    try:  # as pytest's own scan: a name too long or with a NUL byte is no path
        return path.exists()
    except (OSError, ValueError):
        return False


def _setup(config: pytest.Config, args: list[str]) -> tuple[Path, Path | None]:
    """(rootdir, ini file) pytest chooses for these positional arguments."""
    from _pytest.config.findpaths import determine_setup

    offered: dict[str, Any] = {
        "inifile": getattr(config.option, "inifilename", None),
        "override_ini": getattr(config.option, "override_ini", None),
        "args": args,
        "rootdir_cmd_arg": getattr(config.option, "rootdir", None) or None,
        "invocation_dir": config.invocation_params.dir,
    }
    accepted = inspect.signature(determine_setup).parameters
    found = determine_setup(**{k: v for k, v in offered.items() if k in accepted})
    return Path(found[0]), None if found[1] is None else Path(found[1])


def check_rootdir(config: pytest.Config) -> None:
    """Raise SettingsError when a perfguard value given as its own argument changed the rootdir
    or ini file pytest chose. Costs nothing unless such a value names an existing path."""
    args = [*shlex.split(os.environ.get("PYTEST_ADDOPTS", "")), *config.invocation_params.args]
    cwd = config.invocation_params.dir
    leaked = [(f, v) for f, v in separate_values(args, VALUE_FLAGS) if _exists(cwd / v)]
    if not leaked:
        return
    tests = [str(arg) for arg in (getattr(config.option, "file_or_dir", None) or ())]
    try:
        with_values = _setup(config, tests + [value for _, value in leaked])
        alone = _setup(config, tests)
    except Exception:  # a pytest whose private determine_setup differs: refuse to guess
        with_values, alone = (config.rootpath, config.inipath), None
    if alone is not None and with_values == alone:
        return
    flag, value = leaked[0]
    if alone is None:
        moved = "perfguard could not check whether it moved the rootdir"
    elif with_values[0] != alone[0]:
        moved = f"rootdir {config.rootpath} instead of {alone[0]}"
    else:
        moved = f"ini file {config.inipath} instead of {alone[1]}"
    raise SettingsError(
        f"{flag} {value}: pytest took this value for a test path when it chose the rootdir "
        f"(it does before plugins' options are known): {moved}, so every node id would "
        f"change (pytest-dev/pytest#8846); write {flag}={value}"
    )
