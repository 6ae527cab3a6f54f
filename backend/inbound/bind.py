"""Binding a thread to its announcement post: the owner's act (admin token), or a suggestion
the worker checked (suggest.py), never a reader's. One post per network per thread (a Mastodon
post and a Bluesky post may both be bound); binding starts the pulls (pull.py), unbinding
stops them. The owner's word is first: the owner binding over a suggested post replaces it,
and the owner's unbinding refuses suggestions on that network for PULL_DAYS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from backend.domain import errors
from backend.domain.limits import check_uri
from backend.inbound.posts import Post, read_post
from backend.inbound.pull import PULL_DAYS, binding_keys, first_pull
from backend.inbound.suggest import held, refused_key, suggested_key
from backend.store.base import Store


@dataclass(frozen=True, slots=True)
class Bound:
    post: Post
    bound: bool


def bind(
    store: Store,
    site: str,
    uri: str,
    url: str,
    api: str | None,
    now: float,
    *,
    suggested: bool = False,
) -> Bound:
    post = _post(uri, url, api)
    network, own = binding_keys(uri, post.kind, post.url)
    until = int(now) + PULL_DAYS * 86400
    if not store.claim(site, network, int(now), until):
        taken = suggested or not held(store, site, suggested_key(uri, post.kind), int(now))
        if taken:
            raise errors.InvalidAction(
                f"This thread is already bound to a {post.kind.value} post: unbind it first.",
            )
        _refuse(store, site, uri, post, now)  # the suggested post's pulls stop
        store.release(site, network)
        store.claim(site, network, int(now), until)
    if suggested:
        store.claim(site, suggested_key(uri, post.kind), int(now), until)
    store.claim(site, own, int(now), until)
    store.enqueue([first_pull(site, uri, post, now, suggested=suggested)])
    store.hold_suggestions(site, uri, until, datetime.fromtimestamp(now, UTC))
    return Bound(post, True)


def unbind(store: Store, site: str, uri: str, url: str, api: str | None, now: float) -> Bound:
    post = _post(uri, url, api)
    for key in binding_keys(uri, post.kind, post.url):
        store.release(site, key)
    _refuse(store, site, uri, post, now)
    return Bound(post, False)


def _refuse(store: Store, site: str, uri: str, post: Post, now: float) -> None:
    """No suggestion on this network binds the thread again for PULL_DAYS; a suggested
    binding's pulls stop at their next run."""
    store.release(site, suggested_key(uri, post.kind))
    until = int(now) + PULL_DAYS * 86400
    store.release(site, refused_key(uri, post.kind))
    store.claim(site, refused_key(uri, post.kind), int(now), until)
    store.hold_suggestions(site, uri, until, datetime.fromtimestamp(now, UTC))


def _post(uri: str, url: str, api: str | None) -> Post:
    try:
        check_uri(uri)
        return read_post(url, api)
    except ValueError as exc:
        raise errors.ValidationFailed(fields={"url": str(exc)}) from None
