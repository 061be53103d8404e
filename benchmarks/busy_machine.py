"""The gate on a machine busy with other work: the main job while busy loops take the CPUs.

    python benchmarks/busy_machine.py [--hogs N]

Starts N busy-loop processes (default: one per CPU), then runs the example suite against its
committed baseline twice: as the main job does, and with --perf-strict, which makes time
verdicts count however busy the machine was (the gate without its busy-machine rule). Prints,
for each, the share of the machine other processes took while benchmarks were timed, the time
regressions found and the failed tests. No code changed, so every regression is the load's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOG = "while True: pass"


def main_job(out: Path, *args: str) -> dict[str, object]:
    command = [sys.executable, "-m", "pytest", "examples", "-q", "-p", "no:cacheprovider"]
    command += ["--perf-compare", "--perf-json", str(out), *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"pytest failed to run:\n{done.stdout}\n{done.stderr}")
    document: dict[str, object] = json.loads(out.read_text())
    return document


def report(name: str, document: dict[str, object]) -> None:
    benchmarks: list[dict[str, object]] = document["benchmarks"]  # type: ignore[assignment]
    shares = [b["measurement"]["others_cpu"] for b in benchmarks]  # type: ignore[index]
    known = [float(x) for x in shares if x is not None]  # type: ignore[arg-type]
    regressed, failed = [], []
    for bench in benchmarks:
        time = bench["comparison"]["metrics"][0]  # type: ignore[index]
        if time["verdict"] == "regressed":
            tail = str(bench["nodeid"]).split("::")[-1]
            regressed.append(f"{tail} {time['change']:+.0%}")
            if not time["advisory"]:
                failed.append(tail)
    print(f"{name}:")
    if known:
        print(f"  other processes took {min(known):.0%}-{max(known):.0%} of the machine")
    print(f"  time regressed: {len(regressed)} {regressed}")
    print(f"  failed tests: {len(failed)} {failed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(args.hogs)]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"{args.hogs} busy-loop processes running")
            report("main job", main_job(Path(tmp, "default.json")))
            report("with --perf-strict", main_job(Path(tmp, "strict.json"), "--perf-strict"))
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


if __name__ == "__main__":
    main()
