"""DynamoDB item shapes of the single-table design (see docs/dynamodb.md), private to the store.

Keys, attribute encoding and item <-> record conversion live here so `dynamo.py` reads as
requests. Every key is built by one function; nothing else spells a `pk` or `sk`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from backend.domain.models import Comment, Origin, OriginKind, Status, Thread

Item = dict[str, Any]  # a low-level item: {"name": {"S": "..."}}

THREAD_SK = "#"
# Thread partitions sort as: "#" (thread), "C#{id}" (comments), "L#{id}#{voter}" (likes),
# "P#{id}" (each comment's private part). `sk BETWEEN "#" AND "C$"` therefore takes the thread
# and its comments and never a like nor a private part: a page view reads only what it shows.
COMMENTS_END = "C$"
LIKES_END = "L$"  # `sk BETWEEN "#" AND "L$"`: the thread, its comments and their likes
PRIVATE_PREFIX = "P#"


# -- keys ------------------------------------------------------------------------------------


def thread_pk(site: str, uri: str) -> str:
    return f"T#{site}#{uri}"


def thread_key(site: str, uri: str) -> Item:
    return {"pk": s(thread_pk(site, uri)), "sk": s(THREAD_SK)}


COMMENT_PREFIX = "C#"


def comment_sk(comment_id: str) -> str:
    return COMMENT_PREFIX + comment_id


def comment_key(site: str, uri: str, comment_id: str) -> Item:
    return {"pk": s(thread_pk(site, uri)), "sk": s(comment_sk(comment_id))}


def private_sk(comment_id: str) -> str:
    return PRIVATE_PREFIX + comment_id


def private_key(site: str, uri: str, comment_id: str) -> Item:
    """The comment's private part: what only edits, moderation, mail and exports read."""
    return {"pk": s(thread_pk(site, uri)), "sk": s(private_sk(comment_id))}


def like_prefix(comment_id: str) -> str:
    return f"L#{comment_id}#"


def like_key(site: str, uri: str, comment_id: str, voter: str) -> Item:
    return {"pk": s(thread_pk(site, uri)), "sk": s(like_prefix(comment_id) + voter)}


# gsi2, the marks index (sparse, keys only): an item carries `gsi2pk`/`gsi2sk` exactly while it
# carries a counter marker (counters.py), so the scheduled repair finds cut-short writes with a
# Query of the few stale ones instead of a Scan. A site's marks spread over MARK_SHARDS
# partitions by thread (every post and like writes the index twice: one partition per site
# would cap a site's marked writes at ~500/s, below its threads' own ceilings).
MARKS_INDEX = "gsi2"
MARK_SHARDS = 4


def mark_pk(site: str, shard: int) -> str:
    return f"M#{site}#{shard}"


def mark_shard(site: str, uri: str) -> int:
    return hashlib.sha256(thread_pk(site, uri).encode()).digest()[0] % MARK_SHARDS


def mark_attributes(site: str, uri: str, stamp: int) -> Item:
    """The marks index's keys for an item marked at `stamp` (ms)."""
    return {"gsi2pk": s(mark_pk(site, mark_shard(site, uri))), "gsi2sk": n(stamp)}


def status_pk(site: str, status: Status) -> str:
    return f"S#{site}#{status.value}"


def idempotency_key(site: str, key: str) -> Item:
    return {"pk": s(f"K#{site}#{key}"), "sk": s(THREAD_SK)}


def rate_key(site: str, client: str, window: int) -> Item:
    return {"pk": s(f"R#{site}#{client}#{window}"), "sk": s(THREAD_SK)}


def block_key(site: str, key: str) -> Item:
    """A block: one partition per site (the admin page lists them with one Query)."""
    return {"pk": s(f"K#{site}"), "sk": s(key)}


def model_key(site: str, name: str) -> Item:
    """A site's spam filter model (backend/spam/): one item per site and name."""
    return {"pk": s(f"F#{site}#{name}"), "sk": s(THREAD_SK)}


def used_key(site: str, key: str) -> Item:
    return {"pk": s(f"U#{site}#{key}"), "sk": s("#")}


def author_key(site: str, email: str) -> Item:
    """The per-author counter of approved comments (for first-time moderation).

    Keyed by a hash so the key, which shows up in logs and metrics, never carries an email.
    """
    digest = hashlib.sha256(email.encode()).hexdigest()
    return {"pk": s(f"A#{site}#{digest}"), "sk": s(THREAD_SK)}


def posting_pk(site: str, key: str) -> str:
    """The owner's search: one partition per site and index key (a word's, an author's, an
    email's or a page's hash: backend/domain/search.py), so a post's postings spread over many
    partitions and a search reads one."""
    return f"X#{site}#{key}"


def posting_key(site: str, key: str, comment_id: str, uri: str) -> Item:
    """A comment's posting under one index key: newest first by id, the uri's digest after it
    (an import may bring one id in two threads)."""
    return {"pk": s(posting_pk(site, key)), "sk": s(f"{comment_id}#{uri_digest(uri)}")}


def uri_digest(uri: str) -> str:
    """A uri inside a secondary key (a subscription and the like): its SHA-256, 64 hex
    characters. A uri may take all the room a partition key has beside the site (the
    thread's `T#{site}#{uri}`), so any other key that held it whole, with more beside it,
    could pass DynamoDB's 2,048 bytes."""
    return hashlib.sha256(uri.encode("utf-8", errors="surrogatepass")).hexdigest()


# -- attribute values -----------------------------------------------------------------------


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def b(value: bool) -> dict[str, bool]:
    return {"BOOL": value}


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def dt(attr: dict[str, str]) -> datetime:
    return datetime.fromtimestamp(int(attr["N"]) / 1000, UTC)


