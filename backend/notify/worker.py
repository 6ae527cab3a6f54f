"""The worker: turns outbox events into deliveries (mails, webhooks) and makes them.

At least once, and in practice exactly once: each delivery has an idempotency key (the event
id, the channel and the recipient), checked before and recorded after it is made, so a retried
event skips what already went out; the key is also the mail's Message-ID and the webhook's
X-Parley-Delivery. A delivery that fails for a reason that may pass (a timeout, a busy server)
keeps its event in the outbox with a later `due` (backoff), logged; nothing is dropped.

Runs as a task of the app's lifespan in `parley serve` (worker_loop) and as its own Lambda
function on AWS (lambda_worker.py). Never inside a reader's request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Final
from urllib.parse import urlencode

from backend.domain import errors
from backend.domain.ids import ulid_time
from backend.domain.models import OWNER, Comment, OutboxEvent, Status
from backend.domain.moderation import ModerationService
from backend.domain.outbox import EventKind
from backend.domain.tokens import Signer
from backend.notify import chat, digest, letters, upkeep, webhook
from backend.notify.plan import Delivery, Later, delivery_id
from backend.notify.readers import ReaderMail
from backend.notify.subscriptions import SubscriptionService
from backend.notify.transport import DeliveryFailed, Mailer, mailer_for, post_webhook
from backend.settings import Settings, SiteConfig
from backend.store.base import Store

log = logging.getLogger("parley.notify")

BATCH: Final = 50
BACKOFF_S: Final = (30, 120, 600, 1800, 3600, 3 * 3600)  # then every 6 hours
LATE_BACKOFF_S: Final = 6 * 3600
LOUD_AFTER: Final = 6  # attempts after which each failure is logged as an error
DEAD_AFTER: Final = 24  # attempts (~4.6 days of backoff) after which an event is a dead letter
SENT_TTL_S: Final = 30 * 86400
WEBHOOK_TIMEOUT_S: Final = 5.0
PURGE_EVERY_S: Final = 3600


@dataclass
class Worker:
    settings: Settings
    store: Store
    signer: Signer
    moderation: ModerationService
    subscriptions: SubscriptionService
    clock: Callable[[], float] = time.time
    mailer: Mailer | None = None
    send_webhook: Callable[[str, bytes, dict[str, str], float], None] = post_webhook
    webhook_timeout_s: float = WEBHOOK_TIMEOUT_S
    _last_purge: float = field(default=float("-inf"))

    readers: ReaderMail = field(init=False)

    def __post_init__(self) -> None:
        if self.mailer is None:
            self.mailer = mailer_for(self.settings.mail)
        self.readers = ReaderMail(
            self.settings, self.store, self.subscriptions, self._mail, self._page,
            mailing=self.mailer is not None, clock=self.clock,
        )  # fmt: skip

    # -- the loop's one step -----------------------------------------------------------------

    def tick(self) -> int:
        """Purge stale pending comments and repair counters (hourly); deliver what is due."""
        if self.clock() - self._last_purge >= PURGE_EVERY_S:
            self.purge()
            self.repair_counters()
        return self.drain()

    def repair_counters(self, out_of_time: Callable[[], bool] | None = None) -> int:
        """Recount threads a cut-short write left marked (upkeep.py); how many were. No thread
        is started once `out_of_time()` (a Lambda invocation near its timeout)."""
        now_ms = int(self.clock() * 1000)
        return upkeep.repair_counters(
            self.store, self.settings.sites, now_ms=now_ms, out_of_time=out_of_time
        )

    def purge(self) -> None:
        for name, site in self.settings.sites.items():
            try:
                self.moderation.purge_pending(name, site)
            except Exception:
                log.exception("pending purge of site %s failed; next run retries", name)
        self._last_purge = self.clock()

    def drain(self, *, older_than_s: float = 0.0, rounds: int = 20) -> int:
        """Deliver due events, a batch at a time. `older_than_s` leaves fresh events to
        another consumer (on AWS the Stream delivers them; the schedule takes what it missed)."""
        done = 0
        for _ in range(rounds):
            events = self.store.due_events(self.clock() - older_than_s, BATCH)
            if not events:
                break
            self.process(events)
            done += len(events)
            if len(events) < BATCH:
                break
        return done

    def process(self, events: Sequence[OutboxEvent]) -> None:
        digests: dict[tuple[str, str, str], list[OutboxEvent]] = {}
        for event in events:
            if event.kind in (EventKind.DIGEST, EventKind.OWNER_DIGEST, EventKind.CHAT_DIGEST):
                key = (event.kind, event.site, event.data.get("to", ""))
                digests.setdefault(key, []).append(event)
            else:
                self._run(event, partial(self.plan, event), [event])
        for group in digests.values():
            if group[0].kind == EventKind.OWNER_DIGEST:
                group = self._gather(group)
                self._run(group[0], partial(self._owner_digest, group), group)
            elif group[0].kind == EventKind.CHAT_DIGEST:
                group = self._gather(group)
                self._run(group[0], partial(self._chat_digest, group), group)
            else:
                self._run(group[0], partial(self.readers.digest, group), group)

    # -- delivering one event ----------------------------------------------------------------

    def _run(
        self,
        event: OutboxEvent,
        plan: Callable[[], list[Delivery]],
        finished: Sequence[OutboxEvent],
    ) -> None:
        try:
            deliveries = plan()
        except Later as later:
            for e in finished:
                self.store.retry_event(replace(e, due=self.clock() + later.seconds))
            return
        except Exception as exc:  # a store outage: the event stays, and is tried again
            log.exception("planning event %s (%s) failed", event.id, event.kind)
            for e in finished:
                self._retry(e, f"{type(exc).__name__}: {exc}", never=_never(exc))
            return
        problems: list[str] = []
        never = False
        for delivery in deliveries:
            if self.store.was_sent(delivery.key):
                continue
            try:
                delivery.send()
            except DeliveryFailed as exc:
                if exc.retry:
                    problems.append(f"{delivery.what}: {exc}")
                    continue
                log.warning("%s for event %s refused (%s); not retried", delivery.what,
                            event.id, exc)  # fmt: skip
            except Exception as exc:  # a bug or a store outage: keep the event, say why
                log.exception("%s for event %s failed", delivery.what, event.id)
                problems.append(f"{delivery.what}: {type(exc).__name__}: {exc}")
                never = never or _never(exc)
                continue
            now = int(self.clock())
            self.store.mark_sent(delivery.key, now, now + SENT_TTL_S)
        for e in finished:
            if problems:
                self._retry(e, "; ".join(problems), never=never)
            else:
                self.store.finish_event(e.id)

    def _retry(self, event: OutboxEvent, problem: str, *, never: bool = False) -> None:
        """Try the event again later, with backoff; or, when it can never succeed (the store
        refused a request as malformed) or failed DEAD_AFTER times, move it to the dead
        letters with an ERROR: an operator reads them (`parley dead-letters`)."""
        attempts = event.attempts + 1
        if never or attempts >= DEAD_AFTER:
            why = "can never succeed" if never else f"failed {attempts} times"
            log.error("event %s (%s) %s: %s; moved to the dead letters",
                      event.id, event.kind, why, problem)  # fmt: skip
            self.store.bury_event(replace(event, attempts=attempts, error=problem[:500]))
            return
        wait = BACKOFF_S[attempts - 1] if attempts <= len(BACKOFF_S) else LATE_BACKOFF_S
        level = logging.ERROR if attempts >= LOUD_AFTER else logging.WARNING
        log.log(level, "event %s (%s) attempt %d failed: %s; next try in %d s",
                event.id, event.kind, attempts, problem, wait)  # fmt: skip
        later = replace(event, attempts=attempts, due=self.clock() + wait, error=problem[:500])
        self.store.retry_event(later)

    # -- what each event means ---------------------------------------------------------------

    def plan(self, event: OutboxEvent) -> list[Delivery]:
        if event.kind in (
            EventKind.WEBMENTION,
            EventKind.FEDIVERSE_PULL,
            EventKind.FEDIVERSE_SUGGEST,
        ):
            return [Delivery(f"{event.id}:inbound", event.kind, partial(self._inbound, event))]
        site = self.settings.sites.get(event.site)
        comment = self.store.get_comment(event.site, event.uri, event.comment_id)
        if site is None or comment is None:
            return []  # the site was removed from the configuration, or the comment erased
        if event.kind == EventKind.POSTED:
            if comment.status in (Status.SPAM, Status.DELETED):
                return []
            own = comment.role == OWNER  # the owner's own reply: no mail to the owner about it
            plan = [] if own else self._owner(event, site, comment, edited=False)
            return plan + self.readers.replies(event, comment)
        if event.kind == EventKind.APPROVED:
            return self.readers.replies(event, comment)
        if event.kind == EventKind.EDITED:
            if comment.status is not Status.PENDING:
                return []
            return self._owner(event, site, comment, edited=True)
        if event.kind == EventKind.SUBSCRIBE:
            return self.readers.confirmation(event, comment)
        log.warning("event %s has an unknown kind %r; dropped", event.id, event.kind)
        return []

    def _inbound(self, event: OutboxEvent) -> None:
        """A Webmention to verify or replies to pull (backend/inbound/): fetches under the
        SSRF guard, as a delivery, so a source that is down is retried with backoff."""
        from backend.inbound import work

        try:
            work.run(self.settings, self.store, self.signer, event, self.clock())
        except work.VerifyLater as exc:
            raise DeliveryFailed(str(exc), retry=True) from None

    def _page(self, comment: Comment) -> letters.Page:
        thread = self.store.get_thread(comment.site, comment.uri)
        title = (thread.title if thread else "") or comment.uri
        origin = self.settings.sites[comment.site].page_origin or ""
        return letters.Page(title, origin + comment.uri)

    def _mail(self, key: str, what: str, letter: letters.Letter) -> Delivery:
        mailer = self.mailer
        assert mailer is not None
        sender = self.settings.mail_from
        message = letters.message(letter, sender=sender, message_id=delivery_id(key))
        return Delivery(key, what, lambda: mailer.send(message))

    def _owner(
        self, event: OutboxEvent, site: SiteConfig, comment: Comment, *, edited: bool
    ) -> list[Delivery]:
        pending = comment.status is Status.PENDING
        # Dated from the event, so a retried delivery carries the very same body and signature.
        links = self.moderation.links(comment, now=ulid_time(event.id))
        if not pending:
            links = {k: v for k, v in links.items() if k != "approve"}
        out: list[Delivery] = []
        wants_hook = site.notify == "all" or (site.notify == "pending" and pending)
        if site.webhook and wants_hook:
            body = self._hook_body(site, comment, links if pending else {}, edited)
            hook = self._hook(f"{event.id}:webhook", event, site, body)
            if site.webhook_format != "parley":  # a chat: past the first few, its digest
                hook = self._or_digest(hook, site, comment, digest.CHAT, digest.chat_item)
            out.append(hook)
        if self.mailer is not None and site.notify_emails:
            page = self._page(comment)
            # The fragment never reaches a server; the page asks for the token if it has none.
            at = urlencode({"site": comment.site, "reply": comment.id})
            reply = f"{self.settings.public_url}/admin#{at}"
            for number, to in enumerate(site.notify_emails):
                letter = letters.owner(
                    to, comment, page, links, edited=edited, reply=None if pending else reply
                )
                mail = self._mail(f"{event.id}:owner:{to}", f"owner mail {number}", letter)
                address = self.subscriptions.email_hash(comment.site, to)

                def kept(c: Comment, due: int, to: str = to, address: str = address) -> OutboxEvent:
                    return digest.item(c, to, address, due)

                out.append(self._or_digest(mail, site, comment, address, kept))
        return out

    def _hook(
        self, key: str, event: OutboxEvent, site: SiteConfig, body: dict[str, object]
    ) -> Delivery:
        """The site's webhook POST of `body`, signed."""
        data = webhook.encode(body)
        secret = webhook.secret_for(self.signer, event.site, site)
        headers = {
            "X-Parley-Signature": webhook.signature(secret, data),  # for one release more
            "X-Parley-Delivery": delivery_id(key),
            "X-Parley-Event": event.kind,
        }
        url = site.webhook
        assert url is not None

        def send() -> None:
            # Signed when sent: the timestamp is the attempt's, so a retry is fresh and a
            # captured delivery goes stale (receivers refuse an old timestamp).
            signed = webhook.standard_headers(secret, delivery_id(key), int(self.clock()), data)
            self.send_webhook(url, data, {**headers, **signed}, self.webhook_timeout_s)

        return Delivery(key, "webhook", send)

    def _hook_body(
        self, site: SiteConfig, comment: Comment, links: dict[str, str], edited: bool
    ) -> dict[str, object]:
        if site.webhook_format == "parley":
            return webhook.payload(comment, links, edited=edited)
        said = chat.notice(comment, self._page(comment), links, edited=edited)
        return chat.body(site, said)

    def _or_digest(
        self,
        at_once: Delivery,
        site: SiteConfig,
        comment: Comment,
        who: str,
        kept: Callable[[Comment, int], OutboxEvent],
    ) -> Delivery:
        """The delivery, or, past the first few of its window, an item of the digest."""

        def send() -> None:
            span = digest.window(site.notify_digest, self.clock(), who)
            if span is not None and (
                span.at_once == 0  # a digest only: no counter to keep
                or self.store.hit_rate(comment.site, span.name, span.number, span.expires)
                > span.at_once
            ):
                self.store.enqueue([kept(comment, span.ends)])
                return
            at_once.send()

        return Delivery(at_once.key, at_once.what, send)

    def _gather(self, group: list[OutboxEvent]) -> list[OutboxEvent]:
        """Every due item of this digest, not only this batch's: one mail for a long burst."""
        try:
            due = self.store.due_events(self.clock(), digest.GATHER)
        except Exception:  # the batch's own items still make a digest
            log.exception("gathering the digest of event %s failed", group[0].id)
            return group
        return digest.gathered(group, due)

    def _owner_digest(self, group: Sequence[OutboxEvent]) -> list[Delivery]:
        first = group[0]
        to = first.data.get("to", "")
        site = self.settings.sites.get(first.site)
        if self.mailer is None or not to or site is None or to not in site.notify_emails:
            return []  # the site or the address was taken out of the settings since
        links = self.moderation.links
        letter = digest.compose(self.store, group, self._page, lambda c, at: links(c, now=at))
        if letter is None:
            return []
        return [self._mail(f"{first.id}:odigest", "owner digest", letter)]

    def _chat_digest(self, group: Sequence[OutboxEvent]) -> list[Delivery]:
        first = group[0]
        site = self.settings.sites.get(first.site)
        if site is None or not site.webhook or site.webhook_format == "parley":
            return []  # the site or its chat was taken out of the settings since
        links = self.moderation.links
        held, new = digest.entries(self.store, group, self._page, lambda c, at: links(c, now=at))
        if not held and not new:
            return []
        body = chat.digest_body(site, held, new)
        return [self._hook(f"{first.id}:cdigest", first, site, body)]


def _never(exc: BaseException) -> bool:
    """Whether a failure means the event can never succeed as it is."""
    return isinstance(exc, errors.StoreRefused)


def build_worker(
    settings: Settings, store: Store, *, clock: Callable[[], float] = time.time
) -> Worker:
    """A worker outside the app (the Lambda worker function, `parley worker`)."""
    signer = Signer(settings.secret_keys)
    moderation = ModerationService(settings, store, signer, clock=clock)
    subscriptions = SubscriptionService(settings, store, signer, clock=clock)
    return Worker(settings, store, signer, moderation, subscriptions, clock=clock)
