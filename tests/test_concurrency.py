"""Parallel writers over real HTTP, on every store (SQLite and AWS's DynamoDB Local): no 5xx,
nothing lost, nothing duplicated, counters exact."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import httpx

from backend.app import create_app
from backend.settings import Settings
from backend.store.base import Store
from tests.conftest import ORIGIN
from tests.helpers import proof
from tests.servers import serve

PARALLEL = 50  # posts to one thread; as many likes of one comment
REPLIES = 30  # replies to one parent


def test_parallel_posts_to_one_thread(settings: Settings, store: Store) -> None:
    with (
        serve(create_app(settings, store)) as base,
        httpx.Client(base_url=base, headers={"Origin": ORIGIN}, timeout=30) as http,
    ):
        proofs = [proof(http) for _ in range(PARALLEL)]  # a retry resends its draft's proof

        def post(i: int) -> httpx.Response:
            body = {
                "site": "blog",
                "uri": "/busy/",
                "author": f"reader {i}",
                "email": f"r{i}@example.com",
                "text": f"comment {i}",
                "key": f"parallel-{i:04d}",
                "proof": proofs[i],
            }
            return http.post("/api/v1/comments", json=body)

        with ThreadPoolExecutor(PARALLEL) as pool:
            first = list(pool.map(post, range(PARALLEL)))
            # Every draft retried at once: the idempotency keys must absorb all of them.
            retried = list(pool.map(post, range(PARALLEL)))

        assert [r.status_code for r in first] == [201] * PARALLEL
        assert [r.json()["comment"]["id"] for r in retried] == [
            r.json()["comment"]["id"] for r in first
        ]

        comments: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            params = {
                "site": "blog",
                "uri": "/busy/",
                "limit": 15,
                **({"after": after} if after else {}),
            }
            page = http.get("/api/v1/comments", params=params).json()
            comments += page["comments"]
            after = page["next"]
            if after is None:
                break
        assert page["thread"]["count"] == PARALLEL
        assert [c["number"] for c in comments] == list(range(1, PARALLEL + 1))
        assert sorted(c["author"] for c in comments) == sorted(
            f"reader {i}" for i in range(PARALLEL)
        )
        counts = http.get("/api/v1/counts", params={"site": "blog", "uri": "/busy/"}).json()
        assert counts == {"counts": {"/busy/": PARALLEL}}


def test_parallel_likes_and_replies_on_one_comment(settings: Settings, store: Store) -> None:
    # One trusted proxy hop, so each reader comes from its own network (voters are per network).
    proxied = replace(settings, trusted_proxies=1)
    with (
        serve(create_app(proxied, store)) as base,
        httpx.Client(base_url=base, headers={"Origin": ORIGIN}, timeout=30) as http,
    ):
        body = {"site": "blog", "uri": "/popular/", "author": "Ann", "email": "ann@example.com"}
        first = http.post(
            "/api/v1/comments",
            json={**body, "text": "first", "key": "popular-0", "proof": proof(http)},
        )
        target = first.json()["comment"]["id"]

        def like(i: int) -> httpx.Response:
            reader = {"X-Forwarded-For": f"10.{i // 250}.{i % 250}.7"}
            thread = {"site": "blog", "uri": "/popular/"}
            return http.post(f"/api/v1/comments/{target}/likes", json=thread, headers=reader)

        def reply(i: int) -> httpx.Response:
            text = {"text": f"reply {i}", "key": f"popular-reply-{i:03d}", "parent": target,
                    "proof": proof(http)}  # fmt: skip
            reader = {"X-Forwarded-For": f"10.9.{i}.7"}
            return http.post("/api/v1/comments", json={**body, **text}, headers=reader)

        with ThreadPoolExecutor(PARALLEL) as pool:
            likes = list(pool.map(like, range(PARALLEL)))
            replies = list(pool.map(reply, range(REPLIES)))

        assert [r.status_code for r in likes] == [200] * PARALLEL, [r.text for r in likes]
        assert [r.status_code for r in replies] == [201] * REPLIES, [r.text for r in replies]
        page = http.get("/api/v1/comments", params={"site": "blog", "uri": "/popular/"}).json()
        liked = page["comments"][0]
        assert (liked["id"], liked["likes"], liked["replies"]) == (target, PARALLEL, REPLIES)
        assert page["thread"]["count"] == 1 + REPLIES
        assert max(r.json()["likes"] for r in likes) == PARALLEL
