"""Perfguard on real pytest-benchmark suites that nobody here wrote, used as they are.

    python benchmarks/real_suites.py [--suites cattrs jsonpickle] [--runs 1] [--processes N]
                                     [--inject] [--keep DIR]

For each suite (the package's sdist from the package index, `pip download --no-binary :all:
--no-deps NAME==VERSION`, into a temporary directory: nothing of it enters this repository):
unpack it, make a venv with the package installed from the sdist, the suite's own benchmark
dependencies and this checkout's perfguard (editable; pytest-benchmark is NOT installed, so
perfguard's compat fixture serves `benchmark`), `git init` and commit the unpacked tree. The
suite's code is imported from the working tree (PYTHONPATH = src and the tree's root, the roots
the A/B base side imports from its worktree). Then it prints:

1. plain: `pytest BENCHDIR -p no:cacheprovider`: wall time, exit code, outcome line, peak memory.
2. A/A, `--runs` times: the same with `--perf-compare-ref HEAD --perf-json PATH`: wall time
   (and its ratio to the plain run), exit code, peak memory (and ratio), and from the JSON
   document how many benchmarks were paired (a metric decided by the paired-time rule), new,
   not paired, not comparable otherwise, and which failed the gate (a counted regression).
3. With --inject: a +30% slowdown in one benchmarked function of the library, in the working
   tree only (the base revision, HEAD, keeps the original). It is deterministic: a counter in
   the function makes calls 1-3 of every 10 do the function's whole work twice before returning
   the second result, so 13 calls' work for 10 calls (the same calls, the same results; the
   wrapper's own cost per call, about 0.1 us, comes on top, so the cheapest calls slow more). The
   A/B run then says which benchmarks failed the gate, which of them call the function, and
   the paired change measured for each.

Peak memory is PSS (/proc/PID/smaps_rollup) summed over pytest and all its descendants,
sampled every 50 ms; the largest sum is printed. Wall times come from the machine as it is:
say how loaded it was when you quote them.

--suites NAME... picks suites (default: all); --processes N is passed as --perf-ab-processes;
--keep DIR keeps the sdists, trees, venvs (reused on the next run with the same DIR) and every
run's JSON document and output there.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

INJECTED = """

# --- injected by perfguard's benchmarks/real_suites.py: +30% work, deterministic ---
def _perfguard_slower(function):
    import functools

    calls = [0]

    @functools.wraps(function)
    def slower(*args, **kwargs):
        calls[0] += 1
        if calls[0] % 10 < 3:
            function(*args, **kwargs)
        return function(*args, **kwargs)

    return slower


{target} = _perfguard_slower({target})
"""


@dataclass(frozen=True)
class Suite:
    spec: str
    """NAME==VERSION on the package index."""
    bench: str
    """The benchmarks' directory in the unpacked sdist."""
    deps: tuple[str, ...] = ()
    """What the suite needs besides the package and pytest (wheels are fine)."""
    build_env: dict[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    """pytest options every run of the suite needs."""
    inject_file: str = ""
    """The module (in the unpacked tree) whose function gets +30% work."""
    inject_target: str = ""
    """The name rebound at the end of that module."""
    inject_users: tuple[str, ...] = ()
    """Regular expressions: the node ids of the benchmarks that call it match one."""


SUITES = {
    "cattrs": Suite(
        spec="cattrs==26.2.1",
        bench="bench",
        deps=("orjson", "msgspec"),  # bench/ uses cattrs.preconf.orjson and .msgspec
        inject_file="src/cattrs/converters.py",
        inject_target="BaseConverter.structure",
        inject_users=(r"::test_structure_",),
    ),
    "jsonpickle": Suite(
        spec="jsonpickle==4.1.4",
        bench="jsonpickle_benchmarks.py",  # its pytest.ini collects simple_*, complex_*, state_*
        inject_file="jsonpickle/pickler.py",
        inject_target="encode",
        inject_users=(r"::\w+_encode$",),
    ),
}


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stdout[-3000:]}\n{done.stderr}")
    return done


