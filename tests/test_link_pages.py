"""The words of the pages one-click links open (moderation, subscriptions): a question that
reads as English, and the post named by its title with a link back to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from backend.domain.models import Comment
from backend.settings import StoreURL
from backend.store.base import Store
from tests.conftest import ORIGIN, Clock
from tests.helpers import parse_tags, post
from tests.moderation_support import app_client

TITLE = "Garden <Notes> & more"


@pytest.fixture
def client(store_and_url: tuple[Store, StoreURL], clock: Clock) -> Iterator[TestClient]:
    with app_client(store_and_url, clock) as c:
        yield c


def held(client: TestClient, store: Store) -> Comment:
    cid = post(client, expect=202, title=TITLE)["comment"]["id"]
    comment = store.get_comment("blog", "/post/", cid)
    assert comment is not None
    return comment


def path(url: str) -> str:
    return url.removeprefix("http://api.test")


def named_post(html: str) -> None:
    """The post is named by its title (escaped) and linked on the site's own origin."""
    links = [attrs for tag, attrs in parse_tags(html) if tag == "a"]
    assert {"href": f"{ORIGIN}/post/"} in links
    assert f'<a href="{ORIGIN}/post/">Garden &lt;Notes&gt; &amp; more</a>' in html
    assert ", page " not in html and "<code>/post/</code>" not in html


def test_moderation_pages_ask_in_english_and_name_it(client: TestClient, store: Store) -> None:
    comment = held(client, store)
    made = client.app.state.parley.moderation.links(comment)  # type: ignore[attr-defined]
    questions = {"approve": "Approve this comment?", "spam": "Mark this comment as spam?",
                 "delete": "Delete this comment?"}  # fmt: skip
    for action, question in questions.items():
        page = client.get(path(made[action]))
        assert f"<h1>{question}</h1>" in page.text
        named_post(page.text)
    done = client.post(path(made["spam"]), data={"action": "spam"})
    assert "<h1>Comment marked as spam</h1>" in done.text
    named_post(done.text)


def test_subscription_pages_name_the_post(client: TestClient, store: Store) -> None:
    cid = post(client, expect=202, title=TITLE)["comment"]["id"]
    comment = store.get_comment("blog", "/post/", cid)
    assert comment is not None
    subscriptions = client.app.state.parley.subscriptions  # type: ignore[attr-defined]
    for url in (subscriptions.confirm_url(comment), subscriptions.unsubscribe_url(comment)):
        named_post(client.get(path(url)).text)
