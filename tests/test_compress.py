"""Gzip when the client accepts it (backend/api/compress.py), through the real app."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.api.compress import accepts_gzip
from tests.helpers import post

LONG = "A comment long enough to make the thread worth compressing, with some words. " * 4


def thread_with_comments(client: TestClient, n: int = 6) -> None:
    for i in range(n):
        post(client, text=f"{i}: {LONG}")


def get_raw(client: TestClient, path: str, **headers: str) -> tuple[Any, bytes]:
    """The answer and its body exactly as sent (httpx would otherwise undo the gzip)."""
    params = {"site": "blog", "uri": "/post/"}
    with client.stream("GET", path, params=params, headers=headers) as response:
        return response, b"".join(response.iter_raw())


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("x-gzip", True),
        ("deflate, gzip;q=0.1", True),
        ("*", True),
        ("br;q=1, *;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),
        ("*;q=0", False),
        ("br", False),
        ("identity", False),
        ("", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_read_is_gzipped_for_clients_that_accept_it(client: TestClient) -> None:
    thread_with_comments(client)
    plain, plain_body = get_raw(client, "/api/v1/comments", **{"Accept-Encoding": "identity"})
    zipped, zipped_body = get_raw(client, "/api/v1/comments", **{"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped_body) == plain_body
    assert len(zipped_body) < len(plain_body) / 2
    assert int(zipped.headers["content-length"]) == len(zipped_body)
    for answer in (plain, zipped):
        assert "accept-encoding" in answer.headers["vary"].lower()
        assert "origin" in answer.headers["vary"].lower()  # CORS's Vary is kept
    # Different bytes, so the gzip answer's validator is the weak form of the same tag.
    assert zipped.headers["etag"] == "W/" + plain.headers["etag"]


def test_revalidating_a_gzipped_read_gives_304(client: TestClient) -> None:
    thread_with_comments(client)
    first, _ = get_raw(client, "/api/v1/comments", **{"Accept-Encoding": "gzip"})
    again, body = get_raw(
        client,
        "/api/v1/comments",
        **{"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304
    assert body == b""
    assert again.headers["etag"] == first.headers["etag"]


def test_small_answers_and_heads_stay_plain(client: TestClient) -> None:
    health = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in health.headers
    thread_with_comments(client)
    head = client.head(
        "/api/v1/comments",
        params={"site": "blog", "uri": "/post/"},
        headers={"Accept-Encoding": "gzip"},
    )
    assert "content-encoding" not in head.headers


def test_errors_keep_their_shape_when_gzipped(client: TestClient) -> None:
    answer = client.get(
        "/api/v1/comments",
        params={"site": "nope", "uri": "/x/"},
        headers={"Accept-Encoding": "gzip"},
    )
    assert answer.status_code == 404
    assert set(answer.json()) == {"error"}
