"""From a reader's records to stored threads and comments, the same for every format.

Ids derive from the source: the millisecond the comment was written and a hash of the format
and the source's own id, in ULID form. Ordering by id therefore stays chronological, and the
same file imported twice derives the same ids, which the store then finds present: nothing is
added twice. Parents are resolved whatever order the file lists comments in. Writes go out in
batches; at the end every thread of the file is recounted from what is stored, so counts and
reply counts are exact whatever was there before (and a rerun after a crash completes them).

Nothing here sends mail or fires a webhook, and nothing is written to any outbox: imported
comments are history, not news.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime

from backend.api.query import URI_CHARS, page_uri
from backend.domain.identity import avatar_hash, client_hash
from backend.domain.ids import encode
from backend.domain.limits import URI_BYTES, fits, utf8_bytes
from backend.domain.models import Comment, Status, Thread
from backend.domain.render import sanitize
from backend.domain.tally import tally
from backend.domain.tokens import Signer
from backend.migrate import clean
from backend.migrate.fields import UriMap, to_html, uri_of
from backend.migrate.index import Placed
from backend.migrate.records import (
    NothingImported,
    Record,
    Skipped,
    SourceComment,
    SourceThread,
)
from backend.migrate.report import PINGS, Summary
from backend.store.base import Store

BATCH = 500  # comments per bulk write, at least: a write ends where a thread ends
MAX_BATCH = 5_000  # ... unless one thread is longer than this
HASH_CACHE = 100_000  # distinct authors and addresses remembered
UNDATED = datetime.fromtimestamp(0, UTC)  # a thread the source gives no date

Progress = Callable[[int], None]


def derive_id(fmt: str, key: str, created: datetime) -> str:
    """A ULID-shaped id: the source's millisecond, then 80 bits of hash of its own id."""
    millis = max(0, int(created.timestamp() * 1000))
    digest = hashlib.blake2b(f"{fmt}\0{key}".encode(), digest_size=10).digest()
    return encode((millis << 80) | int.from_bytes(digest, "big"))


