"""A one-click moderation link acts on the comment as it was when the link was sent, and never
again once the comment moved on, even when a later decision brings its status back (delete,
then restore): on every store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from backend.domain.moderation import token_hash
from tests.conftest import ORIGIN, Clock
from tests.helpers import post
from tests.moderation_support import TOKEN, act
from tests.notify_support import Mailbox, drain, mail_client, smtp_server, text_of

OWNER = "owner@blog.test"
SITES: dict[str, Any] = {
    "blog": {
        "origins": [ORIGIN], "moderation": "none", "rate_limit_per_minute": 1000,
        "admin_token_hashes": [token_hash(TOKEN)], "notify_emails": [OWNER], "notify": "all",
    }
}  # fmt: skip


@pytest.fixture(scope="module")
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


def _link(box: Mailbox, action: str) -> str:
    [mail] = box.to(OWNER)
    found = re.findall(rf"{action.title()}: (https?://\S+)", text_of(mail))
    assert len(found) == 1, text_of(mail)
    return urlsplit(found[0]).path


@pytest.mark.parametrize("first", ["delete", "spam"])
def test_an_old_link_does_not_act_after_its_state_came_back(
    store_and_url: Any, clock: Clock, smtp: Mailbox, first: str
) -> None:
    """The owner's mail of a published comment offers Spam and Delete. The comment is then
    deleted (or marked spam) and restored by the admin: published again, as when the mail
    went out. Neither link acts."""
    smtp.clear()
    with mail_client(store_and_url, clock, SITES, smtp.url) as c:
        cid = post(c)["comment"]["id"]
        drain(c)
        links = {action: _link(smtp, action) for action in ("delete", "spam")}
        act(c, cid, first)
        act(c, cid, "restore")
        for action, path in links.items():
            answer = c.post(path, data={"action": action})
            assert answer.status_code == 409, (action, answer.text)
        [shown] = c.get("/api/v1/comments", params={"site": "blog", "uri": "/post/"}).json()[
            "comments"
        ]
        assert shown["id"] == cid


def test_a_link_still_acts_while_its_state_holds(
    store_and_url: Any, clock: Clock, smtp: Mailbox
) -> None:
    smtp.clear()
    with mail_client(store_and_url, clock, SITES, smtp.url) as c:
        post(c)
        drain(c)
        assert c.post(_link(smtp, "delete"), data={"action": "delete"}).status_code == 200
