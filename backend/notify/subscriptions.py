"""Readers' subscriptions to replies: signed links to confirm (double opt-in), to unsubscribe
from one comment's replies, and to stop all of a site's mail.

A link is only ever followed by a POST (a button on the page that GET shows, or a mail
client's RFC 8058 one-click POST): link scanners GET every link in a mail and must change
nothing. Links are signed and expire; a link used twice says so plainly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from backend.domain import errors
from backend.domain.context import Context
from backend.domain.models import Comment, Status

CONFIRM: Final = "confirm"
UNSUBSCRIBE: Final = "unsubscribe"
UNSUBSCRIBE_ALL: Final = "unsubscribe-all"
ACTIONS: Final = (CONFIRM, UNSUBSCRIBE, UNSUBSCRIBE_ALL)
CONFIRM_TTL_S: Final = 7 * 86400
UNSUBSCRIBE_TTL_S: Final = 2 * 365 * 86400  # mail is read late; an unsubscribe must still work


@dataclass(frozen=True)
class LinkTarget:
    action: str
    site: str
    comment: Comment | None  # None for unsubscribe-all
    email_hash: str
    done: bool  # already in the state the link asks for (a reused link)


@dataclass
class SubscriptionService(Context):
    def email_hash(self, site: str, email: str) -> str:
        return self.signer.keyed_hash("mail", f"{site}\0{email.strip().lower()}")

    def pending_key(self, site: str, email: str) -> str:
        """The key of the address's one pending confirmation (a `claim` in the store)."""
        return "confirm-pending:" + self.email_hash(site, email)

    def opted_out(self, site: str, email: str) -> bool:
        """Whether the address asked for no mail from the site: its hash under any of the
        secret keys, so an opt-out outlives a key rotation."""
        hashes = self.signer.keyed_hashes("mail", f"{site}\0{email.strip().lower()}")
        return any(self.store.opted_out(site, h) for h in hashes)

    # -- links -------------------------------------------------------------------------------

    def _url(self, action: str, site: str, ref: list[str], ttl: int) -> str:
        expires = int(self.clock()) + ttl
        signed = self.signer.subscription_link(action, site, ref, expires=expires)
        return f"{self.settings.public_url}/subscriptions/{signed}"

    def confirm_url(self, comment: Comment) -> str:
        return self._url(CONFIRM, comment.site, [comment.uri, comment.id], CONFIRM_TTL_S)

    def unsubscribe_url(self, comment: Comment) -> str:
        return self._url(UNSUBSCRIBE, comment.site, [comment.uri, comment.id], UNSUBSCRIBE_TTL_S)

    def unsubscribe_all_url(self, site: str, email: str) -> str:
        return self._url(UNSUBSCRIBE_ALL, site, [self.email_hash(site, email)], UNSUBSCRIBE_TTL_S)

    # -- following a link --------------------------------------------------------------------

    def open_link(self, signed: str) -> LinkTarget:
        action, site, ref = self.signer.read_subscription_link(signed, self.clock())
        self.site(site)
        if action == UNSUBSCRIBE_ALL and len(ref) == 1:
            return LinkTarget(action, site, None, ref[0], self.store.opted_out(site, ref[0]))
        if action not in (CONFIRM, UNSUBSCRIBE) or len(ref) != 2:
            raise errors.Unauthorized("This link is invalid.")
        comment = self.store.get_comment(site, ref[0], ref[1])
        if comment is None or not comment.email or comment.status is Status.SPAM:
            raise errors.CommentNotFound("The comment this link was for is gone.")
        subscribed = self.store.subscriber(site, comment.uri, comment.id) is not None
        done = subscribed if action == CONFIRM else not subscribed
        return LinkTarget(action, site, comment, self.email_hash(site, comment.email), done)

    def follow_link(self, signed: str) -> LinkTarget:
        """Do what the link says. Doing it again changes nothing and reports `done`."""
        target = self.open_link(signed)
        if target.action == UNSUBSCRIBE_ALL:
            fresh = self.store.opt_out(target.site, target.email_hash)
        elif target.comment is None:  # pragma: no cover (open_link never returns this)
            raise errors.Unauthorized("This link is invalid.")
        elif target.action == CONFIRM:
            c = target.comment
            if self.opted_out(target.site, c.email):
                raise errors.Forbidden("This address asked for no mail from this site.")
            if target.done:  # subscribed: the same link again changes nothing
                return target
            # A confirmation link works once: after an unsubscribe it must not subscribe the
            # address again (only a new request, and its own confirmation, can).
            spent = self.signer.keyed_hash("confirm-link", f"{c.uri}\0{c.id}")
            expires = int(self.clock()) + CONFIRM_TTL_S
            if not self.store.use_once(target.site, spent, expires):
                raise errors.InvalidAction(
                    "This confirmation link was already used. To get replies again, ask for "
                    "them with a new comment."
                )
            fresh = self.store.subscribe(target.site, c.uri, c.id, c.email)
            # Answered: the address's next request (waiting in the outbox) may now be mailed.
            self.store.release(target.site, self.pending_key(target.site, c.email))
        else:
            c = target.comment
            fresh = self.store.unsubscribe(target.site, c.uri, c.id)
        return LinkTarget(target.action, target.site, target.comment, target.email_hash, not fresh)