class Importer:
    """One pass over a reader's records. With `store=None` it checks and counts only."""

    def __init__(
        self,
        fmt: str,
        site: str,
        store: Store | None,
        signer: Signer,
        *,
        uri_map: UriMap | None = None,
        include_pings: bool = False,
        progress: Progress = lambda n: None,
    ) -> None:
        self.fmt = fmt
        self.site = site
        self.store = store
        self.signer = signer
        self.uri_map = uri_map or UriMap()
        self.include_pings = include_pings
        self.progress = progress
        self.summary = Summary(fmt, site, store is None)
        self._threads: dict[str, Thread] = {}  # source thread key -> the thread it maps to
        self._placed = Placed()  # source comment key -> (id, uri), compactly
        self._dropped: set[str] = set()  # source comment keys skipped
        self._waiting: dict[str, list[SourceComment]] = {}  # parent key -> its early replies
        self._uris: dict[str, Thread] = {}  # uri -> thread, for every thread with a comment
        self._unwritten: list[Thread] = []
        self._batch: list[Comment] = []
        self._hashes: dict[tuple[str, str], str] = {}
        self._html: dict[str, str] = {}  # source comment key -> its rendering, until built
        self._bad_uri: dict[str, str] = {}  # source thread key -> why its uri is refused
        self._pins: dict[str, tuple[str, int]] = {}  # uri -> its pinned comment and number
        self.seen = 0  # comments read (the progress bar's total for a second pass)
        # Called with each batch of comments as it is written (or, checking only, would be).
        self.on_batch: Callable[[list[Comment]], None] | None = None

    def run(self, records: Iterable[Record]) -> Summary:
        for record in records:
            if isinstance(record, SourceThread):
                self._thread(record)
            elif isinstance(record, SourceComment):
                self._comment(record)
            else:
                self._skip(record)
        self._place_orphans()
        self.summary.threads = len(self._uris)
        if self.summary.comments == 0 and self.seen:
            # Nothing placed means nothing written yet: refuse before the last write.
            raise NothingImported(self.summary.nothing())
        self._flush()
        self._pin()
        return self.summary

    def _pin(self) -> None:
        """Pins from Parley's own export, once their comments are written: approved ones only,
        as the admin API allows."""
        store = self.store
        if store is None:
            return
        for uri, (comment_id, number) in self._pins.items():
            found = store.get_comment(self.site, uri, comment_id)
            if found is not None and found.status is Status.APPROVED:
                store.set_pinned(self.site, uri, comment_id, number, found.created)

    def _place_orphans(self) -> None:
        """Replies still waiting: those whose parent is missing from the file become top-level
        comments (their own replies follow them); a loop of parents is cut where it starts."""
        waiting = {reply.key for replies in self._waiting.values() for reply in replies}
        missing = [parent for parent in self._waiting if parent not in waiting]
        for parent in missing:
            self._orphan(parent, "replies to a comment missing from the file, kept")
        while self._waiting:  # only loops are left
            self._orphan(next(iter(self._waiting)), "replies in a loop of parents, kept top-level")

    def _orphan(self, parent: str, note: str) -> None:
        self._dropped.add(parent)
        for reply in self._waiting.pop(parent):  # placing it places the replies waiting on it
            self.summary.notes[note] += 1
            self._place(reply, None)

    def recount(self, progress: Progress = lambda n: None) -> None:
        """Make every thread of the file exact: count and reply counts from what is stored."""
        if self.store is None:
            return
        for uri in self._uris:
            self.store.recount(self.site, uri)
            progress(1)

    # -- records ---------------------------------------------------------------------------------

    def _thread(self, source: SourceThread) -> None:
        uri = self.uri_map(uri_of(source.url))
        refused = _refused(uri)
        if refused is not None:
            self._bad_uri[source.key] = refused
            return
        known = self._uris.get(uri)
        if known is not None:  # two source threads for one page (Disqus makes these): merge
            if source.locked and not known.locked:
                known = self._uris[uri] = replace(known, locked=True)
            self._threads[source.key] = known
            return
        self.summary.sources.setdefault(uri, source.url.strip())
        if source.pinned:
            self._pins[uri] = (source.pinned, source.pinned_number)
        thread = Thread(
            site=self.site,
            uri=uri,
            title=clean.title(source.title),
            count=0,
            locked=source.locked,
            created=source.created or UNDATED,
        )
        self._threads[source.key] = thread
        if source.locked:  # a closed page stays closed, comments or not
            self._uris[uri] = thread
            self._unwritten.append(thread)

    def _comment(self, source: SourceComment) -> None:
        self.progress(1)
        if source.thread in self._bad_uri:
            self._skip(Skipped(source.key, self._bad_uri[source.thread]))
        elif source.thread not in self._threads:
            self._skip(Skipped(source.key, "in a thread missing from the file"))
        elif source.ping and not self.include_pings:
            self._skip(Skipped(source.key, PINGS))
        elif source.key in self._placed:
            self._skip(Skipped(source.key, "listed twice in the file"))
        else:
            source = clean.comment(source, self.summary.notes)  # posting's character rule
            if self._too_big(source):
                self._skip(Skipped(source.key, "too big for one stored comment (400 KB)"))
            else:
                self._attach(source)

    def _attach(self, source: SourceComment) -> None:
        """Place the comment under its parent, or wait for the parent to be read."""
        if source.parent is None:
            self._place(source, None)
        elif (placed := self._placed.get(source.parent)) is not None:
            parent_id: str | None = placed[0]
            if placed[1] != self._threads[source.thread].uri:
                self.summary.notes["replies to a comment on another page, kept top-level"] += 1
                parent_id = None
            self._place(source, parent_id)
        elif source.parent in self._dropped:
            self.summary.notes["replies to a skipped comment, kept top-level"] += 1
            self._place(source, None)
        else:
            self._waiting.setdefault(source.parent, []).append(source)

    def _too_big(self, source: SourceComment) -> bool:
        """Whether the comment cannot be stored as its two DynamoDB items (400 KB each): the
        public part (its rendering, author, website) and the private part (its source text,
        email). Judged from the rendering, which escaping can make 4x the body, in a dry run
        too, so a dry run and an import agree; the same rule holds on SQLite, so a site moves
        between the stores with every comment. The rendering is kept for `_build`."""
        html = _render(source)
        if not fits(
            source.body, html, public=(source.author, source.website or ""), private=(source.email,)
        ):
            return True
        if self.store is not None:
            self._html[source.key] = html
        return False

    def _skip(self, skipped: Skipped) -> None:
        self.seen += 1
        self.summary.skipped[skipped.reason] += 1
        self._html.pop(skipped.key, None)
        self._dropped.add(skipped.key)
        for reply in self._waiting.pop(skipped.key, []):
            self.summary.notes["replies to a skipped comment, kept top-level"] += 1
            self._place(reply, None)

    def _place(self, source: SourceComment, parent: str | None) -> None:
        comment = self._build(source, parent)
        if len(self._batch) >= MAX_BATCH or (
            len(self._batch) >= BATCH and comment.uri != self._batch[-1].uri
        ):
            self._flush()
        self._placed.add(source.key, comment.id, comment.uri)
        self.seen += 1
        self.summary.comments += 1
        self.summary.per_thread[comment.uri] += 1
        self.summary.statuses[comment.status.value] += 1
        if comment.uri not in self._uris:
            thread = self._threads[source.thread]
            if thread.created == UNDATED:  # no date of its own: its first comment's
                thread = replace(thread, created=comment.created)
            self._uris[comment.uri] = thread
            self._unwritten.append(thread)
        self._batch.append(comment)
        for reply in self._waiting.pop(source.key, []):
            self._place(reply, comment.id)

    def _hash(self, kind: str, value: str, make: Callable[[], str]) -> str:
        """Keyed hashes (HMACs) per distinct author or address: readers come back often."""
        key = (kind, value)
        found = self._hashes.get(key)
        if found is None:
            if len(self._hashes) >= HASH_CACHE:
                self._hashes.clear()  # bounded memory, whatever the file's size
            found = self._hashes[key] = make()
        return found

    def _build(self, source: SourceComment, parent: str | None) -> Comment:
        thread = self._threads[source.thread]
        if source.id is not None:  # Parley's own export: the record as it was (a checked ULID)
            comment_id = source.id
        else:
            comment_id = derive_id(self.fmt, source.key, source.created)
        # An erased tombstone from Parley's own export has no author: keep it so.
        author = source.author if source.id else source.author or "Anonymous"
        email = source.email
        # A deleted comment keeps its words (an admin may restore it); readers see a tombstone.
        html = self._html.pop(source.key, None)
        if self.store is None:
            html = ""  # a check pass: the record shows no rendering
        elif html is None:
            html = _render(source)
        if source.ip_hash is not None:
            ip_hash = source.ip_hash
        elif source.ip and self.store is not None:
            ip = source.ip
            ip_hash = self._hash("ip", ip, lambda: client_hash(self.signer, self.site, ip))
        else:
            ip_hash = ""
        if source.avatar is not None:
            avatar = source.avatar
        elif self.store is not None:
            avatar = self._hash(
                "avatar", f"{email}\0{author}", lambda: avatar_hash(self.signer, email, author)
            )
        else:
            avatar = ""
        return Comment(
            site=self.site,
            uri=thread.uri,
            id=comment_id,
            parent=parent,
            author=author,
            email=email,
            website=source.website,
            text=source.body,
            html=html,
            status=source.status,
            created=_millis(source.created),
            edited=None if source.edited is None else _millis(source.edited),
            likes=max(0, source.likes),
            ip_hash=ip_hash,
            avatar=avatar,
            role=source.role,
        )

    def _flush(self) -> None:
        if self.store is not None and (self._batch or self._unwritten):
            # Threads arrive whole in most files (a WordPress post, an Isso thread): their
            # numbers are right as written, and the recount at the end finds nothing to change
            # (on DynamoDB every change rewrites a whole item). The recount fixes the rest.
            numbers = tally((c.id, c.parent, c.status) for c in self._batch)
            comments = [c.evolve(replies=numbers.replies[c.id]) for c in self._batch]
            counts = Counter(c.uri for c in self._batch if c.status is Status.APPROVED)
            threads = [replace(t, count=counts[t.uri]) for t in self._unwritten]
            written = self.store.put_many(threads, comments)
            self.summary.new_threads += written.threads
            self.summary.new_comments += written.comments
        if self.on_batch is not None and self._batch:
            self.on_batch(self._batch)
        self._unwritten = []
        self._batch = []


def _refused(uri: str) -> str | None:
    """Why a page's uri cannot be a thread's (the reason its comments are skipped), or None."""
    if utf8_bytes(uri) > URI_BYTES:  # DynamoDB's key limit, kept on both stores
        return f"on a page whose uri is over {URI_BYTES} bytes"
    if len(uri) > URI_CHARS:
        return f"on a page whose uri is over {URI_CHARS} characters (readers cannot ask for it)"
    try:
        page_uri(uri)
    except ValueError as exc:
        return f"on a page whose uri readers cannot ask for (it {exc})"
    return None


def _render(source: SourceComment) -> str:
    return sanitize(source.html) if source.html is not None else to_html(source.body, source.markup)


def _millis(value: datetime) -> datetime:
    """Stores keep milliseconds: so does the record, so a dry run shows what is stored."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)
