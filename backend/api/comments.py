"""Reading a thread: the page view, and so the request Lambda most often starts a sandbox on.

Two paths answer `GET /api/v1/comments`: `KeptReads`, in front of Starlette, answers a page kept
in memory; `read_thread`, the route's handler, answers everything else. This module and what it
imports stay off pydantic (bench/RESULTS.md, "Cold start"): the query is checked by
`backend.api.query`, the answer built by `backend.api.views`. The reader's writes live in
`backend.api.writes`, imported on first use.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from backend.api.cache import Cached, KnownQuery
from backend.api.cdn import HEADER as CDN_HEADER
from backend.api.cdn import admits
from backend.api.compress import MIN_BYTES, accepts_gzip, gzipped, weak
from backend.api.context import Context, context
from backend.api.cors import EXPOSE
from backend.api.http import JSON_TYPE, SECURITY_HEADERS, dumps, etag_matches
from backend.api.meta import widget_headers
from backend.api.query import ReadQuery
from backend.api.views import page_view

PATH = "/api/v1/comments"
# Browsers revalidate every time; a CDN in front may serve a read for a few seconds.
READ_CACHE_CONTROL = "public, max-age=0, s-maxage=10, must-revalidate"
# The thread stamp `KeptReads` looked up for a read it passed on to the handler, as
# (cache key, stamp, the lookup's error): the handler uses it rather than asking the store again.
LOOKED = "parley.looked"
Looked = tuple[tuple[str, ...], str | None, Exception | None]
RawHeaders = list[tuple[bytes, bytes]]


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


# The server-rendered fragment's markup (backend/api/html.py): a part of its ETag, so a deploy
# that changes what the fragment says moves every thread's tag. Raise it with any change to the
# markup render_thread writes, or to what the tag is made of (3: the stamp carries the thread's
# creation). A build's tag from before then matches nothing: its check reads as changed.
MARKUP = "3"


def fragment_tag(ctx: Context, site: str, uri: str, sort: str, stamp: str) -> str:
    """The ETag of the fragment's first page under the thread's stamp (every write a reader
    can see moves it): asked about, it is answered from the stamp alone, without the Query."""
    key = (MARKUP, ctx.settings.public_url, stamp, site, uri, "", "html", sort)
    return etag_of("\n".join(key).encode())


async def stamp_of(ctx: Context, site: str, uri: str) -> str | None:
    if ctx.store.cheap_stamps:
        return ctx.store.thread_stamp(site, uri)
    return await ctx.blocking(ctx.store.thread_stamp, site, uri)


def cached_response(request: Request, entry: Cached) -> Response:
    headers = {"ETag": entry.etag, "Cache-Control": READ_CACHE_CONTROL, **widget_headers()}
    if etag_matches(request.headers.get("if-none-match"), entry.etag):
        return Response(status_code=304, headers=headers)
    return Response(entry.body, 200, headers, "application/json")


async def kept(request: Request, known: KnownQuery) -> Cached | None:
    """The answer kept for this query, if the thread's stamp says it still stands."""
    ctx = context(request)
    looked: Looked | None = request.scope.get(LOOKED)
    if looked is not None and looked[0] == known.key:  # `KeptReads` asked the store already
        if looked[2] is not None:
            raise looked[2]
        return ctx.cache.get(known.key, looked[1])
    if ctx.store.cheap_stamps:
        # A primary-key lookup on a local file; in WAL mode it never waits for a writer, so it
        # runs on the event loop rather than paying for a hop to a worker thread.
        return ctx.cache.get(known.key, ctx.store.thread_stamp(known.site, known.uri))
    if not ctx.cache.holds(known.key):
        return None  # nothing kept to check: the Query alone, not a GetItem before it
    # DynamoDB: one GetItem of the thread item's versions (0.5 read unit) instead of the
    # Query (1.5 for a first page of 10), no page built, and a 304 when the browser has it.
    stamp = await ctx.blocking(ctx.store.thread_stamp, known.site, known.uri)
    return ctx.cache.get(known.key, stamp)


