"""Mail, end to end, to a real SMTP server (aiosmtpd on 127.0.0.1) whose mails the tests read:
the owner's mail with one-click links, the reader's double opt-in, reply mails (approved replies
only, never one's own), one-click unsubscribe (RFC 8058), the hourly cap and its digest."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.settings import StoreURL
from backend.store.base import Store
from backend.store.sqlite import SQLiteStore
from tests.conftest import ORIGIN, Clock
from tests.helpers import error_of, post
from tests.moderation_support import TOKEN, act, auth
from tests.notify_support import (
    MAIL_FROM,
    Mailbox,
    drain,
    html_of,
    link_path,
    mail_client,
    smtp_server,
    text_of,
)

OWNER = "owner@blog.test"
ALICE = "alice@example.com"
BOB = "bob@example.com"
FAST = 1000


def site_map(**blog: Any) -> dict[str, Any]:
    from backend.domain.moderation import token_hash

    return {
        "blog": {
            "origins": [ORIGIN], "moderation": "none", "rate_limit_per_minute": FAST,
            "admin_token_hashes": [token_hash(TOKEN)], **blog,
        },
    }  # fmt: skip


@pytest.fixture(scope="session")
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def mailbox(smtp: Mailbox) -> Mailbox:
    smtp.messages.clear()
    smtp.recipients.clear()
    smtp.refuse.clear()
    return smtp


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[tuple[SQLiteStore, StoreURL]]:
    store = SQLiteStore(tmp_path / "parley.db")
    store.setup()
    yield store, StoreURL("sqlite", path=str(tmp_path / "parley.db"))
    store.close()


@pytest.fixture
def client(
    sqlite: tuple[SQLiteStore, StoreURL], clock: Clock, mailbox: Mailbox
) -> Iterator[TestClient]:
    with mail_client(sqlite, clock, site_map(), mailbox.url) as c:  # type: ignore[arg-type]
        yield c


def urls(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


def link_in(message: EmailMessage, part: str) -> str:
    """The first link containing `part` (a confirmation mail's confirm link comes first)."""
    found = [u for u in urls(text_of(message)) if part in u]
    assert found, (part, text_of(message))
    return found[0]


def subscribe(client: TestClient, box: Mailbox, email: str = ALICE, **fields: Any) -> str:
    """Post with notify, confirm through the mailed link; returns the comment id."""
    cid: str = post(client, email=email, notify=True, **fields)["comment"]["id"]
    drain(client)
    confirm = [m for m in box.to(email) if "Confirm" in str(m["Subject"])][-1]
    path = link_path(link_in(confirm, "/subscriptions/"))
    assert client.post(path, data={"action": "yes"}).status_code == 200
    return cid


# -- the owner ----------------------------------------------------------------------------------


def test_the_owner_is_mailed_held_comments_with_one_click_links(
    sqlite: tuple[SQLiteStore, StoreURL], clock: Clock, mailbox: Mailbox
) -> None:
    sites = site_map(moderation="all", notify_emails=[OWNER, "second@blog.test"])
    with mail_client(sqlite, clock, sites, mailbox.url) as c:  # type: ignore[arg-type]
        cid = post(c, expect=202, author="Eve <script>", text="Buy <b>now</b>", title="Feel good")[
            "comment"
        ]["id"]
        assert mailbox.messages == []  # nothing from inside the request
        drain(c)
        assert len(mailbox.to(OWNER)) == 1 and len(mailbox.to("second@blog.test")) == 1
        mail = mailbox.to(OWNER)[0]
        assert mail["From"] == MAIL_FROM and mail["To"] == OWNER
        assert "Reply-To" not in mail
        assert "awaits moderation" in str(mail["Subject"]) and "Feel good" in str(mail["Subject"])
        assert mail.get_content_type() == "multipart/alternative"
        text, html = text_of(mail), html_of(mail)
        assert "Buy <b>now</b>" in text and f"{ORIGIN}/post/#comment-{cid}" in text
        assert "<script>" not in html and "Eve &lt;script&gt;" in html
        assert "&lt;b&gt;now&lt;/b&gt;" in html
        links = [u for u in urls(text) if "/moderate/" in u]
        assert len(links) == 3
        # the approve link works (GET shows, POST acts)
        path = link_path(links[0])
        assert c.get(path).status_code == 200
        assert c.post(path, data={"action": "approve"}).status_code == 200
        assert (
            c.get("/api/v1/comments", params={"site": "blog", "uri": "/post/"}).json()["thread"][
                "count"
            ]
            == 1
        )
        drain(c)
        assert len(mailbox.messages) == 2  # approving a top-level comment mails nobody


def test_the_owner_hears_of_published_comments_too(
    sqlite: tuple[SQLiteStore, StoreURL], clock: Clock, mailbox: Mailbox
) -> None:
    with mail_client(sqlite, clock, site_map(notify_emails=[OWNER]), mailbox.url) as c:  # type: ignore[arg-type]
        post(c, expect=201)
        post(c, expect=202, hp="bot")  # the honeypot: nobody hears of it
        drain(c)
        [mail] = mailbox.to(OWNER)
        assert str(mail["Subject"]).startswith("New comment on /post/")
        assert "Approve:" not in text_of(mail)  # already published: spam, delete only
        assert len([u for u in urls(text_of(mail)) if "/moderate/" in u]) == 2


def test_a_published_comments_mail_links_the_admin_page_to_reply_never_with_the_token(
    store_and_url: tuple[Store, StoreURL], clock: Clock, mailbox: Mailbox
) -> None:
    with mail_client(store_and_url, clock, site_map(notify_emails=[OWNER]), mailbox.url) as c:
        cid = post(c, expect=201)["comment"]["id"]
        drain(c)
        [mail] = mailbox.to(OWNER)
        want = f"http://api.test/admin#site=blog&reply={cid}"
        assert f"Reply as the author: {want}" in text_of(mail)
        assert f'<a href="{want.replace("&", "&amp;")}">Reply as the author</a>' in html_of(mail)
        assert TOKEN not in text_of(mail) + html_of(mail) and "token" not in want
    mailbox.messages.clear()
    mailbox.recipients.clear()
    held = site_map(notify_emails=[OWNER], moderation="all")
    with mail_client(store_and_url, clock, held, mailbox.url) as c:
        post(c, expect=202, text="Held for now.")
        drain(c)
        [mail] = mailbox.to(OWNER)  # a held comment is approved first, then answered
        assert "/admin#" not in text_of(mail) and "Reply as" not in text_of(mail)


# -- readers: double opt-in, replies, unsubscribe -------------------------------------------------


def test_a_subscriber_gets_exactly_one_mail_per_approved_reply(
    store_and_url: tuple[Store, StoreURL], clock: Clock, mailbox: Mailbox
) -> None:
    store = store_and_url[0]
    with mail_client(store_and_url, clock, site_map(), mailbox.url) as c:
        parent = post(c, email=ALICE, notify=True, text="First!")["comment"]["id"]
        drain(c)
        [confirm] = mailbox.to(ALICE)
        assert "Confirm" in str(confirm["Subject"]) and "Reply-To" not in confirm
        link = link_path(link_in(confirm, "/subscriptions/"))
        assert store.subscriber("blog", "/post/", parent) is None  # not before confirming

        page = c.get(link)  # a link scanner, or the reader: shows a button, changes nothing
        assert page.status_code == 200 and '<form method="post"' in page.text
        assert store.subscriber("blog", "/post/", parent) is None
        done = c.post(link, data={"action": "yes"})
        assert done.status_code == 200 and "Subscribed" in done.text
        assert store.subscriber("blog", "/post/", parent) == ALICE
        again = c.post(link, data={"action": "yes"})  # a reused link: said plainly
        assert again.status_code == 200 and "Already subscribed" in again.text

        answer = post(c, email=BOB, author="Bob", parent=parent, text="Welcome, **Alice**")
        post(c, email=ALICE, parent=parent, text="My own reply")  # never mailed about
        post(c, email=BOB, text="Not a reply")
        drain(c)
        drain(c)
        replies = [m for m in mailbox.to(ALICE) if "replied" in str(m["Subject"])]
        assert len(replies) == 1
        mail = replies[0]
        assert str(mail["Subject"]) == "Bob replied to your comment on /post/"
        assert "Reply-To" not in mail and BOB not in mail.as_string()
        assert "Welcome, **Alice**" in text_of(mail)
        assert f"{ORIGIN}/post/#comment-{answer['comment']['id']}" in text_of(mail)
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        one_click = str(mail["List-Unsubscribe"]).strip("<>")
        assert one_click.startswith("http://api.test/subscriptions/")
        stop_all = [u for u in urls(text_of(mail)) if "/subscriptions/" in u]
        assert len(stop_all) == 2  # this comment's replies, and all of the site's mail

        # RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click`, no page in between
        gone = c.post(
            link_path(one_click),
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert gone.status_code == 200 and "Unsubscribed" in gone.text
        assert store.subscriber("blog", "/post/", parent) is None
        post(c, email=BOB, parent=parent, text="Anyone there?")
        drain(c)
        assert len([m for m in mailbox.to(ALICE) if "replied" in str(m["Subject"])]) == 1


def test_held_and_spam_replies_mail_nobody_until_approved(
    sqlite: tuple[SQLiteStore, StoreURL], clock: Clock, mailbox: Mailbox
) -> None:
    with mail_client(sqlite, clock, site_map(moderation="first-time"), mailbox.url) as c:  # type: ignore[arg-type]
        parent = post(c, email=ALICE, notify=True, expect=202)["comment"]["id"]
        act(c, parent, "approve")
        drain(c)
        confirm = mailbox.to(ALICE)[0]
        c.post(link_path(link_in(confirm, "/subscriptions/")), data={"action": "yes"})

        held = post(c, email=BOB, parent=parent, expect=202)["comment"]["id"]
        spam = post(c, email="carol@example.com", parent=parent, expect=202)["comment"]["id"]
        drain(c)
        assert [m for m in mailbox.to(ALICE) if "replied" in str(m["Subject"])] == []
        act(c, spam, "spam")
        act(c, held, "approve")
        drain(c)
        replies = [m for m in mailbox.to(ALICE) if "replied" in str(m["Subject"])]
        assert len(replies) == 1 and f"#comment-{held}" in text_of(replies[0])


def test_a_reply_marked_spam_before_delivery_mails_nobody(
    client: TestClient, mailbox: Mailbox
) -> None:
    parent = subscribe(client, mailbox)
    reply = post(client, email=BOB, parent=parent)["comment"]["id"]
    act(client, reply, "spam")
    drain(client)
    assert [m for m in mailbox.to(ALICE) if "replied" in str(m["Subject"])] == []


def test_more_than_a_few_replies_an_hour_go_into_one_digest(
    client: TestClient, mailbox: Mailbox, clock: Clock
) -> None:
    clock.now = (int(clock.now) // 3600) * 3600 + 60  # early in an hour
    parent = subscribe(client, mailbox)
    for n in range(7):
        post(client, email=BOB, author="Bob", parent=parent, text=f"Reply number {n}")
        drain(client)
    single = [m for m in mailbox.to(ALICE) if "replied" in str(m["Subject"])]
    assert len(single) == 4
    assert drain(client) == 0  # the rest wait for the next hour
    clock.advance(3600)
    drain(client)
    digests = [m for m in mailbox.to(ALICE) if "more replies" in str(m["Subject"])]
    assert len(digests) == 1
    assert str(digests[0]["Subject"]).startswith("3 more replies")
    for n in (4, 5, 6):
        assert f"Reply number {n}" in text_of(digests[0])
    assert digests[0]["List-Unsubscribe"]
    drain(client)
    assert len(mailbox.messages) == 1 + 4 + 1  # confirmation, four replies, one digest


def test_stop_all_mail_from_a_site(client: TestClient, mailbox: Mailbox, sqlite: Any) -> None:
    parent = subscribe(client, mailbox)
    post(client, email=BOB, parent=parent)
    drain(client)
    [reply] = [m for m in mailbox.to(ALICE) if "replied" in str(m["Subject"])]
    stop = [u for u in urls(text_of(reply)) if "/subscriptions/" in u][-1]
    page = client.get(link_path(stop))
    assert "Stop all mail from blog?" in page.text
    assert client.post(link_path(stop), data={"action": "yes"}).status_code == 200
    assert "Already unsubscribed" in client.post(link_path(stop)).text
    before = len(mailbox.messages)
    post(client, email=BOB, parent=parent)
    post(client, email=ALICE, notify=True)  # no confirmation mail either: the address said no
    drain(client)
    assert len(mailbox.messages) == before


def test_an_erased_address_loses_its_subscriptions(
    client: TestClient, mailbox: Mailbox, sqlite: tuple[SQLiteStore, StoreURL]
) -> None:
    parent = subscribe(client, mailbox)
    assert sqlite[0].subscriber("blog", "/post/", parent) == ALICE
    erased = client.post(
        "/api/v1/admin/erase", json={"site": "blog", "email": ALICE}, headers=auth()
    )
    assert erased.status_code == 200, erased.text
    assert sqlite[0].subscriber("blog", "/post/", parent) is None


# -- bad input and bad links ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not an address", "notify": True}, "email"),
        ({"email": "", "notify": True}, "email"),
        ({"notify": "yes"}, "notify"),
    ],
)
def test_notify_needs_a_valid_email(
    sqlite: tuple[SQLiteStore, StoreURL],
    clock: Clock,
    mailbox: Mailbox,
    fields: dict[str, Any],
    field: str,
) -> None:
    sites = site_map(require_email=False)
    with mail_client(sqlite, clock, sites, mailbox.url) as c:  # type: ignore[arg-type]
        response = c.post(
            "/api/v1/comments",
            json={"site": "blog", "uri": "/p/", "author": "A", "text": "t", "key": "k-12345678",
                  **fields},
        )  # fmt: skip
        assert response.status_code == 422, response.text
        assert field in error_of(response)["fields"]


def test_bad_links_get_a_clear_page(client: TestClient, mailbox: Mailbox, clock: Clock) -> None:
    post(client, email=ALICE, notify=True)
    drain(client)
    link = link_path(link_in(mailbox.to(ALICE)[0], "/subscriptions/"))
    body, _, sig = link.rpartition(".")
    tampered = f"{body}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"  # (a last char holds 2 bits)
    for path in (tampered, "/subscriptions/nonsense", "/subscriptions/" + "x" * 3000):
        for response in (client.get(path), client.post(path, data={"action": "yes"})):
            assert response.status_code == 401, response.text
            assert response.headers["content-type"].startswith("text/html")
            assert "This link cannot be used" in response.text
    clock.advance(8 * 86400)  # confirmation links last a week
    expired = client.post(link, data={"action": "yes"})
    assert expired.status_code == 401 and "expired" in expired.text


def test_a_refusing_mail_server_is_retried_and_a_refused_address_is_not(
    client: TestClient, mailbox: Mailbox, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    mailbox.refuse = ["451 4.3.0 Try again later"]
    post(client, email=ALICE, notify=True)
    with caplog.at_level(logging.WARNING, logger="parley.notify"):
        drain(client)
    assert mailbox.messages == [] and any("451" in r.message for r in caplog.records)
    clock.advance(30)
    drain(client)
    assert len(mailbox.to(ALICE)) == 1

    mailbox.refuse = ["550 5.1.1 No such user"]
    post(client, email=BOB, notify=True)
    drain(client)
    clock.advance(86400)
    assert drain(client) == 0  # given up on that address: a 5xx will not change
    assert mailbox.to(BOB) == []


def test_an_opt_out_outlives_a_key_rotation(
    client: TestClient, mailbox: Mailbox, sqlite: tuple[SQLiteStore, StoreURL], clock: Clock
) -> None:
    parent = subscribe(client, mailbox)
    post(client, email=BOB, parent=parent)
    drain(client)
    [reply] = [m for m in mailbox.to(ALICE) if "replied" in str(m["Subject"])]
    stop = [u for u in urls(text_of(reply)) if "/subscriptions/" in u][-1]
    assert client.post(link_path(stop), data={"action": "yes"}).status_code == 200
    before = len(mailbox.messages)
    rotated = {"PARLEY_SECRET_KEYS": "a-brand-new-secret-key-01234,test-secret-key-0123456789"}
    with mail_client(sqlite, clock, site_map(), mailbox.url, **rotated) as c:  # type: ignore[arg-type]
        post(c, email=BOB, parent=parent)
        post(c, email=ALICE, notify=True)
        drain(c)
    assert len(mailbox.messages) == before
