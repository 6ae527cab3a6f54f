"""The storage contract the service layer depends on.

Both stores (SQLite for one machine, DynamoDB for Lambda) implement `Store` and pass the same
contract tests in `tests/store_contract.py`. Stores speak in domain records; row and item
shapes stay private to each implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from backend.domain.models import (
    Block,
    Comment,
    NewComment,
    OutboxEvent,
    Page,
    QueuePage,
    Status,
    Thread,
)

if TYPE_CHECKING:
    from backend.domain.search import SearchQuery
    from backend.store.reports import Repairs, Written


class Outbox(Protocol):
    """The notification side of a store: the outbox of events, markers of what was already
    sent, and readers' subscriptions. Part of `Store`."""

    def enqueue(self, events: Sequence[OutboxEvent]) -> None:
        """Write events outside of any other write (the worker's own follow-ups)."""

    def due_events(self, now: float, limit: int) -> list[OutboxEvent]:
        """Events whose `due` time has come, oldest due first."""

    def finish_event(self, event_id: str) -> None:
        """Remove a delivered (or abandoned) event. Removing a missing one is no error."""

    def retry_event(self, event: OutboxEvent) -> None:
        """Store the event's new `due`, `attempts` and `error`."""

    def bury_event(self, event: OutboxEvent) -> None:
        """Move an event that can never be delivered to the dead letters, with its `attempts`
        and `error`: never due again, kept for an operator to read (`dead_events`)."""

    def dead_events(self, limit: int) -> list[OutboxEvent]:
        """The dead letters, oldest first."""

    def was_sent(self, key: str) -> bool:
        """Whether the delivery with this idempotency key was already made."""

    def mark_sent(self, key: str, now: int, expires: int) -> None:
        """Remember that a delivery was made, until `expires` (epoch seconds); markers expired
        by `now` may be swept."""

    def subscribe(self, site: str, uri: str, comment_id: str, email: str) -> bool:
        """Confirm a reader's subscription to replies to one comment; False when it already was."""

    def unsubscribe(self, site: str, uri: str, comment_id: str) -> bool:
        """Drop a subscription; False when there was none."""

    def subscriber(self, site: str, uri: str, comment_id: str) -> str | None:
        """The confirmed subscriber's email for replies to a comment, if any."""

    def opt_out(self, site: str, email_hash: str) -> bool:
        """Record that an address wants no more mail from this site; False when it already was."""

    def opted_out(self, site: str, email_hash: str) -> bool: ...


RUN_EVERY_MS = 5 * 60 * 1000  # the scheduled worker's period (serverless.yml, workerSchedule)


def turn(now_ms: int) -> int:
    """The scheduled run `now_ms` belongs to: consecutive runs, consecutive turns. Where a
    repair run starts (its first site, its first shard of marks) moves on by one each run, so
    what keeps failing cannot keep the rest waiting."""
    return now_ms // RUN_EVERY_MS


class FilterModels(Protocol):
    """The spam filter's per-site models (backend/spam/): one small record per site and name,
    read rarely (cached per process) and replaced under optimistic concurrency. Part of
    `Store`."""

    def read_model(self, site: str, name: str) -> tuple[bytes, int] | None:
        """The stored model and its version, or None when none was stored yet."""

    def write_model(self, site: str, name: str, data: bytes, version: int) -> bool:
        """Store `data` as version `version + 1` if the stored version is still `version` (0:
        none stored yet); False, changing nothing, when another write came first."""


