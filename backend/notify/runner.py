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
STOP_WAIT_S = 30.0  # at shutdown, how long the step in flight may take to finish


@dataclass
class Runner:
    worker: Worker
    poll_s: float = POLL_S
    _wake: asyncio.Event | None = field(default=None, init=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, init=False)
    _stopping: bool = field(default=False, init=False)

    def wake(self) -> None:
        """Ask for a delivery round now. Safe from any thread; a no-op while not running."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while not self._stopping:
            self._wake.clear()
            try:
                await run_in_threadpool(self.worker.tick)
            except Exception:  # a store outage: keep the loop alive, try again soon
                log.exception("notification worker step failed")
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_s)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self._stopping = False
        task = asyncio.create_task(self.run(), name="parley-worker")
        try:
            yield
        finally:
            # Stop after the step in flight, not in it: a thread cannot be cancelled, so a
            # cancelled step would run on while the app closes the store under it (a SQLite
            # connection closed in use crashes the process), and a mail sent but not yet
            # marked sent would go out again on the next start.
            self._stopping = True
            if self._wake is not None:
                self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(task), STOP_WAIT_S)
            except TimeoutError:  # a step stuck past every timeout of its own
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._loop = None
