"""Serialized reads, kept until their thread changes.

Only used with stores whose thread stamp is a cheap local lookup (SQLite): a read then costs a
primary-key lookup instead of a query, row decoding and JSON encoding. Every write to a thread
moves its stamp, so a cached body is never served after the thread changed.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Cached:
    stamp: str | None
    etag: str
    body: bytes


class ReadCache:
    def __init__(self, max_entries: int = 1024) -> None:
        self._entries: OrderedDict[tuple[str, ...], Cached] = OrderedDict()
        self._max = max_entries

    def get(self, key: tuple[str, ...], stamp: str | None) -> Cached | None:
        entry = self._entries.get(key)
        if entry is None or entry.stamp != stamp:
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: tuple[str, ...], entry: Cached) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
