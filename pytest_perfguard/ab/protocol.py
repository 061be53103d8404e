"""What the controller and a worker say to each other: versioned messages, one JSON document
per line, over a pair of pipes; every name is a `Verb`, and a read can have a deadline."""

from __future__ import annotations

import contextlib
import enum
import json
import os
import select
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["FDS_ENV", "VERSION", "Channel", "ChannelClosed", "Message", "NoAnswer", "Verb"]

VERSION = 2
FDS_ENV = "PERFGUARD_AB_FDS"
"""Environment variable naming the worker's pipe ends: "<read fd>,<write fd>"."""
_CHUNK = 1 << 16


class Verb(enum.Enum):
    """Every message there is. The controller says RUN, ROUND, FINISH and QUIT; a worker says
    COLLECTED, CALIBRATED, ELAPSED, DONE and ERROR."""

    RUN = "run"
    """Run the test `nodeid` up to its measured rounds of `loops` calls."""
    ROUND = "round"
    FINISH = "finish"
    """End the rounds: the test's passes after them, and its end."""
    QUIT = "quit"
    COLLECTED = "collected"
    """The perf tests the worker's session collected (`nodeids`)."""
    CALIBRATED = "calibrated"
    """Ready for rounds of `loops` calls."""
    ELAPSED = "elapsed"
    """One round took `ns`."""
    DONE = "done"
    """The test ended: `passed`, `error`, `measurement`."""
    ERROR = "error"
    """The worker cannot run at all (`text` says why)."""


class ChannelClosed(EOFError):
    """The other side closed its end: it exited or died."""


class NoAnswer(TimeoutError):
    """Nothing came before the read's deadline."""


@dataclass(frozen=True, slots=True)
class Message:
    verb: Verb
    fields: dict[str, Any]


class Channel:
    """One end of the conversation: send() and receive() messages. Reads its pipe with
    os.read into a buffer of its own, so that a deadline can wait on the pipe itself."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self._read_fd = read_fd
        self._writer = os.fdopen(write_fd, "wb")
        self._buffer = bytearray()

    @classmethod
    def from_fds(cls, read_fd: int, write_fd: int) -> Channel:
        return cls(read_fd, write_fd)

    def send(self, verb: Verb, **fields: Any) -> None:
        line = json.dumps({"v": VERSION, "name": verb.value, "fields": fields}, allow_nan=False)
        self._writer.write(line.encode("utf-8") + b"\n")
        self._writer.flush()

    def receive(self, within: float | None = None) -> Message:
        """The next message; NoAnswer after `within` seconds (None: wait as long as it takes),
        ChannelClosed when the other side is gone."""
        end = None if within is None else time.monotonic() + within
        while b"\n" not in self._buffer:
            if end is not None:
                left = end - time.monotonic()
                if left <= 0 or not _readable(self._read_fd, left):
                    raise NoAnswer(f"no answer in {within:g} s")
            chunk = os.read(self._read_fd, _CHUNK)
            if not chunk:
                raise ChannelClosed("the other side closed the channel")
            self._buffer += chunk
        line, _, rest = self._buffer.partition(b"\n")
        self._buffer = bytearray(rest)
        doc = json.loads(line)
        if doc.get("v") != VERSION:
            raise ValueError(f"protocol version {doc.get('v')!r}, expected {VERSION}")
        return Message(Verb(doc["name"]), doc["fields"])

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._writer.close()
        with contextlib.suppress(OSError):
            os.close(self._read_fd)
        self._read_fd = -1


def _readable(fd: int, seconds: float) -> bool:
    """Whether `fd` has data (or EOF) within `seconds`: poll where there is one (select is
    limited to descriptors below 1024)."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(max(1, round(seconds * 1000))))
    return bool(select.select([fd], [], [], seconds)[0])  # pragma: no cover - Windows
