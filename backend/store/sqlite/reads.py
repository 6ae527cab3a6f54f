"""The SQLite store's reads: threads, pages, counts, the moderation queue, idempotency keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from backend.domain.models import Comment, Page, QueuePage, Status, Thread
from backend.store.sqlite.connection import Database
from backend.store.sqlite.rows import COLUMNS, VISIBLE, stamp_of, to_comment, to_thread


class Reads(Database):
    def get_thread(self, site: str, uri: str) -> Thread | None:
        row = self._one("SELECT * FROM threads WHERE site = ? AND uri = ?", (site, uri))
        return None if row is None else to_thread(row)

    def thread_stamp(self, site: str, uri: str) -> str | None:
        sql = "SELECT created, stamp FROM threads WHERE site = ? AND uri = ?"
        row = self._one(sql, (site, uri))
        return None if row is None else stamp_of(row[0], row[1])

    def read_page(self, site: str, uri: str, *, after: str | None, limit: int) -> Page:
        conn = self._conn()
        conn.execute("BEGIN")  # one snapshot for the thread row and its comments
        try:
            thread = self.get_thread(site, uri)
            rows = conn.execute(
                f"SELECT {COLUMNS} FROM comments WHERE site = ? AND uri = ? AND id > ? "
                f"AND {VISIBLE} ORDER BY id LIMIT ?",
                (site, uri, after or "", limit + 1),
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        comments = [to_comment(r) for r in rows[:limit]]
        next_after = comments[-1].id if len(rows) > limit else None
        return Page(thread, comments, next_after)

    def get_comment(self, site: str, uri: str, comment_id: str) -> Comment | None:
        row = self._one(
            f"SELECT {COLUMNS} FROM comments WHERE site = ? AND uri = ? AND id = ?",
            (site, uri, comment_id),
        )
        return None if row is None else to_comment(row)

    def counts(self, site: str, uris: Sequence[str], *, inbound: bool = True) -> dict[str, int]:
        result = dict.fromkeys(uris, 0)
        if uris:
            marks = ",".join("?" * len(uris))
            count = "count" if inbound else "count - inbound AS count"
            rows = self._conn().execute(
                f"SELECT uri, {count} FROM threads WHERE site = ? AND uri IN ({marks})",
                (site, *uris),
            )
            result.update({row["uri"]: row["count"] for row in rows})
        return result

    def recent(self, site: str, uri: str | None, limit: int) -> list[Comment]:
        if uri is None:
            sql = (
                f"SELECT {COLUMNS} FROM comments WHERE site = ? AND status = 'approved' "
                "ORDER BY id DESC LIMIT ?"
            )
            params: tuple[Any, ...] = (site, limit)
        else:
            sql = (
                f"SELECT {COLUMNS} FROM comments WHERE site = ? AND uri = ? "
                "AND status = 'approved' ORDER BY id DESC LIMIT ?"
            )
            params = (site, uri, limit)
        return [to_comment(r) for r in self._conn().execute(sql, params)]

    def queue(
        self, site: str, status: Status, *, after: str | None, limit: int, private: bool = True
    ) -> QueuePage:
        # `private` changes nothing here: one row holds the whole comment.
        rows = (
            self._conn()
            .execute(
                f"SELECT {COLUMNS} FROM comments WHERE site = ? AND status = ? AND id < ? "
                "ORDER BY id DESC LIMIT ?",
                (site, status.value, after or "\U0010ffff", limit + 1),
            )
            .fetchall()
        )
        comments = [to_comment(r) for r in rows[:limit]]
        return QueuePage(comments, comments[-1].id if len(rows) > limit else None)

    def author_approved(self, site: str, email: str) -> bool:
        row = self._one(
            "SELECT 1 FROM comments WHERE site = ? AND email = ? AND status = 'approved' LIMIT 1",
            (site, email),
        )
        return row is not None

    def find_key(self, site: str, key: str, now: int) -> str | None:
        row = self._one(
            "SELECT comment_id FROM idempotency WHERE site = ? AND key = ? AND expires > ?",
            (site, key, now),
        )
        return None if row is None else str(row[0])
