"""The loader and the thread bundle in Chromium: what a page view fetches when the reader never
reaches the comments, the bundle from the browser's cache on the next page, and the widget
served from the blog's own host (`parley widget --out DIR`), giving way to the API's bundle
when the copy is not the API's version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from backend.selfhost import write_widget
from tests.browser.harness import Servers
from tests.browser.test_widget import article, heading

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "backend" / "static"
TALL = '<div style="height: 6000px">The article, long.</div>'


def bundle() -> str:
    return str(json.loads((STATIC / "widget.json").read_text())["bundle"])


class Network:
    """Every request the page's target makes, as Chromium's DevTools protocol reports it,
    and which of them were answered from the browser's cache without reaching a server."""

    def __init__(self, page: Page) -> None:
        self.urls: dict[str, str] = {}
        self.cached: set[str] = set()
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))
        cdp.on("Network.responseReceived", self._received)

    def _sent(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _received(self, event: dict[str, Any]) -> None:
        response = event["response"]
        if response.get("fromDiskCache") or response.get("fromMemoryCache"):
            self.cached.add(event["requestId"])

    def clear(self) -> None:
        self.urls.clear()
        self.cached.clear()

    def fetched(self, prefix: str) -> list[str]:
        """URLs under `prefix` that went to the server (not answered from the cache)."""
        return [u for i, u in self.urls.items() if u.startswith(prefix) and i not in self.cached]

    def from_cache(self, prefix: str) -> list[str]:
        return [u for i, u in self.urls.items() if u.startswith(prefix) and i in self.cached]


def test_a_page_view_that_never_reaches_the_comments_fetches_the_loader_and_counts(
    page: Page, servers: Servers
) -> None:
    uri = "/t/loader-only/"
    servers.post(uri, "Ann", "Down here")
    net = Network(page)
    # A post with a count link for itself in the byline, the thread far below.
    extra = f'<a href="#parley" data-parley-count="{uri}">Comments</a>{TALL}<div id="parley"></div>'
    page.goto(servers.page(uri, extra=extra))
    expect(page.locator("main > a[data-parley-count]")).to_have_text("1 Comment")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)  # anything the loader would fetch later, it has asked for
    counts = f"{servers.api}/api/v1/counts?site=demo&uri=%2Ft%2Floader-only%2F"
    assert sorted(net.fetched(servers.api)) == sorted([f"{servers.api}/embed.js", counts])
    expect(heading(page)).to_have_count(0)

    # Without count links: the loader alone.
    net.clear()
    page.goto(servers.page("/t/loader-bare/", extra=TALL + '<div id="parley"></div>'))
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert net.fetched(servers.api) + net.from_cache(servers.api) == [f"{servers.api}/embed.js"]


def test_a_reader_who_scrolls_gets_the_thread_and_the_bundle_from_cache_next_time(
    page: Page, servers: Servers
) -> None:
    first, second = "/t/scroll-1/", "/t/scroll-2/"
    a = servers.post(first, "Ann", "On the first post")
    b = servers.post(second, "Bob", "On the second post")
    thread = f"{servers.api}/widget/{bundle()}"
    net = Network(page)
    page.goto(servers.page(first, extra=TALL + '<div id="parley"></div>'))
    page.wait_for_load_state("networkidle")
    assert net.fetched(thread) == []
    page.locator("#parley").scroll_into_view_if_needed()
    expect(article(page, a["id"])).to_contain_text("On the first post")
    assert net.fetched(thread) == [thread]

    net.clear()
    page.goto(servers.page(second, extra=TALL + '<div id="parley"></div>'))
    page.wait_for_load_state("networkidle")
    page.locator("#parley").scroll_into_view_if_needed()
    expect(article(page, b["id"])).to_contain_text("On the second post")
    # The bundle came from the browser's cache: it never reached the server again.
    assert net.from_cache(thread) == [thread] and net.fetched(thread) == []
    assert len(net.fetched(f"{servers.api}/api/v1/comments?")) == 1


def self_hosted(servers: Servers, folder: str, uri: str) -> str:
    """A blog page whose widget comes from the blog's own host, at /{folder}/embed.js."""
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Self-hosted</title>'
        '<link rel="icon" href="data:,"></head><body><main><h1>Self-hosted</h1>'
        f'<script src="/{folder}/embed.js" data-api="{servers.api}" data-site="demo" async>'
        "</script></main></body></html>"
    )
    target = servers.docroot / uri.strip("/") / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return servers.origin + uri


def test_the_widget_served_from_the_blogs_own_host(page: Page, servers: Servers) -> None:
    copied = write_widget(servers.docroot / "parley")
    uri = "/t/self-hosted/"
    a = servers.post(uri, "Ann", "Served by the blog")
    info: list[str] = []
    page.on("console", lambda m: info.append(m.text) if m.type == "info" else None)
    net = Network(page)
    page.goto(self_hosted(servers, "parley", uri))
    expect(article(page, a["id"])).to_contain_text("Served by the blog")
    mine = f"{servers.origin}/parley/widget/{copied.bundle.name}"
    assert net.fetched(mine) == [mine]
    # Lambda answered the thread alone: neither the loader nor the bundle.
    assert net.fetched(f"{servers.api}/embed.js") == []
    assert net.fetched(f"{servers.api}/widget/") == []
    assert info == []


