"""The rules of Parley's reader side, in one place.

Handlers parse and serialize; stores persist; everything in between (moderation decisions,
rate limits, idempotency, edit windows, rendering) happens here. Methods are synchronous: the
API runs them in a worker thread, since both stores block on I/O.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from backend.domain import errors
from backend.domain.blocks import keys_of, network_key
from backend.domain.identity import avatar_hash, client_hash, shown_avatar
from backend.domain.ids import new_ulid
from backend.domain.limits import check_comment_size
from backend.domain.models import PAGE_CHARS, Comment, NewComment, Status, Thread, counted
from backend.domain.render import render_visible
from backend.domain.spam import looks_like_spam
from backend.domain.tokens import Signer
from backend.settings import Moderation, Settings, SiteConfig
from backend.store.base import Store

if TYPE_CHECKING:
    from backend.domain.drafts import Draft, Posted
    from backend.spam.guard import SpamGuard

IDEMPOTENCY_TTL_S = 86400
RATE_WINDOW_S = 60
LIKES_PER_WRITE = 6  # a reader may like six times as often as they may write


@dataclass(frozen=True)
class NumberedPage:
    """A page of a thread: each comment with its number, and what replies show of parents."""

    thread: Thread | None
    comments: list[tuple[int | None, Comment]]
    next_cursor: str | None
    pinned: tuple[int | None, Comment] | None = None  # first pages only
    # For each reply's parent: its author ("" for a tombstone) and number, so a reader sees
    # "@Ann:" and can find #1 before the page holding Ann's comment is loaded.
    parents: dict[str, tuple[str, int | None]] = field(default_factory=dict)


def _parents(
    page: Sequence[tuple[int | None, Comment]], known: Sequence[tuple[int | None, Comment]]
) -> dict[str, tuple[str, int | None]]:
    wanted = {c.parent for _, c in page if c.parent}
    return {
        c.id: ("" if c.status is Status.DELETED else c.author, n)
        for n, c in known
        if c.id in wanted
    }


def _within_page_chars(
    comments: list[Comment], next_after: str | None
) -> tuple[list[Comment], str | None]:
    """Cut a page at PAGE_CHARS of HTML (at least one comment): the rest follows the cursor.
    HTML alone: a page's comments carry no source text (the store may leave it empty)."""
    total = 0
    for index, comment in enumerate(comments):
        total += len(comment.html)
        if total > PAGE_CHARS and index > 0:
            return comments[:index], comments[index - 1].id
    return comments, next_after


def _numbered(comments: Sequence[Comment], offset: int) -> list[tuple[int | None, Comment]]:
    out: list[tuple[int | None, Comment]] = []
    for comment in comments:
        if comment.status is Status.DELETED:
            out.append((None, comment))
        else:
            offset += 1
            out.append((offset, comment))
    return out


