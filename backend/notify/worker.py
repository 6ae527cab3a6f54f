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

import hashlib
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
from backend.notify.subscriptions import CONFIRM_TTL_S, SubscriptionService
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
MAILS_PER_HOUR: Final = 4  # reply mails per address and site; more go into an hourly digest
HOUR: Final = 3600
DAY: Final = 86400
# Confirmation mails go to an address nobody has vouched for yet: per address and site, one
# pending (sent, not yet answered or expired) at a time, and at most three a day.
CONFIRMS_PER_DAY: Final = 3
HELD_RECHECK_S: Final = 300  # a held comment's confirmation waits for its approval, rechecked
HELD_GIVE_UP_S: Final = 30 * DAY  # ... for at most this long
WAIT_MIN_S: Final = 600  # a request waiting on a pending confirmation is rechecked this often,
WAIT_MAX_S: Final = 6 * HOUR  # ... less often as it ages, never less than this
WEBHOOK_TIMEOUT_S: Final = 5.0
PURGE_EVERY_S: Final = 3600


class Later(Exception):
    """Planning found the event not ready (a confirmation for a held comment): due again in
    `seconds`, no attempt counted."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"not ready; again in {seconds} s")
        self.seconds = seconds


@dataclass(frozen=True)
class Delivery:
    key: str  # idempotency key
    what: str  # for logs: never an address
    send: Callable[[], None]


def _hex(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _same(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


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

    def __post_init__(self) -> None:
        if self.mailer is None:
            self.mailer = mailer_for(self.settings.mail)

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
            if event.kind in (EventKind.DIGEST, EventKind.OWNER_DIGEST):
                key = (event.kind, event.site, event.data.get("to", ""))
                digests.setdefault(key, []).append(event)
            else:
                self._run(event, partial(self.plan, event), [event])
        for group in digests.values():
            if group[0].kind == EventKind.OWNER_DIGEST:
                group = self._gather(group)
                self._run(group[0], partial(self._owner_digest, group), group)
            else:
                self._run(group[0], partial(self._digest, group), group)

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
            return plan + self._replies(event, comment)
        if event.kind == EventKind.APPROVED:
            return self._replies(event, comment)
        if event.kind == EventKind.EDITED:
            if comment.status is not Status.PENDING:
                return []
            return self._owner(event, site, comment, edited=True)
        if event.kind == EventKind.SUBSCRIBE:
            return self._confirmation(event, comment)
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
        message = letters.message(letter, sender=self.settings.mail_from, message_id=_hex(key))
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
            body = webhook.encode(self._hook_body(site, comment, links if pending else {}, edited))
            secret = webhook.secret_for(self.signer, event.site, site)
            key = f"{event.id}:webhook"
            headers = {
                "X-Parley-Signature": webhook.signature(secret, body),  # for one release more
                "X-Parley-Delivery": _hex(key),
                "X-Parley-Event": event.kind,
            }
            url = site.webhook

            def send(headers: dict[str, str] = headers, body: bytes = body) -> None:
                # Signed when sent: the timestamp is the attempt's, so a retry is fresh and a
                # captured delivery goes stale (receivers refuse an old timestamp).
                signed = webhook.standard_headers(secret, _hex(key), int(self.clock()), body)
                self.send_webhook(url, body, {**headers, **signed}, self.webhook_timeout_s)

            out.append(Delivery(key, "webhook", send))
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
                out.append(self._owner_mail(mail, site, comment, to))
        return out

    def _hook_body(
        self, site: SiteConfig, comment: Comment, links: dict[str, str], edited: bool
    ) -> dict[str, object]:
        if site.webhook_format == "parley":
            return webhook.payload(comment, links, edited=edited)
        said = chat.notice(comment, self._page(comment), links, edited=edited)
        return chat.body(site, said)

    def _owner_mail(self, mail: Delivery, site: SiteConfig, comment: Comment, to: str) -> Delivery:
        """The owner's mail, or, past the first few of its window, an item of the digest."""

        def send() -> None:
            address = self.subscriptions.email_hash(comment.site, to)
            span = digest.window(site.notify_digest, self.clock(), address)
            if span is not None:
                hits = self.store.hit_rate(comment.site, span.name, span.number, span.expires)
                if hits > digest.INSTANT_PER_WINDOW:
                    self.store.enqueue([digest.item(comment, to, address, span.ends)])
                    return
            mail.send()

        return Delivery(mail.key, mail.what, send)

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

    def _subscriber(self, answer: Comment) -> tuple[Comment, str] | None:
        """The parent of a reply and its confirmed subscriber's address, when that reader is
        to be mailed: not about their own reply, not after an erase, not after an opt-out."""
        if answer.parent is None or answer.status is not Status.APPROVED:
            return None
        parent = self.store.get_comment(answer.site, answer.uri, answer.parent)
        email = self.store.subscriber(answer.site, answer.uri, answer.parent)
        if parent is None or email is None or not _same(parent.email, email):
            return None
        if _same(answer.email, email):
            return None
        if self.subscriptions.opted_out(answer.site, email):
            return None
        return parent, email

    def _replies(self, event: OutboxEvent, answer: Comment) -> list[Delivery]:
        found = self._subscriber(answer) if self.mailer is not None else None
        if found is None:
            return []
        parent, email = found
        key = f"{event.id}:reply:{parent.id}"

        def send() -> None:
            if self._over_cap(answer.site, email):
                self.store.enqueue([self._digest_item(answer, email)])
                return
            letter = letters.reply(
                email, answer, parent, self._page(answer),
                unsubscribe=self.subscriptions.unsubscribe_url(parent),
                unsubscribe_all=self.subscriptions.unsubscribe_all_url(answer.site, email),
                site_name=answer.site,
            )  # fmt: skip
            self._mail(key, "reply mail", letter).send()

        return [Delivery(key, "reply mail", send)]

    def _over_cap(self, site: str, email: str) -> bool:
        now = self.clock()
        window = int(now) // HOUR
        client = "mail:" + self.subscriptions.email_hash(site, email)
        return self.store.hit_rate(site, client, window, (window + 2) * HOUR) > MAILS_PER_HOUR

    def _digest_item(self, answer: Comment, email: str) -> OutboxEvent:
        next_hour = (int(self.clock()) // HOUR + 1) * HOUR
        return OutboxEvent(
            id=f"digest-{answer.id}-{self.subscriptions.email_hash(answer.site, email)}",
            kind=EventKind.DIGEST.value,
            site=answer.site,
            uri=answer.uri,
            comment_id=answer.id,
            due=next_hour,
            data={"to": email},
        )

    def _digest(self, group: Sequence[OutboxEvent]) -> list[Delivery]:
        first = group[0]
        to = first.data.get("to", "")
        if self.mailer is None or not to:
            return []
        if self.subscriptions.opted_out(first.site, to):
            return []
        answers = []
        for item in group:
            answer = self.store.get_comment(item.site, item.uri, item.comment_id)
            if answer is not None and answer.status is Status.APPROVED:
                answers.append((answer, self._page(answer)))
        if not answers:
            return []
        letter = letters.digest(
            to, answers, site_name=first.site,
            unsubscribe_all=self.subscriptions.unsubscribe_all_url(first.site, to),
        )  # fmt: skip
        return [self._mail(f"{first.id}:digest", "digest mail", letter)]

    def _confirmation(self, event: OutboxEvent, comment: Comment) -> list[Delivery]:
        """The double opt-in's mail, for a published comment only: a held one waits for its
        approval (spam, deleted or erased ones never get one). The mail carries none of the
        reader's words (the address has not confirmed anything yet). Per address and site,
        one confirmation is pending at a time (`_hold`) and at most CONFIRMS_PER_DAY go out a
        day: the anyone-can-type-any-address form cannot flood a stranger's mailbox."""
        if self.mailer is None or not comment.email:
            return []
        age = self.clock() - ulid_time(event.id)
        if comment.status is not Status.APPROVED:
            if comment.status is Status.PENDING and age < HELD_GIVE_UP_S:
                raise Later(HELD_RECHECK_S)
            return []
        if not letters.valid_address(comment.email):
            return []
        site = comment.site
        if self.subscriptions.opted_out(site, comment.email):
            return []  # an address that said "never again" gets no confirmation mails either
        if self.store.subscriber(site, comment.uri, comment.id) is not None:
            return []
        key = f"{event.id}:confirm"
        if not self.store.was_sent(key):  # (once sent, the delivery below is skipped)
            if age >= HELD_GIVE_UP_S:
                log.info("confirmation for event %s dropped: it waited %d days", event.id,
                         HELD_GIVE_UP_S // DAY)  # fmt: skip
                return []
            self._hold(key, site, comment.email, age)
        letter = letters.confirm(
            comment.email, self._origin(comment), site_name=site,
            confirm_url=self.subscriptions.confirm_url(comment),
            unsubscribe_all=self.subscriptions.unsubscribe_all_url(site, comment.email),
        )  # fmt: skip
        return [self._mail(key, "confirmation mail", letter)]

    def _hold(self, key: str, site: str, email: str, age: float) -> None:
        """Take the address's one pending confirmation and one of its day's CONFIRMS_PER_DAY,
        both by conditional writes (two workers never both take them), or raise Later: while
        another confirmation is pending (sent, neither answered nor expired) this request
        waits on it, rechecked every WAIT_MIN_S to WAIT_MAX_S (less often as it ages); past
        the day's cap it waits for the next day. The confirm link frees the hold
        (SubscriptionService.follow_link), CONFIRM_TTL_S (the link's life) ends it."""
        held = f"{key}:held"
        if self.store.was_sent(held):
            return  # this event took them on an attempt whose mail did not go out
        now = int(self.clock())
        pending = self.subscriptions.pending_key(site, email)
        if not self.store.claim(site, pending, now, now + CONFIRM_TTL_S):
            raise Later(min(max(WAIT_MIN_S, age / 4), WAIT_MAX_S))
        day = now // DAY
        who = self.subscriptions.email_hash(site, email)
        slots = (f"confirm-day:{who}:{day}:{n}" for n in range(CONFIRMS_PER_DAY))
        if not any(self.store.use_once(site, slot, (day + 2) * DAY) for slot in slots):
            self.store.release(site, pending)
            raise Later((day + 1) * DAY - now)
        self.store.mark_sent(held, now, now + CONFIRM_TTL_S)

    def _origin(self, comment: Comment) -> str:
        return self.settings.sites[comment.site].page_origin or ""


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
