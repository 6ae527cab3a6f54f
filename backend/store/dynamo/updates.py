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
POST_KEY, POST_COMMENT, POST_THREAD, POST_PARENT = 0, 1, 2, 3


def post_items(table: str, new: NewComment) -> list[dict[str, Any]]:
    """A post: the idempotency key, the comment, the thread's count, the parent's replies and
    the author's tally, all or nothing."""
    c = new.comment
    approved = c.status is Status.APPROVED
    now = int(c.created.timestamp())
    set_thread = "SET #site = :site, #uri = :uri, #created = if_not_exists(#created, :created)"
    thread_values: dict[str, Any] = {
        ":site": it.s(c.site),
        ":uri": it.s(c.uri),
        ":created": it.n(it.ms(c.created)),
        ":approved": it.n(int(approved)),
        ":false": it.b(False),
    }
    if new.title:  # a thread made by a lock has no title yet: the first titled post names it
        set_thread += ", #title = if_not_exists(#title, :title)"
        thread_values[":title"] = it.s(new.title)
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
        # 1: the comment itself.
        {
            "Put": {
                "TableName": table,
                "Item": it.comment_item(c),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        # 2: the thread, created on its first comment, refusing posts while locked.
        {
            "Update": {
                "TableName": table,
                "Key": it.thread_key(c.site, c.uri),
                "UpdateExpression": set_thread + " ADD #count :approved",
                "ConditionExpression": "attribute_not_exists(#locked) OR #locked = :false",
                "ExpressionAttributeNames": names(
                    "site", "uri", "created", "count", "locked", *["title"] * bool(new.title)
                ),
                "ExpressionAttributeValues": thread_values,
            }
        },
    ]
    if c.parent is not None:
        # 3: the parent must be an approved comment of this thread; an approved reply
        # counts towards its replies, a held one only checks.
        parent = {
            "TableName": table,
            "Key": it.comment_key(c.site, c.uri, c.parent),
            "ConditionExpression": "attribute_exists(pk) AND #status = :approved",
            "ExpressionAttributeNames": NAMES,
            "ExpressionAttributeValues": {":approved": it.s(Status.APPROVED.value)},
        }
        if approved:
            parent["UpdateExpression"] = "ADD #replies :one"
            parent["ExpressionAttributeNames"] = {**NAMES, "#replies": "replies"}
            parent["ExpressionAttributeValues"] = {
                ":approved": it.s(Status.APPROVED.value),
                ":one": it.n(1),
            }
            items.append({"Update": parent})
        else:
            items.append({"ConditionCheck": parent})
    if approved and c.email:
        items.append(author_update(table, c.site, c.email, 1))
    return items


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


def count_update(table: str, key: it.Item, name: str, delta: int) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table,
            "Key": key,
            "UpdateExpression": f"ADD {name} :delta",
            "ConditionExpression": "attribute_exists(pk)",  # never create a stray item
            "ExpressionAttributeNames": {name: name.lstrip("#")},
            "ExpressionAttributeValues": {":delta": it.n(delta)},
        }
    }


def erase_comment(table: str, old: Comment) -> dict[str, Any]:
    """Forget a comment: delete it, or, when replies hang under it, keep a tombstone with every
    personal field emptied (in the deleted queue). Conditioned on the state read, so a reply
    approved meanwhile cannot be orphaned."""
    values: dict[str, Any] = {":old": it.s(old.status.value)}
    if not old.replies:
        values[":zero"] = it.n(0)
        return {
            "Delete": {
                "TableName": table,
                "Key": it.comment_key(old.site, old.uri, old.id),
                "ConditionExpression": "#status = :old AND #replies = :zero",
                "ExpressionAttributeNames": names("status", "replies"),
                "ExpressionAttributeValues": values,
            }
        }
    emptied = ("author", "email", "text", "html", "ip_hash", "avatar")
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
            + " REMOVE #website",
            "ConditionExpression": "#status = :old",
            "ExpressionAttributeNames": names("status", "website", *emptied),
            "ExpressionAttributeValues": values,
        }
    }