def prepare(suite: Suite, work: Path) -> tuple[Path, Path]:
    """The suite's git repository and its venv's python, made once per `work` directory."""
    sdists = work / "sdist"
    tree = work / "tree"
    venv = work / "venv"
    if not any(sdists.glob("*.tar.gz")):
        pip = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps"]
        run([*pip, suite.spec, "-d", str(sdists), "-q"])
    sdist = next(sdists.glob("*.tar.gz"))
    if not (tree / ".git").exists():
        unpacked = work / "unpacked"
        shutil.rmtree(unpacked, ignore_errors=True)
        with tarfile.open(sdist) as archive:
            archive.extractall(unpacked, filter="data")
        (top,) = unpacked.iterdir()
        shutil.rmtree(tree, ignore_errors=True)
        top.rename(tree)
        unpacked.rmdir()
        git = ["git", "-C", str(tree), "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
        run([*git, "init", "-q"])
        run([*git, "add", "-A"])
        run([*git, "commit", "-q", "-m", f"{suite.spec} as shipped"])
    python = venv / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", str(venv)])
        env = {**os.environ, **suite.build_env}
        pip = [str(python), "-m", "pip", "install", "-q"]
        run([*pip, str(sdist), *suite.deps, "-e", str(REPO)], env=env)
    listed = run([str(python), "-m", "pip", "list", "--format=freeze"]).stdout.lower()
    if "pytest-benchmark" in listed or "pytest_benchmark" in listed:
        raise SystemExit(f"{venv} has pytest-benchmark installed: perfguard must serve it")
    return tree, python


def descendants(root: int) -> list[int]:
    """root and every process below it, from /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def pss(pid: int) -> int:
    """Bytes of PSS of one process (0 once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


@dataclass
class Outcome:
    seconds: float
    code: int
    peak: int
    output: str
    document: dict[str, Any] | None


def measure(python: Path, tree: Path, suite: Suite, args: list[str], log: Path) -> Outcome:
    """One pytest run of the suite from its tree, with the process tree's peak PSS."""
    command = [str(python), "-m", "pytest", suite.bench, "-p", "no:cacheprovider"]
    command += [*suite.args, *args]
    roots = [str(tree / "src"), str(tree)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(roots)}
    env.pop("PERFGUARD_MACHINE", None)
    peak = 0
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    chunks: list[str] = []
    reader = threading.Thread(target=lambda: chunks.append(process.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    while process.poll() is None:
        peak = max(peak, sum(pss(pid) for pid in descendants(process.pid)))
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    reader.join()
    output = "".join(chunks)
    log.write_text(f"$ {' '.join(command)}\n{output}")
    document = None
    if "--perf-json" in args:
        path = Path(args[args.index("--perf-json") + 1])
        if path.exists():
            document = json.loads(path.read_text())
    return Outcome(seconds, process.returncode, peak, output, document)


def summary_line(output: str) -> str:
    lines = [line.strip("= ") for line in output.splitlines() if line.startswith("=")]
    return lines[-1] if lines else "(no summary line)"


KINDS = ("paired", "new", "not paired", "not comparable", "other")


def kinds(document: dict[str, Any]) -> dict[str, list[str]]:
    """Benchmarks by what the comparison did with them, the failing ones ("failing"), and
    the metrics that regressed in each ("failing NODEID")."""
    found: dict[str, list[str]] = {k: [] for k in (*KINDS, "failing")}
    for bench in document.get("benchmarks", []):
        nodeid = bench["nodeid"]
        comparison = bench.get("comparison") or {}
        metrics = comparison.get("metrics") or []
        reason = (comparison.get("reason") or {}).get("kind")
        if any((m.get("decision") or {}).get("kind") == "time_paired" for m in metrics):
            found["paired"].append(nodeid)
        elif comparison.get("verdict") == "new":
            found["new"].append(nodeid)
        elif reason == "not_paired":
            found["not paired"].append(nodeid)
        elif comparison.get("verdict") == "not comparable":
            found["not comparable"].append(nodeid)
        else:
            found["other"].append(nodeid)
        if any(m.get("verdict") == "regressed" and not m.get("advisory") for m in metrics):
            found["failing"].append(nodeid)
            found.setdefault(f"failing {nodeid}", []).extend(
                m["metric"] for m in metrics if m.get("verdict") == "regressed"
            )
    return found


def time_change(document: dict[str, Any], nodeid: str) -> float | None:
    """The paired time change of one benchmark (0.3 = +30%), if it has one."""
    for bench in document.get("benchmarks", []):
        if bench["nodeid"] != nodeid:
            continue
        for metric in (bench.get("comparison") or {}).get("metrics") or []:
            if (metric.get("decision") or {}).get("kind") == "time_paired":
                change = metric.get("change")
                return None if change is None else float(change)
    return None


def _percent(change: float | None) -> str:
    return "no paired time" if change is None else f"{change:+.1%}"


def mib(size: int) -> str:
    return f"{size / 2**30:.2f} GiB" if size >= 2**30 else f"{size / 2**20:.0f} MiB"


def report_ab(label: str, plain: Outcome, ab: Outcome, suite: Suite, inject: bool) -> None:
    print(
        f"  {label}: {ab.seconds:.1f} s ({ab.seconds / plain.seconds:.2f}x plain), exit {ab.code},"
        f" peak PSS {mib(ab.peak)} ({ab.peak / max(plain.peak, 1):.1f}x plain);"
        f" {summary_line(ab.output)}"
    )
    if ab.document is None:
        tail = "\n".join(ab.output.splitlines()[-25:])
        print(f"    no --perf-json document was written; output's tail:\n{tail}")
        return
    crashed = [line for line in ab.output.splitlines() if line.startswith(("FAILED", "ERROR"))]
    for line in crashed:
        print(f"    pytest: {line}")
    found = kinds(ab.document)
    total = len(ab.document.get("benchmarks", []))
    counts = ", ".join(f"{len(found[k])} {k}" for k in KINDS if found[k])
    print(f"    {total} benchmarks: {counts or 'none'}")
    for kind in ("new", "not paired", "not comparable", "other"):
        for nodeid in found[kind][:5]:
            print(f"      {kind}: {nodeid}")
    removed = (ab.document.get("ab") or {}).get("removed") or []
    if removed:
        print(f"    only the base has: {len(removed)}")
    failing = found["failing"]
    if not inject:
        print(f"    failing the gate: {len(failing)}" + "".join(f"\n      {n}" for n in failing))
        return
    every = [bench["nodeid"] for bench in ab.document.get("benchmarks", [])]
    users = [n for n in every if any(re.search(p, n) for p in suite.inject_users)]
    caught = [n for n in users if n in failing]
    others = [n for n in failing if n not in users]
    changes = sorted(c for c in (time_change(ab.document, n) for n in users) if c is not None)
    span = f" (paired change {changes[0]:+.1%} to {changes[-1]:+.1%})" if changes else ""
    print(
        f"    benchmarks calling {suite.inject_target} caught: {len(caught)} of {len(users)}{span}"
    )
    by_time = [n for n in caught if "time" in found[f"failing {n}"]]
    print(f"    of them by the time metric: {len(by_time)}")
    for nodeid in users:
        metrics = "+".join(found.get(f"failing {nodeid}", [])) or "passed"
        change = _percent(time_change(ab.document, nodeid))
        print(f"      {metrics:<18} time {change:>7}  {nodeid}")
    print(f"    other benchmarks failing: {len(others)}" + "".join(f"\n      {n}" for n in others))


def one_suite(name: str, suite: Suite, work: Path, options: argparse.Namespace) -> None:
    tree, python = prepare(suite, work)
    collect = [str(python), "-m", "pytest", suite.bench, "--collect-only", "-q"]
    pythonpath = f"{tree / 'src'}{os.pathsep}{tree}"
    env = {**os.environ, "PYTHONPATH": pythonpath}
    listing = subprocess.run(
        [*collect, "-p", "no:cacheprovider", *suite.args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    benchmarks = sum("::" in line for line in listing.stdout.splitlines())
    print(f"== {suite.spec}: {suite.bench}, {benchmarks} tests collected")
    runs = work / "runs"
    runs.mkdir(exist_ok=True)
    plain = measure(python, tree, suite, [], runs / "plain.txt")
    print(
        f"  plain: {plain.seconds:.1f} s, exit {plain.code}, peak PSS {mib(plain.peak)};"
        f" {summary_line(plain.output)}"
    )
    ab_args = ["--perf-compare-ref", "HEAD"]
    if options.processes is not None:
        ab_args += ["--perf-ab-processes", str(options.processes)]
    for k in range(1, options.runs + 1):
        out = runs / f"aa{k}.json"
        ab = measure(python, tree, suite, [*ab_args, "--perf-json", str(out)], runs / f"aa{k}.txt")
        report_ab(f"A/A {k}", plain, ab, suite, inject=False)
    if not options.inject:
        return
    module = tree / suite.inject_file
    original = module.read_text()
    module.write_text(original + INJECTED.format(target=suite.inject_target))
    try:
        out = runs / "inject.json"
        ab = measure(python, tree, suite, [*ab_args, "--perf-json", str(out)], runs / "inject.txt")
    finally:
        module.write_text(original)
    print(
        f"  inject: {suite.inject_target} in {suite.inject_file} does its work twice on calls"
        " 1-3 of every 10 (+30% work, deterministic), working tree only"
    )
    report_ab("A/B injected", plain, ab, suite, inject=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", nargs="+", choices=sorted(SUITES), default=sorted(SUITES))
    parser.add_argument("--processes", type=int, help="passed as --perf-ab-processes")
    parser.add_argument("--runs", type=int, default=1, help="A/A runs per suite")
    parser.add_argument("--inject", action="store_true", help="also a +30%% slowdown run")
    parser.add_argument("--keep", type=Path, help="keep everything here (and reuse it)")
    options = parser.parse_args()
    top = options.keep or Path(tempfile.mkdtemp(prefix="perfguard-real-"))
    top.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    try:
        for name in options.suites:
            one_suite(name, SUITES[name], top / name, options)
    finally:
        if options.keep is None:
            shutil.rmtree(top, ignore_errors=True)
        else:
            print(f"kept in {top}")
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
