"""What allocs/op and objects/op see of objects CPython reuses from its free lists.

    python benchmarks/free_lists.py            # this interpreter, default and PYTHONMALLOC=malloc

Adds one object of each kind per call and prints how much each count rose. objects/op is
counted on Python 3.13+ only (n/a before).
"""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import _perfguard_allocount as a

def per_call(fn, n=1000):
    for _ in range(10):
        fn()
    a.start()
    for _ in range(n):
        fn()
    allocs, _ = a.stop()
    objects = a.objects()
    a.start()
    empty, _ = a.stop()
    none = a.objects()
    return (allocs - empty) / n, None if objects is None else (objects - none) / n

kinds = {
    "nothing": lambda: None,
    "[]": lambda: [],
    "{}": lambda: {},
    "(a, b)": lambda x=1: (x, x),
    "a float": lambda x=1.5: x * 2.0,
    "object()": lambda: object(),
}
base_allocs, base_objects = per_call(kinds["nothing"])
for name, fn in kinds.items():
    if name == "nothing":
        continue
    allocs, objects = per_call(fn)
    more = "n/a" if objects is None else f"{objects - base_objects:+.0f}"
    print(f"  {name:9} allocs/op {allocs - base_allocs:+.0f}  objects/op {more}")
"""


def main() -> None:
    for label, extra in (
        ("default allocator", {}),
        ("PYTHONMALLOC=malloc", {"PYTHONMALLOC": "malloc"}),
    ):
        print(f"Python {sys.version.split()[0]}, {label}: one more per call of")
        env = {**os.environ, **extra}
        subprocess.run([sys.executable, "-c", PROBE], env=env, check=True)


if __name__ == "__main__":
    main()
