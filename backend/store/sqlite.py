"""The embedded store: one SQLite file in WAL mode, for one machine and for development.

It mirrors the DynamoDB single-table model entity by entity (threads, comments, likes,
idempotency keys, rate buckets). Every write is one `BEGIN IMMEDIATE` transaction, so a post,
its thread's count, its parent's reply count and its idempotency key land together or not at all.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backend.domain import errors
from backend.domain.models import (
    Comment,
    NewComment,
    OutboxEvent,
    Page,
    QueuePage,
    Status,
    Thread,
)
from backend.store import sqlite_bulk as bulk
from backend.store import sqlite_outbox
from backend.store.base import Repairs, Written
from backend.store.sqlite_outbox import SQLiteOutbox, insert_events

# Each entry moves the schema one version up; PRAGMA user_version records how far we are.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE threads (
        site TEXT NOT NULL, uri TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
        count INTEGER NOT NULL DEFAULT 0, locked INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL, stamp INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (site, uri)
    ) WITHOUT ROWID;
    CREATE TABLE comments (
        site TEXT NOT NULL, uri TEXT NOT NULL, id TEXT NOT NULL, parent TEXT,
        author TEXT NOT NULL, email TEXT NOT NULL, website TEXT,
        text TEXT NOT NULL, html TEXT NOT NULL, status TEXT NOT NULL,
        created INTEGER NOT NULL, edited INTEGER,
        likes INTEGER NOT NULL DEFAULT 0, replies INTEGER NOT NULL DEFAULT 0,
        ip_hash TEXT NOT NULL DEFAULT '', avatar TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (site, uri, id)
    ) WITHOUT ROWID;
    CREATE INDEX comments_by_status ON comments (site, status, id);
    CREATE INDEX comments_by_email ON comments (site, email, status);
    CREATE TABLE likes (
        site TEXT NOT NULL, uri TEXT NOT NULL, comment_id TEXT NOT NULL, voter TEXT NOT NULL,
        PRIMARY KEY (site, uri, comment_id, voter)
    ) WITHOUT ROWID;
    CREATE TABLE idempotency (
        site TEXT NOT NULL, key TEXT NOT NULL, comment_id TEXT NOT NULL,
        expires INTEGER NOT NULL,
        PRIMARY KEY (site, key)
    ) WITHOUT ROWID;
    CREATE TABLE rate_buckets (
        site TEXT NOT NULL, client TEXT NOT NULL, window INTEGER NOT NULL,
        hits INTEGER NOT NULL, expires INTEGER NOT NULL,
        PRIMARY KEY (site, client, window)
    ) WITHOUT ROWID;
    """,
    sqlite_outbox.MIGRATION,
    """
    CREATE TABLE used_once (
        site TEXT NOT NULL, key TEXT NOT NULL, expires INTEGER NOT NULL,
        PRIMARY KEY (site, key)
    ) WITHOUT ROWID;
    """,
)

_COLUMNS = (
    "site, uri, id, parent, author, email, website, text, html, status, created, edited, "
    "likes, replies, ip_hash, avatar"
)
_VISIBLE = "(status = 'approved' OR (status = 'deleted' AND replies > 0))"


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _comment(row: sqlite3.Row) -> Comment:
    return Comment(
        site=row["site"],
        uri=row["uri"],
        id=row["id"],
        parent=row["parent"],
        author=row["author"],
        email=row["email"],
        website=row["website"],
        text=row["text"],
        html=row["html"],
        status=Status(row["status"]),
        created=_dt(row["created"]),
        edited=None if row["edited"] is None else _dt(row["edited"]),
        likes=row["likes"],
        replies=row["replies"],
        ip_hash=row["ip_hash"],
        avatar=row["avatar"],
    )


def _thread(row: sqlite3.Row) -> Thread:
    return Thread(
        site=row["site"],
        uri=row["uri"],
        title=row["title"],
        count=row["count"],
        locked=bool(row["locked"]),
        created=_dt(row["created"]),
        stamp=str(row["stamp"]),
    )


