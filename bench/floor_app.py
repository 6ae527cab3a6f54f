"""The floor: a bare Starlette app under uvicorn that answers the thread read with fixed bytes.

    BENCH_FLOOR_BODY=captured.json .venv/bin/python bench/floor_app.py --port 18082

It serves the body Parley answered for the 100-comment thread, with no work per request, under
the same uvicorn settings as `parley serve` (one process, h11/asyncio as installed, no access
log, no server header).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def build(body: bytes) -> Starlette:
    async def read_thread(request: Request) -> Response:
        return Response(body, 200, media_type="application/json")

    return Starlette(routes=[Route("/api/v1/comments", read_thread)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18082)
    args = parser.parse_args()
    app = build(Path(os.environ["BENCH_FLOOR_BODY"]).read_bytes())
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
