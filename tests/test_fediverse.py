"""Fediverse replies: the owner binds a thread to its announcement post; the worker pulls the
replies from a stand-in Mastodon (statuses/:id/context) and a stand-in Bluesky AppView
(app.bsky.feed.getPostThread) on 127.0.0.1, on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.domain.models import Status
from backend.inbound import pull, urls
from backend.inbound.pull import PULL_MAX_S
from backend.store.base import Store
from tests import fediverse_records as rec
from tests.conftest import Clock
from tests.helpers import error_of
from tests.inbound_support import TOKEN, standin_server, web_client, worker
from tests.standins import StandIn

URI = "/2026/01/hello/"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def web(store_and_url: tuple[Store, Any], clock: Clock) -> Iterator[TestClient]:
    yield from web_client(store_and_url, clock)


@pytest.fixture(scope="module")
def standin() -> Iterator[tuple[StandIn, str]]:
    yield from standin_server()


def thread(client: TestClient) -> list[dict[str, Any]]:
    r = client.get("/api/v1/comments", params={"site": "web", "uri": URI})
    assert r.status_code == 200
    comments: list[dict[str, Any]] = r.json()["comments"]
    return comments


def bind(client: TestClient, url: str, **body: Any) -> Any:
    return client.post(
        "/api/v1/admin/threads/announce",
        json={"site": "web", "uri": URI, "url": url, **body},
        headers=AUTH,
    )


OWNER = rec.account("owner", "The Owner")
CAROL = rec.account("carol", "Carol", host="elsewhere.test")
DAN = rec.account("dan", "Dan")


def test_mastodon_replies_join_the_thread(web: TestClient, standin: tuple[StandIn, str]) -> None:
    s, base = standin
    announcement = rec.status("1001", OWNER, "<p>New post!</p>", in_reply_to_id=None)
    reply = rec.status(
        "1002", CAROL,
        '<p>Great read <script>alert(1)</script><a href="javascript:x">x</a></p>',
        in_reply_to_id="1001", created_at="2026-01-01T10:05:00.000Z",
    )  # fmt: skip
    nested = rec.status("1003", DAN, "<p>Agreed</p>", in_reply_to_id="1002")
    private = rec.status("1004", DAN, "<p>psst</p>", in_reply_to_id="1001", visibility="direct")
    s.contexts["1001"] = rec.context([], [reply, nested, private])
    s.statuses["1001"] = {**announcement, "favourites_count": 12, "reblogs_count": 3}

    r = bind(web, f"{base}/@owner/1001")
    assert r.status_code == 200, r.text
    assert r.json()["network"] == "mastodon"
    assert thread(web) == []  # nothing is fetched in the request
    worker(web).drain()
    comments = thread(web)
    assert [c["author"] for c in comments] == ["Carol", "Dan"]
    carol, dan = comments
    assert carol["origin"] == {
        "kind": "mastodon", "url": reply["url"], "handle": "@carol@elsewhere.test",
    }  # fmt: skip
    assert dan["origin"]["handle"] == f"@dan@127.0.0.1:{base.rsplit(':', 1)[1]}"
    assert dan["parent"] == carol["id"]
    assert "<script" not in carol["html"] and "javascript:" not in carol["html"]
    assert [c["number"] for c in comments] == [1, 2]
    r = web.get("/api/v1/comments", params={"site": "web", "uri": URI})
    assert r.json()["thread"]["reactions"] == {"likes": 12, "reposts": 3}

    # The next pull is queued, later; a reply deleted at the source leaves the thread.
    store = web.app.state.parley.store  # type: ignore[attr-defined]
    [following] = store.due_events(1e12, 10)
    clock = web.app.state.parley.clock  # type: ignore[attr-defined]
    assert following.due > clock()
    s.contexts["1001"] = rec.context([], [reply])
    store.set_status("web", URI, dan["id"], Status.SPAM)  # a moderator's verdict stays
    clock.advance(following.due - clock() + 1)
    worker(web).drain()
    assert [c["author"] for c in thread(web)] == ["Carol"]
    assert store.get_comment("web", URI, dan["id"]).status is Status.SPAM
    s.contexts["1001"] = rec.context([], [])  # Carol deleted her reply
    clock.advance(PULL_MAX_S)
    worker(web).drain()
    assert thread(web) == []
    assert store.get_comment("web", URI, carol["id"]).status is Status.DELETED

    # Unbinding stops the pulls.
    assert bind(web, f"{base}/@owner/1001", bound=False).json()["bound"] is False
    hits = len(s.hits)
    clock.advance(7 * 3600)
    worker(web).drain()
    assert len(s.hits) == hits
    assert store.due_events(1e12, 10) == []


def test_bluesky_replies_join_the_thread(web: TestClient, standin: tuple[StandIn, str]) -> None:
    s, base = standin
    root = rec.bsky_post("did:plc:owner", "owner.bsky.social", "Owner", "3kroot", "New post")
    root = {**root, "likeCount": 40, "repostCount": 2, "replyCount": 2}
    erin = rec.bsky_post(
        "did:plc:erin", "erin.bsky.social", "Erin", "3kerin", "Nice <b>one</b>\n\nTwo lines",
        parent=root["uri"],
    )  # fmt: skip
    fay = rec.bsky_post(
        "did:plc:fay", "fay.test", "", "3kfay", "Replying to Erin", parent=erin["uri"],
        root=root["uri"],
    )  # fmt: skip
    s.threads[root["uri"].replace("did:plc:owner", "owner.bsky.social")] = {
        "thread": rec.thread_view(
            root,
            [
                rec.thread_view(erin, [rec.thread_view(fay, [])]),
                rec.not_found("at://did:plc:gone/app.bsky.feed.post/3kgone"),
                rec.blocked("at://did:plc:bad/app.bsky.feed.post/3kbad", "did:plc:bad"),
            ],
        )
    }
    r = bind(web, "https://bsky.app/profile/owner.bsky.social/post/3kroot", api=base)
    assert r.status_code == 200, r.text
    worker(web).drain()
    erin_c, fay_c = thread(web)
    assert erin_c["origin"] == {
        "kind": "bluesky",
        "url": "https://bsky.app/profile/erin.bsky.social/post/3kerin",
        "handle": "@erin.bsky.social",
    }
    assert erin_c["html"] == "<p>Nice &lt;b&gt;one&lt;/b&gt;</p><p>Two lines</p>"
    assert fay_c["author"] == "fay.test" and fay_c["parent"] == erin_c["id"]
    r = web.get("/api/v1/comments", params={"site": "web", "uri": URI})
    assert r.json()["thread"]["reactions"] == {"likes": 40, "reposts": 2}


def test_binding_is_the_owners_and_checked(web: TestClient, standin: tuple[StandIn, str]) -> None:
    _, base = standin
    r = web.post(
        "/api/v1/admin/threads/announce",
        json={"site": "web", "uri": URI, "url": f"{base}/@owner/1"},
    )
    assert r.status_code == 401
    for url in ("https://bsky.app/profile/x/feed/y", "ftp://social.test/@a/1", "not a url",
                "https://social.test/about"):  # fmt: skip
        r = bind(web, url)
        assert r.status_code == 422 and "url" in error_of(r)["fields"], url
    assert bind(web, f"{base}/@owner/5").status_code == 200
    r = bind(web, f"{base}/@owner/6")  # one Mastodon post per thread
    assert r.status_code == 409
    assert bind(web, "https://bsky.app/profile/o.test/post/3k", api=base).status_code == 200


def test_a_hostile_instance_changes_nothing(web: TestClient, standin: tuple[StandIn, str]) -> None:
    s, base = standin
    s.contexts["2001"] = {"descendants": "not a list"}  # malformed: nothing kept, no error
    assert bind(web, f"{base}/@owner/2001").status_code == 200
    worker(web).drain()
    assert thread(web) == []


def test_keys_fit_any_url_length() -> None:
    long = "https://social.test/@a/" + "9" * 5000
    key = urls.key("fedi", long)
    assert len(key) < 64 and key == urls.key("fedi", long)


def test_a_context_cut_at_mastodons_public_limit_removes_nothing(
    web: TestClient, standin: tuple[StandIn, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mastodon answers a logged-out `context` with at most 60 descendants (20 deep): a reply
    missing from a full answer may only have been pushed past the cut, so it stays; a shorter
    answer is the whole thread, and what it lacks was deleted at the source. (Run at a cut of
    6, for time: the rule is the same at Mastodon's 60.)"""
    assert pull.MASTODON_PUBLIC_REPLIES == 60  # Api::V1::Statuses::ContextsController
    monkeypatch.setattr(pull, "MASTODON_PUBLIC_REPLIES", 6)
    s, base = standin
    s.statuses["2001"] = rec.status("2001", OWNER, "<p>Popular post</p>", in_reply_to_id=None)
    replies = [
        rec.status(str(2100 + n), DAN, f"<p>Reply {n}</p>", in_reply_to_id="2001") for n in range(7)
    ]
    s.contexts["2001"] = rec.context([], replies[:6])
    assert bind(web, f"{base}/@owner/2001").status_code == 200
    worker(web).drain()
    assert len(thread_all(web)) == 6
    # Another reply lands early in Mastodon's order: the last one falls past the cut.
    s.contexts["2001"] = rec.context([], [replies[6], *replies[:5]])
    store = web.app.state.parley.store  # type: ignore[attr-defined]
    clock = web.app.state.parley.clock  # type: ignore[attr-defined]
    [following] = store.due_events(1e12, 10)
    clock.advance(following.due - clock() + 1)
    worker(web).drain()
    assert len(thread_all(web)) == 7  # nothing removed, the new one kept
    # Fewer than the cut: the whole thread, so the missing ones were deleted at the source.
    s.contexts["2001"] = rec.context([], replies[:3])
    clock.advance(PULL_MAX_S)
    worker(web).drain()
    assert len(thread_all(web)) == 3


def thread_all(client: TestClient) -> list[dict[str, Any]]:
    """Every comment of the thread, page after page."""
    out: list[dict[str, Any]] = []
    after = None
    while True:
        params = {"site": "web", "uri": URI, "limit": 100, **({"after": after} if after else {})}
        page = client.get("/api/v1/comments", params=params).json()
        out += [c for c in page["comments"] if not c.get("deleted")]
        after = page.get("next")
        if not after:
            return out
