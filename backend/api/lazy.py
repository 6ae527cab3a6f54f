"""Endpoints imported on their first request.

On Lambda every module imported at start is paid for by every cold start, and a cold start is
usually a page view: a thread read, counts, the widget. Routes that a page view never takes
(admin, moderation links, the feed, OpenAPI, server-rendered HTML, subscriptions, ...) name
their handler as "module:function" instead, and the module is imported when the route is first
asked for. tests/test_coldstart_imports.py fails when a module of that kind is imported at
start, whichever way it came in.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import Response

Endpoint = Callable[[Request], Awaitable[Response]]


def lazy(target: str) -> Endpoint:
    """`lazy("backend.api.admin:queue")`: an endpoint that imports `queue` on first use."""
    module_name, sep, name = target.partition(":")
    if not sep or not module_name or not name:
        raise ValueError(f"lazy endpoint {target!r}: expected 'package.module:function'")
    found: Callable[[Request], Any] | None = None

    async def endpoint(request: Request) -> Response:
        nonlocal found
        if found is None:
            found = cast(
                Callable[[Request], Any], getattr(importlib.import_module(module_name), name)
            )
        answer = found(request)
        if inspect.isawaitable(answer):
            answer = await answer
        return cast(Response, answer)

    endpoint.__name__ = name
    endpoint.__qualname__ = f"lazy({target})"
    return endpoint
