"""Health, the OpenAPI document, and the static files: widget, demo page, admin page."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from backend.api.compress import accepts
from backend.api.errors import error_response
from backend.api.http import etag_matches, json_response

STATIC = Path(__file__).resolve().parent.parent / "static"


# GET /healthz
async def healthz(request: Request) -> Response:
    return json_response({"ok": True}, headers={"Cache-Control": "no-store"})


# GET /api/v1/openapi.json
async def openapi(request: Request) -> Response:
    from backend.api.openapi import openapi_document  # builds every schema: not at cold start

    return json_response(openapi_document(), headers={"Cache-Control": "public, max-age=3600"})


def static_file(
    name: str, media_type: str, cache_control: str, missing: str, **extra: str
) -> object:
    path = STATIC / name
    headers = {"Cache-Control": cache_control, **extra}

    async def endpoint(request: Request) -> Response:
        if not path.is_file():
            return error_response(404, "not_found", missing)
        return FileResponse(path, media_type=media_type, headers=headers)

    return endpoint


# GET /embed.js — not content-hashed, so caches keep it only briefly (max-age=300); after that
# a browser revalidates and gets a 304, not the script again. A client that accepts brotli
# gets the build's precompressed twin (embed.js.br, ~11% under gzip); any other is gzipped by
# GzipResponses. Each answer of the widget is, after the page's own, the largest part of a
# page view's bill (bench/RESULTS.md, cost).
EMBED_TYPE = "text/javascript; charset=utf-8"
EMBED_CACHE = "public, max-age=300"
EMBED_MISSING = "The widget is not built yet: run `make dev` (or `node widget/build.mjs`)."


@dataclass(frozen=True, slots=True)
class Widget:
    plain: bytes
    brotli: bytes | None  # None when the build made no twin, or an older one
    tag: str  # of the plain bytes; the brotli answer's ETag is `"{tag}-br"`
    stamp: tuple[int, int]  # embed.js's (mtime_ns, size) when read


_widget: list[Widget] = []  # the last one read (a rebuilt file is read again)


def load_widget() -> Widget | None:
    """The built widget, read once a process (one stat a request tells a rebuild)."""
    path = STATIC / "embed.js"
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    if _widget and _widget[0].stamp == stamp:
        return _widget[0]
    plain = path.read_bytes()
    twin = STATIC / "embed.js.br"
    fresh = twin.is_file() and twin.stat().st_mtime_ns >= stat.st_mtime_ns
    brotli = twin.read_bytes() if fresh else None
    widget = Widget(plain, brotli, hashlib.blake2b(plain, digest_size=16).hexdigest(), stamp)
    _widget[:] = [widget]
    return widget


async def embed_js(request: Request) -> Response:
    widget = load_widget()
    if widget is None:
        return error_response(404, "not_found", EMBED_MISSING)
    brotli = widget.brotli is not None and accepts(request.headers.get("accept-encoding", ""), "br")
    etag = f'"{widget.tag}-br"' if brotli else f'"{widget.tag}"'
    headers = {"Cache-Control": EMBED_CACHE, "ETag": etag, "Vary": "Accept-Encoding"}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    if brotli and widget.brotli is not None:
        return Response(widget.brotli, 200, {**headers, "Content-Encoding": "br"}, EMBED_TYPE)
    return Response(widget.plain, 200, headers, EMBED_TYPE)


# GET /admin — never framed: a framing page could trick an admin into clicking (X-Frame-Options
# says the same for older browsers; see SecurityHeaders).
admin_page = static_file(
    "admin/index.html",
    "text/html; charset=utf-8",
    "no-cache",
    "The moderation page is missing.",
    **{"Content-Security-Policy": "frame-ancestors 'none'"},
)


LANDING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parley</title><link rel="icon" href="data:,">
<style>body{{font:1.1em/1.6 system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em;
color:#1d1d1d;background:#fff}}a{{color:#0a58ca}}code{{font-size:.95em}}</style></head>
<body><main><h1>Parley</h1>
<p>Comments for static sites. This server answers the widget and the API.</p>
<ul>{demo}
<li><a href="/admin">Moderation page</a> (needs a site's admin token)</li>
<li><a href="/api/v1/openapi.json">API reference</a> (OpenAPI)</li>
</ul>
<p>Put comments on a page:</p>
<pre><code>&lt;script src="{base}/embed.js" data-site="SITE" async&gt;&lt;/script&gt;</code></pre>
</main></body></html>
"""


# GET / — a newcomer's first URL: what this is and where to go, not a JSON 404.
async def landing(request: Request) -> Response:
    from backend.api.context import context  # the module stays free of app state at import

    settings = context(request).settings
    local = settings.store.scheme == "sqlite" and (STATIC / "demo" / "index.html").is_file()
    demo = '\n<li><a href="/demo/">Demo blog post</a> with the comments widget</li>'
    body = LANDING.format(demo=demo if local else "", base=escape(settings.public_url))
    return Response(body, 200, {"Cache-Control": "no-cache"}, "text/html; charset=utf-8")
