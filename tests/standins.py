"""Local stand-ins for the open web: a blog, a Mastodon and a Bluesky server, and hostile
hosts, as one Starlette app served on 127.0.0.1 (tests/servers.py). Their responses are
written here, shaped as each service documents them (Mastodon's Status and Context entities,
Bluesky's app.bsky.feed.getPostThread output, microformats2 h-entry markup); a test changes
what they serve through `pages`, `statuses` and `threads`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

MB = 1024 * 1024


@dataclass
class StandIn:
    pages: dict[str, tuple[int, str]] = field(default_factory=dict)  # path: (status, html)
    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)  # status id: Context
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)  # status id: Status
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)  # at-uri: thread output
    hits: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def page(request: Request) -> Response:
            path = request.url.path
            self.hits.append(path)
            if path not in self.pages:
                return Response("not here", 404, media_type="text/plain")
            status, html = self.pages[path]
            return Response(html, status, media_type="text/html; charset=utf-8")

        async def context(request: Request) -> Response:
            sid = request.path_params["sid"]
            self.hits.append(request.url.path)
            if sid not in self.contexts:
                return JSONResponse({"error": "Record not found"}, 404)
            return JSONResponse(self.contexts[sid])

        async def status(request: Request) -> Response:
            sid = request.path_params["sid"]
            self.hits.append(request.url.path)
            if sid not in self.statuses:
                return JSONResponse({"error": "Record not found"}, 404)
            return JSONResponse(self.statuses[sid])

        async def post_thread(request: Request) -> Response:
            uri = request.query_params.get("uri", "")
            self.hits.append(request.url.path)
            if uri not in self.threads:
                return JSONResponse({"error": "NotFound", "message": f"Post not found: {uri}"}, 400)
            return JSONResponse(self.threads[uri])

        async def to_loopback(request: Request) -> Response:
            return RedirectResponse(f"http://127.0.0.1:{request.url.port}/secret", 302)

        async def to_metadata(request: Request) -> Response:
            return RedirectResponse("http://169.254.169.254/latest/meta-data/", 302)

        async def loop(request: Request) -> Response:
            return RedirectResponse("/hostile/loop", 302)

        async def huge(request: Request) -> Response:
            async def body() -> AsyncIterator[bytes]:
                chunk = b"<p>" + b"x" * (64 * 1024 - 3)
                for _ in range(50 * MB // len(chunk)):
                    yield chunk

            return StreamingResponse(body(), media_type="text/html")

        async def huge_declared(request: Request) -> Response:
            return Response(
                b"", headers={"content-length": str(50 * MB), "content-type": "text/html"}
            )

        async def drip(request: Request) -> Response:
            async def body() -> AsyncIterator[bytes]:
                for _ in range(600):
                    yield b"<"
                    await asyncio.sleep(0.05)

            return StreamingResponse(body(), media_type="text/html")

        async def image(request: Request) -> Response:
            return Response(b"\x89PNG\r\n", media_type="image/png")

        async def secret(request: Request) -> Response:
            self.hits.append("/secret")
            return Response("internal", media_type="text/html")

        return Starlette(
            routes=[
                Route("/api/v1/statuses/{sid}/context", context),
                Route("/api/v1/statuses/{sid}", status),
                Route("/xrpc/app.bsky.feed.getPostThread", post_thread),
                Route("/hostile/to-loopback", to_loopback),
                Route("/hostile/to-metadata", to_metadata),
                Route("/hostile/loop", loop),
                Route("/hostile/huge", huge),
                Route("/hostile/huge-declared", huge_declared),
                Route("/hostile/drip", drip),
                Route("/hostile/image", image),
                Route("/secret", secret),
                Route("/{path:path}", page),
            ]
        )


PUBLIC = "93.184.216.34"  # a public address the stand-ins pretend to live at


class Relay(httpx.BaseTransport):
    """An httpx transport that carries requests addressed to `PUBLIC` to a stand-in on
    127.0.0.1, and records every address a request was sent to. It lets a test run the guard
    with private addresses refused while the 'public' host is a local stand-in."""

    def __init__(self, base: str) -> None:
        self.port = int(base.rsplit(":", 1)[1])
        self.inner = httpx.HTTPTransport()
        self.sent: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(str(request.url.host))
        if request.url.host == PUBLIC:
            request.url = request.url.copy_with(host="127.0.0.1", port=self.port)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
