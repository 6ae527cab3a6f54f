"""Confirmation mails cannot be turned on a stranger's mailbox: per address and site at most
one an hour and three a day, none for a held comment until it is approved, none ever for
spam, and none carries a word the commenter typed (the address has confirmed nothing yet).
On every store, to the real SMTP sink."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from backend.domain.moderation import token_hash
from backend.notify.worker import CONFIRMS_PER_DAY, HELD_RECHECK_S
from tests.conftest import ORIGIN, Clock
from tests.helpers import post
from tests.moderation_support import TOKEN, act
from tests.notify_support import Mailbox, drain, mail_client, smtp_server

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


def test_one_address_gets_one_confirmation_an_hour_and_three_a_day(
    store_and_url: Any, clock: Clock, mailbox: Mailbox
) -> None:
    with mail_client(store_and_url, clock, SITES, mailbox.url) as c:
        for _ in range(15):  # one client, then (below) posts spread over the day
            post(c, email=VICTIM, notify=True, text=PILLS)
        drain(c)
        assert len(confirmations(mailbox)) == 1
        for _ in range(6):
            clock.advance(3600)
            post(c, email=VICTIM, notify=True, text=PILLS)
            post(c, email=VICTIM.upper(), notify=True, text=PILLS)  # the same address
            drain(c)
        sent = len(confirmations(mailbox))
        assert sent <= CONFIRMS_PER_DAY and sent >= 2
        assert len(mailbox.raw_to("other@example.com")) == 0
        post(c, email="other@example.com", notify=True)  # another address has its own cap
        clock.advance(86400)
        post(c, email=VICTIM, notify=True)  # the next day
        drain(c)
        assert len(mailbox.raw_to("other@example.com")) == 1
        assert len(confirmations(mailbox)) == sent + 1


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
