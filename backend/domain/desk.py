"""The owner's desk: what a site's owner does besides moderating, through the admin token.

- **Reply as the author**: a comment posted by the owner is published at once (never held, no
  proof of work, no rate limit: the admin token is the proof) and carries `role = OWNER`, which
  the widget shows as a badge. The badge comes from the role alone, never from a name: a reader
  who posts as the owner's name gets no badge.
- **Pin** one approved comment per thread: the first page of the thread shows it first. Its
  number is taken when it is pinned (the whole thread is read once, an admin action).
- **Block** a network or an email address, from one of its comments: its later posts are
  stored as spam and answered as held (a shadow block: the sender learns nothing), and a
  network block also stops its likes (likes are keyed by network only). Blocks are keyed
  hashes, as the comment's own `ip_hash`: no raw address is kept. The hashes are keyed by the
  current secret, so rotating PARLEY_SECRET_KEYS lets every block lapse (SECURITY.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from backend.domain import errors, outbox
from backend.domain.blocks import email_key, network_key
from backend.domain.identity import avatar_hash
from backend.domain.ids import new_ulid
from backend.domain.limits import check_comment_size
from backend.domain.models import OWNER, Block, Comment, NewComment, Status, Thread, counted
from backend.domain.render import render_visible
from backend.domain.tokens import Signer
from backend.settings import Settings, SiteConfig
from backend.store.base import Store

BLOCK_KINDS: Final = ("network", "email")
LABEL_CHARS: Final = 80
OWNER_NAME: Final = "Author"  # the owner's name when the reply names none
KEY_TTL_S: Final = 86400


class OwnerDesk:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        signer: Signer,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.signer = signer
        self.clock = clock

    def site(self, name: str) -> SiteConfig:
        try:
            return self.settings.sites[name]
        except KeyError:
            raise errors.UnknownSite(f"No site named {name!r} is configured.") from None

    def _approved(self, site: str, uri: str, comment_id: str) -> Comment:
        comment = self.store.get_comment(site, uri, comment_id)
        if comment is None or comment.status is not Status.APPROVED:
            raise errors.CommentNotFound()
        return comment

    # -- reply as the author -----------------------------------------------------------------

    def reply(
        self, site_name: str, uri: str, parent: str | None, text: str, author: str, key: str
    ) -> Comment:
        """The owner's comment (a reply when `parent` is set), published at once. `key` makes
        a retried submission the same comment."""
        site = self.site(site_name)
        now = int(self.clock() * 1000) / 1000
        html = render_visible(text)
        check_comment_size(text, html)
        first = self.store.find_key(site_name, key, int(now))
        if first is not None:
            done = self.store.get_comment(site_name, uri, first)
            if done is None or done.role != OWNER:
                raise errors.ValidationFailed(
                    "This reply was already posted.", fields={"key": "already used"}
                )
            return done
        email = site.notify_emails[0] if site.notify_emails else ""
        name = author.strip() or OWNER_NAME
        comment = Comment(
            site=site_name, uri=uri, id=new_ulid(now), parent=parent, author=name, email=email,
            website=site.page_origin, text=text, html=html, status=Status.APPROVED,
            created=datetime.fromtimestamp(now, UTC), avatar=avatar_hash(self.signer, email, name),
            role=OWNER,
        )  # fmt: skip
        events = outbox.for_post(self.settings, site, comment, now, notify=False)
        title = ""
        stored = self.store.create_comment(
            NewComment(comment, title, key, int(now) + KEY_TTL_S, events)
        )
        return stored

    # -- pin ---------------------------------------------------------------------------------

    def pin(self, site_name: str, uri: str, comment_id: str | None) -> Thread:
        """Pin an approved comment of the thread (None unpins); one per thread."""
        site = self.site(site_name)
        now = datetime.fromtimestamp(self.clock(), UTC)
        if comment_id is None:
            thread = self.store.set_pinned(site_name, uri, "", 0, now)
            return counted(thread, site.count_inbound)
        self._approved(site_name, uri, comment_id)
        number, after = 0, None  # its number on the page: the approved comments up to it
        while True:
            page = self.store.read_page(site_name, uri, after=after, limit=100)
            number += sum(c.status is Status.APPROVED and c.id <= comment_id for c in page.comments)
            if page.next_after is None or not page.comments or page.comments[-1].id >= comment_id:
                break
            after = page.next_after
        thread = self.store.set_pinned(site_name, uri, comment_id, number, now)
        return counted(thread, site.count_inbound)

    # -- block -------------------------------------------------------------------------------

    def block(self, site_name: str, uri: str, comment_id: str, by: str) -> Block:
        """Block the network or the email address a comment came from."""
        self.site(site_name)
        if by not in BLOCK_KINDS:
            raise errors.ValidationFailed(fields={"by": "must be network or email"})
        comment = self.store.get_comment(site_name, uri, comment_id)
        if comment is None:
            raise errors.CommentNotFound()
        if by == "network" and not comment.ip_hash:
            raise errors.ValidationFailed(
                "This comment has no network to block (it was imported or written by the owner).",
                fields={"by": "no network known"},
            )
        if by == "email" and not comment.email.strip():
            raise errors.ValidationFailed(
                "This comment has no email address to block.", fields={"by": "no email known"}
            )
        key = (
            network_key(comment.ip_hash)
            if by == "network"
            else email_key(self.signer, site_name, comment.email)
        )
        words = " ".join(comment.text.split())
        label = f"{comment.author}: {words}"
        if len(label) > LABEL_CHARS:
            label = label[: LABEL_CHARS - 1] + "…"
        block = Block(site_name, key, label, datetime.fromtimestamp(self.clock(), UTC))
        self.store.add_block(block)
        return block

    def unblock(self, site_name: str, key: str) -> None:
        self.site(site_name)
        if not self.store.remove_block(site_name, key):
            raise errors.CommentNotFound("No such block.")

    def blocks(self, site_name: str) -> list[Block]:
        self.site(site_name)
        return self.store.blocks(site_name)
