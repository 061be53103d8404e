"""The baseline file: TOML <-> model, schema version, atomic replace."""

from __future__ import annotations

import contextlib
import math
import os
import re
import secrets
import stat
import sys
from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

import tomli_w

from pytest_perfguard._version import __version__
from pytest_perfguard.errors import PerfguardError
from pytest_perfguard.model import (
    DEFAULT_KEEP,
    Baseline,
    BaselineEntry,
    BenchResult,
    Fingerprint,
    RunSummary,
)
from pytest_perfguard.store import history
from pytest_perfguard.store.codec import from_isoformat

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = [
    "SCHEMA_VERSION",
    "BaselineError",
    "dumps",
    "load",
    "load_optional",
    "loads",
    "save",
    "save_results",
]

SCHEMA_VERSION = 1

# Every Fingerprint field, in the model's order; cpu_count is its only integer.
_ENV_FIELDS = tuple(
    (f.name, "integer" if f.type == "int" else "string") for f in fields(Fingerprint)
)
# (field, kind, significant digits written), in file order. 5 digits of ns resolve 0.001-0.01%,
# below the best within-run noise measured (0.03%); deterministic counts get 7 so tolerances
# decide, not rounding.
_RUN_FIELDS = (
    ("timestamp", "timestamp", 0),
    ("median_ns", "number", 5),
    ("ref_ratio", "number", 6),
    ("reference_ns", "number", 5),
    ("rounds", "integer", 0),
    ("loops", "integer", 0),
    ("allocs_per_op", "number", 7),
    ("bytes_per_op", "number", 7),
    ("peak_memory_bytes", "integer", 0),
    ("samples_ns", "numbers", 5),
    ("ref_ratios", "numbers", 6),
)
_RUN_REQUIRED = frozenset({"timestamp", "median_ns", "rounds", "loops"})
_EXPECTED = {
    "string": "a string",
    "integer": "an integer",
    "number": "a finite number",
    "numbers": "an array of finite numbers",
    "timestamp": "an ISO 8601 date-time with a UTC offset",
}


class BaselineError(PerfguardError):
    """A baseline file that cannot be used: unreadable, not TOML, wrong-typed, unknown version."""

    def __init__(
        self, path: str | os.PathLike[str], problem: str, *, line: int | None = None, key: str = ""
    ) -> None:
        self.path, self.problem, self.line, self.key = str(path), problem, line, key
        where = self.path if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")


class _Invalid(Exception):
    """A problem at a key path, before the file name is known."""

    def __init__(self, key: str, problem: str, line: int | None = None) -> None:
        super().__init__(problem)
        self.key, self.problem, self.line = key, problem, line


def load(path: str | os.PathLike[str]) -> Baseline:
    """Read a baseline file. Raises BaselineError, or FileNotFoundError when there is none."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise BaselineError(path, f"cannot read it: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")  # some Windows editors add a byte order mark
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BaselineError(path, "not UTF-8 text", line=line) from exc
    return loads(text, source=path)


def load_optional(path: str | os.PathLike[str]) -> Baseline | None:
    """Like `load`, but None when the file does not exist."""
    try:
        return load(path)
    except FileNotFoundError:
        return None


def loads(text: str, *, source: str | os.PathLike[str] = "<string>") -> Baseline:
    """Parse the text of a baseline file; errors name `source`, the line or the key path."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _decode_error(source, exc, text) from exc
    try:
        return _parse(doc, text)
    except _Invalid as exc:
        raise BaselineError(source, exc.problem, line=exc.line, key=exc.key) from None


