"""POST latency with healthy vs stalled notification targets (issue 12).

A reader's post must never wait on a mail server or a webhook. This measures the p50 (and p90)
of `POST /api/v1/comments` on a site that mails its owner and calls a webhook, with:

- healthy targets: a real SMTP server (aiosmtpd) and a webhook receiver answering at once;
- stalled targets: servers on 127.0.0.1 that accept the connection and never say a word.

Two ways in: in process (httpx's ASGI transport, which, like Mangum, returns only after any
background task ran) and through the Lambda handler (`backend.lambda_handler.handler` with a
recorded API Gateway event). The store is a SQLite file in a temporary directory. Ratios are
stalled / healthy: 1.0 means the stall costs a reader nothing.

Run: `../.venv/bin/python notify_latency.py [--posts 200] [--markdown]` from bench/. Every
server listens on 127.0.0.1 only, every run is bounded by --posts; nothing is left running.
Runs against an older checkout too (PYTHONPATH=that checkout, `--no-mail`: before the outbox,
the post ran the webhook in a background task, so each post with a stalled webhook waited for
its timeouts).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import importlib
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
EVENT = BENCH.parent / "tests" / "events" / "apigw-v2-post-comment.json"
ORIGIN = "https://blog.example.com"
KEY = "bench-secret-key-0123456789abcdef"


@contextmanager
def stalled() -> Iterator[int]:
    """Accepts connections and never answers; returns its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


@contextmanager
def webhook_receiver() -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def smtp_receiver() -> Iterator[int]:
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            return "250 OK"

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def environment(db: Path, smtp_port: int, hook_port: int, mail: bool) -> dict[str, str]:
    site: dict[str, Any] = {
        "origins": [ORIGIN],
        "moderation": "none",
        "rate_limit_per_minute": 1_000_000,
        "notify": "all",
        "webhook": f"http://127.0.0.1:{hook_port}/hook",
        "proof": "off",  # writes without proof of work: bench/proof_solve.py measures that
    }
    env = {
        "PARLEY_STORE": f"sqlite:///{db}",
        "PARLEY_SECRET_KEYS": KEY,
        "PARLEY_PUBLIC_URL": "https://api.example.com",
        "PARLEY_SITES": json.dumps({"blog": site}),
    }
    if mail:
        site["notify_emails"] = ["owner@example.org"]
        env["PARLEY_SITES"] = json.dumps({"blog": site})
        env["PARLEY_MAIL"] = f"smtp://127.0.0.1:{smtp_port}?tls=none"
        env["PARLEY_MAIL_FROM"] = "Bench <bench@example.org>"
    return env


def body(n: int) -> dict[str, Any]:
    return {
        "site": "blog", "uri": f"/post-{n % 10}/", "author": "Bench", "email": "b@example.org",
        "text": f"Comment number {n}, long enough to be a comment.", "key": f"bench-key-{n:08d}",
        "hp": "",
    }  # fmt: skip


Poster = Callable[[int], float]  # posts draft number n, returns the seconds it took


@contextmanager
def in_process(env: dict[str, str]) -> Iterator[Poster]:
    """httpx's ASGI transport: like Mangum, it returns once the app returned, background
    tasks included (Starlette's TestClient answers before them, so it would hide a wait)."""
    import httpx

    from backend.app import create_app
    from backend.settings import Settings
    from backend.store import open_store

    settings = Settings.from_env(env)
    store = open_store(settings)
    store.setup()
    app = create_app(settings, store)  # no lifespan worker: deliveries wait in the outbox
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://api.example.com",
        headers={"Origin": ORIGIN},
    )

    def post(n: int) -> float:
        started = time.perf_counter()
        answer = loop.run_until_complete(client.post("/api/v1/comments", json=body(n)))
        took = time.perf_counter() - started
        assert answer.status_code in (201, 202), answer.text
        return took

    try:
        yield post
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
        store.close()


@contextmanager
def through_lambda(env: dict[str, str]) -> Iterator[Poster]:
    """`backend.lambda_handler` imported as Lambda's init phase does (environment first)."""
    from backend.settings import Settings
    from backend.store import open_store

    store = open_store(Settings.from_env(env))
    store.setup()
    store.close()
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        sys.modules.pop("backend.lambda_handler", None)
        module = importlib.import_module("backend.lambda_handler")
    finally:
        os.environ.clear()
        os.environ.update(saved)
        sys.modules.pop("backend.lambda_handler", None)
    template = json.loads(EVENT.read_text(encoding="utf-8"))

    class Context:
        function_name = "parley-bench"
        aws_request_id = "bench"

    def post(n: int) -> float:
        event = copy.deepcopy(template)
        text = json.dumps(body(n))
        event["body"] = text
        event["headers"]["content-length"] = str(len(text.encode()))
        started = time.perf_counter()
        answer = module.handler(event, Context())
        took = time.perf_counter() - started
        assert answer["statusCode"] in (201, 202), answer
        return took

    yield post


def quantile(times: list[float], q: float) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[int(q * 100) - 1]


def measure(
    way: Callable[[dict[str, str]], AbstractContextManager[Poster]], posts: int, mail: bool
) -> dict[str, dict[str, float]]:
    """Healthy and stalled side by side, posts alternating between them, so both see the same
    load on the machine (other work on a shared machine shows up in both alike)."""
    times: dict[str, list[float]] = {"healthy": [], "stalled": []}
    with (
        smtp_receiver() as smtp_ok, webhook_receiver() as hook_ok,
        stalled() as dead_smtp, stalled() as dead_hook,
        tempfile.TemporaryDirectory() as tmp,
        way(environment(Path(tmp) / "ok.db", smtp_ok, hook_ok, mail)) as healthy,
        way(environment(Path(tmp) / "stalled.db", dead_smtp, dead_hook, mail)) as stuck,
    ):  # fmt: skip
        warm = min(20, posts)
        for n in range(warm):  # imports, first connections, caches
            healthy(n)
            stuck(n)
        for n in range(warm, warm + posts):  # new drafts: a replayed key would store nothing
            if n % 2:  # which goes first alternates too
                times["healthy"].append(healthy(n))
                times["stalled"].append(stuck(n))
            else:
                times["stalled"].append(stuck(n))
                times["healthy"].append(healthy(n))
    return {
        name: {"p50_ms": quantile(t, 0.5) * 1000, "p90_ms": quantile(t, 0.9) * 1000}
        for name, t in times.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--no-mail", action="store_true", help="webhook only (older checkouts)")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    rows = []
    for label, way in (("in process (ASGI, httpx)", in_process),
                       ("Lambda handler (Mangum, recorded event)", through_lambda)):  # fmt: skip
        result = measure(way, args.posts, not args.no_mail)
        ratio = result["stalled"]["p50_ms"] / result["healthy"]["p50_ms"]
        rows.append((label, result, ratio))
    if args.markdown:
        print("| way in | healthy p50 | stalled p50 | ratio (p50) | healthy p90 | stalled p90 |")
        print("|---|---|---|---|---|---|")
        for label, r, ratio in rows:
            ok, bad = r["healthy"], r["stalled"]
            print(
                f"| {label} | {ok['p50_ms']:.2f} ms | {bad['p50_ms']:.2f} ms | {ratio:.2f}x "
                f"| {ok['p90_ms']:.2f} ms | {bad['p90_ms']:.2f} ms |"
            )
    else:
        print(json.dumps([{"way": label, **r, "ratio_p50": ratio} for label, r, ratio in rows],
                         indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