class CommentService:
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
        self._spam: SpamGuard | None = None

    @property
    def spam(self) -> SpamGuard:
        """Proof of work and the filter, built on the first write (a page view needs none)."""
        if self._spam is None:
            from backend.spam.guard import SpamGuard

            self._spam = SpamGuard(self.settings, self.store, clock=self.clock)
        return self._spam

    def site(self, name: str) -> SiteConfig:
        try:
            return self.settings.sites[name]
        except KeyError:
            raise errors.UnknownSite(f"No site named {name!r} is configured.") from None

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def shown(self, comment: Comment) -> Comment:
        """The comment as readers get it: its avatar keyed per site, and none at all for a
        comment that is not published (a held or honeypot post's answer must not tell whether
        its address ever commented here)."""
        published = comment.status is Status.APPROVED
        avatar = shown_avatar(self.signer, comment.site, comment.avatar) if published else ""
        return replace(comment, avatar=avatar)

    def _shown_numbered(
        self, comments: list[tuple[int | None, Comment]]
    ) -> list[tuple[int | None, Comment]]:
        return [(n, self.shown(c)) for n, c in comments]

    # -- reads -------------------------------------------------------------------------------

    def read(
        self, site: str, uri: str, cursor: str | None, limit: int, sort: str = "oldest"
    ) -> NumberedPage:
        """One page of the thread. `number` counts approved comments oldest first, so the last
        number equals the thread's count; a tombstone keeps its place but has no number.

        `newest` and `top` are sorted here, above the store: the whole thread is read (one
        request per 100 comments) and the cursor carries the offset into the sorted list."""
        config = self.site(site)
        after, offset = (None, 0) if cursor is None else self.signer.read_cursor(cursor, site, uri)
        if sort != "oldest":
            if after is not None and after != "~" + sort:
                raise errors.InvalidCursor()
            thread, everything = self.read_all(site, uri)
            if sort == "newest":
                everything.reverse()
            else:  # top: most liked first, then oldest first
                everything.sort(key=lambda nc: (-nc[1].likes, nc[1].id))
            chunk = everything[offset : offset + limit]
            kept, _ = _within_page_chars([c for _, c in chunk], None)
            chunk = chunk[: len(kept)]
            end = offset + len(chunk)
            more = end < len(everything)
            cursor = self.signer.cursor(site, uri, "~" + sort, end) if more else None
            pin = self._pinned(thread, everything) if offset == 0 else None
            return NumberedPage(thread, chunk, cursor, pin, _parents(chunk, everything))
        if after is not None and after.startswith("~"):
            raise errors.InvalidCursor()
        page = self.store.read_page(site, uri, after=after, limit=limit)
        comments, next_after = _within_page_chars(page.comments, page.next_after)
        numbered = _numbered(comments, offset)
        next_cursor: str | None = None
        if next_after is not None:
            seen = max([offset, *(n for n, _ in numbered if n is not None)])
            next_cursor = self.signer.cursor(site, uri, next_after, seen)
        shown = self._shown_numbered(numbered)
        parents = _parents(shown, shown)
        if after is not None and any(c.parent and c.parent not in parents for _, c in shown):
            # Oldest first, a parent precedes its reply: only a later page ("Load more") can
            # answer one whose parent it does not hold; the whole thread names it. (On the
            # first page a parent not there is not shown at all: spam, or erased.)
            parents = _parents(shown, self.read_all(site, uri)[1])
        pinned = self._pinned(page.thread, shown) if after is None else None
        thread = counted(page.thread, config.count_inbound)
        return NumberedPage(thread, shown, next_cursor, pinned, parents)

    def _pinned(
        self, thread: Thread | None, page: list[tuple[int | None, Comment]]
    ) -> tuple[int | None, Comment] | None:
        """The thread's pinned comment for its first page: from the page when it is there (no
        read), else one read of its public part (a GetItem on DynamoDB: 0.5 read unit a 4 KB),
        numbered as when it was pinned. None when it is no longer approved."""
        if thread is None or not thread.pinned:
            return None
        found = next((nc for nc in page if nc[1].id == thread.pinned), None)
        if found is not None:
            return found
        comment = self.store.public_comment(thread.site, thread.uri, thread.pinned)
        if comment is None or comment.status is not Status.APPROVED:
            return None
        return thread.pinned_number or None, self.shown(comment)

    def read_all(
        self, site: str, uri: str
    ) -> tuple[Thread | None, list[tuple[int | None, Comment]]]:
        """The whole visible thread, oldest first and numbered (the server-rendered thread and
        the sorted reads)."""
        config = self.site(site)
        comments: list[Comment] = []
        after: str | None = None
        while True:
            page = self.store.read_page(site, uri, after=after, limit=100)
            comments += page.comments
            if page.next_after is None:
                thread = counted(page.thread, config.count_inbound)
                return thread, self._shown_numbered(_numbered(comments, 0))
            after = page.next_after

    def counts(self, site: str, uris: Sequence[str]) -> dict[str, int]:
        config = self.site(site)
        unique = list(dict.fromkeys(uris))
        return self.store.counts(site, unique, inbound=config.count_inbound)

    def recent(self, site: str, uri: str | None, limit: int = 50) -> list[Comment]:
        self.site(site)
        return [self.shown(c) for c in self.store.recent(site, uri, limit)]

    # -- writes ------------------------------------------------------------------------------

    def post(
        self, site_name: str, draft: Draft, client_ip: str, *, trusted: bool = False
    ) -> tuple[Posted, bool]:
        """Publish or hold a comment. Returns the result and whether it was newly stored.
        `trusted`: written by Parley itself (the demo's seed), so no proof of work is asked."""
        site = self.site(site_name)
        if site.require_email and not draft.email:
            raise errors.ValidationFailed(fields={"email": "An email address is required."})
        if draft.notify and not draft.email:
            raise errors.ValidationFailed(
                fields={"email": "An email address is needed to be notified of replies."}
            )
        now = int(self.clock() * 1000) / 1000  # stores keep milliseconds
        html = render_visible(draft.text)  # refused text costs no storage call, no rate hit
        check_comment_size(draft.text, html)  # before any storage call

        proof = None if trusted else self.spam.check_proof(site_name, site, draft.proof)

        client = client_hash(self.signer, site_name, client_ip)
        first_id = self.store.find_key(site_name, draft.key, int(now))
        if first_id is not None:
            return self._replay(site_name, draft, first_id, client), False

        self._limit(site_name, client, site.rate_limit_per_minute, now)
        self.spam.spend_proof(site_name, proof)

        comment = Comment(
            site=site_name,
            uri=draft.uri,
            id=new_ulid(now),
            parent=draft.parent,
            author=draft.author,
            email=draft.email,
            website=draft.website,
            text=draft.text,
            html=html,
            status=Status.PENDING,
            created=datetime.fromtimestamp(now, UTC),
            ip_hash=client,
            avatar=avatar_hash(self.signer, draft.email, draft.author),
        )
        status, reason = self.spam.judge(
            site_name, site, comment, *self._status_for(site_name, site, draft, client, html)
        )
        if not trusted:  # the site's outside checks, off by default
            status, reason = self.spam.check_outside(
                site, comment, status, reason, client_ip, draft.captcha
            )
        comment = comment.evolve(status=status, reason=reason)
        from backend.domain import outbox  # on first post: a page view needs none

        events = outbox.for_post(self.settings, site, comment, now, notify=draft.notify)
        new = NewComment(comment, draft.title, draft.key, int(now) + IDEMPOTENCY_TTL_S, events)
        try:
            stored = self.store.create_comment(new)
        except errors.DuplicateKey as dup:  # a concurrent retry of the same draft won the race
            return self._replay(site_name, draft, dup.comment_id, client), False
        return self._posted(site, stored), True

    def edit(self, site_name: str, uri: str, comment_id: str, token: str, text: str) -> Comment:
        """Replace a comment's text, re-moderated under the site's rule as a new post would be:
        an approved comment edited into what would be held goes back to pending (and off the
        page) before the new words are written, so no crash in between can publish them. An
        edit never publishes a held comment."""
        site = self.site(site_name)
        html = render_visible(text)
        check_comment_size(text, html)  # before any storage call
        comment = self._own_comment(site_name, site, uri, comment_id, token)
        self._open_thread(site_name, uri)
        self._limit(site_name, comment.ip_hash, site.rate_limit_per_minute, self.clock())
        held = self._hold_edit(site_name, site, comment, html)
        if held and comment.status is Status.APPROVED:
            self.store.set_status(site_name, uri, comment_id, Status.PENDING)
        edited = self.store.edit_comment(
            site_name, uri, comment_id, text=text, html=html, edited=self.now()
        )
        if edited.status is Status.PENDING:
            # Told to the owner as a held comment is, after the new words are stored: the
            # worker builds the one-click links from the comment as it is then, so they are
            # bound to the edited text (a crash before this leaves it held, never public).
            from backend.domain import outbox

            events = outbox.for_edit(self.settings, site, edited, self.clock())
            if events:
                self.store.enqueue(events)
        return self.shown(edited)

    def delete(self, site_name: str, uri: str, comment_id: str, token: str) -> None:
        site = self.site(site_name)
        self._own_comment(site_name, site, uri, comment_id, token)
        self.store.set_status(site_name, uri, comment_id, Status.DELETED, scrub=True)

    def like(self, site_name: str, uri: str, comment_id: str, client_ip: str) -> int:
        site = self.site(site_name)
        voter = client_hash(self.signer, site_name, client_ip)
        limit = site.rate_limit_per_minute * LIKES_PER_WRITE
        self._limit(site_name, voter + ":like", limit, self.clock())
        self._open_thread(site_name, uri)
        if self.store.blocked(site_name, [network_key(voter)]):  # counted nowhere, said nothing
            comment = self.store.public_comment(site_name, uri, comment_id)
            if comment is None or comment.status is not Status.APPROVED:
                raise errors.CommentNotFound()
            return comment.likes
        return self.store.add_like(site_name, uri, comment_id, voter)

    def unlike(self, site_name: str, uri: str, comment_id: str, client_ip: str) -> int:
        """Take this reader's like back; a second time changes nothing."""
        site = self.site(site_name)
        voter = client_hash(self.signer, site_name, client_ip)
        limit = site.rate_limit_per_minute * LIKES_PER_WRITE
        self._limit(site_name, voter + ":like", limit, self.clock())
        self._open_thread(site_name, uri)
        return self.store.remove_like(site_name, uri, comment_id, voter)

    # -- rules -------------------------------------------------------------------------------

    def _status_for(
        self, site_name: str, site: SiteConfig, draft: Draft, client: str, html: str
    ) -> tuple[Status, str]:
        """The status the site's rules give a new comment, and why it is held (the admin sees
        it); the spam filter may hold it after (`SpamGuard.judge`)."""
        if draft.honeypot:  # a bot filled the hidden field; answer as if held, publish nothing
            return Status.SPAM, "honeypot: the hidden field was filled in"
        if self.store.blocked(site_name, keys_of(self.signer, site_name, client, draft.email)):
            # The owner blocked its network or address: a shadow block.
            return Status.SPAM, "blocked: the owner blocked this network or address"
        if looks_like_spam(html):
            return Status.PENDING, "too many links"
        if site.moderation is Moderation.ALL:
            return Status.PENDING, ""  # every comment waits: no reason to tell
        if site.moderation is Moderation.FIRST_TIME:
            known = bool(draft.email) and self.store.author_approved(site_name, draft.email)
            return (Status.APPROVED, "") if known else (Status.PENDING, "first comment")
        return Status.APPROVED, ""

    def _hold_edit(self, site_name: str, site: SiteConfig, comment: Comment, html: str) -> bool:
        """Whether an edit rendered as `html` must wait for a moderator, by the rule a new post
        with these words from this author would meet."""
        if site.moderation is Moderation.ALL or looks_like_spam(html):
            return True
        if site.moderation is Moderation.FIRST_TIME:
            return not (comment.email and self.store.author_approved(site_name, comment.email))
        return False

    def _limit(self, site: str, client: str, per_minute: int, now: float) -> None:
        """At most `per_minute` writes in any minute (a sliding window: domain/rate.py)."""
        from backend.domain import rate  # on the first write: a page view needs none

        rate.check(self.store, site, client, per_minute, RATE_WINDOW_S, now)

    def _open_thread(self, site_name: str, uri: str) -> None:
        """A locked thread takes no new comment, edit or like (a reader may still delete their
        own comment: their words are theirs to take back)."""
        thread = self.store.get_thread(site_name, uri)
        if thread is not None and thread.locked:
            raise errors.ThreadLocked()

    def _own_comment(
        self, site_name: str, site: SiteConfig, uri: str, comment_id: str, token: str
    ) -> Comment:
        self.signer.check_edit_token(token, site_name, uri, comment_id)
        comment = self.store.get_comment(site_name, uri, comment_id)
        if comment is None or comment.status in (Status.DELETED, Status.SPAM):
            raise errors.CommentNotFound()
        if (self.now() - comment.created).total_seconds() > site.edit_window_s:
            raise errors.EditWindowClosed()
        return comment

    def _replay(self, site_name: str, draft: Draft, comment_id: str, client: str) -> Posted:
        """The answer to a retried post (the widget keeps one key per draft): the first comment
        and a fresh edit token, but only for a retry from the same network. Anyone elsewhere
        who learns or guesses a key gets a 422 and no token, so a key is never a way to take
        over someone's comment."""
        comment = self.store.get_comment(site_name, draft.uri, comment_id)
        if comment is None or not hmac.compare_digest(comment.ip_hash.encode(), client.encode()):
            raise errors.ValidationFailed(
                "This draft was already posted.", fields={"key": "already used"}
            )
        self.store.finish_post(comment)  # what the first try's failure may have left undone
        return self._posted(self.site(site_name), comment)

    def _posted(self, site: SiteConfig, comment: Comment) -> Posted:
        from backend.domain.drafts import Posted  # off a page view's path (cold start)

        token = self.signer.edit_token(comment.site, comment.uri, comment.id)
        until = datetime.fromtimestamp(comment.created.timestamp() + site.edit_window_s, UTC)
        return Posted(self.shown(comment), token, until)
