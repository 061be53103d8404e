"""The session-wide flags and ini keys: their names and help, and how they resolve.

Per-benchmark settings (max_time, min_rounds, ...) are resolved in settings.py; this module
holds the switches and paths that apply to the whole run. Pure: the plugin reads the values
from pytest and passes them in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_perfguard.config.settings import SettingsError, parse_count
from pytest_perfguard.model import DEFAULT_KEEP

SWITCHES = {
    "off": "run perf test bodies once, unmeasured (a fast functional run)",
    "only": "run only perf tests",
    "save": "record the measured benchmarks in the baseline file (merged with what it holds)",
    "compare": "compare with the baseline file; a real regression fails its test",
    "strict": "time verdicts count even on another CPU, another Python or a busy machine",
    "warn_only": "report regressions without failing",
    "instructions": "count instructions per op with valgrind's callgrind in a worker session "
    "(deterministic across machines; the marker keyword is `instructions`)",
    "allow_new": "with --perf-compare, pass a run in which no measured benchmark is in a "
    "non-empty baseline (the first run of a new suite); without it such a run fails",
}
"""On/off flags: `--perf-X` and the bool ini key `perf_X`."""

SETTING_HELP = {
    "max_time": "seconds of measuring per benchmark, warm-up included (default 0.5)",
    "min_rounds": "measured rounds per benchmark even past max_time (default 5)",
    "warmup": "calls before calibration (default 3)",
    "memory": "run the peak-memory pass: true/false (default true)",
    "allocations": "run the allocation pass: true/false (default true)",
    "min_effect": "smallest slowdown that may fail a comparison (default 10%)",
    "alloc_tolerance": "rise of allocs/op and B/op a comparison allows, e.g. 5% (default 0: "
    "any rise beyond the saved runs' counts fails)",
    "profiling": "run the profiling pass (calls/op, where the time goes): true/false "
    "(default true; the marker keyword is `profile`)",
    "calls_tolerance": "rise of calls/op a comparison allows, e.g. 5% (default 0: any rise "
    "fails; profiling false drops the pass and its gate)",
    "scale_tolerance": "rise of a scaling group's log-log exponent a comparison allows "
    "(default 0.3)",
    "instructions_tolerance": "rise of instructions/op (--perf-instructions) a comparison "
    "allows, e.g. 1% (default 0.2%)",
}
"""Per-benchmark defaults: `--perf-X VALUE`, ini `perf_X`, marker keyword `X`."""

DEFAULT_BASELINE = Path(".perfguard") / "baseline.toml"
"""Under the rootdir, committed with the code (like pytest-benchmark's .benchmarks/)."""

PATHS = {
    "baseline": f"the baseline file (default: {DEFAULT_BASELINE} under the rootdir)",
    "json": "write every measurement and verdict as JSON to this file",
    "markdown": "write a Markdown report (for a PR comment) to this file",
    "profile": "write each benchmark's profile as a .pstats file into this directory (in A/B "
    "mode, a regression's base profile beside it)",
    "html": "write a self-contained HTML report with plots to this file (ini: relative to the "
    "rootdir; plots need pip install 'perfguard[html]')",
}
"""Options taking a path: `--perf-X PATH` (never an optional value of another flag)."""


MACHINE_HELP = (
    "name of the machine this run measures on (env PERFGUARD_MACHINE); stored time verdicts "
    "count only against runs recorded on the same machine (default: this host's own identity; "
    "on hosted CI, none: time advisory)"
)
MACHINE_ENV = "PERFGUARD_MACHINE"
_MACHINE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+/-]{0,63}")


def resolve_machine(cli: str | None, ini: str | None, env: str | None) -> tuple[str, str] | None:
    """The machine the user named, with where it came from, or None for the host's identity.

    The option wins, then the environment variable, then the ini key: the variable belongs to
    the machine (set once on a dedicated runner), the ini file to the project (every machine
    that runs it would take its name). SettingsError names the source of a bad name.
    """
    for value, source in (
        (cli, "option --perf-machine"),
        (env, f"environment variable {MACHINE_ENV}"),
        (ini, "ini key perf_machine"),
    ):
        if value is None or value == "":
            continue
        if not _MACHINE_NAME.fullmatch(value):
            raise SettingsError(
                f"invalid machine name {value!r} from {source}: use 1-64 letters, digits and "
                ". _ : @ + / -, starting with a letter or digit"
            )
        return value, source
    return None


@dataclass(frozen=True, slots=True)
class Switches:
    off: bool = False
    only: bool = False
    save: bool = False
    compare: bool = False
    strict: bool = False
    warn_only: bool = False
    allow_new: bool = False
    instructions: bool = False


def resolve_switches(cli: Mapping[str, bool | None], ini: Mapping[str, bool]) -> Switches:
    """A flag given on the command line wins; otherwise the ini key."""
    values = {}
    for name in SWITCHES:
        given = cli.get(name)
        values[name] = bool(ini.get(name, False)) if given is None else given
    return Switches(**values)


def resolve_baseline_path(cli: str | None, ini: str | None, rootdir: Path, cwd: Path) -> Path:
    """The command line is relative to where pytest was started; ini to the rootdir."""
    if cli:
        return cwd / cli
    return rootdir / (ini or DEFAULT_BASELINE)


def baseline_source(cli: str | None, ini: str | None) -> str:
    """Where the baseline path came from, for error messages."""
    if cli:
        return "--perf-baseline"
    return "ini key perf_baseline" if ini else "the default baseline"


def profile_dir_source(cli: str | None) -> str:
    return "--perf-profile" if cli else "ini key perf_profile"


def resolve_output_path(
    cli: str | None, cwd: Path, ini: str | None = None, rootdir: Path | None = None
) -> Path | None:
    """A report path from the command line, relative to where pytest was started; else from
    the ini file, relative to the rootdir (as the baseline's)."""
    if cli:
        return cwd / cli
    return (rootdir or cwd) / ini if ini else None


MAX_KEEP_RUNS = 1000
"""Runs kept per benchmark: more is not history, it is a typo that grows the file forever."""


def resolve_count(cli: str | None, ini: str | None, name: str, high: int, default: int) -> int:
    """A whole-number setting from its option `--perf-NAME`, else its ini key `perf_NAME`."""
    option = name.replace("_", "-")
    for value, source in ((cli, f"option --perf-{option}"), (ini, f"ini key perf_{name}")):
        if value is not None and value != "":
            try:
                return parse_count(value, 1, high)
            except ValueError as exc:
                raise SettingsError(f"invalid {name}={value!r} from {source}: {exc}") from None
    return default


def resolve_keep(cli: str | None, ini: str | None) -> int:
    return resolve_count(cli, ini, "keep_runs", MAX_KEEP_RUNS, DEFAULT_KEEP)
