"""The DynamoDB store's reads: a page view is one Query, counts one BatchGetItem per 100 uris.

The cost of each method, in requests, is written above it; none is ever a Scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from backend.domain.models import PAGE_CHARS, Comment, Page, QueuePage, Status, Thread
from backend.store.dynamo import items as it
from backend.store.dynamo import updates as w
from backend.store.dynamo.client import translate
from backend.store.dynamo.table import Table
from backend.store.dynamo.updates import NAMES as _NAMES

# The thread item is the one without a status. DynamoDB refuses a filter on a key attribute, so
# "sk = '#'" cannot say it (moto accepts it, which is how that bug once reached a release).
_VISIBLE = (
    "attribute_not_exists(#status) OR #status = :approved"
    " OR (#status = :deleted AND #replies > :zero)"
)


class Reads(Table):
    # 1 GetItem (eventually consistent).
    def get_thread(self, site: str, uri: str) -> Thread | None:
        item = self._get(it.thread_key(site, uri))
        return None if item is None else it.to_thread(item)

    # 1 GetItem of the thread item's creation and two versions, eventually consistent: 0.5 read
    # unit. The app asks only when it holds a first page of the thread to serve instead of the
    # Query.
    def thread_stamp(self, site: str, uri: str) -> str | None:
        with translate("GetItem"):
            out = self._conn.get_item(
                TableName=self.table,
                Key=it.thread_key(site, uri),
                ProjectionExpression="#c, #v, #rv, pk",
                ExpressionAttributeNames={"#c": "created", "#v": w.VERSION, "#rv": w.READ_VERSION},
            )
        item: it.Item | None = out.get("Item")
        return None if item is None else it.stamp_of(item)

    # First page: 1 Query returning the thread item and the comments together. Later pages:
    # 1 Query (from the cursor's ExclusiveStartKey) + 1 GetItem for the thread. Only the
    # comments' public parts are in the range: their text, email and ip_hash stay empty.
    def read_page(self, site: str, uri: str, *, after: str | None, limit: int) -> Page:
        params = self._thread_range(site, uri, it.THREAD_SK)
        params["FilterExpression"] = _VISIBLE
        params["ExpressionAttributeNames"] = {**_NAMES, "#replies": "replies"}
        params["ExpressionAttributeValues"].update(
            {
                ":approved": it.s(Status.APPROVED.value),
                ":deleted": it.s(Status.DELETED.value),
                ":zero": it.n(0),
            }
        )
        # One comment more than asked tells whether another page follows; the first page also
        # carries the thread item.
        want = limit + 1
        if after is not None:
            params["ExclusiveStartKey"] = it.comment_key(site, uri, after)
        else:
            want += 1
        items, more, requests = self._query_bounded(params, want, PAGE_CHARS)
        thread_item = items[0] if items and it.is_thread(items[0]) else None
        comments = [it.to_comment(i) for i in items if not it.is_thread(i)]
        thread = (
            self.get_thread(site, uri)
            if after is not None
            else (None if thread_item is None else it.to_thread(thread_item))
        )
        # The thread's stamp vouches for the page only when one request read both: one Query
        # reads one replica of the partition, where the writes that moved the stamp precede
        # it. A page read in several requests (or its thread apart) may mix replicas: no stamp.
        if thread is not None and (after is not None or requests > 1):
            thread = replace(thread, stamp="")
        if len(comments) > limit:
            next_after: str | None = comments[limit - 1].id
        else:  # stopped short by PAGE_CHARS, with more to read
            next_after = comments[-1].id if more and comments else None
        return Page(thread, comments[:limit], next_after)

    # 1 BatchGetItem per 100 uris (+ rounds for UnprocessedKeys), projecting only the counts.
    def counts(self, site: str, uris: Sequence[str], *, inbound: bool = True) -> dict[str, int]:
        result = dict.fromkeys(uris, 0)
        unique = list(result)  # BatchGetItem refuses a key asked twice
        for start in range(0, len(unique), 100):
            keys = [it.thread_key(site, uri) for uri in unique[start : start + 100]]
            for item in self._batch_get(keys, ("uri", "count", it.INBOUND)):
                left_out = 0 if inbound else it.num(item, it.INBOUND)
                result[item["uri"]["S"]] = it.num(item, "count") - left_out
        return result

    # One thread: 1 Query (more only when its newest comments are mostly hidden). The site: 1
    # Query on gsi1 (a small projection) + 1 BatchGetItem of those comments. Public parts only
    # (a feed shows what a page shows).
    def recent(self, site: str, uri: str | None, limit: int) -> list[Comment]:
        if uri is None:
            keys = self._index(site, Status.APPROVED, None, limit)
            return self._comments(keys, Status.APPROVED, consistent=False, private=False)[:limit]
        params = self._thread_range(site, uri, it.comment_sk(""))
        params["FilterExpression"] = "#status = :approved"
        params["ExpressionAttributeNames"] = _NAMES
        params["ExpressionAttributeValues"][":approved"] = it.s(Status.APPROVED.value)
        params["ScanIndexForward"] = False
        return [it.to_comment(i) for i in self._query(params, limit)[:limit]]

    # 1 Query on gsi1 (a small projection), newest first, + 1 BatchGetItem (consistent) per 50
    # comments, of each comment and its private part (a moderator sees emails and sources), or
    # per 100 comments of their public parts only (`private=False`: counts, the pending purge).
    def queue(
        self, site: str, status: Status, *, after: str | None, limit: int, private: bool = True
    ) -> QueuePage:
        keys = self._index(site, status, after, limit + 1)
        next_after = keys[limit - 1]["gsi1sk"]["S"] if len(keys) > limit else None
        comments = self._comments(keys[:limit], status, consistent=True, private=private)
        return QueuePage(comments, next_after)

    def _index(self, site: str, status: Status, after: str | None, want: int) -> list[it.Item]:
        """The newest keys of a site's comments in one status, from gsi1.

        gsi1 projects only keys, id, site, uri and the outbox event's fields (table.json): a
        like or a reply count never writes it, and an entry costs one write unit, so a busy
        site's one index partition per status takes ~1,000 comment writes a second
        (docs/dynamodb.md).
        """
        params: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :g",
            "ExpressionAttributeValues": {":g": it.s(it.status_pk(site, status))},
            "ScanIndexForward": False,
        }
        if after is not None:
            params["KeyConditionExpression"] += " AND gsi1sk < :after"
            params["ExpressionAttributeValues"][":after"] = it.s(after)
        return self._query(params, want)[:want]

    def _comments(
        self, keys: list[it.Item], status: Status, *, consistent: bool, private: bool
    ) -> list[Comment]:
        """The comments of gsi1 keys, in the keys' order, with their private parts when asked
        (the same BatchGetItem: two keys a comment); one whose status moved since the index
        was written (it lags the table a little) is left out."""
        if not keys:
            return []
        wanted = [{"pk": k["pk"], "sk": k["sk"]} for k in keys]
        if private:
            wanted += [{"pk": k["pk"], "sk": it.s(it.private_sk(k["gsi1sk"]["S"]))} for k in keys]
        found = {
            (c.uri, c.id): c
            for c in it.joined(self._batch_get(wanted, consistent=consistent))
            if c.status is status
        }
        ordered = [found.get((k["uri"]["S"], k["gsi1sk"]["S"])) for k in keys]
        return [c for c in ordered if c is not None]

    # 1 GetItem of the author's counter of approved comments.
    def author_approved(self, site: str, email: str) -> bool:
        item = self._get(it.author_key(site, email))
        return item is not None and it.num(item, "n") > 0

    # 1 GetItem. TTL deletes late, so an expired key still found here is ignored.
    def find_key(self, site: str, key: str, now: int) -> str | None:
        item = self._get(it.idempotency_key(site, key))
        if item is None or it.num(item, "expires") <= now:
            return None
        return str(item["comment_id"]["S"])
