"""The README's main job, verbatim, in a fresh clone: on another machine, and on this one.

    python benchmarks/main_job.py [--runs 5] [--machine someone-else]

1. Clones this checkout's HEAD into a temporary directory and installs it as the README says
   (`python3 -m venv .venv && .venv/bin/pip install .`).
2. Runs the README's main job command `--runs` times with PERFGUARD_MACHINE set to `--machine`
   (a machine other than the one that recorded the committed baseline), then `--runs` times
   as this machine is (its own identity). Prints each run's exit code, the note the summary
   starts with, and how many time verdicts were advisory.
3. Injects one more allocation and one more call per op into one example and runs the job
   once more on the other machine: counts must still gate there (exit 1, allocs/op and
   calls/op regressed).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INJECTION = (
    "    get, put = POINTS.get, POINTS.put\n",
    "    get, put = POINTS.get, POINTS.put\n    injected = sorted([object()])  # +1 call\n",
)


def main_job_command() -> str:
    """The first bash block of the README: the main job."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^```bash\n(.*?)^```", readme, flags=re.DOTALL | re.MULTILINE)
    assert block is not None, "README has no bash block"
    return block[1].strip()


def run(clone: Path, command: str, env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run(
        ["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout + done.stderr


def describe(code: int, output: str) -> str:
    note = next((line for line in output.splitlines() if line.startswith("note: baseline")), "")
    rows = [line for line in output.splitlines() if line.startswith("examples/") and "%" in line]
    advisory = sum("(advisory)" in row for row in rows)
    counted = [row.split()[0] for row in rows if "regressed" in row and "(advisory)" not in row]
    failed = re.findall(r"^FAILED (\S+)", output, flags=re.MULTILINE)
    return (
        f"exit {code}; {len(rows)} time verdicts, {advisory} advisory, counted regressions "
        f"{counted}; failed tests {failed}\n    {note[:160] or '(no machine note)'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--machine", default="someone-else")
    args = parser.parse_args()
    command = main_job_command()
    print(f"main job: {command}")
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        revision = ["git", "rev-parse", "--short", "HEAD"]
        head = subprocess.run(revision, cwd=clone, capture_output=True, text=True, check=True)
        print(f"fresh clone of {head.stdout.strip()} in {clone}")
        env = {k: v for k, v in os.environ.items() if k != "PERFGUARD_MACHINE"}
        other = {**env, "PERFGUARD_MACHINE": args.machine}
        exits = []
        for label, environment in ((f"PERFGUARD_MACHINE={args.machine}", other), ("as is", env)):
            for i in range(args.runs):
                # The first run installs (venv + pip install .); later ones only run pytest,
                # as a person repeating the README's command would find the venv made.
                code, output = run(clone, command, environment)
                exits.append(code)
                print(f"  {label} run {i + 1}: {describe(code, output)}", flush=True)
        pools = clone / "examples" / "test_pools.py"
        text = pools.read_text()
        assert INJECTION[0] in text, "injection point not found in test_pools.py"
        pools.write_text(text.replace(*INJECTION, 1))
        job = shlex.split(command.split("&&")[-1])
        code, output = run(clone, shlex.join(job), other)
        print(f"  +1 allocation and call per op, PERFGUARD_MACHINE={args.machine}:")
        print(f"    {describe(code, output)}")
        for line in output.splitlines():
            if re.match(r"\s+(allocs/op|calls/op|B/op) regressed", line):
                print(f"    {line.strip()}")
        print(f"main job exit codes: {exits} (all 0: {all(c == 0 for c in exits)})")


if __name__ == "__main__":
    main()
