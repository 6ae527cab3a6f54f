"""The DynamoDB store's bulk side: imports and exports, never on a reader's path.

An import writes with BatchWriteItem (25 items a request), after one BatchGetItem per 100 keys
has told which items are stored already: BatchWriteItem cannot be conditioned, and a rerun must
neither add anything nor overwrite a moderator's later decision. UnprocessedItems (DynamoDB
throttled part of a batch) and throttled requests are retried with jittered backoff, so an
import run from a laptop against the deployed on-demand table finishes rather than fails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from backend.domain import errors
from backend.domain.models import Comment, Status, Thread
from backend.domain.search import index_keys
from backend.domain.tally import tally
from backend.store.dynamo import items as it
from backend.store.dynamo import updates as w
from backend.store.dynamo.client import Cancelled, ConditionFailed, backoff, translate
from backend.store.dynamo.search import posting
from backend.store.reports import Written

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

WRITE_BATCH = 25  # BatchWriteItem's limit
GET_BATCH = 100  # BatchGetItem's limit
TRANSACT_GET = 100  # TransactGetItems' limit (items)
ATTEMPTS = 10  # rounds for UnprocessedItems/Keys and throttled requests before giving up
PARALLEL = 8  # requests in flight at once (batches, single-item updates)

Key = tuple[str, str]
T = TypeVar("T")
R = TypeVar("R")


def _key(item: it.Item) -> Key:
    return item["pk"]["S"], item["sk"]["S"]


def _tombstone(public: it.Item) -> bool:
    """An erased comment kept for its replies: deleted, author emptied, no private part."""
    return public["status"]["S"] == Status.DELETED.value and not public["author"]["S"]


def thread_item(t: Thread) -> it.Item:
    item: it.Item = {
        **it.thread_key(t.site, t.uri),
        "site": it.s(t.site),
        "uri": it.s(t.uri),
        "created": it.n(it.ms(t.created)),
        "count": it.n(t.count),
    }
    if t.inbound:
        item[it.INBOUND] = it.n(t.inbound)
    if t.title:
        item["title"] = it.s(t.title)
    if t.locked:
        item["locked"] = it.b(True)
    return item


class Bulk:
    """Bulk requests on one table. The client is botocore's, shared with the store."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self.table = table

    # -- writes ----------------------------------------------------------------------------------

    # BatchGetItem per 100 keys, BatchWriteItem per 25 new items (a comment is two: its public
    # and its private part); for the authors' tallies, BatchGetItem per 100 authors and
    # BatchWriteItem per 25.
    def put_many(self, threads: Sequence[Thread], comments: Sequence[Comment]) -> Written:
        items = [thread_item(t) for t in threads] + [it.comment_item(c) for c in comments]
        stored = self._stored([{"pk": i["pk"], "sk": i["sk"]} for i in items])
        fresh: dict[Key, it.Item] = {}
        for item in items:  # the same key twice in one BatchWriteItem is refused: keep one
            fresh.setdefault(_key(item), item)
        for key in stored:
            fresh.pop(key, None)
        new_ids = set(fresh)
        # Private parts first: a crash in between leaves parts without their comment, which a
        # rerun writes again (whole), never a comment whose private part a rerun would skip.
        private: dict[Key, it.Item] = {}
        for c in comments:
            key = _key(it.comment_key(c.site, c.uri, c.id))
            if key in new_ids:
                private.setdefault(key, it.private_item(c))
        self._write([{"PutRequest": {"Item": item}} for item in private.values()])
        self._write([{"PutRequest": {"Item": item}} for item in fresh.values()])
        authors = Counter(
            c.email
            for c in comments
            if c.status is Status.APPROVED
            and c.email
            and _key(it.comment_key(c.site, c.uri, c.id)) in new_ids
        )
        if authors:
            self._add_authors(comments[0].site, authors)
        # The owner's search finds what was imported (its postings after the comments).
        postings: dict[Key, it.Item] = {}
        for c in comments:
            if _key(it.comment_key(c.site, c.uri, c.id)) in new_ids:
                for index_key in index_keys(c):
                    item = posting(c.site, index_key, c)
                    postings.setdefault(_key(item), item)
        self._write([{"PutRequest": {"Item": item}} for item in postings.values()])
        new_threads = sum(1 for t in threads if _key(it.thread_key(t.site, t.uri)) in new_ids)
        return Written(threads=new_threads, comments=len(new_ids) - new_threads)

    def _add_authors(self, site: str, authors: Counter[str]) -> None:
        """The authors' tallies of approved comments (first-time moderation), after the
        comments: a crash in between leaves an author moderated once more, never trusted for
        comments that were not written. Read, then written whole in batches (an UpdateItem
        each would be one request per reader): a reader's post landing on the same tally in
        between is the one write this can lose, which leaves its author moderated once more.
        """
        keys = {email: it.author_key(site, email) for email in authors}
        old = {_key(i): it.num(i, "n") for i in self._get(list(keys.values()), "pk, sk, #n")}
        self._write(
            [
                {"PutRequest": {"Item": {**key, "n": it.n(old.get(_key(key), 0) + authors[e])}}}
                for e, key in keys.items()
            ]
        )

    # 1+ Query over the thread's partition, then 1 UpdateItem per comment whose replies are
    # wrong and 1 for the thread's count if it is.
    def recount(self, site: str, uri: str) -> Thread | None:
        items = list(self._partition(site, uri, it.THREAD_SK))  # the thread, then its comments
        thread = it.to_thread(items.pop(0)) if items and it.is_thread(items[0]) else None
        rows = [(it.to_comment(item), it.num(item, "replies")) for item in items]
        numbers = tally((c.id, c.parent, c.status) for c, _ in rows)
        # Only what differs is written: each change rewrites a whole item (and its index copy).
        updates = [
            self._set_number(it.comment_key(site, uri, c.id), "replies", numbers.replies[c.id])
            for c, stored in rows
            if numbers.replies[c.id] != stored
        ]
        inbound = sum(1 for c, _ in rows if c.status is Status.APPROVED and c.origin is not None)
        if thread is not None and thread.count != numbers.count:
            updates.append(self._set_number(it.thread_key(site, uri), "count", numbers.count))
            thread = replace(thread, count=numbers.count)
        if thread is not None and thread.inbound != inbound:
            updates.append(self._set_number(it.thread_key(site, uri), it.INBOUND, inbound))
            thread = replace(thread, inbound=inbound)
        self._each(updates)
        if thread is not None:  # last: the thread's read version (the import's comments)
            touch = {**w.touch(self.table, site, uri), "ReturnValues": "ALL_NEW"}
            with suppress(ConditionFailed):  # erased meanwhile: nothing left to show
                out = self._retrying("UpdateItem", lambda: self._client.update_item(**touch))
                thread = it.to_thread(out["Attributes"])
        return thread

    def _set_number(self, key: it.Item, name: str, value: int) -> dict[str, Any]:
        return {
            "TableName": self.table,
            "Key": key,
            "UpdateExpression": "SET #n = :v",
            "ConditionExpression": "attribute_exists(pk)",  # never create a stray item
            "ExpressionAttributeNames": {"#n": name},
            "ExpressionAttributeValues": {":v": it.n(value)},
        }

    # -- reads (exports) -------------------------------------------------------------------------

    # A paginated Scan, filtered to the site's thread items: an export reads the whole table
    # once (1 read unit per 8 KB scanned, eventually consistent). Never on a reader's path.
    def threads(self, site: str) -> Iterator[Thread]:
        params: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": "begins_with(pk, :prefix) AND sk = :thread",
            "ExpressionAttributeValues": {
                ":prefix": it.s(it.thread_pk(site, "")),
                ":thread": it.s(it.THREAD_SK),
            },
        }
        # A Scan comes in hash order, which differs from site to site: sorted by uri (as SQLite
        # gives them), an export is the same file whatever the store. Thread items are small.
        found: list[Thread] = []
        while True:
            out = self._retrying("Scan", lambda: self._client.scan(**params))
            found += [it.to_thread(item) for item in out.get("Items", [])]
            if "LastEvaluatedKey" not in out:
                break
            params["ExclusiveStartKey"] = out["LastEvaluatedKey"]
        yield from sorted(found, key=lambda thread: thread.uri)

    # A paginated Scan for the markers a cut-short counter move left (counters.py), then
    # `repair` per thread. The whole table is read: run from `parley repair`, never a request.
    def marked_threads(self, site: str) -> list[str]:
        params: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": "begins_with(pk, :prefix) AND "
            "(attribute_exists(#tally) OR attribute_exists(#untally))",
            "ExpressionAttributeNames": {"#tally": w.TALLY, "#untally": w.UNTALLY},
            "ExpressionAttributeValues": {":prefix": it.s(it.thread_pk(site, ""))},
            "ProjectionExpression": "#uri, pk",
        }
        params["ExpressionAttributeNames"]["#uri"] = "uri"
        prefix = it.thread_pk(site, "")
        found: set[str] = set()
        while True:
            out = self._retrying("Scan", lambda: self._client.scan(**params))
            found.update(item["pk"]["S"][len(prefix) :] for item in out.get("Items", []))
            if "LastEvaluatedKey" not in out:
                return sorted(found)
            params["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    # An export, whole per comment while readers write: the thread's public parts (1+ Query),
    # their private parts (1+ Query), the public parts again (1+ Query), all consistent. Every
    # write that touches a private part (post, edit, reader's delete, erase) changes its public
    # part in the same transaction, so a comment whose public part reads the same before and
    # after had its private part unchanged in between: the two belong together. Any other one
    # (posted, edited, liked or erased meanwhile, or without a private part: a tombstone) is
    # read again, both parts in one TransactGetItems (atomic), 50 comments a request. A public
    # part with no private part that is not a tombstone is refused, never exported emptied.
    def thread_comments(self, site: str, uri: str) -> Iterator[Comment]:
        before = {item["id"]["S"]: item for item in self._partition(site, uri, it.comment_sk(""))}
        private = {
            item["sk"]["S"][len(it.PRIVATE_PREFIX) :]: item
            for item in self._partition(site, uri, it.PRIVATE_PREFIX, prefix=True)
        }
        after = list(self._partition(site, uri, it.comment_sk("")))
        moved = [
            item["id"]["S"]
            for item in after
            if before.get(item["id"]["S"]) != item or item["id"]["S"] not in private
        ]
        again = self._whole(site, uri, moved)
        for item in after:
            comment_id = item["id"]["S"]
            if comment_id not in again:
                yield it.to_comment(item, private[comment_id])
            elif (whole := again[comment_id]) is not None:
                yield whole

    def _whole(self, site: str, uri: str, ids: list[str]) -> dict[str, Comment | None]:
        """Each comment's two parts read together, atomically (None: erased meanwhile)."""
        found: dict[str, Comment | None] = {}
        for start in range(0, len(ids), TRANSACT_GET // 2):
            chunk = ids[start : start + TRANSACT_GET // 2]
            gets = [
                {"Get": {"TableName": self.table, "Key": key(site, uri, i)}}
                for i in chunk
                for key in (it.comment_key, it.private_key)
            ]
            out = self._atomic_get(gets)
            for n, comment_id in enumerate(chunk):
                public = out[2 * n].get("Item")
                part = out[2 * n + 1].get("Item")
                if public is None:
                    found[comment_id] = None
                elif part is None and not _tombstone(public):
                    raise errors.StoreUnavailable(
                        f"comment {comment_id} of {site} {uri} has no private part (its email "
                        "and source text): refusing to export it emptied",
                        retry_after=30,
                    )
                else:
                    found[comment_id] = it.to_comment(public, part)
        return found

    def _atomic_get(self, gets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for attempt in range(ATTEMPTS):
            try:
                out = self._retrying(
                    "TransactGetItems",
                    lambda: self._client.transact_get_items(TransactItems=gets),  # type: ignore[arg-type]
                )
                return list(out["Responses"])
            except Cancelled:  # a write's transaction on one of the items was in flight
                backoff(attempt, base=0.05)
        raise errors.StoreUnavailable(retry_after=5)

    # -- requests --------------------------------------------------------------------------------

    def _partition(
        self, site: str, uri: str, lo: str, *, prefix: bool = False
    ) -> Iterator[it.Item]:
        """The thread's items from `lo` to its last comment, or (`prefix`) those whose sort key
        begins with `lo`."""
        values = {":pk": it.s(it.thread_pk(site, uri)), ":lo": it.s(lo)}
        if not prefix:
            values[":hi"] = it.s(it.COMMENTS_END)
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND "
            + ("begins_with(sk, :lo)" if prefix else "sk BETWEEN :lo AND :hi"),
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
        }
        while True:
            out = self._retrying("Query", lambda: self._client.query(**params))
            yield from out.get("Items", [])
            if "LastEvaluatedKey" not in out:
                return
            params["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def _stored(self, keys: list[it.Item]) -> set[Key]:
        return {_key(item) for item in self._get(keys, "pk, sk")}

    def _get(self, keys: list[it.Item], projection: str) -> list[it.Item]:
        unique = list({_key(k): k for k in keys}.values())  # BatchGetItem refuses duplicates
        chunks = [unique[i : i + GET_BATCH] for i in range(0, len(unique), GET_BATCH)]
        names = {"ExpressionAttributeNames": {"#n": "n"}} if "#n" in projection else {}

        def get(pending: list[it.Item]) -> list[it.Item]:
            found: list[it.Item] = []
            for attempt in range(ATTEMPTS):
                keys: dict[str, Any] = {"Keys": pending, "ProjectionExpression": projection}
                request = {self.table: {**keys, **names}}
                out = self._retrying(
                    "BatchGetItem", lambda r=request: self._client.batch_get_item(RequestItems=r)
                )
                found += out.get("Responses", {}).get(self.table, [])
                pending = list(out.get("UnprocessedKeys", {}).get(self.table, {}).get("Keys", []))
                if not pending:
                    return found
                backoff(attempt, base=0.05)  # DynamoDB throttled part of the batch: slow down
            raise errors.StoreUnavailable(retry_after=5)

        return [item for items in self._parallel(get, chunks) for item in items]

    def _write(self, requests: list[dict[str, Any]]) -> None:
        chunks = [requests[i : i + WRITE_BATCH] for i in range(0, len(requests), WRITE_BATCH)]

        def write(pending: list[dict[str, Any]]) -> None:
            for attempt in range(ATTEMPTS):
                out = self._retrying(
                    "BatchWriteItem",
                    lambda p=pending: self._client.batch_write_item(RequestItems={self.table: p}),
                )
                pending = list(out.get("UnprocessedItems", {}).get(self.table, []))
                if not pending:
                    return
                backoff(attempt, base=0.05)  # DynamoDB throttled part of the batch: slow down
            raise errors.StoreUnavailable(retry_after=5)

        self._parallel(write, chunks)

    def _parallel(self, work: Callable[[T], R], jobs: list[T]) -> list[R]:
        """`work` on each job, PARALLEL at a time: an import from a laptop waits on latency,
        not on DynamoDB, and each job (a batch, an update) stands alone."""
        if PARALLEL < 2 or len(jobs) < 2:
            return [work(job) for job in jobs]
        from concurrent.futures import ThreadPoolExecutor  # not at import: see store.py

        with ThreadPoolExecutor(min(PARALLEL, len(jobs))) as pool:
            return list(pool.map(work, jobs))

    def _each(self, updates: list[dict[str, Any]]) -> None:
        """Single-item UpdateItems, a few at a time (each is independent and idempotent)."""

        def update(params: dict[str, Any]) -> None:
            # ConditionFailed: the item went away meanwhile (erased): nothing to count.
            with suppress(ConditionFailed):
                self._retrying("UpdateItem", lambda: self._client.update_item(**params))

        self._parallel(update, updates)

    def _retrying(self, operation: str, call: Any) -> Any:
        """One request, tried again with backoff while DynamoDB throttles (an import is a long
        burst; the client's own three attempts suit a reader's request, not this)."""
        for attempt in range(ATTEMPTS):
            try:
                with translate(operation):
                    return call()
            except errors.StoreUnavailable as exc:
                # A long Retry-After means our fault (no table, bad credentials): stop now.
                if attempt == ATTEMPTS - 1 or (exc.retry_after or 0) > 2:
                    raise
                backoff(attempt, base=0.1)
        raise AssertionError("unreachable")
