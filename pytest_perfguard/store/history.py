"""A baseline's history: appending runs, trimming to K, combining shards."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from pytest_perfguard.judge.compatibility import differences, entry_environment
from pytest_perfguard.judge.efficiency import saved_figures
from pytest_perfguard.judge.sites import SITES_KEPT
from pytest_perfguard.metrics import carried_fields
from pytest_perfguard.model import (
    DEFAULT_KEEP,
    Baseline,
    BaselineEntry,
    BenchResult,
    Caveat,
    Fingerprint,
    FunctionCost,
    RunSummary,
)
from pytest_perfguard.store.codec import from_isoformat

__all__ = ["merge", "merge_baselines", "restarted"]


def merge(
    existing: Baseline | None,
    results: Sequence[BenchResult],
    fingerprint: Fingerprint,
    *,
    keep: int = DEFAULT_KEEP,
    now: datetime,
) -> Baseline:
    """The baseline after a run: measured benchmarks get a run appended, others stay as they are.

    Each measured benchmark gets a RunSummary stamped `now` (timezone-aware) appended to its
    runs, which are trimmed to the last `keep`; only the newest keeps raw samples (thinned to
    SAMPLES_KEPT, and only while fewer than SAMPLES_UNTIL_RUNS runs are saved). Benchmarks not
    measured now are kept unchanged, so a `-k` run does not wipe the file. When a result's node
    id appears more than once (a rerun plugin), the last one counts.

    Environment rule: when `compatibility.differences` finds the old runs of a re-measured benchmark
    incomparable with `fingerprint` (another or an unknown machine, a hosted CI job, CPU model,
    Python minor, implementation, OS or architecture changed), those runs are dropped and the
    benchmark starts again from this run alone, because mixing machines would pass for
    run-to-run variation (`restarted` names them, so the save can say so). The result carries
    `fingerprint`; kept benchmarks that were not re-measured still hold runs from the old
    environment (their `python_version` and `machine` say which).
    """
    _check_keep(keep)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    stamp = now.astimezone(timezone.utc).isoformat(timespec="seconds")
    entries = dict(existing.entries) if existing is not None else {}
    old_fingerprint = existing.fingerprint if existing is not None else None
    for nodeid, result in {r.nodeid: r for r in results}.items():
        previous = entries.get(nodeid)
        runs: tuple[RunSummary, ...] = ()
        if previous is not None and not differences(old_fingerprint, fingerprint, previous):
            runs = previous.runs
        run = _summary(result, stamp)
        entries[nodeid] = BaselineEntry(
            nodeid,
            result.group,
            _trim((*runs, run), keep),
            fingerprint.python_minor,
            fingerprint.machine,
        )
    return Baseline(fingerprint, dict(sorted(entries.items())))


def restarted(
    existing: Baseline | None, nodeids: Iterable[str], fingerprint: Fingerprint
) -> dict[str, tuple[Caveat, ...]]:
    """The benchmarks among `nodeids` whose saved runs a save from `fingerprint` drops (see
    `merge`), each with what differs."""
    if existing is None:
        return {}
    found = {}
    for nodeid in sorted(set(nodeids)):
        entry = existing.entries.get(nodeid)
        if entry is not None and (why := differences(existing.fingerprint, fingerprint, entry)):
            found[nodeid] = why
    return found


def merge_baselines(a: Baseline, b: Baseline, *, keep: int = DEFAULT_KEEP) -> Baseline:
    """Combine two baselines, e.g. the shards of a split CI run.

    A node id in one only is taken as it is. A node id in both: when the fingerprints are
    comparable (`compatibility.differences` finds nothing) and both entries record the same
    Python, their runs are combined in timestamp order, a run present in both (shards started
    from the same committed file) counted once, and the last `keep` kept, the group taken from
    the entry with the newest run. Otherwise the entry with the newer newest run is kept whole:
    runs from different machines are never mixed. The result carries the fingerprint of the
    baseline holding the newest run (or the other one's when that one has none). Pairwise, so
    shards fold left to right.
    """
    _check_keep(keep)
    newer_first = sorted((a, b), key=_newest_in_baseline, reverse=True)
    fingerprint = newer_first[0].fingerprint or newer_first[1].fingerprint
    entries = dict(a.entries)
    for nodeid, theirs in b.entries.items():
        ours = entries.get(nodeid)
        if ours is None:
            entries[nodeid] = theirs
            continue
        newer = max(ours, theirs, key=_newest_in_entry)
        if _pools(a.fingerprint, ours, b.fingerprint, theirs):
            newer = replace(newer, runs=_trim(_union(ours.runs, theirs.runs), keep))
        entries[nodeid] = newer
    return Baseline(fingerprint, dict(sorted(entries.items())))


def _pools(
    fa: Fingerprint | None, ours: BaselineEntry, fb: Fingerprint | None, theirs: BaselineEntry
) -> bool:
    """Whether two entries' runs may be combined: measured on one machine with one Python
    (each entry's own, over its file's), and comparable environments where both files record
    one. A machine nobody recorded is no machine: such runs never pool."""
    same = ours.python_version == theirs.python_version
    if fa is None or fb is None:
        return same and bool(ours.machine) and ours.machine == theirs.machine
    return same and not differences(entry_environment(fa, ours), entry_environment(fb, theirs))


PROFILE_KEPT = 15
"""Functions kept in the newest run's profile: 15 lines per benchmark in the file."""
SAMPLES_KEPT = 32
"""Raw per-round figures kept for the newest run: evenly spaced over the run, enough for the
verdict's within-run U test, few enough that the file stays reviewable."""
SAMPLES_UNTIL_RUNS = 3
"""Raw samples serve only the verdict's few-runs check (fewer than 3 saved runs); from then on
run-to-run variation comes from the saved runs and the samples are dropped."""


def _thin(values: tuple[float, ...]) -> tuple[float, ...] | None:
    if not values:
        return None
    if len(values) <= SAMPLES_KEPT:
        return values
    step = len(values) / SAMPLES_KEPT
    return tuple(values[int(i * step)] for i in range(SAMPLES_KEPT))


def _summary(result: BenchResult, stamp: str) -> RunSummary:
    m = result.measurement
    metrics: dict[str, Any] = {name: getattr(m, name) for name in carried_fields()}
    return RunSummary(
        timestamp=stamp,
        ref_ratio=m.ref_ratio,
        reference_ns=m.reference_ns if m.ref_ratios else None,  # no reference ran
        rounds=m.rounds,
        loops=m.loops,
        samples_ns=_thin(m.samples_ns),
        ref_ratios=_thin(m.ref_ratios),
        profile=_compact(m.profile) if m.calls_per_op is not None else None,
        sites=m.sites[:SITES_KEPT] or None,
        **metrics,
        **saved_figures(m, _thin),
    )


def _compact(profile: tuple[FunctionCost, ...]) -> tuple[FunctionCost, ...]:
    """The top PROFILE_KEPT functions by own time, without cumulative time: what a later run's
    profile is diffed against (one line each in the file)."""
    return tuple(replace(f, cumulative_ns=None) for f in profile[:PROFILE_KEPT])


def _trim(runs: tuple[RunSummary, ...], keep: int) -> tuple[RunSummary, ...]:
    kept = runs[-keep:]
    kept = (*(replace(r, profile=None, sites=None) for r in kept[:-1]), *kept[-1:])  # newest's
    with_samples = kept[-1:] if len(kept) < SAMPLES_UNTIL_RUNS else ()
    without = kept[: len(kept) - len(with_samples)]
    return (
        *(replace(r, samples_ns=None, ref_ratios=None, efficiency_rounds=None) for r in without),
        *with_samples,
    )


def _union(ours: Iterable[RunSummary], theirs: Iterable[RunSummary]) -> tuple[RunSummary, ...]:
    unique: dict[RunSummary, RunSummary] = {}
    for run in (*ours, *theirs):
        summary = replace(run, samples_ns=None, ref_ratios=None, profile=None, sites=None)
        summary = replace(summary, efficiency_rounds=None)
        if summary not in unique or run.samples_ns is not None or run.profile is not None:
            unique[summary] = run  # the same run with and without raw samples counts once
    return tuple(sorted(unique.values(), key=lambda r: _parse_time(r.timestamp)))


_OLDEST = datetime.min.replace(tzinfo=timezone.utc)


def _newest_in_entry(entry: BaselineEntry) -> datetime:
    return max((_parse_time(run.timestamp) for run in entry.runs), default=_OLDEST)


def _newest_in_baseline(baseline: Baseline) -> datetime:
    return max(map(_newest_in_entry, baseline.entries.values()), default=_OLDEST)


def _parse_time(text: str) -> datetime:
    parsed = from_isoformat(text)
    # The model's timestamps are UTC; a naive one (built in code, never loaded) is read as such.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _check_keep(keep: int) -> None:
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
