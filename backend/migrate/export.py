"""`parley export`: a site's threads and comments as JSON Lines (see docs/migrate.md).

The first line names the format and the site; then each thread is followed by its comments,
oldest first, every field included (emails too: this is the owner's backup). Counts and reply
counts are left out: `parley import parley` recomputes them from the comments.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from backend.domain.models import Comment, Thread
from backend.store.base import Store

FORMAT = "parley-export"
VERSION = 1


def stamp(value: datetime) -> str:
    """UTC, to the millisecond Parley keeps: 2024-12-08T09:30:00.000Z."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def thread_line(thread: Thread) -> dict[str, Any]:
    return {
        "type": "thread",
        "uri": thread.uri,
        "title": thread.title,
        "locked": thread.locked,
        "created": stamp(thread.created),
    }


def comment_line(c: Comment) -> dict[str, Any]:
    return {
        "type": "comment",
        "id": c.id,
        "uri": c.uri,
        "parent": c.parent,
        "author": c.author,
        "email": c.email,
        "website": c.website,
        "text": c.text,
        "html": c.html,
        "status": c.status.value,
        "created": stamp(c.created),
        "edited": None if c.edited is None else stamp(c.edited),
        "likes": c.likes,
        "ip_hash": c.ip_hash,
        "avatar": c.avatar,
        "role": c.role,  # "owner": the site owner's own comment (the "Author" badge)
    }


def lines(store: Store, site: str, now: datetime) -> Iterator[dict[str, Any]]:
    yield {"format": FORMAT, "version": VERSION, "site": site, "exported": stamp(now)}
    for thread in store.threads(site):
        yield thread_line(thread)
        for comment in store.thread_comments(site, thread.uri):
            yield comment_line(comment)


def export(store: Store, site: str, out: TextIO, now: datetime) -> tuple[int, int]:
    """Write the site to `out`; returns (threads, comments) written."""
    threads = comments = 0
    for line in lines(store, site, now):
        out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        threads += line.get("type") == "thread"
        comments += line.get("type") == "comment"
    return threads, comments
