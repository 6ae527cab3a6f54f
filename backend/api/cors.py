"""CORS as pure ASGI middleware: only a site's configured origins may read its answers.

The site is named in the query string of reads; for writes (site in the JSON body) any
configured origin passes CORS here and the handler then checks the Origin against that one site.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.errors import error_response
from backend.settings import Settings

ALLOW_METHODS = "GET, POST, PATCH, DELETE"
ALLOW_HEADERS = "Content-Type, Authorization, If-None-Match"  # the fragment's revalidation
EXPOSE_HEADERS = "ETag, Retry-After, Parley-Widget"
EXPOSE = EXPOSE_HEADERS.encode()


class CORSMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.sites = settings.sites

    def allowed(self, origin: str, query: bytes) -> bool:
        names = parse_qs(query.decode("latin-1"), keep_blank_values=True).get("site")
        if names:  # a repeated `site` is refused by the handler; no site's CORS either
            site = self.sites.get(names[0]) if len(names) == 1 else None
            return site is not None and site.allows_origin(origin)
        return any(site.allows_origin(origin) for site in self.sites.values())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A scan of the raw headers, not a Headers object: this runs on every request.
        origin, preflight = None, False
        for name, value in scope["headers"]:
            if name == b"origin" and origin is None:
                origin = value.decode("latin-1")
            elif name == b"access-control-request-method":
                preflight = True
        if origin is None:
            # A cache must still keep this answer apart from the one it would give with an
            # Origin (which carries Access-Control-Allow-Origin): vary on it either way.
            await self.app(scope, receive, _with_vary(send))
            return
        allowed = self.allowed(origin, scope.get("query_string", b""))

        if scope["method"] == "OPTIONS" and preflight:
            response: Response
            if not allowed:
                response = error_response(403, "forbidden", "This origin is not allowed.")
            else:
                response = Response(
                    status_code=204,
                    headers={
                        "Access-Control-Allow-Origin": origin,
                        "Access-Control-Allow-Methods": ALLOW_METHODS,
                        "Access-Control-Allow-Headers": ALLOW_HEADERS,
                        "Access-Control-Max-Age": "600",
                    },
                )
            response.headers["Vary"] = "Origin"
            await response(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                raw.append((b"vary", b"Origin"))
                if allowed:
                    raw.append((b"access-control-allow-origin", origin.encode("latin-1")))
                    raw.append((b"access-control-expose-headers", EXPOSE))
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _with_vary(send: Send) -> Send:
    async def send_with_vary(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), (b"vary", b"Origin")]
        await send(message)

    return send_with_vary
