"""The read path's cache of validated query strings (backend/api/cache.py): a repeated read
skips parsing, but never serves a changed thread or lets a bad query through."""

from __future__ import annotations

from starlette.testclient import TestClient

from backend.api.cache import KnownQuery, ReadCache
from tests.helpers import error_of, post

QUERY = "/api/v1/comments?site=blog&uri=/post/&limit=20"


def test_repeated_read_follows_every_write(client: TestClient) -> None:
    post(client, text="first")
    first = client.get(QUERY)
    assert [c["html"] for c in first.json()["comments"]] == ["<p>first</p>"]
    assert client.get(QUERY).content == first.content  # the same query string again
    post(client, text="second")
    again = client.get(QUERY)
    assert len(again.json()["comments"]) == 2
    assert again.headers["etag"] != first.headers["etag"]


def test_bad_queries_are_refused_every_time(client: TestClient) -> None:
    for _ in range(2):
        answer = client.get("/api/v1/comments?site=blog&uri=/post/&limit=0")
        assert answer.status_code == 400
        assert error_of(answer)["fields"]
    for _ in range(2):
        assert client.get("/api/v1/comments?site=nope&uri=/post/").status_code == 404


def test_known_queries_are_bounded() -> None:
    cache = ReadCache(max_entries=2)
    for i in range(3):
        cache.remember(f"q={i}".encode(), KnownQuery("blog", f"/{i}/", ("blog", f"/{i}/")))
    assert cache.known(b"q=0") is None
    assert cache.known(b"q=2") == KnownQuery("blog", "/2/", ("blog", "/2/"))