def dumps(baseline: Baseline) -> str:
    """The TOML text of a baseline: stable order, rounded numbers, None fields left out."""
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    if baseline.fingerprint is not None:
        doc["environment"] = {name: getattr(baseline.fingerprint, name) for name, _ in _ENV_FIELDS}
    benchmarks = doc["benchmarks"] = {}
    for nodeid, entry in sorted(baseline.entries.items()):
        if entry.nodeid != nodeid or not entry.runs:
            raise ValueError(f"entry under {nodeid!r} is {entry.nodeid!r} with {entry.runs!r}")
        table: dict[str, Any] = {}
        if entry.group is not None:
            table["group"] = entry.group
        if entry.python_version:
            table["python"] = entry.python_version
        table["runs"] = [_run_doc(run, f"{_key('benchmarks', nodeid)}.runs") for run in entry.runs]
        benchmarks[nodeid] = table
    # tomli_w writes `[[...runs]]` tables unless every run fits on one line, which needs runs
    # without a reference and no raw samples (a measured newest run has them); both forms load.
    return tomli_w.dumps(doc)


def save(path: str | os.PathLike[str], baseline: Baseline) -> None:
    """Write a baseline atomically: a reader sees the old file or the new one, never a mix."""
    data = dumps(baseline).encode("utf-8")  # before touching the disk: a failure leaves no trace
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    # Same directory so os.replace is a rename; O_EXCL never reuses someone else's file;
    # mode 0o666 lets the umask decide, as for any file the user creates.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())  # else a crash after the rename can leave an empty file
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, stat.S_IMODE(target.stat().st_mode))
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def save_results(
    path: str | os.PathLike[str],
    results: Sequence[BenchResult],
    fingerprint: Fingerprint,
    *,
    keep: int = DEFAULT_KEEP,
    now: datetime,
) -> Baseline:
    """Merge `results` into the file at `path` (created if missing) and return what was saved.

    An existing file that cannot be read raises BaselineError before anything is written.
    """
    try:
        existing = load_optional(path)
    except BaselineError as exc:
        problem = f"{exc.problem} (nothing was saved; fix or remove the file)"
        raise BaselineError(exc.path, problem, line=exc.line, key=exc.key) from exc
    merged = history.merge(existing, results, fingerprint, keep=keep, now=now)
    save(path, merged)
    return merged


def _parse(doc: Mapping[str, Any], text: str) -> Baseline:
    _check_version(doc.get("schema_version"), text)
    _check_keys(doc, "", {"schema_version", "environment", "benchmarks"})
    fingerprint = None
    if "environment" in doc:
        env = _table(doc["environment"], "environment")
        _check_keys(env, "environment", {name for name, _ in _ENV_FIELDS})
        fingerprint = Fingerprint(
            **{name: _value(env, name, kind, "environment") for name, kind in _ENV_FIELDS}
        )
    entries = {}
    for nodeid, raw in _table(doc.get("benchmarks", {}), "benchmarks").items():
        where = _key("benchmarks", nodeid)
        table = _table(raw, where)
        _check_keys(table, where, {"group", "python", "runs"})
        runs = table.get("runs")
        if not isinstance(runs, list) or not runs:
            raise _Invalid(f"{where}.runs", f"expected at least one run, got {_show(runs)}")
        entries[nodeid] = BaselineEntry(
            nodeid=nodeid,
            group=_optional(table, "group", "string", where),
            runs=tuple(_parse_run(run, f"{where}.runs[{i}]") for i, run in enumerate(runs)),
            python_version=_optional(table, "python", "string", where) or "",
        )
    return Baseline(fingerprint, dict(sorted(entries.items())))


def _parse_run(raw: object, where: str) -> RunSummary:
    table = _table(raw, where)
    _check_keys(table, where, {name for name, _, _ in _RUN_FIELDS})
    values = {}
    for name, kind, _ in _RUN_FIELDS:
        if name in _RUN_REQUIRED:
            values[name] = _value(table, name, kind, where)
        else:
            values[name] = _optional(table, name, kind, where)
    return RunSummary(**values)


