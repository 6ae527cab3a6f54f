"""The SQLite store's reader writes: posts, edits, likes, locks, rate buckets, single-use keys.
Each is one transaction: a post, its thread's count, its parent's replies, its idempotency key
and its outbox events land together or not at all."""

from __future__ import annotations

import json
from datetime import datetime

from backend.domain import errors
from backend.domain.models import Comment, NewComment, Status, Thread
from backend.store.sqlite.outbox import insert_events
from backend.store.sqlite.reads import Reads
from backend.store.sqlite.rows import COLUMNS, PLACES, ms, origin_column

WEB = "webmention"  # in a thread's reactions: the open web's tally, beside each post's counts


class Writes(Reads):
    def finish_post(self, comment: Comment) -> None:
        """Nothing: a post is one transaction here."""

    def create_comment(self, new: NewComment) -> Comment:
        c = new.comment
        approved = c.status is Status.APPROVED
        with self._write() as conn:
            row = conn.execute(
                "SELECT comment_id, expires FROM idempotency WHERE site = ? AND key = ?",
                (c.site, new.idempotency_key),
            ).fetchone()
            if row is not None and row["expires"] > c.created.timestamp():
                raise errors.DuplicateKey(row["comment_id"])
            thread = conn.execute(
                "SELECT locked FROM threads WHERE site = ? AND uri = ?", (c.site, c.uri)
            ).fetchone()
            if thread is not None and thread["locked"]:
                raise errors.ThreadLocked()
            if c.parent is not None:
                parent = conn.execute(
                    "SELECT status FROM comments WHERE site = ? AND uri = ? AND id = ?",
                    (c.site, c.uri, c.parent),
                ).fetchone()
                if parent is None or parent["status"] != Status.APPROVED:
                    raise errors.ParentNotFound()
                if approved:
                    conn.execute(
                        "UPDATE comments SET replies = replies + 1 "
                        "WHERE site = ? AND uri = ? AND id = ?",
                        (c.site, c.uri, c.parent),
                    )
            conn.execute(
                "INSERT INTO threads (site, uri, title, count, inbound, locked, created, stamp) "
                "VALUES (?, ?, ?, ?, ?, 0, ?, 1) ON CONFLICT (site, uri) DO UPDATE SET "
                "count = count + excluded.count, inbound = inbound + excluded.inbound, "
                "stamp = stamp + 1, "
                "title = CASE WHEN title = '' THEN excluded.title ELSE title END",
                (
                    c.site, c.uri, new.title, int(approved),
                    int(approved and c.origin is not None), ms(c.created),
                ),
            )  # fmt: skip
            conn.execute(
                f"INSERT INTO comments ({COLUMNS}) VALUES ({PLACES})",
                (
                    c.site, c.uri, c.id, c.parent, c.author, c.email, c.website, c.text,
                    c.html, c.status.value, ms(c.created), None, 0, 0, c.ip_hash, c.avatar,
                    origin_column(c.origin), c.role, c.reason,
                ),
            )  # fmt: skip
            conn.execute(
                "INSERT OR REPLACE INTO idempotency (site, key, comment_id, expires) "
                "VALUES (?, ?, ?, ?)",
                (c.site, new.idempotency_key, c.id, new.key_expires),
            )
            insert_events(conn, new.events)
        return c

    def edit_comment(
        self, site: str, uri: str, comment_id: str, *, text: str, html: str, edited: datetime
    ) -> Comment:
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE comments SET text = ?, html = ?, edited = ? "
                "WHERE site = ? AND uri = ? AND id = ? AND status NOT IN ('deleted', 'spam')",
                (text, html, ms(edited), site, uri, comment_id),
            )
            if cursor.rowcount != 1:
                raise errors.CommentNotFound()
            self._touch(conn, site, uri)
        comment = self.get_comment(site, uri, comment_id)
        assert comment is not None
        return comment

    def add_like(self, site: str, uri: str, comment_id: str, voter: str) -> int:
        return self._move_like(
            "INSERT OR IGNORE INTO likes (site, uri, comment_id, voter) VALUES (?, ?, ?, ?)",
            +1,
            (site, uri, comment_id, voter),
        )

    def remove_like(self, site: str, uri: str, comment_id: str, voter: str) -> int:
        return self._move_like(
            "DELETE FROM likes WHERE site = ? AND uri = ? AND comment_id = ? AND voter = ?",
            -1,
            (site, uri, comment_id, voter),
        )

    def _move_like(self, change: str, delta: int, key: tuple[str, str, str, str]) -> int:
        """Insert or delete one voter's like and move the comment's count with it, only when
        the like item actually changed (so the same reader twice changes nothing)."""
        site, uri, comment_id, _ = key
        with self._write() as conn:
            row = conn.execute(
                "SELECT likes, status FROM comments WHERE site = ? AND uri = ? AND id = ?",
                (site, uri, comment_id),
            ).fetchone()
            if row is None or row["status"] != Status.APPROVED:
                raise errors.CommentNotFound()
            if not conn.execute(change, key).rowcount:
                return int(row["likes"])
            conn.execute(
                "UPDATE comments SET likes = likes + ? WHERE site = ? AND uri = ? AND id = ?",
                (delta, site, uri, comment_id),
            )
            self._touch(conn, site, uri)
            return int(row["likes"]) + delta

    def set_locked(self, site: str, uri: str, locked: bool, now: datetime) -> Thread:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO threads (site, uri, title, count, locked, created, stamp) "
                "VALUES (?, ?, '', 0, ?, ?, 1) ON CONFLICT (site, uri) DO UPDATE SET "
                "locked = excluded.locked, stamp = stamp + 1",
                (site, uri, int(locked), ms(now)),
            )
        thread = self.get_thread(site, uri)
        assert thread is not None
        return thread

    def hold_suggestions(self, site: str, uri: str, until: int, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO threads (site, uri, title, count, locked, created, stamp, "
                "suggest_after) VALUES (?, ?, '', 0, 0, ?, 1, ?) ON CONFLICT (site, uri) DO "
                "UPDATE SET suggest_after = MAX(suggest_after, excluded.suggest_after), "
                "stamp = stamp + 1",
                (site, uri, ms(now), until),
            )

    def hit_rate(self, site: str, client: str, window: int, expires: int) -> int:
        with self._write() as conn:
            row = conn.execute(
                "INSERT INTO rate_buckets (site, client, window, hits, expires) "
                "VALUES (?, ?, ?, 1, ?) ON CONFLICT (site, client, window) "
                "DO UPDATE SET hits = hits + 1 RETURNING hits",
                (site, client, window, expires),
            ).fetchone()
            if row["hits"] == 1:  # first hit of a window: sweep the expired ones, as TTL would
                conn.execute("DELETE FROM rate_buckets WHERE expires < ?", (window * 60,))
            return int(row["hits"])

    def rate_hits(self, site: str, client: str, window: int) -> int:
        row = (
            self._conn()
            .execute(
                "SELECT hits FROM rate_buckets WHERE site = ? AND client = ? AND window = ?",
                (site, client, window),
            )
            .fetchone()
        )
        return 0 if row is None else int(row[0])

    def use_once(self, site: str, key: str, expires: int) -> bool:
        with self._write() as conn:  # one row per link used: small enough to keep
            inserted = conn.execute(
                "INSERT INTO used_once (site, key, expires) VALUES (?, ?, ?) "
                "ON CONFLICT (site, key) DO NOTHING",
                (site, key, expires),
            ).rowcount
            return inserted == 1

    def claim(self, site: str, key: str, now: int, expires: int) -> bool:
        with self._write() as conn:  # the same rows as use_once: keys never overlap
            changed = conn.execute(
                "INSERT INTO used_once (site, key, expires) VALUES (?, ?, ?) "
                "ON CONFLICT (site, key) DO UPDATE SET expires = excluded.expires "
                "WHERE used_once.expires <= ?",
                (site, key, expires, now),
            ).rowcount
            return changed == 1

    def release(self, site: str, key: str) -> bool:
        with self._write() as conn:
            gone = conn.execute("DELETE FROM used_once WHERE site = ? AND key = ?", (site, key))
            return gone.rowcount == 1

    def set_reactions(self, site: str, uri: str, source: str, likes: int, reposts: int) -> None:
        with self._write() as conn:
            row = conn.execute(
                "SELECT reactions FROM threads WHERE site = ? AND uri = ?", (site, uri)
            ).fetchone()
            if row is None:
                return
            counts = json.loads(row[0]) if row[0] else {}
            if counts.get(source) == [likes, reposts]:
                return
            counts[source] = [likes, reposts]
            conn.execute(
                "UPDATE threads SET reactions = ?, stamp = stamp + 1 WHERE site = ? AND uri = ?",
                (json.dumps(counts, sort_keys=True), site, uri),
            )

    def add_reactions(self, site: str, uri: str, likes: int, reposts: int, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO threads (site, uri, title, count, locked, created, stamp) "
                "VALUES (?, ?, '', 0, 0, ?, 1) ON CONFLICT (site, uri) DO NOTHING",
                (site, uri, ms(now)),
            )
            row = conn.execute(
                "SELECT reactions FROM threads WHERE site = ? AND uri = ?", (site, uri)
            ).fetchone()
            counts = json.loads(row[0]) if row[0] else {}
            was = counts.get(WEB, [0, 0])
            counts[WEB] = [max(0, was[0] + likes), max(0, was[1] + reposts)]
            conn.execute(
                "UPDATE threads SET reactions = ?, stamp = stamp + 1 WHERE site = ? AND uri = ?",
                (json.dumps(counts, sort_keys=True), site, uri),
            )
