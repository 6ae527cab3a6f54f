"""Parley with its kept-read fast path taken out: the general path, for bench/throughput.py.

    PARLEY_STORE=... PARLEY_SITES=... .venv/bin/python bench/parley_general.py --port 18086

Built as `parley serve` builds Parley (the same settings from the environment, the store set
up, the notification worker in the lifespan, the same uvicorn options), less one middleware:
`KeptReads` (backend/api/comments.py), so every read goes through Starlette's routing, the
route's handler and the middlewares, as every read did before that fast path. Run beside
`parley serve` on the same database, it measures the fast path in the same rounds.
"""

from __future__ import annotations

import argparse

import uvicorn

from backend.api.comments import KeptReads
from backend.app import create_app
from backend.settings import Settings
from backend.store import open_store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = Settings.from_env()
    store = open_store(settings)
    store.setup()
    app = create_app(settings, store, run_worker=True)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not KeptReads]
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
