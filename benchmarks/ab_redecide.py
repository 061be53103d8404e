"""Same-job A/B time verdicts decided again at other minimum effects, from the runs that
`ab_figures.py --keep DIR` kept: how the default `min_effect` of the mode was chosen.

A time verdict regresses when its Bonferroni-adjusted p is below 0.05 and its change is
beyond the minimum effect. The JSON results keep both per benchmark, so each kept run can be
decided again at another minimum effect without measuring anything again.

It also checks the error model on the A/A runs: per benchmark, the sd of its change across
runs against the standard error each run claimed from the spread between its process pairs.
If something made one side of a run slower in all its processes alike (a difference shared
by the side, not by chance per process), the changes would spread across runs more than the
runs' own errors say.

And it shows where the smallest detectable changes come from: the share of benchmark-runs
whose detectable change is the minimum effect itself, and the benchmarks above it.

    python benchmarks/ab_redecide.py DIR [--min-effect 0.03 0.05 0.07] [--alpha 0.05]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
from collections import Counter
from pathlib import Path

from ab_figures import SLOWED, time_metric


def regressed(metric: dict[str, object], bar: float, alpha: float) -> bool:
    p, change = metric.get("p_value"), metric.get("change")
    return (
        isinstance(p, float | int)
        and isinstance(change, float | int)
        and p < alpha
        and (change > bar)
    )


def series(runs: Path, label: str) -> list[dict[str, dict[str, object]]]:
    """Each kept run of a series, in order: benchmark name -> its time metric."""
    files = [f for f in runs.glob(f"{label}-*.json") if re.fullmatch(rf"{label}-\d+", f.stem)]
    out = []
    for file in sorted(files, key=lambda f: int(f.stem.rsplit("-", 1)[1])):
        doc = json.loads(file.read_text())
        metrics = {}
        for bench in doc["benchmarks"]:
            metric = time_metric(bench)
            if metric is not None:
                metrics[bench["nodeid"].split("::")[1]] = metric
        out.append(metrics)
    return out


def calibration(aa: list[dict[str, dict[str, object]]]) -> tuple[float, float]:
    """Over the A/A runs, rms over benchmarks of (the sd of the log change across runs, the
    standard error the runs claimed for it)."""
    spread, claimed = [], []
    for name in aa[0]:
        logs, ses = [], []
        for run in aa:
            decision = run.get(name, {}).get("decision")
            if not isinstance(decision, dict) or "processes" not in decision["numbers"]:
                continue
            numbers = decision["numbers"]
            logs.append(math.log1p(float(str(run[name]["change"]))))
            ses.append(numbers["process_sd"] / math.sqrt(numbers["processes"]))
        if len(logs) > 2:
            spread.append(statistics.variance(logs))
            claimed.append(statistics.fmean(se * se for se in ses))
    return math.sqrt(statistics.fmean(spread)), math.sqrt(statistics.fmean(claimed))


def detectable(runs: list[dict[str, dict[str, object]]]) -> None:
    """Print the median smallest detectable change, the share of it at the minimum effect,
    and each benchmark's median where that is above it."""
    found: dict[str, list[float]] = {}
    bar = 0.0
    for run in runs:
        for name, metric in run.items():
            value, decision = metric.get("detectable"), metric.get("decision")
            if value in (None, "inf") or not isinstance(decision, dict):
                continue
            found.setdefault(name, []).append(float(str(value)))
            bar = decision["numbers"]["min_effect"]  # one per series
    every = [value for values in found.values() for value in values]
    if not every:
        return
    at_bar = sum(value <= bar * 1.001 for value in every) / len(every)
    above = sorted(((statistics.median(v), n) for n, v in found.items()), reverse=True)
    print(
        f"smallest detectable change: median {statistics.median(every):.1%}, {at_bar:.0%} of "
        f"{len(every)} benchmark-runs at the minimum effect; above it (medians): "
        + ", ".join(f"{n} {m:.1%}" for m, n in above if m > bar * 1.005)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path, help="the --keep DIR of ab_figures.py")
    parser.add_argument("--min-effect", type=float, nargs="+", default=[0.03, 0.05, 0.07])
    parser.add_argument("--alpha", type=float, default=0.05, help="the corrected p to fail at")
    args = parser.parse_args()
    runs = args.dir / "runs"
    for mode in ("quiet", "busy"):
        aa, ab = series(runs, f"{mode}-aa"), series(runs, f"{mode}-ab")
        if not aa and not ab:
            continue
        print(f"== {mode}: {len(aa)} A/A runs, {len(ab)} A/B runs; alpha {args.alpha}")
        alpha = args.alpha
        for bar in args.min_effect:
            false_aa = [n for run in aa for n, m in run.items() if regressed(m, bar, alpha)]
            false_ab = [
                n
                for run in ab
                for n, m in run.items()
                if n not in SLOWED and regressed(m, bar, alpha)
            ]
            caught = Counter(n for run in ab for n, m in run.items()
                             if n in SLOWED and regressed(m, bar, alpha))  # fmt: skip
            runs_failing = sum(any(regressed(m, bar, alpha) for m in run.values()) for run in aa)
            print(
                f"min_effect {bar:.1%}: A/A {len(false_aa)} false time verdicts "
                f"({runs_failing} of {len(aa)} runs) {sorted(set(false_aa))}; "
                f"A/B unchanged falsely failing {len(false_ab)} {sorted(set(false_ab))}"
            )
            print("  caught: " + ", ".join(f"{n} {caught[n]}/{len(ab)}" for n in SLOWED))
        changes = sorted(abs(float(str(m["change"]))) for run in aa for m in run.values())
        middle, top = changes[len(changes) // 2], changes[int(len(changes) * 0.99)]
        print(
            f"A/A |change| of {len(changes)} verdicts: median {middle:.1%}, "
            f"99th percentile {top:.1%}, largest {changes[-1]:.1%}"
        )
        if len(aa) > 2:
            across, claimed = calibration(aa)
            print(
                f"A/A error model: the change's sd across runs {across:.2%}, the runs' own "
                f"standard error {claimed:.2%} (rms over benchmarks; ratio {across / claimed:.2f})"
            )
        detectable(aa + ab)


if __name__ == "__main__":
    main()
