"""What handlers reach through `request.app.state`: built once in `create_app`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from backend.api.cache import ReadCache
from backend.domain.moderation import ModerationService
from backend.domain.service import CommentService
from backend.domain.tokens import Signer
from backend.notify.subscriptions import SubscriptionService
from backend.notify.worker import Worker
from backend.settings import Settings
from backend.store.base import Store

__all__ = ["Context", "context", "run_in_threadpool"]


@dataclass
class Context:
    settings: Settings
    store: Store
    signer: Signer
    comments: CommentService
    moderation: ModerationService
    subscriptions: SubscriptionService
    worker: Worker  # delivers the outbox; tests drive it by hand
    wake: Callable[[], None] = lambda: None  # tells a running worker that events were written
    cache: ReadCache = field(default_factory=ReadCache)


def context(request: Request) -> Context:
    return cast(Context, request.app.state.parley)
