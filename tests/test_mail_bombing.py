"""Confirmation mails cannot be turned on a stranger's mailbox: per address and site one
confirmation pending at a time (a new request waits until it is answered or expires) and at
most three a day, none for a held comment until it is approved, none ever for spam, and none
carries a word the commenter typed (the address has confirmed nothing yet). On every store,
to the real SMTP sink."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.domain.moderation import token_hash
from backend.notify.readers import CONFIRMS_PER_DAY, HELD_RECHECK_S, WAIT_MAX_S
from backend.notify.subscriptions import CONFIRM_TTL_S
from tests.conftest import ORIGIN, Clock
from tests.helpers import post
from tests.moderation_support import TOKEN, act
from tests.notify_support import Mailbox, drain, link_path, mail_client, smtp_server, text_of

VICTIM = "victim@example.com"
PILLS = "Buy pills at https://pills.example/now"
SITES: dict[str, Any] = {
    "blog": {"origins": [ORIGIN], "moderation": "none", "rate_limit_per_minute": 1000},
    "held": {
        "origins": [ORIGIN], "moderation": "all", "rate_limit_per_minute": 1000,
        "admin_token_hashes": [token_hash(TOKEN)],
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def mailbox(smtp: Mailbox) -> Mailbox:
    smtp.clear()
    return smtp


def confirmations(box: Mailbox) -> list[bytes]:
    return [raw for raw in box.raw_to(VICTIM) if b"Subject: Confirm" in raw]


def confirm_last(c: TestClient, box: Mailbox) -> None:
    """Follow the newest confirmation mail's link, as its reader would."""
    mail = [m for m in box.to(VICTIM) if str(m["Subject"]).startswith("Confirm")][-1]
    link = next(w for w in text_of(mail).split() if "/subscriptions/" in w)
    assert c.post(link_path(link), data={"action": "yes"}).status_code == 200


def test_one_confirmation_pending_at_a_time_per_address_and_site(
    store_and_url: Any, clock: Clock, mailbox: Mailbox
) -> None:
    with mail_client(store_and_url, clock, SITES, mailbox.url) as c:
        for _ in range(15):  # one client, then (below) posts spread over days
            post(c, email=VICTIM, notify=True, text=PILLS)
        drain(c)
        assert len(confirmations(mailbox)) == 1
        sent_at = clock.now
        for _ in range(16):  # the first is pending: nothing more, however long the wait
            clock.advance(12 * 3600)
            post(c, email=VICTIM, notify=True, text=PILLS)
            post(c, email=VICTIM.upper(), notify=True, text=PILLS)  # the same address
            drain(c)
            if clock.now < sent_at + CONFIRM_TTL_S:
                assert len(confirmations(mailbox)) == 1
        # ... until its link expired: then one waiting request gets its own mail, and waits.
        assert len(confirmations(mailbox)) == 2
        post(c, email="other@example.com", notify=True)  # another address has its own
        drain(c)
        assert len(mailbox.raw_to("other@example.com")) == 1
        assert len(confirmations(mailbox)) == 2


def test_answering_the_pending_confirmation_lets_the_next_one_go_three_a_day(
    store_and_url: Any, clock: Clock, mailbox: Mailbox
) -> None:
    with mail_client(store_and_url, clock, SITES, mailbox.url) as c:
        for _ in range(6):
            post(c, email=VICTIM, notify=True)
        drain(c)
        assert len(confirmations(mailbox)) == 1
        for sent in range(2, CONFIRMS_PER_DAY + 1):  # each answered: the next request's mail
            confirm_last(c, mailbox)
            clock.advance(WAIT_MAX_S)
            drain(c)
            assert len(confirmations(mailbox)) == sent
        confirm_last(c, mailbox)  # none pending now, but the day's are spent
        clock.advance(5 * 3600)  # (the clock starts at midnight: it is 17:00)
        drain(c)
        assert len(confirmations(mailbox)) == CONFIRMS_PER_DAY
        clock.advance(7 * 3600)  # the next day: one more, the rest wait on it
        drain(c)
        assert len(confirmations(mailbox)) == CONFIRMS_PER_DAY + 1
        clock.advance(WAIT_MAX_S)
        drain(c)
        assert len(confirmations(mailbox)) == CONFIRMS_PER_DAY + 1


def test_held_and_spam_posts_send_no_confirmation_until_approved(
    store_and_url: Any, clock: Clock, mailbox: Mailbox
) -> None:
    with mail_client(store_and_url, clock, SITES, mailbox.url) as c:
        held = post(c, site="held", email=VICTIM, notify=True, text=PILLS, expect=202)
        post(c, site="blog", email=VICTIM, notify=True, hp="I am a bot", expect=202)
        post(c, site="held", email=VICTIM, notify=True, hp="I am a bot", expect=202)
        for _ in range(3):
            drain(c)
            clock.advance(HELD_RECHECK_S)
        assert mailbox.raw_to(VICTIM) == []
        act(c, held["comment"]["id"], "approve", site="held")
        clock.advance(HELD_RECHECK_S)
        drain(c)
        assert len(confirmations(mailbox)) == 1
        clock.advance(86400)
        drain(c)
        assert len(mailbox.raw_to(VICTIM)) == 1


def test_a_confirmation_carries_none_of_the_commenters_words(
    store_and_url: Any, clock: Clock, mailbox: Mailbox
) -> None:
    with mail_client(store_and_url, clock, SITES, mailbox.url) as c:
        post(
            c, email=VICTIM, notify=True, text=PILLS, author="Pharmacy Deals",
            title="Cheap meds here", uri="/cheap-meds-at-pills-example/",
        )  # fmt: skip
        drain(c)
    [raw] = confirmations(mailbox)
    for words in (b"pills", b"Pharmacy", b"Cheap", b"cheap", b"meds"):
        assert words not in raw, words
    assert b"Subject: Confirm: email me replies to my comment on blog\r\n" in raw
