"""The DynamoDB store's reader writes: posts, edits, likes, locks and rate buckets.

The cost of each method, in requests, is written above it.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import Any

from backend.domain import errors
from backend.domain.models import Comment, NewComment, Status, Thread
from backend.store.dynamo import items as it
from backend.store.dynamo import updates as w
from backend.store.dynamo.client import Cancelled, ConditionFailed, translate
from backend.store.dynamo.counters import Counters, now_ms
from backend.store.dynamo.outbox import event_puts
from backend.store.dynamo.search import Search, index_keys

_NAMES = w.NAMES
_names = w.names


class Writes(Counters, Search):
    # 1 GetItem (the thread: locked?) [+1 GetItem (the parent)] + 1 TransactWriteItems (the
    # key, the comment's public part, its private part, the author's tally, the outbox's
    # events) + 1 UpdateItem (the thread's count) [+1 UpdateItem (the parent's replies)]
    # [+1 UpdateItem (the comment's mark removed, when it counts)] + 1 BatchWriteItem per 25
    # search postings (search.py). +1 GetItem when the idempotency key was taken. No hot item
    # is in the transaction.
    def create_comment(self, new: NewComment) -> Comment:
        c = new.comment
        thread = self._get(it.thread_key(c.site, c.uri), consistent=True)
        if thread is not None and thread.get("locked", {}).get("BOOL", False):
            raise errors.ThreadLocked()
        if c.parent is not None:
            parent = self._get(it.comment_key(c.site, c.uri, c.parent), consistent=True)
            if parent is None or parent["status"]["S"] != Status.APPROVED.value:
                raise errors.ParentNotFound()
        stamp = now_ms()
        try:
            # The outbox's events (issue 12) ride in the same transaction: one write.
            self._transact(
                w.post_items(self.table, new, stamp) + event_puts(self.table, new.events)
            )
        except Cancelled as cancelled:
            raise self._post_refused(cancelled, new) from None
        # The comment is stored; its counters follow (a crash from here on leaves the mark
        # for `repair`; the reader's retry with the same key gets this comment).
        approved = c.status is Status.APPROVED
        self._move_counts(
            c.site,
            c.uri,
            c.parent,
            int(approved),
            it.ms(c.created),
            new.title,
            inbound=c.origin is not None,
        )
        if approved:
            self._unmark(it.comment_key(c.site, c.uri, c.id), w.TALLY, stamp)
        self._post_index(c, index_keys(c))  # last: a crash before leaves it unfound, never orphaned
        return new.comment

    # 1 BatchWriteItem per 25 search postings (puts: harmless when the first try wrote them).
    def finish_post(self, comment: Comment) -> None:
        self._post_index(comment, index_keys(comment))

    def _post_refused(self, cancelled: Cancelled, new: NewComment) -> errors.ParleyError:
        """The domain error a cancelled post means."""
        c = new.comment
        if cancelled.failed(w.POST_KEY):
            # A retry of a post that landed: answer with the first comment.
            item = self._get(it.idempotency_key(c.site, new.idempotency_key), consistent=True)
            if item is not None:
                return errors.DuplicateKey(item["comment_id"]["S"])
        return errors.StoreUnavailable(retry_after=1)  # e.g. an id collision: try again

    # 1 BatchGetItem (the comment before) [+1 BatchWriteItem (postings of dropped words)] + 1
    # TransactWriteItems (the public part's html and the private part's source, together) + 1
    # UpdateItem (the thread's read version) + 1 BatchGetItem (the comment as edited) [+1
    # BatchWriteItem (postings of new words)].
    def edit_comment(
        self, site: str, uri: str, comment_id: str, *, text: str, html: str, edited: datetime
    ) -> Comment:
        old = self.get_comment(site, uri, comment_id)
        if old is None:
            raise errors.CommentNotFound()
        self._drop_stale(old, old.evolve(text=text))  # before: never a posting of lost words
        public = {
            "TableName": self.table,
            "Key": it.comment_key(site, uri, comment_id),
            "UpdateExpression": "SET #html = :html, #edited = :edited",
            "ConditionExpression": "attribute_exists(pk) AND NOT (#status IN (:deleted, :spam))",
            "ExpressionAttributeNames": _names("status", "html", "edited"),
            "ExpressionAttributeValues": {
                ":html": it.s(html),
                ":edited": it.n(it.ms(edited)),
                ":deleted": it.s(Status.DELETED.value),
                ":spam": it.s(Status.SPAM.value),
            },
        }
        try:
            self._transact(
                [{"Update": public}, w.private_set(self.table, site, uri, comment_id, text=text)]
            )
        except Cancelled as cancelled:
            if cancelled.failed(0):
                raise errors.CommentNotFound() from None
            raise errors.StoreUnavailable(retry_after=1) from None
        self._touch(site, uri)
        comment = self.get_comment(site, uri, comment_id)
        if comment is None:  # erased in between
            raise errors.CommentNotFound()
        self._reindex(old, comment)
        return comment

    # 1 PutItem (the like, marked) + 1 UpdateItem (likes + 1, returning the count) + 1 UpdateItem
    # (the thread's read version) + 1 UpdateItem (the mark removed). A voter who liked before:
    # 1 PutItem + 1 GetItem. No transaction: a popular comment takes one serialized ADD per
    # like, not conflicting transactions.
    def add_like(self, site: str, uri: str, comment_id: str, voter: str) -> int:
        key = it.like_key(site, uri, comment_id, voter)
        stamp = now_ms()
        try:
            with translate("PutItem"):
                self._client.put_item(
                    TableName=self.table,
                    Item={**key, w.TALLY: it.n(stamp), **it.mark_attributes(site, uri, stamp)},
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except ConditionFailed:
            return self._likes_of(site, uri, comment_id)  # liked before: nothing changes
        try:
            likes = self._likes_add(site, uri, comment_id, 1)
        except ConditionFailed:  # not an approved comment: the like goes again
            with translate("DeleteItem"):
                self._client.delete_item(TableName=self.table, Key=key)
            raise errors.CommentNotFound() from None
        self._touch(site, uri)
        self._unmark(key, w.TALLY, stamp)
        return likes

    # 1 UpdateItem (the like marked `untally`) + 1 UpdateItem (likes - 1, returning the count) +
    # 1 UpdateItem (the thread's read version) + 1 DeleteItem (the like). A voter with no like:
    # 1 UpdateItem + 2 GetItem.
    def remove_like(self, site: str, uri: str, comment_id: str, voter: str) -> int:
        key = it.like_key(site, uri, comment_id, voter)
        stamp = now_ms()
        try:
            # Never a like whose own `likes + 1` is unsettled (`tally`): deleting it would take
            # the only trigger of its repair along, and whether it was counted is unknown.
            self._update(
                {
                    "TableName": self.table,
                    "Key": key,
                    "UpdateExpression": "SET " + w.MARK_SET,
                    "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(#m) "
                    "AND attribute_not_exists(#t)",
                    "ExpressionAttributeNames": {"#m": w.UNTALLY, "#t": w.TALLY},
                    "ExpressionAttributeValues": w.mark_values(site, uri, stamp),
                }
            )
        except ConditionFailed:
            like = self._get(key, consistent=True)
            if like is not None and w.TALLY in like:  # in flight, or left for the repair
                raise errors.StoreUnavailable(retry_after=w.MARKED_RETRY_S) from None
            return self._likes_of(site, uri, comment_id)  # no like to take back
        try:
            likes = self._likes_add(site, uri, comment_id, -1)
        except ConditionFailed:  # not an approved comment: the like stays as it was
            self._unmark(key, w.UNTALLY, stamp)
            raise errors.CommentNotFound() from None
        self._touch(site, uri)
        # Only the like this call marked (else the repair deleted it meanwhile, or will).
        with translate("DeleteItem"), suppress(ConditionFailed):
            self._client.delete_item(
                TableName=self.table,
                Key=key,
                ConditionExpression="#m = :stamp AND attribute_not_exists(#t)",
                ExpressionAttributeNames={"#m": w.UNTALLY, "#t": w.TALLY},
                ExpressionAttributeValues={":stamp": it.n(stamp)},
            )
        return likes

    def _likes_add(self, site: str, uri: str, comment_id: str, delta: int) -> int:
        """ADD to an approved comment's likes (else ConditionFailed); returns the count."""
        out = self._update(
            {
                "TableName": self.table,
                "Key": it.comment_key(site, uri, comment_id),
                "UpdateExpression": "ADD #likes :delta" + w.VERSION_ADD,
                "ConditionExpression": "#status = :approved",
                "ExpressionAttributeNames": {**_NAMES, "#likes": "likes", "#v": w.VERSION},
                "ExpressionAttributeValues": {
                    ":delta": it.n(delta),
                    ":one": it.n(1),
                    ":approved": it.s(Status.APPROVED.value),
                },
            },
            returns="UPDATED_NEW",
        )
        return it.num(out, "likes")

    def _likes_of(self, site: str, uri: str, comment_id: str) -> int:
        comment = self._public_comment(site, uri, comment_id)
        if comment is None or comment.status is not Status.APPROVED:
            raise errors.CommentNotFound()
        return comment.likes

    # 1 UpdateItem (creates the thread when needed, returns it).
    def set_locked(self, site: str, uri: str, locked: bool, now: datetime) -> Thread:
        return self._set_thread(site, uri, now, {"locked": it.b(locked)})

    # 1 UpdateItem (the thread item, made when missing), refused when a later hold is kept.
    def hold_suggestions(self, site: str, uri: str, until: int, now: datetime) -> None:
        with suppress(ConditionFailed), translate("UpdateItem"):
            self._client.update_item(
                TableName=self.table,
                Key=it.thread_key(site, uri),
                UpdateExpression="SET #sa = :sa, #site = :site, #uri = :uri, "
                "#created = if_not_exists(#created, :now), #count = if_not_exists(#count, :zero) "
                + w.READ_VERSION_ADD,
                ConditionExpression="attribute_not_exists(#sa) OR #sa < :sa",
                ExpressionAttributeNames={
                    "#sa": it.SUGGEST_AFTER, "#site": "site", "#uri": "uri",
                    "#created": "created", "#count": "count", "#rv": w.READ_VERSION,
                },
                ExpressionAttributeValues={
                    ":sa": it.n(until), ":site": it.s(site), ":uri": it.s(uri),
                    ":now": it.n(it.ms(now)), ":zero": it.n(0), ":one": it.n(1),
                },
            )  # fmt: skip

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

    # 1 GetItem, eventually consistent (0.5 RCU): a counter a second old is close enough.
    def rate_hits(self, site: str, client: str, window: int) -> int:
        item = self._get(it.rate_key(site, client, window))
        return 0 if item is None else it.num(item, "hits")

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

    # 1 PutItem, conditioned on no unexpired hold (TTL removes expired ones some time after).
    def claim(self, site: str, key: str, now: int, expires: int) -> bool:
        try:
            with translate("PutItem"):
                self._client.put_item(
                    TableName=self.table,
                    Item={**it.used_key(site, key), "expires": it.n(expires)},
                    ConditionExpression="attribute_not_exists(pk) OR #expires <= :now",
                    ExpressionAttributeNames={"#expires": "expires"},
                    ExpressionAttributeValues={":now": it.n(now)},
                )
        except ConditionFailed:
            return False
        return True

    # 1 UpdateItem: the thread item, made when missing (as a lock makes it). Never below 0: a
    # decrement that would is refused by its condition and made by one more UpdateItem to 0.
    def add_reactions(self, site: str, uri: str, likes: int, reposts: int, now: datetime) -> None:
        for name, by in ((it.WEB_LIKES, likes), (it.WEB_REPOSTS, reposts)):
            if by:
                self._tally(site, uri, name, by, now)

    def _tally(self, site: str, uri: str, name: str, by: int, now: datetime) -> None:
        values = {
            ":site": it.s(site), ":uri": it.s(uri), ":now": it.n(it.ms(now)),
            ":zero": it.n(0), ":by": it.n(by), ":one": it.n(1),
        }  # fmt: skip
        refused: dict[str, Any] = {}  # a decrement below 0 is refused
        if by < 0:
            values[":least"] = it.n(-by)
            refused["ConditionExpression"] = "#n >= :least"
        try:
            with translate("UpdateItem"):
                self._client.update_item(
                    TableName=self.table,
                    Key=it.thread_key(site, uri),
                    UpdateExpression=(
                        "SET #site = :site, #uri = :uri, #created = if_not_exists(#created, :now)"
                        ", #count = if_not_exists(#count, :zero) ADD #n :by, #rv :one"
                    ),
                    ExpressionAttributeNames={**_names("site", "uri", "created", "count"),
                                              "#n": name, "#rv": w.READ_VERSION},
                    ExpressionAttributeValues=values,
                    **refused,
                )  # fmt: skip
        except ConditionFailed:
            with suppress(ConditionFailed), translate("UpdateItem"):
                self._client.update_item(
                    TableName=self.table,
                    Key=it.thread_key(site, uri),
                    UpdateExpression="SET #n = :zero " + w.READ_VERSION_ADD,
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames={"#n": name, "#rv": w.READ_VERSION},
                    ExpressionAttributeValues={":zero": it.n(0), ":one": it.n(1)},
                )

    # 1 UpdateItem, only on an existing thread item
    def set_reactions(self, site: str, uri: str, source: str, likes: int, reposts: int) -> None:
        try:
            with translate("UpdateItem"):
                self._client.update_item(
                    TableName=self.table,
                    Key=it.thread_key(site, uri),
                    UpdateExpression="SET #rx = :rx " + w.READ_VERSION_ADD,
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames={"#rx": it.REACTIONS + source, "#rv": w.READ_VERSION},
                    ExpressionAttributeValues={
                        ":rx": {"L": [it.n(likes), it.n(reposts)]},
                        ":one": it.n(1),
                    },
                )
        except ConditionFailed:
            return

    # 1 DeleteItem
    def release(self, site: str, key: str) -> bool:
        with translate("DeleteItem"):
            out = self._client.delete_item(
                TableName=self.table, Key=it.used_key(site, key), ReturnValues="ALL_OLD"
            )
        return bool(out.get("Attributes"))
