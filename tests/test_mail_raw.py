"""Every kind of mail (confirmation, reply, the reader's digest, the owner's mail and digest)
read as the raw bytes the SMTP
server received, the way a mailbox provider reads them, never decoded back through the email
package: no header carries an RFC 2047 encoded-word where ASCII serves, and readers' mails
carry RFC 2369's `List-Unsubscribe: <url>` with RFC 8058's `List-Unsubscribe-Post:
List-Unsubscribe=One-Click` beside it, whose one-click POST works."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from backend.domain.moderation import token_hash
from backend.notify.digest import INSTANT_PER_WINDOW
from backend.notify.readers import MAILS_PER_HOUR
from tests.conftest import ORIGIN, Clock
from tests.helpers import post
from tests.moderation_support import TOKEN
from tests.notify_support import Mailbox, drain, link_path, mail_client, smtp_server, text_of

OWNER = "owner@blog.test"
ALICE = "alice@example.com"
BOB = "bob@example.com"
LONG_TITLE = "A rather long title of a blog post about " + "x" * 90 + " and more words"
SITES: dict[str, Any] = {
    "blog": {
        "origins": [ORIGIN], "moderation": "none", "rate_limit_per_minute": 1000,
        "admin_token_hashes": [token_hash(TOKEN)], "notify_emails": [OWNER], "notify": "all",
    }
}  # fmt: skip
URL = re.compile(rb"https?://[\x21-\x7e]+")


@pytest.fixture(scope="module")
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


def headers(raw: bytes) -> dict[str, bytes]:
    """The raw header block, unfolded (RFC 5322 2.2.3: CRLF before a blank is removed)."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    out: dict[str, bytes] = {}
    for line in re.sub(rb"\r\n(?=[ \t])", b"", head).split(b"\r\n"):
        name, _, value = line.partition(b":")
        out[name.decode("ascii").lower()] = value.strip()
    return out


def check(raw: bytes, *, reader: bool) -> dict[str, bytes]:
    found = headers(raw)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"=?" not in head, head.decode()  # every value here is ASCII
    if reader:
        assert re.fullmatch(rb"<https?://[\x21-\x3b\x3d\x3f-\x7e]+>", found["list-unsubscribe"])
        assert found["list-unsubscribe-post"] == b"List-Unsubscribe=One-Click"
    else:
        assert "list-unsubscribe" not in found and "list-unsubscribe-post" not in found
    return found


def test_every_mail_kind_reads_right_as_raw_bytes(
    store_and_url: Any, clock: Clock, smtp: Mailbox
) -> None:
    smtp.clear()
    with mail_client(store_and_url, clock, SITES, smtp.url) as c:
        cid = post(c, email=ALICE, notify=True, title=LONG_TITLE)["comment"]["id"]
        drain(c)
        [confirm] = [r for r in smtp.raw_to(ALICE) if b"Subject: Confirm" in r]
        found = check(confirm, reader=True)
        confirm_link = next(
            u for u in re.findall(r"https?://\S+", text_of(smtp.to(ALICE)[0])) if "subscr" in u
        )
        assert c.post(link_path(confirm_link), data={"action": "yes"}).status_code == 200

        for n in range(MAILS_PER_HOUR + 2):
            post(c, email=BOB, parent=cid, text=f"Answer {n}.", title=LONG_TITLE)
        drain(c)
        replies = [r for r in smtp.raw_to(ALICE) if b"replied to your comment" in r]
        assert len(replies) == MAILS_PER_HOUR
        clock.advance(3600)
        drain(c)
        [digest] = [r for r in smtp.raw_to(ALICE) if b"more replies" in r]
        owner = smtp.raw_to(OWNER)  # the first few at once, the rest in the owner's digest
        assert len(owner) == INSTANT_PER_WINDOW + 1
        assert b"Subject: Comments on blog: " in owner[-1]

        for raw in [*replies, digest]:
            check(raw, reader=True)
        for raw in owner:
            check(raw, reader=False)
        reply = headers(replies[0])
        assert reply["subject"].startswith(b"JKB replied to your comment on A rather long")
        assert b"x" * 90 in reply["subject"]  # a long word stays a word, not encoded-words

        # RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click` to the header's URL.
        url = reply["list-unsubscribe"][1:-1].decode()
        assert url in text_of(smtp.to(ALICE)[1])
        one_click = c.post(
            link_path(url),
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert one_click.status_code == 200, one_click.text
        assert found["list-unsubscribe"] != reply["list-unsubscribe"]


def test_a_non_ascii_subject_is_the_only_encoded_header(
    store_and_url: Any, clock: Clock, smtp: Mailbox
) -> None:
    smtp.clear()
    with mail_client(store_and_url, clock, SITES, smtp.url) as c:
        post(c, author="Zoë", title="Crème brûlée")
        drain(c)
    [raw] = smtp.raw_to(OWNER)
    head = raw.split(b"\r\n\r\n", 1)[0]
    encoded = [line for line in head.split(b"\r\n") if b"=?" in line]
    assert encoded and all(line.startswith((b"Subject:", b" ")) for line in encoded), head.decode()
