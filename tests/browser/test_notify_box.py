"""The form's "Notify me of replies by email" box, in a real Chromium: unticked by default,
labelled, sent as `notify` with the post, and unticked again for the next comment."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.harness import Servers
from tests.browser.test_widget import fill_form

pytestmark = pytest.mark.browser


def test_the_notify_box_is_unticked_and_sent_with_the_post(page: Page, servers: Servers) -> None:
    posts: list[Request] = []
    page.on(
        "request",
        lambda r: posts.append(r) if r.method == "POST" and "/api/v1/comments" in r.url else None,
    )
    page.goto(servers.page("/t/notify/"))
    box = page.get_by_label("Notify me of replies by email")
    expect(box).not_to_be_checked()

    fill_form(page, "Noor", "Tell me when someone answers", email="noor@example.com")
    box.check()
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator("#parley [role=status]")).to_have_text("Your comment was posted.")
    expect(box).not_to_be_checked()  # each comment is asked for on its own

    fill_form(page, "Noor", "And this one needs no mail", email="noor@example.com")
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator("#parley article", has_text="needs no mail")).to_have_count(1)
    assert [json.loads(r.post_data or "{}")["notify"] for r in posts] == [True, False]
