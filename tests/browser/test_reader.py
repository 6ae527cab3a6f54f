"""The reader's page beyond the basics: counts-only pages, the lazy thread, sorting, keys and
the skip link, state kept current, the server-rendered thread taken over, and `/`."""

from __future__ import annotations

import re
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import Servers
from tests.browser.test_widget import (
    alert,
    api_calls,
    article,
    field,
    fill_form,
    form,
    heading,
    post_button,
)

pytestmark = pytest.mark.browser


def test_counts_only_page_gets_no_thread(page: Page, servers: Servers) -> None:
    servers.post("/t/idx-a/", "A", "x")
    extra = '<p><a href="/t/idx-a/#comments" data-parley-count="/t/idx-a/">Comments</a></p>'
    reads = api_calls(page, "/api/v1/comments")
    page.goto(servers.page("/t/index-only/", extra=extra))
    expect(page.locator("main a[data-parley-count]")).to_have_text("1 Comment")
    expect(page.locator("#parley")).to_have_count(0)
    expect(page.locator("form")).to_have_count(0)
    assert reads == []


def test_thread_waits_until_it_nears_the_viewport(page: Page, servers: Servers) -> None:
    uri = "/t/lazy/"
    a = servers.post(uri, "Ann", "Down here")
    tall = '<div style="height: 6000px">The article, long.</div>'
    extra = tall + f'<a href="#c" data-parley-count="{uri}">Comments</a><div id="parley"></div>'
    reads = api_calls(page, "/api/v1/comments?")
    counts = api_calls(page, "/api/v1/counts")
    bundles = api_calls(page, "/widget/thread.")
    page.goto(servers.page(uri, extra=extra))
    expect(page.locator("main > a[data-parley-count]")).to_have_text("1 Comment")
    page.wait_for_load_state("networkidle")  # whatever the page would fetch, it has fetched
    # Neither the thread nor the bundle that draws it: nothing of the widget is built yet.
    expect(heading(page)).to_have_count(0)
    assert reads == [] and bundles == [] and len(counts) == 1
    page.locator("#parley").scroll_into_view_if_needed()
    expect(heading(page)).to_have_text("1 Comment")
    assert len(reads) == 1 and len(bundles) == 1
    # A URL naming a comment reads the thread at once and scrolls to it.
    other = page.context.new_page()
    other.goto(servers.page(uri, extra=extra) + f"#comment-{a['id']}")
    expect(article(other, a["id"])).to_be_in_viewport()
    other.close()


def test_sort_is_chosen_and_remembered(page: Page, servers: Servers) -> None:
    uri = "/t/sort/"
    ids = [servers.post(uri, f"R{i}", f"comment {i}")["id"] for i in range(3)]
    page.goto(servers.page(uri))
    items = page.locator("#parley section > ol > li")
    expect(items.first).to_have_id(f"comment-{ids[0]}")
    sorts = api_calls(page, "sort=newest")
    page.get_by_label("Sort comments").select_option("newest")
    expect(items.first).to_have_id(f"comment-{ids[2]}")
    # Numbers stay chronological whatever the order.
    expect(article(page, ids[2])).to_contain_text("3.")
    assert len(sorts) == 1
    page.reload()
    expect(page.get_by_label("Sort comments")).to_have_value("newest")
    expect(items.first).to_have_id(f"comment-{ids[2]}")


def test_skip_link_escape_and_ctrl_enter(page: Page, servers: Servers) -> None:
    uri = "/t/keys/"
    a = servers.post(uri, "Ann", "Answer me")
    page.goto(servers.page(uri))
    expect(heading(page)).to_have_text("1 Comment")
    page.keyboard.press("Tab")
    skip = page.get_by_role("button", name="Skip to the comment form")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(field(page, "Name")).to_be_focused()
    # Escape puts the reply form away and gives focus back to its Reply button.
    reply = article(page, a["id"]).get_by_role("button", name="Reply to Ann")
    reply.click()
    expect(form(page, reply=True)).to_be_visible()
    page.keyboard.press("Escape")
    expect(form(page, reply=True)).to_have_count(0)
    expect(reply).to_be_focused()
    # Ctrl+Enter posts from the comment box.
    fill_form(page, "Nia", "Sent with the keyboard")
    field(page, "Comment").press("Control+Enter")
    expect(page.locator("#parley article", has_text="Nia says:")).to_be_focused()


