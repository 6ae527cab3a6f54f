"""The reader API through the real app, on every store."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import ORIGIN, Clock
from tests.helpers import error_of, new_key, post, proof, read


def test_post_then_read(client: TestClient) -> None:
    posted = post(client, title="Feel-Good News", website="https://jkb.example/")
    comment = posted["comment"]
    assert comment["author"] == "JKB" and comment["status"] == "approved"
    assert comment["website"] == "https://jkb.example/"
    assert "email" not in comment and "ip_hash" not in comment
    assert posted["token"] and posted["editable_until"]

    data = read(client)
    assert data["thread"] == {
        "uri": "/post/",
        "title": "Feel-Good News",
        "count": 1,
        "locked": False,
        "reactions": None,
        "pinned": None,
        "suggest_after": None,
    }
    [got] = data["comments"]
    assert got["id"] == comment["id"] and got["number"] == 1 and data["next"] is None
    assert set(got) == {
        "id", "parent", "number", "author", "website", "avatar", "html", "created", "edited",
        "likes", "replies", "status", "deleted", "origin", "author_role", "parent_author",
        "parent_number",
    }  # fmt: skip


def test_empty_thread(client: TestClient) -> None:
    data = read(client, "/never-commented/")
    assert data == {
        "thread": {
            "uri": "/never-commented/",
            "title": "",
            "count": 0,
            "locked": False,
            "reactions": None,
            "pinned": None,
            "suggest_after": None,
        },
        "comments": [],
        "next": None,
        "pinned": None,
    }  # fmt: skip


def test_markdown_is_rendered_and_sanitized(client: TestClient) -> None:
    text = "*hi* <script>alert(1)</script> [x](javascript:alert(1)) https://x.example/a"
    html = post(client, text=text)["comment"]["html"]
    assert "<em>hi</em>" in html
    assert "<script" not in html and "javascript:" not in html
    assert '<a href="https://x.example/a" rel="nofollow ugc noopener">' in html


def test_numbering_and_cursor_pagination(client: TestClient, clock: Clock) -> None:
    for i in range(7):
        clock.advance(1)
        post(client, text=f"comment {i}")
    seen: list[tuple[int, str]] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        data = read(client, **params)
        seen += [(c["number"], c["html"]) for c in data["comments"]]
        if data["next"] is None:
            break
        params["after"] = data["next"]
    assert [n for n, _ in seen] == list(range(1, 8))
    assert [h for _, h in seen] == [f"<p>comment {i}</p>" for i in range(7)]


def test_tampered_or_foreign_cursor_is_400(client: TestClient, clock: Clock) -> None:
    for _ in range(3):
        clock.advance(1)
        post(client)
    cursor = read(client, limit=1)["next"]
    bad = client.get(
        "/api/v1/comments", params={"site": "blog", "uri": "/post/", "after": cursor + "x"}
    )
    assert bad.status_code == 400 and error_of(bad)["code"] == "invalid_cursor"
    other = client.get(
        "/api/v1/comments", params={"site": "blog", "uri": "/other/", "after": cursor}
    )
    assert other.status_code == 400


def test_etag_and_304(client: TestClient) -> None:
    post(client)
    first = client.get("/api/v1/comments", params={"site": "blog", "uri": "/post/"})
    etag = first.headers["etag"]
    assert "max-age=0" in first.headers["cache-control"]
    again = client.get(
        "/api/v1/comments",
        params={"site": "blog", "uri": "/post/"},
        headers={"If-None-Match": etag},
    )
    assert again.status_code == 304 and again.content == b""
    post(client, text="a new one")
    changed = client.get(
        "/api/v1/comments",
        params={"site": "blog", "uri": "/post/"},
        headers={"If-None-Match": etag},
    )
    assert changed.status_code == 200 and len(changed.json()["comments"]) == 2


def test_replies_count_and_nest(client: TestClient, clock: Clock) -> None:
    parent = post(client)["comment"]
    clock.advance(1)
    reply = post(client, parent=parent["id"], author="Rob1", text="@JKB: indeed")["comment"]
    assert reply["parent"] == parent["id"]
    comments = read(client)["comments"]
    assert [c["replies"] for c in comments] == [1, 0]
    missing = post(client, parent="01ARZ3NDEKTSV4RRFFQ69G5FAV", expect=422)
    assert error_of_dict(missing)["fields"] == {"parent": "no such comment in this thread"}


def error_of_dict(data: dict[str, Any]) -> dict[str, Any]:
    error: dict[str, Any] = data["error"]
    return error


def test_idempotent_retry_stores_nothing_new(client: TestClient) -> None:
    key = new_key()
    first = post(client, key=key)
    again = post(client, key=key, text="the same draft, sent twice")
    assert again["comment"]["id"] == first["comment"]["id"]
    data = read(client)
    assert data["thread"]["count"] == 1 and len(data["comments"]) == 1


def test_honeypot_is_held_silently(client: TestClient) -> None:
    posted = post(client, hp="http://spam.example", expect=202)
    assert posted["comment"]["status"] == "pending"
    assert read(client)["comments"] == []


def test_moderation_all_holds_with_202(settings: Any, client: TestClient) -> None:
    response = client.post(
        "/api/v1/comments",
        json={"site": "strict", "uri": "/a/", "author": "A", "email": "a@b.co", "text": "hi",
              "key": new_key(), "proof": proof(client, "strict")},
        headers={"Origin": "https://strict.test"},
    )  # fmt: skip
    assert response.status_code == 202
    assert response.json()["comment"]["status"] == "pending"
    assert read(client, "/a/", site="strict")["comments"] == []


def test_many_links_are_held(client: TestClient) -> None:
    text = " ".join(f"https://spam{i}.example" for i in range(5))
    assert post(client, text=text, expect=202)["comment"]["status"] == "pending"


def test_edit_within_window(client: TestClient, clock: Clock) -> None:
    posted = post(client)
    cid, token = posted["comment"]["id"], posted["token"]
    clock.advance(60)
    response = client.patch(
        f"/api/v1/comments/{cid}",
        json={"site": "blog", "uri": "/post/", "text": "**edited**"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["comment"]["html"] == "<p><strong>edited</strong></p>"
    assert response.json()["comment"]["edited"] is not None
    assert read(client)["comments"][0]["html"] == "<p><strong>edited</strong></p>"


def test_edit_after_window_is_refused(client: TestClient, clock: Clock) -> None:
    posted = post(client)
    clock.advance(901)
    response = client.patch(
        f"/api/v1/comments/{posted['comment']['id']}",
        json={"site": "blog", "uri": "/post/", "text": "too late"},
        headers={"Authorization": f"Bearer {posted['token']}"},
    )
    assert response.status_code == 403 and error_of(response)["code"] == "edit_window_closed"


def test_edit_needs_the_right_token(client: TestClient) -> None:
    a = post(client)
    b = post(client)
    url = f"/api/v1/comments/{a['comment']['id']}"
    body = {"site": "blog", "uri": "/post/", "text": "hijack"}
    assert client.patch(url, json=body).status_code == 401
    wrong = client.patch(url, json=body, headers={"Authorization": f"Bearer {b['token']}"})
    assert wrong.status_code == 401
    forged = client.patch(url, json=body, headers={"Authorization": "Bearer abc.def"})
    assert forged.status_code == 401 and forged.headers["www-authenticate"] == "Bearer"


def test_delete_leaves_tombstone_only_with_replies(client: TestClient, clock: Clock) -> None:
    lone = post(client)
    parent = post(client)
    clock.advance(1)
    post(client, parent=parent["comment"]["id"])
    for p in (lone, parent):
        response = client.delete(
            f"/api/v1/comments/{p['comment']['id']}",
            params={"site": "blog", "uri": "/post/"},
            headers={"Authorization": f"Bearer {p['token']}"},
        )
        assert response.status_code == 204
    data = read(client)
    assert data["thread"]["count"] == 1
    tomb, reply = data["comments"]
    assert tomb["deleted"] is True and tomb["html"] == "" and tomb["author"] == ""
    # Numbers count what the heading counts: a tombstone keeps its place but has no number.
    assert (tomb["number"], reply["number"]) == (None, 1)
    again = client.delete(
        f"/api/v1/comments/{lone['comment']['id']}",
        params={"site": "blog", "uri": "/post/"},
        headers={"Authorization": f"Bearer {lone['token']}"},
    )
    assert again.status_code == 404


def test_likes_once_per_reader(client: TestClient) -> None:
    cid = post(client)["comment"]["id"]
    url = f"/api/v1/comments/{cid}/likes"
    assert client.post(url, json={"site": "blog", "uri": "/post/"}).json() == {"likes": 1}
    assert client.post(url, json={"site": "blog", "uri": "/post/"}).json() == {"likes": 1}
    assert read(client)["comments"][0]["likes"] == 1
    unknown = client.post(
        "/api/v1/comments/01ARZ3NDEKTSV4RRFFQ69G5FAV/likes", json={"site": "blog", "uri": "/post/"}
    )
    assert unknown.status_code == 404


def test_counts(client: TestClient) -> None:
    post(client, uri="/a/")
    post(client, uri="/a/")
    post(client, uri="/b/")
    response = client.get(
        "/api/v1/counts", params=[("site", "blog"), ("uri", "/a/"), ("uri", "/b/"), ("uri", "/c/")]
    )
    assert response.json() == {"counts": {"/a/": 2, "/b/": 1, "/c/": 0}}
    too_many = client.get(
        "/api/v1/counts", params=[("site", "blog")] + [("uri", f"/{i}/") for i in range(101)]
    )
    assert too_many.status_code == 400 and "uri" in error_of(too_many)["fields"]


def test_rate_limit(client: TestClient, clock: Clock) -> None:
    def slow_post() -> Any:
        body = {"site": "slow", "uri": "/p/", "author": "A", "email": "a@b.co", "text": "x",
                "key": new_key(), "proof": proof(client, "slow")}  # fmt: skip
        return client.post("/api/v1/comments", json=body)

    clock.now = 60 * 1000 * 60  # the start of a rate window
    assert [slow_post().status_code for _ in range(3)] == [201, 201, 201]
    limited = slow_post()
    assert limited.status_code == 429 and error_of(limited)["code"] == "rate_limited"
    # A sliding window: the three posts (and the refused fourth, counted) weigh on the next
    # minute until enough of this one has slid out: 60 s + half a minute.
    assert int(limited.headers["retry-after"]) == 90
    clock.advance(90)
    assert slow_post().status_code == 201


def test_locked_thread_is_409(client: TestClient, store: Any, clock: Clock) -> None:
    from datetime import UTC, datetime

    post(client)
    store.set_locked("blog", "/post/", True, datetime.fromtimestamp(clock.now, UTC))
    response = client.post(
        "/api/v1/comments",
        json={"site": "blog", "uri": "/post/", "author": "A", "email": "a@b.co", "text": "x",
              "key": new_key(), "proof": proof(client)},
    )  # fmt: skip
    assert response.status_code == 409 and error_of(response)["code"] == "thread_locked"
    assert read(client)["thread"]["locked"] is True


def test_origin_rules(client: TestClient) -> None:
    body = {"site": "blog", "uri": "/p/", "author": "A", "email": "a@b.co", "text": "x"}
    foreign = client.post(
        "/api/v1/comments", json={**body, "key": new_key()}, headers={"Origin": "https://evil.test"}
    )
    assert foreign.status_code == 403 and error_of(foreign)["code"] == "forbidden"
    assert "access-control-allow-origin" not in foreign.headers
    # A site's origins are its own: strict.test may not write to blog.
    other_site = client.post(
        "/api/v1/comments",
        json={**body, "key": new_key()},
        headers={"Origin": "https://strict.test"},
    )
    assert other_site.status_code == 403
    ok = client.post("/api/v1/comments", json={**body, "key": new_key(), "proof": proof(client)})
    assert ok.headers["access-control-allow-origin"] == ORIGIN
    wildcard_port = client.post(
        "/api/v1/comments",
        json={**body, "key": new_key(), "proof": proof(client)},
        headers={"Origin": "http://127.0.0.1:4321"},
    )
    assert wildcard_port.status_code == 201


def test_missing_origin_is_refused(client: TestClient) -> None:
    body = {
        "site": "blog",
        "uri": "/p/",
        "author": "A",
        "email": "a@b.co",
        "text": "x",
        "key": new_key(),
    }
    response = client.post("/api/v1/comments", json=body, headers={"Origin": ""})
    assert response.status_code == 403


def test_preflight(client: TestClient) -> None:
    ok = client.options(
        "/api/v1/comments/01ARZ3NDEKTSV4RRFFQ69G5FAV",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PATCH"},
    )
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == ORIGIN
    assert "PATCH" in ok.headers["access-control-allow-methods"]
    assert "Authorization" in ok.headers["access-control-allow-headers"]
    refused = client.options(
        "/api/v1/comments",
        headers={"Origin": "https://evil.test", "Access-Control-Request-Method": "POST"},
    )
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers


def test_reads_only_grant_cors_to_the_sites_origins(client: TestClient) -> None:
    response = client.get(
        "/api/v1/comments", params={"site": "strict", "uri": "/a/"}, headers={"Origin": ORIGIN}
    )
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers


def test_feed(client: TestClient) -> None:
    post(client, author="<b>Ann</b>", text="hello & <i>bye</i>")
    response = client.get("/api/v1/feed.atom", params={"site": "blog"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert b"&lt;b&gt;Ann&lt;/b&gt;" in response.content and b"<b>" not in response.content
    assert b"http://blog.test/post/#comment-" in response.content


def test_openapi_lists_every_reader_endpoint(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/v1/comments", "/api/v1/comments/{id}", "/api/v1/comments/{id}/likes",
                 "/api/v1/counts", "/api/v1/feed.atom", "/healthz",
                 "/api/v1/comments.html"):  # fmt: skip
        assert path in doc["paths"], path
    assert "delete" in doc["paths"]["/api/v1/comments/{id}/likes"]
    assert "PostIn" in doc["components"]["schemas"]


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"ok": True}