def _str(item: Item, name: str) -> str | None:
    attr = item.get(name)
    return None if attr is None else str(attr["S"])


def num(item: Item, name: str) -> int:
    attr = item.get(name)
    return 0 if attr is None else int(attr["N"])


# -- records ---------------------------------------------------------------------------------


def comment_item(c: Comment) -> Item:
    """The comment's public part, the item a page view reads: what the public comment shows,
    its counters and its index keys. The Markdown source, the email and the IP hash are in
    `private_item`, so a page of 20 reads about half the bytes (docs/dynamodb.md)."""
    item: Item = {
        **comment_key(c.site, c.uri, c.id),
        "gsi1pk": s(status_pk(c.site, c.status)),
        "gsi1sk": s(c.id),
        "site": s(c.site),
        "uri": s(c.uri),
        "id": s(c.id),
        "author": s(c.author),
        "html": s(c.html),
        "status": s(c.status.value),
        "created": n(ms(c.created)),
        "likes": n(c.likes),
        "replies": n(c.replies),
        "avatar": s(c.avatar),
    }
    # Optional fields are left out rather than stored as NULL: absent reads back as None.
    if c.parent is not None:
        item["parent"] = s(c.parent)
    if c.website is not None:
        item["website"] = s(c.website)
    if c.edited is not None:
        item["edited"] = n(ms(c.edited))
    if c.origin is not None:
        o = c.origin
        item["origin"] = {"M": {"kind": s(o.kind.value), "url": s(o.url), "handle": s(o.handle)}}
    if c.role:
        item["role"] = s(c.role)
    return item


def private_item(c: Comment) -> Item:
    """The comment's private part (never read by a page view), written and erased with it."""
    item: Item = {
        **private_key(c.site, c.uri, c.id),
        "email": s(c.email),
        "text": s(c.text),
        "ip_hash": s(c.ip_hash),
    }
    if c.reason:
        item["reason"] = s(c.reason)
    return item


def to_comment(item: Item, private: Item | None = None) -> Comment:
    """A comment from its public item and, when read, its private part. Without it (a page
    view, a feed) `text`, `email` and `ip_hash` are empty: the public shape never has them."""
    edited = item.get("edited")
    part = private or {}
    return Comment(
        site=item["site"]["S"],
        uri=item["uri"]["S"],
        id=item["id"]["S"],
        parent=_str(item, "parent"),
        author=item["author"]["S"],
        email=_str(part, "email") or "",
        website=_str(item, "website"),
        text=_str(part, "text") or "",
        html=item["html"]["S"],
        status=Status(item["status"]["S"]),
        created=dt(item["created"]),
        edited=None if edited is None else dt(edited),
        likes=num(item, "likes"),
        replies=num(item, "replies"),
        ip_hash=_str(part, "ip_hash") or "",
        avatar=_str(item, "avatar") or "",
        origin=_origin(item),
        role=_str(item, "role") or "",
        reason=_str(part, "reason") or "",
    )


def _origin(item: Item) -> Origin | None:
    if "origin" not in item:
        return None
    o = item["origin"]["M"]
    return Origin(OriginKind(o["kind"]["S"]), o["url"]["S"], o["handle"]["S"])


def joined(items: list[Item]) -> list[Comment]:
    """Comments from public items and private parts read together (a BatchGetItem, or the two
    ranges of a thread), in the public items' order; a private part alone (none should be) is
    left out. Matched by thread and id: a queue's read spans threads, and an import may bring
    one id in two of them."""
    private = {
        (i["pk"]["S"], i["sk"]["S"][len(PRIVATE_PREFIX) :]): i for i in items if is_private(i)
    }
    return [
        to_comment(i, private.get((i["pk"]["S"], i["id"]["S"])))
        for i in items
        if i["sk"]["S"].startswith(COMMENT_PREFIX)
    ]


def is_private(item: Item) -> bool:
    return str(item["sk"]["S"]).startswith(PRIVATE_PREFIX)


def to_thread(item: Item) -> Thread:
    return Thread(
        site=item["site"]["S"],
        uri=item["uri"]["S"],
        title=_str(item, "title") or "",
        count=num(item, "count"),
        locked=bool(item.get("locked", {}).get("BOOL", False)),
        created=dt(item["created"]),
        reactions=(
            sum(int(v["L"][0]["N"]) for k, v in item.items() if k.startswith(REACTIONS))
            + num(item, WEB_LIKES),
            sum(int(v["L"][1]["N"]) for k, v in item.items() if k.startswith(REACTIONS))
            + num(item, WEB_REPOSTS),
        ),
        pinned=_str(item, "pinned") or "",
        pinned_number=num(item, "pinned_number"),
        inbound=num(item, INBOUND),
        suggest_after=num(item, SUGGEST_AFTER),
        stamp=stamp_of(item),
    )


SUGGEST_AFTER = "suggest_after"  # epoch seconds: no suggested announcement post before


def stamp_of(item: Item) -> str:
    """The thread's stamp: its creation (ms), its counters' version `v` and its read version
    `rv`, which together move on every write a page view shows (updates.py, READ_VERSION). The
    creation tells a thread deleted and begun again from the one before it, whose versions it
    may reach again."""
    return f"{num(item, 'created')}.{num(item, 'v')}.{num(item, 'rv')}"


# The thread item's share of `count` from the open web (comments with an origin): moved with
# `count` in the same UpdateItem (updates.thread_add), made exact with it by the repair.
INBOUND = "inbound"


REACTIONS = "rx_"  # the thread item's `rx_{source}`: [likes, reposts] of one announcement post
WEB_LIKES, WEB_REPOSTS = "wm_likes", "wm_reposts"  # the open web's tally (Webmentions)


def is_thread(item: Item) -> bool:
    return bool(item["sk"]["S"] == THREAD_SK)
