"""The outbox: its store contract on every store, atomic with the write that causes it; a
worker killed between the write and the delivery loses nothing; the lifespan worker of `parley
serve`; and the Lambda side: the API handler's POST never waits on a stalled mail server or
webhook, and the worker function delivers from a DynamoDB Stream record or the schedule."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import boto3
import pytest
from moto import mock_aws
from starlette.testclient import TestClient

from backend.app import create_app
from backend.domain import errors
from backend.domain.ids import new_ulid
from backend.domain.models import Comment, NewComment, OutboxEvent, Status
from backend.domain.outbox import EventKind
from backend.notify import lambda_worker
from backend.notify.runner import Runner
from backend.notify.worker import Worker, build_worker
from backend.settings import Settings, StoreURL
from backend.store.base import Store
from backend.store.dynamo import DynamoStore
from backend.store.dynamo.outbox import event_item
from backend.store.sqlite import SQLiteStore
from tests.conftest import ORIGIN, Clock, make_settings
from tests.helpers import post
from tests.notify_support import (
    MAIL_FROM,
    drain,
    mail_settings,
    smtp_server,
    stalled_server,
    webhook_server,
)
from tests.test_lambda_events import REGION, TABLE, Context, body_of, event

OWNER = "owner@blog.test"
T0 = 1_767_225_600.0


def comment(cid: str, *, parent: str | None = None, status: Status = Status.APPROVED) -> Comment:
    from datetime import UTC, datetime

    return Comment(
        site="blog", uri="/post/", id=cid, parent=parent, author="A", email="a@example.com",
        website=None, text="t", html="<p>t</p>", status=status,
        created=datetime.fromtimestamp(T0, UTC),
    )  # fmt: skip


def ev(cid: str, due: float = T0, kind: EventKind = EventKind.POSTED) -> OutboxEvent:
    return OutboxEvent(new_ulid(due), kind.value, "blog", "/post/", cid, due, data={"k": "v"})


# -- the contract, on every store ------------------------------------------------------------------


def test_events_are_written_with_the_comment_or_not_at_all(store: Store) -> None:
    first = comment(new_ulid(T0))
    event = ev(first.id)
    store.create_comment(NewComment(first, "", "key-00000001", int(T0) + 86400, (event,)))
    [due] = store.due_events(T0, 10)
    assert due == event

    again = comment(new_ulid(T0 + 1))
    with pytest.raises(errors.DuplicateKey):  # the same draft: refused, and no event either
        store.create_comment(
            NewComment(again, "", "key-00000001", int(T0) + 86400, (ev(again.id),))
        )
    orphan = comment(new_ulid(T0 + 2), parent="01ARZ3NDEKTSV4RRFFQ69G5FAV")
    with pytest.raises(errors.ParentNotFound):
        store.create_comment(NewComment(orphan, "", "key-00000002", int(T0), (ev(orphan.id),)))
    assert store.due_events(T0 + 10, 10) == [event]


def test_a_comment_whose_event_cannot_be_written_is_not_written_either(store: Store) -> None:
    c = comment(new_ulid(T0))
    broken = replace(ev(c.id), data={"x": {1}})  # type: ignore[dict-item]  # not JSON
    with pytest.raises(TypeError):
        store.create_comment(NewComment(c, "", "key-00000009", int(T0) + 86400, (broken,)))
    assert store.get_comment("blog", "/post/", c.id) is None
    assert store.find_key("blog", "key-00000009", int(T0)) is None
    assert store.get_thread("blog", "/post/") is None


def test_status_changes_carry_their_events(store: Store) -> None:
    held = comment(new_ulid(T0), status=Status.PENDING)
    store.create_comment(NewComment(held, "", "key-00000003", int(T0) + 86400))
    assert store.due_events(T0, 10) == []
    approved = ev(held.id, kind=EventKind.APPROVED)
    store.set_status("blog", "/post/", held.id, Status.APPROVED, events=(approved,))
    # a status change that moves no count (spam -> deleted) still writes its events
    store.set_status("blog", "/post/", held.id, Status.SPAM)
    edited = ev(held.id, T0 + 1, kind=EventKind.EDITED)
    store.set_status("blog", "/post/", held.id, Status.DELETED, events=(edited,))
    assert store.due_events(T0 + 5, 10) == [approved, edited]


def test_due_order_retries_and_finishing(store: Store) -> None:
    late, soon = ev("c1", T0 + 100), ev("c2", T0 + 10)
    store.enqueue([late, soon])
    assert store.due_events(T0, 10) == []
    assert store.due_events(T0 + 10, 10) == [soon]
    assert store.due_events(T0 + 100, 1) == [soon]  # oldest due first, limited
    retried = replace(soon, due=T0 + 500, attempts=1, error="SMTP 451")
    store.retry_event(retried)
    assert store.due_events(T0 + 499, 10) == [late]
    assert store.due_events(T0 + 500, 10) == [late, retried]
    store.finish_event(late.id)
    store.finish_event(late.id)  # twice: no error
    store.retry_event(replace(late, due=T0))  # a finished event stays finished
    assert store.due_events(T0 + 1000, 10) == [retried]


def test_sent_markers_subscriptions_and_opt_outs(store: Store) -> None:
    assert not store.was_sent("evt:reply:x")
    store.mark_sent("evt:reply:x", int(T0), int(T0) + 60)
    assert store.was_sent("evt:reply:x") and not store.was_sent("evt:reply:y")

    assert store.subscriber("blog", "/post/", "c1") is None
    assert store.subscribe("blog", "/post/", "c1", "a@example.com") is True
    assert store.subscribe("blog", "/post/", "c1", "a@example.com") is False
    assert store.subscriber("blog", "/post/", "c1") == "a@example.com"
    assert store.subscriber("blog", "/other/", "c1") is None
    assert store.unsubscribe("blog", "/post/", "c1") is True
    assert store.unsubscribe("blog", "/post/", "c1") is False
    assert store.subscriber("blog", "/post/", "c1") is None

    assert not store.opted_out("blog", "h1")
    assert store.opt_out("blog", "h1") is True
    assert store.opt_out("blog", "h1") is False
    assert store.opted_out("blog", "h1") and not store.opted_out("other", "h1")


# -- a worker killed between the write and the delivery --------------------------------------------


def test_a_killed_worker_loses_nothing(tmp_path: Path, clock: Clock) -> None:
    db = tmp_path / "parley.db"
    store = SQLiteStore(db)
    store.setup()
    sites = {"blog": {"origins": [ORIGIN], "notify_emails": [OWNER]}}
    with stalled_server() as stalled, smtp_server() as box:
        stuck = f"smtp://127.0.0.1:{stalled.port}?tls=none"
        url = StoreURL("sqlite", path=str(db))
        app = create_app(mail_settings(url, sites, box.url), store, clock=clock)
        with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as c:
            post(c, expect=201, text="Do not lose me")
        env = {
            **os.environ,
            "PARLEY_STORE": f"sqlite:///{db}",
            "PARLEY_SECRET_KEYS": "test-secret-key-0123456789",
            "PARLEY_SITES": json.dumps(sites),
            "PARLEY_MAIL": stuck,
            "PARLEY_MAIL_FROM": MAIL_FROM,
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "worker", "--once"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            assert stalled.connected.wait(30), "the worker never reached the mail server"
            os.kill(worker.pid, signal.SIGKILL)  # mid-delivery: connected, nothing sent
        finally:
            worker.wait(timeout=30)
        assert worker.returncode == -signal.SIGKILL
        assert box.messages == []

        with TestClient(app, base_url="http://api.test") as c:
            assert drain(c) == 1  # the event was still there
        assert len(box.to(OWNER)) == 1
        assert "Do not lose me" in box.messages[0].as_string()
        with TestClient(app, base_url="http://api.test") as c:
            assert drain(c) == 0
    store.close()


# -- parley serve: the worker is a task of the app's lifespan --------------------------------------


def test_the_lifespan_worker_delivers_soon_after_a_post(tmp_path: Path) -> None:
    db = tmp_path / "parley.db"
    store = SQLiteStore(db)
    store.setup()
    sites = {"blog": {"origins": [ORIGIN], "notify_emails": [OWNER]}}
    with smtp_server() as box:
        settings = mail_settings(StoreURL("sqlite", path=str(db)), sites, box.url)
        app = create_app(settings, store, run_worker=True)
        with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as c:
            post(c, expect=201)
            assert box.arrived.wait(30), "the lifespan worker delivered nothing"
        assert len(box.to(OWNER)) == 1
    store.close()


def test_the_lifespan_worker_stops_after_its_step_in_flight_not_in_it() -> None:
    """Shutting down waits for the delivery step running in its thread: a cancelled step would
    run on while the app closes the store under it (a SQLite connection closed in use crashes
    the process) and a mail sent but not marked sent would go out again."""
    began, release = threading.Event(), threading.Event()
    order: list[str] = []

    class Step:
        def tick(self) -> int:
            began.set()
            assert release.wait(30)
            order.append("step done")
            return 0

    async def scenario() -> None:
        runner = Runner(cast(Worker, Step()))
        context = runner.running()
        await context.__aenter__()
        assert await asyncio.to_thread(began.wait, 30)
        stopping = asyncio.create_task(context.__aexit__(None, None, None))
        for _ in range(20):  # let shutdown run as far as it goes without the step
            await asyncio.sleep(0)
        assert not stopping.done() and order == []
        release.set()
        await stopping
        order.append("stopped")

    # Not asyncio.run: it replaces the thread's current event loop, and an earlier test's loop
    # dropped that way is collected unclosed later (a ResourceWarning in another test).
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(scenario())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()
    assert order == ["step done", "stopped"]


# -- Lambda: the API function never waits for a delivery -----------------------------------------


@pytest.fixture
def stalled_pair() -> Iterator[tuple[Any, Any]]:
    with stalled_server() as smtp, stalled_server() as hook:
        yield smtp, hook


@pytest.fixture
def lambda_api(
    monkeypatch: pytest.MonkeyPatch, stalled_pair: tuple[Any, Any]
) -> Iterator[ModuleType]:
    smtp, hook = stalled_pair
    sites = {
        "blog": {
            "origins": ["https://blog.example.com"],
            "webhook": f"http://127.0.0.1:{hook.port}/hook",
            "notify": "all",
            "notify_emails": [OWNER],
            "proof": "off",  # the event is a fixed file: it carries no fresh proof
        }
    }
    env = {
        "PARLEY_STORE": f"dynamodb://{TABLE}?region={REGION}",
        "PARLEY_SECRET_KEYS": "lambda-test-key-0123456789abcdef",
        "PARLEY_SITES": json.dumps(sites),
        "PARLEY_PUBLIC_URL": "https://api.example.com",
        "PARLEY_MAIL": f"smtp://127.0.0.1:{smtp.port}?tls=none",
        "PARLEY_MAIL_FROM": MAIL_FROM,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_NAME": "parley-test-api",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        # moto in this process stands in for DynamoDB inside botocore: reads through it too.
        "PARLEY_DYNAMODB_READS": "botocore",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        DynamoStore.from_url(StoreURL("dynamodb", table=TABLE, region=REGION)).setup()
        sys.modules.pop("backend.lambda_handler", None)
        yield importlib.import_module("backend.lambda_handler")
    sys.modules.pop("backend.lambda_handler", None)


def test_the_lambda_post_returns_without_touching_a_stalled_smtp_or_webhook(
    lambda_api: ModuleType, stalled_pair: tuple[Any, Any]
) -> None:
    smtp, hook = stalled_pair
    answer = lambda_api.handler(event("apigw-v2-post-comment.json"), Context())
    assert answer["statusCode"] == 201, body_of(answer)
    # Mangum returned: had any delivery run inside the invocation, it would have connected.
    assert (smtp.accepted, hook.accepted) == (0, 0)
    store = DynamoStore.from_url(StoreURL("dynamodb", table=TABLE, region=REGION))
    [pending] = store.due_events(2e9, 10)
    assert pending.kind == EventKind.POSTED

    # The worker function, fed the Stream record of that outbox item, delivers it.
    settings = Settings.from_env()
    with smtp_server() as box, webhook_server() as receiver:
        sites = {"blog": {**settings.sites["blog"].to_dict(), "webhook": receiver.url}}
        healthy = mail_settings(
            StoreURL("dynamodb", table=TABLE, region=REGION), sites, box.url,
            PARLEY_PUBLIC_URL="https://api.example.com",
        )  # fmt: skip
        worker = build_worker(healthy, store)
        record = {
            "eventName": "INSERT",
            "dynamodb": {"NewImage": event_item(pending), "SequenceNumber": "111"},
        }
        other = {"eventName": "MODIFY", "dynamodb": {"NewImage": event_item(pending)}}
        assert lambda_worker.handle(worker, {"Records": [record, other]}) == {
            "batchItemFailures": []
        }
        assert len(box.to(OWNER)) == 1 and len(receiver.received) == 1
        assert receiver.headers[0]["x-parley-signature"].startswith("sha256=")
        assert store.due_events(2e9, 10) == []
        # The same record again (Lambda retries a batch): nothing is sent twice.
        lambda_worker.handle(worker, {"Records": [record]})
        assert len(box.messages) == 1 and len(receiver.received) == 1


def test_the_scheduled_worker_purges_and_drains_what_the_stream_missed(
    lambda_api: ModuleType,
) -> None:
    store = DynamoStore.from_url(StoreURL("dynamodb", table=TABLE, region=REGION))
    clock = Clock(T0)
    with smtp_server() as box:
        sites = {"blog": {"origins": ["https://blog.example.com"], "notify_emails": [OWNER],
                          "moderation": "all", "purge_pending_after_s": 3600}}  # fmt: skip
        settings = mail_settings(StoreURL("dynamodb", table=TABLE, region=REGION), sites, box.url)
        app = create_app(settings, store, clock=clock)
        with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as c:
            c.headers["Origin"] = "https://blog.example.com"
            stale = post(c, expect=202)["comment"]["id"]
        worker = build_worker(settings, store, clock=clock)
        assert lambda_worker.handle(worker, {"source": "aws.events"}) == {
            "delivered": 0,
            "recounted": 0,
        }
        clock.advance(lambda_worker.STREAM_GRACE_S)  # the Stream had its chance: take it
        assert lambda_worker.handle(worker, {"source": "aws.events"}) == {
            "delivered": 1,
            "recounted": 0,
        }
        assert len(box.to(OWNER)) == 1
        assert store.get_comment("blog", "/post/", stale) is not None
        clock.advance(3600)
        assert lambda_worker.handle(worker, {"source": "aws.events"}) == {
            "delivered": 0,
            "recounted": 0,
        }
        assert store.get_comment("blog", "/post/", stale) is None  # purged on the schedule


def test_the_worker_function_reports_a_record_it_could_not_handle() -> None:
    class Broken:
        def process(self, events: Any) -> None:
            raise errors.StoreUnavailable()

    pending = OutboxEvent("01KDVDNA000VKMFY142ZHRMP8N", "comment.posted", "blog", "/p/", "c", T0)
    record = {"eventName": "INSERT",
              "dynamodb": {"NewImage": event_item(pending), "SequenceNumber": "42"}}  # fmt: skip
    answer = lambda_worker.handle(Broken(), {"Records": [record]})  # type: ignore[arg-type]
    assert answer == {"batchItemFailures": [{"itemIdentifier": "42"}]}


def test_ses_through_moto(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    db = tmp_path / "parley.db"
    store = SQLiteStore(db)
    store.setup()
    sites = {"blog": {"origins": [ORIGIN], "notify_emails": [OWNER]}}
    with mock_aws():
        boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="blog.test")
        settings = make_settings(
            f"sqlite:///{db}", sites, PARLEY_MAIL=f"ses://{REGION}", PARLEY_MAIL_FROM=MAIL_FROM
        )
        app = create_app(settings, store)
        with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as c:
            post(c, expect=201, text="Through SES")
            assert drain(c) == 1
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        assert len(sent) == 1
        raw = sent[0].raw_data
        assert "Through SES" in raw and f"To: {OWNER}" in raw
        assert store.due_events(2e9, 10) == []
    store.close()


def test_a_ses_refusal_is_kept_for_retry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    db = tmp_path / "parley.db"
    store = SQLiteStore(db)
    store.setup()
    sites = {"blog": {"origins": [ORIGIN], "notify_emails": [OWNER]}}
    with mock_aws():  # no verified identity: SES refuses (a sandbox account's first mail)
        settings = make_settings(
            f"sqlite:///{db}", sites, PARLEY_MAIL=f"ses://{REGION}", PARLEY_MAIL_FROM=MAIL_FROM
        )
        app = create_app(settings, store)
        with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as c:
            post(c, expect=201)
            drain(c)
        [kept] = store.due_events(2e9, 10)
        assert kept.attempts == 1 and "MessageRejected" in kept.error
    store.close()
