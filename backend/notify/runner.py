"""The worker as a task of the app's lifespan (`parley serve`): it wakes when a request wrote
events (`wake`), and every few seconds anyway for retries that came due and the hourly purge.
Deliveries block (SMTP, HTTP), so each step runs in a thread; the event loop serving readers
never waits for one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool

from backend.notify.worker import Worker

log = logging.getLogger("parley.notify")

POLL_S = 5.0


@dataclass
class Runner:
    worker: Worker
    poll_s: float = POLL_S
    _wake: asyncio.Event | None = field(default=None, init=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, init=False)

    def wake(self) -> None:
        """Ask for a delivery round now. Safe from any thread; a no-op while not running."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while True:
            self._wake.clear()
            try:
                await run_in_threadpool(self.worker.tick)
            except Exception:  # a store outage: keep the loop alive, try again soon
                log.exception("notification worker step failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_s)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self.run(), name="parley-worker")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._loop = None
