"""What handlers reach through `request.app.state`: built once in `create_app`.

Moderation and notifications are built on first use: a page view needs neither, and their
modules are not imported at cold start (backend/api/lazy.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from backend.api.cache import ReadCache
from backend.domain.service import CommentService
from backend.domain.tokens import Signer
from backend.settings import Settings
from backend.store.base import Store

if TYPE_CHECKING:
    from backend.domain.moderation import ModerationService
    from backend.notify import Notifier

__all__ = ["Context", "context", "run_in_threadpool"]


@dataclass
class Context:
    settings: Settings
    store: Store
    signer: Signer
    comments: CommentService
    clock: Callable[[], float] = time.time
    cache: ReadCache = field(default_factory=ReadCache)
    _moderation: ModerationService | None = field(default=None, init=False, repr=False)
    _notifier: Notifier | None = field(default=None, init=False, repr=False)

    @property
    def moderation(self) -> ModerationService:
        if self._moderation is None:
            from backend.domain.moderation import ModerationService

            self._moderation = ModerationService(
                self.settings, self.store, self.signer, clock=self.clock
            )
        return self._moderation

    @property
    def notifier(self) -> Notifier:
        if self._notifier is None:
            from backend.notify import Notifier

            self._notifier = Notifier(self.settings, links=self.moderation.links)
        return self._notifier


def context(request: Request) -> Context:
    return cast(Context, request.app.state.parley)