def _check_version(version: object, text: str) -> None:
    match = re.search(r"^[ \t]*schema_version[ \t]*=", text, re.MULTILINE)
    line = text.count("\n", 0, match.start()) + 1 if match else None
    reads = f"this perfguard ({__version__}) reads schema_version {SCHEMA_VERSION}"
    if version is None:
        problem = "no schema_version: not a perfguard baseline, or empty or truncated"
        raise _Invalid("", f"{problem}; {reads}", line)
    if type(version) is not int:
        raise _Invalid(
            "schema_version", f"expected an integer, got {_show(version)}; {reads}", line
        )
    if version > SCHEMA_VERSION:
        problem = f"the file has schema_version {version}, from a newer perfguard; {reads}"
        raise _Invalid("", f"{problem}; upgrade pytest-perfguard", line)
    if version != SCHEMA_VERSION:
        # Older versions would be migrated here, one version step at a time.
        raise _Invalid("", f"unknown schema_version {version}; {reads}", line)


def _value(table: Mapping[str, Any], name: str, kind: str, where: str) -> Any:
    key = f"{where}.{name}" if where else name
    if name not in table:
        raise _Invalid(key, f"missing, expected {_EXPECTED[kind]}")
    value = table[name]
    if kind == "numbers" and isinstance(value, list):
        return tuple(_convert(v, "number", f"{key}[{i}]") for i, v in enumerate(value))
    return _convert(value, kind, key)


def _convert(value: object, kind: str, key: str) -> Any:
    if kind == "timestamp" and isinstance(value, datetime):
        value = value.isoformat()  # a hand-written TOML date-time reads as well as a string
    if kind == "timestamp" and isinstance(value, str) and _is_timestamp(value):
        return value
    if kind == "string" and isinstance(value, str):
        return value
    if kind in ("integer", "number") and type(value) is int:  # bool is an int: excluded
        return value if kind == "integer" else float(value)
    if kind == "number" and type(value) is float and math.isfinite(value):
        return value
    raise _Invalid(key, f"expected {_EXPECTED[kind]}, got {_show(value)}")


def _optional(table: Mapping[str, Any], name: str, kind: str, where: str) -> Any:
    return _value(table, name, kind, where) if name in table else None


def _table(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(where, f"expected a table, got {_show(value)}")
    return value


def _check_keys(table: Mapping[str, Any], where: str, known: set[str]) -> None:
    for name in table:
        if name not in known:
            raise _Invalid(_key(where, name), f"unknown key (known: {', '.join(sorted(known))})")


def _run_doc(run: RunSummary, where: str) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for name, kind, digits in _RUN_FIELDS:
        value = getattr(run, name)
        if value is None:
            continue
        if kind in ("number", "numbers"):
            numbers = value if kind == "numbers" else (value,)
            if not all(math.isfinite(v) for v in numbers):
                raise ValueError(f"{where}.{name} is not finite: {value!r}")
            rounded = [float(f"{v:.{digits}g}") for v in numbers]
            value = rounded if kind == "numbers" else rounded[0]
        table[name] = value
    return table


def _is_timestamp(text: str) -> bool:
    try:
        return from_isoformat(text).tzinfo is not None
    except ValueError:
        return False


def _decode_error(source: str | os.PathLike[str], exc: Exception, text: str) -> BaselineError:
    # Python 3.14 exposes lineno/colno; earlier versions only put them in the message.
    message, line = str(exc), getattr(exc, "lineno", None)
    if found := re.search(r"\s*\(at line (\d+), column (\d+)\)", message):
        line = line or int(found[1])
        message = f"{message[: found.start()]}{message[found.end() :]} (column {found[2]})"
    elif found := re.search(r"\s*\(at end of document\)", message):
        line = text.rstrip("\n").count("\n") + 1
        message = f"{message[: found.start()]} at the end of the file (truncated?)"
    return BaselineError(source, f"not valid TOML: {message}", line=line)


def _key(where: str, name: str) -> str:
    part = name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _quote(name)
    return f"{where}.{part}" if where else part


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _show(value: object) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
