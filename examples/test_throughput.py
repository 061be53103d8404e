"""Throughput: `bytes=` (or `items=`) turns time per op into MB/s (or items/s), Go's b.SetBytes.

A codec or a parser is read in MB/s, not in time per call. `perf(fn, data, bytes=len(data))`
tells perfguard how many bytes one call processes; every report then shows a throughput column
beside time/op (MB = 10**6 bytes, as Go prints it). The verdict stays on time/op: throughput
is its reciprocal, shown for reading. `bytes=` and `items=` are perfguard's keywords, never
passed to the function (bind a keyword of the function's own with functools.partial).

In the summary, zlib at level 1 (fastest) reads several times the MB/s of level 6 (the
default) on the same 64 KiB of text, and sha256 of a 1 MiB block reads over 1000 MB/s on our
development VM (OpenSSL's C code, with the CPU's SHA instructions). `items=` counts lines:
splitting the lines of 200 KB of text reads in items/s (about 1e+07 lines a second there).
"""

from __future__ import annotations

import hashlib
import random
import zlib

import pytest

_WORDS = ["perf", "guard", "bench", "mark", "byte", "line", "codec", "zlib", "sha", "op"]


def text_block(size: int) -> bytes:
    """`size` bytes of word-like text, the same every run (compressible, as real text is)."""
    rng = random.Random(size)
    out = bytearray()
    while len(out) < size:
        out += rng.choice(_WORDS).encode() + (b"\n" if rng.random() < 0.1 else b" ")
    return bytes(out[:size])


BLOCK = text_block(64 * 1024)
MIB = bytes(random.Random(1).getrandbits(8) for _ in range(1024 * 1024))
LINES = text_block(200_000).decode()
N_LINES = len(LINES.splitlines())


@pytest.mark.parametrize("level", [1, 6])
def test_zlib_compress(perf, level):
    compressed = perf(zlib.compress, BLOCK, level, bytes=len(BLOCK))
    assert zlib.decompress(compressed) == BLOCK


def test_sha256(perf):
    digest = perf(lambda: hashlib.sha256(MIB).digest(), bytes=len(MIB))
    assert len(digest) == 32


def test_splitlines(perf):
    lines = perf(str.splitlines, LINES, items=N_LINES)
    assert len(lines) == N_LINES
