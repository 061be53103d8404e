"""Simulate noisy suites to measure the verdict's false failures and detection (seeded, rerunnable).

Model (log scale, per benchmark): a fixed level; per run a drift the reference cannot see
(sd 5-17% for pure-Python benchmarks on the reference-corrected scale, 35-50% raw for C-heavy
ones); a machine-speed factor per run shared by the whole suite (sd 30%, the "2x" swings),
which the reference ratio cancels for pure-Python code and adds to C-heavy code; per-round
noise (sd 2-10%, 5% of rounds 30% slow). K saved runs, then the current run.

Gates, on the same simulated builds: the plugin's per-test decision (compare_benchmark,
Bonferroni over the suite) with each benchmark's own run-to-run variance ("unmoderated") and
with variances moderated toward a per-scale prior fitted over the baseline ("moderated",
Smyth 2004); compare_all (Holm, moderated); pytest-benchmark's mean:10%.

    .venv/bin/python benchmarks/simulate_verdict.py [--builds N] [--seed S] [--config I]
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable

import numpy as np

from pytest_perfguard.judge.policy import Observation, Policy
from pytest_perfguard.judge.timeverdict import fit_time_prior
from pytest_perfguard.judge.verdict import compare_all, compare_benchmark
from pytest_perfguard.model import (
    Baseline,
    BaselineEntry,
    BenchResult,
    BenchSettings,
    Comparison,
    Fingerprint,
    Measurement,
    RunSummary,
)

FP = Fingerprint("CPython", "3.11.7", "Linux", "x86_64", "sim CPU", 2, "0", "test-machine")
PY_SHARE = 0.7
Run = tuple[np.ndarray, np.ndarray, np.ndarray]
MACHINE_SD = 0.30


class Suite:
    """One simulated suite: fixed per-benchmark properties."""

    def __init__(self, rng: np.random.Generator, n: int, py_drift: tuple[float, float]) -> None:
        self.n = n
        self.level = rng.uniform(math.log(1e3), math.log(1e6), n)
        self.is_py = rng.random(n) < PY_SHARE
        py = rng.uniform(*py_drift, n)
        self.drift = np.where(self.is_py, py, rng.uniform(0.35, 0.50, n))
        self.noise = rng.uniform(0.02, 0.10, n)
        self.rounds = rng.integers(15, 60, n)

    def run(self, rng: np.random.Generator, effect: np.ndarray) -> list[Run]:
        """Per benchmark: (per-round ns/op, per-round reference ratios, reference ns) of one run."""
        machine = rng.normal(0.0, MACHINE_SD)
        out: list[Run] = []
        for b in range(self.n):
            own = rng.normal(0.0, self.drift[b]) + math.log1p(effect[b])
            rounds = int(self.rounds[b])
            noise = rng.normal(0.0, self.noise[b], rounds) + np.where(
                rng.random(rounds) < 0.05, 0.3, 0.0
            )
            ref_noise = rng.normal(0.0, 0.02, rounds)
            # Reference rounds run at the machine's speed; the benchmark follows it only when
            # it is pure Python (that is what makes the ratio useful there and not elsewhere).
            raw = self.level[b] + own + noise + (machine if self.is_py[b] else 0.0)
            ref_ns = 50.0 * math.exp(machine)
            ratios = raw - np.log(ref_ns) - ref_noise
            out.append((np.exp(raw), np.exp(ratios), np.array([ref_ns])))
        return out


def _summary(raw: np.ndarray, ratios: np.ndarray, ref: np.ndarray, keep: bool) -> RunSummary:
    return RunSummary("2026-01-01T00:00:00Z", float(np.median(raw)), float(np.median(ratios)),
                      float(ref[0]), len(raw), 1, 2.0, 64.0, None,
                      tuple(map(float, raw)) if keep else None,
                      tuple(map(float, ratios)) if keep else None)  # fmt: skip


def _measurement(raw: np.ndarray, ratios: np.ndarray, ref: np.ndarray) -> Measurement:
    med = float(np.median(raw))
    return Measurement(med, float(np.median(abs(raw - med))), len(raw), 1,
                       tuple(map(float, raw)), tuple(map(float, ratios)), float(ref[0]), 0.0,
                       allocs_per_op=2.0, bytes_per_op=64.0)  # fmt: skip


Gate = Callable[[Baseline, list[BenchResult]], list[bool]]


def verdict_gate(policy: Policy) -> Gate:
    def gate(baseline: Baseline, results: list[BenchResult]) -> list[bool]:
        comps: list[Comparison] = compare_all(baseline, results, FP, policy)
        return [bool(c.failing) for c in comps]

    return gate


def plugin_gate(policy: Policy, moderated: bool) -> Gate:
    """What the plugin does: each test decided alone, Bonferroni over the compared benchmarks."""

    def gate(baseline: Baseline, results: list[BenchResult]) -> list[bool]:
        entries = baseline.entries
        prior = fit_time_prior(entries.values(), policy.min_runs) if moderated else None
        return [
            bool(
                compare_benchmark(
                    entries[r.nodeid],
                    Observation.from_measurement(r.measurement),
                    policy,
                    min_effect=r.settings.min_effect,
                    family=len(results),
                    prior=prior,
                ).failing
            )
            for r in results
        ]

    return gate


def naive_gate(baseline: Baseline, results: list[BenchResult]) -> list[bool]:
    """pytest-benchmark's --benchmark-compare-fail=mean:10% against the newest saved run."""
    out = []
    for r in results:
        saved = baseline.entries[r.nodeid].runs[-1].samples_ns or ()
        out.append(float(np.mean(r.measurement.samples_ns)) > 1.10 * float(np.mean(saved)))
    return out


