"""The baseline file: TOML <-> model, schema version, checked values, locked atomic replace."""

from __future__ import annotations

import array
import contextlib
import itertools
import json
import math
import os
import re
import secrets
import stat
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import fields
from datetime import datetime, timezone
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
    "MAX_FILE_BYTES",
    "SCHEMA_VERSION",
    "BaselineError",
    "dumps",
    "load",
    "load_optional",
    "loads",
    "save",
    "save_results",
    "saving",
]

SCHEMA_VERSION = 1

MAX_FILE_BYTES = 20 * 1024 * 1024
"""A baseline of 52 benchmarks is 70 kB: 20 MiB is some 15,000 benchmarks. Larger files are
refused unread, so a wrong path or a runaway file cannot stall a test run."""
MAX_NESTING = 32
"""Brackets nested deeper are refused before parsing: tomllib recurses once per level (and
raises RecursionError); a baseline nests 3 deep."""
MAX_KEY_PARTS = 16
"""A dotted key with more parts is refused before parsing: tomllib's time grows with the
square of the parts (100,000 took over 2 minutes); a baseline's keys have 3."""
# What any real measurement stays within; beyond these a value is damage, not a measurement.
MAX_NS = 1e15  # 11.6 days per op
MIN_NS = 1e-6  # a millionth of a nanosecond: the file keeps 5 significant digits of ns
MAX_RATIO, MIN_RATIO = 1e15, 1e-9
MAX_ITERATIONS = 10**12  # rounds, loops
MAX_COUNT = 1e18  # allocations and bytes per op, peak memory bytes
MAX_CPUS = 1_000_000
MAX_BENCHMARKS = 100_000
MAX_RUNS = 10_000  # runs per benchmark (--perf-keep-runs keeps 5 by default)
MAX_SAMPLES = 100_000  # raw per-round values per run (the writer keeps 32)
MAX_STRING = 65_536  # characters of a node id or any other string

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
_LIMITS: dict[str, tuple[float, float]] = {
    "median_ns": (MIN_NS, MAX_NS),
    "ref_ratio": (MIN_RATIO, MAX_RATIO),
    "reference_ns": (MIN_NS, MAX_NS),
    "rounds": (1, MAX_ITERATIONS),
    "loops": (1, MAX_ITERATIONS),
    "allocs_per_op": (0, MAX_COUNT),
    "bytes_per_op": (0, MAX_COUNT),
    "peak_memory_bytes": (0, MAX_COUNT),
    "samples_ns": (MIN_NS, MAX_NS),
    "ref_ratios": (MIN_RATIO, MAX_RATIO),
    "cpu_count": (1, MAX_CPUS),
}
"""(lowest, highest) value of each numeric field, inclusive; the writer checks them too."""
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

    def __init__(
        self, key: str, problem: str, line: int | None = None, path: tuple[str | int, ...] = ()
    ) -> None:
        super().__init__(problem)
        self.key, self.problem, self.line, self.path = key, problem, line, path


