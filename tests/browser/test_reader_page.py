"""The reader's page, second look: a failed read is not an empty thread, "@Parent:" reaches
its parent wherever it is, native parts readable on a dark page, the accent taken from the
page's links, a build-time thread revalidated, the skip link."""

from __future__ import annotations

import re
import urllib.request
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import Servers
from tests.browser.test_widget import (
    ACCENT,
    PAGE_STYLES,
    alert,
    api_calls,
    article,
    field,
    heading,
    styled,
)

pytestmark = pytest.mark.browser


def test_a_failed_read_is_not_an_empty_thread(page: Page, servers: Servers) -> None:
    uri = "/t/read-fails/"
    a = servers.post(uri, "Ann", "Still here")
    byline = f'<p><a href="#parley" data-parley-count="{uri}">Comments</a></p>'
    page.route(re.compile(r".*/api/v1/comments\?.*"), lambda route: route.abort())
    page.goto(servers.page(uri, extra=byline))
    expect(alert(page)).to_have_text("Could not reach the server. Try again")
    # The byline keeps the count it had; the heading says nothing rather than "no comments".
    expect(page.locator("main a[data-parley-count]")).to_have_text("1 Comment")
    expect(page.locator("#parley")).not_to_contain_text("No comments yet")
    expect(heading(page)).to_be_hidden()
    retry = page.get_by_role("button", name="Try again")
    page.unroute(re.compile(r".*/api/v1/comments\?.*"))
    retry.click()
    expect(heading(page)).to_have_text("1 Comment")
    expect(article(page, a["id"])).to_contain_text("Still here")
    expect(alert(page)).to_have_count(0)
    expect(retry).to_be_hidden()


def test_the_parent_link_runs_into_the_text_and_reaches_an_unloaded_parent(
    page: Page, servers: Servers
) -> None:
    uri = "/t/far-parent/"
    first = servers.post(uri, "Ann", "The first word")
    for i in range(22):
        servers.post(uri, f"R{i}", f"filler {i}")
    last = servers.post(uri, "Bob", "Agreed on all points.", parent=first["id"])
    page.goto(servers.page(uri))
    page.get_by_label("Sort comments").select_option("newest")
    reply = article(page, last["id"])
    # The seed's "@JKB: Agreed on all points." : one paragraph, the link at its start.
    expect(reply.locator(".b > p").first).to_have_text("@Ann: Agreed on all points.")
    expect(article(page, first["id"])).to_have_count(0)  # on a later page of newest first
    reply.get_by_role("link", name="@Ann:").click()
    parent = article(page, first["id"])
    expect(parent).to_be_in_viewport()
    expect(parent).to_be_focused()
    expect(parent).to_have_class(re.compile(r"\bhl\b"))


def test_native_parts_are_readable_on_a_dark_page(browser: Browser, servers: Servers) -> None:
    uri = "/t/dark-native/"
    servers.post(uri, "Ann", "x")
    ctx = browser.new_context(color_scheme="light")
    page = ctx.new_page()
    page.goto(styled(servers, uri, "dark"))
    expect(heading(page)).to_have_text("1 Comment")
    # The sort menu's list and the checkboxes are drawn dark, their text light.
    option = page.locator("#parley option").first
    colors = option.evaluate(
        "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color,"
        " getComputedStyle(el).colorScheme]"
    )
    assert colors == ["rgb(18, 18, 18)", "rgb(255, 255, 255)", "dark"], colors
    box = page.locator("#parley input[type=checkbox]").first
    assert box.evaluate("el => getComputedStyle(el).colorScheme") == "dark"
    ctx.close()


@pytest.mark.parametrize(
    ("style", "links", "expected"),
    [
        ("light-serif", "#b22222", "rgb(178, 34, 34)"),  # the serif blog's red links
        ("tinted", "rgb(122, 62, 12)", "rgb(122, 62, 12)"),  # the tinted blog's brown ones
        ("dark", "#ff9f43", "rgb(255, 159, 67)"),
        ("light-serif", "#cccccc", ACCENT["light"]),  # too pale on white: the default stays
        ("dark", "#3a3a3a", ACCENT["dark"]),  # too dark on the dark page: the default stays
        ("light-serif", "", "rgb(0, 0, 238)"),  # no colour of its own: the browser's blue
    ],
)
def test_auto_accent_follows_the_pages_links(
    browser: Browser, servers: Servers, style: str, links: str, expected: str
) -> None:
    uri = f"/t/accent-{style}-{links.strip('#').replace(' ', '')}/"
    servers.post(uri, "Ann", "A [link](https://example.com)")
    css, _ = PAGE_STYLES[style]
    scheme = "html { color-scheme: dark }" if style == "dark" else ""
    rule = f"a {{ color: {links} }}" if links else ""
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(servers.page(uri, extra=f"<style>{scheme} body {{ {css} }} {rule}</style>"))
    expect(heading(page)).to_have_text("1 Comment")
    link = page.locator("#parley .b a").first
    assert link.evaluate("el => getComputedStyle(el).color") == expected
    ctx.close()


def test_the_pages_own_accent_wins_over_auto(page: Page, servers: Servers) -> None:
    uri = "/t/accent-own/"
    servers.post(uri, "Ann", "A [link](https://example.com)")
    style = "<style>a { color: #b22222 } #parley { --parley-accent: rgb(1, 2, 3) }</style>"
    page.goto(servers.page(uri, extra=style))
    expect(heading(page)).to_have_text("1 Comment")
    link = page.locator("#parley .b a").first
    assert link.evaluate("el => getComputedStyle(el).color") == "rgb(1, 2, 3)"


def _fragment(servers: Servers, uri: str) -> str:
    with urllib.request.urlopen(f"{servers.api}/api/v1/comments.html?site=demo&uri={uri}") as r:
        return str(r.read().decode())


