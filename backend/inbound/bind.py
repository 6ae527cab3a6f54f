"""Binding a thread to its announcement post: the owner's act (admin token), never a
reader's. One post per network per thread (a Mastodon post and a Bluesky post may both be
bound); binding starts the pulls (pull.py), unbinding stops them."""

from __future__ import annotations

from dataclasses import dataclass

from backend.domain import errors
from backend.domain.limits import check_uri
from backend.inbound.posts import Post, read_post
from backend.inbound.pull import PULL_DAYS, binding_keys, first_pull
from backend.store.base import Store


@dataclass(frozen=True, slots=True)
class Bound:
    post: Post
    bound: bool


def bind(store: Store, site: str, uri: str, url: str, api: str | None, now: float) -> Bound:
    post = _post(uri, url, api)
    network, own = binding_keys(uri, post.kind, post.url)
    until = int(now) + PULL_DAYS * 86400
    if not store.claim(site, network, int(now), until):
        raise errors.InvalidAction(
            f"This thread is already bound to a {post.kind.value} post: unbind it first.",
        )
    store.claim(site, own, int(now), until)
    store.enqueue([first_pull(site, uri, post, now)])
    return Bound(post, True)


def unbind(store: Store, site: str, uri: str, url: str, api: str | None) -> Bound:
    post = _post(uri, url, api)
    for key in binding_keys(uri, post.kind, post.url):
        store.release(site, key)
    return Bound(post, False)


def _post(uri: str, url: str, api: str | None) -> Post:
    try:
        check_uri(uri)
        return read_post(url, api)
    except ValueError as exc:
        raise errors.ValidationFailed(fields={"url": str(exc)}) from None
