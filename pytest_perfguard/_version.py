"""The installed distribution's name and version, for fingerprints, file headers, `--version`,
and the other project that installs the same import package."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "perfguard"
"""This project on the package index; the import package is pytest_perfguard."""
SAME_IMPORT_NAME = "pytest-perfguard"
"""Another project on the package index that installs an import package pytest_perfguard too."""

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"


def same_import_name() -> str | None:
    """ "NAME VERSION" of the other distribution installing pytest_perfguard, when it is
    installed: its files and ours overwrite each other."""
    try:
        return f"{SAME_IMPORT_NAME} {version(SAME_IMPORT_NAME)}"
    except PackageNotFoundError:
        return None
