"""How cost grows with work: reads of 10 to 10,000-comment threads, counts, posts.

    .venv/bin/python bench/scaling.py

Seeding: the 10-, 100- and 1,000-comment threads are posted through Parley's HTTP API (their
post latencies are the post figures); the 10,000-comment thread and the 100 one-comment
threads for counts go through the domain service in process (`CommentService.post`, the code
the API calls, on the same SQLite file, before the server starts), since 10,000 HTTP posts
would take minutes. Then, with `parley serve` running:

- read latency per thread size, a page of 50 (limit=50): wrk -t1 -c1 (no queueing) and -c16;
- the uncached read path in process (`CommentService.read`, limit 50, no read cache);
- counts for 1, 10 and 100 uris: wrk -t1 -c1 and -c16.

Writes results/scaling.json.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from typing import Any

import lib

SIZES = (10, 100, 1000, 10000)
HTTP_SEEDED = (10, 100, 1000)
LAT_SECONDS = 3


def uri_of(n: int) -> str:
    return f"/bench/thread-{n}/"


def seed_in_process(db: Any) -> dict[str, float]:
    os.environ.update(lib.parley_env(db))
    from backend.domain.drafts import Draft
    from backend.domain.service import CommentService
    from backend.domain.tokens import Signer
    from backend.settings import Settings
    from backend.store import open_store

    settings = Settings.from_env()
    store = open_store(settings)
    store.setup()
    service = CommentService(settings, store, Signer(settings.secret_keys))

    def post(uri: str, i: int) -> None:
        draft = Draft(
            uri=uri, title="Bench thread", parent=None, author=f"Reader {i}",
            email=f"reader{i}@example.com", website=None, text=lib.comment_text(i),
            key=f"seed-{uri.strip('/').replace('/', '-')}-{i:06d}"[-64:], honeypot="",
        )  # fmt: skip
        service.post(lib.SITE, draft, f"10.{i % 250}.{i // 250 % 250}.1")

    t0 = time.perf_counter()
    for i in range(10000):
        post(uri_of(10000), i)
    seconds_10k = time.perf_counter() - t0
    for u in range(100):
        post(f"/bench/count/{u}/", u)
    return {"seed_10000_in_process_s": seconds_10k}


def uncached_read_us(db: Any) -> dict[str, float]:
    from backend.domain.service import CommentService
    from backend.domain.tokens import Signer
    from backend.settings import Settings
    from backend.store import open_store

    settings = Settings.from_env()
    store = open_store(settings)
    service = CommentService(settings, store, Signer(settings.secret_keys))
    out = {}
    for n in SIZES:
        samples = []
        for _ in range(50):
            t0 = time.perf_counter()
            page = service.read(lib.SITE, uri_of(n), None, 50)
            samples.append((time.perf_counter() - t0) * 1e6)
        assert len(page.comments) == min(n, 50)
        out[str(n)] = statistics.median(samples)
    return out


def main() -> None:
    work = lib.WORK / "scaling"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "parley.db"
    lib.log("seeding 10,000 comments + 100 count threads in process")
    result: dict[str, Any] = seed_in_process(db)
    port = lib.PORTS["parley"]
    base = f"http://{lib.HOST}:{port}/api/v1"
    with lib.parley_server(db):
        posts: list[float] = []
        for n in HTTP_SEEDED:
            lib.log(f"posting {n} comments over HTTP")
            posts += lib.post_parley(port, uri_of(n), n)
        posts_ms = sorted(t * 1000 for t in posts)
        result["post_ms"] = {
            "count": len(posts_ms),
            "p50": statistics.median(posts_ms),
            "p99": posts_ms[int(len(posts_ms) * 0.99) - 1],
            "max": posts_ms[-1],
            "how": "sequential POST /api/v1/comments over HTTP (urllib, new connection each)",
        }
        reads: dict[str, Any] = {}
        for n in SIZES:
            url = f"{base}/comments?site={lib.SITE}&uri={uri_of(n)}&limit=50"
            status, body, _ = lib.request("GET", url)
            assert status == 200 and body.count(lib.MARKER.encode()) == min(n, 50)
            reads[str(n)] = {
                "c1": lib.wrk(f"read-{n}-c1", url, seconds=LAT_SECONDS, conns=1).__dict__,
                "c16": lib.wrk(f"read-{n}-c16", url, seconds=LAT_SECONDS).__dict__,
                "bytes": len(body),
            }
            lib.log(f"read {n}: p50 {reads[str(n)]['c1']['p50_ms']} ms (c1)")
        result["read_page50"] = reads
        counts: dict[str, Any] = {}
        for k in (1, 10, 100):
            query = "&".join(f"uri=/bench/count/{u}/" for u in range(k))
            url = f"{base}/counts?site={lib.SITE}&{query}"
            status, body, _ = lib.request("GET", url)
            assert status == 200, (status, body[:200])
            counts[str(k)] = {
                "c1": lib.wrk(f"counts-{k}-c1", url, seconds=LAT_SECONDS, conns=1).__dict__,
                "c16": lib.wrk(f"counts-{k}-c16", url, seconds=LAT_SECONDS).__dict__,
            }
            lib.log(f"counts {k}: p50 {counts[str(k)]['c1']['p50_ms']} ms (c1)")
        result["counts"] = counts
    result["uncached_service_read_page50_us"] = uncached_read_us(db)
    lib.save("scaling", result)


if __name__ == "__main__":
    main()
