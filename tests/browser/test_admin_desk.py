"""The owner's desk on /admin in Debian's Chromium: reply as the author (the badge), pin a
comment, block a network and lift the block from the list; axe-clean with the reply box open
and a block listed."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.test_admin_page import AXE, ORIGIN, TOKEN, Admin, sign_in
from tests.browser.test_admin_page import admin as admin  # the fixture

AUTH = {"Authorization": f"Bearer {TOKEN}"}
WAIT = 60.0  # seconds: a busy machine is slow, never wrong


def post(admin: Admin, text: str, author: str) -> dict[str, Any]:
    body = {
        "site": "blog",
        "uri": "/post/",
        "author": author,
        "email": "jkb@example.com",
        "text": text,
        "title": "Test post title",
        "hp": "",
        "key": f"k-{abs(hash(text)):x}",
        "proof": admin.proof(),
    }
    response = httpx.post(f"{admin.base}/api/v1/comments", json=body,
                          headers={"Origin": ORIGIN}, timeout=WAIT)  # fmt: skip
    assert response.status_code == 202, response.text
    comment: dict[str, Any] = response.json()["comment"]
    return comment


def read(admin: Admin) -> Any:
    params = {"site": "blog", "uri": "/post/"}
    return httpx.get(f"{admin.base}/api/v1/comments", params=params, timeout=WAIT).json()


def spam(admin: Admin) -> list[str]:
    params = {"site": "blog", "status": "spam"}
    url = f"{admin.base}/api/v1/admin/comments"
    response = httpx.get(url, params=params, headers=AUTH, timeout=WAIT)
    return [c["text"] for c in response.json()["comments"]]


def test_reply_as_the_author_pin_and_block_from_the_page(browser: Browser, admin: Admin) -> None:
    ctx = browser.new_context(bypass_csp=True)  # only so that axe-core can be injected
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    asked = post(admin, "Does it run on Lambda?", author="Ann")
    httpx.post(f"{admin.base}/api/v1/admin/comments/{asked['id']}/approve",
               json={"site": "blog", "uri": "/post/"}, headers=AUTH, timeout=WAIT)  # fmt: skip
    sign_in(page, admin)
    page.get_by_role("button", name="Approved (1)").click()
    row = page.locator(f"#c-{asked['id']}")

    row.get_by_role("button", name="Reply as the author to Ann").click()
    box = row.get_by_label("Your reply to Ann (as the author)")
    expect(box).to_be_focused()
    box.fill("It does, on *Lambda* and on a small VPS.")
    page.locator("#blocks li, #no-blocks").first.wait_for()
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    assert [v["id"] for v in violations] == []
    row.get_by_role("button", name="Post reply").click()
    expect(page.get_by_role("status")).to_have_text("Reply posted as the author.")
    [_, reply] = read(admin)["comments"]
    assert reply["author_role"] == "owner" and reply["parent"] == asked["id"]
    assert reply["author"] == "Author" and reply["status"] == "approved"

    row.get_by_role("button", name="Pin the comment by Ann first in its thread").click()
    expect(page.get_by_role("status")).to_have_text("Comment pinned first in /post/.")
    assert read(admin)["thread"]["pinned"] == asked["id"]

    row.get_by_role("button", name="Block network of Ann").click()
    expect(page.get_by_role("status")).to_contain_text("is blocked")
    listed = page.locator("#blocks li")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("network: Ann: Does it run on Lambda?")
    expect(page.locator("#no-blocks")).to_be_hidden()
    post(admin, "Buy now, from the same network", author="Spammer")
    assert spam(admin) == ["Buy now, from the same network"]  # held for the sender, spam here
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    assert [v["id"] for v in violations] == []

    page.get_by_role("button", name="Refresh").click()
    owner_row = page.locator(f"#c-{reply['id']}")
    expect(owner_row.locator(".badge")).to_have_text("Author")
    expect(owner_row.get_by_role("button", name="Block network of Author")).to_have_count(0)

    listed.get_by_role("button", name="Unblock network of Ann: Does it run on Lambda?").click()
    expect(page.get_by_role("status")).to_have_text("Unblocked.")
    expect(listed).to_have_count(0)
    expect(page.locator("#no-blocks")).to_be_visible()
    post(admin, "Sorry about that", author="Spammer")
    assert spam(admin) == ["Buy now, from the same network"]
    assert errors == []
    ctx.close()


def test_a_mails_reply_link_opens_the_comment_with_its_reply_box(
    browser: Browser, admin: Admin
) -> None:
    # The owner mail's link (backend/notify/worker.py): the site and the comment, no token.
    ctx = browser.new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    made = [post(admin, f"Question {n}?", author=f"Reader {n}") for n in range(55)]
    for c in made:
        httpx.post(f"{admin.base}/api/v1/admin/comments/{c['id']}/approve",
                   json={"site": "blog", "uri": "/post/"}, headers=AUTH, timeout=WAIT)  # fmt: skip
    wanted = made[3]  # among the oldest: on the approved queue's second page of 50
    page.goto(f"{admin.base}/admin#site=blog&reply={wanted['id']}")
    assert "reply=" not in page.url  # dropped from the address bar and the history
    expect(page.get_by_label("Site")).to_have_value("blog")
    page.get_by_label("Admin token").fill(TOKEN)
    page.get_by_label("Admin token").press("Enter")
    box = page.locator(f"#c-{wanted['id']}").get_by_label("Your reply to Reader 3 (as the author)")
    expect(box).to_be_focused(timeout=WAIT * 1000)
    box.fill("Answered from the mail's link.")
    page.locator(f"#c-{wanted['id']}").get_by_role("button", name="Post reply").click()
    expect(page.get_by_role("status")).to_have_text("Reply posted as the author.")
    params = {"site": "blog", "uri": "/post/", "limit": 100}
    thread = httpx.get(f"{admin.base}/api/v1/comments", params=params, timeout=WAIT).json()
    replies = [c for c in thread["comments"] if c["author_role"] == "owner"]
    assert [c["parent"] for c in replies] == [wanted["id"]]
    assert errors == []
    ctx.close()
