"""The DynamoDB store: one table, single-table design, for Lambda (see docs/dynamodb.md).

`DynamoStore` joins the parts, each in its own module: `reads.py` (page views, counts, queues),
`writes.py` (posts, edits, likes, locks, rate buckets), `moderation.py` (status moves,
erasure), `outbox.py` (notification events, sent markers, subscriptions: docs/notifications.md),
`desk.py` (pins, blocks), `search.py` (the owner's search), `bulk.py` (imports and exports,
imported on first use). Item shapes live in `items.py`, write requests built as data in
`updates.py`, the connection and its error mapping in `client.py` (the reads' own client in
`wire.py`), the table definition in `schema.py`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from backend.domain.models import Comment, Thread
from backend.settings import StoreURL
from backend.store.dynamo.client import connect
from backend.store.dynamo.desk import Desk
from backend.store.dynamo.models import FilterModels
from backend.store.dynamo.moderation import Moderation
from backend.store.dynamo.outbox import Outbox
from backend.store.dynamo.reads import Reads
from backend.store.dynamo.search import index_keys
from backend.store.dynamo.writes import Writes

REPAIR_ALL = 100_000  # threads: `parley repair` has no per-run bound worth the name

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.session import Session

    from backend.store.dynamo.bulk import Bulk
    from backend.store.reports import Repairs, Written


class DynamoStore(Reads, Writes, Moderation, Outbox, Desk, FilterModels):
    @classmethod
    def from_url(
        cls, url: StoreURL, session: Session | None = None, config: Config | None = None
    ) -> DynamoStore:
        return cls(url.table, connect(url.region, url.endpoint, session, config))

    def setup(self) -> None:
        self.init_table()

    def init_table(self) -> list[str]:
        """Create the table from table.json (idempotent); returns what was done, line by line."""
        # Imported here: `parley init-table` and the tests need it, a cold start does not.
        from backend.store.dynamo.schema import create_table, load_definition, table_spec

        return create_table(self._client, table_spec(load_definition(), self.table))

    # -- bulk (import and export): see bulk.py ----------------------------------------------

    @property
    def _bulk(self) -> Bulk:
        # Imported on first use: the Lambda handler never needs it (cold start).
        from backend.store.dynamo.bulk import Bulk

        return Bulk(self._client, self.table)

    def put_many(self, threads: Sequence[Thread], comments: Sequence[Comment]) -> Written:
        return self._bulk.put_many(threads, comments)

    def recount(self, site: str, uri: str) -> Thread | None:
        return self._bulk.recount(site, uri)

    def threads(self, site: str) -> Iterator[Thread]:
        return self._bulk.threads(site)

    def thread_comments(self, site: str, uri: str) -> Iterator[Comment]:
        return self._bulk.thread_comments(site, uri)

    def reindex_site(self, site: str) -> tuple[int, int]:
        """`parley reindex`: write the search postings of every comment of a site, for a table
        written before the owner's search existed (docs/dynamodb.md, "Search"). Puts are
        idempotent, so it is safe to run again; (threads, comments) walked. A Scan for the
        threads, a Query per thread and a BatchWriteItem per 25 postings."""
        threads = comments = 0
        for thread in self.threads(site):
            threads += 1
            for comment in self.thread_comments(site, thread.uri):
                comments += 1
                self._post_index(comment, index_keys(comment))
        return threads, comments

    def repair_site(self, site: str, *, scan: bool = False) -> Repairs:
        """`parley repair`: the site's marked threads, all of them. Through the marks index (the
        stale markers, as the schedule finds them, without its bound), or with `scan` through a
        Scan of the whole table: markers of any age, including any set before the index existed
        (a fresh one's thread is reported busy)."""
        from backend.store.reports import Repairs

        if not scan:
            return self.repair_marked(site, limit=REPAIR_ALL)
        repaired: list[str] = []
        busy: list[str] = []
        for uri in self._bulk.marked_threads(site):
            (repaired if self.repair(site, uri) else busy).append(uri)
        return Repairs(tuple(repaired), tuple(busy))
