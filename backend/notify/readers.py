"""Mail to readers: replies to a subscriber, their hourly digest, and the double opt-in's
confirmation, with the caps that keep any of them from flooding an address.

The worker (worker.py) plans an event through these and makes the deliveries they return.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from backend.domain.ids import ulid_time
from backend.domain.models import Comment, OutboxEvent, Status
from backend.domain.outbox import EventKind
from backend.notify import letters
from backend.notify.plan import Delivery, Later
from backend.notify.subscriptions import CONFIRM_TTL_S, SubscriptionService
from backend.settings import Settings
from backend.store.base import Store

log = logging.getLogger("parley.notify")

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


def same_address(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


@dataclass
class ReaderMail:
    settings: Settings
    store: Store
    subscriptions: SubscriptionService
    mail: Callable[[str, str, letters.Letter], Delivery]  # key, what (for logs), the letter
    page: Callable[[Comment], letters.Page]
    mailing: bool  # a mailer is configured
    clock: Callable[[], float] = time.time

    def _subscriber(self, answer: Comment) -> tuple[Comment, str] | None:
        """The parent of a reply and its confirmed subscriber's address, when that reader is
        to be mailed: not about their own reply, not after an erase, not after an opt-out."""
        if answer.parent is None or answer.status is not Status.APPROVED:
            return None
        parent = self.store.get_comment(answer.site, answer.uri, answer.parent)
        email = self.store.subscriber(answer.site, answer.uri, answer.parent)
        if parent is None or email is None or not same_address(parent.email, email):
            return None
        if same_address(answer.email, email):
            return None
        if self.subscriptions.opted_out(answer.site, email):
            return None
        return parent, email

    def replies(self, event: OutboxEvent, answer: Comment) -> list[Delivery]:
        found = self._subscriber(answer) if self.mailing else None
        if found is None:
            return []
        parent, email = found
        key = f"{event.id}:reply:{parent.id}"

        def send() -> None:
            if self._over_cap(answer.site, email):
                self.store.enqueue([self._digest_item(answer, email)])
                return
            letter = letters.reply(
                email, answer, parent, self.page(answer),
                unsubscribe=self.subscriptions.unsubscribe_url(parent),
                unsubscribe_all=self.subscriptions.unsubscribe_all_url(answer.site, email),
                site_name=answer.site,
            )  # fmt: skip
            self.mail(key, "reply mail", letter).send()

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

    def digest(self, group: Sequence[OutboxEvent]) -> list[Delivery]:
        first = group[0]
        to = first.data.get("to", "")
        if not self.mailing or not to:
            return []
        if self.subscriptions.opted_out(first.site, to):
            return []
        answers = []
        for item in group:
            answer = self.store.get_comment(item.site, item.uri, item.comment_id)
            if answer is not None and answer.status is Status.APPROVED:
                answers.append((answer, self.page(answer)))
        if not answers:
            return []
        letter = letters.digest(
            to, answers, site_name=first.site,
            unsubscribe_all=self.subscriptions.unsubscribe_all_url(first.site, to),
        )  # fmt: skip
        return [self.mail(f"{first.id}:digest", "digest mail", letter)]

    def confirmation(self, event: OutboxEvent, comment: Comment) -> list[Delivery]:
        """The double opt-in's mail, for a published comment only: a held one waits for its
        approval (spam, deleted or erased ones never get one). The mail carries none of the
        reader's words (the address has not confirmed anything yet). Per address and site,
        one confirmation is pending at a time (`_hold`) and at most CONFIRMS_PER_DAY go out a
        day: the anyone-can-type-any-address form cannot flood a stranger's mailbox."""
        if not self.mailing or not comment.email:
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
        return [self.mail(key, "confirmation mail", letter)]

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
