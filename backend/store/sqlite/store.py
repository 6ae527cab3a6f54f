"""`SQLiteStore` joins the parts of the SQLite store, each in its own module: `connection.py`
(connections, the write transaction, setup), `reads.py`, `writes.py` (posts, edits, likes,
locks, rate buckets), `moderation.py` (status moves, erasure), `outbox.py` (notification
events, sent markers, subscriptions), `desk.py` (pins, blocks), `search.py` (the owner's
search), `bulk.py` (imports and exports). Row shapes live in `rows.py`, the migrations in
`schema.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from backend.domain.models import Comment, Thread
from backend.store.reports import Repairs, Written
from backend.store.sqlite import bulk
from backend.store.sqlite.desk import Desk
from backend.store.sqlite.models import FilterModels
from backend.store.sqlite.moderation import Moderation
from backend.store.sqlite.outbox import SQLiteOutbox
from backend.store.sqlite.rows import to_comment
from backend.store.sqlite.search import Search
from backend.store.sqlite.writes import Writes


class SQLiteStore(Writes, Moderation, SQLiteOutbox, Desk, Search, FilterModels):
    cheap_stamps = True

    # -- bulk (import and export) -----------------------------------------------------------------

    def put_many(self, threads: Sequence[Thread], comments: Sequence[Comment]) -> Written:
        with self._write() as conn:
            return bulk.put_many(conn, threads, comments)

    def recount(self, site: str, uri: str) -> Thread | None:
        with self._write() as conn:
            bulk.recount(conn, site, uri)
        return self.get_thread(site, uri)

    def threads(self, site: str) -> Iterator[Thread]:
        for uri in list(bulk.thread_uris(self._conn(), site)):
            thread = self.get_thread(site, uri)
            if thread is not None:
                yield thread

    def thread_comments(self, site: str, uri: str) -> Iterator[Comment]:
        yield from map(to_comment, bulk.comment_rows(self._conn(), site, uri))

    # -- upkeep ------------------------------------------------------------------------------

    def repair_marked(
        self,
        site: str,
        *,
        limit: int,
        now: int | None = None,
        out_of_time: Callable[[], bool] | None = None,
    ) -> Repairs:
        """Nothing to repair: every write moves its comment and all the counters it affects in
        one SQLite transaction, so a crash leaves all or none of it and never a marker."""
        return Repairs()
