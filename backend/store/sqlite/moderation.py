"""The SQLite store's status moves and erasure: the comment, its thread's count and its
parent's replies (and the outbox's events) in one transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from backend.domain import errors
from backend.domain.models import Comment, OutboxEvent, Status
from backend.store.sqlite.outbox import insert_events
from backend.store.sqlite.reads import Reads


class Moderation(Reads):
    def set_status(
        self,
        site: str,
        uri: str,
        comment_id: str,
        status: Status,
        *,
        scrub: bool = False,
        events: Sequence[OutboxEvent] = (),
    ) -> Comment:
        with self._write() as conn:
            row = conn.execute(
                "SELECT status, parent, origin FROM comments WHERE site = ? AND uri = ? AND id = ?",
                (site, uri, comment_id),
            ).fetchone()
            if row is None:
                raise errors.CommentNotFound()
            delta = int(status is Status.APPROVED) - int(row["status"] == Status.APPROVED)
            conn.execute(
                "UPDATE comments SET status = ?, "
                "text = CASE WHEN ? THEN '' ELSE text END, "
                "html = CASE WHEN ? THEN '' ELSE html END "
                "WHERE site = ? AND uri = ? AND id = ?",
                (status.value, scrub, scrub, site, uri, comment_id),
            )
            _move_counts(conn, site, uri, row["parent"], delta, bool(row["origin"]))
            insert_events(conn, events)
        comment = self.get_comment(site, uri, comment_id)
        assert comment is not None
        return comment

    def erase(self, site: str, uri: str, comment_id: str) -> None:
        key = (site, uri, comment_id)
        with self._write() as conn:
            row = conn.execute(
                "SELECT status, parent, replies, origin FROM comments "
                "WHERE site = ? AND uri = ? AND id = ?",
                key,
            ).fetchone()
            if row is None:
                raise errors.CommentNotFound()
            if row["replies"] > 0:
                conn.execute(
                    "UPDATE comments SET status = 'deleted', author = '', email = '', "
                    "website = NULL, text = '', html = '', ip_hash = '', avatar = '', origin = '', "
                    "reason = '' "
                    "WHERE site = ? AND uri = ? AND id = ?",
                    key,
                )
            else:
                where = "WHERE site = ? AND uri = ? AND comment_id = ?"
                conn.execute(f"DELETE FROM likes {where}", key)
                conn.execute("DELETE FROM comments WHERE site = ? AND uri = ? AND id = ?", key)
            delta = -int(row["status"] == Status.APPROVED)
            _move_counts(conn, site, uri, row["parent"], delta, bool(row["origin"]))


def _move_counts(
    conn: sqlite3.Connection, site: str, uri: str, parent: str | None, delta: int, inbound: bool
) -> None:
    """The thread's count (and its `inbound` share, for a comment from the open web) and the
    parent's replies moved by `delta` (the thread's stamp moves in any case), inside the
    caller's transaction."""
    if delta and parent is not None:
        conn.execute(
            "UPDATE comments SET replies = replies + ? WHERE site = ? AND uri = ? AND id = ?",
            (delta, site, uri, parent),
        )
    conn.execute(
        "UPDATE threads SET count = count + ?, inbound = inbound + ?, stamp = stamp + 1 "
        "WHERE site = ? AND uri = ?",
        (delta, delta if inbound else 0, site, uri),
    )