def test_a_build_time_thread_is_revalidated_when_reached(page: Page, servers: Servers) -> None:
    uri = "/t/stale-build/"
    a = servers.post(uri, "Ann", "Built in")
    tall = '<div style="height: 4000px">The article.</div>'
    byline = f'<p><a href="#parley" data-parley-count="{uri}">Comments</a></p>'
    extra = byline + tall + f'<div id="parley">{_fragment(servers, uri)}</div>'
    url = servers.page(uri, extra=extra)
    # Unchanged: when the reader nears the comments, one read of the first page with the
    # page's ETag, answered 204 without a body; a simple request (no CORS preflight from the
    # page's origin) and nothing else.
    checks = api_calls(page, "/api/v1/comments")
    methods: list[str] = []  # every request DevTools saw for the thread, preflights too
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on(
        "Network.requestWillBeSent",
        lambda e: methods.append(e["request"]["method"])
        if "/api/v1/comments" in e["request"]["url"] else None,
    )  # fmt: skip
    page.goto(url)
    expect(page.locator("main a[data-parley-count]")).to_have_text("1 Comment")
    page.wait_for_load_state("networkidle")
    assert checks == []  # not on every page view: only once the reader nears #parley
    built = page.locator("#parley [data-etag]").get_attribute("data-etag")
    with page.expect_response(lambda r: "/api/v1/comments" in r.url) as answer:
        page.locator("#parley").scroll_into_view_if_needed()
    assert answer.value.status == 204 and f"built={quote(built or '')}" in answer.value.url
    expect(heading(page)).to_have_text("1 Comment")
    expect(article(page, a["id"])).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert len(checks) == 1 and methods == ["GET"], methods
    # A comment after the build: the thread, its heading and the byline are brought up to date.
    b = servers.post(uri, "Bob", "Written after the build")
    page.reload()
    page.locator("#parley").scroll_into_view_if_needed()
    expect(article(page, b["id"])).to_be_visible()
    expect(heading(page)).to_have_text("2 Comments")
    expect(page.locator("main a[data-parley-count]")).to_have_text("2 Comments")


def test_the_skip_link_lands_on_the_name(page: Page, servers: Servers) -> None:
    uri = "/t/skip-name/"
    servers.post(uri, "Ann", "x")
    page.goto(servers.page(uri))
    expect(heading(page)).to_have_text("1 Comment")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(field(page, "Name")).to_be_focused()


def test_the_fragments_parent_link_runs_into_the_text_and_is_not_doubled(
    browser: Browser, servers: Servers
) -> None:
    uri = "/t/fragment-at-parent/"
    a = servers.post(uri, "Ann", "The first word")
    b = servers.post(uri, "Bob", "Agreed on all points.", parent=a["id"])
    extra = f'<div id="parley">{_fragment(servers, uri)}</div>'
    # Without JavaScript: "@Ann: Agreed on all points." is one paragraph, as the widget shows it.
    ctx = browser.new_context(java_script_enabled=False)
    nojs = ctx.new_page()
    nojs.goto(servers.page(uri, extra=extra))
    reply = nojs.locator(f"#comment-{b['id']}")
    expect(reply.locator("[itemprop=text] > p").first).to_have_text("@Ann: Agreed on all points.")
    expect(reply.get_by_role("link", name="@Ann:")).to_have_count(1)
    ctx.close()
    # The widget takes it over: one "@Ann:", still at the start of the text, and it works.
    page = browser.new_page()
    page.goto(servers.page(uri, extra=extra))
    reply = article(page, b["id"])
    expect(reply.locator(".b > p").first).to_have_text("@Ann: Agreed on all points.")
    expect(reply.get_by_role("link", name="@Ann:")).to_have_count(1)
    reply.get_by_role("link", name="@Ann:").click()
    expect(article(page, a["id"])).to_be_focused()
    page.close()


def _cells(avatar: str) -> list[int]:
    """The 5x5 grid the widget draws from a comment's avatar (widget/src/thread/features/
    avatar.js), row by row: bit i (0-14) of its last seven hex digits fills the cell in row i/3,
    column i%3 and its mirror."""
    n, grid = int(avatar[9:], 16), [0] * 25
    for i in range(15):
        if n >> i & 1:
            grid[i // 3 * 5 + i % 3] = grid[i // 3 * 5 + 4 - i % 3] = 1
    return grid


def test_identicons_are_drawn_from_the_servers_avatar(page: Page, servers: Servers) -> None:
    uri = "/t/identicons/"
    a = servers.post(uri, "Ann", "One")
    same = servers.post(uri, "Ann Again", "Two")  # the same email: ann@example.com
    b = servers.post(uri, "Bob", "Three")
    assert a["avatar"] == same["avatar"] != b["avatar"]
    assert "@" not in a["avatar"] and len(a["avatar"]) == 16  # a keyed hash, not the email
    page.goto(servers.page(uri))
    expect(heading(page)).to_have_text("3 Comments")
    for c in (a, same, b):
        icon = article(page, c["id"]).locator("header canvas")
        expect(icon).to_have_attribute("aria-hidden", "true")  # decoration: no name to read
        drawn = icon.evaluate(
            "c => Array.from({length: 25}, (_, i) => c.getContext('2d')"
            ".getImageData(i % 5 * 5 + 2, (i / 5 | 0) * 5 + 2, 1, 1).data[3] ? 1 : 0)"
        )
        assert drawn == _cells(c["avatar"]), c["author"]
        assert icon.evaluate("c => c.getBoundingClientRect().width") == 25  # five pixels a cell
        left = "e => e.getBoundingClientRect().left"
        assert icon.evaluate(left) < article(page, c["id"]).locator("header .a").evaluate(left)
