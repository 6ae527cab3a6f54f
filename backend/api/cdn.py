"""The door behind a CDN: with PARLEY_CDN_SECRET set, only requests carrying the secret header
the CDN adds get in.

Behind CloudFront the reader's address is in X-Forwarded-For, which any client can write; it
can be trusted only when the request provably came through CloudFront. Without this check,
anyone calling the API Gateway URL directly could forge an address per request and so escape
the rate limit and like a comment as many "readers" as they like.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from backend.api.errors import error_response

HEADER = "x-parley-cdn-secret"


def admits(secrets: tuple[bytes, ...], value: str | None) -> bool:
    """Whether a request's secret header (`value`) is one of the configured secrets."""
    given = (value or "").encode()
    found = False
    for secret in secrets:  # no early exit: each configured value is compared
        found |= hmac.compare_digest(given, secret)
    return found


class CdnGuard:
    def __init__(self, app: ASGIApp, secrets: tuple[str, ...]) -> None:
        self.app = app
        self.secrets = tuple(s.encode() for s in secrets)

    def admits(self, value: str | None) -> bool:
        return admits(self.secrets, value)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.secrets:
            await self.app(scope, receive, send)
            return
        if not self.admits(Headers(scope=scope).get(HEADER)):
            response = error_response(
                403, "forbidden", "This API is served through its CDN; use the CDN's address."
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