class Store(Outbox, FilterModels, Protocol):
    #: True when `thread_stamp` is a cheap local lookup, checked before every read; False where
    #: it is a billed request (DynamoDB's GetItem), checked only when the app's response cache
    #: holds an answer it would save the query for.
    cheap_stamps: bool

    def setup(self) -> None:
        """Create or migrate the schema. Idempotent."""

    def close(self) -> None: ...

    # -- reads -----------------------------------------------------------------------------

    def get_thread(self, site: str, uri: str) -> Thread | None: ...

    def thread_stamp(self, site: str, uri: str) -> str | None:
        """The thread's current stamp, or None when it has no thread yet."""

    def read_page(self, site: str, uri: str, *, after: str | None, limit: int) -> Page:
        """Visible comments (approved, or deleted tombstones with replies), oldest first.

        Returns at most `limit` comments after the id `after`; `next_after` is set when more
        may follow. The page carries the thread (None when the thread does not exist).
        A page's comments carry the public fields; `text`, `email` and `ip_hash` may be empty
        (DynamoDB keeps them apart, so a page view reads less): ask `get_comment` for them.
        """

    def get_comment(self, site: str, uri: str, comment_id: str) -> Comment | None:
        """The whole comment: its source text, email and ip_hash included."""

    def counts(self, site: str, uris: Sequence[str], *, inbound: bool = True) -> dict[str, int]:
        """Approved comment counts; uris without a thread are 0. `inbound=False` leaves out
        the comments brought in from the open web (`Thread.inbound`)."""

    def recent(self, site: str, uri: str | None, limit: int) -> list[Comment]:
        """The newest approved comments of one thread, or of the whole site when uri is None.
        Public fields only, as `read_page` (`text`, `email` and `ip_hash` may be empty)."""

    def queue(
        self, site: str, status: Status, *, after: str | None, limit: int, private: bool = True
    ) -> QueuePage:
        """A site's comments in one status, newest first (moderation queue): whole comments,
        source text, email and ip_hash included. With `private=False` (a walk that only counts
        or reads creation times) those three may be empty, as in `read_page`, and the store
        may skip reading them (DynamoDB: half the items)."""

    def author_approved(self, site: str, email: str) -> bool:
        """Whether this email has at least one approved comment on the site."""

    def find_key(self, site: str, key: str, now: int) -> str | None:
        """The comment id an unexpired idempotency key was used for, if any."""

    # -- writes (each one atomic) -------------------------------------------------------------

    def create_comment(self, new: NewComment) -> Comment:
        """Write the comment, create or update its thread, bump the parent's replies when the
        comment is approved, record the idempotency key and write `new.events` to the outbox:
        all or nothing.

        Raises DuplicateKey (with the first comment's id) when the key was used, ParentNotFound
        when the parent is not an approved comment of the thread, ThreadLocked.
        """

    def finish_post(self, comment: Comment) -> None:
        """Do again what a post writes after its atomic part, for a retry of a post that
        landed: the first try may have failed there (DynamoDB: the search postings, written
        after the transaction; idempotent). SQLite has nothing after its transaction."""

    def edit_comment(
        self, site: str, uri: str, comment_id: str, *, text: str, html: str, edited: datetime
    ) -> Comment:
        """Replace the text of a comment. Raises CommentNotFound."""

    def set_status(
        self,
        site: str,
        uri: str,
        comment_id: str,
        status: Status,
        *,
        scrub: bool = False,
        events: Sequence[OutboxEvent] = (),
    ) -> Comment:
        """Move a comment to `status`, moving the thread's count and the parent's replies in the
        same atomic write, with `events` written to the outbox in it too. `scrub` empties the
        text (a reader deleting their own comment). Raises CommentNotFound.
        """

    def erase(self, site: str, uri: str, comment_id: str) -> None:
        """Forget a comment for good (a privacy request, or a pending comment past its age).

        One atomic write: a comment with replies stays as a deleted tombstone with author,
        email, website, text, html, ip_hash and avatar emptied; any other comment is removed.
        The thread's count, the parent's replies (and any per-author tally) move as
        `set_status(DELETED)` would. Raises CommentNotFound.
        """

    def add_like(self, site: str, uri: str, comment_id: str, voter: str) -> int:
        """Count one like per voter; returns the like count. Raises CommentNotFound unless the
        comment is approved."""

    def remove_like(self, site: str, uri: str, comment_id: str, voter: str) -> int:
        """Take this voter's like back; returns the like count. A voter who has no like changes
        nothing. Raises CommentNotFound unless the comment is approved."""

    def set_locked(self, site: str, uri: str, locked: bool, now: datetime) -> Thread:
        """Lock or unlock a thread (creating it when needed)."""

    def hold_suggestions(self, site: str, uri: str, until: int, now: datetime) -> None:
        """Record that the thread takes no suggested announcement post before `until` (epoch
        seconds; a later hold already recorded stays), creating the thread when needed; its
        stamp moves, so reads show it (backend/inbound/suggest.py)."""

    def hit_rate(self, site: str, client: str, window: int, expires: int) -> int:
        """Count one write from `client` in the rate window `window`; returns the hits so far."""

    def rate_hits(self, site: str, client: str, window: int) -> int:
        """The hits `hit_rate` counted in `window` (0 when none, or swept): no write."""

    # -- the owner's desk: pins and blocks ----------------------------------------------------

    def set_pinned(
        self, site: str, uri: str, comment_id: str, number: int, now: datetime
    ) -> Thread:
        """Pin one comment of the thread ("" unpins), with its number, creating the thread when
        needed; the thread's stamp moves. The caller checks that the comment is approved."""

    def public_comment(self, site: str, uri: str, comment_id: str) -> Comment | None:
        """One comment's public part, as `read_page` gives it (`text`, `email`, `ip_hash` may
        be empty): the pinned comment a first page shows when it lives on a later page. On
        DynamoDB one eventually consistent GetItem."""

    def add_block(self, block: Block) -> None:
        """Record a block (a second time changes nothing)."""

    def remove_block(self, site: str, key: str) -> bool:
        """Lift a block; False when there was none."""

    def blocks(self, site: str) -> list[Block]:
        """Every block of a site, newest first."""

    def blocked(self, site: str, keys: Sequence[str]) -> bool:
        """Whether any of these keys is blocked on the site."""

    # -- the owner's search (backend/domain/search.py) ------------------------------------------

    def search(self, site: str, query: SearchQuery, *, after: str | None, limit: int) -> QueuePage:
        """Whole comments (emails included) matching `query`, newest first, at most `limit`,
        from at most `CANDIDATES` comments read after the position `after`. `next_after` is
        the position to go on from (None: nothing more), even when fewer than `limit` matched.
        On DynamoDB a Query of the probe's posting items and a BatchGetItem of the comments."""

    # -- bulk (import and export; never on a reader's path) ----------------------------------------

    def put_many(self, threads: Sequence[Thread], comments: Sequence[Comment]) -> Written:
        """Write threads and comments that are not stored yet, leaving stored ones untouched
        (so a rerun of an import adds nothing). Counts are written as given, not maintained:
        call `recount` for each thread afterwards. Returns how many of each were new.
        """

    def recount(self, site: str, uri: str) -> Thread | None:
        """Recompute the thread's count and every comment's replies from the stored comments."""

    def threads(self, site: str) -> Iterator[Thread]:
        """Every thread of a site (an export's walk; on DynamoDB a paginated Scan)."""

    def thread_comments(self, site: str, uri: str) -> Iterator[Comment]:
        """Every comment of a thread, in any status, oldest first, emails included."""

    # -- upkeep (the scheduled worker; never on a reader's path) ------------------------------

    def repair_marked(
        self,
        site: str,
        *,
        limit: int,
        now: int | None = None,
        out_of_time: Callable[[], bool] | None = None,
    ) -> Repairs:
        """Make exact the counters that writes cut short left off, in at most `limit` threads.

        A store whose writes move a comment and every counter it affects in one transaction
        (SQLite) never leaves one off: nothing to do, an empty `Repairs`. DynamoDB moves hot
        counters outside transactions and marks the item until they moved (docs/dynamodb.md):
        this recounts threads holding a marker older than any request lives, leaves a thread
        whose other markers are fresh or whose repair failed (`busy`), reads no more than its
        bound, and starts no thread once `out_of_time()` is true (the rest are `more`). `now`
        (epoch ms) is for tests.
        """

    def use_once(self, site: str, key: str, expires: int) -> bool:
        """Record `key` as used: True the first time, False every later time, for at least
        as long as `expires` (epoch seconds; DynamoDB's TTL removes the record some time after).
        Single-use values (one-click moderation links) are spent here; give an `expires` no
        earlier than the value's own expiry, so it cannot be replayed in between."""

    def claim(self, site: str, key: str, now: int, expires: int) -> bool:
        """Hold `key` until `release` or `expires` (epoch seconds): True when it was free (never
        held, released, or its hold expired by `now`), False while someone else holds it. One
        pending verification per Webmention (backend/inbound/)."""

    def release(self, site: str, key: str) -> bool:
        """Free a key `claim` held: True when it was held (even past its expiry), False when
        it was free; freeing a free key is no error."""

    def set_reactions(self, site: str, uri: str, source: str, likes: int, reposts: int) -> None:
        """Record how many likes and reposts one announcement post (`source`: its network) has;
        a thread's `reactions` are the sums over its sources. Nothing when the thread does not
        exist yet (it is made by its first comment)."""

    def add_reactions(self, site: str, uri: str, likes: int, reposts: int, now: datetime) -> None:
        """Move the open web's tally of likes and reposts (Webmentions, counted one by one) by
        `likes` and `reposts` (either sign; neither goes below 0); a thread's `reactions` add
        it to its announcement posts'. Makes the thread when it has no comment yet (a page may
        be liked before it is commented on)."""
