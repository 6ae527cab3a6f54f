"""The notification side of the SQLite store: the outbox, sent markers, subscriptions and
opt-outs (the `Outbox` half of the `Store` protocol). `SQLiteStore` mixes it in; the outbox
rows of a post or a status change are written inside that write's transaction by
`insert_events`."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence

from backend.domain.models import OutboxEvent
from backend.store.sqlite.connection import Database


def insert_events(conn: sqlite3.Connection, events: Sequence[OutboxEvent]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO outbox (id, kind, site, uri, comment_id, due, attempts, data, "
        "error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (e.id, e.kind, e.site, e.uri, e.comment_id, e.due, e.attempts,
             json.dumps(e.data, sort_keys=True), e.error)
            for e in events
        ],
    )  # fmt: skip


def _event(row: sqlite3.Row) -> OutboxEvent:
    return OutboxEvent(
        id=row["id"],
        kind=row["kind"],
        site=row["site"],
        uri=row["uri"],
        comment_id=row["comment_id"],
        due=row["due"],
        attempts=row["attempts"],
        data=json.loads(row["data"]),
        error=row["error"],
    )


class SQLiteOutbox(Database):
    """Part of SQLiteStore: its connection and write transaction."""

    def enqueue(self, events: Sequence[OutboxEvent]) -> None:
        with self._write() as conn:
            insert_events(conn, events)

    def due_events(self, now: float, limit: int) -> list[OutboxEvent]:
        rows = self._conn().execute(
            "SELECT * FROM outbox WHERE due <= ? ORDER BY due, id LIMIT ?", (now, limit)
        )
        return [_event(r) for r in rows]

    def finish_event(self, event_id: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM outbox WHERE id = ?", (event_id,))

    def retry_event(self, event: OutboxEvent) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE outbox SET due = ?, attempts = ?, error = ? WHERE id = ?",
                (event.due, event.attempts, event.error, event.id),
            )

    def bury_event(self, event: OutboxEvent) -> None:
        with self._write() as conn:
            gone = conn.execute("DELETE FROM outbox WHERE id = ?", (event.id,)).rowcount
            if gone:  # a finished event stays finished
                conn.execute(
                    "INSERT OR REPLACE INTO dead_events (id, kind, site, uri, comment_id, due, "
                    "attempts, data, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (event.id, event.kind, event.site, event.uri, event.comment_id, event.due,
                     event.attempts, json.dumps(event.data, sort_keys=True), event.error),
                )  # fmt: skip

    def dead_events(self, limit: int) -> list[OutboxEvent]:
        rows = self._conn().execute("SELECT * FROM dead_events ORDER BY id LIMIT ?", (limit,))
        return [_event(r) for r in rows]

    def was_sent(self, key: str) -> bool:
        row = self._conn().execute("SELECT 1 FROM sent WHERE key = ?", (key,)).fetchone()
        return row is not None

    def mark_sent(self, key: str, now: int, expires: int) -> None:
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO sent (key, expires) VALUES (?, ?)", (key, expires))
            # Expired markers go, as TTL takes them on DynamoDB.
            conn.execute("DELETE FROM sent WHERE expires < ?", (now,))

    def subscribe(self, site: str, uri: str, comment_id: str, email: str) -> bool:
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO subscriptions (site, uri, comment_id, email, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (site, uri, comment_id, email, int(time.time())),
            )
            return cursor.rowcount == 1

    def unsubscribe(self, site: str, uri: str, comment_id: str) -> bool:
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM subscriptions WHERE site = ? AND uri = ? AND comment_id = ?",
                (site, uri, comment_id),
            )
            return cursor.rowcount == 1

    def subscriber(self, site: str, uri: str, comment_id: str) -> str | None:
        row = (
            self._conn()
            .execute(
                "SELECT email FROM subscriptions WHERE site = ? AND uri = ? AND comment_id = ?",
                (site, uri, comment_id),
            )
            .fetchone()
        )
        return None if row is None else str(row[0])

    def opt_out(self, site: str, email_hash: str) -> bool:
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO opt_outs (site, email_hash, created) VALUES (?, ?, ?)",
                (site, email_hash, int(time.time())),
            )
            return cursor.rowcount == 1

    def opted_out(self, site: str, email_hash: str) -> bool:
        row = (
            self._conn()
            .execute("SELECT 1 FROM opt_outs WHERE site = ? AND email_hash = ?", (site, email_hash))
            .fetchone()
        )
        return row is not None
