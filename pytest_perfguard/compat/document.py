"""`--benchmark-json PATH`: perfguard's results in pytest-benchmark's JSON layout.

Scripts that read `benchmarks[].{name, fullname, group, params, param, extra_info, options,
stats.{min, max, mean, stddev, rounds, median, iqr, q1, q3, ops, total, data, iterations}}`,
`machine_info` or `commit_info` keep working. Each benchmark also carries a `perfguard` entry
with what pytest-benchmark does not measure (allocations, peak memory, notes).
"""

from __future__ import annotations

import json
import platform
import subprocess
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pytest_perfguard._version import __version__
from pytest_perfguard.compat.fixture import options_of
from pytest_perfguard.compat.stats import Metadata, NodeInfo
from pytest_perfguard.metrics import MetricKind, Output, listed_in
from pytest_perfguard.model import BenchResult, Fingerprint

__all__ = [
    "Extras",
    "autosave_name",
    "benchmark_entry",
    "commit_info",
    "document",
    "machine_id",
    "machine_info",
    "render",
    "storage_file",
]

Extras = Mapping[str, Any]
"""What a test adds to its result for this layout: name, fullname, param, params, extra_info
(plain JSON values: they travel from xdist workers in reports)."""


def safe(value: Any) -> Any:
    """`value` as plain JSON types; what JSON cannot hold becomes pytest-benchmark's
    `UNSERIALIZABLE[repr]` string."""
    text = json.dumps(value, default=lambda o: f"UNSERIALIZABLE[{o!r}]")
    return json.loads(text)


def node_extras(info: NodeInfo, extra_info: Mapping[str, Any]) -> dict[str, Any]:
    extras: dict[str, Any] = safe(
        {
            "name": info.name,
            "fullname": info.fullname,
            "param": info.param,
            "params": None if info.params is None else dict(info.params),
            "extra_info": dict(extra_info),
        }
    )
    return extras


_LISTED = tuple(
    spec for spec in listed_in(Output.BENCHMARK_JSON) if spec.kind is not MetricKind.TIME
)
"""The metrics next to the time in each benchmark's "perfguard" figures."""


def benchmark_entry(
    result: BenchResult, extras: Extras | None, include_data: bool = True
) -> dict[str, Any]:
    """One benchmark as pytest-benchmark writes it, plus perfguard's own figures."""
    extras = extras or {}
    name = result.nodeid.rsplit("::", 1)[-1]
    info = NodeInfo(
        name=extras.get("name", name),
        fullname=extras.get("fullname", result.nodeid),
        param=extras.get("param"),
        params=extras.get("params"),
    )
    m = result.measurement
    metadata = Metadata(
        info, result.group, dict(extras.get("extra_info", {})), m, options_of(result.settings)
    )
    entry = metadata.as_dict(include_data=include_data)
    entry["perfguard"] = {
        "median_ns": m.median_ns,
        "rounds": m.rounds,
        "loops": m.loops,
        "gc_collections_per_op": m.gc_collections_per_op,
        **{spec.field: getattr(m, spec.field) for spec in _LISTED},
        "notes": list(m.notes),
    }
    return entry


def machine_info(fingerprint: Fingerprint) -> dict[str, Any]:
    """pytest-benchmark's `machine_info` keys; `cpu` holds what perfguard's fingerprint knows."""
    return {
        "node": platform.node(),
        "processor": platform.processor(),
        "machine": platform.machine(),
        "python_compiler": platform.python_compiler(),
        "python_implementation": platform.python_implementation(),
        "python_implementation_version": platform.python_version(),
        "python_version": platform.python_version(),
        "python_build": list(platform.python_build()),
        "release": platform.release(),
        "system": platform.system(),
        "cpu": {
            "brand_raw": fingerprint.cpu_model,
            "count": fingerprint.cpu_count,
            "arch": fingerprint.arch,
        },
    }


Git = Callable[[Sequence[str], Path], str]


def _git(args: Sequence[str], cwd: Path) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
    )
    return done.stdout.strip()


def commit_info(cwd: Path, git: Git = _git) -> dict[str, Any]:
    """pytest-benchmark's `commit_info` from git; `id` "unversioned" outside a repository."""
    info: dict[str, Any] = {
        "id": "unversioned",
        "time": None,
        "author_time": None,
        "dirty": False,
        "project": cwd.name,
        "branch": "(unknown)",
    }
    try:
        git(["rev-parse", "--git-dir"], cwd)
    except (OSError, subprocess.SubprocessError):
        return info
    try:
        info["id"] = git(["rev-parse", "HEAD"], cwd)
        info["dirty"] = bool(git(["status", "--porcelain", "--untracked-files=no"], cwd))
        info["time"] = git(["show", "-s", "--pretty=format:%cI"], cwd)
        info["author_time"] = git(["show", "-s", "--pretty=format:%aI"], cwd)
        branch = git(["rev-parse", "--abbrev-ref", "HEAD"], cwd)
        info["branch"] = "(detached head)" if branch == "HEAD" else branch
        top = git(["rev-parse", "--show-toplevel"], cwd)
        info["project"] = Path(top).name or info["project"]
    except (OSError, subprocess.SubprocessError) as exc:
        info["id"] = info["id"] if info["id"] != "unversioned" else "unknown"
        info["error"] = repr(exc)
    return info


def document(
    results: Sequence[BenchResult],
    extras: Mapping[str, Extras],
    machine: Mapping[str, Any],
    commit: Mapping[str, Any],
    created: str,
    include_data: bool = True,
) -> dict[str, Any]:
    """The whole file: machine_info, commit_info, benchmarks, datetime, version."""
    return {
        "machine_info": dict(machine),
        "commit_info": dict(commit),
        "benchmarks": [benchmark_entry(r, extras.get(r.nodeid), include_data) for r in results],
        "datetime": created,
        "version": __version__,
        "generator": "pytest-perfguard",
    }


def machine_id() -> str:
    """pytest-benchmark's storage folder for this machine, e.g. Linux-CPython-3.11-64bit."""
    version = ".".join(platform.python_version_tuple()[:2])
    return (
        f"{platform.system()}-{platform.python_implementation()}-{version}-"
        f"{platform.architecture()[0]}"
    )


def autosave_name(commit: Mapping[str, Any], now: datetime) -> str:
    """pytest-benchmark's --benchmark-autosave name: commit id, time, uncommitted changes."""
    parts = [str(commit.get("id", "unversioned")), now.strftime("%Y%m%d_%H%M%S")]
    if commit.get("dirty"):
        parts.append("uncommitted-changes")
    return "_".join(parts)


def storage_file(directory: Path, name: str) -> Path:
    """The next file of pytest-benchmark's storage: DIR/<machine>/NNNN_<name>.json."""
    folder = directory / machine_id()
    numbers = [
        int(path.name[:4])
        for path in (folder.glob("[0-9][0-9][0-9][0-9]_*.json") if folder.is_dir() else ())
    ]
    return folder / f"{max(numbers, default=0) + 1:04d}_{name}.json"


def render(doc: Mapping[str, Any]) -> str:
    return json.dumps(safe(doc), indent=4, ensure_ascii=True) + "\n"
