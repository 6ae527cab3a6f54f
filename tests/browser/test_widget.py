"""The embed in a real Chromium: a static blog page on one origin, the API on another."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect

from tests.browser.harness import Console, Servers

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def comment(page: Page, cid: str) -> Any:
    return page.locator(f"#parley #comment-{cid}")


def article(page: Page, cid: str) -> Any:
    return page.locator(f"#parley #comment-{cid} > article")


def heading(page: Page) -> Any:
    return page.locator("#parley h2")


def form(page: Page, reply: bool = False) -> Any:
    """The top-level "Speak Your Mind" form, or the reply form open under a comment."""
    return page.locator("#parley form:has(#pr-text)" if reply else "#parley form:has(#pf-text)")


def field(page: Page, label: str, reply: bool = False) -> Any:
    """A field of a form by the start of its accessible name."""
    return form(page, reply).get_by_role("textbox", name=re.compile("^" + label))


def fill_form(
    page: Page, name: str, text: str, email: str = "reader@example.com", reply: bool = False
) -> None:
    field(page, "Name", reply).fill(name)
    field(page, "Email", reply).fill(email)
    field(page, "Comment", reply).fill(text)


def post_button(page: Page, reply: bool = False) -> Any:
    return form(page, reply).get_by_role("button", name="Post Comment")


def alert(page: Page) -> Any:
    return page.locator("#parley [role=alert]")


def api_calls(page: Page, path: str) -> list[Request]:
    calls: list[Request] = []
    page.on("request", lambda r: calls.append(r) if path in r.url else None)
    return calls


def test_reads_the_thread_with_one_request(page: Page, servers: Servers) -> None:
    uri = "/t/read/"
    a = servers.post(uri, "Ann", "First *comment* here")
    b = servers.post(uri, "Bob", "A reply to Ann", parent=a["id"])
    c = servers.post(uri, "Cy", "Hello from my site", website="https://example.org/cy")
    reads = api_calls(page, "/api/v1/comments")
    foreign: list[str] = []
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((servers.api, servers.origin, "data:"))
            else foreign.append(r.url)
        ),
    )
    page.goto(servers.page(uri))

    expect(heading(page)).to_have_text("3 Comments")
    expect(article(page, a["id"]).locator("header")).to_contain_text("1.")
    expect(article(page, a["id"])).to_contain_text("Ann says:")
    expect(article(page, a["id"]).locator(".b em")).to_have_text("comment")
    date = article(page, a["id"]).locator(f'a[href="#comment-{a["id"]}"]')
    expect(date.locator("time")).to_have_attribute("datetime", a["created"])
    # The seed's reading order: flat and chronological, the reply starting "@Ann:".
    expect(page.locator("#parley section > ol > li")).to_have_count(3)
    expect(article(page, b["id"])).to_contain_text("2.")
    expect(article(page, b["id"]).get_by_role("link", name="@Ann:")).to_have_attribute(
        "href", f"#comment-{a['id']}"
    )
    expect(article(page, c["id"])).to_contain_text("3.")
    link = article(page, c["id"]).get_by_role("link", name="Cy")
    expect(link).to_have_attribute("href", "https://example.org/cy")
    expect(link).to_have_attribute("rel", re.compile(r"nofollow ugc"))
    expect(article(page, a["id"]).get_by_role("button", name="Reply to Ann")).to_be_visible()
    # Reply counts: on the comment answered, none on the others.
    expect(article(page, a["id"]).locator("footer")).to_contain_text("1 reply")
    expect(article(page, c["id"]).locator("footer")).not_to_contain_text("repl")
    assert len([r for r in reads if r.method == "GET"]) == 1
    assert foreign == []


def test_permalink_is_scrolled_to_and_highlighted(page: Page, servers: Servers) -> None:
    uri = "/t/permalink/"
    ids = [servers.post(uri, f"Reader {i}", "Long comment.\n\n" * 6)["id"] for i in range(12)]
    page.goto(servers.page(uri) + f"#comment-{ids[10]}")
    target = article(page, ids[10])
    expect(target).to_have_class(re.compile(r"\bhl\b"))
    expect(target).to_be_in_viewport()
    expect(article(page, ids[0])).not_to_have_class(re.compile(r"\bhl\b"))
    # Clicking another comment's date moves the highlight there.
    article(page, ids[2]).locator(f'a[href="#comment-{ids[2]}"]').click()
    expect(article(page, ids[2])).to_have_class(re.compile(r"\bhl\b"))
    expect(target).not_to_have_class(re.compile(r"\bhl\b"))


def test_nests_three_deep_then_links_the_parent(page: Page, servers: Servers) -> None:
    uri = "/t/deep/"
    chain: list[dict[str, Any]] = []
    for i in range(5):
        parent = chain[-1]["id"] if chain else None
        chain.append(servers.post(uri, f"Level{i + 1}", f"depth {i + 1}", parent=parent))
    page.goto(servers.page(uri, attrs='data-layout="nested"'))
    expect(heading(page)).to_have_text("5 Comments")
    for i, c in enumerate(chain):
        depth = comment(page, c["id"]).evaluate(
            "el => { let n = 0; for (let e = el; e; e = e.parentElement) n += e.tagName == 'OL';"
            " return n }"
        )
        assert depth == min(i + 1, 3), (i, depth)
    expect(article(page, chain[2]["id"])).not_to_contain_text("@Level2:")
    expect(article(page, chain[3]["id"])).to_contain_text("@Level3:")
    expect(article(page, chain[4]["id"])).to_contain_text("@Level4:")
    article(page, chain[4]["id"]).get_by_role("link", name="@Level4:").click()
    expect(article(page, chain[3]["id"])).to_have_class(re.compile(r"\bhl\b"))
    expect(article(page, chain[3]["id"])).to_be_focused()


def test_posts_a_comment_and_clears_the_draft(page: Page, servers: Servers) -> None:
    uri = "/t/post/"
    page.goto(servers.page(uri))
    expect(heading(page)).to_have_text("No comments yet")
    expect(page.locator("#parley h3")).to_have_text("Speak Your Mind")
    expect(field(page, "Email")).to_have_accessible_name(re.compile("will not be published"))
    fill_form(page, "Dana", "Hello **world**")
    draft = page.evaluate(f"localStorage.getItem('parley:draft:demo{uri}#')")
    assert json.loads(draft)["x"] == "Hello **world**"
    page.get_by_role("button", name="Post Comment").click()

    expect(page.locator("#parley [role=status]")).to_have_text("Your comment was posted.")
    expect(heading(page)).to_have_text("1 Comment")
    new = page.locator("#parley article", has_text="Dana says:")
    expect(new.locator(".b strong")).to_have_text("world")
    expect(new.get_by_role("button", name="Edit")).to_be_visible()
    expect(field(page, "Comment")).to_have_value("")
    assert page.evaluate(f"localStorage.getItem('parley:draft:demo{uri}#')") is None
    page.reload()
    expect(page.locator("#parley article", has_text="Dana says:")).to_have_count(1)


def test_validates_before_sending(page: Page, servers: Servers) -> None:
    posts = api_calls(page, "/api/v1/comments")
    page.goto(servers.page("/t/validate/"))
    expect(heading(page)).to_have_text("No comments yet")
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator("#parley #pf-authore")).to_have_text("This field is required.")
    expect(field(page, "Name")).to_have_attribute("aria-invalid", "true")
    expect(field(page, "Name")).to_be_focused()
    field(page, "Name").fill("Eve")
    field(page, "Email").fill("not-an-email")
    field(page, "Website").fill("javascript:alert(1)")
    field(page, "Comment").fill("hi")
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator("#parley #pf-emaile")).to_have_text("Enter a valid email address.")
    expect(page.locator("#parley #pf-websitee")).to_contain_text("http://")
    assert [r for r in posts if r.method == "POST"] == []


def test_reply_form_moves_under_the_comment(page: Page, servers: Servers) -> None:
    uri = "/t/reply/"
    a = servers.post(uri, "Ann", "Answer me")
    page.goto(servers.page(uri))
    field(page, "Comment").fill("My own top-level thoughts")
    article(page, a["id"]).get_by_role("button", name="Reply to Ann").click()
    box = comment(page, a["id"]).locator("form")
    expect(box.locator("h3")).to_have_text("Reply to Ann")
    expect(field(page, "Name", reply=True)).to_be_focused()
    # The top-level draft stays on screen while replying elsewhere.
    expect(field(page, "Comment")).to_have_value("My own top-level thoughts")
    fill_form(page, "Finn", "Here is my answer", reply=True)
    post_button(page, reply=True).click()
    reply = page.locator("#parley li", has_text="Finn says:")
    expect(reply).to_contain_text("Here is my answer")
    expect(reply).to_contain_text("@Ann:")
    expect(reply.locator("article")).to_be_focused()
    expect(heading(page)).to_have_text("2 Comments")
    expect(article(page, a["id"]).locator("footer")).to_contain_text("1 reply")
    # The reply form is gone; the top-level one kept its draft.
    expect(comment(page, a["id"]).locator("form")).to_have_count(0)
    expect(page.locator("#parley h3")).to_have_text("Speak Your Mind")
    expect(field(page, "Comment")).to_have_value("My own top-level thoughts")
    page.reload()
    expect(page.locator("#parley li", has_text="Finn says:")).to_have_count(1)


def test_like_counts_once_quietly(page: Page, servers: Servers) -> None:
    uri = "/t/like/"
    a = servers.post(uri, "Ann", "Like me")
    b = servers.post(uri, "Bob", "Me too")
    page.goto(servers.page(uri))
    like = article(page, a["id"]).get_by_role("button", name=re.compile(r"^Like"))
    expect(like).to_have_accessible_name("Like the comment by Ann, 0")
    # The quiet footer: no count shown while there is none, no reply counts, no borders.
    expect(like).to_have_text("")
    assert like.evaluate("el => getComputedStyle(el, '::before').content") == '"♡"'
    assert like.evaluate("el => getComputedStyle(el).borderTopStyle") == "none"
    like.click()
    expect(like).to_have_accessible_name("Like the comment by Ann, 1")
    expect(like).to_have_text("1")
    assert like.evaluate("el => getComputedStyle(el, '::before').content") == '"♥"'
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like).to_be_focused()
    other = article(page, b["id"]).get_by_role("button", name=re.compile(r"^Like"))
    expect(other).to_have_attribute("aria-pressed", "false")
    other.click()
    expect(other).to_have_accessible_name("Like the comment by Bob, 1")
    page.reload()
    for button in (like, other):
        expect(button).to_have_accessible_name(re.compile(r", 1$"))
        expect(button).to_have_attribute("aria-pressed", "true")
    # The button is a toggle: pressing it again takes the like back, for good.
    like.click()
    expect(like).to_have_attribute("aria-pressed", "false")
    expect(like).to_have_accessible_name("Like the comment by Ann, 0")
    page.reload()
    expect(like).to_have_attribute("aria-pressed", "false")
    expect(like).to_have_accessible_name("Like the comment by Ann, 0")


def test_counts_fill_every_link_in_one_request(page: Page, servers: Servers) -> None:
    for i in range(2):
        servers.post("/t/count-a/", f"A{i}", "x")
    servers.post("/t/count-b/", "B", "x")
    extra = "".join(
        f'<p><a href="{u}#comments" data-parley-count="{u}">Comments</a></p>'
        for u in ["/t/count-a/", "/t/count-b/", "/t/count-c/", "/t/count-a/"]
    )
    counts = api_calls(page, "/api/v1/counts")
    page.goto(servers.page("/t/count-index/", extra=extra))
    links = page.locator("main > p > a[data-parley-count]")
    expect(links).to_have_text(["2 Comments", "1 Comment", "No comments yet", "2 Comments"])
    assert len(counts) == 1


def test_edits_and_deletes_own_comment(page: Page, servers: Servers) -> None:
    uri = "/t/edit/"
    page.goto(servers.page(uri))
    fill_form(page, "Gus", "Frist!")
    page.get_by_role("button", name="Post Comment").click()
    mine = page.locator("#parley article", has_text="Gus says:")
    expect(mine).to_contain_text("Frist!")
    mine.get_by_role("button", name="Edit").click()
    editor = mine.get_by_role("textbox", name="Comment")
    expect(editor).to_have_value("Frist!")
    editor.fill("First, *properly*.")
    mine.get_by_role("button", name="Save").click()
    expect(mine.locator(".b em")).to_have_text("properly")
    page.reload()
    expect(mine.locator(".b")).to_contain_text("First, properly.")
    page.once("dialog", lambda d: d.accept())
    mine.get_by_role("button", name="Delete").click()
    expect(mine).to_have_count(0)
    expect(heading(page)).to_have_text("No comments yet")
    page.reload()
    expect(heading(page)).to_have_text("No comments yet")
    expect(page.locator("#parley article")).to_have_count(0)


def test_others_comments_have_no_edit_or_delete(page: Page, servers: Servers) -> None:
    uri = "/t/not-mine/"
    a = servers.post(uri, "Ann", "Not yours")
    page.goto(servers.page(uri))
    expect(article(page, a["id"])).to_contain_text("Not yours")
    expect(article(page, a["id"]).get_by_role("button", name="Edit")).to_have_count(0)
    expect(article(page, a["id"]).get_by_role("button", name="Delete")).to_have_count(0)


def test_failed_post_keeps_the_draft_and_retries_with_the_same_key(
    page: Page, servers: Servers
) -> None:
    uri = "/t/fail/"
    url = servers.page(uri)
    bodies: list[dict[str, Any]] = []

    def unavailable(route: Route) -> None:
        if route.request.method != "POST":
            route.fallback()
            return
        bodies.append(json.loads(route.request.post_data or "{}"))
        route.fulfill(
            status=503,
            headers={"Access-Control-Allow-Origin": servers.origin, "Retry-After": "5"},
            content_type="application/json",
            body=json.dumps(
                {"error": {"code": "unavailable", "message": "Storage is busy, try again."}}
            ),
        )

    page.route(f"{servers.api}/api/v1/comments", unavailable)
    page.goto(url)
    fill_form(page, "Hal", "Keep me safe")
    page.get_by_role("button", name="Post Comment").click()
    # An error looks like one: its own colour, an icon, role="alert"; the draft stays.
    expect(alert(page)).to_have_text(
        "Storage is busy, try again. Your comment is kept; please try again."
    )
    colors = alert(page).evaluate(
        "el => [getComputedStyle(el).color, getComputedStyle(el, '::before').content,"
        " getComputedStyle(el.getRootNode().querySelector('[role=status]')).color]"
    )
    assert colors[0] == "rgb(176, 0, 32)" and "⚠" in colors[1] and colors[2] != colors[0]
    expect(field(page, "Comment")).to_have_value("Keep me safe")

    page.unroute(f"{servers.api}/api/v1/comments")
    page.route(f"{servers.api}/api/v1/comments", lambda route: route.abort())
    page.get_by_role("button", name="Post Comment").click()
    expect(alert(page)).to_contain_text("Could not reach the server")

    page.unroute(f"{servers.api}/api/v1/comments")
    page.reload()
    # The whole draft survives: name, email and website too, not only the text.
    expect(field(page, "Comment")).to_have_value("Keep me safe")
    expect(field(page, "Name")).to_have_value("Hal")
    expect(field(page, "Email")).to_have_value("reader@example.com")
    sent = api_calls(page, "/api/v1/comments")
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator("#parley article", has_text="Hal says:")).to_contain_text("Keep me safe")
    posted = [json.loads(r.post_data or "{}") for r in sent if r.method == "POST"]
    assert [b["key"] for b in posted] == [bodies[0]["key"]]
    assert page.evaluate(f"localStorage.getItem('parley:draft:demo{uri}#')") is None


def test_remembers_the_reader_only_when_asked(browser: Browser, servers: Servers) -> None:
    url = servers.page("/t/remember/")
    for remember in (False, True):
        ctx = browser.new_context()
        page = ctx.new_page()
        page.goto(url)
        fill_form(page, f"Ivy{int(remember)}", "Remember?", email="ivy@example.com")
        if remember:
            page.get_by_label("Remember me").check()
        page.get_by_role("button", name="Post Comment").click()
        expect(page.locator("#parley [role=status]")).to_have_text("Your comment was posted.")
        page.reload()
        expect(field(page, "Name")).to_have_value(f"Ivy{int(remember)}" if remember else "")
        expect(field(page, "Email")).to_have_value("ivy@example.com" if remember else "")
        ctx.close()


def test_notify_box_is_unticked_and_sent_with_the_post(page: Page, servers: Servers) -> None:
    uri = "/t/notify/"
    page.goto(servers.page(uri))
    box = form(page).get_by_role("checkbox", name="Notify me of replies by email")
    expect(box).to_be_visible()
    expect(box).not_to_be_checked()
    sent = api_calls(page, "/api/v1/comments")
    for n, tick in enumerate((False, True, False)):
        fill_form(page, f"Nat{n}", f"Tell me? {n}")
        if tick:
            box.check()
        post_button(page).click()
        expect(page.locator("#parley article", has_text=f"Nat{n} says:")).to_have_count(1)
        # Never carried over to the next draft: each post asks again.
        expect(box).not_to_be_checked()
    posted = [json.loads(r.post_data or "{}") for r in sent if r.method == "POST"]
    assert [b["notify"] for b in posted] == [False, True, False]


def test_awaiting_moderation_is_shown_to_the_author(page: Page, servers: Servers) -> None:
    uri = "/t/moderated/"
    page.goto(servers.page(uri, site="mod"))
    expect(heading(page)).to_have_text("No comments yet")
    fill_form(page, "Jo", "Please approve me")
    page.get_by_role("button", name="Post Comment").click()
    status = page.locator("#parley [role=status]")
    expect(status).to_have_text("Your comment is awaiting moderation.")
    pending = page.locator("#parley article", has_text="Jo says:")
    expect(pending).to_contain_text("Your comment is awaiting moderation.")
    expect(heading(page)).to_have_text("No comments yet")
    page.reload()
    expect(pending).to_contain_text("Please approve me")
    expect(pending).to_contain_text("Your comment is awaiting moderation.")
    # The author may still withdraw it while the edit window lasts.
    page.once("dialog", lambda d: d.accept())
    pending.get_by_role("button", name="Delete").click()
    expect(pending).to_have_count(0)
    page.reload()
    expect(page.locator("#parley article")).to_have_count(0)


def test_load_more_pages_through_long_threads(page: Page, servers: Servers) -> None:
    uri = "/t/long/"
    # The widget asks for pages of 10 (the cheaper page size: bench/RESULTS.md, cost model).
    reads = api_calls(page, "/api/v1/comments?")
    for i in range(23):
        servers.post(uri, f"R{i}", f"comment {i}")
    page.goto(servers.page(uri))
    expect(heading(page)).to_have_text("23 Comments")
    expect(page.locator("#parley article")).to_have_count(10)
    assert "limit=10" in reads[0].url
    more = page.get_by_role("button", name="Load more comments")
    more.click()
    expect(page.locator("#parley article")).to_have_count(20)
    expect(page.locator("#parley article").nth(10)).to_be_focused()
    assert "limit=10" in reads[1].url
    more.click()
    expect(page.locator("#parley article")).to_have_count(23)
    expect(page.locator("#parley article").last).to_contain_text("23.")
    expect(more).to_be_hidden()


@pytest.mark.parametrize(
    ("lang", "attrs", "count", "title"),
    [
        ("uk", "", "2 коментарі", "Висловіть свою думку"),
        ("en", 'data-lang="de"', "2 Kommentare", "Sagen Sie Ihre Meinung"),
        ("fr", "", "2 commentaires", "Donnez votre avis"),
        ("es-ES", "", "2 comentarios", "Deja tu opinión"),
    ],
)
def test_speaks_the_page_language(
    page: Page, servers: Servers, lang: str, attrs: str, count: str, title: str
) -> None:
    uri = f"/t/lang-{lang}/"
    a = servers.post(uri, "Ann", "x")
    servers.post(uri, "Bob", "y")
    page.goto(servers.page(uri, lang=lang, attrs=attrs))
    expect(heading(page)).to_have_text(count)
    expect(page.locator("#parley h3")).to_have_text(title)
    expect(page.locator("#parley section")).to_have_attribute(
        "lang", lang[:2] if not attrs else "de"
    )
    # Dates come from Intl in the widget's language, not in English.
    time = article(page, a["id"]).locator("time")
    expected, english = time.evaluate(
        """(el, lang) => [lang, 'en'].map(l => new Intl.DateTimeFormat(l,
             {dateStyle: 'long', timeStyle: 'short'}).format(new Date(el.dateTime)))""",
        "de" if attrs else lang[:2],
    )
    assert time.inner_text() == expected != english


def test_fits_a_320px_screen(browser: Browser, servers: Servers, artifacts: Path) -> None:
    uri = "/t/narrow/"
    prev = None
    for i in range(5):
        prev = servers.post(
            uri,
            f"Someone With A Long Name {i}",
            "https://example.com/" + "a" * 120,
            parent=prev and prev["id"],
        )
    ctx = browser.new_context(viewport={"width": 320, "height": 640})
    page = ctx.new_page()
    page.goto(servers.page(uri))
    expect(heading(page)).to_have_text("5 Comments")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    for label in ("Name", "Email", "Website", "Comment"):
        box = field(page, label).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, label
    for art in page.locator("#parley article").all():
        box = art.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 320
    page.screenshot(path=str(artifacts / "widget-320px.png"), full_page=True)
    ctx.close()


def _colors(page: Page) -> tuple[str, str]:
    return page.locator("#parley").evaluate(
        "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.color] }"
    )


# Three page styles the widget must fit: (body CSS, the scheme `auto` should pick).
PAGE_STYLES = {
    "light-serif": ("background: #fff; color: #222; font-family: Georgia, serif", "light"),
    "tinted": ("background: #f4ecd8; color: rgb(59, 47, 30); font-family: sans-serif", "light"),
    "dark": ("background: #121212; color: rgb(230, 230, 230); font-family: sans-serif", "dark"),
}
ACCENT = {"light": "rgb(10, 88, 202)", "dark": "rgb(140, 196, 255)"}
# Their links, which the widget's accent follows (data-theme="auto"): red, brown, light orange.
LINKS = {
    "light-serif": "rgb(178, 34, 34)",
    "tinted": "rgb(122, 62, 12)",
    "dark": "rgb(255, 159, 67)",
}


def styled(servers: Servers, uri: str, style: str, attrs: str = "") -> str:
    css, _ = PAGE_STYLES[style]
    scheme = "html { color-scheme: dark }" if style == "dark" else ""
    links = f"a {{ color: {LINKS[style]} }}"
    return servers.page(uri, attrs=attrs, extra=f"<style>{scheme} body {{ {css} }} {links}</style>")


@pytest.mark.parametrize("style", sorted(PAGE_STYLES))
def test_fits_the_page_theme(
    browser: Browser, servers: Servers, artifacts: Path, style: str
) -> None:
    uri = f"/t/theme-{style}/"
    a = servers.post(uri, "Ann", "Light or *dark*? https://example.com")
    servers.post(uri, "Bob", "Dark, obviously.", parent=a["id"], website="https://example.org")
    scheme = PAGE_STYLES[style][1]
    # The reader's OS prefers the opposite: the page's own scheme must win.
    os_scheme = "light" if scheme == "dark" else "dark"
    ctx = browser.new_context(color_scheme=os_scheme, viewport={"width": 900, "height": 900})  # type: ignore[arg-type]
    page = ctx.new_page()
    page.goto(styled(servers, uri, style))
    expect(heading(page)).to_have_text("2 Comments")
    host = page.locator("#parley")
    expect(host).to_have_attribute("data-scheme", scheme)
    bg, fg = _colors(page)
    body_fg = page.evaluate("getComputedStyle(document.body).color")
    assert bg == "rgba(0, 0, 0, 0)", (style, bg)  # transparent: the page shows through
    assert fg == body_fg, (style, fg)  # the page's own text colour
    link = article(page, a["id"]).locator(".b a").first
    assert link.evaluate("el => getComputedStyle(el).color") == LINKS[style]
    font = heading(page).evaluate("el => getComputedStyle(el).fontFamily")
    assert font == page.evaluate("getComputedStyle(document.body).fontFamily")
    # Comfortable spacing: text never touches the comment's edges.
    pad = article(page, a["id"]).evaluate("el => parseFloat(getComputedStyle(el).paddingLeft)")
    assert pad >= 8
    assert _axe(page) == []
    page.screenshot(path=str(artifacts / f"widget-{style}.png"), full_page=True)
    ctx.close()


def test_theme_attribute_and_os_preference(browser: Browser, servers: Servers) -> None:
    uri = "/t/theme-attr/"
    servers.post(uri, "Ann", "x")
    cases = [
        # (OS scheme, page, attrs, expected scheme)
        ("dark", "light-serif", 'data-theme="dark"', "dark"),
        ("dark", "dark", 'data-theme="light"', "light"),
    ]
    for os_scheme, style, attrs, expected in cases:
        ctx = browser.new_context(color_scheme=os_scheme)  # type: ignore[arg-type]
        page = ctx.new_page()
        page.goto(styled(servers, uri, style, attrs))
        expect(page.locator("#parley")).to_have_attribute("data-scheme", expected)
        ctx.close()
    # A page with no background of its own that allows both schemes follows the OS.
    for os_scheme in ("light", "dark"):
        ctx = browser.new_context(color_scheme=os_scheme)  # type: ignore[arg-type]
        page = ctx.new_page()
        page.goto(servers.page(uri, extra="<style>:root { color-scheme: light dark }</style>"))
        expect(page.locator("#parley")).to_have_attribute("data-scheme", os_scheme)
        ctx.close()


def _axe(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations(browser: Browser, servers: Servers, scheme: str) -> None:
    uri = f"/t/axe-{scheme}/"
    a = servers.post(uri, "Ann", "Accessible? > quoted\n\n`code` and a [link](https://example.com)")
    servers.post(uri, "Bob", "Yes.", parent=a["id"], website="https://example.org")
    ctx = browser.new_context(color_scheme=scheme)  # type: ignore[arg-type]
    page = ctx.new_page()
    page.goto(styled(servers, uri, "dark" if scheme == "dark" else "light-serif"))
    expect(heading(page)).to_have_text("2 Comments")
    # Include the error and status states of the form, and the like button pressed.
    page.get_by_role("button", name="Post Comment").click()
    page.locator("#parley article").first.get_by_role("button", name=re.compile("^Like")).click()
    assert _axe(page) == []
    # axe sees into the shadow root: a broken label there would be reported.
    page.locator("#parley").evaluate(
        "el => el.shadowRoot.querySelector('label[for=pf-text]').remove()"
    )
    assert any(v["id"] == "label" for v in _axe(page))
    ctx.close()


def test_keyboard_only_reply_with_visible_focus(page: Page, servers: Servers) -> None:
    uri = "/t/keyboard/"
    a = servers.post(uri, "Ann", "Tab to me")
    page.goto(servers.page(uri))
    expect(heading(page)).to_have_text("1 Comment")
    reply = article(page, a["id"]).get_by_role("button", name="Reply")
    for _ in range(12):
        page.keyboard.press("Tab")
        if reply.evaluate("el => el.getRootNode().activeElement === el"):
            break
    expect(reply).to_be_focused()
    outline = reply.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    expect(field(page, "Name", reply=True)).to_be_focused()
    page.keyboard.type("Kim")
    page.keyboard.press("Tab")
    page.keyboard.type("kim@example.com")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("Typed without a mouse")
    for _ in range(3):  # past "Notify me of replies by email" and "Remember me"
        page.keyboard.press("Tab")
    expect(post_button(page, reply=True)).to_be_focused()
    page.keyboard.press("Enter")
    kim = page.locator("#parley article", has_text="Kim says:")
    expect(kim).to_contain_text("Typed without a mouse")
    expect(kim).to_be_focused()


HOSTILE = [
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned = 'img'\">",
    "[click](javascript:window.__pwned='md-link')",
    "<a href=\"javascript:window.__pwned='a'\">click</a>",
    "<svg onload=\"window.__pwned='svg'\"></svg>",
    "<iframe src=\"javascript:window.__pwned='if'\"></iframe>",
    '"><style>*{display:none}</style><b onmouseover=window.__pwned=1>hover</b>',
]


def test_hostile_content_executes_nothing(page: Page, servers: Servers) -> None:
    uri = "/t/hostile/"
    for i, text in enumerate(HOSTILE):
        servers.post(uri, f"<img src=x onerror=\"window.__pwned='name{i}'\">", text)
    for website in ["javascript:window.__pwned='web'", "data:text/html,<script>1</script>"]:
        with pytest.raises(Exception, match="422"):
            servers.post(uri, "Web", "x", website=website)
    page.goto(servers.page(uri))
    expect(heading(page)).to_have_text(f"{len(HOSTILE)} Comments")
    for link in page.locator("#parley .b a, #parley header a").all():
        link.click(no_wait_after=True)
        link.hover()
    # A hostile reader through the form: the client refuses a javascript: website too.
    fill_form(
        page, "<script>window.__pwned='form'</script>", "<img src=x onerror=window.__pwned='f'>"
    )
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator("#parley article").last).to_contain_text(
        "<script>window.__pwned='form'</script> says:"
    )
    found = page.locator("#parley").evaluate(
        """el => {
          const all = [...el.shadowRoot.querySelectorAll('*')]
          const active = ['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'STYLE']
          const url = e => e.getAttribute('href') || e.getAttribute('src') || ''
          return {
            scripts: all.filter(e => active.includes(e.tagName)).length - 1,
            handlers: all.flatMap(e => [...e.attributes].map(a => a.name))
              .filter(n => n.startsWith('on')),
            js: all.filter(e => /^\\s*(javascript|data):/i.test(url(e))).length,
          }
        }"""
    )
    assert found == {"scripts": 0, "handlers": [], "js": 0}
    names = page.locator("#parley .a").all_inner_texts()
    assert names[0] == "<img src=x onerror=\"window.__pwned='name0'\">"
    assert page.evaluate("window.__pwned") is None


def test_no_console_errors_through_a_whole_visit(
    page: Page, servers: Servers, console: Console
) -> None:
    uri = "/t/console/"
    a = servers.post(uri, "Ann", "Hello")
    page.goto(servers.page(uri, extra=f'<a href="#c" data-parley-count="{uri}">Comments</a>'))
    expect(heading(page)).to_have_text("1 Comment")
    article(page, a["id"]).get_by_role("button", name=re.compile("^Like")).click()
    article(page, a["id"]).get_by_role("button", name="Reply").click()
    fill_form(page, "Lou", "Reply without errors", reply=True)
    post_button(page, reply=True).click()
    expect(page.locator("#parley article", has_text="Lou says:")).to_be_visible()
    expect(page.locator("main > a[data-parley-count]")).to_have_text("2 Comments")
    assert console.errors == []


def _rewrite_reads(page: Page, servers: Servers, change: Any) -> None:
    """Serve the thread read through `change(body)`: a stale cache, a locked thread."""

    def handle(route: Route) -> None:
        if route.request.method != "GET":
            route.fallback()
            return
        response = route.fetch()
        body = response.json()
        change(body)
        route.fulfill(response=response, body=json.dumps(body))

    page.route(re.compile(re.escape(servers.api) + r"/api/v1/comments\?"), handle)


def test_own_comment_survives_a_stale_cached_read(page: Page, servers: Servers) -> None:
    uri = "/t/stale/"
    page.goto(servers.page(uri))
    fill_form(page, "Max", "Fresh off the press")
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator("#parley article", has_text="Max says:")).to_be_visible()

    def stale(body: dict[str, Any]) -> None:
        body["comments"] = []
        body["thread"]["count"] = 0

    _rewrite_reads(page, servers, stale)
    page.reload()
    mine = page.locator("#parley article", has_text="Max says:")
    expect(mine).to_contain_text("Fresh off the press")
    expect(mine.get_by_role("button", name="Edit")).to_be_visible()


def test_locked_thread_offers_no_form(page: Page, servers: Servers) -> None:
    uri = "/t/locked/"
    a = servers.post(uri, "Ann", "Last word")

    def lock(body: dict[str, Any]) -> None:
        body["thread"]["locked"] = True

    _rewrite_reads(page, servers, lock)
    page.goto(servers.page(uri))
    expect(page.locator("#parley section")).to_contain_text("Comments are closed.")
    expect(page.locator("#parley form")).to_have_count(0)
    expect(page.get_by_role("button", name="Post Comment")).to_have_count(0)
    expect(article(page, a["id"]).get_by_role("button", name="Reply")).to_have_count(0)
    expect(article(page, a["id"]).get_by_role("button", name=re.compile("^Like"))).to_be_visible()


def test_demo_blog_post_embeds_the_widget(page: Page, servers: Servers, console: Console) -> None:
    page.goto(servers.api + "/demo/")
    expect(page.locator("h1")).to_have_text("Feel-Good News Out of Ukraine")
    expect(page.locator("main")).to_contain_text("FILED UNDER")
    expect(page.locator("main")).to_contain_text("About James Joyner")
    page.locator("#parley").scroll_into_view_if_needed()
    expect(heading(page)).to_have_text("No comments yet")
    expect(page.locator("[data-parley-count]")).to_have_text("No comments yet")
    expect(page.locator("#parley h3")).to_have_text("Speak Your Mind")
    assert _axe(page) == []
    assert console.errors == []


def test_inherits_the_font_and_takes_the_page_theme(page: Page, servers: Servers) -> None:
    style = (
        "<style>body { font-family: Georgia, serif }"
        " #parley { --parley-accent: rgb(1, 2, 3); --parley-bg: rgb(250, 250, 240) }</style>"
    )
    page.goto(servers.page("/t/themed/", extra=style))
    expect(heading(page)).to_have_text("No comments yet")
    post = page.get_by_role("button", name="Post Comment")
    fonts = post.evaluate(
        """el => [el, el.getRootNode().querySelector('h2'), document.body]
             .map(e => getComputedStyle(e).fontFamily)"""
    )
    assert fonts == ["Georgia, serif"] * 3
    assert post.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(1, 2, 3)"
    assert _colors(page)[0] == "rgb(250, 250, 240)"
    # The page's own styles stay out of the shadow root.
    page.add_style_tag(content="h2, button { color: rgb(255, 0, 0) !important }")
    assert heading(page).evaluate("el => getComputedStyle(el).color") != "rgb(255, 0, 0)"
