"""Per-request CPU of a kept read through uvicorn's HTTP/1.1 layer, in process: no sockets.

    .venv/bin/python bench/server_cost.py   (after bench/throughput.py, whose thread it reads)

bench/throughput.py measures the servers' CPU under wrk: the kernel's socket work (the same for
every server), the event loop and the shared machine's noise come with it. This drives each app
through uvicorn's own h11 protocol (`H11Protocol`, as `parley serve` and the floor run it) with
a transport that keeps nothing, request after request on one keep-alive connection, and counts
CPU time (time.process_time): what uvicorn, h11 and the app spend on a read, without the rest.

Four apps answer the thread of bench/throughput.py's last run (its database, its captured body
and headers): the floor (bench/floor_app.py), the floor sending Parley's headers, Parley, and
Parley without its kept-read fast path (bench/parley_general.py's app). The apps alone (no
uvicorn) are timed too, for the thread's read and for the widget's own (a first page of 10,
with an Origin and gzip accepted). Rounds alternate the apps; medians are reported.
Writes results/server_cost.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from typing import Any

import lib
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

N = 2000
ROUNDS = 5
Scope = dict[str, Any]


class Sink(asyncio.Transport):
    """A connection that takes every byte and never closes."""

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        known = {"peername": (lib.HOST, 50000), "sockname": (lib.HOST, lib.PORTS["parley"])}
        return known.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def through_uvicorn_us(app: Any, request: bytes, n: int = N) -> float:
    config = Config(app=app, proxy_headers=False, server_header=False, access_log=False)
    config.load()
    protocol = H11Protocol(config=config, server_state=ServerState(), app_state={})
    protocol.connection_made(Sink())
    answered = asyncio.Event()
    complete = protocol.on_response_complete

    def on_response_complete() -> None:  # what the cycle calls once the answer is written
        complete()
        answered.set()

    protocol.on_response_complete = on_response_complete  # type: ignore[method-assign]

    async def one() -> None:
        answered.clear()
        protocol.data_received(request)
        await answered.wait()

    for _ in range(100):
        await one()
    t0 = time.process_time()
    for _ in range(n):
        await one()
    return (time.process_time() - t0) / n * 1e6


async def app_alone_us(app: Any, scope: Scope, n: int = N) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    statuses: set[int] = set()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    for _ in range(100):
        await app(dict(scope), receive, send)
    t0 = time.process_time()
    for _ in range(n):
        await app(dict(scope), receive, send)
    assert statuses == {200}, statuses
    return (time.process_time() - t0) / n * 1e6


def scope_for(query: str, headers: list[tuple[bytes, bytes]]) -> Scope:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/api/v1/comments", "raw_path": b"/api/v1/comments",
        "root_path": "", "query_string": query.encode(), "headers": headers,
        "client": (lib.HOST, 50000), "server": (lib.HOST, lib.PORTS["parley"]),
    }  # fmt: skip


def main() -> None:
    work = lib.WORK / "throughput"
    os.environ.update(lib.parley_env(work / "parley.db"))
    import floor_app

    from backend.api.comments import KeptReads
    from backend.app import create_app
    from backend.settings import Settings
    from backend.store import open_store

    settings = Settings.from_env()
    store = open_store(settings)
    body = (work / "thread-100.json").read_bytes()
    pairs = json.loads((work / "parley-headers.json").read_text())
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs]
    general = create_app(settings, store)
    general.user_middleware = [m for m in general.user_middleware if m.cls is not KeptReads]
    apps = {
        "floor": floor_app.build(body),
        "floor+headers": floor_app.build(body, headers),
        "parley": create_app(settings, store),
        "parley-general": general,
    }
    query = f"site={lib.SITE}&uri={lib.THREAD_URI}&limit=100"
    request = f"GET /api/v1/comments?{query} HTTP/1.1\r\nHost: {lib.HOST}\r\n\r\n".encode()
    widget_query = f"site={lib.SITE}&uri={lib.THREAD_URI}&limit=10"
    widget = [(b"origin", lib.PAGE_ORIGIN.encode()), (b"accept-encoding", b"gzip, deflate, br")]

    async def measure() -> dict[str, dict[str, list[float]]]:
        found: dict[str, dict[str, list[float]]] = {"through_uvicorn": {}, "app_alone": {}}
        found["widget_read_app_alone"] = {}
        for _ in range(ROUNDS):
            for name, app in apps.items():
                us = await through_uvicorn_us(app, request)
                found["through_uvicorn"].setdefault(name, []).append(us)
                us = await app_alone_us(app, scope_for(query, []))
                found["app_alone"].setdefault(name, []).append(us)
                if name.startswith("parley"):
                    us = await app_alone_us(app, scope_for(widget_query, widget))
                    found["widget_read_app_alone"].setdefault(name, []).append(us)
        return found

    runs = asyncio.run(measure())
    result: dict[str, Any] = {"rounds": runs}
    result["median_us"] = {
        kind: {name: statistics.median(v) for name, v in each.items()}
        for kind, each in runs.items()
    }
    through = result["median_us"]["through_uvicorn"]
    result["floor_over"] = {name: through["floor"] / us for name, us in through.items()}
    lib.save("server_cost", result)
    for kind, each in runs.items():
        print(
            kind,
            {
                name: f"{statistics.median(v):.1f} ({min(v):.0f}-{max(v):.0f})"
                for name, v in each.items()
            },
        )
    print(
        "floor / each, through uvicorn:", {k: round(v, 2) for k, v in result["floor_over"].items()}
    )


if __name__ == "__main__":
    main()
