"""What the `perfguard` commands read: a baseline TOML or a results JSON, told apart by content."""

from __future__ import annotations

from pytest_perfguard.errors import PerfguardError
from pytest_perfguard.model import Baseline
from pytest_perfguard.report.json import Results, ResultsError, parse_results
from pytest_perfguard.store import baseline as storage
from pytest_perfguard.store import limits

__all__ = ["FORMATS", "InputError", "read_input"]

FORMATS = (
    "FILE is a baseline (TOML, written by --perf-save) or a results document (JSON, written by "
    "--perf-json): a file whose text starts with '{' or whose name ends in .json is read as "
    "JSON, anything else as TOML."
)


class InputError(PerfguardError):
    """A file the command cannot use; the message starts with the file's name."""


def read_input(path: str) -> Baseline | Results:
    """Read a baseline or a results document (see FORMATS); InputError when it is neither."""
    try:
        data = limits.read_limited(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text, so neither a baseline nor results") from None
    # A TOML document cannot start with '{', a JSON object must: the content decides, and the
    # name only picks which parser explains a broken file.
    if text.lstrip().startswith("{") or path.lower().endswith(".json"):
        try:
            return parse_results(text, source=path)
        except ResultsError as exc:
            raise InputError(str(exc)) from None
    try:
        return storage.loads(text, source=path)
    except storage.BaselineError as exc:
        hint = " (expected a perfguard baseline TOML or --perf-json results JSON)"
        raise InputError(str(exc) + (hint if "not valid TOML" in exc.problem else "")) from None
