"""Verifying a Webmention (W3C Webmention, section 3.2.2), in the worker: fetch the source
through the guarded fetcher, confirm it links to the target, read its h-entry, and keep it as
a comment with origin "webmention" — or take a kept one away when the source answers 410 or
no longer links. Updates re-verify the same way (the same source and target find the same
comment again).

Likes and reposts of a page are not comments: each counts once in the thread's tally of
likes and reposts (shown beside its heading), held by a key per (source, target, kind) so a
re-sent one is not counted twice, a like that becomes a repost moves, and one whose source
goes (410, no link) is taken off. A reply or a plain mention becomes a comment.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from backend.domain.models import Origin, OriginKind, OutboxEvent
from backend.inbound import urls
from backend.inbound.entry import json_links_to, links_to, read_entry
from backend.inbound.fetch import Fetcher, FetchFailed
from backend.inbound.keep import KEY_LIFE_S, Incoming, Keeper
from backend.inbound.receive import pending_key

log = logging.getLogger("parley.inbound")


class VerifyLater(Exception):
    """The source could not be read for a reason that may pass (a timeout, a 5xx)."""


def mention_key(source: str, target: str) -> str:
    return urls.key("wm", urls.normal(source), urls.normal(target))


def tally_key(source: str, target: str, kind: str) -> str:
    """Held while the source counts as a `kind` ("like", "repost") of the target."""
    return urls.key(f"wm-{kind}", urls.normal(source), urls.normal(target))


@dataclass
class Verifier:
    keeper: Keeper
    fetcher_for: type[Fetcher] = Fetcher

    def verify(self, event: OutboxEvent, now: float) -> str:
        """What became of the mention (for the log). Raises VerifyLater to be retried."""
        source, target = event.data["source"], event.data["target"]
        site = self.keeper.settings.sites.get(event.site)
        if site is None:
            return "the site is no longer configured"
        fetcher = self.fetcher_for(allow_private=site.fetch_private_addresses)
        key = mention_key(source, target)
        try:
            fetched = fetcher.get(source)
        except FetchFailed as exc:
            if exc.retry:
                raise VerifyLater(str(exc)) from None
            self.keeper.store.release(event.site, pending_key(source, target))
            return f"not verified: {exc}"
        try:
            return self._judge(event, source, target, key, fetched.status, fetched.url,
                               fetched.content_type, fetched.text, now)  # fmt: skip
        finally:
            self.keeper.store.release(event.site, pending_key(source, target))

    def _judge(
        self, event: OutboxEvent, source: str, target: str, key: str, status: int,
        final_url: str, content_type: str, body: str, now: float,
    ) -> str:  # fmt: skip
        if status == 410:
            gone = self.keeper.remove(event.site, event.uri, key, now)
            gone |= self._tally(event.site, event.uri, source, target, None, now)
            return "source gone: removed" if gone else "source gone"
        if status >= 300:
            return f"source answered {status}: nothing changed"
        if content_type == "text/html":
            linked, title = links_to(body, final_url, target)
        else:
            try:
                linked, title = json_links_to(json.loads(body), target), ""
            except ValueError:
                linked, title = False, ""
        if not linked:
            gone = self.keeper.remove(event.site, event.uri, key, now)
            gone |= self._tally(event.site, event.uri, source, target, None, now)
            return "no link to the target: removed" if gone else "no link to the target"
        moment = datetime.fromtimestamp(now, UTC)
        entry = read_entry(body, final_url, target, moment) if content_type == "text/html" else None
        if entry is not None and entry.kind in ("like", "repost"):
            self.keeper.remove(event.site, event.uri, key, now)  # it was a reply before
            new = self._tally(event.site, event.uri, source, target, entry.kind, now)
            return f"a {entry.kind}: counted" if new else f"a {entry.kind}: already counted"
        self._tally(event.site, event.uri, source, target, None, now)  # it was a like before
        host = urls.origin(final_url).split("://", 1)[1]
        incoming = Incoming(
            key=key,
            origin=Origin(OriginKind.WEBMENTION, source),
            author=entry.author if entry else host,
            website=entry.author_url if entry else None,
            html=entry.html if entry else "",
            text=(entry.text if entry else "") or title,
            created=(entry.published if entry and entry.published else moment),
        )
        kept = self.keeper.keep(event.site, event.uri, incoming, now)
        return "kept" if kept is not None else "left as the moderator set it"

    def _tally(
        self, site: str, uri: str, source: str, target: str, kind: str | None, now: float
    ) -> bool:
        """Count the source as a like or a repost of the page (`kind`), or as neither (None);
        True when the tally moved. The keys make it idempotent: the pending hold (receive.py)
        lets one verification of a pair run at a time."""
        store = self.keeper.store
        moved = {"like": 0, "repost": 0}
        for each in moved:
            held = tally_key(source, target, each)
            if each == kind:
                moved[each] += store.claim(site, held, int(now), int(now) + KEY_LIFE_S)
            else:
                moved[each] -= store.release(site, held)
        if not any(moved.values()):
            return False
        when = datetime.fromtimestamp(now, UTC)
        store.add_reactions(site, uri, moved["like"], moved["repost"], when)
        return True
