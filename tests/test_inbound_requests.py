"""What the inbound path costs in DynamoDB requests, on DynamoDB Local (docs/inbound.md, "What
it costs on AWS", is written from these lists)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from backend.app import create_app
from backend.store.dynamo import DynamoStore
from tests import fediverse_records as rec
from tests.conftest import Clock, make_settings
from tests.inbound_support import INBOUND_SITES, TARGET, TOKEN, mention, standin_server, worker
from tests.standins import StandIn
from tests.stores import dynamodb_local_store
from tests.test_dynamo_requests import Requests

REPLY = """<html><body><div class="h-entry"><a class="p-author h-card" href="https://a.example/">
A</a><a class="u-in-reply-to" href="{target}">re</a><p class="e-content">Hi</p></div></body>
</html>"""


@pytest.fixture
def dynamo(tmp_path: Path) -> Iterator[DynamoStore]:
    with dynamodb_local_store(tmp_path) as (store, _):
        assert isinstance(store, DynamoStore)
        yield store


@pytest.fixture
def api(dynamo: DynamoStore, clock: Clock) -> Iterator[TestClient]:
    settings = make_settings("dynamodb://parley?region=us-east-1", INBOUND_SITES)
    with TestClient(create_app(settings, dynamo, clock=clock)) as client:
        yield client


@pytest.fixture(scope="module")
def standin() -> Iterator[tuple[StandIn, str]]:
    yield from standin_server()


def test_a_webmention_received_and_verified(
    api: TestClient, dynamo: DynamoStore, standin: tuple[StandIn, str]
) -> None:
    s, base = standin
    s.pages["/req/reply"] = (200, REPLY.format(target=TARGET))
    requests = Requests(dynamo)
    assert mention(api, base + "/req/reply").status_code == 202
    assert requests.take() == [
        "UpdateItem", "GetItem",  # the network's sliding window: this minute's, the last's
        "PutItem",  # the pending hold
        "UpdateItem", "GetItem",  # the site's hour, sliding
        "PutItem",  # the outbox
    ]  # fmt: skip
    assert mention(api, base + "/req/reply").status_code == 202  # a repeat while pending
    assert requests.take() == ["UpdateItem", "GetItem", "PutItem"]
    worker(api).drain()
    ops = requests.take()
    print("verification of a new reply:", ops)
    assert ops == [
        "Query",  # due events
        "GetItem",  # sent marker
        "DeleteItem", "DeleteItem",  # was it counted as a like or a repost before?
        "GetItem",  # the mention's key
        "GetItem",  # the site's spam filter model (read once per event)
        "GetItem", "TransactWriteItems", "UpdateItem", "UpdateItem",  # a post's writes
        "BatchWriteItem",  # the owner's search postings (docs/dynamodb.md)
        "DeleteItem",  # the pending hold released
        "PutItem", "DeleteItem",  # sent marker, the event
    ]  # fmt: skip


def test_a_like_received_and_counted(
    api: TestClient, dynamo: DynamoStore, standin: tuple[StandIn, str]
) -> None:
    s, base = standin
    s.pages["/req/like"] = (200, LIKE.format(target=TARGET))
    requests = Requests(dynamo)
    assert mention(api, base + "/req/like").status_code == 202
    requests.take()
    worker(api).drain()
    ops = requests.take()
    print("verification of a new like:", ops)
    assert ops == [
        "Query",  # due events
        "GetItem", "GetItem",  # sent marker, the mention's key (was it a reply before?)
        "PutItem", "DeleteItem",  # the like's hold taken, the repost's released
        "UpdateItem",  # the thread's tally
        "DeleteItem",  # the pending hold released
        "PutItem", "DeleteItem",  # sent marker, the event
    ]  # fmt: skip


def test_a_quiet_pull(api: TestClient, dynamo: DynamoStore, standin: tuple[StandIn, str]) -> None:
    s, base = standin
    owner = rec.account("owner", "Owner")
    reply = rec.status("9002", rec.account("c", "C"), "<p>hi</p>", in_reply_to_id="9001")
    s.contexts["9001"] = rec.context([], [reply])
    s.statuses["9001"] = rec.status("9001", owner, "<p>post</p>", in_reply_to_id=None)
    bound = api.post(
        "/api/v1/admin/threads/announce",
        json={"site": "web", "uri": "/2026/01/hello/", "url": f"{base}/@owner/9001"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert bound.status_code == 200
    worker(api).drain()  # the first pull keeps the reply
    clock = api.app.state.parley.clock  # type: ignore[attr-defined]
    requests = Requests(dynamo)
    clock.advance(PULL_WAIT)
    worker(api).drain()  # the next: nothing new
    ops = requests.take()
    print("a quiet pull with one reply kept:", ops)
    assert ops == [
        "Query",  # due events
        "GetItem",  # sent marker
        "PutItem",  # the binding's hold, checked
        "GetItem", "GetItem", "BatchGetItem",  # the reply's key (twice), the whole comment
        "Query", "Query", "Query",  # the thread's comments (any gone at the source?)
        "UpdateItem",  # the announcement's likes and reposts
        "PutItem",  # the next pull
        "PutItem", "DeleteItem",  # sent marker, this event
    ]  # fmt: skip


PULL_WAIT = 301
LIKE = """<html><body><div class="h-entry"><a class="p-author h-card" href="https://b.example/">
B</a> liked <a class="u-like-of" href="{target}">this</a></div></body></html>"""


def test_a_suggested_announcement_post(
    api: TestClient, dynamo: DynamoStore, standin: tuple[StandIn, str]
) -> None:
    s, base = standin
    s.statuses["601"] = rec.status(
        "601", rec.account("owner", "O"), f'<p><a href="{TARGET}">x</a></p>', in_reply_to_id=None
    )
    s.contexts["601"] = rec.context([], [])
    requests = Requests(dynamo)
    body = {"site": "web", "uri": "/2026/01/hello/", "url": f"{base}/@owner/601"}
    widget = {"Origin": "http://notes.test"}
    assert api.post("/api/v1/announce", json=body, headers=widget).status_code == 202
    assert requests.take() == [
        "UpdateItem", "GetItem",  # the network's sliding minute
        "PutItem",  # the thread's day of suggestions held
        "UpdateItem", "GetItem",  # the site's hour, sliding (shared with Webmentions)
        "PutItem",  # the outbox
        "UpdateItem",  # the thread's suggest_after, which reads carry
    ]  # fmt: skip
    assert api.post("/api/v1/announce", json=body, headers=widget).status_code == 202
    assert requests.take() == ["UpdateItem", "GetItem", "PutItem", "UpdateItem"]
    params = {"site": "web", "uri": "/2026/01/hello/", "announce": body["url"]}
    assert api.get("/api/v1/comments.html", params=params).status_code == 200
    assert requests.take() == ["PutItem", "Query"]  # a build's: the day's hold, then the read
    worker(api).drain()
    ops = requests.take()
    print("the check of a suggested post that links to the page:", ops)
    assert ops == [
        "Query",  # due events
        "GetItem",  # sent marker
        "PutItem",  # refused by the owner?
        "PutItem",  # the network's hold
        "PutItem",  # suggested
        "PutItem",  # the post's hold
        "PutItem",  # the first pull
        "UpdateItem",  # suggest_after: the binding's 30 days
        "PutItem", "DeleteItem",  # sent marker, the event
    ]  # fmt: skip
