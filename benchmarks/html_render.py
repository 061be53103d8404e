"""How long `--perf-html` takes to render the examples suite's report, with and without plots.

Renders the page from a `--perf-json` results file of the examples (made first by running
`pytest examples --perf-compare --perf-json=...` unless --results names one) and the committed
baseline's saved runs, as the end of a pytest session does. Prints the time to import the
plotting code (matplotlib), the median render time with plots and without (tables only), the
number of plots and the page's size. Run it in the venv:

    python benchmarks/html_render.py [--repeat 3] [--results r.json] [--out /tmp/r.html]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from pytest_perfguard.report import html
from pytest_perfguard.report.json import parse_results
from pytest_perfguard.store import verdictcodec
from pytest_perfguard.store.baseline import load

ROOT = Path(__file__).resolve().parent.parent


def results_file(given: str | None, tmp: Path) -> Path:
    if given:
        return Path(given)
    out = tmp / "results.json"
    command = [sys.executable, "-m", "pytest", "examples", "-q", "-p", "no:cacheprovider"]
    command += ["--perf-compare", "--perf-warn-only", f"--perf-json={out}"]
    print("measuring the examples once:", " ".join(command[1:]), flush=True)
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--results", help="a --perf-json file of the examples")
    parser.add_argument("--out", help="also write the page here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = results_file(args.results, Path(tmp))
        text = path.read_text(encoding="utf-8")
    results = parse_results(text, source=str(path)).results
    # The JSON writes an infinite change (a metric from 0) as "inf", a NaN as null.
    raw = {b["nodeid"]: b.get("comparison") for b in json.loads(text)["benchmarks"]}
    for comparison in filter(None, raw.values()):
        for metric in comparison["metrics"]:
            change = metric["change"]
            metric["change"] = float("nan") if change is None else float(change)
    comparisons = {k: verdictcodec.comparison_from_dict(v) for k, v in raw.items() if v}
    baseline = load(ROOT / ".perfguard" / "baseline.toml")
    history = {r.nodeid: baseline.entries[r.nodeid].runs for r in results
               if r.nodeid in baseline.entries}  # fmt: skip
    report = html.HtmlReport(
        results, comparisons, datetime.now(timezone.utc).isoformat(timespec="seconds"),
        ".perfguard/baseline.toml", history=history,
    )  # fmt: skip

    start = time.perf_counter()
    plotter = html.load_plotter()
    imported = time.perf_counter() - start
    if plotter is None:
        sys.exit("matplotlib is not installed: pip install -e '.[html]'")
    with_plots, without, page = [], [], ""
    for _ in range(args.repeat):
        start = time.perf_counter()
        page = html.render_html(report, html.load_plotter())
        with_plots.append(time.perf_counter() - start)
        start = time.perf_counter()
        html.render_html(report, None)
        without.append(time.perf_counter() - start)
    if args.out:
        Path(args.out).write_text(page, encoding="utf-8")
    plots = page.count("<svg")
    print(f"benchmarks: {len(results)}, with a comparison: {len(comparisons)}, plots: {plots}")
    print(f"import of the plotting code (matplotlib): {imported * 1000:.0f} ms")
    print(f"render with plots: median {statistics.median(with_plots):.2f} s "
          f"({statistics.median(with_plots) / max(plots, 1) * 1000:.0f} ms per plot), "
          f"{args.repeat} runs")  # fmt: skip
    print(f"render without plots (tables only): median {statistics.median(without) * 1000:.0f} ms")
    print(f"page size: {len(page.encode()) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
