"""What readers are shown of a comment and a thread, as JSON, built without pydantic.

The shapes are the ones `backend.api.schemas` documents (`CommentOut`, `ThreadOut`,
`ThreadPageOut`); those models describe them in OpenAPI, and tests/test_api_views.py checks
that every view here validates against its model and serializes to the same JSON. A thread read
is the request a Lambda sandbox most often starts on, so building it stays off pydantic
(bench/RESULTS.md, "Cold start").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.domain.models import OWNER, Comment, Status, Thread

View = dict[str, Any]


def instant(value: datetime) -> str:
    """ISO 8601 as the API writes it: UTC as `Z`, microseconds only when there are any."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def comment_view(
    comment: Comment, number: int | None = None, parent: tuple[str, int | None] | None = None
) -> View:
    """The public comment: never the email, the IP hash or the Markdown source. `parent` is
    the author and number of the comment it answers, where the read knows them."""
    by, at = parent or (None, None)
    if comment.status is Status.DELETED:  # a tombstone keeps the thread's shape, nothing else
        return {
            "id": comment.id, "parent": comment.parent, "parent_author": by, "parent_number": at,
            "number": number, "author": "", "website": None, "avatar": "", "html": "",
            "created": instant(comment.created), "edited": None, "likes": comment.likes,
            "replies": comment.replies, "status": "approved", "deleted": True, "origin": None,
            "author_role": None,
        }  # fmt: skip
    origin = comment.origin
    return {
        "id": comment.id,
        "parent": comment.parent,
        "parent_author": by,
        "parent_number": at,
        "number": number,
        "author": comment.author,
        "website": comment.website,
        "avatar": comment.avatar,
        "html": comment.html,
        "created": instant(comment.created),
        "edited": None if comment.edited is None else instant(comment.edited),
        "likes": comment.likes,
        "replies": comment.replies,
        # Readers only ever learn "held"; a spam verdict is not shared with the sender.
        "status": "approved" if comment.status is Status.APPROVED else "pending",
        "deleted": False,
        "origin": None
        if origin is None
        else {"kind": origin.kind.value, "url": origin.url, "handle": origin.handle},
        # The badge comes from the role the admin token gave, never from a name.
        "author_role": "owner" if comment.role == OWNER else None,
    }


def thread_view(uri: str, thread: Thread | None) -> View:
    if thread is None:
        return {
            "uri": uri, "title": "", "count": 0, "locked": False, "reactions": None,
            "pinned": None, "suggest_after": None,
        }  # fmt: skip
    likes, reposts = thread.reactions
    return {
        "uri": uri, "title": thread.title, "count": thread.count, "locked": thread.locked,
        "reactions": {"likes": likes, "reposts": reposts} if likes or reposts else None,
        "pinned": thread.pinned or None,
        "suggest_after": thread.suggest_after or None,
    }  # fmt: skip


def page_view(
    uri: str,
    thread: Thread | None,
    comments: list[tuple[int | None, Comment]],
    next_cursor: str | None,
    pinned: tuple[int | None, Comment] | None = None,
    parents: dict[str, tuple[str, int | None]] | None = None,
) -> View:
    parents = parents or {}
    return {
        "thread": thread_view(uri, thread),
        "comments": [
            comment_view(c, number, parents.get(c.parent) if c.parent else None)
            for number, c in comments
        ],
        "next": next_cursor,
        "pinned": None if pinned is None else comment_view(pinned[1], pinned[0]),
    }
