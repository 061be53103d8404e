"""A "where"'s allocation-site changes <-> plain dicts of JSON types (see codec.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_perfguard.model import SiteChange

__all__ = ["changes_from_dicts", "changes_to_dicts"]


def changes_to_dicts(changes: tuple[SiteChange, ...]) -> list[dict[str, Any]]:
    """A "where"'s site changes for JSON: per op, base and head."""
    return [dataclasses.asdict(c) for c in changes]


def changes_from_dicts(raw: Sequence[Mapping[str, Any]]) -> tuple[SiteChange, ...]:
    return tuple(SiteChange(**c) for c in raw)
