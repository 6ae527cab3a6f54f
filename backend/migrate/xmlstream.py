"""The bytes of an export as the XML readers see them: gunzipped, stray bytes before the XML
declaration dropped, repaired lines put in place. Every read is bounded and linear: lines are
read in pieces, so a 1 GB line costs its length in time and a piece of it in memory."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO, Protocol

PIECE = 64 * 1024


def open_bytes(path: Path) -> IO[bytes]:
    """The file's bytes, gunzipped when it is gzip (Remark42 and Disqus hand out .gz)."""
    raw = path.open("rb")
    if raw.read(2) == b"\x1f\x8b":
        raw.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    raw.seek(0)
    return raw


class Lines(Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...


def read_line(stream: Lines, limit: int, *, skip: bool = True) -> tuple[bytes, bool]:
    """The next line, and whether it fits `limit` bytes. A longer line is dropped (b"",
    False), read to its end when `skip` (memory holds one piece of it at a time)."""
    line = stream.readline(limit + 1)
    if len(line) <= limit:
        return line, True
    while skip and line and not line.endswith(b"\n"):
        line = stream.readline(PIECE)
    return b"", False


class Patched:
    """The stream with repaired lines put in place (line numbers unchanged)."""

    def __init__(self, raw: IO[bytes], fixes: dict[int, bytes]) -> None:
        self._raw = raw
        self._fixes = fixes
        self._lineno = 0  # lines begun so far
        self._at_start = True  # the next byte begins a line
        self._pending = b""
        self._offset = 0

    def _next_piece(self) -> bytes:
        piece = self._raw.readline(PIECE)
        if not piece:
            return b""
        if self._at_start and self._lineno + 1 in self._fixes:
            while piece and not piece.endswith(b"\n"):  # skip the original line
                piece = self._raw.readline(PIECE)
            self._lineno += 1
            return self._fixes[self._lineno]
        if self._at_start:
            self._lineno += 1
        self._at_start = piece.endswith(b"\n")
        return piece

    def read(self, size: int = -1) -> bytes:
        if not self._fixes:
            return self._raw.read(size)
        out = bytearray()
        while size < 0 or len(out) < size:
            if self._offset >= len(self._pending):
                self._pending, self._offset = self._next_piece(), 0
                if not self._pending:
                    break
            take = len(self._pending) - self._offset
            if size >= 0:
                take = min(take, size - len(out))
            out += self._pending[self._offset : self._offset + take]
            self._offset += take
        return bytes(out)

    def readline(self, size: int = -1, /) -> bytes:
        if not self._fixes:
            return self._raw.readline(size)
        out = bytearray()
        while size < 0 or len(out) < size:
            if self._offset >= len(self._pending):
                self._pending, self._offset = self._next_piece(), 0
                if not self._pending:
                    break
            end = self._pending.find(b"\n", self._offset)
            stop = len(self._pending) if end < 0 else end + 1
            if size >= 0:
                stop = min(stop, self._offset + size - len(out))
            out += self._pending[self._offset : stop]
            self._offset = stop
            if out.endswith(b"\n"):
                break
        return bytes(out)

    def __enter__(self) -> Patched:
        return self

    def __exit__(self, *_: object) -> None:
        self._raw.close()

    def close(self) -> None:
        self._raw.close()
