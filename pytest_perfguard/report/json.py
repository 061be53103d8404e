"""The machine-readable results document (`--perf-json`): measurements, verdicts, environment.

Versioned: `schema_version` changes only when a key is removed or changes meaning. Units are in
the key names (`_ns`, `_bytes`, `_s`); `change` and `interval` are relative (0.25 = +25%).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_perfguard.codec import comparison_to_dict, result_to_dict
from pytest_perfguard.gate import GateOptions
from pytest_perfguard.model import BenchResult, Comparison, Fingerprint

SCHEMA_VERSION = 1


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity: write null (NaN) or a string ("inf", "-inf")."""
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def results_document(
    results: Sequence[BenchResult],
    comparisons: Mapping[str, Comparison],
    fingerprint: Fingerprint,
    settings: Mapping[str, Any],
    created: str,
) -> dict[str, Any]:
    benchmarks = []
    for result in results:
        entry = result_to_dict(result)
        comparison = comparisons.get(result.nodeid)
        entry["comparison"] = None if comparison is None else comparison_to_dict(comparison)
        benchmarks.append(entry)
    document: dict[str, Any] = _clean(
        {
            "schema_version": SCHEMA_VERSION,
            "created": created,
            "environment": dataclasses.asdict(fingerprint),
            "settings": dict(settings),
            "benchmarks": benchmarks,
        }
    )
    return document


def gate_settings(options: GateOptions) -> dict[str, Any]:
    """The settings that decided the verdicts, for the document's `settings` table."""
    return {
        "baseline": str(options.path),
        "compare": options.compare,
        "save": options.save,
        "strict": options.policy.strict,
        "warn_only": options.policy.warn_only,
        "alpha": options.policy.alpha,
        "min_effect": options.policy.min_effect,
        "keep_runs": options.keep,
    }


def render_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
