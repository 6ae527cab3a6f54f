"""Issue 11, item 4: an edit is moderated under the site's rule, as a new comment with those
words would be, and told to the site's owner like a new comment.

Before: on a `first-time` or `all` site, a harmless approved comment edited (within the edit
window) into spam links stayed approved and public, and nobody was told."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.settings import StoreURL
from backend.store.base import Store
from tests.conftest import Clock
from tests.helpers import post, read
from tests.moderation_support import act, app_client, sites
from tests.notify_support import Hook, drain, webhook_server

SPAM = "Buy now https://a.test https://b.test https://c.test https://d.test"


@pytest.fixture
def hook() -> Iterator[Hook]:
    with webhook_server() as received:
        yield received


@pytest.fixture
def mod(
    store_and_url: tuple[Store, StoreURL],
    clock: Clock,
    hook: Hook,
) -> Iterator[TestClient]:
    webhook = {"webhook": hook.url, "notify": "all"}
    site_map = sites(blog=webhook, open=webhook, first=webhook)
    with app_client(store_and_url, clock, site_map) as client:
        yield client


def edit(client: TestClient, site: str, posted: dict[str, Any], text: str) -> Any:
    response = client.patch(
        f"/api/v1/comments/{posted['comment']['id']}",
        json={"site": site, "uri": "/post/", "text": text},
        headers={"Authorization": f"Bearer {posted['token']}"},
    )
    assert response.status_code == 200, response.text
    return response.json()["comment"]


def approved_post(client: TestClient, site: str) -> dict[str, Any]:
    posted = post(client, site=site, expect=None, text="A harmless first comment.")
    if posted["comment"]["status"] == "pending":
        act(client, posted["comment"]["id"], "approve", site=site)
    assert [c["id"] for c in read(client, site=site)["comments"]] == [posted["comment"]["id"]]
    return posted


@pytest.mark.parametrize("site", ["blog", "first", "open"])
def test_an_edit_into_spam_is_held(mod: TestClient, hook: Hook, site: str) -> None:
    posted = approved_post(mod, site)
    drain(mod)
    before = len(hook.received)
    edited = edit(mod, site, posted, SPAM)
    assert edited["status"] == "pending"
    drain(mod)
    page = read(mod, site=site)
    assert page["comments"] == [] and page["thread"]["count"] == 0
    # The owner hears of it as of a new held comment, with links bound to the edited words.
    told = hook.received[before:]
    assert len(told) == 1 and told[0]["parley"]["event"] == "comment.edited"
    assert told[0]["parley"]["comment"]["text"] == SPAM
    approve = told[0]["parley"]["links"]["approve"].removeprefix("http://api.test")
    assert mod.post(approve, data={"action": "approve"}).status_code == 200
    assert read(mod, site=site)["comments"][0]["html"].startswith("<p>Buy now")


def test_every_edit_is_held_where_every_comment_is(mod: TestClient) -> None:
    posted = approved_post(mod, "blog")  # moderation: all
    assert edit(mod, "blog", posted, "Still harmless, only reworded.")["status"] == "pending"
    assert read(mod, site="blog")["comments"] == []


def test_a_harmless_edit_stays_up_where_the_rule_allows(mod: TestClient, hook: Hook) -> None:
    for site in ("open", "first"):
        posted = approved_post(mod, site)
        drain(mod)
        before = len(hook.received)
        assert edit(mod, site, posted, "Reworded, still harmless.")["status"] == "approved"
        assert read(mod, site=site)["comments"][0]["html"] == "<p>Reworded, still harmless.</p>"
        drain(mod)
        assert hook.received[before:] == []  # nothing waits for the owner


def test_an_edit_never_publishes_a_held_comment(mod: TestClient) -> None:
    posted = post(mod, site="open", text=SPAM, expect=202)
    assert edit(mod, "open", posted, "Now harmless.")["status"] == "pending"
    assert read(mod, site="open")["comments"] == []


def test_a_reply_count_follows_a_held_edit(mod: TestClient) -> None:
    parent = approved_post(mod, "open")
    reply = post(mod, site="open", parent=parent["comment"]["id"], text="A reply.")
    assert read(mod, site="open")["comments"][0]["replies"] == 1
    edit(mod, "open", reply, SPAM)
    page = read(mod, site="open")
    assert page["comments"][0]["replies"] == 0 and page["thread"]["count"] == 1
