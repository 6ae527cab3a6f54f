"""Parallel writers over real HTTP: nothing lost, nothing duplicated, counters exact."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from backend.app import create_app
from backend.settings import Settings
from backend.store.base import Store
from tests.conftest import ORIGIN
from tests.servers import serve

PARALLEL = 40


def test_parallel_posts_to_one_thread(settings: Settings, store: Store) -> None:
    with (
        serve(create_app(settings, store)) as base,
        httpx.Client(base_url=base, headers={"Origin": ORIGIN}, timeout=30) as http,
    ):

        def post(i: int) -> httpx.Response:
            body = {
                "site": "blog",
                "uri": "/busy/",
                "author": f"reader {i}",
                "email": f"r{i}@example.com",
                "text": f"comment {i}",
                "key": f"parallel-{i:04d}",
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
