"""The owner's desk in the widget, in Debian's Chromium on a page from another origin: the
"Author" badge on the owner's reply (never on a reader who takes the same name), the pinned
comment first on the first page with a "Pinned" label and its own number even when it lives
on a later page, and a `data-parley-recent` box filled with the site's latest comments;
axe-clean, no console errors."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import WEB_TOKEN
from tests.browser.harness import Servers
from tests.browser.test_widget import AXE

pytestmark = pytest.mark.browser

SITE = "web"  # the browser tests' site with an admin token; it publishes at once


def admin(servers: Servers, path: str, body: dict[str, Any]) -> Any:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {WEB_TOKEN}"}
    req = urllib.request.Request(servers.api + path, json.dumps(body).encode(), headers)
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def axe(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result]


def test_badge_pin_and_recent_box(browser: Browser, servers: Servers) -> None:
    uri = "/t/desk/"
    made = [servers.post(uri, f"Reader {n}", f"Comment {n}", site=SITE) for n in range(1, 26)]
    reply = admin(servers, "/api/v1/admin/replies", {
        "site": SITE, "uri": uri, "parent": made[1]["id"], "author": "Jo", "text": "Thanks!",
        "key": "desk-widget-reply-1",
    })["comment"]  # fmt: skip
    impostor = servers.post(uri, "Jo", "I am the author too.", site=SITE)
    pinned = made[22]  # number 23: on the third page of 10
    admin(servers, "/api/v1/admin/threads/pin", {"site": SITE, "uri": uri,
                                                 "comment_id": pinned["id"]})  # fmt: skip

    ctx = browser.new_context(bypass_csp=True, viewport={"width": 1000, "height": 800})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    box = '<aside><h2>Recent comments</h2><div data-parley-recent="3"></div></aside>'
    page.goto(servers.page(uri, site=SITE, extra=box, title="Desk post"))

    first = page.locator("#parley section > ol > li > article").first
    expect(first.locator("header")).to_contain_text("23.")
    expect(first.locator("header")).to_contain_text("Reader 23")
    expect(first.locator(".o")).to_have_text("Pinned")
    expect(page.locator("#parley .o", has_text="Pinned")).to_have_count(1)

    links = page.locator("[data-parley-recent] ul.parley-recent li a")
    expect(links).to_have_count(3)
    expect(links.first).to_have_text("Jo")
    expect(links.first).to_have_attribute("href", f"{servers.origin}{uri}#comment-{impostor['id']}")
    expect(page.locator("[data-parley-recent] li").nth(1)).to_have_text("Jo: Thanks!")

    assert axe(page) == []

    # "Load more" brings the pinned comment's own page (it is not drawn twice), the owner's
    # reply and the reader who took the owner's name.
    more = page.locator("#parley").get_by_role("button", name="Load more comments")
    more.click()
    expect(page.locator(f"#parley #comment-{made[19]['id']}")).to_have_count(1)
    more.click()
    expect(page.locator(f"#parley #comment-{made[24]['id']}")).to_have_count(1)
    expect(page.locator(f"#parley #comment-{pinned['id']}")).to_have_count(1)
    owner = page.locator(f"#parley #comment-{reply['id']} > article header")
    expect(owner.locator(".o")).to_have_text("Author")
    expect(page.locator(f"#parley #comment-{impostor['id']} > article .o")).to_have_count(0)
    expect(page.locator("#parley .o", has_text="Author")).to_have_count(1)
    assert axe(page) == []
    assert errors == []
    ctx.close()
