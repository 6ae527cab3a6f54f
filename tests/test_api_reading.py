"""Reading a thread three ways: sorted JSON, the server-rendered HTML fragment, and `/`."""

from __future__ import annotations

import json
from typing import Any

from starlette.testclient import TestClient

from backend.store.base import Store
from tests.conftest import ORIGIN, Clock
from tests.helpers import drop_thread, error_of, parse_tags, post, read


def _thread(client: TestClient, clock: Clock) -> list[dict[str, Any]]:
    """Three comments, the second a reply to the first, the third liked twice."""
    a = post(client, author="Ann", text="first")["comment"]
    clock.advance(1)
    b = post(client, author="Bob", text="re: first", parent=a["id"])["comment"]
    clock.advance(1)
    c = post(client, author="Cy <b>", text="third *one*")["comment"]
    for ip in ("10.1.0.1", "10.2.0.1"):
        liked = client.post(
            f"/api/v1/comments/{c['id']}/likes",
            json={"site": "blog", "uri": "/post/"},
            headers={"X-Forwarded-For": ip},
        )
        assert liked.status_code == 200
    return [a, b, c]


def test_sort_orders_but_numbers_stay_chronological(client: TestClient, clock: Clock) -> None:
    a, b, c = _thread(client, clock)
    orders = {
        "oldest": [a["id"], b["id"], c["id"]],
        "newest": [c["id"], b["id"], a["id"]],
    }
    for sort, ids in orders.items():
        data = read(client, sort=sort)
        assert [x["id"] for x in data["comments"]] == ids, sort
        numbers = {x["id"]: x["number"] for x in data["comments"]}
        assert numbers == {a["id"]: 1, b["id"]: 2, c["id"]: 3}, sort
    # Paging through a sorted read: the cursor carries the sort and the offset.
    first = read(client, sort="newest", limit=2)
    assert [x["number"] for x in first["comments"]] == [3, 2] and first["next"]
    rest = read(client, sort="newest", limit=2, after=first["next"])
    assert [x["number"] for x in rest["comments"]] == [1] and rest["next"] is None
    # A cursor made for one order is refused by another.
    wrong = client.get(
        "/api/v1/comments",
        params={"site": "blog", "uri": "/post/", "sort": "oldest", "after": first["next"]},
    )
    assert wrong.status_code == 400
    bad = client.get("/api/v1/comments", params={"site": "blog", "uri": "/post/", "sort": "x"})
    assert bad.status_code in (400, 422) and error_of(bad)["fields"]


def test_top_sort_puts_the_most_liked_first(client: TestClient, clock: Clock) -> None:
    a, b, c = _thread(client, clock)
    data = read(client, sort="top")
    assert [x["id"] for x in data["comments"]] == [c["id"], a["id"], b["id"]]


