"""Gzip for every answer worth compressing, when the client accepts it.

On AWS, transfer out is the largest cost of a page view (bench/RESULTS.md, cost model), and
neither API Gateway's HTTP API nor a Lambda Function URL compresses; JSON threads of real
comments shrink about 3x. One middleware, so no handler has to think about it:

- only when `Accept-Encoding` allows gzip (q > 0), only text-like types (JSON, HTML, JS, CSS,
  XML) of at least `MIN_BYTES`, never what is already encoded, never a HEAD, 204 or 304;
- `Vary: Accept-Encoding` on every such answer, so a shared cache (CloudFront) keeps the two
  codings apart;
- an ETag on a gzipped answer becomes weak (`W/"..."`), as the bytes differ from the identity
  ones; the handlers' If-None-Match checks still match it (they look for their own tag inside
  the header), and a 304 sent to a gzip client carries the weak form too;
- compressed bodies are kept by content hash (a small LRU), so an unchanged thread read again
  is compressed once, on uvicorn and in a warm Lambda sandbox alike. The key is a hash of the
  bytes themselves: the same input always gives the same output, and nothing of one request
  can reach another except those identical bytes.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIN_BYTES = 1024
# Level 6 (zlib's default): measured in bench/gzip_cost.py, ~2.9x on a page of real-looking
# comments at a fraction of level 9's CPU; level 1 is faster still but ~15% larger.
LEVEL = 6
CACHE_ENTRIES = 256
RawHeaders = list[tuple[bytes, bytes]]
COMPRESSIBLE = (b"application/json", b"text/", b"application/javascript", b"+json", b"xml")


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip: `gzip` (or `x-gzip`), else `*`, with
    q > 0. No header: no compression (clients that want it say so)."""
    return accepts(accept_encoding, "gzip", "x-gzip")


def accepts(accept_encoding: str, *codings: str) -> bool:
    """Whether an Accept-Encoding header allows one of `codings` (named alike), else `*`, with
    q > 0. No header: nothing but identity."""
    if not accept_encoding:
        return False
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[coding.lower()] = q
    for coding in (*codings, "*"):
        if coding in weights:
            return weights[coding] > 0
    return False


def gzipped(body: bytes, level: int = LEVEL) -> bytes:
    """`body` gzipped; mtime=0: the same bytes always compress to the same bytes (stable for
    caches, and the kept reads' answers are the general path's byte for byte)."""
    return gzip.compress(body, compresslevel=level, mtime=0)


def weak(etag: bytes) -> bytes:
    return etag if etag.startswith(b"W/") else b"W/" + etag


def header(raw: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes:
    """The first value of a header in an ASGI header list (names are lower case there)."""
    for key, value in raw:
        if key == name:
            return value
    return b""


def replaced(raw: RawHeaders, name: bytes, value: bytes) -> RawHeaders:
    return [*((k, v) for k, v in raw if k != name), (name, value)]


def compressible(status: int, raw: RawHeaders) -> bool:
    if status < 200 or status in (204, 206, 304) or header(raw, b"content-encoding"):
        return False
    content_type = header(raw, b"content-type")
    return any(kind in content_type for kind in COMPRESSIBLE)


class GzipResponses:
    def __init__(self, app: ASGIApp, level: int = LEVEL, min_bytes: int = MIN_BYTES) -> None:
        self.app = app
        self.level = level
        self.min_bytes = min_bytes
        self._cache: OrderedDict[bytes, bytes] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        # Raw header scans rather than Headers objects: this runs on every request, and the
        # cached read path is a few tens of microseconds in all (bench/app_cost.py).
        accepted = accepts_gzip(header(scope["headers"], b"accept-encoding").decode("latin-1"))
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_compressed(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                raw: RawHeaders = list(message.get("headers", []))
                status: int = message["status"]
                if not compressible(status, raw):
                    if accepted and status == 304 and header(raw, b"etag"):
                        message["headers"] = replaced(raw, b"etag", weak(header(raw, b"etag")))
                    await send(message)
                    return
                vary = header(raw, b"vary")
                if b"accept-encoding" not in vary.lower():
                    vary = vary + b", Accept-Encoding" if vary else b"Accept-Encoding"
                    message["headers"] = raw = replaced(raw, b"vary", vary)
                if not accepted:
                    await send(message)  # identity: streamed through as it comes
                    return
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._finish(start, b"".join(chunks), send)

        await self.app(scope, receive, send_compressed)

    async def _finish(self, start: Message, body: bytes, send: Send) -> None:
        headers = MutableHeaders(raw=list(start.get("headers", [])))
        if len(body) >= self.min_bytes:
            body = self._compress(body)
            headers["content-encoding"] = "gzip"
            if "etag" in headers:
                headers["etag"] = weak(headers["etag"].encode("latin-1")).decode("latin-1")
        headers["content-length"] = str(len(body))
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})

    def _compress(self, body: bytes) -> bytes:
        key = hashlib.blake2b(body, digest_size=16).digest()
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        compressed = gzipped(body, self.level)
        self._cache[key] = compressed
        if len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
        return compressed
