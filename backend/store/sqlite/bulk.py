"""The SQLite store's bulk side: imports and exports, each batch one transaction.

Kept apart from `writes.py`'s per-request writes. Rows are inserted only when absent, so an
import run twice adds nothing and a moderator's later decision is never overwritten.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

from backend.domain.models import Comment, Status, Thread
from backend.domain.tally import tally
from backend.store.reports import Written
from backend.store.sqlite.rows import COLUMNS, PLACES, ms, origin_column

PAGE = 500  # threads read per query while walking a site


def put_many(
    conn: sqlite3.Connection, threads: Sequence[Thread], comments: Sequence[Comment]
) -> Written:
    new_threads = conn.executemany(
        "INSERT INTO threads (site, uri, title, count, locked, created, stamp) "
        "VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT (site, uri) DO NOTHING",
        [(t.site, t.uri, t.title, t.count, int(t.locked), ms(t.created)) for t in threads],
    ).rowcount
    new_comments = conn.executemany(
        f"INSERT INTO comments ({COLUMNS}) VALUES ({PLACES}) "
        "ON CONFLICT (site, uri, id) DO NOTHING",
        [
            (
                c.site, c.uri, c.id, c.parent, c.author, c.email, c.website, c.text, c.html,
                c.status.value, ms(c.created), None if c.edited is None else ms(c.edited),
                c.likes, c.replies, c.ip_hash, c.avatar, origin_column(c.origin), c.role,
                c.reason,
            )
            for c in comments
        ],
    ).rowcount  # fmt: skip
    return Written(threads=max(new_threads, 0), comments=max(new_comments, 0))


def recount(conn: sqlite3.Connection, site: str, uri: str) -> None:
    rows = conn.execute(
        "SELECT id, parent, status, replies, origin FROM comments WHERE site = ? AND uri = ?",
        (site, uri),
    ).fetchall()
    stored = {row[0]: row[3] for row in rows}
    numbers = tally((row[0], row[1], Status(row[2])) for row in rows)
    inbound = sum(1 for row in rows if row[2] == Status.APPROVED and row[4])
    conn.executemany(
        "UPDATE comments SET replies = ? WHERE site = ? AND uri = ? AND id = ?",
        [(n, site, uri, cid) for cid, n in numbers.replies.items() if n != stored[cid]],
    )
    # The stamp moves even when no number does: the import may have added comments, and the
    # app's response cache must not keep serving the thread without them.
    conn.execute(
        "UPDATE threads SET count = ?, inbound = ?, stamp = stamp + 1 WHERE site = ? AND uri = ?",
        (numbers.count, inbound, site, uri),
    )


def thread_uris(conn: sqlite3.Connection, site: str) -> Iterator[str]:
    after = ""
    while True:
        uris = [
            row[0]
            for row in conn.execute(
                "SELECT uri FROM threads WHERE site = ? AND uri > ? ORDER BY uri LIMIT ?",
                (site, after, PAGE),
            )
        ]
        yield from uris
        if len(uris) < PAGE:
            return
        after = uris[-1]


def comment_rows(conn: sqlite3.Connection, site: str, uri: str) -> list[sqlite3.Row]:
    rows: list[sqlite3.Row] = conn.execute(
        f"SELECT {COLUMNS} FROM comments WHERE site = ? AND uri = ? ORDER BY id", (site, uri)
    ).fetchall()
    return rows