# GET /api/v1/comments
async def read_thread(request: Request) -> Response:
    ctx = context(request)
    raw_query: bytes = request.scope["query_string"]
    # Fast path for a query string read before: skip parsing and validating it again (most
    # of Parley's own CPU on a cached read, bench/RESULTS.md); the stamp is still looked up,
    # so a changed thread is never served from the cache.
    known = ctx.cache.known(raw_query)
    if known is not None and known.built is None:
        entry = await kept(request, known)
        if entry is not None:
            return cached_response(request, entry)
    params = ReadQuery.parse(request.query_params.multi_items())
    ctx.comments.site(params.site)
    key = (params.site, params.uri, params.after or "", str(params.limit), params.sort)
    if params.built is not None and params.after is None:
        # The loader with a thread built into the page (the fragment, `data-etag`): the
        # thread's stamp alone (one GetItem on DynamoDB) says whether it is still that one,
        # a 204; else the first page, from a page kept under that stamp or the Query.
        # Remembered with its tag: `KeptReads` answers the 204 itself and passes the rest on.
        looked: Looked | None = request.scope.get(LOOKED)
        if looked is not None and looked[0] == key:  # `KeptReads` asked the store already
            if looked[2] is not None:
                raise looked[2]
            stamp = looked[1]
        else:
            stamp = await stamp_of(ctx, params.site, params.uri)
        if known is None:
            ctx.cache.remember(raw_query, KnownQuery(params.site, params.uri, key, params.built))
        if stamp and params.built == fragment_tag(ctx, params.site, params.uri, params.sort,
                                                  stamp):  # fmt: skip
            headers = {"Cache-Control": READ_CACHE_CONTROL, **widget_headers()}
            return Response(status_code=204, headers=headers)
        entry = ctx.cache.get(key, stamp)
        if entry is not None:
            return cached_response(request, entry)
        known = KnownQuery(params.site, params.uri, key)
    if known is None:
        known = KnownQuery(params.site, params.uri, key)
        ctx.cache.remember(raw_query, known)
        entry = await kept(request, known)
        if entry is not None:
            return cached_response(request, entry)
    page = await ctx.blocking(
        ctx.comments.read, params.site, params.uri, params.after, params.limit, params.sort
    )
    body = dumps(
        page_view(
            params.uri, page.thread, page.comments, page.next_cursor, page.pinned, page.parents
        )
    )
    stamp = page.thread.stamp if page.thread else None
    entry = Cached(stamp, etag_of(body), body)
    # On DynamoDB a page is kept only when its stamp vouches for it: the store gives one only
    # when a single Query read the thread item with the comments (a later page, or one read
    # in several requests, has none; a missing thread has none to move), and a pinned comment
    # not on the page is one more read.
    pinned_apart = page.pinned is not None and all(
        c.id != page.pinned[1].id for _, c in page.comments
    )
    if ctx.store.cheap_stamps or (stamp and not pinned_apart):
        ctx.cache.put(key, entry)
    return cached_response(request, entry)


# What the middlewares add to a read's answer on the general path, in their order: CORS (Vary:
# Origin, and the allowed origin), the security headers, then gzip (Vary moved last with
# Accept-Encoding added to it; Content-Encoding; a weak ETag). tests/test_kept_reads.py compares
# both paths' answers header for header.
VARY_ORIGIN = (b"vary", b"Origin")
VARY_BOTH = (b"vary", b"Origin, Accept-Encoding")
GZIP = (b"content-encoding", b"gzip")
EXPOSE_HEADERS = (b"access-control-expose-headers", EXPOSE)
ALLOW_ORIGIN = b"access-control-allow-origin"
SECRET = CDN_HEADER.encode()
OK_TAIL = [*SECURITY_HEADERS, VARY_BOTH]
GZIP_TAIL = [*SECURITY_HEADERS, VARY_BOTH, GZIP]
KEPT_ANSWERS = 256


