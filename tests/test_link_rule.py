"""The link rule (more than MAX_LINKS links: held for moderation) counts the links readers get,
the rendered and sanitized HTML's, whatever their form in the source: protocol-relative links,
entity-encoded schemes, `mailto:`, autolinks. On every store, for posts and edits."""

from __future__ import annotations

from typing import Any

import pytest

from backend.domain.render import render
from backend.domain.spam import MAX_LINKS, link_count
from tests.conftest import ORIGIN, Clock
from tests.helpers import post
from tests.notify_support import mail_client

FORMS = {
    "protocol-relative": "[x{n}](//evil{n}.example/p)",
    "entity scheme": "[x{n}](https&#58;//evil{n}.example/p)",
    "entity colon, decimal": "[x{n}](https&#x3a;//evil{n}.example/p)",
    "mailto": "[m{n}](mailto:sales{n}@evil.example)",
    "autolink": "<https://evil{n}.example/p>",
    "bare": "https://evil{n}.example/p",
    "unlinked text": "www.evil{n}.example",
}
SITES: dict[str, Any] = {
    "blog": {"origins": [ORIGIN], "moderation": "none", "rate_limit_per_minute": 1000}
}


def links(form: str, count: int) -> str:
    return "Deals: " + " and ".join(FORMS[form].format(n=n) for n in range(count))


@pytest.mark.parametrize("form", sorted(FORMS))
def test_each_form_counts_as_a_link(form: str) -> None:
    assert link_count(render(links(form, 2))) == 2


def test_every_form_is_held_past_the_limit(store_and_url: Any, clock: Clock) -> None:
    with mail_client(store_and_url, clock, SITES, None) as c:
        for form in FORMS:
            assert post(c, text=links(form, MAX_LINKS), expect=None)["comment"]["status"] == (
                "approved"
            ), form
            held = post(c, text=links(form, MAX_LINKS + 1), expect=202)["comment"]
            assert held["status"] == "pending", form
        mixed = " ".join(FORMS[f].format(n=9) for f in ("protocol-relative", "mailto", "bare"))
        post(c, text=mixed + " " + FORMS["entity scheme"].format(n=8), expect=202)


def test_an_edit_past_the_limit_is_held(store_and_url: Any, clock: Clock) -> None:
    with mail_client(store_and_url, clock, SITES, None) as c:
        first = post(c, text="Nothing to sell.")
        cid, token = first["comment"]["id"], first["token"]
        edited = c.patch(
            f"/api/v1/comments/{cid}",
            json={"site": "blog", "uri": "/post/", "text": links("protocol-relative", 5)},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["comment"]["status"] == "pending"