def test_state_stays_current_without_reload(page: Page, servers: Servers) -> None:
    uri = "/t/current/"
    first = servers.post(uri, "Ann", "First")
    page.goto(servers.page(uri))
    fill_form(page, "Ola", "Mine, soon edited")
    post_button(page).click()
    mine = page.locator("#parley article", has_text="Ola says:")
    expect(mine).to_be_focused()
    expect(mine).to_contain_text("2.")
    mine.get_by_role("button", name="Edit").click()
    mine.get_by_role("textbox", name="Comment").fill("Mine, edited")
    mine.get_by_role("button", name="Save").click()
    expect(mine).to_contain_text("(edited)")
    expect(mine).to_contain_text("2.")
    # A later comment by someone else, then mine is deleted: numbers and count move up.
    later = servers.post(uri, "Pat", "Later")
    page.reload()
    expect(article(page, later["id"])).to_contain_text("3.")
    page.once("dialog", lambda d: d.accept())
    mine.get_by_role("button", name="Delete").click()
    expect(mine).to_have_count(0)
    expect(heading(page)).to_have_text("2 Comments")
    expect(article(page, later["id"])).to_contain_text("2.")
    expect(article(page, first["id"])).to_contain_text("1.")


def test_a_failed_like_does_not_talk_about_a_comment(page: Page, servers: Servers) -> None:
    uri = "/t/like-fail/"
    a = servers.post(uri, "Ann", "Like me")
    page.route(re.compile(r".*/likes$"), lambda route: route.abort())
    page.goto(servers.page(uri))
    article(page, a["id"]).get_by_role("button", name=re.compile("^Like")).click()
    expect(alert(page)).to_have_text("Could not reach the server.")


def test_takes_over_the_server_rendered_thread(page: Page, servers: Servers) -> None:
    uri = "/t/static/"
    a = servers.post(uri, "Ann", "Rendered *at build time*")
    b = servers.post(uri, "Bob", "And me", parent=a["id"])
    with urllib.request.urlopen(f"{servers.api}/api/v1/comments.html?site=demo&uri={uri}") as resp:
        fragment = resp.read().decode()
    extra = f'<div id="parley">{fragment}</div>'
    # Without JavaScript the fragment is the thread, in the widget's words.
    ctx = page.context.browser.new_context(java_script_enabled=False)  # type: ignore[union-attr]
    nojs = ctx.new_page()
    nojs.goto(servers.page(uri, extra=extra))
    expect(nojs.locator("#parley h2")).to_have_text("2 Comments")
    expect(nojs.locator(f"#comment-{b['id']}")).to_contain_text("@Ann:")
    expect(nojs.locator(f"#comment-{a['id']}")).to_contain_text("Ann says:")
    ctx.close()
    # With it, the widget takes the fragment over without reading the thread again: one check
    # of the fragment's ETag, answered 204 without a body.
    reads = api_calls(page, "/api/v1/comments?")
    page.goto(servers.page(uri, extra=extra))
    expect(heading(page)).to_have_text("2 Comments")
    expect(article(page, a["id"]).locator(".b em")).to_have_text("at build time")
    expect(article(page, b["id"])).to_contain_text("2.")
    expect(article(page, b["id"]).get_by_role("button", name="Reply to Bob")).to_be_visible()
    assert [("built=" in r.url, r.response().status) for r in reads] == [(True, 204)]  # type: ignore[union-attr]


def test_landing_page(page: Page, servers: Servers) -> None:
    page.goto(servers.api + "/")
    expect(page.locator("h1")).to_have_text("Parley")
    for name in ("Demo blog post", "Moderation page", "API reference"):
        expect(page.get_by_role("link", name=name)).to_be_visible()
