"""The worker's side of inbound events (backend/notify/worker.py hands them here): one
Webmention verification, or one pull of a bound thread's fediverse replies."""

from __future__ import annotations

import logging

from backend.domain.models import OutboxEvent
from backend.domain.outbox import EventKind
from backend.domain.tokens import Signer
from backend.inbound.keep import Keeper
from backend.inbound.webmention import Verifier, VerifyLater
from backend.settings import Settings
from backend.store.base import Store

__all__ = ["KINDS", "VerifyLater", "run"]

log = logging.getLogger("parley.inbound")

KINDS = frozenset(
    {EventKind.WEBMENTION.value, EventKind.FEDIVERSE_PULL.value, EventKind.FEDIVERSE_SUGGEST.value}
)


def run(settings: Settings, store: Store, signer: Signer, event: OutboxEvent, now: float) -> str:
    """Handle one inbound event; what happened, for the log. Raises VerifyLater when trying
    again later could help (the worker keeps the event, with backoff)."""
    keeper = Keeper(settings, store, signer)
    if event.kind == EventKind.WEBMENTION:
        outcome = Verifier(keeper).verify(event, now)
    elif event.kind == EventKind.FEDIVERSE_SUGGEST:
        from backend.inbound.suggest import check

        site = settings.sites.get(event.site)
        outcome = (
            "the site is no longer configured" if site is None else check(store, site, event, now)
        )
    else:
        from backend.inbound.pull import pull

        outcome = pull(keeper, event, now)
    log.info("%s %s for %s %s: %s", event.kind, event.id, event.site, event.uri, outcome)
    return outcome
