"""Serialized reads, kept until their thread changes.

A read of a kept answer costs the thread's stamp instead of a query, row decoding and JSON
encoding: on SQLite a primary-key lookup; on DynamoDB one GetItem of the thread item (0.5 read
unit, against 1.5 for the Query of a first page of 10), asked only when an answer is kept for
that query. Every write a read shows moves the thread's stamp, so a kept body is never served
after the thread changed.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Cached:
    """A thread's stored answer: the stamp it was built at, its ETag and its bytes."""

    stamp: str | None
    etag: str
    body: bytes


@dataclass(frozen=True, slots=True)
class KnownQuery:
    """A read's query string, already parsed and validated: its thread and cache key."""

    site: str
    uri: str
    key: tuple[str, ...]  # (site, uri, after, limit, sort)
    built: str | None = None  # the loader's check of a thread built into the page: its tag


class ReadCache:
    def __init__(self, max_entries: int = 1024) -> None:
        self._entries: OrderedDict[tuple[str, ...], Cached] = OrderedDict()
        self._queries: OrderedDict[bytes, KnownQuery] = OrderedDict()
        self._max = max_entries

    def known(self, query_string: bytes) -> KnownQuery | None:
        """The validated form of a raw query string seen before. Only valid queries are
        remembered, and validation depends on nothing but the string and the (fixed) sites,
        so a hit may skip parsing and validating it again."""
        found = self._queries.get(query_string)
        if found is not None:
            self._queries.move_to_end(query_string)
        return found

    def remember(self, query_string: bytes, known: KnownQuery) -> None:
        self._queries[query_string] = known
        self._queries.move_to_end(query_string)
        while len(self._queries) > self._max:
            self._queries.popitem(last=False)

    def clear(self) -> None:
        """Forget every kept answer (the benchmarks measure reads that find none)."""
        self._entries.clear()

    def holds(self, key: tuple[str, ...]) -> bool:
        return key in self._entries

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
