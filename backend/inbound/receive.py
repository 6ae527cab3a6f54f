"""The Webmention receiver's rules (W3C Webmention, 2017, section 3.2): what a request must
hold to be queued, and its bounds. The handler (backend/api/webmention.py) answers 202 as soon
as this returns; verification (fetching the source) is the worker's, through the outbox.

Bounds, as for any unauthenticated write: the site's per-network rate limit (a sliding
window, domain/rate.py, as for posts), one pending verification per (source, target) — a
second request while one waits is answered 202 and adds nothing, since the pending check
fetches the source as it is then — and at most `webmentions_per_hour` verifications queued
per site in any hour (each is a fetch and a few writes; the same sliding window).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from backend.domain import errors, rate
from backend.domain.identity import client_hash
from backend.domain.ids import new_ulid
from backend.domain.limits import check_uri
from backend.domain.models import OutboxEvent
from backend.domain.outbox import EventKind
from backend.domain.tokens import Signer
from backend.inbound import urls
from backend.settings import Settings, SiteConfig
from backend.store.base import Store

RATE_WINDOW_S = 60
HOUR = 3600
PENDING_S = 3600  # a claim outlives a worker that died mid-verification by this much


@dataclass(frozen=True, slots=True)
class Queued:
    site: str
    uri: str
    new: bool  # False: a verification of this pair was already pending


def pending_key(source: str, target: str) -> str:
    return urls.key("wm-pending", urls.normal(source), urls.normal(target))


@dataclass
class WebmentionReceiver:
    settings: Settings
    store: Store
    signer: Signer
    clock: Callable[[], float] = time.time

    def receive(
        self, source: str, target: str, client_ip: str, site_hint: str | None = None
    ) -> Queued:
        problems: dict[str, str] = {}
        for name, value in (("source", source), ("target", target)):
            try:
                urls.checked(value, name)
            except ValueError as exc:
                problems[name] = str(exc)
        if problems:
            raise errors.BadRequest("The Webmention is malformed.", fields=problems)
        if urls.same(source, target):
            raise errors.BadRequest(
                "A page cannot mention itself.", fields={"source": "the same URL as target"}
            )
        name, site = self._site_of(target, site_hint)
        uri = urls.page_uri(target)
        try:
            check_uri(uri)
        except ValueError as exc:
            raise errors.BadRequest(
                "The target is too long.", fields={"target": str(exc)}
            ) from None
        moment = self.clock()
        now = int(moment)
        self._limit(name, client_hash(self.signer, name, client_ip) + ":webmention",
                    site.rate_limit_per_minute, RATE_WINDOW_S, moment)  # fmt: skip
        key = pending_key(source, target)
        if not self.store.claim(name, key, now, now + PENDING_S):
            return Queued(name, uri, new=False)
        try:
            self._limit(name, "webmention", site.webmentions_per_hour, HOUR, moment)
        except errors.RateLimited:
            self.store.release(name, key)
            raise
        event = OutboxEvent(
            id=new_ulid(now), kind=EventKind.WEBMENTION.value, site=name, uri=uri,
            comment_id="", due=now, data={"source": source, "target": target},
        )  # fmt: skip
        self.store.enqueue([event])
        return Queued(name, uri, new=True)

    def _site_of(self, target: str, hint: str | None) -> tuple[str, SiteConfig]:
        """The site whose pages `target` is on: the one the endpoint's `?site=` names, else the
        first whose origins include the target's."""
        origin = urls.origin(target)
        if hint is not None:
            site = self.settings.sites.get(hint)
            if site is None:
                raise errors.UnknownSite(f"No site named {hint!r} is configured.")
            candidates = [(hint, site)]
        else:
            candidates = list(self.settings.sites.items())
        for name, site in candidates:
            if site.allows_origin(origin) and site.webmentions_per_hour > 0:
                return name, site
        raise errors.BadRequest(
            "The target is not a page this server takes Webmentions for.",
            fields={"target": "not on any configured site's origins"},
        )

    def _limit(self, site: str, client: str, most: int, window_s: int, now: float) -> None:
        rate.check(self.store, site, client, most, window_s, now)  # RateLimited, Retry-After