class Answers:
    """One kept page's answers with their headers made once: 200 and 304, plain and gzip."""

    __slots__ = ("_gzip", "entry", "not_modified", "not_modified_gzip", "ok", "weak", "widget")

    def __init__(self, entry: Cached, widget: RawHeaders) -> None:
        self.entry = entry
        self.widget = widget
        etag = entry.etag.encode("latin-1")
        self.weak = (b"etag", weak(etag))
        common = [(b"cache-control", READ_CACHE_CONTROL.encode()), *widget]
        self.not_modified: RawHeaders = [(b"etag", etag), *common]
        self.not_modified_gzip: RawHeaders = common  # the weak ETag goes last
        length = (b"content-length", str(len(entry.body)).encode())
        self.ok: RawHeaders = [*self.not_modified, length, (b"content-type", JSON_TYPE.encode())]
        self._gzip: tuple[RawHeaders, RawHeaders, bytes] | None = None

    def gzip(self) -> tuple[RawHeaders, RawHeaders, bytes]:
        """The 200 for a client that takes gzip: the headers before the CORS ones, those after
        them, and the body (compressed once; a body too small to be worth it goes plain)."""
        if self._gzip is None:
            body = self.entry.body
            if len(body) < MIN_BYTES:
                self._gzip = (self.ok, OK_TAIL, body)
            else:
                body = gzipped(body)
                length = (b"content-length", str(len(body)).encode())
                head = [self.weak, *self.not_modified_gzip, length, self.ok[-1]]
                self._gzip = (head, GZIP_TAIL, body)
        return self._gzip


