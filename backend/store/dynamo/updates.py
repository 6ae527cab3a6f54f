"""The write requests of the DynamoDB store, built as data (TransactItems), kept apart from
`dynamo.py`'s request flow. Comments above each item say which condition guards what.
"""

from __future__ import annotations

from typing import Any

from backend.domain.models import Comment, NewComment, Status
from backend.store.dynamo import items as it

NAMES = {"#status": "status"}


def names(*attributes: str) -> dict[str, str]:
    """ExpressionAttributeNames for attributes (aliased: many plain words are reserved)."""
    return {f"#{name}": name for name in attributes}


MAX_TRANSACTION = 100  # items in one TransactWriteItems

# Positions of the post's TransactItems, to read its CancellationReasons by.
POST_KEY, POST_COMMENT = 0, 1  # the private part (2) has no condition of its own

# A comment or like item whose counters (the thread's count, the parent's replies, a comment's
# likes) are being moved carries `tally` (when the move began, ms) until the move is done; a
# like being taken back carries `untally`. See counters.py.
TALLY, UNTALLY = "tally", "untally"
# Retry-After for a write refused because its item still carries a marker (an un-like of a like
# whose `likes + 1` is unsettled, an erase of a comment whose status move is): normally a
# write in flight; after a cut-short one, the repair settles it within STALE_MS + a run.
MARKED_RETRY_S = 5

# Every counter item (a thread, a comment) carries `v`, how many times its counters moved: each
# `ADD` to a counter also adds 1 to `v`, in the same UpdateItem (no extra request nor unit). The
# repair's exact SET is conditioned on the `v` it read, not on the value: a change and its
# reversal between its reads (an un-like, then a like) leave the value as read, never `v`.
VERSION = "v"
VERSION_ADD = ", #v :one"  # appended to an UpdateExpression's ADD clause
# The thread item's `rv` counts every other write a page view shows (an edit, a like, a pin, a
# lock, reactions, a status move that moves no count, an erasure, a repair, an import's
# recount): with `v` it is the thread's stamp (`items.to_thread`), which the app compares
# before serving a first page it keeps in memory (backend/api/comments.py). Each write moves
# it after what it changed (the same partition: a read that sees the stamp sees the change).
READ_VERSION = "rv"
READ_VERSION_ADD = "ADD #rv :one"


def touch(table: str, site: str, uri: str) -> dict[str, Any]:
    """The thread's `rv` moved by one (an UpdateItem, never creating the item)."""
    return {
        "TableName": table,
        "Key": it.thread_key(site, uri),
        "UpdateExpression": READ_VERSION_ADD,
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeNames": {"#rv": READ_VERSION},
        "ExpressionAttributeValues": {":one": it.n(1)},
    }


