"""A site's latest approved comments (`GET /api/v1/recent` and `/api/v1/recent.html`), on both
stores: newest first across pages, held and spam comments never in it, the owner's badge,
plain-text excerpts, a minute's public cache, and clear errors for bad input."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from backend.api.recent import excerpt
from tests.conftest import ORIGIN, Clock
from tests.helpers import error_of, new_key, parse_tags, post
from tests.moderation_support import act, app_client, auth


def recent(client: TestClient, **params: Any) -> Any:
    response = client.get("/api/v1/recent", params={"site": "blog", **params})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "public, max-age=60"
    return response.json()["comments"]


def test_the_latest_approved_comments_of_the_whole_site_newest_first(
    client: TestClient, clock: Clock
) -> None:
    made = []
    for n, uri in enumerate(["/a/", "/b/", "/a/", "/c/", "/b/", "/d/", "/a/"]):
        clock.advance(1)
        made.append(post(client, uri=uri, author=f"Reader {n}", text=f"Comment **{n}**")["comment"])
    got = recent(client)
    assert [c["id"] for c in got] == [c["id"] for c in made[::-1][:5]]  # the default is 5
    first = got[0]
    assert first == {
        "id": made[6]["id"], "uri": "/a/", "url": f"{ORIGIN}/a/#comment-{made[6]['id']}",
        "author": "Reader 6", "author_role": None, "excerpt": "Comment 6",
        "created": made[6]["created"],
    }  # fmt: skip
    assert [c["uri"] for c in recent(client, limit=7)] == ["/a/", "/d/", "/b/", "/c/", "/a/",
                                                            "/b/", "/a/"]  # fmt: skip
    assert len(recent(client, limit=1)) == 1


def test_held_and_spam_comments_stay_out_and_the_owners_reply_has_its_badge(
    store_and_url: Any, clock: Clock
) -> None:
    with app_client(store_and_url, clock) as client:  # blog holds every reader's comment
        held = post(client, expect=202, author="Held", text="wait for me")["comment"]
        spam = post(client, expect=202, author="Spam", text="buy now")["comment"]
        act(client, spam["id"], "spam")
        assert recent(client) == []
        act(client, held["id"], "approve")
        body = {"site": "blog", "uri": "/post/", "text": "Thanks!", "key": new_key(),
                "parent": held["id"], "author": "Jo"}  # fmt: skip
        assert client.post("/api/v1/admin/replies", json=body, headers=auth()).status_code == 201
        got = recent(client)
        assert [(c["author"], c["author_role"]) for c in got] == [("Jo", "owner"), ("Held", None)]


def test_the_excerpt_is_plain_text_from_the_html_never_markup() -> None:
    assert excerpt("<p>a &amp; <em>b</em>c</p><p>d<br>e</p>") == "a & bc d e"
    assert excerpt("<p>" + "word " * 60 + "</p>") == ("word " * 28).strip()[:139].rstrip() + "…"
    assert len(excerpt("<p>" + "x" * 500 + "</p>")) == 140


def test_the_html_fragment_escapes_and_links_each_comment(client: TestClient) -> None:
    made = post(client, author="<b>Ann</b>", text="1 < 2 & <script>x</script>")["comment"]
    response = client.get("/api/v1/recent.html", params={"site": "blog", "limit": 3})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=60"
    html = response.text
    assert "<b>" not in html and "<script>" not in html and "&lt;b&gt;Ann&lt;/b&gt;" in html
    tags = parse_tags(html)
    assert ("a", {"href": f"{ORIGIN}/post/#comment-{made['id']}"}) in tags
    assert tags[0] == ("ul", {"class": "parley-recent"})


def test_a_repeat_read_is_not_modified(client: TestClient) -> None:
    post(client)
    first = client.get("/api/v1/recent", params={"site": "blog"})
    again = client.get(
        "/api/v1/recent", params={"site": "blog"}, headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.headers["cache-control"] == "public, max-age=60"


def test_bad_input_gets_the_documented_error(client: TestClient) -> None:
    for params, status, code in [
        ({"site": "nope"}, 404, "unknown_site"),
        ({"site": "blog", "limit": "0"}, 400, "bad_request"),
        ({"site": "blog", "limit": "21"}, 400, "bad_request"),
        ({"site": "blog", "limit": "five"}, 400, "bad_request"),
        ({}, 400, "bad_request"),
    ]:
        response = client.get("/api/v1/recent.html", params=params)
        assert response.status_code == status, (params, response.text)
        assert error_of(response)["code"] == code


def test_only_the_sites_origins_may_read_it_from_a_page(client: TestClient) -> None:
    mine = client.get("/api/v1/recent", params={"site": "blog"})
    assert mine.headers["access-control-allow-origin"] == ORIGIN
    theirs = client.get(
        "/api/v1/recent", params={"site": "blog"}, headers={"Origin": "https://strict.test"}
    )
    assert "access-control-allow-origin" not in theirs.headers
