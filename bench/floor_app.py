"""The floor: a bare Starlette app under uvicorn that answers the thread read with fixed bytes.

    BENCH_FLOOR_BODY=captured.json .venv/bin/python bench/floor_app.py --port 18082

It serves the body Parley answered for the 100-comment thread, with no work per request, under
the same uvicorn settings as `parley serve` (one process, h11/asyncio as installed, no access
log, no server header).

With BENCH_FLOOR_HEADERS (a JSON file of [name, value] pairs) it answers with those headers
instead of Starlette's two: bench/throughput.py runs it with Parley's own response headers, to
measure what the headers cost a server apart from what Parley's code costs.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def build(body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> Starlette:
    async def read_thread(request: Request) -> Response:
        response = Response(body, 200, media_type="application/json")
        if headers is not None:
            response.raw_headers = headers
        return response

    return Starlette(routes=[Route("/api/v1/comments", read_thread)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18082)
    args = parser.parse_args()
    headers = None
    if os.environ.get("BENCH_FLOOR_HEADERS"):
        pairs = json.loads(Path(os.environ["BENCH_FLOOR_HEADERS"]).read_text())
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]
    app = build(Path(os.environ["BENCH_FLOOR_BODY"]).read_bytes(), headers)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        proxy_headers=False,
        server_header=False,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
