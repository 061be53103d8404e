"""Where the allocations changed: two allocation-site tables diffed site by site (pure)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from pytest_perfguard.judge.where import TOP, match_functions
from pytest_perfguard.model import AllocSite, MetricComparison, SiteChange, Verdict, Where

__all__ = ["SITES_KEPT", "SITE_METRICS", "diff_objects", "diff_sites", "with_site_changes"]

SITES_KEPT = 15
"""Allocation sites a saved run keeps (the newest run only), by allocs/op: 15 lines each."""
SITE_METRICS = frozenset({"allocs", "bytes", "objects", "memory"})
"""Metrics whose regression "where" names the allocation sites for."""


def _objects(s: AllocSite) -> float:
    return s.objects or 0.0


def _comparable(
    base: Sequence[AllocSite],
    head: Sequence[AllocSite],
    kept: int | None,
    count: Callable[[AllocSite], float] = lambda s: s.allocs,
) -> Sequence[AllocSite]:
    """Head's sites that base can be compared with: all of them, unless base is a saved table
    cut at `kept` sites by allocs/op; then a head site it lacks is compared only if it makes
    more allocations (`count`) per op than the least base kept (else it may be one base cut)."""
    if kept is None or len(base) < kept:
        return head
    floor = min(count(s) for s in base)
    named = {(s.file, s.function) for s in base}
    return [s for s in head if (s.file, s.function) in named or count(s) > floor]


def _changes(
    base: Sequence[AllocSite], head: Sequence[AllocSite], objects: bool
) -> list[SiteChange]:
    """Every matched site's change, sorted by name; objects only when `objects`."""
    changes = []
    for b, h in match_functions(base, head):
        named = h if h is not None else b
        assert named is not None
        changes.append(
            SiteChange(
                named.file,
                named.line,
                named.function,
                base_allocs=b.allocs if b else 0.0,
                head_allocs=h.allocs if h else 0.0,
                base_bytes=b.nbytes if b else 0.0,
                head_bytes=h.nbytes if h else 0.0,
                base_objects=(_objects(b) if b else 0.0) if objects else None,
                head_objects=(_objects(h) if h else 0.0) if objects else None,
            )
        )
    changes.sort(key=lambda c: (c.file, c.function, c.line))
    return changes


def counts_objects(sites: Sequence[AllocSite]) -> bool:
    """The table counted objects per site (3.13+)."""
    return any(s.objects is not None for s in sites)


def diff_sites(
    base: Sequence[AllocSite],
    head: Sequence[AllocSite],
    top: int = TOP,
    *,
    kept: int | None = None,
) -> tuple[tuple[SiteChange, ...], tuple[SiteChange, ...]]:
    """The `top` sites by the largest change in allocations per op, and those by the largest
    change in bytes per op (rises and falls alike, largest first; unchanged ones left out).

    Sites are matched as profiled functions are (file and qualified name, then lines in
    order, then nearest: an edit above a function moves its lines); a change is named by
    head's line where head has the site. A site absent from one side counts as 0 there.
    `kept`: base is a saved table of at most that many sites (see _comparable). Empty when
    either side has no sites.
    """
    if not base or not head:
        return (), ()
    objects = counts_objects(base) and counts_objects(head)
    changes = _changes(base, _comparable(base, head, kept), objects)
    by_allocs = [c for c in changes if c.head_allocs != c.base_allocs]
    by_allocs.sort(key=lambda c: -abs(c.head_allocs - c.base_allocs))
    by_bytes = [c for c in changes if c.head_bytes != c.base_bytes]
    by_bytes.sort(key=lambda c: -abs(c.head_bytes - c.base_bytes))
    return tuple(by_allocs[:top]), tuple(by_bytes[:top])


def diff_objects(
    base: Sequence[AllocSite],
    head: Sequence[AllocSite],
    top: int = TOP,
    *,
    kept: int | None = None,
) -> tuple[SiteChange, ...]:
    """The `top` sites by the largest change in objects created per op (3.13+: a free-list
    object, made with no allocator call, counts too), matched as diff_sites matches them.
    Empty unless both sides counted objects."""
    if not (counts_objects(base) and counts_objects(head)):
        return ()
    changes = _changes(base, _comparable(base, head, kept, _objects), True)
    by_objects = [c for c in changes if c.head_objects != c.base_objects]
    by_objects.sort(key=lambda c: -abs((c.head_objects or 0.0) - (c.base_objects or 0.0)))
    return tuple(by_objects[:top])


class _Base(Protocol):
    """The evidence's side of it (judge.evidence.Evidence)."""

    @property
    def name(self) -> str: ...
    @property
    def live(self) -> bool: ...
    @property
    def sites(self) -> Sequence[AllocSite]: ...
    @property
    def sites_kept(self) -> int | None: ...


def with_site_changes(
    where: Where | None,
    base: _Base,
    metrics: Sequence[MetricComparison],
    sites: Sequence[AllocSite],
) -> Where | None:
    """`where` with the site changes when an allocation or memory metric regressed (made
    when the profiles gave none); unchanged otherwise."""
    if not any(m.verdict is Verdict.REGRESSED and m.metric in SITE_METRICS for m in metrics):
        return where
    by_allocs, by_bytes = diff_sites(base.sites, sites, kept=base.sites_kept)
    by_objects = diff_objects(base.sites, sites, kept=base.sites_kept)
    if not by_allocs and not by_bytes and not by_objects:
        return where
    if where is None:
        where = Where((), (), base.name, base.live)
    return replace(
        where, sites_by_allocs=by_allocs, sites_by_bytes=by_bytes, sites_by_objects=by_objects
    )
