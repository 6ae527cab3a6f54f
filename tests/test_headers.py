"""Issue 11, item 8 (headers): ETag matching, Vary: Origin, and no framing of our pages."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from backend.api.http import etag_matches
from tests.helpers import post


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ("*", True),
        ('"xabcx"', False),
        ('"abc"x', False),
        ('"ab"', False),
        ("", False),
        ('"abc', False),
    ],
)
def test_etag_matching_is_exact(header: str, matches: bool) -> None:
    assert etag_matches(header, '"abc"') is matches


def test_if_none_match_is_not_a_substring_match(client: TestClient) -> None:
    post(client)
    params = {"site": "blog", "uri": "/post/"}
    first = client.get("/api/v1/comments", params=params)
    etag = first.headers["etag"]
    assert (
        client.get("/api/v1/comments", params=params, headers={"If-None-Match": etag}).status_code
        == 304
    )
    # A header that merely contains the tag (one tag glued to garbage) is not a match.
    for header in (f"x{etag}x", etag[:-1] + "0" + etag, f"W/{etag}junk"):
        response = client.get("/api/v1/comments", params=params, headers={"If-None-Match": header})
        assert response.status_code == 200, header
    counts = client.get("/api/v1/counts", params=params)
    glued = {"If-None-Match": "x" + counts.headers["etag"]}
    assert client.get("/api/v1/counts", params=params, headers=glued).status_code == 200


def test_reads_vary_on_origin_with_or_without_one(client: TestClient) -> None:
    post(client)
    bare = TestClient(client.app, base_url="http://api.test")  # no Origin header
    for path in ("/api/v1/comments", "/api/v1/counts", "/api/v1/feed.atom"):
        params = {"site": "blog", "uri": "/post/"}
        for c in (client, bare):
            vary = c.get(path, params=params).headers.get("vary", "")
            assert "origin" in vary.lower(), (path, vary)


def test_admin_and_confirm_pages_refuse_framing(client: TestClient) -> None:
    bare = TestClient(client.app, base_url="http://api.test")
    admin = bare.get("/admin")
    confirm = bare.get("/moderate/not-a-valid-link")
    for response in (admin, confirm):
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_every_answer_with_a_body_carries_the_security_headers(client: TestClient) -> None:
    # The one exception: a 204 (No Content) has nothing to sniff, frame or refer from, so it
    # goes without them (106 B on the loader's check of a built thread, its most common answer).
    post(client)
    params = {"site": "blog", "uri": "/post/"}
    read = client.get("/api/v1/comments", params=params)
    html = client.get("/api/v1/comments.html", params=params)
    built = html.headers["etag"].removeprefix("W/")
    check = {**params, "limit": "10", "sort": "oldest", "built": built}
    with_body = {
        "read": read,
        "read, again": client.get("/api/v1/comments", params=params),
        # A 304 stands for the 200 the browser keeps and refreshes its headers: kept too.
        "304": client.get(
            "/api/v1/comments", params=params, headers={"If-None-Match": read.headers["etag"]}
        ),
        "fragment": html,
        "counts": client.get("/api/v1/counts", params=params),
        "embed.js": client.get("/embed.js"),
        "not found": client.get("/nowhere"),
        "refused": client.get("/api/v1/comments", params={"site": "nope", "uri": "/"}),
        "changed check": client.get("/api/v1/comments", params={**check, "built": '"old"'}),
    }
    for name, response in with_body.items():
        assert response.headers.get("x-content-type-options") == "nosniff", name
        assert response.headers.get("referrer-policy") == "strict-origin-when-cross-origin", name
        assert response.headers.get("x-frame-options") == "DENY", name
    no_content = {
        "check": client.get("/api/v1/comments", params=check),
        "preflight": client.options(
            "/api/v1/comments",
            headers={"Access-Control-Request-Method": "POST"},
        ),
    }
    for name, response in no_content.items():
        assert response.status_code == 204 and response.content == b"", name
        for header in ("x-content-type-options", "referrer-policy", "x-frame-options"):
            assert header not in response.headers, (name, header)
