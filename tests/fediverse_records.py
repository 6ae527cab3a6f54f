"""Responses as Mastodon and Bluesky document them, written for these tests: Mastodon's
Status and Context entities (GET /api/v1/statuses/:id/context) and Bluesky's
app.bsky.feed.getPostThread output (threadViewPost, notFoundPost, blockedPost). Field names and
nesting follow the services' own API references; values are made up."""

from __future__ import annotations

from typing import Any


def account(username: str, display_name: str, host: str | None = None) -> dict[str, Any]:
    acct = username if host is None else f"{username}@{host}"
    home = host or "social.test"
    return {
        "id": str(abs(hash(acct)) % 10**17),
        "username": username,
        "acct": acct,
        "display_name": display_name,
        "locked": False,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": "2023-04-01T00:00:00.000Z",
        "note": "<p>Writes about things.</p>",
        "url": f"https://{home}/@{username}",
        "uri": f"https://{home}/users/{username}",
        "avatar": f"https://{home}/avatars/{username}.png",
        "avatar_static": f"https://{home}/avatars/{username}.png",
        "header": "",
        "header_static": "",
        "followers_count": 10,
        "following_count": 3,
        "statuses_count": 42,
        "last_status_at": "2026-01-01",
        "emojis": [],
        "fields": [],
    }


def status(
    sid: str,
    acct: dict[str, Any],
    content: str,
    *,
    in_reply_to_id: str | None,
    created_at: str = "2026-01-01T10:00:00.000Z",
    visibility: str = "public",
    spoiler_text: str = "",
) -> dict[str, Any]:
    home = acct["url"].split("/")[2]
    return {
        "id": sid,
        "uri": f"https://{home}/users/{acct['username']}/statuses/{sid}",
        "url": f"https://{home}/@{acct['username']}/{sid}",
        "created_at": created_at,
        "edited_at": None,
        "account": acct,
        "content": content,
        "visibility": visibility,
        "sensitive": bool(spoiler_text),
        "spoiler_text": spoiler_text,
        "media_attachments": [],
        "application": None,
        "mentions": [],
        "tags": [],
        "emojis": [],
        "reblogs_count": 0,
        "favourites_count": 0,
        "replies_count": 0,
        "in_reply_to_id": in_reply_to_id,
        "in_reply_to_account_id": None if in_reply_to_id is None else "1",
        "reblog": None,
        "poll": None,
        "card": None,
        "language": "en",
        "text": None,
    }


def context(ancestors: list[dict[str, Any]], descendants: list[dict[str, Any]]) -> dict[str, Any]:
    return {"ancestors": ancestors, "descendants": descendants}


def bsky_post(
    did: str, handle: str, name: str, rkey: str, text: str, *,
    parent: str | None = None, root: str | None = None,
    created_at: str = "2026-01-01T11:00:00.000Z",
) -> dict[str, Any]:  # fmt: skip
    uri = f"at://{did}/app.bsky.feed.post/{rkey}"
    record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": created_at,
        "langs": ["en"],
    }
    if parent is not None:
        record["reply"] = {
            "root": {"uri": root or parent, "cid": "bafyreiroot"},
            "parent": {"uri": parent, "cid": "bafyreiparent"},
        }
    return {
        "uri": uri,
        "cid": f"bafyrei{rkey}",
        "author": {
            "did": did,
            "handle": handle,
            "displayName": name,
            "avatar": f"https://cdn.bsky.test/avatar/{did}",
            "labels": [],
            "createdAt": "2023-05-01T00:00:00.000Z",
        },
        "record": record,
        "replyCount": 0,
        "repostCount": 0,
        "likeCount": 0,
        "quoteCount": 0,
        "indexedAt": created_at,
        "labels": [],
    }


def thread_view(post: dict[str, Any], replies: list[dict[str, Any]]) -> dict[str, Any]:
    return {"$type": "app.bsky.feed.defs#threadViewPost", "post": post, "replies": replies}


def not_found(uri: str) -> dict[str, Any]:
    return {"$type": "app.bsky.feed.defs#notFoundPost", "uri": uri, "notFound": True}


def blocked(uri: str, did: str) -> dict[str, Any]:
    return {
        "$type": "app.bsky.feed.defs#blockedPost",
        "uri": uri,
        "blocked": True,
        "author": {"did": did, "viewer": {"blockedBy": True}},
    }
