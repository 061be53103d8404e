"""Where the end-of-session reports go, checked before anything runs."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pytest_perfguard.errors import PerfguardError

__all__ = [
    "OutputError",
    "Outputs",
    "make_directory",
    "outputs_from",
    "prepare_output",
    "shown_path",
]


class OutputError(PerfguardError):
    """An output path the run could not write at its end, found before anything runs."""


def make_directory(directory: Path, failure: str) -> None:
    """Create `directory` and its parents (nothing when it exists); OutputError `failure` with
    the system's reason when it cannot."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{failure}: {exc.strerror or str(exc)}") from None


def prepare_output(path: Path, source: str) -> None:
    """Check a file the run writes at its end, before anything runs, so a bad path is one line
    instead of a traceback after the whole run: not a directory, its directory created (as
    pytest's --junitxml creates it; here early, since creating it is the only true check),
    and writable."""
    if path.is_dir():
        raise OutputError(f"{source} {path}: is a directory; give a file path")
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise OutputError(f"{source} {path}: {parent} is a file, not a directory")
    make_directory(parent, f"{source} {path}: cannot create the directory {parent}")
    if not os.access(path if path.exists() else parent, os.W_OK):
        raise OutputError(f"{source} {path}: not writable")


@dataclass(frozen=True, slots=True)
class Outputs:
    """Where the end-of-session reports go (None: not written)."""

    json: Path | None = None
    markdown: Path | None = None
    step_summary: Path | None = None
    """GitHub Actions' job summary file, appended to."""
    html: Path | None = None
    roots: tuple[Path, ...] = ()
    """Directories a report names the baseline relative to (rootdir, then the invocation
    directory): a runner's absolute checkout path means nothing to a reader of the summary."""


def shown_path(path: Path, roots: Iterable[Path]) -> str:
    """`path` relative to the first root it is under, else as given."""
    for root in roots:
        if path.is_relative_to(root):
            return str(path.relative_to(root))
    return str(path)


def outputs_from(
    json: Path | None,
    markdown: Path | None,
    html: Path | None = None,
    roots: tuple[Path, ...] = (),
) -> Outputs:
    """The report paths of a session; GITHUB_STEP_SUMMARY from the environment."""
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    return Outputs(json, markdown, Path(step) if step else None, html, roots)
