"""The owner's digest (`notify_digest`), end to end on both stores, to a real SMTP server: a burst
of 150 comments sends the owner 3 mails at once and one digest at the end of the hour listing
the other 147, held ones first with their one-click links; `instant` mails each; the Lambda
worker's Stream leaves a digest's items to the schedule."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from backend.domain.models import Comment, Status
from backend.notify import digest, lambda_worker
from backend.settings import StoreURL
from backend.store.base import Store
from backend.store.dynamo.outbox import event_item
from tests.conftest import ORIGIN, Clock
from tests.helpers import post
from tests.moderation_support import TOKEN, act
from tests.notify_support import (
    Mailbox,
    drain,
    link_path,
    mail_client,
    smtp_server,
    text_of,
    worker_of,
)

OWNER = "owner@blog.test"
HOUR = 3600


def site_map(**blog: Any) -> dict[str, Any]:
    from backend.domain.moderation import token_hash

    return {
        "blog": {
            "origins": [ORIGIN], "moderation": "first-time", "rate_limit_per_minute": 1000,
            "admin_token_hashes": [token_hash(TOKEN)], "notify_emails": [OWNER], **blog,
        },
    }  # fmt: skip


@pytest.fixture(scope="module")
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def mailbox(smtp: Mailbox) -> Mailbox:
    empty(smtp)
    smtp.refuse.clear()
    return smtp


def empty(box: Mailbox) -> None:
    box.messages.clear()
    box.recipients.clear()


def owner_mails(mailbox: Mailbox) -> list[Any]:
    return mailbox.to(OWNER)


def test_a_burst_of_150_sends_three_mails_and_one_digest_of_the_rest(
    store_and_url: tuple[Store, StoreURL], clock: Clock, mailbox: Mailbox
) -> None:
    clock.now = (int(clock.now) // HOUR) * HOUR - 600  # the last minutes of an hour
    with mail_client(store_and_url, clock, site_map(), mailbox.url) as client:
        first = post(client, author="Regular", email="regular@example.com", expect=202)
        regular = first["comment"]["id"]
        act(client, regular, "approve")  # a known author: published at once from now on
        drain(client)
        empty(mailbox)
        clock.now += 600 + 60  # the next hour, a minute in
        for n in range(150):  # every other one by a first-timer: held
            known = n % 2 == 0
            email = "regular@example.com" if known else f"new{n}@example.com"
            text = f"Burst comment number {n}."
            post(client, author=f"Writer {n}", email=email, text=text, expect=None)
            clock.advance(0.3)  # 150 in 45 seconds
        drain(client)
        assert len(owner_mails(mailbox)) == 3  # the first three, at once
        clock.advance(HOUR / 2)
        assert drain(client) == 0  # the rest wait for the end of the hour
        assert len(owner_mails(mailbox)) == 3
        clock.now = (int(clock.now) // HOUR + 1) * HOUR + 1  # the hour is over
        drain(client)
        mails = owner_mails(mailbox)
        assert len(mails) == 4
        letter = text_of(mails[3])
        listed = [int(n) for n in re.findall(r"Burst comment number (\d+)\.", letter)]
        assert sorted(listed) == list(range(3, 150))  # every one not mailed at once, once each
        assert str(mails[3]["Subject"]) == "Comments on blog: 74 awaiting moderation, 73 new"
        held, new = letter.split("New comments (73):")
        assert "Awaiting moderation (74):" in held
        assert {int(n) % 2 for n in re.findall(r"number (\d+)\.", held)} == {1}
        assert {int(n) % 2 for n in re.findall(r"number (\d+)\.", new)} == {0}
        approve = re.findall(r"Approve: (\S+)", held)
        assert len(approve) == 74 and "Approve" not in new
        # A digest's one-click link works as a single mail's does.
        page = client.get(link_path(approve[0]))
        assert page.status_code == 200 and "<form" in page.text
        assert drain(client) == 0
        clock.advance(2 * HOUR)
        drain(client)
        assert len(owner_mails(mailbox)) == 4  # nothing more: each comment was told once


def test_instant_mails_every_comment_and_a_digest_leaves_out_what_was_moderated(
    store_and_url: tuple[Store, StoreURL], clock: Clock, mailbox: Mailbox
) -> None:
    clock.now = (int(clock.now) // HOUR) * HOUR + 60
    with mail_client(store_and_url, clock, site_map(notify_digest="instant"), mailbox.url) as c:
        for n in range(6):
            post(c, email=f"a{n}@example.com", text=f"Instant {n}", expect=None)
        drain(c)
        assert len(owner_mails(mailbox)) == 6
    empty(mailbox)
    clock.now += HOUR
    with mail_client(store_and_url, clock, site_map(notify_digest="daily"), mailbox.url) as c:
        posts = [post(c, email=f"b{n}@x.example", text=f"Daily {n}", expect=None) for n in range(6)]
        ids = [p["comment"]["id"] for p in posts]
        drain(c)
        assert len(owner_mails(mailbox)) == 3
        act(c, ids[4], "spam")  # moderated before the digest: not news
        clock.now = (int(clock.now) // 86400 + 1) * 86400 + 1
        drain(c)
        mails = owner_mails(mailbox)
        assert len(mails) == 4
        assert "Daily 3" in text_of(mails[3]) and "Daily 5" in text_of(mails[3])
        assert "Daily 4" not in text_of(mails[3])


def test_the_stream_leaves_a_digest_item_to_the_schedule(
    store_and_url: tuple[Store, StoreURL], clock: Clock, mailbox: Mailbox
) -> None:
    clock.now = (int(clock.now) // HOUR) * HOUR + 60
    with mail_client(store_and_url, clock, site_map(moderation="none"), mailbox.url) as client:
        store = store_and_url[0]
        worker = worker_of(client)
        posted = post(client, email="x@example.com", text="Kept for later")["comment"]
        comment = store.get_comment("blog", "/post/", posted["id"])
        assert isinstance(comment, Comment) and comment.status is Status.APPROVED
        drain(client)
        empty(mailbox)
        kept = digest.item(comment, OWNER, "h", (int(clock.now) // HOUR + 1) * HOUR)
        store.enqueue([kept])
        record = {"eventName": "INSERT", "dynamodb": {"NewImage": event_item(kept)}}
        assert lambda_worker.handle(worker, {"Records": [record]}) == {"batchItemFailures": []}
        assert owner_mails(mailbox) == []  # not yet: due at the end of the hour
        clock.now = kept.due + lambda_worker.STREAM_GRACE_S + 1
        lambda_worker.handle(worker, {})  # the schedule
        mails = owner_mails(mailbox)
        assert len(mails) == 1 and "Kept for later" in text_of(mails[0])
