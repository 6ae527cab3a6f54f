"""A thread served as several `comments.html` pages, taken over by the widget in real
Chromium on a page from another origin: the first page shows at once, without a read, and
"Load more comments" brings the rest from the fragment's cursor through the JSON API."""

from __future__ import annotations

import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import Servers
from tests.browser.test_widget import api_calls, article, heading

pytestmark = pytest.mark.browser

LONG = ("A long comment, one of many. " * 330).strip()  # ~9.5 KB


def test_the_widget_reads_on_from_a_paged_fragment(page: Page, servers: Servers) -> None:
    uri = "/t/paged/"
    ids = [servers.post(uri, f"Reader {n}", f"{n}. {LONG}")["id"] for n in range(25)]
    with urllib.request.urlopen(f"{servers.api}/api/v1/comments.html?site=demo&uri={uri}") as resp:
        fragment = resp.read().decode()
    assert 'rel="next"' in fragment and ids[-1] not in fragment
    reads = api_calls(page, "/api/v1/comments?")
    page.goto(servers.page(uri, extra=f'<div id="parley">{fragment}</div>'))
    expect(heading(page)).to_have_text("25 Comments")
    expect(article(page, ids[0])).to_contain_text("Reader 0")
    # The only read so far: the check of the page's fragment (data-etag), a 204 without a body.
    assert [("built=" in r.url, r.response().status) for r in reads] == [(True, 204)]  # type: ignore[union-attr]
    reads.clear()
    more = page.get_by_role("button", name="Load more comments")
    shown = page.locator("#parley article")
    for _ in range(len(ids)):  # each click brings at least one comment
        if article(page, ids[-1]).count():
            break
        before = shown.count()
        more.click()  # waits while the button is away during a read
        expect(shown).not_to_have_count(before)
    expect(article(page, ids[-1])).to_contain_text("Reader 24")
    expect(article(page, ids[-1])).to_contain_text("25.")
    assert reads and all("after=" in r.url for r in reads)
