"""The admin page's search in Debian's Chromium: words, the exact email and the page find
comments in every queue, Load more follows the signed cursor, a row acts on its own status,
and the page is axe-clean with results shown."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.test_admin_page import AXE, Admin, sign_in
from tests.browser.test_admin_page import admin as admin  # the fixture


def test_search_box_finds_by_words_email_and_page(browser: Browser, admin: Admin) -> None:
    ctx = browser.new_context(bypass_csp=True)  # only so that axe-core can be injected
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    garden = admin.post("My garden runs on a Raspberry Pi.", author="Ann")
    admin.post("Cold starts on Lambda are slow.", author="Bo", uri="/other/")
    for n in range(22):
        admin.post(f"Garden note {n}.", author="Cy", uri="/notes/")
    sign_in(page, admin)
    expect(page.get_by_role("button", name="Pending (24)")).to_be_visible()

    search = page.get_by_role("search")
    search.get_by_label("Words").fill("garden raspberry")
    search.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", name="Search results")).to_be_focused()
    expect(page.get_by_role("status")).to_have_text("1 comment found.")
    rows = page.locator("#comments > li")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("My garden runs on a Raspberry Pi.")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    assert [v["id"] for v in violations] == []

    # A result acts as its own queue would: this one is pending, so it can be approved.
    rows.first.get_by_role("button", name="Approve comment by Ann").click()
    expect(page.get_by_role("status")).to_have_text("Comment approved.")
    assert [c["id"] for c in admin.read()["comments"]] == [garden["id"]]

    search.get_by_label("Words").fill("garden")
    search.get_by_role("button", name="Search", exact=True).click()
    expect(rows).to_have_count(20)
    expect(page.get_by_role("status")).to_have_text("20 comments found; Load more for the rest.")
    page.get_by_role("button", name="Load more").click()
    expect(rows).to_have_count(23)
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()

    search.get_by_label("Words").fill("")
    search.get_by_label("Email (exact)").fill("jkb@example")
    search.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("No comment matches.")
    search.get_by_label("Email (exact)").fill("JKB@example.com")
    search.get_by_label("On page (path)").fill("/other/")
    search.get_by_role("button", name="Search", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Cold starts on Lambda are slow.")
    expect(rows.first).to_contain_text("jkb@example.com")

    search.get_by_role("button", name="Clear search").click()
    expect(page.get_by_role("heading", name="Pending comments")).to_be_visible()
    expect(search.get_by_label("On page (path)")).to_have_value("")
    assert errors == []
    ctx.close()
