"""What each API call costs in DynamoDB requests, and what a failing DynamoDB does to it, on
AWS's DynamoDB Local.

Requests are counted with botocore's `before-call` event (once per API call, whatever the
retries); faults are injected through the same event, which short-circuits the request with a
made-up answer, so every operation of every endpoint can be made to fail while every other
request still reaches DynamoDB Local.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from starlette.testclient import TestClient

from backend.app import create_app
from backend.domain.models import Comment, NewComment, Status, Thread
from backend.domain.moderation import ModerationService
from backend.domain.search import SearchQuery
from backend.domain.tokens import Signer
from backend.store.dynamo import DynamoStore
from backend.store.dynamo.counters import STALE_MS, now_ms
from tests.conftest import ORIGIN, SITES, Clock, make_settings
from tests.helpers import error_of, new_key, post
from tests.stores import dynamodb_local_store

SITE = "blog"
WHEN = datetime(2026, 1, 2, tzinfo=UTC)


class Requests:
    """The DynamoDB operations a store's client sent, in order."""

    def __init__(self, store: DynamoStore) -> None:
        self.ops: list[str] = []
        store.client.meta.events.register("before-call.dynamodb", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        self.ops.append(model.name)

    def take(self) -> list[str]:
        ops, self.ops = self.ops, []
        return ops


@pytest.fixture
def dynamo(tmp_path: Path) -> Iterator[DynamoStore]:
    with dynamodb_local_store(tmp_path) as (store, _):
        assert isinstance(store, DynamoStore)
        yield store


@pytest.fixture
def api(dynamo: DynamoStore, clock: Clock) -> Iterator[TestClient]:
    # The store's own requests; a proof's (one PutItem) is counted in tests/test_proof.py.
    sites = {name: {**site, "proof": "off"} for name, site in SITES.items()}
    settings = make_settings("dynamodb://parley?region=us-east-1", sites)
    app = create_app(settings, dynamo, clock=clock)
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as client:
        yield client


@pytest.fixture
def requests(dynamo: DynamoStore) -> Requests:
    return Requests(dynamo)


def seed(store: DynamoStore, uri: str, count: int, start: float = 1_767_225_000.0) -> list[str]:
    """Comments written straight to the store (cheaper than posting them)."""
    ids = []
    for i in range(count):
        at = start + i
        comment = Comment(
            site=SITE, uri=uri, id=f"01KD{i:022d}", parent=None, author="A",
            email="a@example.com", website=None, text="t", html="<p>t</p>",
            status=Status.APPROVED, created=datetime.fromtimestamp(at, UTC),
        )  # fmt: skip
        store.create_comment(NewComment(comment, "T", f"seed-{uri}-{i}", int(at) + 86400))
        ids.append(comment.id)
    return ids


# -- request counts per API call ------------------------------------------------------------------


def test_page_view_of_100_comments_is_one_query(
    api: TestClient, dynamo: DynamoStore, requests: Requests
) -> None:
    seed(dynamo, "/big/", 100)
    requests.take()
    page = api.get("/api/v1/comments", params={"site": SITE, "uri": "/big/", "limit": 100})
    assert page.status_code == 200 and len(page.json()["comments"]) == 100
    assert page.json()["thread"]["count"] == 100 and page.json()["next"] is None
    assert requests.take() == ["Query"]

    first = api.get("/api/v1/comments", params={"site": SITE, "uri": "/big/", "limit": 60})
    assert requests.take() == ["Query"]
    cursor = first.json()["next"]
    rest = api.get(
        "/api/v1/comments", params={"site": SITE, "uri": "/big/", "limit": 60, "after": cursor}
    )
    assert [c["number"] for c in rest.json()["comments"]] == list(range(61, 101))
    assert rest.json()["thread"]["count"] == 100
    # A later page starts past the thread item, so the thread is one GetItem more.
    assert requests.take() == ["Query", "GetItem"]


def test_an_unchanged_first_page_is_one_get_item_and_its_revalidation_too(
    api: TestClient, dynamo: DynamoStore, requests: Requests
) -> None:
    """A warm sandbox keeps the first pages it served; the thread item's stamp (one GetItem,
    0.5 read unit) tells whether one still stands, so an unchanged thread costs no Query, and a
    browser's If-None-Match that matches gets a 304 at the same price."""
    ids = seed(dynamo, "/kept/", 12)
    query = {"site": SITE, "uri": "/kept/", "limit": 10}
    requests.take()
    first = api.get("/api/v1/comments", params=query)
    assert first.status_code == 200 and requests.take() == ["Query"]  # nothing kept yet
    again = api.get("/api/v1/comments", params=query)
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert requests.take() == ["GetItem"]
    tag = {"If-None-Match": first.headers["etag"]}
    revalidated = api.get("/api/v1/comments", params=query, headers=tag)
    assert revalidated.status_code == 304 and requests.take() == ["GetItem"]

    # Any write a read shows moves the stamp: the next read is the Query again, and fresh.
    dynamo.add_like(SITE, "/kept/", ids[0], "voter")
    requests.take()
    liked = api.get("/api/v1/comments", params=query, headers=tag)
    assert liked.status_code == 200 and liked.json()["comments"][0]["likes"] == 1
    assert requests.take() == ["GetItem", "Query"]
    assert api.get("/api/v1/comments", params=query).content == liked.content
    assert requests.take() == ["GetItem"]

    # A later page ("Load more") is not kept: its thread is read apart from its comments.
    later = {**query, "after": first.json()["next"]}
    for _ in range(2):
        assert len(api.get("/api/v1/comments", params=later).json()["comments"]) == 2
        assert requests.take() == ["Query", "GetItem"]


def test_a_build_time_fragments_revalidation_is_one_get_item(
    api: TestClient, dynamo: DynamoStore, requests: Requests
) -> None:
    """The loader asks whether the server-rendered thread built into the page still stands (a
    HEAD with its data-etag): with the fragment kept, an unchanged thread's 304 is one GetItem."""
    ids = seed(dynamo, "/built/", 3)
    query = {"site": SITE, "uri": "/built/"}
    built = api.get("/api/v1/comments.html", params=query)
    assert built.status_code == 200
    tag = {"If-None-Match": built.headers["etag"]}
    requests.take()
    for _ in range(2):
        assert api.head("/api/v1/comments.html", params=query, headers=tag).status_code == 304
        assert requests.take() == ["GetItem"]
    dynamo.edit_comment(SITE, "/built/", ids[1], text="new", html="<p>new</p>", edited=WHEN)
    requests.take()
    assert api.head("/api/v1/comments.html", params=query, headers=tag).status_code == 200
    assert requests.take() == ["GetItem"]  # the stamp moved: a 200, no page read for it
    assert "<p>new</p>" in api.get("/api/v1/comments.html", params=query).text
    assert requests.take() == ["GetItem", "Query"]  # the kept page is stale


def test_a_head_of_the_fragment_is_one_get_item_whatever_the_sandbox_kept(
    api: TestClient, dynamo: DynamoStore, requests: Requests
) -> None:
    """The fragment's ETag is the thread stamp's: a HEAD (an older loader's check) on a sandbox
    that kept nothing (a cold start) is answered from the stamp alone, changed or not: one
    GetItem, never the Query of the fragment's page, and no body."""
    ids = seed(dynamo, "/cold/", 3)
    query = {"site": SITE, "uri": "/cold/"}
    built = api.get("/api/v1/comments.html", params=query)
    tag = built.headers["etag"].removeprefix("W/")
    assert f'data-etag="{tag.replace(chr(34), "&quot;")}"' in built.text
    forget = api.app.state.parley.cache.clear  # type: ignore[attr-defined]
    forget()
    requests.take()
    same = api.head("/api/v1/comments.html", params=query)
    assert (same.status_code, same.headers["etag"], same.content) == (200, tag, b"")
    assert requests.take() == ["GetItem"]
    dynamo.edit_comment(SITE, "/cold/", ids[1], text="new", html="<p>new</p>", edited=WHEN)
    forget()
    requests.take()
    changed = api.head("/api/v1/comments.html", params=query)
    assert changed.status_code == 200 and changed.content == b""
    assert changed.headers["etag"] != tag
    assert requests.take() == ["GetItem"]
    # The fragment read after the change carries the tag the HEAD gave.
    assert (
        api.get("/api/v1/comments.html", params=query).headers["etag"].removeprefix("W/")
        == changed.headers["etag"]
    )


def test_the_loaders_check_of_a_built_thread_is_one_request_and_one_get_item(
    api: TestClient, dynamo: DynamoStore, requests: Requests
) -> None:
    """The loader with a thread built into the page reads the first page with the fragment's
    data-etag (`built`): unchanged, a 204 from the thread's stamp alone, one GetItem whatever
    the sandbox kept; changed, the first page (the GetItem, then the Query; a page kept under
    the new stamp, the GetItem alone)."""
    ids = seed(dynamo, "/check/", 3)
    html = api.get("/api/v1/comments.html", params={"site": SITE, "uri": "/check/"})
    tag = html.headers["etag"].removeprefix("W/")
    check = {"site": SITE, "uri": "/check/", "limit": 10, "sort": "oldest", "built": tag}
    forget = api.app.state.parley.cache.clear  # type: ignore[attr-defined]
    forget()
    requests.take()
    for _ in range(2):
        same = api.get("/api/v1/comments", params=check)
        assert (same.status_code, same.content) == (204, b"")
        assert requests.take() == ["GetItem"]
    dynamo.edit_comment(SITE, "/check/", ids[1], text="new", html="<p>new</p>", edited=WHEN)
    requests.take()
    changed = api.get("/api/v1/comments", params=check)
    assert changed.status_code == 200 and "<p>new</p>" in changed.text
    assert requests.take() == ["GetItem", "Query"]
    assert api.get("/api/v1/comments", params=check).json() == changed.json()
    assert requests.take() == ["GetItem"]  # the page kept under the new stamp


def test_a_page_among_hidden_comments_stays_complete(
    api: TestClient, dynamo: DynamoStore, requests: Requests
) -> None:
    ids = seed(dynamo, "/mixed/", 6)
    for comment_id in ids[1:5]:
        dynamo.set_status(SITE, "/mixed/", comment_id, Status.SPAM)
    requests.take()
    data = api.get("/api/v1/comments", params={"site": SITE, "uri": "/mixed/", "limit": 2}).json()
    assert [c["id"] for c in data["comments"]] == [ids[0], ids[5]] and data["next"] is None
    # Limit counts items before the filter: the spam in between costs one more Query.
    assert requests.take() == ["Query", "Query"]


def test_counts_for_100_uris_is_one_batch_get(
    api: TestClient, dynamo: DynamoStore, requests: Requests
) -> None:
    seed(dynamo, "/p/3/", 3)
    requests.take()
    uris = [f"/p/{i}/" for i in range(100)]
    response = api.get("/api/v1/counts", params={"site": SITE, "uri": uris})
    assert response.status_code == 200
    counts = response.json()["counts"]
    assert counts["/p/3/"] == 3 and sum(counts.values()) == 3 and len(counts) == 100
    assert requests.take() == ["BatchGetItem"]


def test_a_sites_recent_comments_are_one_query_and_one_batch_get(
    api: TestClient, dynamo: DynamoStore, requests: Requests
) -> None:
    for n in range(3):
        seed(dynamo, f"/p/{n}/", 10, start=1_767_225_000.0 + 100 * n)
    requests.take()
    for path in ("/api/v1/recent", "/api/v1/recent.html"):
        response = api.get(path, params={"site": SITE, "limit": 20})
        assert response.status_code == 200
        # The newest keys from the approved index (a bounded Query, never a Scan), then their
        # public parts.
        assert requests.take() == ["Query", "BatchGetItem"], path
    got = api.get("/api/v1/recent", params={"site": SITE, "limit": 20}).json()["comments"]
    assert len(got) == 20 and {c["uri"] for c in got} <= {"/p/0/", "/p/1/", "/p/2/"}


def test_each_write_costs_what_the_docs_say(api: TestClient, requests: Requests) -> None:
    post(api, uri="/warm-up/")
    # No post sweeps stale pending comments any more: the notification worker does, on its
    # schedule (docs/notifications.md), so the first post costs what every post costs.
    first = requests.take()
    posted = post(api)
    # find_key, the rate bucket and the one before it (a sliding window), the two blocks
    # (network, email) in one batch, the thread (locked?), the transaction of the key, the
    # comment and the author's tally; then the thread's count and the comment's mark, outside it;
    # last, the search postings (its 9 index keys: one batch).
    each_post = [
        "GetItem", "UpdateItem", "GetItem", "BatchGetItem", "GetItem",
        "TransactWriteItems", "UpdateItem", "UpdateItem", "BatchWriteItem",
    ]  # fmt: skip
    assert requests.take() == each_post
    # The first post of a process also reads the site's spam filter model (then cached for a
    # minute: backend/spam/guard.py), after the site's own rules.
    assert first == [*each_post[:4], "GetItem", *each_post[4:]]
    comment_id, token = posted["comment"]["id"], posted["token"]
    auth = {"Authorization": f"Bearer {token}"}

    post(api, parent=comment_id)
    # A reply also reads its parent (approved?) and moves its replies, outside the transaction.
    assert requests.take() == [
        "GetItem", "UpdateItem", "GetItem", "BatchGetItem", "GetItem", "GetItem",
        "TransactWriteItems", "UpdateItem", "UpdateItem", "UpdateItem", "BatchWriteItem",
    ]  # fmt: skip

    liked = api.post(f"/api/v1/comments/{comment_id}/likes", json={"site": SITE, "uri": "/post/"})
    assert liked.json() == {"likes": 1}
    # The rate buckets (this one, the one before), the thread (locked?), the network's block,
    # the like item (marked), likes + 1 (returning the count), the thread's read version, the
    # mark.
    assert requests.take() == [
        "UpdateItem", "GetItem", "GetItem", "GetItem", "PutItem", "UpdateItem", "UpdateItem",
        "UpdateItem",
    ]  # fmt: skip

    edited = api.patch(
        f"/api/v1/comments/{comment_id}",
        json={"site": SITE, "uri": "/post/", "text": "changed"},
        headers=auth,
    )
    assert edited.status_code == 200, edited.text
    # The token's comment (with its private part: the edit rules need the email), the thread
    # (locked?), the rate buckets, the comment again in the store (the words it had), the
    # postings of words it drops, the html and the source in one transaction, the thread's
    # read version, the comment as edited, the postings of its new words.
    assert requests.take() == [
        "BatchGetItem", "GetItem", "UpdateItem", "GetItem", "BatchGetItem", "BatchWriteItem",
        "TransactWriteItems", "UpdateItem", "BatchGetItem", "BatchWriteItem",
    ]  # fmt: skip

    deleted = api.delete(
        f"/api/v1/comments/{comment_id}", params={"site": SITE, "uri": "/post/"}, headers=auth
    )
    assert deleted.status_code == 204
    # The token's comment, then the status move: read state, the comment (marked, its html
    # emptied) with its private part's text emptied and the author's tally, after its words'
    # search postings; the thread's count, the mark.
    assert requests.take() == [
        "BatchGetItem", "BatchGetItem", "BatchWriteItem", "TransactWriteItems", "UpdateItem",
        "UpdateItem",
    ]  # fmt: skip


def test_no_request_is_ever_a_scan(
    api: TestClient, dynamo: DynamoStore, requests: Requests
) -> None:
    comment = post(api)["comment"]
    api.get("/api/v1/comments", params={"site": SITE, "uri": "/post/"})
    api.get("/api/v1/counts", params={"site": SITE, "uri": "/post/"})
    api.get("/api/v1/feed.atom", params={"site": SITE})
    api.get("/api/v1/feed.atom", params={"site": SITE, "uri": "/post/"})
    api.get("/api/v1/recent", params={"site": SITE, "limit": 20})
    dynamo.queue(SITE, Status.APPROVED, after=None, limit=5)
    dynamo.author_approved(SITE, "jkb@example.com")
    dynamo.thread_stamp(SITE, "/post/")
    dynamo.search(SITE, SearchQuery(text="assad heavy"), after=None, limit=5)
    dynamo.erase(SITE, "/post/", comment["id"])
    ops = requests.take()
    assert "Query" in ops and "BatchGetItem" in ops
    assert not [op for op in ops if "Scan" in op]


# -- faults ---------------------------------------------------------------------------------------

FAULTS = {
    "throttled": (400, "ThrottlingException"),
    "over capacity": (400, "ProvisionedThroughputExceededException"),
    "server error": (500, "InternalServerError"),
}


@contextmanager
def failing(store: DynamoStore, operation: str, status: int, code: str) -> Iterator[None]:
    """While the block runs, every `operation` request answers `status`/`code` without
    reaching DynamoDB."""

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        response = AWSResponse("http://dynamodb.test", status, {}, None)  # type: ignore[arg-type]
        return response, {
            "Error": {"Code": code, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }

    event = f"before-call.dynamodb.{operation}"
    store.client.meta.events.register(event, answer)
    try:
        yield
    finally:
        store.client.meta.events.unregister(event, answer)


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert error_of(response)["code"] == "unavailable"
    assert int(response.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("operation", ["GetItem", "UpdateItem", "TransactWriteItems"])
def test_failing_post_is_503_and_writes_nothing(
    api: TestClient, dynamo: DynamoStore, operation: str, fault: str
) -> None:
    key = new_key()
    with failing(dynamo, operation, *FAULTS[fault]):
        assert_unavailable(api.post("/api/v1/comments", json={**_draft(), "key": key}))
    assert dynamo.find_key(SITE, key, 0) is None
    assert dynamo.counts(SITE, ["/post/"]) == {"/post/": 0}
    assert dynamo.read_page(SITE, "/post/", after=None, limit=5).thread is None


@pytest.mark.parametrize("fault", ["throttled", "server error"])
@pytest.mark.parametrize("operation", ["Query", "PutItem", "BatchGetItem", "UpdateItem"])
def test_failing_reads_and_likes_are_503(
    api: TestClient, dynamo: DynamoStore, operation: str, fault: str
) -> None:
    comment_id = seed(dynamo, "/post/", 2)[0]
    thread = {"site": SITE, "uri": "/post/"}
    calls = {
        "Query": lambda: api.get("/api/v1/comments", params=thread),
        "PutItem": lambda: api.post(f"/api/v1/comments/{comment_id}/likes", json=thread),
        "BatchGetItem": lambda: api.get("/api/v1/counts", params=thread),
        "UpdateItem": lambda: api.post(f"/api/v1/comments/{comment_id}/likes", json=thread),
    }
    with failing(dynamo, operation, *FAULTS[fault]):
        assert_unavailable(calls[operation]())


def test_a_like_meeting_an_edits_transaction_is_a_short_503(
    api: TestClient, dynamo: DynamoStore
) -> None:
    """An edit holds the comment's public part in a transaction (its html and its source move
    together); DynamoDB refuses a single-item write to it meanwhile. That is a moment's
    contention, answered like throttling (a short Retry-After), not as our own fault (30 s)."""
    comment_id = seed(dynamo, "/post/", 1)[0]
    thread = {"site": SITE, "uri": "/post/"}
    with failing(dynamo, "UpdateItem", 400, "TransactionConflictException"):
        answer = api.post(f"/api/v1/comments/{comment_id}/likes", json=thread)
    assert_unavailable(answer)
    assert int(answer.headers["Retry-After"]) <= 2


def test_throttled_transaction_item_is_503(api: TestClient, dynamo: DynamoStore) -> None:
    """DynamoDB may cancel a transaction because one item was throttled: not a client error."""

    def cancelled(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        response = AWSResponse("http://dynamodb.test", 400, {}, None)  # type: ignore[arg-type]
        return response, {
            "Error": {"Code": "TransactionCanceledException", "Message": "injected"},
            "CancellationReasons": [{"Code": "None"}, {"Code": "ThrottlingError"}],
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    event = "before-call.dynamodb.TransactWriteItems"
    dynamo.client.meta.events.register(event, cancelled)
    assert_unavailable(api.post("/api/v1/comments", json={**_draft(), "key": new_key()}))
    dynamo.client.meta.events.unregister(event, cancelled)
    assert dynamo.counts(SITE, ["/post/"]) == {"/post/": 0}


def test_transaction_conflicts_are_retried_then_503(api: TestClient, dynamo: DynamoStore) -> None:
    conflicts = {"left": 2, "calls": 0}

    def conflict(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        conflicts["calls"] += 1
        if conflicts["left"] == 0:
            return None  # let it through to DynamoDB
        conflicts["left"] -= 1
        response = AWSResponse("http://dynamodb.test", 400, {}, None)  # type: ignore[arg-type]
        return response, {
            "Error": {"Code": "TransactionCanceledException", "Message": "injected"},
            "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}],
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    dynamo.client.meta.events.register("before-call.dynamodb.TransactWriteItems", conflict)
    post(api)  # lost two races to other writers of the thread, then landed
    assert conflicts["calls"] == 3
    assert dynamo.counts(SITE, ["/post/"]) == {"/post/": 1}

    conflicts["left"] = 100  # never wins: a 503, not a hang
    assert_unavailable(api.post("/api/v1/comments", json={**_draft(), "key": new_key()}))
    assert dynamo.counts(SITE, ["/post/"]) == {"/post/": 1}


def test_post_whose_answer_was_lost_is_retried_without_duplicate(
    api: TestClient, dynamo: DynamoStore
) -> None:
    """The transaction lands but its answer never arrives (a timeout after the write): the
    reader gets a 503, retries with the same key, and gets the one comment that was stored."""
    from botocore.exceptions import ReadTimeoutError

    def lost(**_: Any) -> None:
        raise ReadTimeoutError(endpoint_url="http://dynamodb.test")

    dynamo.client.meta.events.register("after-call.dynamodb.TransactWriteItems", lost)
    body = {**_draft(), "key": new_key()}
    assert_unavailable(api.post("/api/v1/comments", json=body))
    dynamo.client.meta.events.unregister("after-call.dynamodb.TransactWriteItems", lost)

    again = api.post("/api/v1/comments", json=body)
    assert again.status_code == 201, again.text
    again_twice = api.post("/api/v1/comments", json=body)
    assert again_twice.json()["comment"]["id"] == again.json()["comment"]["id"]
    # The counters of a post cut short move at its repair (counters.py), exactly once.
    assert dynamo.repair(SITE, "/post/", now=now_ms() + STALE_MS + 1)
    assert dynamo.counts(SITE, ["/post/"]) == {"/post/": 1}
    assert len(dynamo.read_page(SITE, "/post/", after=None, limit=10).comments) == 1


def _draft() -> dict[str, Any]:
    return {
        "site": SITE, "uri": "/post/", "author": "JKB", "email": "jkb@example.com",
        "text": "hello", "hp": "",
    }  # fmt: skip


# -- which walks of the queues read private parts -------------------------------------------------


def test_only_the_queue_page_and_privacy_requests_read_private_parts(
    dynamo: DynamoStore, clock: Clock
) -> None:
    # The admin's tab counts and the pending purge walk the queues for counts and creation
    # times only: reading each comment's private part too would double their units.
    seed(dynamo, "/q/", 3)
    held = Comment(
        site=SITE, uri="/q/", id="01KD" + "9" * 22, parent=None, author="B",
        email="b@example.com", website=None, text="t", html="<p>t</p>",
        status=Status.PENDING, created=datetime.fromtimestamp(clock.now, UTC),
    )  # fmt: skip
    dynamo.create_comment(NewComment(held, "T", "held", int(clock.now) + 86400))
    settings = make_settings("dynamodb://parley?region=us-east-1")
    moderation = ModerationService(settings, dynamo, Signer(settings.secret_keys), clock=clock)
    read: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        read.extend(k["sk"]["S"][:2] for r in params["RequestItems"].values() for k in r["Keys"])

    dynamo.client.meta.events.register("before-parameter-build.dynamodb.BatchGetItem", record)
    assert moderation.status_counts(SITE) == {"pending": 1, "approved": 3, "spam": 0, "deleted": 0}
    assert moderation.purge_pending(SITE, moderation.site(SITE)) == 0
    assert read and set(read) == {"C#"}
    read.clear()
    page = moderation.queue(SITE, Status.PENDING, after=None, limit=10)
    assert [(c.email, c.text) for c in page.comments] == [("b@example.com", "t")]
    assert len(moderation.comments_of(SITE, "a@example.com")) == 3
    assert set(read) == {"C#", "P#"}


def test_a_long_uri_does_not_cut_a_page_among_hidden_comments(dynamo: DynamoStore) -> None:
    """The page's character bound counts html, as the service's does: a thread whose uri is
    long (it is in every key and item) still fills its page when hidden comments make the
    Query read on."""
    uri = "/" + "long-path-segment/" * 105  # ~1.9 KB, near the key's limit
    at = 1_767_225_000.0

    def comment(i: int) -> Comment:
        status = Status.APPROVED if i % 2 else Status.PENDING
        return Comment(
            site=SITE, uri=uri, id=f"01KD{i:022d}", parent=None, author="A", email="a@x.test",
            website=None, text="t", html="<p>t</p>", status=status,
            created=datetime.fromtimestamp(at + i, UTC),
        )  # fmt: skip

    comments = [comment(i) for i in range(240)]
    thread = Thread(SITE, uri, "T", 120, False, datetime.fromtimestamp(at, UTC))
    dynamo.put_many([thread], comments)
    page = dynamo.read_page(SITE, uri, after=None, limit=100)
    assert len(page.comments) == 100 and page.next_after is not None
