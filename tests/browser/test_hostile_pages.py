"""The hostile corpus (tests/hostile.py) in Debian's Chromium: the widget on a page of another
origin, and the /admin moderation page. Nothing runs, nothing is injected, the words show as
text."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import Console, Servers
from tests.browser.test_admin_page import Admin, admin, sign_in  # noqa: F401  (fixture)
from tests.hostile import NAMES, TEXTS, WEBSITES

CHECK = """root => {
  const all = [...root.querySelectorAll('*')]
  const active = ['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'SVG', 'IMG', 'DETAILS', 'ANIMATE']
  const url = e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action') || ''
  return {
    active: all.filter(e => active.includes(e.tagName.toUpperCase())).map(e => e.tagName),
    handlers: all.flatMap(e => [...e.attributes].map(a => a.name)).filter(n => n.startsWith('on')),
    js: all.filter(e => /^\\s*(javascript|data|vbscript):/i.test(url(e))).map(url),
  }
}"""
CLEAN = {"active": [], "handlers": [], "js": []}


def test_the_widget_shows_the_corpus_as_text(
    page: Page, servers: Servers, console: Console
) -> None:
    uri = "/t/corpus/"
    for name in NAMES:
        servers.post(uri, name, "A plain comment.")
    for text in TEXTS:
        servers.post(uri, "Plain Name", text)
    for website in WEBSITES:
        servers.post(uri, "Plain Name", "A plain comment.", website=website)
    total = len(NAMES) + len(TEXTS) + len(WEBSITES)
    page.goto(servers.page(uri))
    more = page.get_by_role("button", name="Load more comments")
    articles = page.locator("#parley article")
    expect(articles.first).to_be_visible()
    for _ in range(total):  # the widget shows a page at a time
        shown = articles.count()
        if shown >= total:
            break
        more.click()
        expect(articles).not_to_have_count(shown)
    expect(page.locator("#parley article")).to_have_count(total)
    for link in page.locator("#parley a").all()[:40]:
        link.hover()
    root = page.locator("#parley").evaluate_handle("el => el.shadowRoot || el")
    found = page.evaluate(CHECK, root)
    assert found == CLEAN
    names = page.locator("#parley .a").all_inner_texts()
    for name in NAMES:
        assert name in names
    assert page.evaluate("window.__pwned") is None
    assert [e for e in console.errors if "pwned" in e] == []


@pytest.mark.usefixtures("console")
def test_the_admin_page_shows_the_corpus_as_text(page: Page, admin: Admin) -> None:  # noqa: F811
    for number, name in enumerate(NAMES):
        admin.post(f"Held comment {number}.", author=name)
    for text in TEXTS:
        admin.post(text, author="Plain Name")
    sign_in(page, admin)
    expect(page.locator("#comments > li")).to_have_count(len(NAMES) + len(TEXTS))
    found = page.evaluate(CHECK, page.locator("#comments").element_handle())
    assert found == CLEAN
    shown = page.locator("#comments").inner_text()
    for name in NAMES:
        assert name in shown
    assert page.evaluate("window.__pwned") is None
