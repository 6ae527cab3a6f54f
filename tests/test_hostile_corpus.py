"""Hostile strings (tests/hostile.py) through every field into every server-side output: the
public JSON, the server-rendered thread, the Atom feeds, the admin API, the webhook payload and
the one-click confirm pages. The widget's DOM and the admin page get the same corpus in
tests/browser/test_hostile_pages.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.app import create_app
from backend.domain.text import clean
from backend.store.sqlite import SQLiteStore
from tests.conftest import ORIGIN, make_settings
from tests.helpers import atom, new_key, parse_tags, proof
from tests.hostile import NAMES, TEXTS, WEBSITES
from tests.moderation_support import TOKEN, auth, sites
from tests.notify_support import Hook, drain, webhook_server

URI = "/hostile/"
BODY_TAGS = {"p", "br", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
SCRIPTY = {"script", "img", "svg", "iframe", "style", "details", "animate", "object", "embed"}


@dataclass
class Posted:
    id: str
    author: str
    text: str
    website: str | None
    title: str


@dataclass
class World:
    client: TestClient
    hook: Hook
    posted: list[Posted]
    confirm_pages: list[tuple[str, str]]  # (content-security-policy, html) while pending


def safe_markup(html: str, allowed: set[str] | None = None) -> None:
    for tag, attrs in parse_tags(html):
        assert tag not in SCRIPTY, html
        if allowed is not None:
            assert tag in allowed, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on"), html
            if name in ("href", "src", "action"):
                assert value.startswith(("http://", "https://", "mailto:", "#", "/")) or not value
                assert "javascript:" not in value.lower().split("?")[0].split("#")[0][:11]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    receiver = webhook_server()
    state = receiver.__enter__()
    path: Path = tmp_path_factory.mktemp("hostile") / "parley.db"
    store = SQLiteStore(path)
    store.setup()
    site_map = sites(blog={"webhook": state.url, "notify": "all"})  # blog holds everything
    app = create_app(make_settings(f"sqlite:///{path}", site_map), store)
    posted: list[Posted] = []
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as client:
        cases = (
            [(n, "A plain comment.", None) for n in NAMES]
            + [("Plain Name", t, None) for t in TEXTS]
            + [("Plain Name", "A plain comment.", w) for w in WEBSITES]
        )
        for number, (author, text, website) in enumerate(cases):
            title = NAMES[number % len(NAMES)]
            body: dict[str, Any] = {
                "site": "blog", "uri": URI, "title": title, "author": author,
                "email": "h@example.com", "text": text, "key": new_key(),
            }  # fmt: skip
            if website:
                body["website"] = website
            body["proof"] = proof(client)
            response = client.post("/api/v1/comments", json=body)
            assert response.status_code == 202, response.text
            cid = response.json()["comment"]["id"]
            stored = clean(text, multiline=True)  # line endings become "\n"
            posted.append(Posted(cid, author, stored, website, title))
        drain(client)  # the worker delivers what the posts wrote to the outbox
        # Each comment's confirm page while it is held, then approved through its form.
        pages: list[tuple[str, str]] = []
        for sent in state.received:
            link = sent["parley"]["links"]["approve"].removeprefix("http://api.test")
            page = client.get(link)
            assert page.status_code == 200
            pages.append((page.headers["content-security-policy"], page.text))
            assert client.post(link, data={"action": "approve"}).status_code == 200
        yield World(client, state, posted, pages)
    receiver.__exit__(None, None, None)
    store.close()


def test_every_case_was_accepted_and_notified(world: World) -> None:
    assert len(world.posted) == len(NAMES) + len(TEXTS) + len(WEBSITES)
    assert len(world.hook.received) == len(world.posted)


def test_webhook_payloads_ping_no_one_and_forge_no_link(world: World) -> None:
    for sent, case in zip(world.hook.received, world.posted, strict=True):
        slack, discord = sent["text"], sent["content"]
        assert slack.count("<") == 3, slack  # our three links, nothing of the commenter's
        assert "<!channel>" not in slack and "<@" not in slack
        assert "@everyone" not in discord and "@here" not in discord
        assert discord.count("](<http://api.test/moderate/") == 3, discord
        generic = sent["parley"]["comment"]
        assert (generic["author"], generic["text"]) == (case.author, case.text)


def test_confirm_pages_show_the_words_as_text(world: World) -> None:
    template = {"html", "head", "meta", "title", "style", "body", "main", "h1", "p", "strong"}
    # "a": the link back to the post (its href is checked like every other).
    template |= {"code", "blockquote", "form", "input", "button", "a"}
    for (policy, html), case in zip(world.confirm_pages, world.posted, strict=True):
        assert policy.startswith("default-src 'none'")
        safe_markup(html.replace("<style>", "").replace("</style>", ""), template)
        assert escape(case.author) in html
        assert escape(case.text) in html


def test_public_json_carries_data_and_safe_html(world: World) -> None:
    page = world.client.get(
        "/api/v1/comments", params={"site": "blog", "uri": URI, "limit": 100}
    ).json()
    shown = {c["id"]: c for c in page["comments"]}
    assert len(shown) == len(world.posted)
    for case in world.posted:
        comment = shown[case.id]
        assert comment["author"] == case.author
        assert comment["website"] == case.website
        safe_markup(comment["html"], BODY_TAGS)
        assert "email" not in comment and "ip_hash" not in comment
    assert page["thread"]["title"] == world.posted[0].title


def test_server_rendered_thread_is_inert(world: World) -> None:
    response = world.client.get("/api/v1/comments.html", params={"site": "blog", "uri": URI})
    assert response.status_code == 200
    safe_markup(response.text)
    for case in world.posted:
        assert escape(case.author) in response.text


@pytest.mark.parametrize("params", [{"site": "blog"}, {"site": "blog", "uri": URI}])
def test_feeds_are_valid_with_the_words_intact(world: World, params: dict[str, str]) -> None:
    feed = atom(world.client.get("/api/v1/feed.atom", params=params))  # as feed readers read it
    assert sorted(e.author for e in feed.entries) == sorted(c.author for c in world.posted)
    for entry in feed.entries:
        safe_markup(entry.content[0].value, BODY_TAGS)


def test_admin_api_returns_the_words_verbatim(world: World) -> None:
    response = world.client.get(
        "/api/v1/admin/comments",
        params={"site": "blog", "status": "approved", "limit": 100},
        headers=auth(TOKEN),
    )
    assert response.status_code == 200
    got = {c["id"]: (c["author"], c["text"], c["website"]) for c in response.json()["comments"]}
    for case in world.posted:
        assert got[case.id] == (case.author, case.text, case.website)
