"""Rows <-> records: the columns a comment is stored in and how a row becomes a domain record.
Private to the SQLite store (storage returns domain models, not rows)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

from backend.domain.models import Comment, Origin, OriginKind, Status, Thread

COLUMNS = (
    "site, uri, id, parent, author, email, website, text, html, status, created, edited, "
    "likes, replies, ip_hash, avatar, origin, role, reason"
)
PLACES = ",".join("?" * len(COLUMNS.split(",")))
VISIBLE = "(status = 'approved' OR (status = 'deleted' AND replies > 0))"


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def to_comment(row: sqlite3.Row) -> Comment:
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
        created=dt(row["created"]),
        edited=None if row["edited"] is None else dt(row["edited"]),
        likes=row["likes"],
        replies=row["replies"],
        ip_hash=row["ip_hash"],
        avatar=row["avatar"],
        origin=origin_of(row["origin"]),
        role=row["role"],
        reason=row["reason"],
    )


def origin_column(origin: Origin | None) -> str:
    """An origin as its column holds it: JSON, or '' for a form comment."""
    if origin is None:
        return ""
    return json.dumps({"kind": origin.kind.value, "url": origin.url, "handle": origin.handle})


def origin_of(column: str) -> Origin | None:
    if not column:
        return None
    data = json.loads(column)
    return Origin(OriginKind(data["kind"]), data["url"], data.get("handle", ""))


def stamp_of(created: int, stamp: int) -> str:
    """The thread's stamp: its creation (ms) and its counter, moved by every write a page view
    shows. The creation tells a thread deleted and begun again from the one before it, whose
    counter it may reach again."""
    return f"{created}.{stamp}"


def to_thread(row: sqlite3.Row) -> Thread:
    return Thread(
        site=row["site"],
        uri=row["uri"],
        title=row["title"],
        count=row["count"],
        locked=bool(row["locked"]),
        created=dt(row["created"]),
        stamp=stamp_of(row["created"], row["stamp"]),
        reactions=reactions_of(row["reactions"]),
        pinned=row["pinned"],
        pinned_number=row["pinned_number"],
        inbound=row["inbound"],
        suggest_after=row["suggest_after"],
    )


def reactions_of(column: str) -> tuple[int, int]:
    if not column:
        return (0, 0)
    counts = json.loads(column).values()
    return (sum(c[0] for c in counts), sum(c[1] for c in counts))
