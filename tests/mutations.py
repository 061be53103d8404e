"""Damage a valid baseline file the ways files get damaged (and worse), for property tests and
benchmarks/fuzz_baseline.py: bit flips, impossible numbers, huge strings, deep nesting, lost or
doubled lines, truncation, junk. Every mutation draws from a `random.Random`, so a seed (or
Hypothesis's `st.randoms()`) reproduces it."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable

from pytest_perfguard.model import Baseline

BAD_NUMBERS = (
    "0", "0.0", "-0.0", "-1", "-1.5", "nan", "+nan", "inf", "-inf", "1e308", "-1e308", "1e-320",
    "5e-324", "1e16", "1e19", "9223372036854775807", "-9223372036854775808", "9" * 30, "9" * 5000,
    "0x7fffffff", "1_000", "true", '"12"', "[]", "{}", "1979-05-27T07:32:00Z", "1.5", "2",
)  # fmt: skip
BAD_STRINGS = (
    "", "x" * 70_000, "\\u0000", '\\"', "2024-13-45T99:99:99Z", "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59-23:59", "[[[[", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s",
)  # fmt: skip
JUNK = "[]{}=.\"'#\n,0123456789aeinf-+ \\"
_NUMBER = re.compile(rb"(?m)(=[ \t]*|^[ \t]+)(-?[0-9][0-9_.eE+-]*|nan|inf)")
_STRING = re.compile(rb'"(?:[^"\\\n]|\\.)*"')
_KEY = re.compile(rb"(?m)^([A-Za-z_]+)(?=[ \t]*=)")


def _flip_bit(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    i = rng.randrange(len(data))
    return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]


def _sub_one(pattern: re.Pattern[bytes], data: bytes, rng: random.Random, make: bytes) -> bytes:
    found = list(pattern.finditer(data))
    if not found:
        return data
    m = rng.choice(found)
    group = m.lastindex or 0
    return data[: m.start(group)] + make + data[m.end(group) :]


def _bad_number(data: bytes, rng: random.Random) -> bytes:
    return _sub_one(_NUMBER, data, rng, rng.choice(BAD_NUMBERS).encode())


def _other_number(data: bytes, rng: random.Random) -> bytes:
    # Valid but far from the original: files that load, for the verdict to chew on.
    value = rng.choice([1, 2, 3, 800, 1e-6, 1e15, 1e18, 12345.678, 0.5, 1.0000001])
    return _sub_one(_NUMBER, data, rng, repr(value).encode())


def _bad_string(data: bytes, rng: random.Random) -> bytes:
    return _sub_one(_STRING, data, rng, f'"{rng.choice(BAD_STRINGS)}"'.encode())


def _renamed_key(data: bytes, rng: random.Random) -> bytes:
    new = rng.choice([b"round", b"runs", b"loops", b"median_ns", b"x", b"schema_version", b""])
    return _sub_one(_KEY, data, rng, new)


def _lines(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    action = rng.randrange(3)
    if action == 0:
        del lines[i]
    elif action == 1:
        lines.insert(j, lines[i])
    else:
        lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def _truncated(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _junk(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data) + 1)
    junk = "".join(rng.choice(JUNK) for _ in range(rng.randrange(1, 12)))
    return data[:i] + junk.encode() + data[i:]


def _deep(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    n = rng.choice([20, 40, 1_000, 100_000])
    make = rng.choice(
        [
            lambda: b"x = " + b"[" * n + b"]" * n,
            lambda: b"x = " + b"{a=" * n + b"1" + b"}" * n,
            lambda: b"a" + b".a" * n + b" = 1",
            lambda: b'"a"' + b'."a"' * n + b" = 1",
            lambda: b"[" + b".".join([b"t"] * min(n, 50)) + b"]",
        ]
    )
    lines.insert(rng.randrange(len(lines) + 1), make())
    return b"\n".join(lines)


def _schema(data: bytes, rng: random.Random) -> bytes:
    version = b"schema_version = " + rng.choice(BAD_NUMBERS[:12]).encode()
    return data.replace(b"schema_version = 1", version, 1)


def _header(data: bytes, rng: random.Random) -> bytes:
    return data.replace(b"[[", rng.choice([b"[", b"[[[", b"{"]), rng.randrange(1, 4))


MUTATIONS: tuple[Callable[[bytes, random.Random], bytes], ...] = (
    _flip_bit, _bad_number, _bad_number, _other_number, _other_number, _bad_string,
    _renamed_key, _lines, _truncated, _junk, _deep, _schema, _header,
)  # fmt: skip


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three mutations of `data`."""
    for _ in range(rng.randint(1, 3)):
        data = rng.choice(MUTATIONS)(data, rng)
    return data


def _finite(value: object, low: float) -> bool:
    return type(value) is float and math.isfinite(value) and value >= low


def invariant_violations(baseline: Baseline) -> list[str]:
    """What in a loaded baseline breaks the promises the verdict relies on (empty: none)."""
    bad = []
    fp = baseline.fingerprint
    if fp is not None and not (type(fp.cpu_count) is int and fp.cpu_count >= 1):
        bad.append(f"cpu_count {fp.cpu_count!r}")
    for nodeid, entry in baseline.entries.items():
        if entry.nodeid != nodeid or not entry.runs:
            bad.append(f"{nodeid!r}: entry {entry.nodeid!r} with {len(entry.runs)} runs")
        for r in entry.runs:
            checks = {
                "median_ns": _finite(r.median_ns, 0) and r.median_ns > 0,
                "ref_ratio": r.ref_ratio is None or (_finite(r.ref_ratio, 0) and r.ref_ratio > 0),
                "reference_ns": r.reference_ns is None
                or (_finite(r.reference_ns, 0) and r.reference_ns > 0),
                "rounds": type(r.rounds) is int and r.rounds >= 1,
                "loops": type(r.loops) is int and r.loops >= 1,
                "allocs_per_op": r.allocs_per_op is None or _finite(r.allocs_per_op, 0),
                "bytes_per_op": r.bytes_per_op is None or _finite(r.bytes_per_op, 0),
                "peak_memory_bytes": r.peak_memory_bytes is None
                or (type(r.peak_memory_bytes) is int and r.peak_memory_bytes >= 0),
                "samples_ns": r.samples_ns is None
                or all(_finite(v, 0) and v > 0 for v in r.samples_ns),
                "ref_ratios": r.ref_ratios is None
                or all(_finite(v, 0) and v > 0 for v in r.ref_ratios),
                "timestamp": isinstance(r.timestamp, str),
            }
            bad += [f"{nodeid!r}: {name} {getattr(r, name)!r}" for name, ok in checks.items()
                    if not ok]  # fmt: skip
    return bad