class KeptReads:
    """`GET /api/v1/comments` answered from a kept page before Starlette routes the request.

    A kept page's bytes and ETag are in memory (backend/api/cache.py); routing it, a Request, a
    Response and four middlewares adding headers one by one were most of a kept read's CPU
    (bench/RESULTS.md, "Reads against the floor"). The thread's stamp is still looked up, as on
    the general path, so a changed thread is never answered from here, and the answer is the
    general path's header for header and byte for byte. The loader's check of a thread built
    into the page (a query with `built`, remembered with its tag) is answered here too when the
    stamp still gives that tag: the empty 204. Anything else (a query not seen before, no page
    kept or a stale one, a changed check, a HEAD, a request the CDN guard refuses) goes on to
    the general path, with the stamp looked up here (`LOOKED`): one store call a read, as
    before. Placed inside the sandbox ceiling, which counts its answers like any other.
    """

    def __init__(self, app: ASGIApp, ctx: Context, cdn_secrets: tuple[str, ...] = ()) -> None:
        self.app = app
        self.ctx = ctx
        self.cdn_secrets = tuple(s.encode() for s in cdn_secrets)
        self._answers: OrderedDict[int, Answers] = OrderedDict()
        self._widget: tuple[dict[str, str], RawHeaders] = ({}, [])
        self._gzip_ok: dict[bytes, bool] = {}
        self._no_content: tuple[RawHeaders, RawHeaders] = ([], [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "GET"
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        ctx = self.ctx
        known = ctx.cache.known(scope["query_string"])
        if known is None:
            await self.app(scope, receive, send)
            return
        if known.built is not None:
            await self._check(scope, receive, send, known, known.built)
            return
        origin, encoding, match, secret = _read_headers(scope)
        if self.cdn_secrets and not admits(self.cdn_secrets, _text(secret)):
            await self.app(scope, receive, send)  # refused there, before any store call
            return
        entry = await self._kept(scope, known)
        if entry is None:
            await self.app(scope, receive, send)
            return
        answers = self._answers_for(entry)
        cors: RawHeaders = []
        site = ctx.settings.sites.get(known.site)
        if origin is not None and site is not None and site.allows_origin(_text(origin) or ""):
            cors = [(ALLOW_ORIGIN, origin), EXPOSE_HEADERS]
        gzip = self._takes_gzip(encoding or b"")
        if etag_matches(_text(match), entry.etag):
            if gzip:
                headers = [*answers.not_modified_gzip, VARY_ORIGIN, *cors, *SECURITY_HEADERS]
                headers.append(answers.weak)
            else:
                headers = [*answers.not_modified, VARY_ORIGIN, *cors, *SECURITY_HEADERS]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        head, tail, body = answers.gzip() if gzip else (answers.ok, OK_TAIL, entry.body)
        headers = [*head, *cors, *tail]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _check(
        self, scope: Scope, receive: Receive, send: Send, known: KnownQuery, built: str
    ) -> None:
        """The loader's check of a built thread: the empty 204 when the thread's stamp still
        gives the built tag; anything else goes on, with the stamp (or its error) in `LOOKED`."""
        ctx = self.ctx
        origin, _, _, secret = _read_headers(scope)
        if self.cdn_secrets and not admits(self.cdn_secrets, _text(secret)):
            await self.app(scope, receive, send)  # refused there, before any store call
            return
        try:
            stamp = await stamp_of(ctx, known.site, known.uri)
        except Exception as exc:  # the handler raises it where it would have met it
            scope[LOOKED] = (known.key, None, exc)
            await self.app(scope, receive, send)
            return
        sort = known.key[-1]
        if not stamp or built != fragment_tag(ctx, known.site, known.uri, sort, stamp):
            scope[LOOKED] = (known.key, stamp, None)
            await self.app(scope, receive, send)
            return
        headers = [*self._unchanged(), VARY_ORIGIN]
        site = ctx.settings.sites.get(known.site)
        if origin is not None and site is not None and site.allows_origin(_text(origin) or ""):
            headers += [(ALLOW_ORIGIN, origin), EXPOSE_HEADERS]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    def _unchanged(self) -> RawHeaders:
        """The 204's own headers, before the CORS ones: made again only when the widget's
        bundle name changes."""
        widget = self._widget_raw()
        if self._no_content[0] is not widget:
            self._no_content = (widget, [(b"cache-control", READ_CACHE_CONTROL.encode()), *widget])
        return self._no_content[1]

    async def _kept(self, scope: Scope, known: KnownQuery) -> Cached | None:
        """The kept page if its stamp stands; else None, with the stamp left for the handler."""
        ctx = self.ctx
        try:
            if ctx.store.cheap_stamps:
                stamp = ctx.store.thread_stamp(known.site, known.uri)
            elif ctx.cache.holds(known.key):
                stamp = await ctx.blocking(ctx.store.thread_stamp, known.site, known.uri)
            else:
                return None  # nothing kept: the handler's Query alone, no GetItem before it
        except Exception as exc:  # the handler raises it where it would have met it
            scope[LOOKED] = (known.key, None, exc)
            return None
        entry = ctx.cache.get(known.key, stamp)
        if entry is None:
            scope[LOOKED] = (known.key, stamp, None)
        return entry

    def _widget_raw(self) -> RawHeaders:
        named, widget = self._widget
        now = widget_headers()  # the bundle's name may change while the process runs
        if now != named:
            widget = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in now.items()]
            self._widget = (now, widget)
        return widget

    def _answers_for(self, entry: Cached) -> Answers:
        widget = self._widget_raw()
        found = self._answers.get(id(entry))
        if found is not None and found.entry is entry and found.widget is widget:
            self._answers.move_to_end(id(entry))
            return found
        found = self._answers[id(entry)] = Answers(entry, widget)
        if len(self._answers) > KEPT_ANSWERS:
            self._answers.popitem(last=False)
        return found

    def _takes_gzip(self, accept_encoding: bytes) -> bool:
        found = self._gzip_ok.get(accept_encoding)
        if found is None:
            if len(self._gzip_ok) >= 64:  # a few values are common; any can be sent
                self._gzip_ok.clear()
            found = self._gzip_ok[accept_encoding] = accepts_gzip(accept_encoding.decode("latin-1"))
        return found


def _read_headers(scope: Scope) -> tuple[bytes | None, bytes | None, bytes | None, bytes | None]:
    """Origin, Accept-Encoding, If-None-Match and the CDN secret: the first of each, as the
    general path reads them."""
    origin = encoding = match = secret = None
    for name, value in scope["headers"]:
        if name == b"origin":
            origin = value if origin is None else origin
        elif name == b"accept-encoding":
            encoding = value if encoding is None else encoding
        elif name == b"if-none-match":
            match = value if match is None else match
        elif name == SECRET:
            secret = value if secret is None else secret
    return origin, encoding, match, secret


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")
