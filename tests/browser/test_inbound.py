"""Replies from the open web in the real widget: a Webmention from a stand-in blog and a reply
from a stand-in Mastodon, verified and pulled by `parley serve`'s own worker, appear in the
thread with their origin, the announcement's likes and reposts beside the heading; the blog's
source answering 410 takes its mention away."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests import fediverse_records as rec
from tests.browser.conftest import WEB_TOKEN
from tests.browser.harness import Console, Servers
from tests.browser.test_widget import heading
from tests.servers import serve
from tests.standins import StandIn

pytestmark = pytest.mark.browser

REPLY = """<!doctype html><html><head><title>Re</title></head><body>
<article class="h-entry"><a class="p-author h-card" href="https://alice.example/">Alice</a>
replied to <a class="u-in-reply-to" href="{target}">the post</a>:
<div class="e-content"><p>Seen from my blog<script>window.pwned = 1</script>
<img src="x" onerror="window.pwned = 2"></p></div>
<time class="dt-published" datetime="2026-01-01T09:00:00Z">1 Jan</time></article></body></html>"""


def _send(servers: Servers, path: str, data: bytes, headers: dict[str, str]) -> int:
    req = urllib.request.Request(servers.api + path, data, headers, method="POST")
    with urllib.request.urlopen(req) as resp:
        return int(resp.status)


def _comments(servers: Servers, uri: str) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"site": "web", "uri": uri})
    with urllib.request.urlopen(f"{servers.api}/api/v1/comments?{query}") as resp:
        comments: list[dict[str, Any]] = json.load(resp)["comments"]
        return comments


LIKE = """<html><body><div class="h-entry"><a class="p-author h-card" href="https://bob.example/">
Bob</a> liked <a class="u-like-of" href="{target}">this</a></div></body></html>"""


def _reactions(servers: Servers, uri: str, want: dict[str, int]) -> Any:
    query = urllib.parse.urlencode({"site": "web", "uri": uri})
    deadline = time.monotonic() + 60
    while True:
        with urllib.request.urlopen(f"{servers.api}/api/v1/comments?{query}") as resp:
            got = json.load(resp)["thread"]["reactions"]
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.25)


def _until(servers: Servers, uri: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    while True:
        comments = _comments(servers, uri)
        if len(comments) == count or time.monotonic() > deadline:
            return comments
        time.sleep(0.25)


def test_a_webmention_and_a_mastodon_reply_show_their_origin(
    page: Page, servers: Servers, console: Console
) -> None:
    uri = "/t/inbound/"
    target = servers.page(uri, site="web")
    s = StandIn()
    with serve(s.app()) as base:
        s.pages["/alice/reply"] = (200, REPLY.format(target=target))
        carol = rec.account("carol", "Carol", host="elsewhere.test")
        toot = rec.status(
            "78", carol, "<p>Replying on Mastodon</p>", in_reply_to_id="77",
            created_at="2026-01-01T10:00:00.000Z",
        )  # fmt: skip
        s.contexts["77"] = rec.context([], [toot])
        post = rec.status("77", rec.account("owner", "Owner"), "<p>New</p>", in_reply_to_id=None)
        s.statuses["77"] = {**post, "favourites_count": 5, "reblogs_count": 2}
        mention = urllib.parse.urlencode({"source": f"{base}/alice/reply", "target": target})
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        assert _send(servers, "/webmention?site=web", mention.encode(), form) == 202
        bind = {"site": "web", "uri": uri, "url": f"{base}/@owner/77"}
        admin = {"Content-Type": "application/json", "Authorization": f"Bearer {WEB_TOKEN}"}
        assert _send(servers, "/api/v1/admin/threads/announce", json.dumps(bind).encode(),
                     admin) == 200  # fmt: skip
        assert len(_until(servers, uri, 2)) == 2
        # A like from another blog, by Webmention: counted with the announcement's, not shown.
        s.pages["/bob/like"] = (200, LIKE.format(target=target))
        like = urllib.parse.urlencode({"source": f"{base}/bob/like", "target": target})
        assert _send(servers, "/webmention?site=web", like.encode(), form) == 202
        assert _reactions(servers, uri, {"likes": 6, "reposts": 2}) == {"likes": 6, "reposts": 2}

        page.goto(target)
        expect(heading(page)).to_have_text("2 Comments")
        expect(page.locator("#parley .t .x")).to_have_text("♥ 6 ⟳ 2")  # likes, reposts
        via = page.locator("#parley article a.via")
        host = base.removeprefix("http://")
        expect(via).to_have_text([f"via {host}", "via Mastodon"])
        assert via.nth(0).get_attribute("href") == f"{base}/alice/reply"
        assert via.nth(1).get_attribute("href") == toot["url"]
        assert via.nth(1).get_attribute("title") == "@carol@elsewhere.test"
        expect(page.locator("#parley article").first).to_contain_text("Seen from my blog")
        assert page.evaluate("window.pwned") is None

        # The blog post is deleted: its Webmention says so, and the mention goes.
        s.pages["/alice/reply"] = (410, "<p>gone</p>")
        assert _send(servers, "/webmention?site=web", mention.encode(), form) == 202
        assert len(_until(servers, uri, 1)) == 1
        page.reload()
        expect(heading(page)).to_have_text("1 Comment")
        expect(page.locator("#parley article a.via")).to_have_text(["via Mastodon"])

        # In the page's language: the words of the widget's strings (i18n/de.json).
        servers.page(uri, site="web", lang="de")
        page.reload()  # the same address, rewritten: not the cached page
        expect(heading(page)).to_have_text("1 Kommentar")
        expect(page.locator("#parley article a.via")).to_have_text(["über Mastodon"])
    assert console.errors == []


def test_the_page_suggests_its_announcement_post_once(
    page: Page, servers: Servers, console: Console
) -> None:
    """data-announce on the script tag: the widget suggests the post once, the worker finds
    that the post links to the page and binds it, its reply joins the thread; the next page
    view sends no suggestion (the thread says it took one)."""
    uri = "/t/announced/"
    s = StandIn()
    with serve(s.app()) as base:
        target = servers.page(uri, site="web", attrs=f'data-announce="{base}/@owner/88"')
        owner = rec.account("owner", "Owner")
        s.statuses["88"] = rec.status(
            "88", owner, f'<p>New post: <a href="{target}">read it</a></p>', in_reply_to_id=None
        )
        dana = rec.account("dana", "Dana", host="elsewhere.test")
        s.contexts["88"] = rec.context(
            [], [rec.status("89", dana, "<p>From Mastodon</p>", in_reply_to_id="88")]
        )
        sent: list[str] = []
        page.on("request", lambda r: sent.append(r.method) if "/api/v1/announce" in r.url else None)
        page.goto(target)
        expect(heading(page)).to_have_text("No comments yet")
        assert len(_until(servers, uri, 1)) == 1  # the worker checked the post, then pulled
        assert sent == ["POST"]
        page.reload()
        expect(page.locator("#parley article a.via")).to_have_text(["via Mastodon"])
        assert sent == ["POST"]  # no second suggestion
    assert console.errors == []
