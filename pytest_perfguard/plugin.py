"""pytest hooks, options, marker and fixture: the only module that imports pytest."""

from __future__ import annotations
