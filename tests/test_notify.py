"""Webhooks, delivered by the worker from the outbox: the body's shape for Slack, Discord and
generic consumers, escaping, the signature, retries with backoff across worker runs, and
failures that never reach the reader."""

from __future__ import annotations

import hashlib
import hmac
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.domain.tokens import Signer
from backend.notify.webhook import secret_for
from backend.settings import SiteConfig, StoreURL
from backend.store.sqlite import SQLiteStore
from tests.conftest import Clock
from tests.helpers import post, read
from tests.moderation_support import sites
from tests.notify_support import Hook, drain, mail_client, webhook_server, worker_of
from tests.servers import free_port

SECRET = "a-webhook-secret-of-the-blog"


@pytest.fixture
def hook() -> Iterator[Hook]:
    with webhook_server() as state:
        yield state


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[tuple[SQLiteStore, StoreURL]]:
    store = SQLiteStore(tmp_path / "parley.db")
    store.setup()
    yield store, StoreURL("sqlite", path=str(tmp_path / "parley.db"))
    store.close()


def client_for(sqlite: tuple[SQLiteStore, StoreURL], clock: Clock, **blog: Any) -> Any:
    site_map = sites(blog=blog, open={**blog, "moderation": "none"})
    return mail_client(sqlite, clock, site_map, None)  # type: ignore[arg-type]


@pytest.fixture
def notified(
    sqlite: tuple[SQLiteStore, StoreURL], clock: Clock, hook: Hook
) -> Iterator[TestClient]:
    with client_for(sqlite, clock, webhook=hook.url, webhook_secret=SECRET) as client:
        yield client


def test_a_pending_comment_is_posted_with_one_click_links(notified: TestClient, hook: Hook) -> None:
    cid = post(notified, expect=202, author="JKB", text="Hello *there*")["comment"]["id"]
    assert hook.received == []  # nothing is sent from inside the request
    assert drain(notified) == 1
    assert len(hook.received) == 1
    body = hook.received[0]
    assert hook.headers[0]["content-type"] == "application/json"
    assert isinstance(body["text"], str) and isinstance(body["content"], str)  # Slack, Discord
    assert body["allowed_mentions"] == {"parse": []}
    assert len(body["content"]) <= 2000
    generic = body["parley"]
    assert generic["event"] == "comment.pending"
    assert (generic["site"], generic["uri"]) == ("blog", "/post/")
    assert generic["comment"]["id"] == cid and generic["comment"]["text"] == "Hello *there*"
    assert "email" not in generic["comment"]  # the address stays out of chat apps
    links = generic["links"]
    assert set(links) == {"approve", "spam", "delete"}
    for url in links.values():
        assert url.startswith("http://api.test/moderate/")
        assert f"<{url}|" in body["text"] and f"(<{url}>)" in body["content"]
    # the approve link in the message works
    path = links["approve"].removeprefix("http://api.test")
    assert notified.post(path, data={"action": "approve"}).status_code == 200
    assert [c["id"] for c in read(notified)["comments"]] == [cid]
    assert drain(notified) == 0  # delivered once: the outbox is empty


