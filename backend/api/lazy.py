"""Endpoints imported on their first request.

On Lambda every module imported at start is paid for by every cold start, and a cold start is
usually a page view: a thread read, counts, the widget. Routes that a page view never takes
(admin, moderation links, the feed, OpenAPI, server-rendered HTML, subscriptions, ...) name
their handler as "module:function" instead, and the module is imported when the route is first
asked for. tests/test_coldstart_imports.py fails when a module of that kind is imported at
start, whichever way it came in.

`Later` does the same for the routes themselves: Starlette compiles a regular expression for
every route when it is made, and those routes are most of the table (about 30 of 36). They are
made on the first request that gets past the page view's own routes.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, cast

from starlette.datastructures import URLPath
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

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


class Later(BaseRoute):
    """Routes made on first use, matched as if they stood in the table in this one's place.

    The first full match wins, else the first partial one (a known path, another method: 405),
    as in Starlette's Router; the route that matched goes into the scope as `route`, where the
    Router would have put it had the routes been listed one by one.
    """

    def __init__(self, make: Callable[[], list[BaseRoute]]) -> None:
        self._make = make
        self._routes: list[BaseRoute] | None = None

    @property
    def made(self) -> bool:
        return self._routes is not None

    @property
    def routes(self) -> list[BaseRoute]:
        if self._routes is None:
            self._routes = self._make()
        return self._routes

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        found: tuple[Match, Scope] = (Match.NONE, {})
        for route in self.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return match, {**child, "route": route}
            if match is Match.PARTIAL and found[0] is Match.NONE:
                found = (match, {**child, "route": route})
        return found

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope["route"]
        await route.handle(scope, receive, send)