class SQLiteStore(SQLiteOutbox):
    cheap_stamps = True

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []

    # -- connections: one per thread, WAL so readers never wait for the writer -------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA busy_timeout = 10000")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise errors.StoreUnavailable() from exc
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                conn.execute("ROLLBACK")
                raise errors.StoreUnavailable() from exc

    def _one(self, sql: str, params: Sequence[Any]) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._conn().execute(sql, params).fetchone()
        return row

    def setup(self) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- reads -------------------------------------------------------------------------------

    def get_thread(self, site: str, uri: str) -> Thread | None:
        row = self._one("SELECT * FROM threads WHERE site = ? AND uri = ?", (site, uri))
        return None if row is None else _thread(row)

    def thread_stamp(self, site: str, uri: str) -> str | None:
        row = self._one("SELECT stamp FROM threads WHERE site = ? AND uri = ?", (site, uri))
        return None if row is None else str(row[0])

    def read_page(self, site: str, uri: str, *, after: str | None, limit: int) -> Page:
        conn = self._conn()
        conn.execute("BEGIN")  # one snapshot for the thread row and its comments
        try:
            thread = self.get_thread(site, uri)
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM comments WHERE site = ? AND uri = ? AND id > ? "
                f"AND {_VISIBLE} ORDER BY id LIMIT ?",
                (site, uri, after or "", limit + 1),
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        comments = [_comment(r) for r in rows[:limit]]
        next_after = comments[-1].id if len(rows) > limit else None
        return Page(thread, comments, next_after)

    def get_comment(self, site: str, uri: str, comment_id: str) -> Comment | None:
        row = self._one(
            f"SELECT {_COLUMNS} FROM comments WHERE site = ? AND uri = ? AND id = ?",
            (site, uri, comment_id),
        )
        return None if row is None else _comment(row)

    def counts(self, site: str, uris: Sequence[str]) -> dict[str, int]:
        result = dict.fromkeys(uris, 0)
        if uris:
            marks = ",".join("?" * len(uris))
            rows = self._conn().execute(
                f"SELECT uri, count FROM threads WHERE site = ? AND uri IN ({marks})",
                (site, *uris),
            )
            result.update({row["uri"]: row["count"] for row in rows})
        return result

    def recent(self, site: str, uri: str | None, limit: int) -> list[Comment]:
        if uri is None:
            sql = (
                f"SELECT {_COLUMNS} FROM comments WHERE site = ? AND status = 'approved' "
                "ORDER BY id DESC LIMIT ?"
            )
            params: tuple[Any, ...] = (site, limit)
        else:
            sql = (
                f"SELECT {_COLUMNS} FROM comments WHERE site = ? AND uri = ? "
                "AND status = 'approved' ORDER BY id DESC LIMIT ?"
            )
            params = (site, uri, limit)
        return [_comment(r) for r in self._conn().execute(sql, params)]

    def queue(self, site: str, status: Status, *, after: str | None, limit: int) -> QueuePage:
        rows = (
            self._conn()
            .execute(
                f"SELECT {_COLUMNS} FROM comments WHERE site = ? AND status = ? AND id < ? "
                "ORDER BY id DESC LIMIT ?",
                (site, status.value, after or "\U0010ffff", limit + 1),
            )
            .fetchall()
        )
        comments = [_comment(r) for r in rows[:limit]]
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

    # -- writes ------------------------------------------------------------------------------

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
                "INSERT INTO threads (site, uri, title, count, locked, created, stamp) "
                "VALUES (?, ?, ?, ?, 0, ?, 1) ON CONFLICT (site, uri) DO UPDATE SET "
                "count = count + excluded.count, stamp = stamp + 1, "
                "title = CASE WHEN title = '' THEN excluded.title ELSE title END",
                (c.site, c.uri, new.title, int(approved), _ms(c.created)),
            )
            conn.execute(
                f"INSERT INTO comments ({_COLUMNS}) VALUES ({','.join('?' * 16)})",
                (
                    c.site, c.uri, c.id, c.parent, c.author, c.email, c.website, c.text,
                    c.html, c.status.value, _ms(c.created), None, 0, 0, c.ip_hash, c.avatar,
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
                (text, html, _ms(edited), site, uri, comment_id),
            )
            if cursor.rowcount != 1:
                raise errors.CommentNotFound()
            self._touch(conn, site, uri)
        comment = self.get_comment(site, uri, comment_id)
        assert comment is not None
        return comment

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
                "SELECT status, parent FROM comments WHERE site = ? AND uri = ? AND id = ?",
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
            if delta and row["parent"] is not None:
                conn.execute(
                    "UPDATE comments SET replies = replies + ? "
                    "WHERE site = ? AND uri = ? AND id = ?",
                    (delta, site, uri, row["parent"]),
                )
            conn.execute(
                "UPDATE threads SET count = count + ?, stamp = stamp + 1 "
                "WHERE site = ? AND uri = ?",
                (delta, site, uri),
            )
            insert_events(conn, events)
        comment = self.get_comment(site, uri, comment_id)
        assert comment is not None
        return comment

    def erase(self, site: str, uri: str, comment_id: str) -> None:
        key = (site, uri, comment_id)
        with self._write() as conn:
            row = conn.execute(
                "SELECT status, parent, replies FROM comments "
                "WHERE site = ? AND uri = ? AND id = ?",
                key,
            ).fetchone()
            if row is None:
                raise errors.CommentNotFound()
            if row["replies"] > 0:
                conn.execute(
                    "UPDATE comments SET status = 'deleted', author = '', email = '', "
                    "website = NULL, text = '', html = '', ip_hash = '', avatar = '' "
                    "WHERE site = ? AND uri = ? AND id = ?",
                    key,
                )
            else:
                where = "WHERE site = ? AND uri = ? AND comment_id = ?"
                conn.execute(f"DELETE FROM likes {where}", key)
                conn.execute("DELETE FROM comments WHERE site = ? AND uri = ? AND id = ?", key)
            delta = -int(row["status"] == Status.APPROVED)
            if delta and row["parent"] is not None:
                conn.execute(
                    "UPDATE comments SET replies = replies + ? "
                    "WHERE site = ? AND uri = ? AND id = ?",
                    (delta, site, uri, row["parent"]),
                )
            conn.execute(
                "UPDATE threads SET count = count + ?, stamp = stamp + 1 "
                "WHERE site = ? AND uri = ?",
                (delta, site, uri),
            )

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
                (site, uri, int(locked), _ms(now)),
            )
        thread = self.get_thread(site, uri)
        assert thread is not None
        return thread

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

    def use_once(self, site: str, key: str, expires: int) -> bool:
        with self._write() as conn:  # one row per link used: small enough to keep
            inserted = conn.execute(
                "INSERT INTO used_once (site, key, expires) VALUES (?, ?, ?) "
                "ON CONFLICT (site, key) DO NOTHING",
                (site, key, expires),
            ).rowcount
            return inserted == 1

    @staticmethod
    def _touch(conn: sqlite3.Connection, site: str, uri: str) -> None:
        conn.execute("UPDATE threads SET stamp = stamp + 1 WHERE site = ? AND uri = ?", (site, uri))

    # -- bulk (import and export) -----------------------------------------------------------------

    def put_many(self, threads: Sequence[Thread], comments: Sequence[Comment]) -> Written:
        with self._write() as conn:
            return bulk.put_many(conn, threads, comments)

    def recount(self, site: str, uri: str) -> Thread | None:
        with self._write() as conn:
            bulk.recount(conn, site, uri)
        return self.get_thread(site, uri)

    def threads(self, site: str) -> Iterator[Thread]:
        for uri in list(bulk.thread_uris(self._conn(), site)):
            thread = self.get_thread(site, uri)
            if thread is not None:
                yield thread

    def thread_comments(self, site: str, uri: str) -> Iterator[Comment]:
        yield from map(_comment, bulk.comment_rows(self._conn(), site, uri))

    # -- upkeep ------------------------------------------------------------------------------

    def repair_marked(self, site: str, *, limit: int, now: int | None = None) -> Repairs:
        """Nothing to repair: every write moves its comment and all the counters it affects in
        one SQLite transaction, so a crash leaves all or none of it and never a marker."""
        return Repairs()