def build(
    rng: np.random.Generator, suite: Suite, k: int, effect: np.ndarray
) -> tuple[Baseline, list[BenchResult]]:
    history = [suite.run(rng, np.zeros(suite.n)) for _ in range(k)]
    now = suite.run(rng, effect)
    entries = {}
    results = []
    for b in range(suite.n):
        node = f"tests/test_sim.py::test_{b}"
        runs = tuple(_summary(*history[r][b], keep=r == k - 1) for r in range(k))
        entries[node] = BaselineEntry(node, None, runs, "3.11", "test-machine")
        results.append(BenchResult(node, None, _measurement(*now[b]), BenchSettings()))
    return Baseline(FP, entries), results


def simulate(
    gates: dict[str, Gate], builds: int, seed: int, k: int, sizes: tuple[int, int],
    py_drift: tuple[float, float] = (0.05, 0.17),
) -> None:  # fmt: skip
    rng = np.random.default_rng(seed)
    stats: dict[str, dict[str, list[float]]] = {g: {} for g in gates}
    for _ in range(builds):
        suite = Suite(rng, int(rng.integers(sizes[0], sizes[1] + 1)), py_drift)
        for scenario, size in (("A/A", 0.0), ("+25%", 0.25), ("+50%", 0.50)):
            effect = np.zeros(suite.n)
            target = int(rng.integers(suite.n))
            effect[target] = size
            baseline, results = build(rng, suite, k, effect)
            for name, gate in gates.items():
                failed = gate(baseline, results)
                others = [f for b, f in enumerate(failed) if b != target or size == 0]
                rec = stats[name]
                if size == 0:
                    rec.setdefault("A/A builds", []).append(float(any(failed)))
                    rec.setdefault("A/A bench", []).append(float(np.mean(failed)))
                else:
                    kind = "py" if suite.is_py[target] else "c"
                    rec.setdefault(f"{scenario} {kind}", []).append(float(failed[target]))
                    rec.setdefault(f"{scenario} other", []).append(float(any(others)))
    head = ["A/A builds", "A/A bench", "+25% py", "+25% c", "+50% py", "+50% c"]
    print(f"  {'gate':32}" + "".join(f"{h:>11}" for h in head))
    for name, rec in stats.items():
        cells = [100 * float(np.mean(rec[h])) if rec.get(h) else math.nan for h in head]
        print(f"  {name:32}" + "".join(f"{c:10.2f}%" for c in cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--builds", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--quick", action="store_true", help="only the plugin's gates and K=5")
    ap.add_argument("--config", type=int, help="run only this configuration (0-5; 5: one bench)")
    args = ap.parse_args()
    policy = Policy()
    gates: dict[str, Gate] = {
        "unmoderated (plugin, Bonferroni)": plugin_gate(policy, moderated=False),
        "moderated (plugin, Bonferroni)": plugin_gate(policy, moderated=True),
    }
    if not args.quick:
        gates["moderated (compare_all, Holm)"] = verdict_gate(policy)
        gates["naive mean:10% vs newest run"] = naive_gate
    started = time.perf_counter()
    runs = [
        (5, (50, 200), (0.05, 0.17)),
        (5, (50, 200), (0.02, 0.07)),
        (10, (50, 200), (0.05, 0.17)),
        (2, (50, 200), (0.05, 0.17)),
        (5, (5, 20), (0.05, 0.17)),
    ]
    chosen = runs[:1] if args.quick else runs
    if args.config is not None:
        chosen = runs[args.config : args.config + 1]
    for k, sizes, py_drift in chosen:
        print(
            f"K={k} saved runs, {sizes[0]}-{sizes[1]} benchmarks (70% pure Python with drift "
            f"sd {py_drift[0]:.0%}-{py_drift[1]:.0%}, 30% C-heavy 35%-50%), "
            f"{args.builds} builds per scenario, seed {args.seed}:"
        )
        simulate(gates, args.builds, args.seed, k, sizes, py_drift)
    if args.config is None or args.config == len(runs):
        print("A suite of one benchmark (K=5):")
        simulate(gates, args.builds * 10, args.seed + 1, 5, (1, 1))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
