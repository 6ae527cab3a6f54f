"""Sizes DynamoDB enforces (2,048-byte partition keys, 1,024-byte sort keys, 400 KB items) are
checked at the API, in bytes, as 422s in the error shape, before any storage call; and the
bounds are proven on AWS's DynamoDB Local: the largest accepted key is stored and read back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from backend.domain import errors, limits
from backend.domain.ids import new_ulid
from backend.domain.models import Comment, NewComment, Status
from backend.domain.render import render
from backend.store.dynamo import items as it
from tests.helpers import error_of, post
from tests.stores import dynamodb_local_store

FOUR_BYTES = "\U0001f600"  # one character, four bytes in UTF-8
TOO_LONG = "/" + FOUR_BYTES * 510  # 511 characters (under 512), 2,041 bytes


def test_a_uri_too_long_in_bytes_is_refused_by_every_endpoint(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert len(TOO_LONG) <= 512 < len(TOO_LONG.encode())
    thread = {"site": "blog", "uri": TOO_LONG}
    # Bodies: 422, a field is invalid. Query parameters: 400, as every bad parameter is.
    answers = [
        (422, client.post("/api/v1/comments", json={**_draft(), "uri": TOO_LONG})),
        (422, client.post(f"/api/v1/comments/{'0' * 26}/likes", json=thread)),
        (400, client.get("/api/v1/comments", params=thread)),
        (400, client.get("/api/v1/counts", params={"site": "blog", "uri": ["/ok/", TOO_LONG]})),
        (400, client.get("/api/v1/feed.atom", params=thread)),
    ]
    for status, answer in answers:
        assert answer.status_code == status, answer.text
        assert "bytes" in error_of(answer)["fields"]["uri"], answer.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # no alarm fodder


def test_a_uri_at_the_limit_is_accepted(client: TestClient) -> None:
    uri = "/" + FOUR_BYTES * ((limits.URI_BYTES - 1) // 4)
    uri += "a" * (limits.URI_BYTES - limits.utf8_bytes(uri))
    assert limits.utf8_bytes(uri) == limits.URI_BYTES and len(uri) <= 512
    posted = post(client, uri=uri)
    read = client.get("/api/v1/comments", params={"site": "blog", "uri": uri})
    assert read.status_code == 200 and read.json()["comments"][0]["id"] == posted["comment"]["id"]


def _draft() -> dict[str, str]:
    return {
        "site": "blog", "author": "A", "email": "a@example.com", "text": "t",
        "key": "limits-key-0001", "hp": "",
    }  # fmt: skip


def test_the_largest_keys_fit_dynamodb_local(tmp_path: Path) -> None:
    """The bound is DynamoDB's, not ours: with the longest site name, a uri of URI_BYTES bytes
    is stored and read back; one byte more is refused by DynamoDB Local itself."""
    site = "s" * limits.SITE_CHARS
    uri = "/" + FOUR_BYTES * ((limits.URI_BYTES - 1) // 4)
    uri += "a" * (limits.URI_BYTES - limits.utf8_bytes(uri))
    assert len(it.thread_pk(site, uri).encode()) == limits.PARTITION_KEY_BYTES
    at = 1_767_225_600.0
    comment = Comment(
        site=site, uri=uri, id=new_ulid(at), parent=None, author="A", email="a@example.com",
        website=None, text="t", html="<p>t</p>", status=Status.APPROVED,
        created=datetime.fromtimestamp(at, UTC), ip_hash="h", avatar="a",
    )  # fmt: skip
    longest_key = "k" * 64
    with dynamodb_local_store(tmp_path) as (store, _):
        store.create_comment(NewComment(comment, "T", longest_key, int(at) + 86400))
        store.add_like(site, uri, comment.id, "v" * 64)
        assert store.counts(site, [uri]) == {uri: 1}
        assert store.find_key(site, longest_key, int(at)) == comment.id
        over = comment.evolve(uri=uri + "a", id=new_ulid(at + 1))
        with pytest.raises(errors.StoreUnavailable):  # DynamoDB refuses the key
            store.create_comment(NewComment(over, "T", "other-key", int(at) + 86400))
    for key in (
        it.comment_key(site, uri, comment.id),
        it.like_key(site, uri, comment.id, "v" * 64),
    ):
        assert len(key["sk"]["S"].encode()) <= limits.SORT_KEY_BYTES


def test_the_item_size_is_checked_in_bytes() -> None:
    # The longest text the API takes, in its most expanding Markdown, fits with room to spare.
    for text in (FOUR_BYTES * 10_000, "http://a.b " * 909, ">" * 10_000):
        limits.check_comment_size(text, render(text))
    # A text the API would not take today (imports, a raised limit) is refused by the check.
    big = FOUR_BYTES * 110_000  # 440 KB: over one item
    with pytest.raises(errors.ValidationFailed) as refused:
        limits.check_comment_size(big, render(big))
    assert "bytes" in refused.value.fields["text"]


def test_each_part_of_a_comment_is_checked_on_its_own() -> None:
    # The html (public part) and the source (private part) are two DynamoDB items since issue
    # 15: each may be near 400 KB; one too big is refused even when the other is tiny.
    half = "x" * 300_000
    limits.check_comment_size(half, half)
    for text, html in (("x", "<p>" + "x" * 406_000), ("x" * 406_000, "<p>x</p>")):
        with pytest.raises(errors.ValidationFailed) as refused:
            limits.check_comment_size(text, html)
        assert "bytes" in refused.value.fields["text"]
