"""The rules of the admin side: who is an admin of a site, what each moderation action does,
one-click links, privacy requests and the purge of stale pending comments.

Actions and the statuses they lead to:

- approve: any comment whose words are still there -> approved (publishes; counts move).
- reject: a pending comment only -> deleted. The text is kept, so `restore` can undo it.
- spam: any comment -> spam (hidden, not counted, never told to the sender).
- delete: any comment -> deleted; the text is kept for `restore`, and a comment with replies
  reads as a tombstone so the thread keeps its shape.
- restore: a deleted or spam comment -> approved, unless its author deleted it themselves
  (their words were scrubbed then; restoring would publish an empty comment).

Erasing (a privacy request, or the purge) is different from delete: the data is gone for good.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from backend.domain import errors, outbox
from backend.domain.context import Context
from backend.domain.models import Comment, QueuePage, Status, Thread, counted
from backend.settings import SiteConfig

if TYPE_CHECKING:
    from backend.spam.guard import SpamGuard

log = logging.getLogger("parley")

ACTIONS: Final = ("approve", "reject", "spam", "delete", "restore")
LINK_ACTIONS: Final = ("approve", "spam", "delete")  # what a notification offers
LINK_TTL_S: Final = 7 * 86400
PURGE_BATCH: Final = 100  # comments erased per sweep (bounded work per run)
SCAN_PAGE: Final = 100

_TARGET = {
    "approve": Status.APPROVED,
    "reject": Status.DELETED,
    "spam": Status.SPAM,
    "delete": Status.DELETED,
    "restore": Status.APPROVED,
}


def token_hash(token: str) -> str:
    """The configured form of an admin token: only this is ever stored."""
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LinkTarget:
    site: str
    comment: Comment
    action: str
    state: str


def state_of(comment: Comment) -> str:
    """What a moderation link is bound to: the comment's status and its last edit. Every
    decision and every edit changes it, so a link issued before either acts on nothing.
    A status can come back (delete, then restore), so each decision also retires the state it
    leaves (`ModerationService.act`): the links of a state, once left, never act again. The
    pair (state, retired or not) is the version that only moves forward."""
    edited = 0 if comment.edited is None else int(comment.edited.timestamp() * 1000)
    return f"{comment.status.value}.{edited}"


@dataclass
class ModerationService(Context):
    spam: SpamGuard | None = None  # the comment service's, so lessons reach its cache at once
    # -- who is an admin ---------------------------------------------------------------------

    def authorize(self, site_name: str, token: str) -> SiteConfig:
        """Check an admin bearer token against the site's configured hashes, in constant time
        per hash. Removing a hash from the configuration revokes its token."""
        site = self.site(site_name)
        digest = token_hash(token)
        if _matches(digest, site.admin_token_hashes):
            return site
        if any(_matches(digest, s.admin_token_hashes) for s in self.settings.sites.values()):
            raise errors.TokenForOtherSite()
        raise errors.Unauthorized("The admin token is not valid for this site.")

    # -- the queue and the actions ---------------------------------------------------------------

    def queue(self, site_name: str, status: Status, after: str | None, limit: int) -> QueuePage:
        site = self.site(site_name)
        if status is Status.PENDING:
            self.purge_pending(site_name, site)
        return self.store.queue(site_name, status, after=after, limit=limit)

    def status_counts(self, site_name: str, cap: int = 1000) -> dict[str, int]:
        """How many comments each queue holds, counted up to `cap` (the admin page's tabs).
        Read page by page from the queues: no store change, a few reads per status."""
        self.site(site_name)
        counts: dict[str, int] = {}
        for status in (Status.PENDING, Status.APPROVED, Status.SPAM, Status.DELETED):
            n, after = 0, None
            while n < cap:
                page = self.store.queue(
                    site_name, status, after=after, limit=SCAN_PAGE, private=False
                )
                n += len(page.comments)
                if page.next_after is None:
                    break
                after = page.next_after
            counts[status.value] = min(n, cap)
        return counts

    def act(self, site_name: str, uri: str, comment_id: str, action: str) -> Comment:
        self.site(site_name)
        comment = self.store.get_comment(site_name, uri, comment_id)
        if comment is None:
            raise errors.CommentNotFound()
        _check(comment, action)
        target = _TARGET[action]
        if comment.status is target:
            return comment
        # The state left is retired first: its links (a notification's) never act again, even
        # when a later decision brings the same state back.
        self._spend(site_name, comment)
        events = outbox.for_status(self.settings, comment, target, self.clock())
        moved = self.store.set_status(site_name, uri, comment_id, target, events=events)
        self._teach(site_name, comment, action)
        return moved

    def _teach(self, site_name: str, comment: Comment, action: str) -> None:
        """The owner's decision teaches the site's spam filter: spam as spam, approve and
        restore as legitimate. Reject and delete teach nothing (owners delete for many
        reasons). The decision stands even when the lesson cannot be stored."""
        spam = {"spam": True, "approve": False, "restore": False}.get(action)
        if spam is None:
            return
        if self.spam is None:
            from backend.spam.guard import SpamGuard

            self.spam = SpamGuard(self.settings, self.store, clock=self.clock)
        try:
            self.spam.learn(site_name, comment, spam=spam)
        except errors.StoreUnavailable:
            log.warning("the spam filter of %s missed a lesson (store busy)", site_name)

    def _spend(self, site_name: str, comment: Comment) -> bool:
        """Spend the links of the comment's current state; False when they were spent."""
        state = state_of(comment)
        spent = self.signer.keyed_hash("moderation-link", f"{comment.uri}\0{comment.id}\0{state}")
        return self.store.use_once(site_name, spent, int(self.clock()) + LINK_TTL_S)

    def lock(self, site_name: str, uri: str, locked: bool) -> Thread:
        site = self.site(site_name)
        thread = self.store.set_locked(site_name, uri, locked, _dt(self.clock()))
        return counted(thread, site.count_inbound)

    # -- privacy requests ------------------------------------------------------------------------

    def comments_of(self, site_name: str, email: str) -> list[Comment]:
        """Every comment of one email address on a site, newest first, in every status.

        Walks the site's status queues (a Query per page on DynamoDB): a privacy request is
        rare, and an index by email would cost on every post.
        """
        self.site(site_name)
        wanted = email.strip().lower()
        found: list[Comment] = []
        for status in Status:
            after: str | None = None
            while True:
                page = self.store.queue(site_name, status, after=after, limit=SCAN_PAGE)
                found += [c for c in page.comments if c.email.strip().lower() == wanted]
                if page.next_after is None:
                    break
                after = page.next_after
        return sorted(found, key=lambda c: c.id, reverse=True)

    def erase_email(self, site_name: str, email: str) -> int:
        comments = self.comments_of(site_name, email)
        # Replies first, so a parent erased after its replies is removed rather than kept
        # as a tombstone for replies that are gone.
        self._erase(site_name, sorted(comments, key=lambda c: c.id, reverse=True))
        return len(comments)

    # -- the purge of stale pending comments -------------------------------------------------------

    def purge_pending(self, site_name: str, site: SiteConfig) -> int:
        """Erase pending comments older than the site's `purge_pending_after_s`, oldest
        first, at most PURGE_BATCH of them. 0 disables the purge."""
        if not site.purge_pending_after_s:
            return 0
        cutoff = self.clock() - site.purge_pending_after_s
        stale: list[Comment] = []
        after: str | None = None
        while True:  # newest first: the stale ones are at the end
            page = self.store.queue(
                site_name, Status.PENDING, after=after, limit=SCAN_PAGE, private=False
            )
            stale += [c for c in page.comments if c.created.timestamp() < cutoff]
            if page.next_after is None:
                break
            after = page.next_after
        stale = sorted(stale, key=lambda c: c.id)[:PURGE_BATCH]
        self._erase(site_name, stale)
        return len(stale)

    def _erase(self, site_name: str, comments: list[Comment]) -> None:
        for comment in comments:
            self.store.unsubscribe(site_name, comment.uri, comment.id)  # the address goes too
            with suppress(errors.CommentNotFound):  # erased concurrently
                self.store.erase(site_name, comment.uri, comment.id)

    # -- one-click links ---------------------------------------------------------------------

    def links(self, comment: Comment, now: float | None = None) -> dict[str, str]:
        """Signed `/moderate/...` URLs for a notification, one per action, expiring LINK_TTL_S
        after `now` (default: the clock's now)."""
        expires = int(self.clock() if now is None else now) + LINK_TTL_S
        base = self.settings.public_url
        state = state_of(comment)
        return {
            action: f"{base}/moderate/"
            + self.signer.moderation_link(
                comment.site, comment.uri, comment.id, action, state=state, expires=expires
            )
            for action in LINK_ACTIONS
        }

    def open_link(self, signed: str) -> LinkTarget:
        """The comment a link acts on, refusing links whose comment has changed since."""
        site_name, uri, comment_id, action, state = self.signer.read_moderation_link(
            signed, self.clock()
        )
        if action not in LINK_ACTIONS:
            raise errors.Unauthorized("This moderation link is invalid.")
        self.site(site_name)
        comment = self.store.get_comment(site_name, uri, comment_id)
        if comment is None:
            raise errors.CommentNotFound()
        if not hmac.compare_digest(state.encode(), state_of(comment).encode()):
            raise errors.InvalidAction(
                "This comment was moderated or edited after this link was sent, so the link "
                "no longer applies. Use the moderation page to change it."
            )
        return LinkTarget(site_name, comment, action, state)

    def follow_link(self, signed: str, action: str) -> Comment:
        """Act on a link, once. The action is named twice (signed, and in the form) so a link
        made for one action cannot be replayed as another; the comment's state is checked
        (see `open_link`) and the link is spent in the store before acting, so a second
        submission, a replay or a race of two finds it used."""
        target = self.open_link(signed)
        if not hmac.compare_digest(action.encode(), target.action.encode()):
            raise errors.Forbidden("This link was made for another action.")
        c = target.comment
        # One record per comment state: using any of a notification's links spends them all.
        if not self._spend(target.site, c):
            raise errors.InvalidAction(
                "This link was already used, or the comment was moderated since it was sent."
            )
        return self.act(target.site, c.uri, c.id, target.action)


def _matches(digest: str, hashes: tuple[str, ...]) -> bool:
    found = False
    for candidate in hashes:  # no early exit: every configured hash is compared
        found |= hmac.compare_digest(digest.encode(), candidate.encode())
    return found


def _scrubbed(comment: Comment) -> bool:
    return comment.status is Status.DELETED and not comment.text


def _check(comment: Comment, action: str) -> None:
    if action not in _TARGET:
        raise errors.BadRequest(f"Unknown action {action!r}.", fields={"action": "unknown"})
    if action == "reject" and comment.status is not Status.PENDING:
        raise errors.InvalidAction("Only a pending comment can be rejected.")
    if action == "restore" and comment.status not in (Status.DELETED, Status.SPAM):
        raise errors.InvalidAction("Only a deleted or spam comment can be restored.")
    if action in ("approve", "restore") and _scrubbed(comment):
        raise errors.InvalidAction("Its author deleted this comment; it cannot be published.")


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
