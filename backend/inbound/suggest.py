"""A suggested binding: the page names its announcement post (`announce=URL` on the build's
`GET /api/v1/comments.html`), and the worker binds the thread to it only if the post, fetched
through the guarded fetcher, links to the page on one of the site's origins.

Nobody binds a thread by suggesting: a suggestion queues one check, and the check is the
post's author and its own link to the page. Anyone can post a status linking to the page and
suggest it, so the post must be by one of the site's `announce_accounts` (a site naming none
takes no suggestion); the author is read from the fetched post as only its own server can say
it: a Mastodon status's `account.acct` on the host asked (a server speaks for its own accounts
only: an `acct` naming another host is a stranger's), a Bluesky post's `author` handle or DID
as the public AppView answers. The owner's word stays first (bind.py):
- a thread the owner bound keeps its post (a suggestion on that network changes nothing);
- the owner binding over a suggested post replaces it, and unbinding one refuses further
  suggestions on that network for the binding's lifetime (PULL_DAYS): a refused suggested
  pull stops at its next run.
Bounds: one check per thread and network a day (SUGGEST_EVERY_S), and the site's
`webmentions_per_hour` (the worker's fetches for others) shared with Webmentions.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from backend.domain import errors, rate
from backend.domain.ids import new_ulid
from backend.domain.models import OriginKind, OutboxEvent
from backend.domain.outbox import EventKind
from backend.inbound import urls
from backend.inbound.entry import links_in
from backend.inbound.fetch import Fetcher, FetchFailed
from backend.inbound.posts import Post, read_post
from backend.settings import SiteConfig
from backend.store.base import Store

SUGGEST_EVERY_S = 86400  # one check per thread and network a day
_NAME = re.compile(r"^[a-z0-9_.:%-]{1,253}$")  # a user, handle or DID as kept (and logged)
HOUR = 3600


def suggested_key(uri: str, kind: OriginKind) -> str:
    """Held while the thread's binding on that network came from a suggestion."""
    return urls.key("fedi-suggested", uri, kind.value)


def refused_key(uri: str, kind: OriginKind) -> str:
    """Held while the owner refuses suggestions on that network (unbound or replaced one)."""
    return urls.key("fedi-refused", uri, kind.value)


def authors_of(kind: OriginKind, data: dict[str, Any], api: str) -> set[str]:
    """Who wrote a fetched post, as `announce_accounts` spells accounts: `user@host` for a
    Mastodon status's account local to the server asked (`api`), a Bluesky author's handle
    and DID; lowercase. Empty when the post names no author that server can vouch for."""
    found: set[str] = set()
    if kind is OriginKind.MASTODON:
        account = data.get("account")
        acct = account.get("acct") if isinstance(account, dict) else None
        host = (urlsplit(api).hostname or "").lower()
        if not isinstance(acct, str) or not host:
            return found
        user, _, home = acct.strip().lstrip("@").lower().partition("@")
        if _NAME.match(user) and home in ("", host):
            found.add(f"{user}@{host}")
        return found
    author = data.get("author")
    if isinstance(author, dict):
        for name in ("handle", "did"):
            value = author.get(name)
            name = value.strip().lstrip("@").lower() if isinstance(value, str) else ""
            if _NAME.match(name) and name != "handle.invalid":
                found.add(name)
    return found


def names_network(site: SiteConfig, post: Post) -> bool:
    """Whether the site names an account that could have written `post`: a Mastodon account on
    the post's host, or any Bluesky account. Without one, a suggestion is not even checked."""
    if post.kind is OriginKind.MASTODON:
        host = (urlsplit(post.api).hostname or "").lower()
        return any(a.partition("@")[2] == host for a in site.announce_accounts)
    return any("@" not in a for a in site.announce_accounts)


def held(store: Store, site: str, key: str, now: int) -> bool:
    """Whether `key` is held, in one write (a claim that expires as it is made)."""
    return not store.claim(site, key, now, now)


