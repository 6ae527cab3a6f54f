"""The requests every part of the DynamoDB store builds on: one table, one connection.

`Reads`, `Writes` and `Moderation` derive from `Table`; `DynamoStore` joins them. Each helper is
one request (or a bounded loop of them), always through `translate`, so callers see domain
errors, never a client's. GetItem, Query and BatchGetItem go through the connection (Parley's
own client where it has one: client.py); everything else through `_client`, botocore's client,
built on the first request that needs it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from backend.domain import errors
from backend.domain.models import Comment, Thread
from backend.store.dynamo import items as it
from backend.store.dynamo import updates as w
from backend.store.dynamo.client import Cancelled, ConditionFailed, Connection, backoff, translate

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TRANSACTION_ATTEMPTS = 4  # our own retries of a transaction that lost a race (TransactionConflict)
BATCH_ATTEMPTS = 6  # BatchGetItem rounds for UnprocessedKeys before answering 503
BATCH_KEYS = 100  # BatchGetItem's limit


class Table:
    # A stamp lookup would be a billed request per read, so the app skips its response cache.
    cheap_stamps = False

    def __init__(self, table: str, client: DynamoDBClient | Connection) -> None:
        self.table = table
        self._conn = client if isinstance(client, Connection) else Connection.of(client)

    @property
    def _client(self) -> DynamoDBClient:
        """botocore's client (built on first use): every request but the three reads."""
        return self._conn.boto

    @property
    def client(self) -> DynamoDBClient:
        """botocore's client, for instrumentation (request counting, fault injection): its
        events are raised for the wire client's requests too (events.py)."""
        return self._conn.instrumented()

    def close(self) -> None:
        self._conn.close()

    def _get(self, key: it.Item, *, consistent: bool = False) -> it.Item | None:
        with translate("GetItem"):
            out = self._conn.get_item(TableName=self.table, Key=key, ConsistentRead=consistent)
        item: it.Item | None = out.get("Item")
        return item

    def _query(self, params: dict[str, Any], want: int | None) -> list[it.Item]:
        return self._query_bounded(params, want, None)[0]

    def _query_bounded(
        self, params: dict[str, Any], want: int | None, max_chars: int | None
    ) -> tuple[list[it.Item], bool, int]:
        """Run a Query until `want` items passed its filter or the key range is exhausted, or
        (with `max_chars`) until the items read hold that many characters of html. Returns the
        items, whether the range may hold more, and how many requests it took.

        `Limit` counts items read before the FilterExpression, so a page among hidden (pending,
        spam) comments takes another request; a page without any takes exactly one. Each
        further request reads twice as far, so a long run of hidden comments costs few requests.
        May return more than `want` items. The character bound keeps a page of very long
        comments from costing several 1 MB Queries: one request reads at most 1 MB anyway.
        """
        params = {"TableName": self.table, **params}
        items: list[it.Item] = []
        limit = 0
        chars = 0
        requests = 0
        while True:
            if want is not None:
                limit = max(want - len(items), 2 * limit)
                params["Limit"] = limit
            with translate("Query"):
                out = self._conn.query(**params)
            requests += 1
            found = out.get("Items", [])
            items += found
            last = out.get("LastEvaluatedKey")
            if last is None:
                return items, False, requests
            if want is not None and len(items) >= want:
                return items, True, requests
            if max_chars is not None:
                # html alone, as the service's bound counts: a long uri (in every key) must
                # not cut a page short.
                chars += sum(len(i["html"]["S"]) for i in found if "html" in i)
                if chars >= max_chars:
                    return items, True, requests
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

    def _set_thread(self, site: str, uri: str, now: datetime, values: dict[str, it.Item]) -> Thread:
        """1 UpdateItem: set `values` (attribute name -> typed value) on the thread item,
        making the item (created now, no comments) when the thread has none yet."""
        sets = ", ".join(f"#{name} = :{name}" for name in values)
        with translate("UpdateItem"):
            out = self._client.update_item(
                TableName=self.table,
                Key=it.thread_key(site, uri),
                UpdateExpression=(
                    f"SET {sets}, #site = :site, #uri = :uri, "
                    "#created = if_not_exists(#created, :now), "
                    "#count = if_not_exists(#count, :zero) " + w.READ_VERSION_ADD
                ),
                ExpressionAttributeNames={
                    **{f"#{name}": name for name in (*values, "site", "uri", "created", "count")},
                    "#rv": w.READ_VERSION,
                },
                ExpressionAttributeValues={
                    **{f":{name}": value for name, value in values.items()},
                    ":site": it.s(site),
                    ":uri": it.s(uri),
                    ":now": it.n(it.ms(now)),
                    ":zero": it.n(0),
                    ":one": it.n(1),
                },
                ReturnValues="ALL_NEW",
            )
        return it.to_thread(out["Attributes"])

    def _touch(self, site: str, uri: str) -> None:
        """1 UpdateItem: the thread's read version moved (updates.py, READ_VERSION), after a
        write a page view shows that moved no counter of the thread; no thread item, no-op."""
        try:
            with translate("UpdateItem"):
                self._client.update_item(**w.touch(self.table, site, uri))
        except ConditionFailed:
            return

    def _thread_range(self, site: str, uri: str, lo: str) -> dict[str, Any]:
        return {
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {
                ":pk": it.s(it.thread_pk(site, uri)),
                ":lo": it.s(lo),
                ":hi": it.s(it.COMMENTS_END),
            },
        }

    # 1 BatchGetItem of the comment and its private part, strongly consistent (an edit or a
    # replay reads what was just written).
    def get_comment(self, site: str, uri: str, comment_id: str) -> Comment | None:
        keys = [it.comment_key(site, uri, comment_id), it.private_key(site, uri, comment_id)]
        found = it.joined(self._batch_get(keys, consistent=True))
        return found[0] if found else None

    # 1 GetItem, strongly consistent: the public part only (status, counters), for the store's
    # own checks that need no email nor source text.
    def _public_comment(self, site: str, uri: str, comment_id: str) -> Comment | None:
        item = self._get(it.comment_key(site, uri, comment_id), consistent=True)
        return None if item is None else it.to_comment(item)

    def _batch_get(
        self, keys: list[it.Item], attributes: tuple[str, ...] = (), *, consistent: bool = False
    ) -> list[it.Item]:
        """One BatchGetItem per 100 keys (+ rounds for UnprocessedKeys), in any order; only
        `attributes` when given."""
        found: list[it.Item] = []
        for start in range(0, len(keys), BATCH_KEYS):
            found += self._batch_get_one(keys[start : start + BATCH_KEYS], attributes, consistent)
        return found

    def _batch_get_one(
        self, keys: list[it.Item], attributes: tuple[str, ...], consistent: bool
    ) -> list[it.Item]:
        found: list[it.Item] = []
        for attempt in range(BATCH_ATTEMPTS):
            wanted: dict[str, Any] = {"Keys": keys, "ConsistentRead": consistent}
            if attributes:
                wanted["ProjectionExpression"] = ", ".join(f"#{a}" for a in attributes)
                wanted["ExpressionAttributeNames"] = {f"#{a}": a for a in attributes}
            request = {self.table: wanted}
            with translate("BatchGetItem"):
                out = self._conn.batch_get_item(RequestItems=request)
            found += out.get("Responses", {}).get(self.table, [])
            unprocessed = out.get("UnprocessedKeys", {})
            keys = list(unprocessed[self.table]["Keys"]) if self.table in unprocessed else []
            if not keys:
                return found
            backoff(attempt, base=0.05)  # DynamoDB throttled part of the batch: slow down
        raise errors.StoreUnavailable(retry_after=1)
