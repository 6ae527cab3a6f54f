"""Domain records: what the service layer and the stores exchange.

These are the stored shapes, not the API's: the public comment shape lives in
`backend.api.schemas` and never carries an email or an IP hash.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import overload

#: The most HTML (in characters) one page of a thread carries: 100 comments of 10,000
#: characters would otherwise make one page view megabytes to read and send, an abuse lever on
#: the bill. A page holds at least one comment, then stops before passing it. HTML alone, since
#: a page reads and sends no Markdown source (DynamoDB keeps it apart: docs/dynamodb.md); it
#: was 256 Ki of source plus HTML, about the same page.
PAGE_CHARS = 128 * 1024


OWNER = "owner"  # Comment.role of the site owner's own comments


class Status(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Thread:
    """A page that has comments: its site and uri, its count, lock and pin."""

    site: str
    uri: str
    title: str
    count: int  # approved comments
    locked: bool
    created: datetime
    stamp: str = ""  # changes on every write that touches the thread (cache key)
    # Likes and reposts of the thread's announcement posts (Mastodon, Bluesky): sums over them.
    reactions: tuple[int, int] = (0, 0)
    pinned: str = ""  # the id of the comment shown first, or ""
    pinned_number: int = 0  # its number when it was pinned (shown when it is on a later page)
    # Of `count`, the comments brought in from the open web (an `origin`): a site whose
    # `count_inbound` is off shows `count - inbound` (backend/domain/service.py, `counted`).
    inbound: int = 0
    # Until when (epoch seconds) the thread takes no suggested announcement post from its
    # page's widget (backend/inbound/suggest.py): one was checked lately, or one is bound.
    suggest_after: int = 0


@overload
def counted(thread: Thread, count_inbound: bool) -> Thread: ...
@overload
def counted(thread: Thread | None, count_inbound: bool) -> Thread | None: ...
def counted(thread: Thread | None, count_inbound: bool) -> Thread | None:
    """The thread as readers see it: without the open web's comments in its count when the
    site's `count_inbound` is off. Every count served goes through here or through
    `Store.counts(inbound=...)`."""
    if thread is None or count_inbound or not thread.inbound:
        return thread
    return replace(thread, count=thread.count - thread.inbound)


class OriginKind(enum.StrEnum):
    """Where a comment came from besides the form (a form comment has no origin)."""

    WEBMENTION = "webmention"
    MASTODON = "mastodon"
    BLUESKY = "bluesky"


@dataclass(frozen=True, slots=True)
class Origin:
    """A comment written elsewhere and brought in (backend/inbound/): by whom and where."""

    kind: OriginKind
    url: str  # the original: the mentioning page, the status, the post
    handle: str = ""  # @user@instance, @name.bsky.social; "" for a web page


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment as stored, whatever its status."""

    site: str
    uri: str
    id: str
    parent: str | None
    author: str
    email: str
    website: str | None
    text: str  # the Markdown source, kept for edits and exports
    html: str  # rendered and sanitized once, at write time
    status: Status
    created: datetime
    edited: datetime | None = None
    likes: int = 0
    replies: int = 0  # direct approved replies
    ip_hash: str = ""
    avatar: str = ""
    origin: Origin | None = None  # None: posted through the form (or imported)
    role: str = ""  # OWNER when the site's owner wrote it (through the admin token); else ""
    reason: str = ""  # why it was held or put in spam (backend/spam/); never public

    @property
    def visible(self) -> bool:
        """Shown to readers: approved, or a deleted comment kept as a tombstone for its replies."""
        return self.status is Status.APPROVED or (
            self.status is Status.DELETED and self.replies > 0
        )

    def evolve(self, **changes: object) -> Comment:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a thread, oldest first. `next_after` is the last id when more may follow."""

    thread: Thread | None
    comments: list[Comment] = field(default_factory=list)
    next_after: str | None = None


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page of a site's comments in one status, newest first."""

    comments: list[Comment]
    next_after: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """Something that happened which someone may have to be told about (a mail, a webhook).

    Written in the same atomic write as the change that causes it, then delivered by the
    worker (backend/notify/worker.py). It names the comment rather than copying it: the worker
    reads the comment when it delivers, so a reply marked as spam in between mails nobody.
    """

    id: str  # a ULID: unique, and sorts by creation
    kind: str  # an EventKind value (backend/domain/outbox.py)
    site: str
    uri: str
    comment_id: str
    due: float  # epoch seconds: not delivered before
    attempts: int = 0
    data: dict[str, str] = field(default_factory=dict)
    error: str = ""  # why the last attempt failed


@dataclass(frozen=True, slots=True)
class Block:
    """Posts (and, for a network, likes) that the owner stopped: keyed hashes, never raw."""

    site: str
    key: str  # "network:<keyed hash>" or "email:<keyed hash>"
    label: str  # what the owner blocked it from: an author's name and an excerpt
    created: datetime

    @property
    def kind(self) -> str:
        return self.key.partition(":")[0]


@dataclass(frozen=True, slots=True)
class NewComment:
    """Everything the store needs to write a post atomically."""

    comment: Comment
    title: str
    idempotency_key: str
    key_expires: int  # epoch seconds
    events: tuple[OutboxEvent, ...] = ()  # written in the same transaction
