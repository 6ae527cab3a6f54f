"""Health, the OpenAPI document, and the static files: widget, demo page, admin page."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import time
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from backend.api.compress import accepts
from backend.api.errors import error_response
from backend.api.http import JSON_TYPE, etag_matches, json_response

if TYPE_CHECKING:
    from backend.api.openapi import Document

STATIC = Path(__file__).resolve().parent.parent / "static"


# GET /healthz
async def healthz(request: Request) -> Response:
    return json_response({"ok": True}, headers={"Cache-Control": "no-store"})


# GET /api/v1/openapi.json — 28 KB of JSON that changes only with a deploy. Built, encoded
# and gzipped (level 9: ~5 KB) once a process, never per request; cached by browsers and
# CloudFront for a day and revalidated with a 304. A client that does not accept gzip still
# gets the plain document (curl without --compressed, some validators): what a flood of those
# can cost is bounded by the sandbox ceiling's bytes a second (backend/domain/ceiling.py),
# like every other answer.
OPENAPI_CACHE = "public, max-age=86400"


_documents: list[Document] = []


def openapi_bytes() -> Document:
    if not _documents:
        from backend.api.http import dumps
        from backend.api.openapi import Document, openapi_document  # not at cold start

        plain = dumps(openapi_document())
        tag = hashlib.blake2b(plain, digest_size=16).hexdigest()
        _documents.append(Document(plain, gzip.compress(plain, 9, mtime=0), tag))
    return _documents[0]


async def openapi(request: Request) -> Response:
    doc = openapi_bytes()
    gzipped = accepts(request.headers.get("accept-encoding", ""), "gzip", "x-gzip")
    etag = f'W/"{doc.tag}"' if gzipped else f'"{doc.tag}"'
    headers = {"Cache-Control": OPENAPI_CACHE, "ETag": etag, "Vary": "Accept-Encoding"}
    if etag_matches(request.headers.get("if-none-match"), etag.removeprefix("W/")):
        return Response(status_code=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
        return Response(doc.gzipped, 200, headers, JSON_TYPE)
    return Response(doc.plain, 200, headers, JSON_TYPE)


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


# The widget is two scripts (widget/build.mjs). GET /embed.js, the loader, is not
# content-hashed, so caches keep it only briefly (max-age=300); after that a browser
# revalidates and gets a 304, not the script again. GET /widget/thread.<hash>.js, the thread
# bundle the loader fetches when a reader nears the comments, is named by its content: cached
# for a year and never revalidated. A client that accepts brotli gets the build's
# precompressed twin (.br, ~11% under gzip); any other is gzipped by GzipResponses. The
# answers the page view reads (counts, the thread) name the bundle in a Parley-Widget header,
# so a copy of the loader on the blog's own host can tell it is not the API's version.
EMBED_TYPE = "text/javascript; charset=utf-8"
EMBED_CACHE = "public, max-age=300"
BUNDLE_CACHE = "public, max-age=31536000, immutable"
EMBED_MISSING = "The widget is not built yet: run `make dev` (or `node widget/build.mjs`)."
WIDGET_HEADER = "Parley-Widget"


@dataclass(frozen=True, slots=True)
class Widget:
    """A widget script as served: its bytes, its brotli twin and its ETag."""

    plain: bytes
    brotli: bytes | None  # None when the build made no twin, or an older one
    tag: str  # of the plain bytes; the brotli answer's ETag is `"{tag}-br"`
    stamp: tuple[int, int]  # the script's (mtime_ns, size) when read


_built: dict[str, Widget] = {}  # by file name: the last one read (a rebuilt file is read again)


def load_script(name: str) -> Widget | None:
    """A built script under static/, read once a process (one stat a request tells a rebuild)."""
    path = STATIC / name
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    known = _built.get(name)
    if known is not None and known.stamp == stamp:
        return known
    plain = path.read_bytes()
    twin = path.with_name(path.name + ".br")
    fresh = twin.is_file() and twin.stat().st_mtime_ns >= stat.st_mtime_ns
    brotli = twin.read_bytes() if fresh else None
    widget = Widget(plain, brotli, hashlib.blake2b(plain, digest_size=16).hexdigest(), stamp)
    _built[name] = widget
    return widget


def load_widget() -> Widget | None:
    """The loader, /embed.js."""
    return load_script("embed.js")


_manifest: list[tuple[tuple[int, int], str | None]] = []


def bundle_name() -> str | None:
    """The current thread bundle's file name (`thread.<hash>.js`), from the build's widget.json."""
    path = STATIC / "widget.json"
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    if _manifest and _manifest[0][0] == stamp:
        return _manifest[0][1]
    try:
        name = json.loads(path.read_bytes()).get("bundle")
    except ValueError:
        name = None
    valid = name if isinstance(name, str) and BUNDLE_NAME.fullmatch(name) else None
    _manifest[:] = [(stamp, valid)]
    return valid


_named: list[tuple[float, dict[str, str]]] = []


def widget_headers() -> dict[str, str]:
    """The header naming the API's bundle, for the answers a page view reads (looked up at
    most once a second: these are the hottest answers)."""
    now = time.monotonic()
    if _named and now - _named[0][0] < 1.0:
        return _named[0][1]
    name = bundle_name()
    headers = {WIDGET_HEADER: name} if name else {}
    _named[:] = [(now, headers)]
    return headers


BUNDLE_NAME = re.compile(r"thread\.[0-9a-f]{12}\.js")


def _script_response(request: Request, widget: Widget, cache_control: str) -> Response:
    brotli = widget.brotli is not None and accepts(request.headers.get("accept-encoding", ""), "br")
    etag = f'"{widget.tag}-br"' if brotli else f'"{widget.tag}"'
    headers = {"Cache-Control": cache_control, "ETag": etag, "Vary": "Accept-Encoding"}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    if brotli and widget.brotli is not None:
        return Response(widget.brotli, 200, {**headers, "Content-Encoding": "br"}, EMBED_TYPE)
    return Response(widget.plain, 200, headers, EMBED_TYPE)


async def embed_js(request: Request) -> Response:
    widget = load_widget()
    if widget is None:
        return error_response(404, "not_found", EMBED_MISSING)
    return _script_response(request, widget, EMBED_CACHE)


# GET /widget/thread.<hash>.js — the current bundle. A loader fetched before a deploy may ask
# for the bundle it was built with: it is sent on to the current one (every bundle takes any
# loader's handoff), by a redirect no cache keeps, so the old name never serves new bytes.
async def thread_js(request: Request) -> Response:
    name = f"thread.{request.path_params['hash']}.js"
    current = bundle_name()
    widget = load_script(f"widget/{current}") if current else None
    if widget is None or current is None:
        return error_response(404, "not_found", EMBED_MISSING)
    if name != current:
        if not BUNDLE_NAME.fullmatch(name):
            return error_response(404, "not_found", "No such widget file.")
        return Response(
            status_code=307,
            headers={"Location": current, "Cache-Control": "no-store"},  # beside the asked name
        )
    return _script_response(request, widget, BUNDLE_CACHE)


# GET /widget/<lang>.js — a language's strings, fetched by the loader for a page in that
# language. Not named by content, so cached briefly like the loader (max-age=300), with an
# ETag of the content (the Lambda zip gives every file the same date, so Last-Modified could
# not tell two versions apart) and a 304 on revalidation.
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")


async def language_js(request: Request) -> Response:
    lang = request.path_params["lang"]
    widget = load_script(f"widget/{lang}.js") if LANGUAGE.fullmatch(lang) else None
    if widget is None:
        return error_response(404, "not_found", "No such widget file.")
    return _script_response(request, widget, EMBED_CACHE)


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
