"""The DynamoDB store: one table, single-table design, for Lambda (see docs/dynamodb.md).

Every method is a fixed, small number of requests, written next to it; none is ever a Scan.
Each write that must move several items together (a post and its thread's count, a like and
the like count, a status and the counts it moves) is one TransactWriteItems.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from backend.domain import errors
from backend.domain.models import (
    Comment,
    NewComment,
    OutboxEvent,
    Page,
    QueuePage,
    Status,
    Thread,
)
from backend.settings import StoreURL
from backend.store import dynamo_items as it
from backend.store import dynamo_writes as w
from backend.store.base import Written
from backend.store.dynamo_client import (
    Cancelled,
    ConditionFailed,
    backoff,
    create_table,
    load_definition,
    make_client,
    table_spec,
    translate,
)
from backend.store.dynamo_outbox import DynamoOutbox, event_puts

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.session import Session
    from mypy_boto3_dynamodb import DynamoDBClient

    from backend.store.dynamo_bulk import Bulk

TRANSACTION_ATTEMPTS = 4  # our own retries of a transaction that lost a race (TransactionConflict)
BATCH_ATTEMPTS = 6  # BatchGetItem rounds for UnprocessedKeys before answering 503
STATUS_ATTEMPTS = 3  # re-reads when a comment's status changed under a moderation action

# The thread item is the one without a status. DynamoDB refuses a filter on a key attribute, so
# "sk = '#'" cannot say it (moto accepts it, which is how that bug once reached a release).
_VISIBLE = (
    "attribute_not_exists(#status) OR #status = :approved"
    " OR (#status = :deleted AND #replies > :zero)"
)
_NAMES = w.NAMES
_names = w.names


class DynamoStore(DynamoOutbox):
    # A stamp lookup would be a billed request per read, so the app skips its response cache.
    cheap_stamps = False

    def __init__(self, table: str, client: DynamoDBClient) -> None:
        self.table = table
        self._client = client

    @classmethod
    def from_url(
        cls, url: StoreURL, session: Session | None = None, config: Config | None = None
    ) -> DynamoStore:
        return cls(url.table, make_client(url.region, url.endpoint, session, config))

    @property
    def client(self) -> DynamoDBClient:
        """The botocore client, for instrumentation (request counting, fault injection)."""
        return self._client

    def setup(self) -> None:
        self.init_table()

    def init_table(self) -> list[str]:
        """Create the table from table.json (idempotent); returns what was done, line by line."""
        return create_table(self._client, table_spec(load_definition(), self.table))

    def close(self) -> None:
        self._client.close()

    # -- request helpers -------------------------------------------------------------------------

    def _get(self, key: it.Item, *, consistent: bool = False) -> it.Item | None:
        with translate("GetItem"):
            out = self._client.get_item(TableName=self.table, Key=key, ConsistentRead=consistent)
        item: it.Item | None = out.get("Item")
        return item

    def _query(self, params: dict[str, Any], want: int | None) -> list[it.Item]:
        """Run a Query until `want` items passed its filter or the key range is exhausted.

        `Limit` counts items read before the FilterExpression, so a page among hidden (pending,
        spam) comments takes another request; a page without any takes exactly one. Each
        further request reads twice as far, so a long run of hidden comments costs few requests.
        May return more than `want` items.
        """
        params = {"TableName": self.table, **params}
        items: list[it.Item] = []
        limit = 0
        while True:
            if want is not None:
                limit = max(want - len(items), 2 * limit)
                params["Limit"] = limit
            with translate("Query"):
                out = self._client.query(**params)
            items += out.get("Items", [])
            last = out.get("LastEvaluatedKey")
            if last is None or (want is not None and len(items) >= want):
                return items
            params["ExclusiveStartKey"] = last

    def _transact(self, items: list[dict[str, Any]]) -> None:
        """One TransactWriteItems, run again (with jitter) only when it lost a race."""
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                with translate("TransactWriteItems"):
                    self._client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
                return
            except Cancelled as cancelled:
                if not cancelled.conflict:
                    raise
                backoff(attempt)
        raise errors.StoreUnavailable(retry_after=1)

    def _thread_range(self, site: str, uri: str, lo: str) -> dict[str, Any]:
        return {
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {
                ":pk": it.s(it.thread_pk(site, uri)),
                ":lo": it.s(lo),
                ":hi": it.s(it.COMMENTS_END),
            },
        }

    # -- reads -----------------------------------------------------------------------------------

    # 1 GetItem (eventually consistent).
    def get_thread(self, site: str, uri: str) -> Thread | None:
        item = self._get(it.thread_key(site, uri))
        return None if item is None else it.to_thread(item)

    # Query(s) over the whole thread partition, strongly consistent. Never on a reader's path:
    # the app only asks for stamps when `cheap_stamps` is True.
    def thread_stamp(self, site: str, uri: str) -> str | None:
        params = self._thread_range(site, uri, it.THREAD_SK)
        items = self._query({**params, "ConsistentRead": True}, None)
        if not items or not it.is_thread(items[0]):
            return None
        # The digest of everything a read shows: any write to the thread changes it.
        body = json.dumps(items, sort_keys=True).encode()
        return hashlib.blake2b(body, digest_size=12).hexdigest()

    # First page: 1 Query returning the thread item and the comments together. Later pages:
    # 1 Query (from the cursor's ExclusiveStartKey) + 1 GetItem for the thread.
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
        items = self._query(params, want)
        thread_item = items[0] if items and it.is_thread(items[0]) else None
        comments = [it.to_comment(i) for i in items if not it.is_thread(i)]
        thread = (
            self.get_thread(site, uri)
            if after is not None
            else (None if thread_item is None else it.to_thread(thread_item))
        )
        next_after = comments[limit - 1].id if len(comments) > limit else None
        return Page(thread, comments[:limit], next_after)

    # 1 GetItem, strongly consistent (an edit or a replay reads what was just written).
    def get_comment(self, site: str, uri: str, comment_id: str) -> Comment | None:
        item = self._get(it.comment_key(site, uri, comment_id), consistent=True)
        return None if item is None else it.to_comment(item)

    # 1 BatchGetItem per 100 uris (+ rounds for UnprocessedKeys), projecting only the count.
    def counts(self, site: str, uris: Sequence[str]) -> dict[str, int]:
        result = dict.fromkeys(uris, 0)
        unique = list(result)  # BatchGetItem refuses a key asked twice
        for start in range(0, len(unique), 100):
            keys = [it.thread_key(site, uri) for uri in unique[start : start + 100]]
            for item in self._batch_get(keys):
                result[item["uri"]["S"]] = it.num(item, "count")
        return result

    def _batch_get(self, keys: list[it.Item]) -> list[it.Item]:
        found: list[it.Item] = []
        for attempt in range(BATCH_ATTEMPTS):
            request = {
                self.table: {
                    "Keys": keys,
                    "ProjectionExpression": "#uri, #count",
                    "ExpressionAttributeNames": {"#uri": "uri", "#count": "count"},
                }
            }
            with translate("BatchGetItem"):
                out = self._client.batch_get_item(RequestItems=request)  # type: ignore[arg-type]
            found += out.get("Responses", {}).get(self.table, [])
            unprocessed = out.get("UnprocessedKeys", {})
            keys = list(unprocessed[self.table]["Keys"]) if self.table in unprocessed else []
            if not keys:
                return found
            backoff(attempt, base=0.05)  # DynamoDB throttled part of the batch: slow down
        raise errors.StoreUnavailable(retry_after=1)

    # 1 Query (more only when the newest comments are mostly hidden).
    def recent(self, site: str, uri: str | None, limit: int) -> list[Comment]:
        if uri is None:
            params: dict[str, Any] = {
                "IndexName": "gsi1",
                "KeyConditionExpression": "gsi1pk = :g",
                "ExpressionAttributeValues": {":g": it.s(it.status_pk(site, Status.APPROVED))},
            }
        else:
            params = self._thread_range(site, uri, it.comment_sk(""))
            params["FilterExpression"] = "#status = :approved"
            params["ExpressionAttributeNames"] = _NAMES
            params["ExpressionAttributeValues"][":approved"] = it.s(Status.APPROVED.value)
        params["ScanIndexForward"] = False
        return [it.to_comment(i) for i in self._query(params, limit)[:limit]]

    # 1 Query on gsi1, newest first.
    def queue(self, site: str, status: Status, *, after: str | None, limit: int) -> QueuePage:
        params: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :g",
            "ExpressionAttributeValues": {":g": it.s(it.status_pk(site, status))},
            "ScanIndexForward": False,
        }
        if after is not None:
            params["KeyConditionExpression"] += " AND gsi1sk < :after"
            params["ExpressionAttributeValues"][":after"] = it.s(after)
        comments = [it.to_comment(i) for i in self._query(params, limit + 1)]
        next_after = comments[limit - 1].id if len(comments) > limit else None
        return QueuePage(comments[:limit], next_after)

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

    # -- writes ----------------------------------------------------------------------------------

    # 1 TransactWriteItems (+1 GetItem when the idempotency key was taken).
    def create_comment(self, new: NewComment) -> Comment:
        items = w.post_items(self.table, new) + event_puts(self.table, new.events)
        try:
            self._transact(items)
        except Cancelled as cancelled:
            raise self._post_refused(cancelled, new) from None
        return new.comment

    def _post_refused(self, cancelled: Cancelled, new: NewComment) -> errors.ParleyError:
        """The domain error a cancelled post means, most telling reason first."""
        c = new.comment
        if cancelled.failed(w.POST_KEY):
            # A retry of a post that landed: answer with the first comment.
            item = self._get(it.idempotency_key(c.site, new.idempotency_key), consistent=True)
            if item is not None:
                return errors.DuplicateKey(item["comment_id"]["S"])
        if cancelled.failed(w.POST_THREAD):
            return errors.ThreadLocked()
        if c.parent is not None and cancelled.failed(w.POST_PARENT):
            return errors.ParentNotFound()
        return errors.StoreUnavailable(retry_after=1)  # e.g. an id collision: try again

    # 1 UpdateItem (returns the new comment).
    def edit_comment(
        self, site: str, uri: str, comment_id: str, *, text: str, html: str, edited: datetime
    ) -> Comment:
        try:
            with translate("UpdateItem"):
                out = self._client.update_item(
                    TableName=self.table,
                    Key=it.comment_key(site, uri, comment_id),
                    UpdateExpression="SET #text = :text, #html = :html, #edited = :edited",
                    ConditionExpression=(
                        "attribute_exists(pk) AND NOT (#status IN (:deleted, :spam))"
                    ),
                    ExpressionAttributeNames=_names("status", "text", "html", "edited"),
                    ExpressionAttributeValues={
                        ":text": it.s(text),
                        ":html": it.s(html),
                        ":edited": it.n(it.ms(edited)),
                        ":deleted": it.s(Status.DELETED.value),
                        ":spam": it.s(Status.SPAM.value),
                    },
                    ReturnValues="ALL_NEW",
                )
        except ConditionFailed:
            raise errors.CommentNotFound() from None
        return it.to_comment(out["Attributes"])

    # 1 GetItem + 1 UpdateItem when no count moves, else 1 GetItem + 1 TransactWriteItems
    # (the comment, the thread's count, the parent's replies, the author's counter).
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
        for _ in range(STATUS_ATTEMPTS):
            old = self.get_comment(site, uri, comment_id)
            if old is None:
                raise errors.CommentNotFound()
            try:
                return self._move_status(old, status, scrub, events)
            except (ConditionFailed, Cancelled):
                continue  # moderated concurrently: read the new state and move from there
        raise errors.StoreUnavailable(retry_after=1)

    def _move_status(
        self, old: Comment, status: Status, scrub: bool, events: Sequence[OutboxEvent]
    ) -> Comment:
        delta = int(status is Status.APPROVED) - int(old.status is Status.APPROVED)
        update = "SET #status = :new, gsi1pk = :g"
        names = dict(_NAMES)
        if scrub:  # a reader deleting their comment: keep the tombstone, drop the words
            update += ", #text = :empty, #html = :empty"
            names.update({"#text": "text", "#html": "html"})
        comment: dict[str, Any] = {
            "TableName": self.table,
            "Key": it.comment_key(old.site, old.uri, old.id),
            "UpdateExpression": update,
            # Conditioned on the status we read, so a concurrent change cannot drift counters.
            "ConditionExpression": "#status = :old",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {
                ":new": it.s(status.value),
                ":old": it.s(old.status.value),
                ":g": it.s(it.status_pk(old.site, status)),
                **({":empty": it.s("")} if scrub else {}),
            },
        }
        if not delta and not events:
            with translate("UpdateItem"):
                out = self._client.update_item(**comment, ReturnValues="ALL_NEW")
            return it.to_comment(out["Attributes"])
        items: list[dict[str, Any]] = [{"Update": comment}]
        if delta:
            key = it.thread_key(old.site, old.uri)
            items.append(w.count_update(self.table, key, "#count", delta))
        if old.parent is not None and delta:
            key = it.comment_key(old.site, old.uri, old.parent)
            items.append(w.count_update(self.table, key, "#replies", delta))
        if old.email and delta:
            items.append(w.author_update(self.table, old.site, old.email, delta))
        self._transact(items + event_puts(self.table, events))
        return old.evolve(status=status, **({"text": "", "html": ""} if scrub else {}))

    # 1 GetItem + 1 Query (the comment's likes) + 1 TransactWriteItems: the comment deleted
    # (or emptied into a tombstone when it has replies), its likes, and the counts it held.
    def erase(self, site: str, uri: str, comment_id: str) -> None:
        for _ in range(STATUS_ATTEMPTS):
            old = self.get_comment(site, uri, comment_id)
            if old is None:
                raise errors.CommentNotFound()
            try:
                self._erase(old)
                return
            except (ConditionFailed, Cancelled):
                continue  # changed under us (a reply, a moderation): read again
        raise errors.StoreUnavailable(retry_after=1)

    def _erase(self, old: Comment) -> None:
        items = [w.erase_comment(self.table, old)]
        if old.status is Status.APPROVED:  # it counted: un-count it as set_status would
            items.append(w.count_update(self.table, it.thread_key(old.site, old.uri), "#count", -1))
            if old.parent is not None:
                key = it.comment_key(old.site, old.uri, old.parent)
                items.append(w.count_update(self.table, key, "#replies", -1))
            if old.email:
                items.append(w.author_update(self.table, old.site, old.email, -1))
        likes: list[it.Item] = []
        if not old.replies:  # removed for good, so are its likes (voter hashes)
            likes = self._query(
                {
                    "KeyConditionExpression": "pk = :pk AND begins_with(sk, :likes)",
                    "ExpressionAttributeValues": {
                        ":pk": it.s(it.thread_pk(old.site, old.uri)),
                        ":likes": it.s(it.like_prefix(old.id)),
                    },
                    "ProjectionExpression": "pk, sk",
                },
                None,
            )
        deletes = [{"Delete": {"TableName": self.table, "Key": key}} for key in likes]
        # A transaction holds 100 items: likes beyond that go first, in their own.
        while len(deletes) > w.MAX_TRANSACTION - len(items):
            self._transact(deletes[: w.MAX_TRANSACTION])
            deletes = deletes[w.MAX_TRANSACTION :]
        self._transact(items + deletes)

    # 1 TransactWriteItems (the like item + likes + 1) + 1 GetItem for the count.
    def add_like(self, site: str, uri: str, comment_id: str, voter: str) -> int:
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": it.comment_key(site, uri, comment_id),
                    "UpdateExpression": "ADD #likes :one",
                    "ConditionExpression": "#status = :approved",
                    "ExpressionAttributeNames": {**_NAMES, "#likes": "likes"},
                    "ExpressionAttributeValues": {
                        ":one": it.n(1),
                        ":approved": it.s(Status.APPROVED.value),
                    },
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": it.like_key(site, uri, comment_id, voter),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        try:
            self._transact(items)
        except Cancelled as cancelled:
            if cancelled.failed(0) or not cancelled.failed(1):
                raise errors.CommentNotFound() from None
            # This voter liked it before: nothing changes, answer with the count.
        comment = self.get_comment(site, uri, comment_id)
        if comment is None or comment.status is not Status.APPROVED:
            raise errors.CommentNotFound()
        return comment.likes

    # 1 TransactWriteItems (delete the like item + likes - 1) + 1 GetItem for the count.
    def remove_like(self, site: str, uri: str, comment_id: str, voter: str) -> int:
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": it.comment_key(site, uri, comment_id),
                    "UpdateExpression": "ADD #likes :minus",
                    "ConditionExpression": "#status = :approved",
                    "ExpressionAttributeNames": {**_NAMES, "#likes": "likes"},
                    "ExpressionAttributeValues": {
                        ":minus": it.n(-1),
                        ":approved": it.s(Status.APPROVED.value),
                    },
                }
            },
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": it.like_key(site, uri, comment_id, voter),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        ]
        try:
            self._transact(items)
        except Cancelled as cancelled:
            if cancelled.failed(0) or not cancelled.failed(1):
                raise errors.CommentNotFound() from None
            # This voter has no like to take back: nothing changes, answer with the count.
        comment = self.get_comment(site, uri, comment_id)
        if comment is None or comment.status is not Status.APPROVED:
            raise errors.CommentNotFound()
        return comment.likes

    # 1 UpdateItem (creates the thread when needed, returns it).
    def set_locked(self, site: str, uri: str, locked: bool, now: datetime) -> Thread:
        with translate("UpdateItem"):
            out = self._client.update_item(
                TableName=self.table,
                Key=it.thread_key(site, uri),
                UpdateExpression=(
                    "SET #locked = :locked, #site = :site, #uri = :uri, "
                    "#created = if_not_exists(#created, :now), "
                    "#count = if_not_exists(#count, :zero)"
                ),
                ExpressionAttributeNames=_names("locked", "site", "uri", "created", "count"),
                ExpressionAttributeValues={
                    ":locked": it.b(locked),
                    ":site": it.s(site),
                    ":uri": it.s(uri),
                    ":now": it.n(it.ms(now)),
                    ":zero": it.n(0),
                },
                ReturnValues="ALL_NEW",
            )
        return it.to_thread(out["Attributes"])

    # 1 UpdateItem. The window is part of the key, so a bucket is only ever counted in its own
    # window: one that TTL has not deleted yet is simply never read again.
    def hit_rate(self, site: str, client: str, window: int, expires: int) -> int:
        with translate("UpdateItem"):
            out = self._client.update_item(
                TableName=self.table,
                Key=it.rate_key(site, client, window),
                UpdateExpression="ADD #hits :one SET #expires = :expires",
                ExpressionAttributeNames={"#hits": "hits", "#expires": "expires"},
                ExpressionAttributeValues={":one": it.n(1), ":expires": it.n(expires)},
                ReturnValues="UPDATED_NEW",
            )
        return it.num(out["Attributes"], "hits")

    # -- bulk (import and export): see dynamo_bulk.py --------------------------------------------

    @property
    def _bulk(self) -> Bulk:
        # Imported on first use: the Lambda handler never needs it (cold start).
        from backend.store.dynamo_bulk import Bulk

        return Bulk(self._client, self.table)

    def put_many(self, threads: Sequence[Thread], comments: Sequence[Comment]) -> Written:
        return self._bulk.put_many(threads, comments)

    def recount(self, site: str, uri: str) -> Thread | None:
        self._bulk.recount(site, uri)
        return self.get_thread(site, uri)

    def threads(self, site: str) -> Iterator[Thread]:
        return self._bulk.threads(site)

    def thread_comments(self, site: str, uri: str) -> Iterator[Comment]:
        return self._bulk.thread_comments(site, uri)