def test_a_stale_copy_gives_way_to_the_apis_bundle_and_says_so_once(
    page: Page, servers: Servers
) -> None:
    copied = write_widget(servers.docroot / "stale")
    # An older copy: its loader names a bundle the API no longer has.
    old = "thread.000000000000.js"
    copied.bundle.rename(copied.bundle.with_name(old))
    copied.loader.write_text(copied.loader.read_text("utf-8").replace(copied.bundle.name, old))
    uri = "/t/stale-copy/"
    a = servers.post(uri, "Ann", "Drawn by the API's bundle")
    info: list[str] = []
    page.on("console", lambda m: info.append(m.text) if m.type == "info" else None)
    net = Network(page)
    page.goto(self_hosted(servers, "stale", uri))
    expect(article(page, a["id"])).to_contain_text("Drawn by the API's bundle")
    current = f"{servers.api}/widget/{bundle()}"
    assert net.fetched(current) == [current]
    assert net.fetched(f"{servers.origin}/stale/widget/thread.") == []
    assert len(info) == 1 and "differs from the API" in info[0]


def test_counts_the_page_carries_cost_no_request(page: Page, servers: Servers) -> None:
    import urllib.request

    uri = "/t/counted/"
    servers.post(uri, "Ann", "One")
    servers.post(uri, "Bob", "Two")
    servers.post("/t/other-counted/", "Cy", "Elsewhere")
    with urllib.request.urlopen(f"{servers.api}/api/v1/comments.html?site=demo&uri={uri}") as r:
        fragment = r.read().decode()
    net = Network(page)
    # The server-rendered thread in #parley carries this page's count.
    extra = f'<a href="#parley" data-parley-count="{uri}">Comments</a>{TALL}'
    page.goto(servers.page(uri, extra=extra + f'<div id="parley">{fragment}</div>'))
    expect(page.locator("main > a[data-parley-count]")).to_have_text("2 Comments")
    page.wait_for_load_state("networkidle")
    assert net.fetched(f"{servers.api}/api/v1/") == []

    # A build-time counts file names some pages; the others are asked for in one request.
    net.clear()
    saved = '{"counts": {"/t/counted/": 2}}'
    extra = (
        f'<script type="application/json" data-parley-counts>{saved}</script>'
        '<a class="k" data-parley-count="/t/counted/">Comments</a>'
        '<a class="k" data-parley-count="/t/other-counted/">Comments</a>'
    )
    page.goto(servers.page("/t/index-counted/", extra=extra))
    links = page.locator("main a.k")
    expect(links.nth(0)).to_have_text("2 Comments")
    expect(links.nth(1)).to_have_text("1 Comment")
    page.wait_for_load_state("networkidle")
    counts = f"{servers.api}/api/v1/counts?site=demo&uri=%2Ft%2Fother-counted%2F"
    assert net.fetched(f"{servers.api}/api/v1/") == [counts]


def test_a_second_look_at_an_unchanged_thread_is_a_304(page: Page, servers: Servers) -> None:
    """The thread's answer is `max-age=0, must-revalidate` with an ETag: the browser keeps it
    and asks again with If-None-Match, so a reader's second look at an unchanged thread gets a
    304 without a body (on DynamoDB, one GetItem of the thread's stamp: bench/RESULTS.md)."""
    uri = "/t/second-look/"
    a = servers.post(uri, "Ann", "Still here")
    reads = f"{servers.api}/api/v1/comments?"
    urls: dict[str, str] = {}
    statuses: list[tuple[str, int]] = []  # (request id, status on the wire), in arrival order
    sent: dict[str, str] = {}
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.update({e["requestId"]: e["request"]["url"]})
    )
    cdp.on(
        "Network.requestWillBeSentExtraInfo",
        lambda e: sent.update({e["requestId"]: e["headers"].get("If-None-Match", "")}),
    )
    # What came back from the server itself (Playwright reports a revalidated answer as the
    # cached 200): the raw status line. DevTools may send it before the request's URL, so the
    # two are joined when read, not when the status arrives.
    cdp.on(
        "Network.responseReceivedExtraInfo",
        lambda e: statuses.append((e["requestId"], e["statusCode"])),
    )

    def seen(count: int) -> list[tuple[int, str]]:
        """The thread reads on the wire, (status, If-None-Match sent), once `count` of them
        arrived (their DevTools events may trail the page's idle)."""
        for _ in range(100):
            wire = [(status, sent.get(rid, "")) for rid, status in statuses
                    if urls.get(rid, "").startswith(reads)]  # fmt: skip
            if len(wire) >= count:
                break
            page.wait_for_timeout(100)
        return wire

    page.goto(servers.page(uri))
    expect(article(page, a["id"])).to_contain_text("Still here")
    page.wait_for_load_state("networkidle")
    page.reload()
    expect(article(page, a["id"])).to_contain_text("Still here")
    page.wait_for_load_state("networkidle")
    wire = seen(2)
    assert [status for status, _ in wire] == [200, 304], wire
    assert wire[0][1] == "" and wire[1][1].strip('W/"')

    # A new comment moves the thread's ETag: the next look gets it, whole.
    b = servers.post(uri, "Bob", "New since")
    page.reload()
    expect(article(page, b["id"])).to_contain_text("New since")
    page.wait_for_load_state("networkidle")
    wire = seen(3)
    assert [status for status, _ in wire] == [200, 304, 200], wire
