"""The avatar is no oracle for "did this address comment here": the same email gives unrelated
avatars on two sites and under two secret keys, whatever is stored (an import's value too), and
a post that was not published (held, or a honeypot's spam) answers with no avatar at all. On
every store, through the API's JSON, HTML and post answers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from starlette.testclient import TestClient

from backend.domain.models import Comment, Status, Thread
from tests.conftest import ORIGIN, Clock
from tests.helpers import post, read
from tests.notify_support import mail_client

EMAIL = "someone@example.com"
SITES: dict[str, Any] = {
    name: {"origins": [ORIGIN], "moderation": moderation, "rate_limit_per_minute": 1000}
    for name, moderation in (("one", "none"), ("two", "none"), ("held", "all"))
}


def avatars(c: TestClient, site: str, uri: str = "/post/") -> list[str]:
    return [x["avatar"] for x in read(c, uri, site)["comments"]]


def html_avatars(c: TestClient, site: str, uri: str = "/post/") -> list[str]:
    page = c.get("/api/v1/comments.html", params={"site": site, "uri": uri}).text
    return re.findall(r"&quot;avatar&quot;:&quot;([0-9a-f]*)&quot;", page)


def test_one_address_has_unrelated_avatars_per_site_and_secret(
    store_and_url: Any, clock: Clock
) -> None:
    with mail_client(store_and_url, clock, SITES, None) as c:
        one = post(c, site="one", email=EMAIL, author="A")["comment"]["avatar"]
        again = post(c, site="one", email=EMAIL.upper(), author="B")["comment"]["avatar"]
        two = post(c, site="two", email=EMAIL, author="A")["comment"]["avatar"]
        assert one == again  # stable per address on a site: the identicon is the same person
        assert len(one) == 16 and one != two
        assert avatars(c, "one") == [one, one] and avatars(c, "two") == [two]
        assert html_avatars(c, "one") == [one, one]
    with mail_client(
        store_and_url, clock, SITES, None, PARLEY_SECRET_KEYS="another-key-0123456789"
    ) as c:
        assert avatars(c, "one")[0] not in (one, two)


def test_a_stored_avatar_is_never_served_as_it_is(store_and_url: Any, clock: Clock) -> None:
    """An import brings the avatar another instance stored; served, it is keyed per site."""
    store = store_and_url[0]
    when = datetime(2026, 1, 1, tzinfo=UTC)
    comments = [
        Comment(
            site=site,
            uri="/post/",
            id=f"01KD{n:022d}",
            parent=None,
            author="A",
            email=EMAIL,
            website=None,
            text="t",
            html="<p>t</p>",
            status=Status.APPROVED,
            created=when,
            avatar="0123456789abcdef",
        )
        for n, site in enumerate(("one", "two"))
    ]
    threads = [
        Thread(site=s, uri="/post/", title="", count=1, locked=False, created=when)
        for s in ("one", "two")
    ]
    store.put_many(threads, comments)
    for t in threads:
        store.recount(t.site, t.uri)
    with mail_client(store_and_url, clock, SITES, None) as c:
        [one], [two] = avatars(c, "one"), avatars(c, "two")
    assert "0123456789abcdef" not in (one, two) and one != two and one and two


def test_a_post_that_was_not_published_answers_with_no_avatar(
    store_and_url: Any, clock: Clock
) -> None:
    with mail_client(store_and_url, clock, SITES, None) as c:
        post(c, site="one", email=EMAIL)
        honeypot = post(c, site="one", email=EMAIL, hp="bot", expect=202)["comment"]
        held = post(c, site="held", email=EMAIL, expect=202)["comment"]
        assert honeypot["avatar"] == "" and held["avatar"] == ""
        assert honeypot.keys() == held.keys()
