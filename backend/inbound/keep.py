"""Storing what came in from the open web as comments of the thread: created once, updated
when the original changes, removed when it goes. Each is found again by a key derived from
its original's URL (hashed: any length fits DynamoDB's keys), held in the store's
idempotency records for as long as the comment lives.

Moderation applies as to any comment: the site's rule, the link rule, the site's learning
spam filter (backend/spam/); with `first-time` moderation an inbound comment always waits
(there is no email to know its author by).
"""

from __future__ import annotations

import html as html_lib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from backend.domain import errors
from backend.domain.identity import avatar_hash
from backend.domain.ids import new_ulid
from backend.domain.limits import fits
from backend.domain.models import Comment, NewComment, Origin, Status
from backend.domain.render import sanitize
from backend.domain.spam import looks_like_spam
from backend.domain.text import inert
from backend.domain.tokens import Signer
from backend.settings import Moderation, Settings
from backend.store.base import Store

if TYPE_CHECKING:
    from backend.spam.guard import SpamGuard

log = logging.getLogger("parley.inbound")

KEY_LIFE_S = 50 * 365 * 86400  # the key lives as long as the comment may
MAX_HTML = 20_000  # characters of sanitized HTML kept; longer is cut to its text
MAX_TEXT = 2_000
AUTHOR_CHARS = 80
WEBSITE_CHARS = 200


@dataclass(frozen=True, slots=True)
class Incoming:
    """A reply or mention written elsewhere, as the comment it becomes."""

    key: str  # urls.key(...) of its original
    origin: Origin
    author: str
    website: str | None
    html: str  # unsanitized: sanitized here
    text: str
    created: datetime
    parent_key: str | None = None  # the key of the inbound comment it answers, if any


def _body(incoming: Incoming) -> tuple[str, str]:
    text = inert(incoming.text.strip(), multiline=True)[:MAX_TEXT]
    html = sanitize(incoming.html) if incoming.html.strip() else ""
    if not html or len(html) > MAX_HTML:
        cut = text if len(text) < MAX_TEXT else text[: MAX_TEXT - 1] + "…"
        html = f"<p>{html_lib.escape(cut)}</p>" if cut else ""
    if not html:
        html = "<p>mentioned this page</p>"
    return text or "mentioned this page", html


def _website(url: str | None) -> str | None:
    if url and url.startswith(("https://", "http://")) and len(url) <= WEBSITE_CHARS:
        return url
    return None


@dataclass
class Keeper:
    settings: Settings
    store: Store
    signer: Signer
    _spam: SpamGuard | None = field(default=None, init=False, repr=False)

    @property
    def spam(self) -> SpamGuard:
        if self._spam is None:
            from backend.spam.guard import SpamGuard

            self._spam = SpamGuard(self.settings, self.store)
        return self._spam

    def status_for(self, site_name: str, text: str) -> Status:
        """The site's own rules: its moderation mode and the link rule."""
        site = self.settings.sites[site_name]
        if site.moderation is not Moderation.NONE or looks_like_spam(text):
            return Status.PENDING
        return Status.APPROVED

    def judged(self, comment: Comment) -> Comment:
        """The comment with the status its site's rules and spam filter give it, and why."""
        site = self.settings.sites[comment.site]
        status = self.status_for(comment.site, comment.text)
        reason = "too many links" if looks_like_spam(comment.text) else ""
        status, reason = self.spam.judge(comment.site, site, comment, status, reason)
        return comment.evolve(status=status, reason=reason)

    def keep(self, site: str, uri: str, incoming: Incoming, now: float) -> Comment | None:
        """Create the comment, or bring the stored one up to date. None when a moderator
        marked it spam or it was erased: the original changing does not bring it back."""
        text, html = _body(incoming)
        if not fits(text, html):
            text, html = text[:MAX_TEXT], "<p>mentioned this page</p>"
        first = self.store.find_key(site, incoming.key, int(now))
        if first is not None:
            return self._update(site, uri, first, incoming, text, html, now)
        author = inert(incoming.author.strip())[:AUTHOR_CHARS] or incoming.origin.kind.value
        created = min(incoming.created, datetime.fromtimestamp(now, UTC))
        comment = Comment(
            site=site, uri=uri, id=new_ulid(created.timestamp()),
            parent=self._parent(site, incoming.parent_key, now), author=author, email="",
            website=_website(incoming.website), text=text, html=html,
            status=Status.PENDING, created=created,
            avatar=avatar_hash(self.signer, "", incoming.origin.url), origin=incoming.origin,
        )  # fmt: skip
        comment = self.judged(comment)
        from backend.domain import outbox

        events = outbox.for_post(self.settings, self.settings.sites[site], comment, now,
                                 notify=False)  # fmt: skip
        new = NewComment(comment, "", incoming.key, int(now) + KEY_LIFE_S, events)
        try:
            return self.store.create_comment(new)
        except errors.ParentNotFound:  # the reply it answers is held or gone: a top-level one
            return self.store.create_comment(
                NewComment(comment.evolve(parent=None), "", incoming.key, new.key_expires, events)
            )
        except errors.DuplicateKey as dup:  # another worker kept it first
            return self.store.get_comment(site, uri, dup.comment_id)

    def _parent(self, site: str, parent_key: str | None, now: float) -> str | None:
        return None if parent_key is None else self.store.find_key(site, parent_key, int(now))

    def _update(
        self, site: str, uri: str, comment_id: str, incoming: Incoming, text: str, html: str,
        now: float,
    ) -> Comment | None:  # fmt: skip
        stored = self.store.get_comment(site, uri, comment_id)
        if stored is None or stored.origin is None or stored.origin.url != incoming.origin.url:
            return None  # erased (or, never, another's key)
        if stored.status is Status.SPAM:
            return None
        if stored.status is Status.DELETED:  # removed when its source went; back now
            stored = self.store.set_status(site, uri, comment_id, self.status_for(site, text))
        if stored.html == html:
            return stored
        return self.store.edit_comment(
            site, uri, comment_id, text=text, html=html, edited=datetime.fromtimestamp(now, UTC)
        )

    def remove(self, site: str, uri: str, key: str, now: float) -> bool:
        """Take the comment kept under `key` off the thread (its original is gone or no longer
        links here); a tombstone stays if it has replies. True when one was removed."""
        first = self.store.find_key(site, key, int(now))
        if first is None:
            return False
        stored = self.store.get_comment(site, uri, first)
        if stored is None or stored.status in (Status.DELETED, Status.SPAM):
            return False
        self.store.set_status(site, uri, first, Status.DELETED, scrub=True)
        return True
