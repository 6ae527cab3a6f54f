"""The DynamoDB store's reader writes: posts, edits, likes, locks and rate buckets.

The cost of each method, in requests, is written above it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.domain import errors
from backend.domain.models import Comment, NewComment, Status, Thread
from backend.store.dynamo import items as it
from backend.store.dynamo import updates as w
from backend.store.dynamo.client import Cancelled, ConditionFailed, translate
from backend.store.dynamo.outbox import event_puts
from backend.store.dynamo.table import Table

_NAMES = w.NAMES
_names = w.names


class Writes(Table):
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

    # 1 conditional PutItem (1 WCU): the record expires by TTL.
    def use_once(self, site: str, key: str, expires: int) -> bool:
        try:
            with translate("PutItem"):
                self._client.put_item(
                    TableName=self.table,
                    Item={**it.used_key(site, key), "expires": it.n(expires)},
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except ConditionFailed:
            return False
        return True
