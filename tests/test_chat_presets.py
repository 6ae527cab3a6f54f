"""Chat presets for the site's webhook (`webhook_format`): Slack's incoming webhook, Discord's
execute webhook and Telegram's sendMessage, delivered by the worker to stand-ins on 127.0.0.1
that read each body as the service documents it (tests/chat_standins.py): the site, the page,
the author, an excerpt and the one-click links; a hostile comment pings no one and forges no
link; the settings refuse a Telegram preset without its chat."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.settings import ConfigError, Settings, SiteConfig, StoreURL
from backend.sites import SiteProblems
from backend.store.base import Store
from tests.chat_standins import Chats, Seen, discord_read, slack_read, telegram_read
from tests.conftest import ORIGIN, Clock
from tests.helpers import post, read
from tests.moderation_support import act, sites
from tests.notify_support import Hook, drain, link_path, mail_client, webhook_server
from tests.servers import serve
from tests.stores import sqlite_store

HOSTILE_AUTHOR = "<b>Mallory</b> @everyone & co"
HOSTILE_TEXT = (
    "<b>bold</b> @everyone @here & <!channel> <@U123> [Approve](https://evil.test) "
    '<a href="https://evil.test">Approve</a> <https://evil.test|Approve> &amp; x<y>z'
)
TITLE = 'Tom & Jerry <i>"live"</i>'
CHAT_ID = -1001234567890
PAGE = ORIGIN + "/post/"
PATHS = {
    "slack": "/services/T0001/B0001/abcdefghijklmnop",
    "discord": "/api/webhooks/1234567890/token-abc",
    "telegram": "/bot123456:ABC-DEF/sendMessage",
}
HOUR = 3600


@pytest.fixture
def hook_server() -> Iterator[Hook]:
    with webhook_server() as state:
        yield state


@pytest.fixture(scope="module")
def chats() -> Iterator[Chats]:
    state = Chats()
    with serve(state.app()) as base:
        state.url = base
        yield state


def preset(chats: Chats, form: str, **more: Any) -> dict[str, Any]:
    blog: dict[str, Any] = {"webhook": chats.url + PATHS[form], "webhook_format": form, **more}
    if form == "telegram":
        blog.setdefault("telegram_chat_id", CHAT_ID)
    return sites(blog=blog)


def deliver(
    store_and_url: tuple[Store, StoreURL], clock: Clock, chats: Chats, form: str, **fields: Any
) -> tuple[Seen, TestClient, Any]:
    chats.got.clear()
    chats.refused.clear()
    with mail_client(store_and_url, clock, preset(chats, form), None) as client:
        made = post(client, expect=202, **{"title": TITLE, **fields})["comment"]
        assert drain(client) == 1
        assert chats.refused == [] and len(chats.got) == 1
        seen = chats.got[0]
        assert seen.service == form
        # the approve link in the message works
        approve = dict((label, url) for label, url in seen.links)["Approve"]
        assert client.post(link_path(approve), data={"action": "approve"}).status_code == 200
        assert [c["id"] for c in read(client)["comments"]] == [made["id"]]
        return seen, client, made


def moderation_links(seen: Seen) -> dict[str, str]:
    return {label: url for label, url in seen.links if url.startswith("http://api.test/moderate/")}


def test_slack_gets_text_with_mrkdwn_links(
    store_and_url: tuple[Store, StoreURL], clock: Clock, chats: Chats
) -> None:
    seen, _, _ = deliver(store_and_url, clock, chats, "slack", author="JKB", text="Hello *you*")
    assert list(seen.body) == ["text"]
    text = seen.body["text"]
    assert text.startswith(f"*New comment awaiting moderation* on blog: <{PAGE}|")
    assert "*JKB* says:\n>Hello *you*" in text
    assert set(moderation_links(seen)) == {"Approve", "Spam", "Delete"}
    page = ('Tom &amp; Jerry &lt;i&gt;"live"&lt;/i&gt;', PAGE)
    assert f"<{page[1]}|{page[0]}>" in text


def test_discord_gets_content_that_mentions_no_one(
    store_and_url: tuple[Store, StoreURL], clock: Clock, chats: Chats
) -> None:
    seen, _, _ = deliver(store_and_url, clock, chats, "discord", author="JKB", text="Hello")
    assert seen.body["allowed_mentions"] == {"parse": []}
    assert set(seen.body) == {"content", "allowed_mentions"}
    content = seen.body["content"]
    assert content.startswith("**New comment awaiting moderation** on blog: [")
    assert f"(<{PAGE}>)" in content and "**JKB** says:\n> Hello" in content
    assert set(moderation_links(seen)) == {"Approve", "Spam", "Delete"}


def test_telegram_gets_send_message_in_html(
    store_and_url: tuple[Store, StoreURL], clock: Clock, chats: Chats
) -> None:
    seen, _, _ = deliver(store_and_url, clock, chats, "telegram", author="JKB", text="Hello")
    assert seen.body["chat_id"] == CHAT_ID and seen.body["parse_mode"] == "HTML"
    assert seen.body["link_preview_options"] == {"is_disabled": True}
    assert set(seen.body) == {"chat_id", "text", "parse_mode", "link_preview_options"}
    assert seen.visible.startswith("New comment awaiting moderation on blog: ")
    assert 'Tom & Jerry <i>"live"</i>' in seen.visible  # the title, read as text
    assert "JKB says:\nHello" in seen.visible
    assert ('Tom & Jerry <i>"live"</i>', PAGE) in seen.links
    assert set(moderation_links(seen)) == {"Approve", "Spam", "Delete"}


@pytest.mark.parametrize("form", ["slack", "discord", "telegram"])
def test_a_hostile_comment_pings_no_one_and_forges_no_link(
    tmp_path: Path, clock: Clock, chats: Chats, form: str
) -> None:
    with sqlite_store(tmp_path) as pair:
        seen, _, _ = deliver(pair, clock, chats, form, author=HOSTILE_AUTHOR, text=HOSTILE_TEXT)
    # our page link and three moderation links, nothing of the commenter's
    assert len(seen.links) == 4, seen.links
    assert all("evil.test" not in url for _, url in seen.links)
    assert [label for label, _ in seen.links if label == "mention"] == []
    if form == "discord":
        content = seen.body["content"]
        assert "@everyone" not in content and "@here" not in content
        assert seen.body["allowed_mentions"] == {"parse": []}
    else:  # what the reader sees is the words as written
        assert HOSTILE_AUTHOR in seen.visible
        assert "<b>bold</b> @everyone @here & <!channel>" in seen.visible


def test_a_long_comment_fits_discord_and_telegram(
    tmp_path: Path, clock: Clock, chats: Chats
) -> None:
    # Every character escaped (Discord's markdown doubles each) and emoji (two UTF-16 units):
    # the message would pass Discord's 2,000 without the cut.
    longest = {"title": "*" * 200, "author": "_" * 80, "text": "😀*" * 300}
    for form in ("discord", "telegram"):
        with sqlite_store(tmp_path / form) as pair:
            seen, _, _ = deliver(pair, clock, chats, form, **longest)
        assert len(moderation_links(seen)) == 3


def test_a_refusal_is_logged_with_the_services_reason_and_not_retried(
    tmp_path: Path, clock: Clock, chats: Chats, caplog: pytest.LogCaptureFixture
) -> None:
    chats.got.clear()
    with (
        sqlite_store(tmp_path) as pair,
        mail_client(pair, clock, preset(chats, "telegram", telegram_chat_id=-1), None) as client,
    ):
        post(client, expect=202)
        drain(client)
        clock.advance(86400)
        assert drain(client) == 0  # refused for good: not tried again
    assert chats.got == [] and chats.refused[-1] == "chat not found"
    logged = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(logged) == 1 and "status 400: Bad Request: chat not found" in logged[0]
    assert PATHS["telegram"] not in logged[0] and "123456:ABC" not in caplog.text  # the token


def test_the_default_body_is_parleys_own(tmp_path: Path, clock: Clock, hook_server: Hook) -> None:
    assert SiteConfig().webhook_format == "parley"
    for form in ({}, {"webhook_format": "parley"}):
        hook_server.received.clear()
        blog = sites(blog={"webhook": hook_server.url, **form})
        with (
            sqlite_store(tmp_path / str(len(form))) as pair,
            mail_client(pair, clock, blog, None) as c,
        ):
            post(c, expect=202, author="JKB")
            drain(c)
        (body,) = hook_server.received
        assert set(body) == {"text", "content", "allowed_mentions", "parley"}
        assert body["parley"]["comment"]["author"] == "JKB"
    site = SiteConfig.parse({"webhook": "https://hooks.example/p", "webhook_format": "parley"})
    assert SiteConfig.parse(site.to_dict()) == site


@pytest.mark.parametrize(
    ("blog", "key", "why"),
    [
        ({"webhook_format": "telegram", "webhook": "https://t.example/botX/sendMessage"},
         "telegram_chat_id", "is required with webhook_format telegram"),
        ({"webhook_format": "telegram", "telegram_chat_id": 42,
          "webhook": "https://t.example/botX"}, "webhook", "sendMessage"),
        ({"webhook_format": "slack"}, "webhook", "is required with webhook_format slack"),
        ({"webhook_format": "teams", "webhook": "https://x.example/"}, "webhook_format",
         "must be one of parley, slack, discord, telegram"),
        ({"telegram_chat_id": 42, "webhook": "https://x.example/"}, "telegram_chat_id",
         "only read with webhook_format telegram"),
        ({"webhook_format": "telegram", "telegram_chat_id": "my chat",
          "webhook": "https://t.example/botX/sendMessage"}, "telegram_chat_id", "numeric id"),
        ({"webhook_format": "telegram", "telegram_chat_id": True,
          "webhook": "https://t.example/botX/sendMessage"}, "telegram_chat_id", "numeric id"),
    ],
)  # fmt: skip
def test_the_settings_refuse_a_preset_without_what_it_needs(
    tmp_path: Path, blog: dict[str, Any], key: str, why: str
) -> None:
    with pytest.raises(SiteProblems) as caught:
        SiteConfig.parse(blog)
    assert why in caught.value.problems[key]
    env = {"PARLEY_STORE": f"sqlite:///{tmp_path}/p.db", "PARLEY_SITES": json.dumps({"b": blog})}
    with pytest.raises(ConfigError, match=f"site 'b': .*{key}: "):
        Settings.from_env(env)


def test_a_telegram_chat_is_an_id_or_a_channel_name() -> None:
    hook = "https://t.example/bot1:A/sendMessage"
    for given, kept in [(-100123, -100123), ("-100123", -100123), ("@my_channel", "@my_channel")]:
        site = SiteConfig.parse(
            {"webhook": hook, "webhook_format": "telegram", "telegram_chat_id": given}
        )
        assert site.telegram_chat_id == kept
        assert SiteConfig.parse(site.to_dict()) == site


@pytest.mark.parametrize("form", ["slack", "discord", "telegram"])
def test_a_burst_of_12_is_three_messages_and_one_digest_of_the_rest(
    store_and_url: tuple[Store, StoreURL], clock: Clock, chats: Chats, form: str
) -> None:
    chats.got.clear()
    chats.refused.clear()
    clock.now = (int(clock.now) // HOUR) * HOUR - 600  # the last minutes of an hour
    blog = preset(chats, form, moderation="first-time", notify="all")
    with mail_client(store_and_url, clock, blog, None) as client:
        regular = post(client, author="Regular", email="regular@example.com", expect=202)
        act(client, regular["comment"]["id"], "approve")  # a known author: published at once
        drain(client)
        chats.got.clear()
        clock.now += 600 + 60  # the next hour, a minute in
        for n in range(12):  # every other one by a first-timer: held
            email = "regular@example.com" if n % 2 == 0 else f"new{n}@example.com"
            text = f"Burst comment number {n}."
            post(client, author=f"Writer {n}", email=email, text=text, expect=None)
            clock.advance(1)
        drain(client)
        assert chats.refused == [] and len(chats.got) == 3  # the first three, at once
        clock.advance(HOUR / 2)
        assert drain(client) == 0 and len(chats.got) == 3  # the rest wait for the hour's end
        clock.now = (int(clock.now) // HOUR + 1) * HOUR + 1
        drain(client)
        assert chats.refused == [] and len(chats.got) == 4
        seen = chats.got[3]
        assert seen.service == form
        listed = [int(n) for n in re.findall(r"Burst comment number (\d+)\.", seen.visible)]
        held_first = [3, 5, 7, 9, 11, 4, 6, 8, 10]  # held (odd) with their links, then new
        more = re.search(r"and (\d+) more", seen.visible)
        assert listed == held_first[: len(listed)] and listed
        assert len(listed) + (int(more.group(1)) if more else 0) == 9
        if form == "slack":
            assert listed == held_first
        approve = [url for label, url in moderation_links_all(seen) if label == "Approve"]
        assert len(approve) == len([n for n in listed if n % 2])
        assert client.post(link_path(approve[0]), data={"action": "approve"}).status_code == 200
        clock.advance(2 * HOUR)
        drain(client)
        assert len(chats.got) == 4  # each comment was told once


@pytest.mark.parametrize(("mode", "length"), [("hourly", HOUR), ("daily", 24 * HOUR)])
def test_hourly_and_daily_chat_is_one_digest_message_and_nothing_at_once(
    store_and_url: tuple[Store, StoreURL], clock: Clock, chats: Chats, mode: str, length: int
) -> None:
    chats.got.clear()
    chats.refused.clear()
    start = (int(clock.now) // (24 * HOUR)) * 24 * HOUR + 24 * HOUR  # a UTC midnight
    clock.now = start + 60
    blog = preset(chats, "slack", moderation="first-time", notify="all", notify_digest=mode)
    with mail_client(store_and_url, clock, blog, None) as client:
        for n in range(4):  # first-timers: held
            post(client, email=f"new{n}@example.com", text=f"Burst comment number {n}.", expect=202)
            clock.advance(1)
        drain(client)
        assert chats.got == []  # not even the held ones at once
        clock.now = start + HOUR + 1
        drain(client)
        assert len(chats.got) == (1 if mode == "hourly" else 0)
        clock.now = start + length + 1
        drain(client)
        assert chats.refused == [] and len(chats.got) == 1
        listed = re.findall(r"Burst comment number (\d+)\.", chats.got[0].visible)
        assert listed == ["0", "1", "2", "3"]
        approve = [url for label, url in moderation_links_all(chats.got[0]) if label == "Approve"]
        assert len(approve) == 4
        clock.advance(2 * length)
        drain(client)
        assert len(chats.got) == 1  # each comment was told once


def moderation_links_all(seen: Seen) -> list[tuple[str, str]]:
    return [(label, url) for label, url in seen.links if "/moderate/" in url]


@pytest.mark.parametrize("form", ["slack", "discord", "telegram"])
def test_a_digest_of_many_fits_each_service_and_says_how_many_more(form: str) -> None:
    from datetime import UTC, datetime

    from backend.domain.models import Comment, Status
    from backend.notify import chat
    from backend.notify.digest import Entry
    from backend.notify.letters import Page

    def entry(n: int, held: bool) -> Entry:
        comment = Comment(
            id=f"c{n:04d}", site="blog", uri="/post/", parent=None, author="_*@everyone" * 5,
            email="", website="", text="😀*<b>&amp;" * 100, html="",
            status=Status.PENDING if held else Status.APPROVED,
            created=datetime(2026, 1, 1, tzinfo=UTC),
        )  # fmt: skip
        links = {a: f"http://api.test/moderate/{'t' * 180}{n}?a={a}" for a in ("approve", "spam")}
        return Entry(comment, Page(TITLE * 20, PAGE), links if held else {})

    site = SiteConfig.parse(preset_site(form))
    body = chat.digest_body(site, [entry(n, True) for n in range(300)], [entry(9, False)])
    seen = {"slack": slack_read, "discord": discord_read, "telegram": telegram_read}[form](body)
    more = re.search(r"and (\d+) more", seen.visible)
    assert more is not None
    shown = len([u for label, u in seen.links if label == "Approve"])
    assert shown >= 1 and shown + int(more.group(1)) == 301
    assert "@everyone" not in seen.body.get("content", "")


def preset_site(form: str) -> dict[str, Any]:
    blog: dict[str, Any] = {"webhook": "https://chat.example" + PATHS[form], "webhook_format": form}
    if form == "telegram":
        blog["telegram_chat_id"] = CHAT_ID
    return blog
