"""The baseline file's API: load it, dump it, save it under the lock; its schema version."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import tomli_w

from pytest_perfguard._version import __version__
from pytest_perfguard.errors import PerfguardError
from pytest_perfguard.model import DEFAULT_KEEP, Baseline, BenchResult, Fingerprint
from pytest_perfguard.store import history, locking
from pytest_perfguard.store.checks import Invalid, show
from pytest_perfguard.store.document import from_tables, to_tables
from pytest_perfguard.store.keypaths import clip, locate
from pytest_perfguard.store.limits import (
    MAX_COUNT,
    MAX_CPUS,
    MAX_FILE_BYTES,
    MAX_ITERATIONS,
    MAX_KEY_PARTS,
    MAX_NESTING,
    MAX_NS,
    MAX_RATIO,
    MIN_NS,
    MIN_RATIO,
    read_limited,
)
from pytest_perfguard.store.locking import LOCK_TIMEOUT, SAVE_DIR
from pytest_perfguard.store.prescan import prescan

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = [
    "MAX_COUNT",
    "MAX_CPUS",
    "MAX_FILE_BYTES",
    "MAX_ITERATIONS",
    "MAX_NS",
    "MAX_RATIO",
    "MIN_NS",
    "MIN_RATIO",
    "SAVE_DIR",
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


class BaselineError(PerfguardError):
    """A baseline file that cannot be used: unreadable, not TOML, wrong-typed, unknown version."""

    def __init__(
        self, path: str | os.PathLike[str], problem: str, *, line: int | None = None, key: str = ""
    ) -> None:
        self.path, self.problem, self.line, self.key = str(path), problem, line, key
        where = self.path if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")


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
        prescan(text, nesting=MAX_NESTING, key_parts=MAX_KEY_PARTS)
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
        raise BaselineError(source, f"not valid TOML: {clip(str(exc))}", line=line) from None
    except Invalid as exc:
        line = exc.line or locate(text, exc.path)
        raise BaselineError(source, exc.problem, line=line, key=exc.key) from None


def dumps(baseline: Baseline) -> str:
    """The TOML text of a baseline: stable order, rounded numbers, None fields left out."""
    # tomli_w writes `[[...runs]]` tables unless every run fits on one line, which needs runs
    # without a reference and no raw samples (a measured newest run has them); both forms load.
    return tomli_w.dumps(_document(baseline))


def _document(baseline: Baseline) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, **to_tables(baseline)}


def _parse(doc: Mapping[str, Any], text: str) -> Baseline:
    _check_version(doc.get("schema_version"), text)
    return from_tables(doc)


def save(path: str | os.PathLike[str], baseline: Baseline) -> None:
    """Write a baseline atomically: a reader sees the old file or the new one, never a mix.

    Holds the save lock (see `saving`) while writing, so it never interleaves with another
    perfguard process saving to the same file.
    """
    data = _checked_text(baseline, path)  # before touching the disk: a failure leaves no trace
    with saving(path):
        locking.replace(Path(path), data)


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
        locking.replace(Path(path), _checked_text(merged, path))
    return merged


@contextlib.contextmanager
def saving(path: str | os.PathLike[str], timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the OS lock on `path`'s lock file for a read-merge-replace, and clear the temporary
    files of saves that were killed (see `locking.locked`). BaselineError when another process
    holds the lock for over `timeout` seconds."""
    target = Path(path)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(locking.locked(target, timeout))
        except locking.LockTimeout as exc:
            raise BaselineError(target, str(exc)) from None
        yield


def _checked_text(baseline: Baseline, path: str | os.PathLike[str]) -> bytes:
    """The file's bytes, checked by the loader's own rules first (on the rounded values about
    to be written): perfguard never writes a file that the next run could not read."""
    doc = _document(baseline)
    try:
        _parse(doc, "")
    except Invalid as exc:
        problem = f"{exc.key}: {exc.problem}" if exc.key else exc.problem
        raise ValueError(f"refusing to write {path}, it would not load: {problem}") from None
    return tomli_w.dumps(doc).encode("utf-8")


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
        raise Invalid("", f"{problem}; {reads}", line)
    if type(version) is not int:
        raise Invalid("schema_version", f"expected an integer, got {show(version)}; {reads}", line)
    if version > SCHEMA_VERSION:
        problem = f"the file has schema_version {version}, from a newer perfguard; {reads}"
        raise Invalid("", f"{problem}; upgrade perfguard", line)
    if version != SCHEMA_VERSION:
        # Older versions would be migrated here, one version step at a time.
        raise Invalid("", f"unknown schema_version {version}; {reads}", line)


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
