"""`python -m pytest_perfguard`: the `perfguard` console script."""

from __future__ import annotations

from pytest_perfguard.cli import main

raise SystemExit(main())
