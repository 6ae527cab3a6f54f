"""`GET /api/v1/comments.html` is paged as the JSON is: a bounded answer however long the
thread, a `rel="next"` link to the next page (at PARLEY_PUBLIC_URL), and the JSON cursor in
the fragment's state so the widget taking it over reads on from there. On every store."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any
from urllib.parse import urlsplit

from backend.domain.models import PAGE_CHARS
from tests.conftest import ORIGIN, Clock
from tests.helpers import post, read
from tests.notify_support import mail_client

SITES: dict[str, Any] = {
    "blog": {"origins": [ORIGIN], "moderation": "none", "rate_limit_per_minute": 100000}
}
LONG = ("A long comment, one of many. " * 330).strip()  # ~9.5 KB of text


def html_page(c: Any, url: str) -> tuple[str, list[str], str | None, dict[str, Any]]:
    answer = c.get(url)
    assert answer.status_code == 200, answer.text
    body = answer.text
    ids = re.findall(r'<li id="comment-([0-9A-Z]+)"', body)
    link = re.search(r'<a rel="next" href="([^"]+)">More comments</a>', body)
    state = json.loads(unescape(re.search(r"data-parley='([^']*)'", body).group(1)))  # type: ignore[union-attr]
    return body, ids, unescape(link.group(1)) if link else None, state


def test_a_long_thread_is_served_in_bounded_pages(store_and_url: Any, clock: Clock) -> None:
    with mail_client(store_and_url, clock, SITES, None) as c:
        posted = [post(c, text=f"{n}. {LONG}")["comment"]["id"] for n in range(40)]
        url: str | None = "/api/v1/comments.html?site=blog&uri=/post/"
        seen: list[str] = []
        pages = 0
        while url is not None:
            body, ids, link, state = html_page(c, url)
            pages += 1
            assert len(body.encode()) < 2 * PAGE_CHARS  # ~128 KB of comments, and markup
            seen += ids
            assert (link is None) == (state["next"] is None)
            if link is not None:
                assert link.startswith("http://api.test/api/v1/comments.html?")
                # The widget reads on from the fragment's cursor with the JSON API.
                more = read(c, after=state["next"], limit=5)
                assert [x["id"] for x in more["comments"]][:1] == [posted[len(seen)]]
                url = urlsplit(link).path + "?" + urlsplit(link).query
            else:
                url = None
        assert seen == posted and pages > 1
        numbers = re.findall(r'<span class="n">(\d+)\.</span>', body)
        assert numbers[-1] == "40"  # numbered across pages


def test_a_short_thread_is_one_page_without_a_link(store_and_url: Any, clock: Clock) -> None:
    with mail_client(store_and_url, clock, SITES, None) as c:
        for _ in range(3):
            post(c)
        for sort in ("oldest", "newest", "top"):
            _, ids, link, state = html_page(
                c, f"/api/v1/comments.html?site=blog&uri=/post/&sort={sort}"
            )
            assert len(ids) == 3 and link is None and state["next"] is None


def test_a_bad_cursor_is_refused(store_and_url: Any, clock: Clock) -> None:
    with mail_client(store_and_url, clock, SITES, None) as c:
        answer = c.get("/api/v1/comments.html?site=blog&uri=/post/&after=nonsense")
        assert answer.status_code == 400


def test_a_reply_on_a_later_page_names_its_parent(store_and_url: Any, clock: Clock) -> None:
    # Sorted newest first, a reply stands on the first page and its parent on a later one:
    # the fragment still says whom it answers, never "@…".
    with mail_client(store_and_url, clock, SITES, None) as c:
        first = post(c, author="Ann", text=f"0. {LONG}")["comment"]["id"]
        for n in range(1, 20):
            post(c, author="Bo", text=f"{n}. {LONG}")
        post(c, author="Cy", text="A reply to the first.", parent=first)
        body, ids, link, _ = html_page(c, "/api/v1/comments.html?site=blog&uri=/post/&sort=newest")
        assert link is not None and first not in ids
        # The seed's "@JKB: Agreed…": the link opens the reply's own text (inside itemprop="text").
        assert (
            f'<div class="b" itemprop="text"><p><a class="re" href="#comment-{first}">@Ann:</a>'
            " A reply to the first.</p>" in body
        )
        assert "@…" not in body


def test_a_later_page_is_a_page_of_its_own_that_leads_back_to_the_post(
    store_and_url: Any, clock: Clock
) -> None:
    """A reader without JavaScript who follows "More comments" leaves the blog for the API:
    that page says whose comments these are, leads back to the post, and a reply there whose
    parent is on the post's own page links to it there. Validated by a real HTML parser."""
    from html.parser import HTMLParser

    with mail_client(store_and_url, clock, SITES, None) as c:
        first = post(c, author="Ann", text=f"0. {LONG}", title="Garden notes")["comment"]["id"]
        for n in range(1, 19):
            post(c, author="Bo", text=f"{n}. {LONG}")
        reply = post(c, author="Cy", text="Back to the first.", parent=first)["comment"]["id"]
        head, ids, link, _ = html_page(c, "/api/v1/comments.html?site=blog&uri=/post/")
        assert first in ids and reply not in ids and link is not None
        assert not head.lstrip().lower().startswith("<!doctype")  # the first page: a fragment
        body, ids, _, _ = html_page(c, urlsplit(link).path + "?" + urlsplit(link).query)
        assert reply in ids and first not in ids

        class Page(HTMLParser):
            def __init__(self) -> None:
                super().__init__()
                self.title, self.links, self._in_title = "", [], False

            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                self._in_title = tag == "title"
                if tag == "a":
                    self.links.append(dict(attrs).get("href") or "")

            def handle_data(self, data: str) -> None:
                self.title += data if self._in_title else ""

            def handle_endtag(self, tag: str) -> None:
                self._in_title = False

        page = Page()
        page.feed(body)
        assert body.lstrip().lower().startswith("<!doctype html>")
        assert "Garden notes" in page.title
        assert f"{ORIGIN}/post/#parley" in page.links  # back to the post
        assert f"{ORIGIN}/post/#comment-{first}" in page.links  # "@Ann:", on the post's page
        assert f"#comment-{reply}" in page.links  # its own date link stays on this page
