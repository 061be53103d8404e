"""Scaling figures (issue 25): classes of known algorithms, a set->list change caught, A/A.

    python benchmarks/scaling_figures.py [--runs 10] [--busy]

Each run is a separate `pytest --perf-json` process over a generated suite; the fits are read
from the JSON's `scaling` section. `--busy` runs one busy loop per CPU beside it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import textwrap
import timeit
from collections import Counter
from pathlib import Path

SUITE = textwrap.dedent(
    """
    import bisect
    import os
    import random
    import pytest

    LIST = os.environ.get("USE_LIST") == "1"
    LIMIT = {"limit_scaling": os.environ["LIMIT"]} if os.environ.get("LIMIT") else {}
    SIZES = [1000, 4000, 16000, 64000]

    @pytest.mark.perf(scale="n")
    @pytest.mark.parametrize("n", SIZES)
    def test_dict_lookup(perf, n):
        d = {i: i for i in range(n)}
        keys = list(range(0, n, max(n // 64, 1)))[:64]
        perf(lambda: [d[k] for k in keys])

    @pytest.mark.perf(scale="n")
    @pytest.mark.parametrize("n", SIZES)
    def test_bisect(perf, n):
        data = list(range(n))
        keys = [random.Random(k).randrange(n) for k in range(64)]
        perf(lambda: [bisect.bisect(data, k) for k in keys])

    @pytest.mark.perf(scale="n")
    @pytest.mark.parametrize("n", SIZES)
    def test_sum(perf, n):
        perf(sum, list(range(n)))

    @pytest.mark.perf(scale="n")
    @pytest.mark.parametrize("n", SIZES)
    def test_sort(perf, n):
        rng = random.Random(1)
        data = [rng.random() for _ in range(n)]
        perf(sorted, data)

    @pytest.mark.perf(scale="n")
    @pytest.mark.parametrize("n", [50, 100, 200, 400])
    def test_all_pairs(perf, n):
        data = list(range(n))
        perf(lambda: sum(1 for a in data for b in data if a == b))

    def dedupe(items):
        seen = [] if LIST else set()
        add = seen.append if LIST else seen.add
        out = []
        for x in items:
            if x not in seen:
                add(x)
                out.append(x)
        return out

    @pytest.mark.perf(scale="n", **LIMIT)
    @pytest.mark.parametrize("n", [250, 500, 1000, 2000])
    def test_dedupe(perf, n):
        perf(dedupe, list(range(n)))
    """
)
EXPECTED = {
    "test_dict_lookup": "1",
    "test_bisect": "log n",
    "test_sum": "n",
    "test_sort": "n log n",
    "test_all_pairs": "n^2",
    "test_dedupe": "n",
}


def run(
    tmp: Path, *extra: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, dict[str, object]], str]:
    out = tmp / "out.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "--perf-max-time=0.2", f"--perf-json={out}", *extra],
        cwd=tmp, env={**os.environ, **(env or {})}, capture_output=True, text=True,
    )  # fmt: skip
    groups = json.loads(out.read_text())["scaling"] if out.exists() else []
    fits = {g["group"].split("::")[1]: g for g in groups}
    return done.returncode, fits, done.stdout


def _spin() -> None:
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--busy", action="store_true")
    args = parser.parse_args()
    busy = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(os.cpu_count() or 1)]
    if args.busy:
        for p in busy:
            p.start()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "test_scaling_suite.py").write_text(SUITE)
        right: Counter[str] = Counter()
        exponents: dict[str, list[float]] = {name: [] for name in EXPECTED}
        for _ in range(args.runs):
            _, fits, _ = run(tmp)
            for name, want in EXPECTED.items():
                time = fits[name]["metrics"]["time"]
                right[name] += time["class"] == want
                exponents[name].append(time["exponent"])
        print(
            f"classes of known algorithms, time/op, {args.runs} runs"
            + (" (busy)" if args.busy else "")
        )
        for name, want in EXPECTED.items():
            e = sorted(exponents[name])
            got = f"right {right[name]}/{args.runs}; exponent {e[0]:.2f}..{e[-1]:.2f}"
            print(f"  {name:18} O({want}) {got}")

        # Stored gate: saved on one machine, compared on another, A/A then set -> list.
        env_saved = {"PERFGUARD_MACHINE": "saved-here"}
        run(tmp, "-k", "dedupe", "--perf-save", env=env_saved)
        false = caught = limit = 0
        for _ in range(args.runs):
            other = {"PERFGUARD_MACHINE": "another-machine"}
            rc, fits, _ = run(tmp, "-k", "dedupe", "--perf-compare", env=other)
            false += bool(fits["test_dedupe"]["failures"]) or rc != 0
            rc, fits, _ = run(tmp, "-k", "dedupe", "--perf-compare", env={**other, "USE_LIST": "1"})
            caught += any("time scaling regressed" in f for f in fits["test_dedupe"]["failures"])
            rc, fits, _ = run(tmp, "-k", "dedupe", env={"USE_LIST": "1", "LIMIT": "n"})
            limit += rc == 1 and any(
                "beyond limit_scaling O(n)" in f for f in fits["test_dedupe"]["failures"]
            )
        print(f"set -> list in dedupe, baseline from another machine: caught {caught}/{args.runs}")
        print(f"set -> list, limit_scaling='n', no baseline: caught {limit}/{args.runs}")
        print(
            f"unchanged dedupe against that baseline (A/A): {false} false failures in {args.runs}"
        )

    from pytest_perfguard.judge.scaling import fit

    sizes = [1000, 4000, 16000, 64000]
    rounds = [[float(n) * (1 + 0.01 * (i % 7)) for i in range(40)] for n in sizes]
    counts = [[float(n + 3)] for n in sizes]

    def group() -> None:  # a time/op fit over 40 rounds a size, and 4 exact counts
        fit(sizes, rounds)
        for _ in range(4):
            fit(sizes, counts)

    per_group = min(timeit.repeat(group, number=200, repeat=5)) / 200
    print(f"fit cost: {per_group * 1e3:.2f} ms per group (4 sizes, time and 4 counts)")
    for p in busy:
        if p.is_alive():
            p.terminate()


if __name__ == "__main__":
    main()
