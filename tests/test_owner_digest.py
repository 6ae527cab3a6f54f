"""The owner's digest (`notify_digest`), end to end on both stores, to a real SMTP server: by
default (`capped`) a burst of 150 comments sends the owner 3 mails at once and one digest at the
end of the hour listing the other 147, held ones first with their one-click links; `hourly` and
`daily` send nothing at once and one digest at the end of the hour or the UTC day, held ones
included; `instant` mails each; the Lambda worker's Stream leaves a digest's items to the
schedule."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from backend.domain.models import Comment, Status
from backend.notify import digest, lambda_worker
from backend.settings import SiteConfig, StoreURL
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
DAY = 86400


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


def test_the_default_is_capped_and_each_setting_is_known() -> None:
    assert SiteConfig().notify_digest == "capped"
    for mode in ("instant", "capped", "hourly", "daily"):
        assert SiteConfig.parse({"notify_digest": mode}).notify_digest == mode


def test_instant_mails_every_comment(
    store_and_url: tuple[Store, StoreURL], clock: Clock, mailbox: Mailbox
) -> None:
    clock.now = (int(clock.now) // HOUR) * HOUR + 60
    with mail_client(store_and_url, clock, site_map(notify_digest="instant"), mailbox.url) as c:
        for n in range(6):
            post(c, email=f"a{n}@example.com", text=f"Instant {n}", expect=None)
        drain(c)
        assert len(owner_mails(mailbox)) == 6


@pytest.mark.parametrize(("mode", "length"), [("hourly", HOUR), ("daily", DAY)])
def test_hourly_and_daily_send_one_digest_and_nothing_at_once(
    store_and_url: tuple[Store, StoreURL], clock: Clock, mailbox: Mailbox, mode: str, length: int
) -> None:
    start = (int(clock.now) // DAY) * DAY  # a UTC midnight: an hour's start and a day's
    clock.now = start - 600
    with mail_client(store_and_url, clock, site_map(notify_digest=mode), mailbox.url) as c:
        regular = post(c, author="Regular", email="regular@example.com", expect=202)
        act(c, regular["comment"]["id"], "approve")  # a known author: published at once
        drain(c)
        clock.now = start + 60
        drain(c)  # the regular's own digest, of the window before
        assert len(owner_mails(mailbox)) == 1
        empty(mailbox)
        ids = []
        for n in range(9):  # every other one by a first-timer: held
            email = "regular@example.com" if n % 2 == 0 else f"new{n}@example.com"
            text = f"Burst comment number {n}."
            got = post(c, author=f"W{n}", email=email, text=text, expect=None)
            ids.append(got["comment"]["id"])
            clock.advance(1)
        drain(c)
        assert owner_mails(mailbox) == []  # not even the held ones at once
        act(c, ids[7], "spam")  # moderated before the digest: not news
        clock.now = start + HOUR - 1
        assert drain(c) == 0 and owner_mails(mailbox) == []
        clock.now = start + HOUR + 1
        drain(c)
        assert len(owner_mails(mailbox)) == (1 if mode == "hourly" else 0)
        clock.now = start + length + 1
        drain(c)
        mails = owner_mails(mailbox)
        assert len(mails) == 1
        letter = text_of(mails[0])
        assert str(mails[0]["Subject"]) == "Comments on blog: 3 awaiting moderation, 5 new"
        held, new = letter.split("New comments (5):")
        assert re.findall(r"number (\d+)\.", held) == ["1", "3", "5"]
        assert sorted(int(n) for n in re.findall(r"number (\d+)\.", new)) == [0, 2, 4, 6, 8]
        approve = re.findall(r"Approve: (\S+)", held)
        assert len(approve) == 3 and "Approve" not in new
        page = c.get(link_path(approve[0]))
        assert page.status_code == 200 and "<form" in page.text
        clock.advance(2 * length)
        drain(c)
        assert len(owner_mails(mailbox)) == 1  # each comment was told once


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
        lambda_worker.handle(worker, {"source": "aws.events"})  # the schedule
        mails = owner_mails(mailbox)
        assert len(mails) == 1 and "Kept for later" in text_of(mails[0])
