"""Small helpers for talking to the API in tests."""

from __future__ import annotations

import itertools
from html.parser import HTMLParser
from typing import Any

import altcha
import feedparser
from starlette.testclient import TestClient

_keys = itertools.count()


def solve(challenge: dict[str, Any]) -> str:
    """The `proof` a real ALTCHA client sends for this challenge: the library's own solver and
    payload class (the oracle of the format)."""
    made = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(made, timeout=30)
    assert solution is not None, "the challenge could not be solved"
    return altcha.Payload(made, solution).to_base64()


def proof(client: Any, site: str = "blog", headers: dict[str, str] | None = None) -> str:
    """Fetch a challenge for `site` and solve it (tests configure a low difficulty)."""
    response = client.get("/api/v1/challenge", params={"site": site}, headers=headers or {})
    assert response.status_code == 200, response.text
    return solve(response.json())


def new_key() -> str:
    return f"draft-{next(_keys):06d}"


def post(
    client: TestClient,
    *,
    site: str = "blog",
    uri: str = "/post/",
    expect: int | None = 201,
    **fields: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "site": site, "uri": uri, "author": "JKB", "email": "jkb@example.com",
        "text": "The fall of Assad is a heavy blow.", "key": new_key(), "hp": "",
    }  # fmt: skip
    body.update(fields)
    if "proof" not in body:
        body["proof"] = proof(client, site)
    response = client.post("/api/v1/comments", json=body)
    if expect is not None:
        assert response.status_code == expect, response.text
    data: dict[str, Any] = response.json()
    return data


def read(client: TestClient, uri: str = "/post/", site: str = "blog", **params: Any) -> Any:
    response = client.get("/api/v1/comments", params={"site": site, "uri": uri, **params})
    assert response.status_code == 200, response.text
    return response.json()


def atom(response: Any) -> Any:
    """An Atom answer as feedparser (the reference parser feed readers use, not our own XML)
    reads it, given the answer's media type; anything it finds wrong (`bozo`) fails the test.
    Its own HTML sanitizer is off: the test sees the markup Parley sent, not a cleaned copy."""
    assert response.status_code == 200, response.text
    headers = {"content-type": response.headers["content-type"]}
    feed = feedparser.parse(response.content, response_headers=headers, sanitize_html=False)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def error_of(response: Any) -> dict[str, Any]:
    data = response.json()
    assert set(data) == {"error"}, data
    assert set(data["error"]) == {"code", "message", "fields"}, data
    error: dict[str, Any] = data["error"]
    return error


def parse_tags(html: str) -> list[tuple[str, dict[str, str]]]:
    """Every real element in an HTML fragment, with its attributes (escaped text is not one)."""
    tags: list[tuple[str, dict[str, str]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags.append((tag, {k: v or "" for k, v in attrs}))

    Collector().feed(html)
    return tags


def drop_thread(store: Any, site: str, uri: str) -> None:
    """Delete a thread and everything in it behind the store's back, as an operator deleting
    rows by hand (or restoring a backup that did not hold it) would: no API does it."""
    from backend.store.dynamo import DynamoStore
    from backend.store.dynamo.items import thread_key
    from backend.store.sqlite import SQLiteStore

    if isinstance(store, SQLiteStore):
        with store._write() as conn:
            for table in ("likes", "comments", "threads"):
                conn.execute(f"DELETE FROM {table} WHERE site = ? AND uri = ?", (site, uri))
        return
    assert isinstance(store, DynamoStore), type(store)
    client, pk = store.client, thread_key(site, uri)["pk"]
    found = client.query(
        TableName=store.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": pk},
        ProjectionExpression="pk, sk",
    )
    for key in found["Items"]:
        client.delete_item(TableName=store.table, Key=key)
