"""The /admin moderation page in Debian's Chromium: sign in with a token, see the pending
comment, approve it with the keyboard, and it leaves the queue and reaches the public read."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altcha
import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from backend.app import create_app
from backend.domain.moderation import token_hash
from backend.settings import Settings
from backend.store.sqlite import SQLiteStore
from tests.browser.harness import Console
from tests.servers import free_port, serve

TOKEN = "admin-page-token-0123456789abcdef"
HOSTILE = '<img src=x onerror="window.__pwned=1">Eve'
ORIGIN = "http://127.0.0.1:9"


@dataclass
class Admin:
    base: str

    def proof(self) -> str:
        """A proof of work for the next post, solved by the `altcha` library (the site asks
        for an easy one)."""
        got = httpx.get(f"{self.base}/api/v1/challenge", params={"site": "blog"}, timeout=60)
        made = altcha.Challenge.from_dict(got.json())
        solution = altcha.solve_challenge(made, timeout=30)
        assert solution is not None
        return altcha.Payload(made, solution).to_base64()

    def post(self, text: str, author: str = "JKB", uri: str = "/post/") -> dict[str, Any]:
        body = {
            "site": "blog", "uri": uri, "author": author, "email": "jkb@example.com",
            "text": text, "title": "Test post title", "hp": "",
            "key": f"k-{abs(hash((text, author))):x}", "proof": self.proof(),
        }  # fmt: skip
        response = httpx.post(f"{self.base}/api/v1/comments", json=body, headers={"Origin": ORIGIN})
        assert response.status_code == 202, response.text
        comment: dict[str, Any] = response.json()["comment"]
        return comment

    def read(self, uri: str = "/post/") -> Any:
        response = httpx.get(f"{self.base}/api/v1/comments", params={"site": "blog", "uri": uri})
        return response.json()


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[Admin]:
    store = SQLiteStore(tmp_path / "parley.db")
    store.setup()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sites = {
        "blog": {
            "origins": ["https://blog.test", ORIGIN], "moderation": "all",
            "rate_limit_per_minute": 1000, "admin_token_hashes": [token_hash(TOKEN)],
            "proof": "required", "proof_cost": 1, "proof_max": 20,
        }
    }  # fmt: skip
    settings = Settings.from_env(
        {
            "PARLEY_STORE": f"sqlite:///{tmp_path / 'parley.db'}",
            "PARLEY_SECRET_KEYS": "admin-page-secret-key-0123456789",
            "PARLEY_SITES": json.dumps(sites),
            "PARLEY_PUBLIC_URL": base,
        }
    )
    with serve(create_app(settings, store), port) as url:
        yield Admin(url)
    store.close()


def sign_in(page: Page, admin: Admin, token: str = TOKEN) -> None:
    page.goto(f"{admin.base}/admin")
    expect(page.get_by_label("Site")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("blog")
    page.keyboard.press("Tab")
    page.keyboard.type(token)
    page.keyboard.press("Enter")


def tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_approve_a_pending_comment_with_the_keyboard(
    page: Page, admin: Admin, console: Console
) -> None:
    older = admin.post("An older comment, still pending.")
    held = admin.post("Hello from a *pending* comment.", author=HOSTILE)
    assert admin.read()["comments"] == []

    sign_in(page, admin)
    item = page.locator(f"#c-{held['id']}")
    expect(item).to_contain_text("Hello from a pending comment.")
    expect(item.locator("em")).to_have_text("pending")  # the sanitized html, rendered
    expect(item.locator("h3 strong")).to_have_text(HOSTILE)  # the author as text, not markup
    expect(item).to_contain_text("jkb@example.com")
    expect(item.get_by_role("link", name="Test post title")).to_have_attribute(
        "href", "https://blog.test/post/#comments"
    )
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("JSON.parse(sessionStorage.getItem('parley.admin')).token") == TOKEN

    tab_to(page, f"#c-{held['id']} button[data-action=approve]")
    page.keyboard.press("Enter")
    expect(item).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("Comment approved.")
    # Focus moves on to the next comment itself, not to its Approve button: a second Enter
    # (a held spam comment, one key from being published) must change nothing.
    expect(page.locator(f"#c-{older['id']}")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Space")
    expect(page.locator(f"#c-{older['id']}")).to_be_visible()
    expect(page.locator("#tabs [data-status=pending]")).to_have_text("Pending (1)")
    assert [c["id"] for c in admin.read()["comments"]] == [held["id"]]
    assert admin.read()["thread"]["count"] == 1

    page.get_by_role("button", name=re.compile(r"^Approved \(\d+\)$")).click()
    expect(page.locator(f"#c-{held['id']}")).to_be_visible()
    expect(page.locator(f"#c-{older['id']}")).to_have_count(0)
    assert console.errors == []


def test_spam_delete_restore_and_lock(page: Page, admin: Admin, console: Console) -> None:
    a = admin.post("Buy cheap things")
    sign_in(page, admin)
    page.locator(f"#c-{a['id']}").get_by_role("button", name="Spam comment by JKB").click()
    expect(page.locator(f"#c-{a['id']}")).to_have_count(0)

    page.get_by_role("button", name=re.compile(r"^Spam \(\d+\)$")).click()
    spam = page.locator(f"#c-{a['id']}")
    spam.get_by_role("button", name="Restore comment by JKB").click()
    expect(spam).to_have_count(0)
    assert [c["id"] for c in admin.read()["comments"]] == [a["id"]]

    page.get_by_role("button", name=re.compile(r"^Approved \(\d+\)$")).click()
    page.locator(f"#c-{a['id']}").get_by_role("button", name="Delete comment by JKB").click()
    expect(page.locator(f"#c-{a['id']}")).to_have_count(0)
    assert admin.read()["comments"] == []

    page.get_by_label("Page path").fill("/post/")
    page.get_by_role("button", name="Lock", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Thread /post/ is locked.")
    assert admin.read()["thread"]["locked"] is True
    page.get_by_role("button", name="Unlock", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Thread /post/ is open.")
    assert admin.read()["thread"]["locked"] is False

    page.reload()  # the token stays for the tab
    expect(page.get_by_role("heading", name="Pending comments")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Admin token")).to_be_focused()
    assert page.evaluate("sessionStorage.getItem('parley.admin')") is None
    assert console.errors == []


def test_bind_a_thread_to_its_announcement_post(page: Page, admin: Admin, console: Console) -> None:
    sign_in(page, admin)
    status, alert = page.get_by_role("status"), page.locator("#error")
    page.get_by_label("Page announced").fill("/post/")
    page.get_by_label("Announcement post URL").fill("https://social.invalid/@me/1001")
    page.get_by_role("button", name="Bind", exact=True).click()
    expect(status).to_have_text("Thread /post/ is bound to its Mastodon post.")
    page.get_by_label("Announcement post URL").fill("https://social.invalid/@me/1002")
    page.get_by_role("button", name="Bind", exact=True).click()  # a second Mastodon post
    expect(alert).to_have_text("This thread is already bound to a mastodon post: unbind it first.")
    page.get_by_label("Announcement post URL").fill("https://social.invalid/@me/1001")
    page.get_by_role("button", name="Unbind", exact=True).click()
    expect(status).to_have_text("Thread /post/ is no longer bound to its Mastodon post.")
    expect(alert).to_have_text("")
    page.get_by_label("Announcement post URL").fill("https://bsky.app/profile/me.test/post/3k")
    page.get_by_role("button", name="Bind", exact=True).click()
    expect(status).to_have_text("Thread /post/ is bound to its Bluesky post.")
    page.get_by_label("Announcement post URL").fill("https://bsky.app/profile/me.test/posts")
    page.get_by_role("button", name="Bind", exact=True).click()
    expect(alert).to_contain_text("invalid")
    # The browser logs each refused request (409, 422); nothing else may fail.
    assert [e for e in console.errors if not e.startswith("Failed to load resource")] == []


def test_a_wrong_token_is_refused(page: Page, admin: Admin) -> None:
    admin.post("Pending")
    sign_in(page, admin, token="wrong-token")
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    expect(page.get_by_label("Admin token")).to_be_visible()
    expect(page.locator("#comments li")).to_have_count(0)


def test_signs_in_from_the_address_fragment(page: Page, admin: Admin) -> None:
    # What `parley serve --demo` prints: /admin#site=...&token=..., a ready sign-in.
    admin.post("Pending")
    page.goto(f"{admin.base}/admin#site=blog&token={TOKEN}")
    expect(page.get_by_role("heading", name="Pending comments")).to_be_visible()
    expect(page.locator("#comments li")).to_have_count(1)
    assert "token" not in page.url  # dropped from the address bar and the history


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def test_rows_link_the_page_lock_in_place_bulk_and_keys(browser: Browser, admin: Admin) -> None:
    # bypass_csp: only so that axe-core can be injected into the page for the check below.
    ctx = browser.new_context(bypass_csp=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    first = admin.post("First held", author="Ann")
    second = admin.post("Second held", author="Bob")
    third = admin.post("Third held", author="Cy", uri="/other/")
    # A title for /post/: one approved comment there makes the thread's title public.
    httpx.post(f"{admin.base}/api/v1/admin/comments/{first['id']}/approve",
               json={"site": "blog", "uri": "/post/"},
               headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    sign_in(page, admin)
    row = page.locator(f"#c-{second['id']}")
    expect(page.get_by_role("button", name=re.compile("^Pending"))).to_have_text("Pending (2)")
    expect(page.get_by_role("button", name=re.compile("^Approved \\("))).to_have_text(
        "Approved (1)"
    )
    expect(row.get_by_role("link", name="Test post title")).to_have_attribute(
        "href", "https://blog.test/post/#comments"
    )
    # Dates as the widget writes them ("December 3, 2026 at 11:52 AM"), never "12/3/2026".
    expect(row.locator(".meta")).to_contain_text(re.compile(r"[A-Z][a-z]+ \d{1,2}, \d{4}"))
    # Lock and unlock the thread from the comment's row.
    row.get_by_role("button", name="Lock thread").click()
    expect(page.get_by_role("status")).to_have_text("Thread /post/ is locked.")
    assert admin.read()["thread"]["locked"] is True
    row.get_by_role("button", name="Unlock thread").click()
    expect(page.get_by_role("status")).to_have_text("Thread /post/ is open.")
    # axe-clean, in the page's state with rows and the status message, light and dark.
    page.add_script_tag(path=str(AXE))
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        violations = page.evaluate("async () => (await axe.run(document)).violations")
        assert [v["id"] for v in violations] == [], scheme
    page.emulate_media(color_scheme="light")
    # Keys (newest first): j moves to the first row, s marks it spam, focus moves on.
    page.locator("#queue-title").focus()
    page.keyboard.press("j")
    expect(page.locator(f"#c-{third['id']}")).to_be_focused()
    page.keyboard.press("s")
    expect(page.locator(f"#c-{third['id']}")).to_have_count(0)
    expect(row).to_be_focused()
    # Bulk: tick and approve.
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Approve selected").click()
    expect(row).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("1 comment approved.")
    expect(page.locator("#tabs [data-status=pending]")).to_have_text("Pending (0)")
    assert [c["id"] for c in admin.read()["comments"]] == [first["id"], second["id"]]
    assert errors == []
    ctx.close()


def test_cards_keep_their_layout_and_counts_read_as_words(page: Page, admin: Admin) -> None:
    for i in range(2):
        admin.post(f"Held {i}", author=f"Author {i}")
    sign_in(page, admin)
    expect(page.get_by_role("status")).to_have_text("2 pending comments shown.")
    rows = page.locator("#comments > li")
    expect(rows).to_have_count(2)
    for row in rows.all():
        box = row.get_by_role("checkbox").bounding_box()
        name = row.locator("h3 strong").bounding_box()
        assert box is not None and name is not None
        # The checkbox is a checkbox's size, and the author's name follows it on its line.
        assert box["width"] < 30, box
        assert 0 < name["x"] - (box["x"] + box["width"]) < 20, (box, name)
        assert abs((name["y"] + name["height"] / 2) - (box["y"] + box["height"] / 2)) < 8
    page.get_by_role("button", name=re.compile(r"^Spam \(")).click()
    expect(page.get_by_role("status")).to_have_text("No spam comments.")
    page.get_by_role("button", name=re.compile(r"^Pending \(")).click()
    rows.first.get_by_role("button", name=re.compile("^Approve")).click()
    expect(page.get_by_role("status")).to_have_text("Comment approved.")
    page.get_by_role("button", name=re.compile(r"^Pending \(")).click()
    expect(page.get_by_role("status")).to_have_text("1 pending comment shown.")
