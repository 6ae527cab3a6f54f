"""Isso's SQLite database (schema version 5): `threads`, then `comments`.

A comment's `mode` is 1 valid, 2 pending, 4 deleted; its text is Markdown; likes are kept
(dislikes have no place in Parley); `voters`, a bloom filter of voters' addresses, is ignored.
The database is opened read-only: the import never changes it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from backend.domain.models import Status
from backend.migrate import fields
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

MODES = {1: Status.APPROVED, 2: Status.PENDING, 4: Status.DELETED}
NEEDED = {
    "threads": {"id", "uri", "title"},
    "comments": {"tid", "id", "parent", "created", "modified", "mode", "text", "author",
                 "email", "website", "likes", "remote_addr"},
}  # fmt: skip


def _when(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


class Reader:
    def __init__(self, path: Path, limits: Limits = DEFAULT) -> None:
        self.path = path
        self.limits = limits

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise WrongFormat(f"not an Isso database: looked for SQLite ({exc})") from None
        return conn

    def check(self) -> Checked:
        with self._connect() as conn:
            for table, columns in NEEDED.items():
                have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                if not columns <= have:
                    raise WrongFormat(
                        f"not an Isso database: table {table!r} lacks "
                        f"{', '.join(sorted(columns - have))}"
                    )
        comments = sum(isinstance(r, (SourceComment, Skipped)) for r in self.records())
        return Checked([], comments)

    def records(self) -> Iterator[Record]:
        conn = self._connect()
        try:
            for tid, uri, title in conn.execute("SELECT id, uri, title FROM threads ORDER BY id"):
                yield SourceThread(key=str(tid), url=uri or "", title=title or "")
            rows = conn.execute(
                "SELECT id, tid, parent, created, modified, mode, text, author, email, website, "
                "likes, remote_addr FROM comments ORDER BY id"
            )
            for row in rows:
                try:
                    record = _comment(*row, limits=self.limits)
                except (TypeError, ValueError, OverflowError) as exc:
                    raise SourceError(
                        f"comment {row[0]!r} has a value Isso never writes ({exc})"
                    ) from None
                yield record
        finally:
            conn.close()


def _comment(
    cid: int, tid: int, parent: int | None, created: float, modified: float | None, mode: int,
    text: str | None, author: str | None, email: str | None, website: str | None,
    likes: int | None, remote_addr: str | None, *, limits: Limits,
) -> Record:  # fmt: skip
    status = MODES.get(mode)
    when = _when(created)
    if status is None:
        return Skipped(str(cid), f"with Isso mode {mode}")
    if when is None:
        return Skipped(str(cid), "without a date")
    return SourceComment(
        key=str(cid),
        thread=str(tid),
        parent=None if parent is None else str(parent),
        author=author or "",
        email=email or "",
        website=website,
        body=text or "",
        markup=Markup.MARKDOWN,
        status=status,
        created=when,
        edited=_when(modified),
        likes=fields.likes(likes, limits.likes),
        ip=remote_addr or "",
    )
