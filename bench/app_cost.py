"""Per-request app cost without sockets: Parley's ASGI app against the floor app, in process.

    .venv/bin/python bench/app_cost.py

Calls each app directly with an HTTP scope for the 100-comment thread read (fake receive/send,
no server, no network), many times, and reports microseconds per call: what Parley's own code
(middleware, routing, parameter parsing, the cache's stamp lookup, headers) adds on top of the
floor, separated from what uvicorn and h11 cost both of them. Also times the pieces of the read
path one by one, and what h11 (uvicorn's HTTP/1.1 layer) spends writing the response head with
Parley's headers against the floor's two. Times are CPU time (time.process_time): on a shared
machine wall time also counts waiting for a core. Writes results/app_cost.json.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import lib

N = 3000
Scope = dict[str, Any]
App = Callable[[Scope, Any, Any], Awaitable[None]]


def scope_for(query: str) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/v1/comments",
        "raw_path": b"/api/v1/comments",
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def per_call_us(app: App, scope: Scope, n: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    sent: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent.append(message["status"])

    for _ in range(50):
        await app(dict(scope), receive, send)
    samples = []
    for _ in range(5):
        t0 = time.process_time()
        for _ in range(n // 5):
            await app(dict(scope), receive, send)
        samples.append((time.process_time() - t0) / (n // 5) * 1e6)
    assert set(sent) == {200}, set(sent)
    return statistics.median(samples)


async def response_head(app: App, scope: Scope) -> list[tuple[bytes, bytes]]:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    head: list[tuple[bytes, bytes]] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            head.extend(message["headers"])

    await app(dict(scope), receive, send)
    return head


def timed_us(fn: Callable[[], object], n: int = N) -> float:
    for _ in range(20):
        fn()
    t0 = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t0) / n * 1e6


def head_us(headers: list[tuple[bytes, bytes]], n: int = N) -> float:
    """h11's CPU for one response head with these headers (a parsed GET, then the head)."""
    import h11

    def once() -> None:
        conn = h11.Connection(h11.SERVER)
        conn.receive_data(b"GET /api/v1/comments HTTP/1.1\r\nhost: x\r\n\r\n")
        conn.next_event()
        conn.send(h11.Response(status_code=200, headers=headers))

    return timed_us(once, n)


def main() -> None:
    work = lib.WORK / "app_cost"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "parley.db"
    with lib.parley_server(db):
        lib.post_parley(lib.PORTS["parley"], lib.THREAD_URI, 100)
    os.environ.update(lib.parley_env(db))

    import floor_app
    from starlette.requests import Request

    from backend.api.query import ReadQuery
    from backend.app import create_app
    from backend.settings import Settings
    from backend.store import open_store

    settings = Settings.from_env()
    store = open_store(settings)
    app = create_app(settings, store)
    query = f"site={lib.SITE}&uri={lib.THREAD_URI}&limit=100"
    scope = scope_for(query)
    body = (lib.WORK / "throughput" / "thread-100.json").read_bytes()
    floor = floor_app.build(body)

    async def both() -> dict[str, float]:
        out = {}
        # alternate, three times each
        p, f = [], []
        for _ in range(3):
            p.append(await per_call_us(app, scope, N))
            f.append(await per_call_us(floor, scope, N))
        out["parley_app_us"] = statistics.median(p)
        out["floor_app_us"] = statistics.median(f)
        return out

    result: dict[str, Any] = asyncio.run(both())
    sqlite_store: Any = store
    result["pieces_us"] = {
        "thread_stamp (SQLite PK lookup)": timed_us(
            lambda: sqlite_store.thread_stamp(lib.SITE, lib.THREAD_URI)
        ),
        "read query (query string -> ReadQuery, by hand)": timed_us(
            lambda: ReadQuery.parse(Request(scope_for(query)).query_params.multi_items())
        ),
        "uncached: service.read limit=100 (store query + rows)": timed_us(
            lambda: app.state.parley.comments.read(lib.SITE, lib.THREAD_URI, None, 100), 200
        ),
    }
    result["parley_minus_floor_us"] = result["parley_app_us"] - result["floor_app_us"]
    # The response heads as each app sends them (uvicorn adds the same date header to both).
    heads = {}
    for name, each in (("parley", app), ("floor", floor)):
        heads[name] = asyncio.run(response_head(each, scope))
    result["response_headers"] = {k: [n.decode() for n, _ in v] for k, v in heads.items()}
    result["h11_head_us"] = {k: head_us(v) for k, v in heads.items()}
    lib.save("app_cost", result)
    print(result)


if __name__ == "__main__":
    main()
