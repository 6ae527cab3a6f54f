"""An outbox event that can never succeed goes to the dead letters with an ERROR, not round an
endless retry: at once when the store refuses its requests as malformed (DynamoDB's
ValidationException), and after DEAD_AFTER failed attempts otherwise."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from backend.domain.ids import new_ulid
from backend.domain.models import OutboxEvent
from backend.domain.outbox import EventKind
from backend.notify.worker import DEAD_AFTER, LATE_BACKOFF_S
from backend.store.base import Store
from tests.conftest import ORIGIN, Clock
from tests.helpers import post
from tests.notify_support import drain, mail_client, webhook_server
from tests.stores import dynamodb_local_store


def test_an_event_failing_for_days_becomes_a_dead_letter(
    store_and_url: tuple[Store, Any], clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    store = store_and_url[0]
    with webhook_server() as hook:
        hook.statuses = [503] * (DEAD_AFTER + 5)
        sites = {"blog": {"origins": [ORIGIN], "webhook": hook.url, "notify": "all"}}
        with mail_client(store_and_url, clock, sites, None) as c:
            post(c)
            for _ in range(DEAD_AFTER - 1):
                assert drain(c) == 1
                clock.advance(LATE_BACKOFF_S + 1)
            assert [e.attempts for e in store.due_events(clock(), 10)] == [DEAD_AFTER - 1]
            with caplog.at_level(logging.ERROR, "parley.notify"):
                assert drain(c) == 1
            clock.advance(30 * 86400)
            assert drain(c) == 0
    assert len(hook.received) == DEAD_AFTER
    assert store.due_events(clock(), 10) == []
    [dead] = store.dead_events(10)
    assert dead.kind == EventKind.POSTED and dead.attempts == DEAD_AFTER
    assert "status 503" in dead.error
    assert any(
        r.levelno == logging.ERROR and "dead letters" in r.getMessage() for r in caplog.records
    )


def test_an_event_the_store_refuses_is_a_dead_letter_at_once(
    tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """On DynamoDB Local: an event whose thread key is past 2,048 bytes (none the API accepts
    is; an older release wrote such subscription keys) is refused on every request."""
    with dynamodb_local_store(tmp_path) as (store, url):
        sites = {"blog": {"origins": [ORIGIN], "notify_emails": ["owner@blog.test"]}}
        with mail_client((store, url), clock, sites, "smtp://127.0.0.1:9?tls=none") as c:
            event = OutboxEvent(
                new_ulid(clock()), EventKind.POSTED.value, "blog", "/" + "x" * 3000,
                new_ulid(clock()), clock(),
            )  # fmt: skip
            store.enqueue([event])
            with caplog.at_level(logging.ERROR, "parley.notify"):
                assert drain(c) == 1
            clock.advance(86400)
            assert drain(c) == 0
            assert store.due_events(clock(), 10) == []
            [dead] = store.dead_events(10)
            assert dead.id == event.id and dead.attempts == 1
            assert "StoreRefused" in dead.error
    assert any("can never succeed" in r.getMessage() for r in caplog.records)
