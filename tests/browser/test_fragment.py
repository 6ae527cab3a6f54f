"""The server-rendered thread (`GET /api/v1/comments.html`) as a reader without JavaScript sees
it in Chromium: one number per comment, no heart for a comment nobody liked, readable dates."""

from __future__ import annotations

import re
import urllib.request

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.harness import Servers

pytestmark = pytest.mark.browser


def fragment(servers: Servers, uri: str) -> str:
    url = f"{servers.api}/api/v1/comments.html?site=demo&uri={uri}"
    with urllib.request.urlopen(url) as resp:
        return str(resp.read().decode())


def test_the_fragment_reads_well_without_javascript(browser: Browser, servers: Servers) -> None:
    uri = "/t/nojs-look/"
    a = servers.post(uri, "Alice", "First")
    b = servers.post(uri, "Bob", "Second", parent=a["id"])
    servers.request("POST", f"/api/v1/comments/{a['id']}/likes", {"site": "demo", "uri": uri})
    extra = f'<div id="parley">{fragment(servers, uri)}</div>'
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.goto(servers.page(uri, extra=extra))
    first, second = page.locator(f"#comment-{a['id']}"), page.locator(f"#comment-{b['id']}")
    # The comment's own "1." and no list marker before it.
    for item in (first, second):
        assert item.evaluate("li => getComputedStyle(li).listStyleType") == "none"
    expect(first.locator("header")).to_have_text(re.compile(r"^1\. Alice says: "))
    # A heart only where someone liked the comment, and it is not the "liked by you" heart.
    expect(first.locator("footer")).to_have_text("♡ 1")
    expect(first.locator("footer [aria-label]")).to_have_attribute("aria-label", "1 like")
    expect(second.locator("footer")).to_have_text("")
    assert "♥" not in page.locator("#parley").inner_text()
    # The date as a reader writes it; no 24-hour UTC clock (the reader's zone is unknown here).
    time = first.locator("time")
    expect(time).to_have_text(re.compile(r"^[A-Z][a-z]+ \d{1,2}, \d{4}$"))
    expect(time).to_have_attribute("title", re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$"))
    ctx.close()
