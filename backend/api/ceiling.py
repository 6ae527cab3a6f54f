"""The flood ceiling in front of every route (Lambda only: `PARLEY_SANDBOX_CEILING`).

The rule and its reasons are in backend/domain/ceiling.py. This middleware is the outermost
one, so the bytes it charges are those on the wire (after compression), headers included.
It is not used by `parley serve`: uvicorn answers many requests at once in one process, where
a per-process budget would throttle the whole server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.cors import CORSMiddleware
from backend.api.errors import error_response
from backend.api.http import client_ip
from backend.domain.ceiling import Budget, SandboxCeiling
from backend.settings import Settings

REFUSED = "This server is answering too many requests; try again in a moment."


async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
    answer = error_response(429, "rate_limited", REFUSED, headers={"Retry-After": "1"})
    await answer(scope, receive, send)


class CeilingGuard:
    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        ceiling: SandboxCeiling,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.app = app
        self.settings = settings
        # The refusal carries the site's CORS headers, so the widget can read its 429.
        self.refusal = CORSMiddleware(refuse, settings=settings)
        self.budget = Budget(ceiling)
        self.clock = clock
        self.sleep = sleep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = client_ip(Request(scope), self.settings)
        admission = self.budget.admit(self.clock(), address)
        if admission.wait_s > 0:
            await self.sleep(admission.wait_s)
        sent = 0

        async def counted(message: Message) -> None:
            nonlocal sent
            if message["type"] == "http.response.start":
                sent += 17 + sum(len(k) + len(v) + 4 for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            if admission.admitted:
                await self.app(scope, receive, counted)
            else:
                await self.refusal(scope, receive, counted)
        finally:
            self.budget.charge(sent)