def read_limited(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a file, or OSError; a file over `limit` bytes is refused unread (ValueError
    saying so): whoever reads a file of unknown origin reads at most that much."""
    with open(path, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than the {limit // 1024 // 1024} MiB limit for a perfguard file")
    return data


def load(path: str | os.PathLike[str]) -> Baseline:
    """Read a baseline file. Raises BaselineError, or FileNotFoundError when there is none."""
    try:
        data = read_limited(path)
    except FileNotFoundError:
        raise
    except IsADirectoryError as exc:
        raise BaselineError(path, "is a directory, not a baseline file") from exc
    except OSError as exc:
        raise BaselineError(path, f"cannot read it: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise BaselineError(path, str(exc)) from exc
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
    """Parse the text of a baseline file; errors name `source`, the line or the key path.

    Every value is checked for type and range (the numbers the verdict divides and takes logs
    of are finite and positive), so any text either loads into a Baseline the rest of perfguard
    can use, or raises BaselineError: never another exception.
    """
    try:
        _prescan(text)
        if len(text) > 1024 * 1024:
            _check_head(text)  # a large file that is no baseline is refused unparsed
        doc = tomllib.loads(text)
        return _parse(doc, text)
    except tomllib.TOMLDecodeError as exc:
        raise _decode_error(source, exc, text) from None
    except RecursionError:
        problem = f"not valid TOML: nested too deeply (over {MAX_NESTING} levels)"
        raise BaselineError(source, problem) from None
    except ValueError as exc:  # tomllib's int() of a number with thousands of digits
        found = re.search(r"[0-9a-fA-F_]{4000}", text)
        line = text.count("\n", 0, found.start()) + 1 if found else None
        raise BaselineError(source, f"not valid TOML: {_clip(str(exc))}", line=line) from None
    except _Invalid as exc:
        line = exc.line or _locate(text, exc.path)
        raise BaselineError(source, exc.problem, line=line, key=exc.key) from None


def dumps(baseline: Baseline) -> str:
    """The TOML text of a baseline: stable order, rounded numbers, None fields left out."""
    # tomli_w writes `[[...runs]]` tables unless every run fits on one line, which needs runs
    # without a reference and no raw samples (a measured newest run has them); both forms load.
    return tomli_w.dumps(_document(baseline))


def _document(baseline: Baseline) -> dict[str, Any]:
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
    return doc


def save(path: str | os.PathLike[str], baseline: Baseline) -> None:
    """Write a baseline atomically: a reader sees the old file or the new one, never a mix.

    Holds the save lock (see `saving`) while writing, so it never interleaves with another
    perfguard process saving to the same file.
    """
    data = _checked_text(baseline, path)  # before touching the disk: a failure leaves no trace
    with saving(path):
        _replace(Path(path), data)


def save_results(
    path: str | os.PathLike[str],
    results: Sequence[BenchResult],
    fingerprint: Fingerprint,
    *,
    keep: int = DEFAULT_KEEP,
    now: datetime,
) -> Baseline:
    """Merge `results` into the file at `path` (created if missing) and return what was saved.

    The file is read again under the save lock, not taken from the start of the session, so
    runs saved meanwhile by other processes (another shard, another job in the same checkout)
    are merged, never lost. An existing file that cannot be read raises BaselineError before
    anything is written.
    """
    with saving(path):
        try:
            existing = load_optional(path)
        except BaselineError as exc:
            problem = f"{exc.problem} (nothing was saved; fix or remove the file)"
            raise BaselineError(exc.path, problem, line=exc.line, key=exc.key) from exc
        merged = history.merge(existing, results, fingerprint, keep=keep, now=now)
        _replace(Path(path), _checked_text(merged, path))
    return merged


SAVE_DIR = ".perfguard-save"
"""Beside the baseline: the save lock and temporary files, in a directory that git-ignores
itself (a `.gitignore` of `*`, as `.pytest_cache` has), so `git add` never picks them up and no
file of the user's is touched, wherever the baseline lives."""
LOCK_TIMEOUT = 60.0
"""Seconds a save waits for another process's save of the same file (one takes milliseconds)."""


@contextlib.contextmanager
def saving(path: str | os.PathLike[str], timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the OS lock on `path`'s lock file for a read-merge-replace, and clear the temporary
    files of saves that were killed (under the lock, every one left is stale).

    The lock file (`.perfguard-save/<name>.lock`) is created once and never removed: removing
    it would let two processes lock two different files of the same name. `fcntl.flock` on
    POSIX, `msvcrt.locking` on Windows; either is released by the OS when its holder dies.
    """
    target = Path(path)
    private = _save_dir(target)
    fd = os.open(private / f"{target.name}.lock", os.O_RDWR | os.O_CREAT | _O_BINARY, 0o666)
    try:
        _lock(fd, timeout, target)
        try:
            _remove_stale_temps(target, private)
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


_O_BINARY = getattr(os, "O_BINARY", 0)
_IGNORE_ALL = "# Created by pytest-perfguard: lock and temporary files of baseline saves.\n*\n"


def _save_dir(target: Path) -> Path:
    private = target.parent / SAVE_DIR
    private.mkdir(parents=True, exist_ok=True)
    ignore = private / ".gitignore"
    try:
        present = ignore.read_text(encoding="utf-8") == _IGNORE_ALL
    except (OSError, UnicodeDecodeError):
        present = False
    if not present:  # missing, or cut short by a kill: renamed into place whole
        temp = private / f".gitignore.{secrets.token_hex(4)}.tmp"
        temp.write_text(_IGNORE_ALL, encoding="utf-8")
        os.replace(temp, ignore)
    return private


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the current position
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _lock(fd: int, timeout: float, target: Path) -> None:
    deadline = time.monotonic() + timeout
    pause = 0.001
    while not _try_lock(fd):
        if time.monotonic() > deadline:
            raise BaselineError(
                target,
                f"another process has been saving it for over {timeout:g} s "
                f"(lock file {target.parent / SAVE_DIR / (target.name + '.lock')}); "
                "nothing was saved",
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _remove_stale_temps(target: Path, private: Path) -> None:
    """Temporary files of earlier saves of `target` that were killed: only perfguard's own
    names. Ours (in `private`) are all stale under the lock; those of perfguard versions that
    wrote them beside the baseline without a lock only once a minute old."""
    own = re.compile(rf"{re.escape(target.name)}\.[0-9a-f]{{8}}\.tmp")
    old = re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{8}}\.tmp")
    now = time.time()
    for folder, pattern, age in ((private, own, 0.0), (target.parent, old, 60.0)):
        for name in os.listdir(folder):
            if pattern.fullmatch(name):
                with contextlib.suppress(OSError):
                    if now - os.stat(folder / name).st_mtime >= age:
                        os.unlink(folder / name)


def _checked_text(baseline: Baseline, path: str | os.PathLike[str]) -> bytes:
    """The file's bytes, checked by the loader's own rules first (on the rounded values about
    to be written): perfguard never writes a file that the next run could not read."""
    doc = _document(baseline)
    try:
        _parse(doc, "")
    except _Invalid as exc:
        problem = f"{exc.key}: {exc.problem}" if exc.key else exc.problem
        raise ValueError(f"refusing to write {path}, it would not load: {problem}") from None
    return tomli_w.dumps(doc).encode("utf-8")


def _replace(target: Path, data: bytes) -> None:
    """Write `data` to a temporary file in the save directory, then rename it over `target`
    (the same filesystem, so the rename is atomic). Call with the save lock held."""
    temp = target.parent / SAVE_DIR / f"{target.name}.{secrets.token_hex(4)}.tmp"
    # O_EXCL never reuses someone else's file; mode 0o666 lets the umask decide, as for any
    # file the user creates.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
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


def _parse(doc: Mapping[str, Any], text: str) -> Baseline:
    _check_version(doc.get("schema_version"), text)
    _check_keys(doc, "", {"schema_version", "environment", "benchmarks"})
    fingerprint = None
    if "environment" in doc:
        try:
            env = _table(doc["environment"], "environment")
            _check_keys(env, "environment", {name for name, _ in _ENV_FIELDS})
            fingerprint = Fingerprint(
                **{name: _value(env, name, kind, "environment") for name, kind in _ENV_FIELDS}
            )
        except _Invalid as exc:
            exc.path = ("environment", *_path_of(exc.key[len("environment") :]))
            raise
    entries = {}
    benchmarks = _table(doc.get("benchmarks", {}), "benchmarks")
    if len(benchmarks) > MAX_BENCHMARKS:
        raise _Invalid("benchmarks", f"more than {MAX_BENCHMARKS} benchmarks")
    for nodeid, raw in benchmarks.items():
        where = _key("benchmarks", nodeid)
        try:
            entries[nodeid] = _parse_entry(nodeid, raw, where)
        except _Invalid as exc:
            exc.path = ("benchmarks", nodeid, *_path_of(exc.key[len(where) :]))
            raise
    return Baseline(fingerprint, dict(sorted(entries.items())))


def _parse_entry(nodeid: str, raw: object, where: str) -> BaselineEntry:
    if len(nodeid) > MAX_STRING:
        raise _Invalid(where, f"a node id of {len(nodeid)} characters (at most {MAX_STRING})")
    table = _table(raw, where)
    _check_keys(table, where, {"group", "python", "runs"})
    runs = table.get("runs")
    if not isinstance(runs, list) or not runs:
        raise _Invalid(f"{where}.runs", f"expected at least one run, got {_show(runs)}")
    if len(runs) > MAX_RUNS:
        raise _Invalid(f"{where}.runs", f"{len(runs)} runs, more than the {MAX_RUNS} allowed")
    return BaselineEntry(
        nodeid=nodeid,
        group=_optional(table, "group", "string", where),
        runs=tuple(_parse_run(run, f"{where}.runs[{i}]") for i, run in enumerate(runs)),
        python_version=_optional(table, "python", "string", where) or "",
    )


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


_HEADER = re.compile(r"^[ \t]*\[", re.MULTILINE)
_VERSION_KEY = re.compile(r"""^[ \t]*["']?schema_version["']?[ \t]*=""", re.MULTILINE)


def _check_head(text: str) -> None:
    """A top-level key comes before the first table header in TOML: without schema_version
    there, the file is no baseline, whatever follows, and need not be parsed at all."""
    header = _HEADER.search(text)
    if not _VERSION_KEY.search(text, 0, len(text) if header is None else header.start()):
        _check_version(None, "")


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
    value, limits = table[name], _LIMITS.get(name)
    if kind == "numbers" and isinstance(value, list):
        if len(value) > MAX_SAMPLES:
            raise _Invalid(key, f"{len(value)} values, more than the {MAX_SAMPLES} allowed")
        return tuple(_convert(v, "number", f"{key}[{i}]", limits) for i, v in enumerate(value))
    return _convert(value, kind, key, limits)


def _convert(value: object, kind: str, key: str, limits: tuple[float, float] | None = None) -> Any:
    if kind == "timestamp" and isinstance(value, datetime):
        value = value.isoformat()  # a hand-written TOML date-time reads as well as a string
    if kind == "timestamp" and isinstance(value, str) and _is_timestamp(value):
        return value
    if kind == "string" and isinstance(value, str):
        if len(value) > MAX_STRING:
            raise _Invalid(key, f"a string of {len(value)} characters (at most {MAX_STRING})")
        return value
    number: int | float | None = None
    if kind in ("integer", "number") and type(value) is int:  # bool is an int: excluded
        number = value if kind == "integer" else float(value)
    elif kind == "number" and type(value) is float and math.isfinite(value):
        number = value
    if number is None:
        raise _Invalid(key, f"expected {_EXPECTED[kind]}, got {_show(value)}")
    if limits is not None and not limits[0] <= number <= limits[1]:
        low, high = limits
        raise _Invalid(
            key, f"expected {_EXPECTED[kind]} from {low:g} to {high:g}, got {_show(value)}"
        )
    return number


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
    if len(text) > 64:
        return False
    try:
        stamp = from_isoformat(text)
        # Timestamps are compared and sorted across offsets: they must exist in UTC too.
        return stamp.tzinfo is not None and stamp.astimezone(timezone.utc) is not None
    except (ValueError, OverflowError):
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
    """A name as a TOML basic string, control characters escaped and clipped: for messages,
    which stay on one line."""
    return _clip(json.dumps(name, ensure_ascii=False), 200)


def _clip(text: str, most: int = 200) -> str:
    return text if len(text) <= most else text[: most - 3] + "..."


def _path_of(suffix: str) -> tuple[str | int, ...]:
    """`.runs[2].median_ns` -> ("runs", 2, "median_ns"): a key path's parts after a table."""
    return tuple(
        int(index) if index else name
        for name, index in re.findall(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]", suffix)
    )


def _locate(text: str, path: tuple[str | int, ...]) -> int | None:
    """Best effort: the line of a key path in a file laid out as `dumps` writes it (a table
    per benchmark, one per run, a key per line); None where the layout differs."""
    if path[:1] == ("environment",) and len(path) >= 2:
        header, nth, field = "[environment]", 0, path[1]
    elif path[:1] == ("benchmarks",) and len(path) >= 2:
        table = "benchmarks." + _toml_key(str(path[1]))
        if len(path) >= 4 and path[2] == "runs" and isinstance(path[3], int):
            header, nth, field = f"[[{table}.runs]]", path[3], (path[4:5] or ("",))[0]
        else:
            header, nth, field = f"[{table}]", 0, (path[2:3] or ("",))[0]
    else:
        return None
    item = path[-1] if isinstance(path[-1], int) and path[-2] == field else -1
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == header]
    if len(starts) <= nth:
        return None
    start = starts[nth]
    if isinstance(field, str) and field:
        assignment = re.compile(rf"\s*{re.escape(_toml_key(field))}\s*=")
        for i in range(start + 1, len(lines)):
            if lines[i].lstrip().startswith("["):
                break
            if assignment.match(lines[i]):
                # An array is written one item per line: point at the item.
                multiline = lines[i].rstrip().endswith("[") and item >= 0
                return i + 2 + item if multiline and i + 1 + item < len(lines) else i + 1
    return start + 1


def _toml_key(name: str) -> str:
    """A key part as tomli_w writes it (bare where it can be)."""
    if re.fullmatch(r"[A-Za-z0-9_-]+", name):
        return name
    return str(tomli_w.dumps({name: 0}).rsplit(" = ", 1)[0])


_NEXT_STRING = re.compile(r"""("[^"\\\n]*"(?!")|'[^'\n]*'(?!'))|#[^\n]*|["']""")
"""The next string or comment; group 1 when it is a string of one line without escapes."""
_BASIC_RUN = re.compile(r'[^"\\\n]*')
# The text without strings and comments, as bytes, boiled down by translate (C speed): to its
# dots and what ends a dotted key (= , brackets, newlines; the dots of `a.b = 1.5` are two
# keys' worth), and to its brackets as steps of +1 and -1.
_KEY_ENDS = bytes.maketrans(b"=[]{}", b",,,,,")
_NOT_KEY_BYTES = bytes(set(range(256)) - set(b".=,[]{}\n"))
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def _prescan(text: str) -> None:
    """Refuse, before parsing, what would make tomllib recurse or crawl: brackets nested over
    MAX_NESTING deep, keys of over MAX_KEY_PARTS dotted parts. Strings and comments are set
    aside first (a string becomes one placeholder letter, so `"a"."b"` still counts as a
    dotted key), then the rest is checked with counts and translations, not character by
    character. At an unterminated string the scan stops: tomllib then says where it is."""
    parts = []
    pos = 0
    while found := _NEXT_STRING.search(text, pos):
        start = found.start()
        parts.append(text[pos:start])
        if found[1] is not None:  # a one-line string without escapes: most of them
            parts.append("s")
            pos = found.end()
        elif text[start] == "#":  # a comment: dropped, its newline kept (for line numbers)
            pos = found.end()
        else:  # escapes or several lines
            pos = _string_end(text, start)
            if pos < 0:
                return _check_plain("".join(parts))
            parts.append("s" + "\n" * text.count("\n", start, pos))
    parts.append(text[pos:])
    return _check_plain("".join(parts))


def _check_plain(plain: str) -> None:
    """Dotted keys and nesting of text without strings or comments (lines as in the file)."""
    data = plain.encode("utf-8", "replace")
    keys = data.translate(_KEY_ENDS, _NOT_KEY_BYTES)
    if (deep := keys.find(b"." * MAX_KEY_PARTS)) >= 0:
        problem = f"a dotted key of over {MAX_KEY_PARTS} parts"
        raise _Invalid("", problem, keys.count(b"\n", 0, deep) + 1)
    steps = data.translate(_STEPS, _NOT_BRACKETS)
    if steps.count(1) <= MAX_NESTING:
        return
    # A stray closing bracket is an error tomllib stops at, before any later nesting: the
    # plain running sum, never clamped at 0, is enough.
    if max(itertools.accumulate(array.array("b", steps))) > MAX_NESTING:
        level = 0
        for found in re.finditer(r"[\[\]{}]", plain):
            level += 1 if found[0] in "[{" else -1
            if level > MAX_NESTING:
                problem = f"brackets nested over {MAX_NESTING} deep"
                raise _Invalid("", problem, _line_at(plain, found.start()))


def _string_end(text: str, start: int) -> int:
    """Where the TOML string starting at `start` ends (just past it), or -1 if it never does."""
    quote = text[start]
    if text.startswith(quote * 3, start):  # multi-line
        pos = start + 3
        while (end := text.find(quote * 3, pos)) >= 0:
            before = text[pos:end]
            if quote == '"' and (len(before) - len(before.rstrip("\\"))) % 2:
                pos = end + 1  # an escaped quote: look further
                continue
            end += 3
            for _ in range(2):  # up to two more quotes belong to the string
                if text.startswith(quote, end):
                    end += 1
            return end
        return -1
    if quote == "'":
        end = text.find("'", start + 1)
        return -1 if end < 0 or text.find("\n", start + 1, end) >= 0 else end + 1
    pos = start + 1
    while True:
        pos = _BASIC_RUN.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= len(text) or text[pos] == "\n":
            return -1
        if text[pos] == '"':
            return pos + 1
        pos += 2  # a backslash and the character it escapes


def _line_at(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _show(value: object) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
