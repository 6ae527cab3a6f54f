"""What handlers reach through `request.app.state`: built once in `create_app`.

Moderation, subscriptions and the notification worker are built on first use: a page view needs
none of them, and their modules are not imported at cold start (backend/api/lazy.py)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ParamSpec, Protocol, TypeVar, cast

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from backend.api.cache import ReadCache
from backend.domain.service import CommentService
from backend.domain.tokens import Signer
from backend.settings import Settings
from backend.store.base import Store

if TYPE_CHECKING:
    from backend.domain.desk import OwnerDesk
    from backend.domain.moderation import ModerationService
    from backend.notify.subscriptions import SubscriptionService
    from backend.notify.worker import Worker

__all__ = ["Blocking", "Context", "context", "inline", "run_in_threadpool"]

P = ParamSpec("P")
T = TypeVar("T")


class Blocking(Protocol):
    """How a handler runs a blocking call (the store's): `await ctx.blocking(fn, *args)`."""

    def __call__(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Awaitable[T]: ...


async def inline(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking call on the event loop's own thread.

    For Lambda, where a sandbox serves one request at a time, so nothing waits behind the call.
    Mangum runs every invocation on a new event loop, and a worker thread per invocation cost
    ~1.2 ms of CPU in a read of ~0.3 ms (bench/RESULTS.md, "Cold start").
    """
    return func(*args, **kwargs)


def _nobody() -> None:
    """No worker runs in this process (Lambda, tests): events wait for their worker."""


@dataclass
class Context:
    """What every request handler reaches through `context(request)`, built by create_app."""

    settings: Settings
    store: Store
    signer: Signer
    comments: CommentService
    clock: Callable[[], float] = time.time
    cache: ReadCache = field(default_factory=ReadCache)
    # A worker thread under uvicorn, which serves many requests on one loop; `inline` on Lambda.
    blocking: Blocking = run_in_threadpool
    # Tells the lifespan worker (`parley serve`) that a request wrote events; set while it runs.
    wake: Callable[[], None] = _nobody
    _moderation: ModerationService | None = field(default=None, init=False, repr=False)
    _subscriptions: SubscriptionService | None = field(default=None, init=False, repr=False)
    _worker: Worker | None = field(default=None, init=False, repr=False)
    _desk: OwnerDesk | None = field(default=None, init=False, repr=False)

    @property
    def desk(self) -> OwnerDesk:
        if self._desk is None:
            from backend.domain.desk import OwnerDesk

            self._desk = OwnerDesk(self.settings, self.store, self.signer, clock=self.clock)
        return self._desk

    @property
    def moderation(self) -> ModerationService:
        if self._moderation is None:
            from backend.domain.moderation import ModerationService

            self._moderation = ModerationService(
                self.settings, self.store, self.signer, clock=self.clock, spam=self.comments.spam
            )
        return self._moderation

    @property
    def subscriptions(self) -> SubscriptionService:
        if self._subscriptions is None:
            from backend.notify.subscriptions import SubscriptionService

            self._subscriptions = SubscriptionService(
                self.settings, self.store, self.signer, clock=self.clock
            )
        return self._subscriptions

    @property
    def worker(self) -> Worker:
        """The notification worker: run by the lifespan in `parley serve`, by hand in tests."""
        if self._worker is None:
            from backend.notify.worker import Worker

            self._worker = Worker(
                self.settings, self.store, self.signer, self.moderation, self.subscriptions,
                clock=self.clock,
            )  # fmt: skip
        return self._worker


def context(request: Request) -> Context:
    return cast(Context, request.app.state.parley)
