"""Pulling the replies to a thread's announcement post (Mastodon, Bluesky) into the thread.

A binding lives as a recurring outbox event (kind `fediverse.pull`): each run reads the
post's replies through the guarded fetcher, keeps each as a comment (origin, handle, a link to
the original; sanitized and moderated as any comment), takes away those deleted at the
source, and queues the next run: soon while replies keep coming, then less often (doubling
up to PULL_MAX_S), for `pull_days` after binding. A failed fetch is retried by the worker's
own backoff. The binding's hold (`Store.claim`) is what unbinding releases: a run that finds
it free stops.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from backend.domain.ids import new_ulid
from backend.domain.models import Origin, OriginKind, OutboxEvent, Status
from backend.domain.outbox import EventKind
from backend.inbound import urls
from backend.inbound.fetch import Fetcher, FetchFailed
from backend.inbound.keep import Incoming, Keeper
from backend.inbound.posts import Post
from backend.inbound.webmention import VerifyLater

PULL_FIRST_S = 300
PULL_MAX_S = 6 * 3600
PULL_DAYS = 30
MAX_REPLIES = 500  # per run: a thread larger than this keeps its first 500
# Mastodon answers a logged-out `context` with at most 60 descendants, 20 deep
# (Api::V1::Statuses::ContextsController's DESCENDANTS_LIMIT and DESCENDANTS_DEPTH_LIMIT): a
# full answer may have left replies out, so it never says a reply is gone.
MASTODON_PUBLIC_REPLIES = 60
_TAG = re.compile(r"<[^>]*>")


def binding_keys(uri: str, kind: OriginKind, url: str) -> tuple[str, str]:
    """The holds of a binding: the thread's one post on that network, and this post's. A run
    goes on while the post's hold is held; unbinding releases both."""
    return urls.key("fedi-network", uri, kind.value), urls.key("fedi-post", uri, url)


def first_pull(
    site: str, uri: str, post: Post, now: float, *, suggested: bool = False
) -> OutboxEvent:
    """The binding's first run. A suggested binding's runs (suggest.py) also stop once the
    owner refuses suggestions on that network."""
    return OutboxEvent(
        id=new_ulid(now), kind=EventKind.FEDIVERSE_PULL.value, site=site, uri=uri,
        comment_id="", due=now,
        data={"kind": post.kind.value, "url": post.url, "api": post.api, "post": post.post,
              "every": str(PULL_FIRST_S), "until": str(int(now) + PULL_DAYS * 86400),
              **({"suggested": "1"} if suggested else {})},
    )  # fmt: skip


def _parse_time(text: str, now: datetime) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return now
    return min(when if when.tzinfo else when.replace(tzinfo=UTC), now)


def _text_of(html: str) -> str:
    return html_lib.unescape(_TAG.sub(" ", html.replace("</p>", "\n\n"))).strip()


def _paragraphs(text: str) -> str:
    parts = [p.strip() for p in text.split("\n\n") if p.strip()]
    return "".join(f"<p>{html_lib.escape(p)}</p>" for p in parts)


def mastodon_replies(context: dict[str, Any], post: Post, now: datetime) -> Iterator[Incoming]:
    """Each public reply in a Mastodon Context entity (`descendants`, in thread order)."""
    host = urls.origin(post.api).split("://", 1)[1]
    by_id: dict[str, str] = {}
    for status in context.get("descendants", [])[:MAX_REPLIES]:
        if not isinstance(status, dict) or status.get("visibility") not in ("public", "unlisted"):
            continue
        account = status.get("account") or {}
        original = str(status.get("url") or status.get("uri") or "")
        if not original.startswith(("https://", "http://")):
            continue
        acct = str(account.get("acct", ""))
        handle = "@" + (acct if "@" in acct else f"{acct}@{host}")
        key = urls.key("fedi", str(status.get("uri") or original))
        by_id[str(status.get("id"))] = key
        content = str(status.get("content", ""))
        if status.get("spoiler_text"):
            content = f"<p>{html_lib.escape(str(status['spoiler_text']))}</p>" + content
        yield Incoming(
            key=key,
            origin=Origin(OriginKind.MASTODON, original, handle),
            author=str(account.get("display_name") or account.get("username") or handle),
            website=str(account.get("url") or "") or None,
            html=content,
            text=_text_of(content),
            created=_parse_time(str(status.get("created_at", "")), now),
            parent_key=by_id.get(str(status.get("in_reply_to_id"))),
        )


