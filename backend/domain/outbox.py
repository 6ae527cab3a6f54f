"""The outbox's events: what happened, named by kind, and which writes produce which events.

This is the interface the rest of Parley uses to notify anyone: build events here and hand
them to the store in the write that causes them (`NewComment.events`, `set_status(events=)`),
or to `store.enqueue` when there is no such write. The worker (backend/notify/worker.py) turns
each event into deliveries. Nothing here sends anything: the rules never import the notifier.
"""

from __future__ import annotations

from enum import StrEnum

from backend.domain.ids import new_ulid
from backend.domain.models import Comment, OutboxEvent, Status
from backend.settings import Settings, SiteConfig


class EventKind(StrEnum):
    POSTED = "comment.posted"  # a new comment, approved or held (data: status)
    APPROVED = "comment.approved"  # a held (or removed) comment was published later
    EDITED = "comment.edited"  # an edit sent a comment back to moderation
    SUBSCRIBE = "subscription.requested"  # the author ticked "notify me": confirm by mail
    DIGEST = "digest.item"  # a reply mail over the hourly cap, kept for the next digest
    OWNER_DIGEST = "digest.owner"  # an owner mail over the site's notify_digest, kept likewise
    CHAT_DIGEST = "digest.chat"  # a chat preset's message over the site's notify_digest
    # Replies from the open web, handled by backend/inbound/ (no comment yet: comment_id "").
    WEBMENTION = "webmention.received"  # data: source, target; verified by the worker
    FEDIVERSE_PULL = "fediverse.pull"  # data: the thread's binding; pulls its replies
    FEDIVERSE_SUGGEST = "fediverse.suggested"  # data: a post a page names; bound if it links


def event(kind: EventKind, comment: Comment, now: float, **data: str) -> OutboxEvent:
    return OutboxEvent(
        id=new_ulid(now),
        kind=kind.value,
        site=comment.site,
        uri=comment.uri,
        comment_id=comment.id,
        due=now,
        data=dict(data),
    )


def _owner_told(settings: Settings, site: SiteConfig) -> bool:
    return bool(site.webhook) or (settings.mail is not None and bool(site.notify_emails))


def for_post(
    settings: Settings, site: SiteConfig, comment: Comment, now: float, *, notify: bool
) -> tuple[OutboxEvent, ...]:
    """The events of a new comment. Only what someone could be told about is written: each
    event is one more item in the post's transaction."""
    if comment.status is Status.SPAM:
        return ()  # the honeypot: answered as if held, and nobody hears of it
    events = []
    replies_mailed = settings.mail is not None and comment.parent is not None
    if _owner_told(settings, site) or replies_mailed:
        events.append(event(EventKind.POSTED, comment, now, status=comment.status.value))
    if notify and settings.mail is not None and comment.email:
        events.append(event(EventKind.SUBSCRIBE, comment, now))
    return tuple(events)


def for_status(
    settings: Settings, before: Comment, after: Status, now: float
) -> tuple[OutboxEvent, ...]:
    """The events of a moderation action: a reply published later mails its parent's
    subscriber then (and only then: held and spam replies mail nobody)."""
    published = after is Status.APPROVED and before.status is not Status.APPROVED
    if published and before.parent is not None and settings.mail is not None:
        return (event(EventKind.APPROVED, before, now),)
    return ()


def for_edit(
    settings: Settings, site: SiteConfig, comment: Comment, now: float
) -> tuple[OutboxEvent, ...]:
    """For re-moderated edits: tell the owner (mail, webhook) that an edited comment waits for
    review. Pass the result to the write that holds the comment again
    (`store.set_status(..., events=...)`)."""
    return (event(EventKind.EDITED, comment, now),) if _owner_told(settings, site) else ()