def test_the_body_is_signed_with_the_site_secret(notified: TestClient, hook: Hook) -> None:
    post(notified, expect=202)
    drain(notified)
    raw, headers = hook.raw[0], hook.headers[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-parley-signature"], expected)
    assert headers["x-parley-event"] == "comment.posted"
    assert len(headers["x-parley-delivery"]) == 32
    tampered = raw.replace(b"JKB", b"JKC")
    forged = "sha256=" + hmac.new(SECRET.encode(), tampered, hashlib.sha256).hexdigest()
    assert forged != headers["x-parley-signature"]


def test_without_a_configured_secret_one_is_derived_per_site() -> None:
    signer = Signer(["test-secret-key-0123456789"])
    blog = secret_for(signer, "blog", SiteConfig())
    assert blog == secret_for(signer, "blog", SiteConfig())
    assert blog != secret_for(signer, "other", SiteConfig())
    assert blog != secret_for(Signer(["another-secret-key-0123"]), "blog", SiteConfig())
    assert len(blog) >= 32


HOSTILE_AUTHOR = "<!channel> @everyone"
HOSTILE_TEXT = (
    "Click <https://evil.test|Approve> or [Approve](https://evil.test) @here & <@123> "
    "**bold** `code` ||spoiler|| # heading"
)


def test_commenter_text_cannot_ping_or_forge_links(notified: TestClient, hook: Hook) -> None:
    post(notified, expect=202, author=HOSTILE_AUTHOR, text=HOSTILE_TEXT)
    drain(notified)
    body = hook.received[0]
    slack, discord = body["text"], body["content"]

    # Slack: only our three links are links; no <!channel>, <@id> or forged <url|label>
    assert slack.count("<") == 3 and slack.count(">") == 3 + 1  # + the quote marker
    assert "&lt;!channel&gt;" in slack and "&lt;https://evil.test|Approve&gt;" in slack
    assert "&lt;@123&gt;" in slack and " &amp; " in slack

    # Discord: mentions broken, markdown escaped, so no forged masked link
    assert "@everyone" not in discord and "@here" not in discord
    assert "@\u200beveryone" in discord and "@\u200bhere" in discord
    assert "\\[Approve\\]\\(https\\://evil.test\\)" in discord
    assert "\\*\\*bold\\*\\*" in discord and "\\|\\|spoiler\\|\\|" in discord
    assert discord.count("](<http://api.test/moderate/") == 3
    assert "\\<@123\\>" in discord
    # the generic object carries the words as they were (JSON escapes them)
    assert body["parley"]["comment"]["author"] == HOSTILE_AUTHOR


def test_long_comments_are_cut_to_fit_discord(notified: TestClient, hook: Hook) -> None:
    post(notified, expect=202, text="@everyone " * 900)
    drain(notified)
    content = hook.received[0]["content"]
    assert len(content) <= 2000 and content.count("/moderate/") == 3


def test_transient_failures_are_retried_with_backoff(
    notified: TestClient, hook: Hook, clock: Clock
) -> None:
    hook.statuses = [503, 429]
    post(notified, expect=202)
    drain(notified)
    assert len(hook.received) == 1
    assert drain(notified) == 0  # not due again yet: backoff
    clock.advance(30)
    drain(notified)
    assert len(hook.received) == 2
    clock.advance(119)
    assert drain(notified) == 0
    clock.advance(1)
    drain(notified)
    assert len(hook.received) == 3
    assert hook.raw[0] == hook.raw[2]  # the same body, signature and delivery id
    assert hook.headers[0]["x-parley-delivery"] == hook.headers[2]["x-parley-delivery"]
    clock.advance(86400)
    assert drain(notified) == 0  # delivered: done


def test_a_failing_webhook_never_fails_the_post_and_is_never_dropped(
    notified: TestClient, hook: Hook, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    hook.statuses = [500] * 10
    with caplog.at_level(logging.WARNING, logger="parley.notify"):
        post(notified, expect=202)
        for _ in range(10):
            drain(notified)
            clock.advance(6 * 3600)
    assert len(hook.received) == 10  # tried on every run, backing off, never given up
    assert any("webhook" in r.message and "500" in r.message for r in caplog.records)
    assert any(r.levelno == logging.ERROR for r in caplog.records)  # loud after a while
    drain(notified)
    assert len(hook.received) == 11  # the server is back: delivered
    clock.advance(86400)
    assert drain(notified) == 0


def test_a_client_error_is_not_retried(notified: TestClient, hook: Hook, clock: Clock) -> None:
    hook.statuses = [400]
    post(notified, expect=202)
    drain(notified)
    clock.advance(86400)
    drain(notified)
    assert len(hook.received) == 1


def test_a_slow_webhook_times_out(
    notified: TestClient, hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    worker_of(notified).webhook_timeout_s = 0.2
    hook.delay_s = 1.0
    post(notified, expect=202)
    with caplog.at_level(logging.WARNING, logger="parley.notify"):
        drain(notified)
    assert any("Timeout" in r.message for r in caplog.records)


def test_an_unreachable_webhook_stays_in_the_outbox(
    sqlite: tuple[SQLiteStore, StoreURL], clock: Clock
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/hook"
    with client_for(sqlite, clock, webhook=dead) as client:
        post(client, expect=202)
        drain(client)
        events = sqlite[0].due_events(clock() + 30, 10)
        assert len(events) == 1 and events[0].attempts == 1
        assert "ConnectError" in events[0].error


@pytest.mark.parametrize(
    ("notify", "site", "expect", "sent"),
    [
        ("pending", "blog", 202, 1),
        ("pending", "open", 201, 0),
        ("all", "open", 201, 1),
        ("all", "blog", 202, 1),
        ("none", "blog", 202, 0),
    ],
)
def test_what_gets_notified(
    sqlite: tuple[SQLiteStore, StoreURL],
    clock: Clock,
    hook: Hook,
    notify: str,
    site: str,
    expect: int,
    sent: int,
) -> None:
    with client_for(sqlite, clock, webhook=hook.url, notify=notify) as client:
        post(client, site=site, expect=expect)
        drain(client)
        assert len(hook.received) == sent
        if sent and expect == 201:
            body = hook.received[0]
            assert body["parley"]["event"] == "comment.new" and body["parley"]["links"] == {}
            assert "/moderate/" not in body["text"] + body["content"]


def test_replays_and_honeypot_spam_are_not_notified(notified: TestClient, hook: Hook) -> None:
    first = post(notified, expect=202, key="same-draft-key")
    again = post(notified, expect=202, key="same-draft-key")
    assert first["comment"]["id"] == again["comment"]["id"]
    post(notified, expect=202, hp="i am a bot")
    drain(notified)
    assert len(hook.received) == 1


def test_senders_are_not_imported_at_cold_start() -> None:
    code = (
        "import sys, backend.app, backend.lambda_handler; "
        "print(sorted(m for m in ('httpx', 'smtplib', 'boto3') if m in sys.modules))"
    )
    env = {
        "PARLEY_STORE": "dynamodb://t?region=us-east-1&endpoint=http://127.0.0.1:9",
        "PARLEY_SECRET_KEYS": "test-secret-key-0123456789",
        "PARLEY_SITES": '{"blog": {}}',
        "PARLEY_MAIL": "ses://us-east-1",
        "PARLEY_MAIL_FROM": "c@blog.test",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "[]"


def test_an_unexpected_error_keeps_the_event_and_the_rest_go_out(
    notified: TestClient, hook: Hook, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    worker = worker_of(notified)
    real = worker.send_webhook
    calls: list[int] = []

    def flaky(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug in a sender")
        real(url, body, headers, timeout)

    worker.send_webhook = flaky
    post(notified, expect=202, text="first")
    post(notified, expect=202, text="second")
    with caplog.at_level(logging.ERROR, logger="parley.notify"):
        assert drain(notified) == 2
    assert [b["parley"]["comment"]["text"] for b in hook.received] == ["second"]
    assert any("a bug in a sender" in (r.exc_text or "") for r in caplog.records)
    clock.advance(30)
    drain(notified)
    assert [b["parley"]["comment"]["text"] for b in hook.received] == ["second", "first"]
