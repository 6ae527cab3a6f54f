"""A JSON document read one record at a time: the members of its top-level object, and the
elements of the arrays among them one by one, each bounded in size and in depth.

Commento's export is one JSON document (`{"version": 1, "comments": [...], "commenters": [...]}`);
read whole, a 1 GB file (or a small .gz that expands to one) needs gigabytes. Here memory holds
one record, at most `limit` bytes, and time is linear: the buffer at least doubles before a
record that did not fit is decoded again.
"""

from __future__ import annotations

import codecs
import itertools
import json
from collections.abc import Iterator
from typing import IO, Any

from backend.migrate.records import SourceError

PIECE = 64 * 1024
_WHITESPACE = " \t\r\n"
_decoder = json.JSONDecoder()


class _Buffer:
    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.at = 0
        self.eof = False
        self.where = "the first member"  # the record being read, as a JSON path

    def _fill(self, want: int = PIECE) -> bool:
        if self.eof:
            return False
        data = self._stream.read(want)
        try:
            more = self._utf8.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise SourceError(f"not UTF-8 JSON ({exc.reason})") from None
        self.text = self.text[self.at :] + more
        self.at = 0
        self.eof = not data
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end)."""
        while True:
            while self.at < len(self.text) and self.text[self.at] in _WHITESPACE:
                self.at += 1
            if self.at < len(self.text):
                return self.text[self.at]
            if not self._fill():
                return ""

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise SourceError(f"not the JSON expected: {char!r} missing at {self.where}")
        self.at += 1

    def _too_long(self) -> SourceError:
        return SourceError(f"{self.where} is longer than {self._limit:,} bytes: refused")

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                found, end = _decoder.raw_decode(self.text, self.at)
            except json.JSONDecodeError:
                if self.eof:
                    raise SourceError(f"not JSON at {self.where}") from None
            except RecursionError:
                raise SourceError(
                    f"{self.where} is nested deeper than any export: refused"
                ) from None
            else:
                if end < len(self.text) or self.eof:  # a number may go on in the next piece
                    if end - self.at > self._limit:
                        raise self._too_long()
                    self.at = end
                    return found
            if len(self.text) - self.at > self._limit:
                raise self._too_long()
            self._fill(max(PIECE, len(self.text) - self.at))


def members(stream: IO[bytes], limit: int, arrays: set[str]) -> Iterator[tuple[str, Any]]:
    """(key, value) for each member of the top-level object; for a key in `arrays` whose value
    is an array, (key, element) for each of its elements instead."""
    buffer = _Buffer(stream, limit)
    buffer.take("{")
    if buffer.peek() == "}":
        return
    while True:
        key = buffer.value()
        if not isinstance(key, str):
            raise SourceError("not a JSON object at the top")
        buffer.where = json.dumps(key)
        buffer.take(":")
        if key in arrays and buffer.peek() == "[":
            buffer.take("[")
            if buffer.peek() != "]":
                for index in itertools.count():
                    buffer.where = f"{key}[{index}]"
                    yield key, buffer.value()
                    if buffer.peek() != ",":
                        break
                    buffer.take(",")
            buffer.take("]")
        else:
            yield key, buffer.value()
        if buffer.peek() != ",":
            break
        buffer.take(",")
    buffer.take("}")
