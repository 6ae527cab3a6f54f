"""Webhook notifications against a local HTTP server started here: the payload's shape for
Slack, Discord and generic consumers, escaping, retries, and failures that never reach the
reader."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.settings import StoreURL
from backend.store.sqlite import SQLiteStore
from tests.conftest import Clock
from tests.helpers import post, read
from tests.moderation_support import app_client, sites
from tests.servers import free_port


@dataclass
class Hook:
    """A webhook receiver: records every request; answers from `statuses` (then 200)."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    delay_s: float = 0.0


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            state.received.append(json.loads(self.rfile.read(length)))
            state.headers.append({k.lower(): v for k, v in self.headers.items()})
            if state.delay_s:
                time.sleep(state.delay_s)
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[tuple[SQLiteStore, StoreURL]]:
    store = SQLiteStore(tmp_path / "parley.db")
    store.setup()
    yield store, StoreURL("sqlite", path=str(tmp_path / "parley.db"))
    store.close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_client(
    sqlite: tuple[SQLiteStore, StoreURL], clock: Clock, sleeps: list[float], **blog: Any
) -> Any:
    site_map = sites(blog=blog, open={**blog, "moderation": "none"})
    cm = app_client(sqlite, clock, site_map)  # type: ignore[arg-type]
    client = cm.__enter__()
    notifier = client.app.state.parley.notifier
    notifier.sleep = sleeps.append  # record the backoff instead of waiting it out
    return cm, client


@pytest.fixture
def notified(
    sqlite: tuple[SQLiteStore, StoreURL], clock: Clock, hook: Hook, sleeps: list[float]
) -> Iterator[TestClient]:
    cm, client = make_client(sqlite, clock, sleeps, webhook=hook.url)
    yield client
    cm.__exit__(None, None, None)


def test_a_pending_comment_is_posted_with_one_click_links(notified: TestClient, hook: Hook) -> None:
    cid = post(notified, expect=202, author="JKB", text="Hello *there*")["comment"]["id"]
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


HOSTILE_AUTHOR = "<!channel> @everyone"
HOSTILE_TEXT = (
    "Click <https://evil.test|Approve> or [Approve](https://evil.test) @here & <@123> "
    "**bold** `code` ||spoiler|| # heading"
)


def test_commenter_text_cannot_ping_or_forge_links(notified: TestClient, hook: Hook) -> None:
    post(notified, expect=202, author=HOSTILE_AUTHOR, text=HOSTILE_TEXT)
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
    content = hook.received[0]["content"]
    assert len(content) <= 2000 and content.count("/moderate/") == 3


def test_transient_failures_are_retried_with_backoff(
    notified: TestClient, hook: Hook, sleeps: list[float]
) -> None:
    hook.statuses = [503, 429]
    post(notified, expect=202)
    assert len(hook.received) == 3
    assert sleeps == [0.5, 2.0]
    assert hook.received[0] == hook.received[2]


def test_a_failing_webhook_never_fails_the_post(
    notified: TestClient, hook: Hook, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    hook.statuses = [500, 500, 500, 500]
    with caplog.at_level(logging.WARNING, logger="parley.notify"):
        held = post(notified, expect=202)["comment"]["id"]
    assert len(hook.received) == 3  # bounded
    assert any("webhook" in r.message and "500" in r.message for r in caplog.records)
    assert held


def test_a_client_error_is_not_retried(notified: TestClient, hook: Hook) -> None:
    hook.statuses = [400]
    post(notified, expect=202)
    assert len(hook.received) == 1


def test_a_slow_webhook_times_out(
    notified: TestClient, hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    notified.app.state.parley.notifier.timeout_s = 0.2  # type: ignore[attr-defined]
    hook.delay_s = 1.0
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="parley.notify"):
        post(notified, expect=202)
    assert time.monotonic() - started < 3 * 1.0  # gave up on each attempt before the answer
    assert any("Timeout" in r.message for r in caplog.records)


def test_an_unreachable_webhook_never_fails_the_post(
    sqlite: tuple[SQLiteStore, StoreURL], clock: Clock, sleeps: list[float]
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/hook"
    cm, client = make_client(sqlite, clock, sleeps, webhook=dead)
    try:
        post(client, expect=202)
        assert len(sleeps) == 2  # tried three times
    finally:
        cm.__exit__(None, None, None)


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
    sleeps: list[float],
    notify: str,
    site: str,
    expect: int,
    sent: int,
) -> None:
    cm, client = make_client(sqlite, clock, sleeps, webhook=hook.url, notify=notify)
    try:
        post(client, site=site, expect=expect)
        assert len(hook.received) == sent
        if sent and expect == 201:
            body = hook.received[0]
            assert body["parley"]["event"] == "comment.new" and body["parley"]["links"] == {}
            assert "/moderate/" not in body["text"] + body["content"]
    finally:
        cm.__exit__(None, None, None)


def test_replays_and_honeypot_spam_are_not_notified(notified: TestClient, hook: Hook) -> None:
    first = post(notified, expect=202, key="same-draft-key")
    again = post(notified, expect=202, key="same-draft-key")
    assert first["comment"]["id"] == again["comment"]["id"]
    post(notified, expect=202, hp="i am a bot")
    assert len(hook.received) == 1


def test_httpx_is_not_imported_at_cold_start() -> None:
    code = "import sys, backend.app, backend.notify; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
