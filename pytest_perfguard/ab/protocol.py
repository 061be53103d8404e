"""What the controller and the base worker say to each other: versioned `(name, fields)`
messages, one JSON document per line, over a pair of pipes."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from typing import Any, BinaryIO

__all__ = ["FDS_ENV", "VERSION", "Channel", "ChannelClosed", "Message"]

VERSION = 1
FDS_ENV = "PERFGUARD_AB_FDS"
"""Environment variable naming the worker's pipe ends: "<read fd>,<write fd>"."""


class ChannelClosed(EOFError):
    """The other side closed its end: it exited or died."""


@dataclass(frozen=True, slots=True)
class Message:
    name: str
    fields: dict[str, Any]


class Channel:
    """One end of the conversation: send() and receive() messages."""

    def __init__(self, reader: BinaryIO, writer: BinaryIO) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    def from_fds(cls, read_fd: int, write_fd: int) -> Channel:
        return cls(os.fdopen(read_fd, "rb"), os.fdopen(write_fd, "wb"))

    def send(self, name: str, **fields: Any) -> None:
        line = json.dumps({"v": VERSION, "name": name, "fields": fields}, allow_nan=False)
        self._writer.write(line.encode("utf-8") + b"\n")
        self._writer.flush()

    def receive(self) -> Message:
        line = self._reader.readline()
        if not line:
            raise ChannelClosed("the other side closed the channel")
        doc = json.loads(line)
        if doc.get("v") != VERSION:
            raise ValueError(f"protocol version {doc.get('v')!r}, expected {VERSION}")
        return Message(doc["name"], doc["fields"])

    def close(self) -> None:
        for stream in (self._writer, self._reader):
            with contextlib.suppress(OSError):
                stream.close()
