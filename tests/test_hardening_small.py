"""Smaller holes, each closed: a repeated `site` parameter, the feed's self link, the rate
limit across a window's boundary, an old confirm link after an unsubscribe, a locked thread's
edits and likes, a lock set by `"yes"`, and webhook signatures that a captured delivery could
replay (now Standard Webhooks', checked with the `standardwebhooks` reference verifier)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from backend import cli
from backend.domain.moderation import token_hash
from backend.notify.webhook import signature, standard_secret
from backend.store.base import Store
from tests.conftest import ORIGIN, Clock
from tests.helpers import atom, error_of, post, proof
from tests.moderation_support import TOKEN, auth
from tests.notify_support import (
    Mailbox,
    drain,
    link_path,
    mail_client,
    smtp_server,
    text_of,
    webhook_server,
)
from tests.stores import sqlite_store

SECRET = "a-webhook-secret-of-the-blog"
SITES: dict[str, Any] = {
    "blog": {
        "origins": [ORIGIN], "moderation": "none", "rate_limit_per_minute": 10,
        "admin_token_hashes": [token_hash(TOKEN)],
    },
    "other": {"origins": ["https://other.test"], "moderation": "none"},
}  # fmt: skip


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[tuple[Store, Any]]:
    with sqlite_store(tmp_path) as pair:
        yield pair


# -- one value per parameter ------------------------------------------------------------------


def test_a_repeated_site_is_refused_and_gets_no_cors(sqlite: Any, clock: Clock) -> None:
    with mail_client(sqlite, clock, SITES, None) as c:
        post(c)
        for path, extra in (
            ("/api/v1/comments", "&uri=/post/"),
            ("/api/v1/counts", "&uri=/post/"),
            ("/api/v1/comments.html", "&uri=/post/"),
            ("/api/v1/feed.atom", ""),
        ):
            for query in ("site=other&site=blog", "site=blog&site=other", "site=blog&site=blog"):
                answer = c.get(f"{path}?{query}{extra}", headers={"Origin": "https://other.test"})
                assert answer.status_code == 400, (path, query, answer.text)
                assert error_of(answer)["fields"] == {"site": "give it once"}
                assert "access-control-allow-origin" not in answer.headers
        one = c.get("/api/v1/comments?site=blog&uri=/post/&uri=/other/")
        assert one.status_code == 400 and error_of(one)["fields"] == {"uri": "give it once"}


# -- the feed's own address ---------------------------------------------------------------------


def test_the_feed_links_itself_at_the_public_url_whatever_the_host(
    store_and_url: Any, clock: Clock
) -> None:
    with mail_client(store_and_url, clock, SITES, None) as c:
        post(c)
        answer = c.get("/api/v1/feed.atom?uri=/post/&site=blog", headers={"Host": "evil.example"})
    [self_link] = [link.href for link in atom(answer).feed.links if link.rel == "self"]
    assert self_link == "http://api.test/api/v1/feed.atom?site=blog&uri=%2Fpost%2F"


# -- the rate limit slides ----------------------------------------------------------------------


def test_the_rate_limit_holds_across_a_minute_boundary(store_and_url: Any, clock: Clock) -> None:
    clock.now = 1_767_225_600.0 + 60 - 1.2  # 1.2 s before a minute ends
    with mail_client(store_and_url, clock, SITES, None) as c:
        for _ in range(10):
            post(c)
        clock.advance(1.2)  # a new fixed window: it would let ten more through
        refused = post(c, expect=429)
        assert refused["error"]["code"] == "rate_limited"
        answer = c.post(
            "/api/v1/comments", json={**_draft(), "key": "draft-later-1", "proof": proof(c)}
        )
        assert answer.status_code == 429, answer.text
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
        clock.advance(60)  # a minute after the burst: room again
        post(c)


def _draft() -> dict[str, Any]:
    return {
        "site": "blog",
        "uri": "/post/",
        "author": "A",
        "email": "a@example.com",
        "text": "Hi.",
        "hp": "",
    }


# -- a confirmation link works once -------------------------------------------------------------


@pytest.fixture(scope="module")
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


def test_an_old_confirm_link_does_not_resubscribe_after_an_unsubscribe(
    store_and_url: Any, clock: Clock, smtp: Mailbox
) -> None:
    smtp.clear()
    alice = "alice@example.com"
    with mail_client(store_and_url, clock, SITES, smtp.url) as c:
        cid = post(c, email=alice, notify=True)["comment"]["id"]
        drain(c)
        confirm = link_path(
            re.findall(r"https?://\S+/subscriptions/\S+", text_of(smtp.to(alice)[0]))[0]
        )
        assert c.post(confirm, data={"action": "yes"}).status_code == 200
        assert c.post(confirm, data={"action": "yes"}).status_code == 200  # again: no change
        post(c, email="bob@example.com", parent=cid)
        drain(c)
        [reply] = [r for r in smtp.raw_to(alice) if b"replied" in r]
        unsubscribe = re.search(rb"List-Unsubscribe: <([^>]+)>", reply)
        assert unsubscribe is not None
        one_click = c.post(
            link_path(unsubscribe.group(1).decode()), content=b"List-Unsubscribe=One-Click"
        )
        assert one_click.status_code == 200
        store = store_and_url[0]
        assert store.subscriber("blog", "/post/", cid) is None
        again = c.post(confirm, data={"action": "yes"})
        assert again.status_code == 409, again.text
        assert store.subscriber("blog", "/post/", cid) is None


# -- a locked thread ----------------------------------------------------------------------------


def test_a_locked_thread_takes_no_edit_nor_like(store_and_url: Any, clock: Clock) -> None:
    with mail_client(store_and_url, clock, SITES, None) as c:
        first = post(c)
        cid, token = first["comment"]["id"], first["token"]
        ref = {"site": "blog", "uri": "/post/"}
        assert c.post(f"/api/v1/comments/{cid}/likes", json=ref).status_code == 200
        locked = c.post("/api/v1/admin/threads/lock", json={**ref, "locked": True}, headers=auth())
        assert locked.status_code == 200, locked.text
        bearer = {"Authorization": f"Bearer {token}"}
        edit = c.patch(f"/api/v1/comments/{cid}", json={**ref, "text": "New."}, headers=bearer)
        like = c.post(f"/api/v1/comments/{cid}/likes", json=ref)
        unlike = c.request("DELETE", f"/api/v1/comments/{cid}/likes", json=ref)
        for answer in (edit, like, unlike):
            assert answer.status_code == 409, answer.text
            assert error_of(answer)["code"] == "thread_locked"
        [shown] = c.get("/api/v1/comments", params=ref).json()["comments"]
        assert shown["likes"] == 1 and "New." not in shown["html"]
        deleted = c.delete(f"/api/v1/comments/{cid}", params=ref, headers=bearer)
        assert deleted.status_code == 204  # a reader may still take their words back


@pytest.mark.parametrize("value", ["yes", "true", 1, "false", 0, None])
def test_the_lock_takes_only_json_booleans(sqlite: Any, clock: Clock, value: Any) -> None:
    with mail_client(sqlite, clock, SITES, None) as c:
        answer = c.post(
            "/api/v1/admin/threads/lock",
            json={"site": "blog", "uri": "/post/", "locked": value},
            headers=auth(),
        )
        assert answer.status_code == 422, answer.text
        assert "locked" in error_of(answer)["fields"]
        assert (
            c.get("/api/v1/comments", params={"site": "blog", "uri": "/post/"}).json()["thread"][
                "locked"
            ]
            is False
        )


# -- webhook signatures -------------------------------------------------------------------------


def _hooked(hook_url: str) -> dict[str, Any]:
    return {
        "blog": {
            "origins": [ORIGIN], "moderation": "none", "webhook": hook_url, "notify": "all",
            "webhook_secret": SECRET,
        }
    }  # fmt: skip


def test_webhooks_are_signed_as_standard_webhooks(sqlite: Any) -> None:
    clock = Clock(time.time())  # the verifier checks the timestamp against the real clock
    with webhook_server() as hook:
        hook.statuses = [503]
        with mail_client(sqlite, clock, _hooked(hook.url), None) as c:
            post(c)
            drain(c)
            clock.advance(31)  # the retry after the 503: the same id, a new timestamp
            drain(c)
    assert len(hook.raw) == 2
    verifier = Webhook(standard_secret(SECRET))
    for raw, headers in zip(hook.raw, hook.headers, strict=True):
        assert verifier.verify(raw, headers)["parley"]["site"] == "blog"
        assert headers["x-parley-signature"] == signature(SECRET, raw)  # the old header, still
    first, second = hook.headers
    assert first["webhook-id"] == second["webhook-id"]
    assert int(second["webhook-timestamp"]) - int(first["webhook-timestamp"]) == 31
    tampered = hook.raw[0].replace(b'"blog"', b'"blug"')
    with pytest.raises(WebhookVerificationError):
        verifier.verify(tampered, first)


def test_a_captured_delivery_cannot_be_replayed_later(sqlite: Any) -> None:
    clock = Clock(time.time() - 600)  # delivered ten minutes ago, replayed now
    with webhook_server() as hook, mail_client(sqlite, clock, _hooked(hook.url), None) as c:
        post(c)
        drain(c)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(standard_secret(SECRET)).verify(hook.raw[0], hook.headers[0])


def test_the_owner_is_shown_the_secret_as_whsec(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import json

    monkeypatch.setenv("PARLEY_STORE", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setenv("PARLEY_SECRET_KEYS", "test-secret-key-0123456789")
    monkeypatch.setenv("PARLEY_SITES", json.dumps(_hooked("https://hooks.example/x")))
    assert cli.main(["webhook-secret", "blog"]) == 0
    shown = capsys.readouterr().out.strip()
    assert shown == standard_secret(SECRET) and shown.startswith("whsec_")
    assert Webhook(shown)._whsecret == SECRET.encode()
