"""The application factory: routes, middleware and the error table, built once per process."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api import comments, counts, meta
from backend.api.cdn import CdnGuard
from backend.api.ceiling import CeilingGuard
from backend.api.comments import KeptReads
from backend.api.compress import GzipResponses
from backend.api.context import Context, inline
from backend.api.cors import CORSMiddleware
from backend.api.errors import http_error, parley_error, server_error
from backend.api.http import SECURITY_HEADERS
from backend.api.lazy import Later, lazy
from backend.domain.errors import ParleyError
from backend.domain.service import CommentService
from backend.domain.tokens import Signer
from backend.settings import Settings
from backend.store.base import Store

log = logging.getLogger("parley")


class SecurityHeaders:
    """Headers every answer with content carries: no MIME sniffing, no framing of our pages, no
    referrer leak. A 204 goes without: it has nothing to sniff, frame or refer from (106 B off
    the loader's check of a built thread, its most common answer: bench/page_model.py)."""

    HEADERS = SECURITY_HEADERS

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] != 204:
                message["headers"] = [*message.get("headers", []), *self.HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


WRITES = "backend.api.writes"  # the reader's writes: imported on the first one
DESK = "backend.api.desk"  # the owner's desk: replies as the author, pins, blocks
ONE = "/api/v1/comments/{comment_id}"


def routes() -> list[BaseRoute]:
    """The page view's routes (thread, counts, widget, health) first, made now with their
    handlers imported; every other route after them, made on first use (`Later`), naming its
    handler as "module:function", imported on first use (cold start: backend/api/lazy.py)."""
    return [
        Route("/api/v1/comments", comments.read_thread, methods=["GET"]),
        Route("/api/v1/counts", counts.counts, methods=["GET"]),
        Route("/healthz", meta.healthz, methods=["GET"]),
        Route("/embed.js", meta.embed_js, methods=["GET"]),
        Route("/widget/thread.{hash:str}.js", meta.thread_js, methods=["GET"]),
        Route("/widget/{lang:str}.js", meta.language_js, methods=["GET"]),
        Mount("/widget", StaticFiles(directory=meta.STATIC / "widget", check_dir=False)),
        Later(later_routes),
    ]


def later_routes() -> list[BaseRoute]:
    """Not on a page view's path."""
    return [
        Route("/api/v1/comments", lazy(f"{WRITES}:post_comment"), methods=["POST"]),
        Route(ONE, lazy(f"{WRITES}:edit_comment"), methods=["PATCH"]),
        Route(ONE, lazy(f"{WRITES}:delete_comment"), methods=["DELETE"]),
        Route(f"{ONE}/likes", lazy(f"{WRITES}:like_comment"), methods=["POST"]),
        Route(f"{ONE}/likes", lazy(f"{WRITES}:unlike_comment"), methods=["DELETE"]),
        Route("/api/v1/comments.html", lazy("backend.api.html:thread_html"), methods=["GET"]),
        Route("/", meta.landing, methods=["GET"]),
        Route("/api/v1/challenge", lazy("backend.api.challenge:challenge"), methods=["GET"]),
        Route("/api/v1/feed.atom", lazy("backend.api.feed:feed"), methods=["GET"]),
        Route("/api/v1/recent", lazy("backend.api.recent:recent"), methods=["GET"]),
        Route("/api/v1/recent.html", lazy("backend.api.recent:recent_html"), methods=["GET"]),
        Route("/api/v1/openapi.json", lazy("backend.api.meta:openapi"), methods=["GET"]),
        Route("/admin", meta.admin_page, methods=["GET"]),  # type: ignore[arg-type]
        Route("/api/v1/admin/comments", lazy("backend.api.admin:queue"), methods=["GET"]),
        Route("/api/v1/admin/counts", lazy("backend.api.admin:status_counts"), methods=["GET"]),
        Route(
            "/api/v1/admin/comments/{comment_id}/{action}",
            lazy("backend.api.admin:act"),
            methods=["POST"],
        ),
        Route("/api/v1/admin/threads/lock", lazy("backend.api.admin:lock"), methods=["POST"]),
        Route("/api/v1/admin/export", lazy("backend.api.admin:export"), methods=["POST"]),
        Route("/api/v1/admin/replies", lazy(f"{DESK}:reply"), methods=["POST"]),
        Route("/api/v1/admin/threads/pin", lazy(f"{DESK}:pin"), methods=["POST"]),
        Route("/api/v1/admin/blocks", lazy(f"{DESK}:blocks"), methods=["GET"]),
        Route("/api/v1/admin/blocks", lazy(f"{DESK}:block"), methods=["POST"]),
        Route("/api/v1/admin/blocks", lazy(f"{DESK}:unblock"), methods=["DELETE"]),
        Route("/api/v1/admin/search", lazy(f"{DESK}:search"), methods=["POST"]),
        Route("/api/v1/admin/erase", lazy("backend.api.admin:erase"), methods=["POST"]),
        Route("/webmention", lazy("backend.api.webmention:receive"), methods=["POST"]),
        Route(
            "/api/v1/admin/threads/announce",
            lazy("backend.api.announce:announce"),
            methods=["POST"],
        ),
        Route("/api/v1/announce", lazy("backend.api.announce:suggest"), methods=["POST"]),
        Route("/moderate/{signed}", lazy("backend.api.moderate:confirm"), methods=["GET"]),
        Route("/moderate/{signed}", lazy("backend.api.moderate:act"), methods=["POST"]),
        Route(
            "/subscriptions/{signed}",
            lazy("backend.api.subscriptions:confirm"),
            methods=["GET"],
        ),
        Route("/subscriptions/{signed}", lazy("backend.api.subscriptions:act"), methods=["POST"]),
        Mount("/admin", StaticFiles(directory=meta.STATIC / "admin", check_dir=False)),
        Mount("/demo", StaticFiles(directory=meta.STATIC / "demo", html=True, check_dir=False)),
    ]


def create_app(
    settings: Settings,
    store: Store,
    *,
    clock: Callable[[], float] = time.time,
    run_worker: bool = False,
    one_request_at_a_time: bool = False,
) -> Starlette:
    """Build Parley for one process. Everything a request needs hangs off `app.state.parley`;
    nothing lives in module globals, which on Lambda would outlive the request.

    `run_worker` runs the notification worker as a task of the app's lifespan (`parley
    serve`); on Lambda a second function delivers instead (backend/notify/lambda_worker.py).
    `one_request_at_a_time` (Lambda) runs the store's blocking calls on the event loop's thread
    instead of a worker thread (`backend.api.context.inline`)."""
    signer = Signer(settings.secret_keys)
    ctx = Context(
        settings=settings,
        store=store,
        signer=signer,
        comments=CommentService(settings, store, signer, clock=clock),
        clock=clock,
    )
    if one_request_at_a_time:
        ctx.blocking = inline

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not run_worker:
            yield
            return
        from backend.notify.runner import Runner

        runner = Runner(ctx.worker)
        before, ctx.wake = ctx.wake, runner.wake
        try:
            async with runner.running():
                yield
        finally:
            ctx.wake = before

    app = Starlette(
        lifespan=lifespan,
        routes=routes(),
        middleware=[
            # Lambda: what a sandbox may answer a second, outermost so it counts wire bytes.
            *(
                [Middleware(CeilingGuard, settings=settings, ceiling=settings.ceiling)]
                if settings.ceiling
                else []
            ),
            # A kept page of a thread answered before any of what follows is built for it.
            Middleware(KeptReads, ctx=ctx, cdn_secrets=settings.cdn_secrets),
            Middleware(GzipResponses),
            Middleware(SecurityHeaders),
            # Behind a CDN only: without a secret the guard would pass every request through,
            # a layer every request pays for (bench/throughput.py).
            *([Middleware(CdnGuard, secrets=settings.cdn_secrets)] if settings.cdn_secrets else []),
            Middleware(CORSMiddleware, settings=settings),
        ],
        exception_handlers={
            ParleyError: parley_error,
            HTTPException: http_error,
            Exception: server_error,
        },
    )
    app.state.parley = ctx
    return app
