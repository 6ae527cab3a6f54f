"""Cusdis's SQLite database (its Prisma schema, `prisma/sqlite/schema.prisma` in the Cusdis
repository): `projects`, `pages` (one per commented page: `slug`, `url`, `title`) and
`comments` (`by_nickname`, `by_email`, `content`, `approved`, `parentId`, `deletedAt`,
`created_at`). Cusdis offered no export of its own: this reads the database file, read-only.

A database holds every project (site) of its users: one project is imported at a time, the
only one or the one `--field project=ID-OR-TITLE` names. Prisma stores a date in SQLite as
epoch milliseconds (older releases) or as ISO 8601 text: both are read. Approved comments are
published; unapproved ones wait for moderation; soft-deleted ones (`deletedAt` set) are
deleted (a tombstone when they have replies).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from backend.domain.models import Status
from backend.migrate.fields import utc
from backend.migrate.limits import DEFAULT, Limits
from backend.migrate.records import (
    Checked,
    Markup,
    Record,
    Skipped,
    SourceComment,
    SourceError,
    SourceThread,
    WrongFormat,
)

NEEDED = {
    "projects": {"id", "title"},
    "pages": {"id", "slug", "url", "title", "projectId"},
    "comments": {"id", "pageId", "created_at", "deletedAt", "by_email", "by_nickname",
                 "content", "approved", "parentId"},
}  # fmt: skip


def _when(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return utc(str(value)) if isinstance(value, str) else None


class Reader:
    def __init__(
        self, path: Path, limits: Limits = DEFAULT, names: dict[str, str] | None = None
    ) -> None:
        self.path = path
        self.limits = limits
        self.project = (names or {}).get("project")

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise WrongFormat(f"not a Cusdis database: looked for SQLite ({exc})") from None
        return conn

    def _project(self, conn: sqlite3.Connection) -> str:
        projects = conn.execute("SELECT id, title FROM projects ORDER BY created_at, id").fetchall()
        if self.project is not None:
            for pid, title in projects:
                if self.project in (pid, title):
                    return str(pid)
            raise SourceError(f"no Cusdis project {self.project!r}; it holds {_list(projects)}")
        if len(projects) > 1:
            raise SourceError(
                f"this Cusdis database holds {len(projects)} projects ({_list(projects)}): "
                "name one with --field project=ID-OR-TITLE"
            )
        return str(projects[0][0]) if projects else ""

    def check(self) -> Checked:
        with self._connect() as conn:
            for table, columns in NEEDED.items():
                have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                if not columns <= have:
                    missing = ", ".join(sorted(columns - have))
                    raise WrongFormat(f"not a Cusdis database: table {table!r} lacks {missing}")
            self._project(conn)
        comments = sum(isinstance(r, (SourceComment, Skipped)) for r in self.records())
        return Checked([], comments, empty="a Cusdis project without a single comment")

    def records(self) -> Iterator[Record]:
        conn = self._connect()
        try:
            project = self._project(conn)
            pages = conn.execute(
                'SELECT id, slug, url, title FROM pages WHERE "projectId" = ? ORDER BY id',
                (project,),
            )
            for pid, slug, url, title in pages:
                yield SourceThread(key=str(pid), url=str(url or slug or ""), title=title or "")
            rows = conn.execute(
                'SELECT c.id, c."pageId", c."parentId", c.created_at, c."deletedAt", c.approved, '
                "c.content, c.by_nickname, c.by_email FROM comments c JOIN pages p "
                'ON p.id = c."pageId" WHERE p."projectId" = ? ORDER BY c.created_at, c.id',
                (project,),
            )
            for cid, page, parent, created, deleted, approved, content, nick, email in rows:
                when = _when(created)
                if when is None:
                    yield Skipped(str(cid), "without a date")
                    continue
                status = Status.APPROVED if approved else Status.PENDING
                yield SourceComment(
                    key=str(cid), thread=str(page), parent=str(parent) if parent else None,
                    author=str(nick or ""), email=str(email or ""), website=None,
                    body=str(content or ""), markup=Markup.MARKDOWN,
                    status=Status.DELETED if deleted is not None else status, created=when,
                )  # fmt: skip
        finally:
            conn.close()


def _list(projects: list[tuple[object, object]]) -> str:
    return ", ".join(f"{title!r} ({pid})" for pid, title in projects[:10])