def suggest(
    store: Store,
    site_name: str,
    site: SiteConfig,
    uri: str,
    url: str,
    now: int,
    *,
    mark: bool = False,
) -> bool:
    """Queue one check of a suggested post; False when none was queued (one was lately, or
    the site's hour is spent). ValueError(why) when `url` names no post Parley can pull.
    A check queued holds the thread's suggestions for a day (`Thread.suggest_after`: the
    widget reads it and sends none meanwhile); `mark` holds them even when none was queued
    (the widget's request: it came because the thread did not say so yet). Nothing is queued
    for a post no account in the site's `announce_accounts` could have written."""
    post = read_post(url)  # never an `api` from whoever suggests: the post's own host's
    key = urls.key("fedi-suggest", uri, post.kind.value)
    moment = datetime.fromtimestamp(now, UTC)
    if (
        site.webmentions_per_hour == 0
        or not names_network(site, post)
        or not store.claim(site_name, key, now, now + SUGGEST_EVERY_S)
    ):
        if mark:
            store.hold_suggestions(site_name, uri, now + SUGGEST_EVERY_S, moment)
        return False
    try:
        rate.check(store, site_name, "webmention", site.webmentions_per_hour, HOUR, now)
    except errors.RateLimited:
        store.release(site_name, key)
        return False
    event = OutboxEvent(
        id=new_ulid(now), kind=EventKind.FEDIVERSE_SUGGEST.value, site=site_name, uri=uri,
        comment_id="", due=now,
        data={"kind": post.kind.value, "url": post.url, "api": post.api, "post": post.post},
    )  # fmt: skip
    store.enqueue([event])
    store.hold_suggestions(site_name, uri, now + SUGGEST_EVERY_S, moment)
    return True


def links_of(kind: OriginKind, data: dict[str, Any], base: str) -> list[str]:
    """Every URL a post names: any string in its JSON (a Bluesky facet's or external embed's
    `uri`, a Mastodon card's `url`) and, for Mastodon, each link in its HTML `content`."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    if kind is OriginKind.MASTODON:
        found += links_in(str(data.get("content", "")), base)
    return found


def links_to_page(links: list[str], site: SiteConfig, uri: str) -> bool:
    """Whether one of `links` is the page: on one of the site's origins, with the thread's
    path (and query)."""
    for link in links:
        try:
            checked = urls.checked(link.strip(), "link")
        except ValueError:
            continue
        if site.allows_origin(urls.origin(checked)) and urls.page_uri(checked) == uri:
            return True
    return False


def check(store: Store, site: SiteConfig, event: OutboxEvent, now: float) -> str:
    """The worker's side: fetch the post, bind when it is by one of the site's
    `announce_accounts` and links to the page. What happened, for the log; raises VerifyLater
    when trying again later could help (a timeout, a 5xx)."""
    from backend.inbound.bind import bind
    from backend.inbound.pull import fetch_json

    kind = OriginKind(event.data["kind"])
    post = Post(kind, event.data["url"], event.data["api"], event.data["post"])
    if held(store, event.site, refused_key(event.uri, kind), int(now)):
        return "refused by the owner"
    fetcher = Fetcher(allow_private=site.fetch_private_addresses)
    try:
        if kind is OriginKind.MASTODON:
            data = fetch_json(fetcher, f"{post.api}/api/v1/statuses/{quote(post.post)}")
        else:
            query = f"uri={quote(post.post, safe='')}&depth=0&parentHeight=0"
            got = fetch_json(fetcher, f"{post.api}/xrpc/app.bsky.feed.getPostThread?{query}")
            data = (got.get("thread") or {}).get("post") or {}
    except FetchFailed as exc:  # refused by the guard, a 404, not JSON: nothing to bind
        return f"not checked: {exc}"
    by = authors_of(kind, data, post.api)
    if not by & set(site.announce_accounts):
        who = ", ".join(sorted(by)) or "no account its server vouches for"
        # A stranger's suggestion does not take the day's check from the owner's.
        store.release(event.site, urls.key("fedi-suggest", event.uri, kind.value))
        return f"the post is by {who}, not one of the site's announce_accounts: not bound"
    if not links_to_page(links_of(kind, data, post.url), site, event.uri):
        return "the post does not link to the page: not bound"
    try:
        bind(store, event.site, event.uri, post.url, post.api, now, suggested=True)
    except errors.InvalidAction:
        return "the thread is already bound on that network"
    return f"bound to {post.url} (suggested)"