def test_comments_html_is_the_thread_without_script(client: TestClient, clock: Clock) -> None:
    a, b, c = _thread(client, clock)
    response = client.get("/api/v1/comments.html", params={"site": "blog", "uri": "/post/"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    tags = parse_tags(html)
    assert not [t for t, _ in tags if t in ("script", "style", "iframe")]
    assert "<h2>3 Comments</h2>" in html
    assert '<span class="n">1.</span>' in html and '<span class="n">3.</span>' in html
    assert "says:" in html and "@Ann:" in html
    assert "Cy &lt;b&gt;" in html and "<em>one</em>" in html
    items = [attrs for tag, attrs in tags if attrs.get("itemtype") == "https://schema.org/Comment"]
    assert [json.loads(i["data-c"])["id"] for i in items] == [a["id"], b["id"], c["id"]]
    assert all(i["itemprop"] == "comment" for i in items)
    props = [attrs.get("itemprop") for _, attrs in tags]
    for prop in ("author", "name", "dateCreated", "text", "upvoteCount", "parentItem"):
        assert prop in props, prop
    root = next(attrs for _, attrs in tags if "data-parley" in attrs)
    assert json.loads(root["data-parley"])["thread"]["count"] == 3
    # Conditional GET.
    etag = response.headers["etag"]
    again = client.get(
        "/api/v1/comments.html",
        params={"site": "blog", "uri": "/post/"},
        headers={"If-None-Match": etag},
    )
    assert again.status_code == 304
    newest = client.get(
        "/api/v1/comments.html", params={"site": "blog", "uri": "/post/", "sort": "newest"}
    )
    assert newest.text.index(c["id"]) < newest.text.index(a["id"])


def test_comments_html_refuses_bad_input(client: TestClient) -> None:
    for params in ({"site": "blog"}, {"site": "nope", "uri": "/x/"}, {"site": "blog", "uri": "x"}):
        response = client.get("/api/v1/comments.html", params=params)
        assert response.status_code in (400, 404, 422), params
        error_of(response)
    empty = client.get("/api/v1/comments.html", params={"site": "blog", "uri": "/none/"})
    assert empty.status_code == 200 and "No comments yet" in empty.text


def test_landing_page_names_parley_and_links_on(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    hrefs = {attrs.get("href") for tag, attrs in parse_tags(response.text) if tag == "a"}
    assert {"/admin", "/api/v1/openapi.json"} <= hrefs
    assert "<h1>Parley</h1>" in response.text


def test_unlike_takes_the_readers_like_back(client: TestClient) -> None:
    c = post(client)["comment"]
    path = f"/api/v1/comments/{c['id']}/likes"
    ref = {"site": "blog", "uri": "/post/"}
    assert client.post(path, json=ref).json() == {"likes": 1}
    for _ in range(2):  # idempotent
        response = client.request("DELETE", path, json=ref)
        assert response.status_code == 200 and response.json() == {"likes": 0}
    assert client.post(path, json=ref).json() == {"likes": 1}
    foreign = client.request("DELETE", path, json=ref, headers={"Origin": "https://evil.test"})
    assert foreign.status_code == 403 and error_of(foreign)
    missing = client.request(
        "DELETE", "/api/v1/comments/01ARZ3NDEKTSV4RRFFQ69G5FAV/likes", json=ref
    )
    assert missing.status_code == 404 and error_of(missing)
    not_json = client.request("DELETE", path, content=b"x", headers={"Content-Type": "text/plain"})
    assert not_json.status_code == 415 and error_of(not_json)


def test_the_fragment_carries_its_etag_for_revalidation(client: TestClient, clock: Clock) -> None:
    # A build-time copy of the fragment names its ETag (data-etag), so the widget taking it
    # over can ask, with one HEAD from the blog's origin, whether it is still current.
    _thread(client, clock)
    query = {"site": "blog", "uri": "/post/"}
    response = client.get("/api/v1/comments.html", params=query)
    root = next(attrs for _, attrs in parse_tags(response.text) if "data-parley" in attrs)
    # (weak when the answer was gzipped: the same fragment, other bytes on the wire)
    assert root["data-etag"] == response.headers["etag"].removeprefix("W/")
    origin = {"Origin": ORIGIN}
    preflight = client.options(
        "/api/v1/comments.html",
        params=query,
        headers={
            **origin,
            "Access-Control-Request-Method": "HEAD",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.status_code == 204
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "if-none-match" in allowed
    same = client.head(
        "/api/v1/comments.html",
        params=query,
        headers={**origin, "If-None-Match": root["data-etag"]},
    )
    assert same.status_code == 304 and same.content == b""
    # The loader's own check: the first page read with the fragment's ETag (`built`), a
    # simple request (no preflight): a 204 while the thread is the one built.
    check = {**query, "limit": "10", "sort": "oldest", "built": root["data-etag"]}
    unchanged = client.get("/api/v1/comments", params=check, headers=origin)
    assert (unchanged.status_code, unchanged.content) == (204, b"")
    assert unchanged.headers["access-control-allow-origin"] == ORIGIN
    plain = client.head("/api/v1/comments.html", params=query, headers=origin)
    assert plain.status_code == 200 and plain.headers["etag"] == root["data-etag"]
    post(client, author="Dee", text="a fourth")
    moved = client.head("/api/v1/comments.html", params=query, headers=origin)
    assert moved.headers["etag"] != root["data-etag"]
    fresh = client.get("/api/v1/comments", params=check, headers=origin)
    assert fresh.status_code == 200
    assert "a fourth" in fresh.text
    changed = client.head(
        "/api/v1/comments.html",
        params=query,
        headers={**origin, "If-None-Match": root["data-etag"]},
    )
    assert changed.status_code == 200 and changed.content == b""


def test_a_build_of_a_thread_since_made_again_reads_as_changed(
    client: TestClient, store: Store, clock: Clock
) -> None:
    # The thread is deleted behind Parley's back (rows deleted by hand, a backup without it
    # restored) and begun again with as many writes: the build's copy is not of this thread.
    query = {"site": "blog", "uri": "/post/"}
    post(client, author="Ann", text="the old one")
    built = client.get("/api/v1/comments.html", params=query).headers["etag"].removeprefix("W/")
    check = {**query, "limit": "10", "sort": "oldest", "built": built}
    assert client.get("/api/v1/comments", params=check).status_code == 204
    drop_thread(store, "blog", "/post/")
    clock.advance(60)
    post(client, author="Bob", text="the new one")
    again = client.get("/api/v1/comments", params=check)
    assert again.status_code == 200 and "the new one" in again.text
    assert client.head("/api/v1/comments.html", params=query).headers["etag"] != built
    # A tag no build of this version wrote (an older Parley's, or none at all) is simply a
    # changed thread: the page, never an error.
    for stale in ('"0123456789abcdef01234567"', "W/x", ""):
        old = client.get("/api/v1/comments", params={**check, "built": stale})
        assert old.status_code == 200 and "the new one" in old.text, stale