def post_items(table: str, new: NewComment, stamp: int) -> list[dict[str, Any]]:
    """A post, all or nothing: the idempotency key, the comment (marked `tally` when it moves
    counters) and the author's tally. No hot item: the thread and the parent are not in it
    (their counters move after, by `count_add`), so parallel posts never conflict."""
    c = new.comment
    approved = c.status is Status.APPROVED
    now = int(c.created.timestamp())
    comment = it.comment_item(c)
    if approved:
        comment.update({TALLY: it.n(stamp), **it.mark_attributes(c.site, c.uri, stamp)})
    items: list[dict[str, Any]] = [
        # 0: the idempotency key, free or expired (TTL deletes late).
        {
            "Put": {
                "TableName": table,
                "Item": {
                    **it.idempotency_key(c.site, new.idempotency_key),
                    "comment_id": it.s(c.id),
                    "expires": it.n(new.key_expires),
                },
                "ConditionExpression": "attribute_not_exists(pk) OR #expires <= :now",
                "ExpressionAttributeNames": {"#expires": "expires"},
                "ExpressionAttributeValues": {":now": it.n(now)},
            }
        },
        # 1: the comment itself (its public part, what a page view reads).
        {
            "Put": {
                "TableName": table,
                "Item": comment,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        # 2: its private part (source text, email, IP hash): no condition of its own, the
        # comment's guards both.
        {"Put": {"TableName": table, "Item": it.private_item(c)}},
    ]
    # The author's tally (first-time moderation): one author is not a hot item.
    if approved and c.email:
        items.append(author_update(table, c.site, c.email, 1))
    return items


def thread_add(
    table: str,
    site: str,
    uri: str,
    created: int,
    delta: int,
    title: str = "",
    *,
    inbound: int = 0,
) -> dict[str, Any]:
    """The thread's count moved by `delta` (and its share from the open web, `inbound`, by
    `inbound`, in the same write), creating the thread when it is missing (its first comment,
    or a held comment whose post was cut short). One UpdateItem outside any transaction:
    DynamoDB serializes them on the item, so parallel posts never conflict."""
    update = "SET #site = :site, #uri = :uri, #created = if_not_exists(#created, :created)"
    values: dict[str, Any] = {
        ":site": it.s(site),
        ":uri": it.s(uri),
        ":created": it.n(created),
        ":delta": it.n(delta),
        ":one": it.n(1),
    }
    if title:  # a thread made by a lock has no title yet: the first titled post names it
        update += ", #title = if_not_exists(#title, :title)"
        values[":title"] = it.s(title)
    add = " ADD #count :delta" + VERSION_ADD
    if inbound:
        add += ", #inbound :inbound"
        values[":inbound"] = it.n(inbound)
    return {
        "TableName": table,
        "Key": it.thread_key(site, uri),
        "UpdateExpression": update + add,
        "ExpressionAttributeNames": names(
            "site",
            "uri",
            "created",
            "count",
            VERSION,
            *["title"] * bool(title),
            *[it.INBOUND] * bool(inbound),
        ),
        "ExpressionAttributeValues": values,
    }


def count_add(table: str, key: it.Item, name: str, delta: int) -> dict[str, Any]:
    """One counter moved by `delta`, an UpdateItem outside any transaction."""
    return {
        "TableName": table,
        "Key": key,
        "UpdateExpression": "ADD #n :delta" + VERSION_ADD,
        "ConditionExpression": "attribute_exists(pk)",  # never create a stray item
        "ExpressionAttributeNames": {"#n": name, "#v": VERSION},
        "ExpressionAttributeValues": {":delta": it.n(delta), ":one": it.n(1)},
    }


def mark_values(site: str, uri: str, stamp: int) -> dict[str, Any]:
    """Values for `SET #m = :stamp, gsi2pk = :mpk, gsi2sk = :stamp` (MARK_SET): a marker set
    by an UpdateItem, with the marks index's keys."""
    keys = it.mark_attributes(site, uri, stamp)
    return {":stamp": keys["gsi2sk"], ":mpk": keys["gsi2pk"]}


MARK_SET = "#m = :stamp, gsi2pk = :mpk, gsi2sk = :stamp"


def marker_clear(
    table: str, key: it.Item, marker: str, stamp: int, *, indexed: bool = True
) -> dict[str, Any]:
    """Remove a `tally`/`untally` marker, only the one this writer set, and the marks index's
    keys with it when they are this marker's (`gsi2sk` holds the stamp of the item's latest
    marker). `indexed=False` removes the marker alone: the item was marked before the index
    existed (or the index's keys are another marker's; no write sets two on one item now)."""
    if indexed:
        update, condition = "REMOVE #m, gsi2pk, gsi2sk", "#m = :stamp AND gsi2sk = :stamp"
    else:
        update, condition = "REMOVE #m", "#m = :stamp"
    return {
        "TableName": table,
        "Key": key,
        "UpdateExpression": update,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#m": marker},
        "ExpressionAttributeValues": {":stamp": it.n(stamp)},
    }


def author_update(table: str, site: str, email: str, delta: int) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table,
            "Key": it.author_key(site, email),
            "UpdateExpression": "ADD #n :delta",
            "ExpressionAttributeNames": {"#n": "n"},
            "ExpressionAttributeValues": {":delta": it.n(delta)},
        }
    }


def private_set(table: str, site: str, uri: str, comment_id: str, *, text: str) -> dict[str, Any]:
    """The private part's source text replaced (an edit, or emptied by a reader's delete): a
    TransactItem beside the public part's update, which carries the condition."""
    return {
        "Update": {
            "TableName": table,
            "Key": it.private_key(site, uri, comment_id),
            "UpdateExpression": "SET #text = :text",
            "ExpressionAttributeNames": {"#text": "text"},
            "ExpressionAttributeValues": {":text": it.s(text)},
        }
    }


def erase_private(table: str, old: Comment) -> dict[str, Any]:
    """The private part deleted: a tombstone keeps no email, source or IP hash at all."""
    return {"Delete": {"TableName": table, "Key": it.private_key(old.site, old.uri, old.id)}}


def erase_comment(table: str, old: Comment) -> dict[str, Any]:
    """Forget a comment: delete it, or, when replies hang under it, keep a tombstone with every
    personal field emptied (in the deleted queue). Conditioned on the state read, so a reply
    approved meanwhile cannot be orphaned. Its private part goes too (`erase_private`)."""
    values: dict[str, Any] = {":old": it.s(old.status.value)}
    if not old.replies:
        values[":zero"] = it.n(0)
        # Never while it is marked (`tally`: a status move whose counts are unsettled): the
        # marker is the only trigger of their repair. A tombstone keeps it.
        return {
            "Delete": {
                "TableName": table,
                "Key": it.comment_key(old.site, old.uri, old.id),
                "ConditionExpression": "#status = :old AND #replies = :zero "
                "AND attribute_not_exists(#tally)",
                "ExpressionAttributeNames": names("status", "replies", TALLY),
                "ExpressionAttributeValues": values,
            }
        }
    emptied = ("author", "html", "avatar")  # email, text, ip_hash: in the private part
    values.update(
        {
            ":deleted": it.s(Status.DELETED.value),
            ":g": it.s(it.status_pk(old.site, Status.DELETED)),
            ":empty": it.s(""),
        }
    )
    return {
        "Update": {
            "TableName": table,
            "Key": it.comment_key(old.site, old.uri, old.id),
            "UpdateExpression": "SET #status = :deleted, gsi1pk = :g, "
            + ", ".join(f"#{name} = :empty" for name in emptied)
            + " REMOVE #website, #origin",
            "ConditionExpression": "#status = :old",
            "ExpressionAttributeNames": names("status", "website", "origin", *emptied),
            "ExpressionAttributeValues": values,
        }
    }