def bluesky_replies(output: dict[str, Any], now: datetime) -> Iterator[Incoming]:
    """Each reply in a getPostThread output, depth first (a parent before its replies);
    posts not found, blocked or not posts are skipped."""
    count = 0

    def walk(node: dict[str, Any], parent_key: str | None) -> Iterator[Incoming]:
        nonlocal count
        for child in node.get("replies") or []:
            if count >= MAX_REPLIES or not isinstance(child, dict):
                return
            if child.get("$type") != "app.bsky.feed.defs#threadViewPost":
                continue
            view = child.get("post") or {}
            record = view.get("record") or {}
            author = view.get("author") or {}
            at_uri = str(view.get("uri", ""))
            handle = str(author.get("handle", ""))
            rkey = at_uri.rsplit("/", 1)[-1]
            if not at_uri.startswith("at://") or not handle or not rkey:
                continue
            count += 1
            key = urls.key("fedi", at_uri)
            text = str(record.get("text", ""))
            yield Incoming(
                key=key,
                origin=Origin(
                    OriginKind.BLUESKY,
                    f"https://bsky.app/profile/{quote(handle)}/post/{quote(rkey)}",
                    "@" + handle,
                ),
                author=str(author.get("displayName") or handle),
                website=f"https://bsky.app/profile/{quote(handle)}",
                html=_paragraphs(text),
                text=text,
                created=_parse_time(str(record.get("createdAt", "")), now),
                parent_key=parent_key,
            )
            yield from walk(child, key)

    thread = output.get("thread") or {}
    if thread.get("$type") == "app.bsky.feed.defs#threadViewPost":
        yield from walk(thread, None)


def fetch_json(fetcher: Fetcher, url: str) -> dict[str, Any]:
    try:
        fetched = fetcher.get(url, accept="application/json")
    except FetchFailed as exc:
        if exc.retry:
            raise VerifyLater(str(exc)) from None
        raise
    if fetched.status >= 300 or not fetched.content_type.endswith("json"):
        raise FetchFailed(f"{url} answered {fetched.status}")
    try:
        data = json.loads(fetched.body)
    except ValueError:
        raise FetchFailed(f"{url} did not answer JSON") from None
    if not isinstance(data, dict):
        raise FetchFailed(f"{url} did not answer a JSON object")
    return data


def pull(keeper: Keeper, event: OutboxEvent, now: float) -> str:
    site = keeper.settings.sites.get(event.site)
    data = event.data
    until = int(data.get("until", "0"))
    kind = OriginKind(data["kind"])
    _, key = binding_keys(event.uri, kind, data["url"])
    if site is None or now > until:
        return "binding ended"
    if keeper.store.claim(event.site, key, int(now), int(now) + 1):
        keeper.store.release(event.site, key)
        return "unbound: stopped"  # released by the owner (or its hold ran out)
    if data.get("suggested"):
        from backend.inbound.suggest import held, refused_key

        if held(keeper.store, event.site, refused_key(event.uri, kind), int(now)):
            return "refused by the owner: stopped"
    fetcher = Fetcher(allow_private=site.fetch_private_addresses)
    moment = datetime.fromtimestamp(now, UTC)
    post = Post(kind, data["url"], data["api"], data["post"])
    try:
        if kind is OriginKind.MASTODON:
            status = f"{post.api}/api/v1/statuses/{quote(post.post)}"
            got = fetch_json(fetcher, f"{status}/context")
            replies = list(mastodon_replies(got, post, moment))
            descendants = got.get("descendants")
            cut = isinstance(descendants, list) and len(descendants) >= MASTODON_PUBLIC_REPLIES
            own = fetch_json(fetcher, status)
            reactions = (_count(own, "favourites_count"), _count(own, "reblogs_count"))
        else:
            query = f"uri={quote(post.post, safe='')}&depth=10&parentHeight=0"
            got = fetch_json(fetcher, f"{post.api}/xrpc/app.bsky.feed.getPostThread?{query}")
            replies = list(bluesky_replies(got, moment))
            cut = False
            own = (got.get("thread") or {}).get("post") or {}
            reactions = (_count(own, "likeCount"), _count(own, "repostCount"))
    except FetchFailed as exc:
        _again(keeper, event, now, slower=True)
        return f"not pulled: {exc}"
    added = 0
    seen = set()
    for incoming in replies:
        seen.add(incoming.origin.url)
        before = keeper.store.find_key(event.site, incoming.key, int(now))
        keeper.keep(event.site, event.uri, incoming, now)
        added += before is None
    removed = 0
    # Replies gone at the source leave; not when the answer was cut (at MAX_REPLIES, the rest
    # were not looked at; at Mastodon's public limit), and not what a moderator marked as spam.
    complete = len(replies) < MAX_REPLIES and not cut
    for comment in keeper.store.thread_comments(event.site, event.uri) if complete else ():
        origin = comment.origin
        if origin is None or origin.kind is not kind or origin.url in seen:
            continue
        if comment.status not in (Status.DELETED, Status.SPAM):
            keeper.store.set_status(event.site, event.uri, comment.id, Status.DELETED, scrub=True)
            removed += 1
    keeper.store.set_reactions(event.site, event.uri, kind.value, *reactions)
    _again(keeper, event, now, slower=added == 0)
    return f"{len(replies)} replies, {added} new, {removed} removed, {reactions} reactions"


def _count(data: object, name: str) -> int:
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, int) and 0 <= value < 10**9 else 0


def _again(keeper: Keeper, event: OutboxEvent, now: float, *, slower: bool) -> None:
    every = int(event.data.get("every", str(PULL_FIRST_S)))
    every = min(every * 2, PULL_MAX_S) if slower else PULL_FIRST_S
    following = replace(
        event, id=new_ulid(now), due=now + every, attempts=0, error="",
        data={**event.data, "every": str(every)},
    )  # fmt: skip
    keeper.store.enqueue([following])
