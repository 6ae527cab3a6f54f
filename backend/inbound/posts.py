"""Announcement posts an owner binds a thread to: which service, which post, where to ask.

A binding is read from the post's public URL as people share it:
- Mastodon (and other servers with its API): `https://host/@user/ID` or
  `https://host/users/user/statuses/ID`; replies come from `GET /api/v1/statuses/ID/context`
  on that host.
- Bluesky: `https://bsky.app/profile/HANDLE-OR-DID/post/RKEY`; replies come from
  `app.bsky.feed.getPostThread` on a public AppView (`api`, by default Bluesky's own) with
  the post's at-uri `at://HANDLE-OR-DID/app.bsky.feed.post/RKEY`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from backend.domain.models import OriginKind
from backend.inbound import urls

BLUESKY_API = "https://public.api.bsky.app"
_MASTODON = re.compile(r"^/(?:@[^/]+|users/[^/]+/statuses)/(\d{1,30})/?$")
_BLUESKY = re.compile(r"^/profile/([A-Za-z0-9.:_-]{1,253})/post/([A-Za-z0-9._~:-]{1,512})/?$")


@dataclass(frozen=True, slots=True)
class Post:
    kind: OriginKind
    url: str  # as the owner gave it
    api: str  # the base URL asked for replies
    post: str  # a Mastodon status id, or a Bluesky at-uri


def read_post(url: str, api: str | None = None) -> Post:
    """The post a public URL names; ValueError(why) when it names none we can pull."""
    url = urls.checked(url, "url")
    parts = urlsplit(url)
    if parts.hostname == "bsky.app":
        found = _BLUESKY.match(parts.path)
        if found is None:
            raise ValueError(
                "a Bluesky post's URL looks like https://bsky.app/profile/NAME/post/ID"
            )
        actor, rkey = found.groups()
        base = urls.checked(api, "api") if api else BLUESKY_API
        at = f"at://{actor}/app.bsky.feed.post/{rkey}"
        return Post(OriginKind.BLUESKY, url, base.rstrip("/"), at)
    found = _MASTODON.match(parts.path)
    if found is None:
        raise ValueError(
            "a Mastodon post's URL looks like https://host/@user/ID; a Bluesky post's like "
            "https://bsky.app/profile/NAME/post/ID"
        )
    base = urls.checked(api, "api") if api else urls.origin(url)
    return Post(OriginKind.MASTODON, url, base.rstrip("/"), found.group(1))
