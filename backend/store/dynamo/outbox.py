"""The notification side of the DynamoDB store (the `Outbox` half of the `Store` protocol),
mixed into DynamoStore. Item shapes (see docs/notifications.md):

- outbox event: pk `E#{id}`, sk `#`; kind, site, uri, comment_id, due, attempts, data,
  error; `gsi1pk = OUTBOX`, `gsi1sk = {due ms}#{id}` (the queue of due events); a dead letter
  (an event that can never be delivered) has `gsi1pk = OUTBOX#DEAD`, `gsi1sk = {id}` instead.
- sent marker: pk `D#{delivery key}`, sk `#`; `expires` (TTL).
- subscription: pk `N#{site}#{sha256 hex of uri}#{comment id}`, sk `#`; email (confirmed
  ones only). The uri is hashed: whole, it could push the key past 2,048 bytes.
- opt-out: pk `U#{site}#{email hash}`, sk `#`: an address that wants no mail from the site.

An event is one more Put in the TransactWriteItems of the write that causes it; the table's
Stream (filtered to `E#` inserts) feeds the worker function on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from backend.domain.models import OutboxEvent
from backend.store.dynamo import items as it
from backend.store.dynamo.client import ConditionFailed, translate
from backend.store.dynamo.table import Table

OUTBOX_PK = "OUTBOX"  # the due queue's partition on gsi1 (a blog's mail volume fits one)
DEAD_PK = "OUTBOX#DEAD"  # the dead letters' partition on gsi1: never due again
EVENT_PREFIX = "E#"


def _due_sk(due: float, event_id: str) -> str:
    return f"{int(due * 1000):015d}#{event_id}"


def event_key(event_id: str) -> it.Item:
    return {"pk": it.s(EVENT_PREFIX + event_id), "sk": it.s(it.THREAD_SK)}


def event_item(e: OutboxEvent) -> it.Item:
    return {
        **event_key(e.id),
        "gsi1pk": it.s(OUTBOX_PK),
        "gsi1sk": it.s(_due_sk(e.due, e.id)),
        "id": it.s(e.id),
        "kind": it.s(e.kind),
        "site": it.s(e.site),
        "uri": it.s(e.uri),
        "comment_id": it.s(e.comment_id),
        "due": it.n(int(e.due * 1000)),
        "attempts": it.n(e.attempts),
        "data": it.s(json.dumps(e.data, sort_keys=True)),
        "error": it.s(e.error),
    }


def to_event(item: it.Item) -> OutboxEvent:
    return OutboxEvent(
        id=item["id"]["S"],
        kind=item["kind"]["S"],
        site=item["site"]["S"],
        uri=item["uri"]["S"],
        comment_id=item["comment_id"]["S"],
        due=it.num(item, "due") / 1000,
        attempts=it.num(item, "attempts"),
        data=json.loads(item["data"]["S"]),
        error=item.get("error", {}).get("S", ""),
    )


def is_event(item: it.Item) -> bool:
    return str(item.get("pk", {}).get("S", "")).startswith(EVENT_PREFIX)


def event_puts(table: str, events: Sequence[OutboxEvent]) -> list[dict[str, Any]]:
    """TransactItems writing events beside another write."""
    return [{"Put": {"TableName": table, "Item": event_item(e)}} for e in events]


def _subscription_key(site: str, uri: str, comment_id: str) -> it.Item:
    return {"pk": it.s(f"N#{site}#{it.uri_digest(uri)}#{comment_id}"), "sk": it.s(it.THREAD_SK)}


def _opt_out_key(site: str, email_hash: str) -> it.Item:
    return {"pk": it.s(f"U#{site}#{email_hash}"), "sk": it.s(it.THREAD_SK)}


def _sent_key(key: str) -> it.Item:
    return {"pk": it.s(f"D#{key}"), "sk": it.s(it.THREAD_SK)}


class Outbox(Table):
    """Mixed into DynamoStore. Each method is one request."""

    def _put_new(self, operation: str, item: it.Item) -> bool:
        try:
            with translate(operation):
                self._client.put_item(
                    TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)"
                )
        except ConditionFailed:
            return False
        return True

    def _get_item(self, key: it.Item) -> it.Item | None:
        with translate("GetItem"):
            out = self._client.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        item: it.Item | None = out.get("Item")
        return item

    def _delete(self, key: it.Item) -> bool:
        with translate("DeleteItem"):
            out = self._client.delete_item(TableName=self.table, Key=key, ReturnValues="ALL_OLD")
        return bool(out.get("Attributes"))

    # 1 BatchWriteItem-free path: one PutItem per event (the worker's rare follow-ups).
    def enqueue(self, events: Sequence[OutboxEvent]) -> None:
        for e in events:  # a digest item written twice is the same item: no condition needed
            with translate("PutItem"):
                self._client.put_item(TableName=self.table, Item=event_item(e))

    # 1 Query on gsi1 (eventually consistent: an event a moment old may wait for the next run).
    def due_events(self, now: float, limit: int) -> list[OutboxEvent]:
        with translate("Query"):
            out = self._client.query(
                TableName=self.table,
                IndexName="gsi1",
                KeyConditionExpression="gsi1pk = :g AND gsi1sk < :hi",
                ExpressionAttributeValues={
                    ":g": it.s(OUTBOX_PK),
                    ":hi": it.s(f"{int(now * 1000) + 1:015d}"),
                },
                Limit=limit,
            )
        return [to_event(item) for item in out.get("Items", [])]

    # 1 DeleteItem.
    def finish_event(self, event_id: str) -> None:
        self._delete(event_key(event_id))

    # 1 UpdateItem (only while the event is still there: a finished event stays finished).
    def retry_event(self, event: OutboxEvent) -> None:
        try:
            with translate("UpdateItem"):
                self._client.update_item(
                    TableName=self.table,
                    Key=event_key(event.id),
                    UpdateExpression="SET #due = :due, gsi1sk = :sk, #attempts = :a, #error = :e",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames={
                        "#due": "due",
                        "#attempts": "attempts",
                        "#error": "error",
                    },
                    ExpressionAttributeValues={
                        ":due": it.n(int(event.due * 1000)),
                        ":sk": it.s(_due_sk(event.due, event.id)),
                        ":a": it.n(event.attempts),
                        ":e": it.s(event.error),
                    },
                )
        except ConditionFailed:
            pass

    # 1 UpdateItem (only while the event is still there): off the due queue, into the dead
    # letters' partition of gsi1.
    def bury_event(self, event: OutboxEvent) -> None:
        try:
            with translate("UpdateItem"):
                self._client.update_item(
                    TableName=self.table,
                    Key=event_key(event.id),
                    UpdateExpression="SET gsi1pk = :dead, gsi1sk = :id, "
                    "#attempts = :a, #error = :e",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames={"#attempts": "attempts", "#error": "error"},
                    ExpressionAttributeValues={
                        ":dead": it.s(DEAD_PK),
                        ":id": it.s(event.id),
                        ":a": it.n(event.attempts),
                        ":e": it.s(event.error),
                    },
                )
        except ConditionFailed:
            pass

    # 1 Query on gsi1 (eventually consistent).
    def dead_events(self, limit: int) -> list[OutboxEvent]:
        with translate("Query"):
            out = self._client.query(
                TableName=self.table,
                IndexName="gsi1",
                KeyConditionExpression="gsi1pk = :g",
                ExpressionAttributeValues={":g": it.s(DEAD_PK)},
                Limit=limit,
            )
        return [to_event(item) for item in out.get("Items", [])]

    # 1 GetItem, strongly consistent.
    def was_sent(self, key: str) -> bool:
        return self._get_item(_sent_key(key)) is not None

    # 1 PutItem; TTL removes the marker after `expires`.
    def mark_sent(self, key: str, now: int, expires: int) -> None:
        del now  # TTL sweeps
        with translate("PutItem"):
            self._client.put_item(
                TableName=self.table, Item={**_sent_key(key), "expires": it.n(expires)}
            )

    # 1 PutItem, conditional.
    def subscribe(self, site: str, uri: str, comment_id: str, email: str) -> bool:
        item = {**_subscription_key(site, uri, comment_id), "email": it.s(email)}
        return self._put_new("PutItem", item)

    # 1 DeleteItem.
    def unsubscribe(self, site: str, uri: str, comment_id: str) -> bool:
        return self._delete(_subscription_key(site, uri, comment_id))

    # 1 GetItem.
    def subscriber(self, site: str, uri: str, comment_id: str) -> str | None:
        item = self._get_item(_subscription_key(site, uri, comment_id))
        return None if item is None else str(item["email"]["S"])

    # 1 PutItem, conditional.
    def opt_out(self, site: str, email_hash: str) -> bool:
        return self._put_new("PutItem", _opt_out_key(site, email_hash))

    # 1 GetItem.
    def opted_out(self, site: str, email_hash: str) -> bool:
        return self._get_item(_opt_out_key(site, email_hash)) is not None
