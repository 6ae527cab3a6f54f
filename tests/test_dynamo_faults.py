"""A fault at each step of each write, on AWS's DynamoDB Local: the reader gets the answer or the
documented 503 (error shape, Retry-After), a retry succeeds, and once `repair` has run every
counter is exact: nothing lost, nothing counted twice.

The fault is injected through botocore's `before-call` event at the n-th request of the write
(DynamoDB Local never throttles); every other request reaches DynamoDB Local.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from starlette.testclient import TestClient

from backend.app import create_app
from backend.domain.models import Status
from backend.notify.lambda_worker import handle
from backend.notify.worker import build_worker
from backend.store.dynamo import DynamoStore
from backend.store.dynamo import items as it
from backend.store.dynamo.counters import STALE_MS, now_ms
from backend.store.reports import Repairs
from tests.conftest import ORIGIN, SITES, Clock, make_settings
from tests.helpers import error_of
from tests.stores import dynamodb_local_store

SITE, URI = "blog", "/faults/"
THREAD = {"site": SITE, "uri": URI}


@pytest.fixture
def dynamo(tmp_path: Path) -> Iterator[DynamoStore]:
    with dynamodb_local_store(tmp_path) as (store, _):
        assert isinstance(store, DynamoStore)
        yield store


@pytest.fixture
def api(dynamo: DynamoStore, clock: Clock) -> Iterator[TestClient]:
    # Storage faults, not proofs (tests/test_proof.py): a post whose proof was spent before a
    # fault needs a fresh proof to retry, which the widget fetches.
    sites = {name: {**site, "proof": "off"} for name, site in SITES.items()}
    app = create_app(
        make_settings("dynamodb://parley?region=us-east-1", sites), dynamo, clock=clock
    )
    app.state.parley.comments.spam.score(SITE, "", None)  # the filter's model read: cached now
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as client:
        yield client


@contextmanager
def fault_at(store: DynamoStore, step: int, code: str = "ThrottlingException") -> Iterator[None]:
    """The `step`-th request (0-based) while the block runs answers `code`, botocore's retries
    included (the fault persists for that request), then requests pass again."""
    seen = {"n": 0, "failing": False}

    def before(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not seen["failing"]:
            seen["failing"] = seen["n"] == step
            seen["n"] += 1
        if not seen["failing"]:
            return None
        response = AWSResponse("http://dynamodb.test", 400, {}, None)  # type: ignore[arg-type]
        return response, {
            "Error": {"Code": code, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    def after(**_: Any) -> None:
        seen["failing"] = False  # one request failed (with its retries); the next passes

    events = store.client.meta.events
    events.register("before-call.dynamodb", before)
    events.register("after-call.dynamodb", after)
    try:
        yield
    finally:
        events.unregister("before-call.dynamodb", before)
        events.unregister("after-call.dynamodb", after)


def post(api: TestClient, key: str, **fields: Any) -> Any:
    body = {**THREAD, "author": "A", "email": "a@example.com", "text": "t", "key": key, "hp": ""}
    return api.post("/api/v1/comments", json={**body, **fields})


def truth(store: DynamoStore) -> dict[str, Any]:
    """Counts from the items themselves, next to the counters stored."""
    items = store.client.query(
        TableName=store.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": it.s(it.thread_pk(SITE, URI))},
        ConsistentRead=True,
    )["Items"]
    comments = [i for i in items if i["sk"]["S"].startswith("C#")]
    approved = [i for i in comments if i["status"]["S"] == Status.APPROVED.value]
    likes = [i for i in items if i["sk"]["S"].startswith("L#")]
    thread = next((i for i in items if i["sk"]["S"] == "#"), {})
    return {
        "count": (it.num(thread, "count"), len(approved)),
        "replies": {
            i["id"]["S"]: (
                it.num(i, "replies"),
                sum(1 for r in approved if r.get("parent", {}).get("S") == i["id"]["S"]),
            )
            for i in comments
        },
        "likes": {
            i["id"]["S"]: (
                it.num(i, "likes"),
                sum(1 for like in likes if like["sk"]["S"].startswith(f"L#{i['id']['S']}#")),
            )
            for i in comments
        },
        "marks": [i["sk"]["S"] for i in items if "tally" in i or "untally" in i],
    }


def assert_exact(store: DynamoStore) -> None:
    assert store.repair(SITE, URI, now=now_ms() + STALE_MS + 1)
    got = truth(store)
    assert got["count"][0] == got["count"][1], got
    for stored, counted in [*got["replies"].values(), *got["likes"].values()]:
        assert stored == counted, got
    assert got["marks"] == [], got
    assert store.repair(SITE, URI, now=now_ms() + STALE_MS + 1)  # again: nothing changes
    assert truth(store) == got


def answered(response: Any, ok: int) -> None:
    if response.status_code == 503:
        assert error_of(response)["code"] == "unavailable"
        assert int(response.headers["Retry-After"]) >= 1
    else:
        assert response.status_code == ok, response.text


Write = Callable[[TestClient, dict[str, str]], Any]

# A post's requests: its key, the rate buckets (two: a sliding window), the two blocks (one
# batch), the thread, the transaction, then the thread's count (step 6) and the mark. A like's:
# the rate buckets, the thread, the network's block, the like item, then likes + 1 (step 5) and
# the mark.
POST_COUNT_STEP = 6
LIKE_ADD_STEP = 5

WRITES: dict[str, tuple[Write, int, int]] = {
    # name: (the write, its success status, how many requests it makes)
    "post": (lambda api, ids: post(api, "fault-post-0001"), 201, 8),
    "reply": (lambda api, ids: post(api, "fault-reply-001", parent=ids["parent"]), 201, 10),
    "like": (
        lambda api, ids: api.post(f"/api/v1/comments/{ids['parent']}/likes", json=THREAD),
        200,
        7,
    ),
    "unlike": (
        lambda api, ids: api.request(
            "DELETE", f"/api/v1/comments/{ids['liked']}/likes", json=THREAD
        ),
        200,
        6,
    ),
}


@pytest.mark.parametrize(
    ("write", "step"),
    [(name, step) for name, (_, _, steps) in WRITES.items() for step in range(steps)],
)
def test_a_fault_at_any_step_is_503_or_done_and_repairs_exactly(
    api: TestClient, dynamo: DynamoStore, write: str, step: int
) -> None:
    parent = post(api, "fault-parent-01").json()["comment"]["id"]
    liked = post(api, "fault-liked-001").json()["comment"]["id"]
    assert api.post(f"/api/v1/comments/{liked}/likes", json=THREAD).status_code == 200
    call, ok, _ = WRITES[write]
    ids = {"parent": parent, "liked": liked}

    with fault_at(dynamo, step):
        answered(call(api, ids), ok)
    again = call(api, ids)  # the reader retries: it works, and changes nothing twice
    assert again.status_code == ok, again.text
    assert_exact(dynamo)
    if write in ("post", "reply"):
        assert truth(dynamo)["count"][1] == 3  # exactly one comment for the retried key
    if write == "like":
        assert truth(dynamo)["likes"][parent] == (1, 1)
    if write == "unlike":
        assert truth(dynamo)["likes"][liked] == (0, 0)


@pytest.mark.parametrize("step", range(5))
def test_a_fault_at_any_step_of_a_status_move_repairs_exactly(
    dynamo: DynamoStore, api: TestClient, step: int
) -> None:
    parent = post(api, "fault-parent-01").json()["comment"]["id"]
    reply = post(api, "fault-reply-001", parent=parent).json()["comment"]["id"]
    with fault_at(dynamo, step):
        try:
            dynamo.set_status(SITE, URI, reply, Status.SPAM)
        except Exception as exc:  # the documented failure, nothing else
            assert type(exc).__name__ == "StoreUnavailable"
    dynamo.set_status(SITE, URI, reply, Status.SPAM)  # the moderator clicks again
    assert_exact(dynamo)
    assert truth(dynamo)["replies"][parent] == (0, 0) and truth(dynamo)["count"] == (1, 1)


def test_repair_waits_while_a_mark_is_fresh(dynamo: DynamoStore, api: TestClient) -> None:
    with fault_at(dynamo, POST_COUNT_STEP):  # the thread's count, after the comment landed
        answered(post(api, "fault-post-0001"), 201)
    assert truth(dynamo)["marks"]  # the cut-short move left its mark
    assert dynamo.repair(SITE, URI) is False  # its writer might still be running
    assert truth(dynamo)["marks"]
    assert_exact(dynamo)


def test_parley_repair_finds_marked_threads(
    dynamo: DynamoStore, api: TestClient, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from backend.cli import main

    endpoint = dynamo.client.meta.endpoint_url
    monkeypatch.setenv(
        "PARLEY_STORE", f"dynamodb://{dynamo.table}?region=us-east-1&endpoint={endpoint}"
    )
    assert main(["repair", "--site", SITE]) == 0
    assert "0 threads recounted, 0 busy" in capsys.readouterr().out
    with fault_at(dynamo, POST_COUNT_STEP):  # the thread's count, after the comment landed
        answered(post(api, "fault-post-0001"), 201)
    assert main(["repair", "--site", SITE]) == 0  # the index shows stale marks only
    assert "0 threads recounted, 0 busy" in capsys.readouterr().out
    assert main(["repair", "--site", SITE, "--scan"]) == 0  # its writer may still run
    out = capsys.readouterr().out
    assert "0 threads recounted, 1 busy" in out and URI in out
    assert truth(dynamo)["count"] == (0, 1)
    assert dynamo.repair_site(SITE, scan=True) == Repairs(busy=(URI,))


# -- the schedule (backend/notify/upkeep.py, run by the worker function every 5 minutes) ---------


def schedule(store: DynamoStore, later_s: float = 0.0) -> dict[str, Any]:
    """One scheduled invocation of the worker function, in process, `later_s` from now (the
    markers' stamps are real time)."""
    settings = make_settings(f"dynamodb://{store.table}?region=us-east-1")
    worker = build_worker(settings, store, clock=lambda: time.time() + later_s)
    return handle(worker, {"source": "aws.events", "detail-type": "Scheduled Event"})


LATER_S = STALE_MS / 1000 + 1


def test_the_schedule_repairs_what_a_crash_left_once_it_is_stale(
    dynamo: DynamoStore, api: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    parent = post(api, "fault-parent-01").json()["comment"]["id"]
    with fault_at(dynamo, POST_COUNT_STEP):  # the post's thread count, after the comment landed
        answered(post(api, "fault-post-0001"), 201)
    with fault_at(dynamo, LIKE_ADD_STEP):  # a like's ADD, after its like item landed
        answered(api.post(f"/api/v1/comments/{parent}/likes", json=THREAD), 200)
    before = truth(dynamo)
    assert before["count"] == (1, 2) and before["likes"][parent] == (0, 1)
    assert len(before["marks"]) == 2

    assert schedule(dynamo)["recounted"] == 0  # fresh marks: their writers may still run
    assert truth(dynamo) == before

    with caplog.at_level(logging.INFO, logger="parley.repair"):
        assert schedule(dynamo, LATER_S) == {"delivered": 0, "recounted": 1}
    after = truth(dynamo)
    assert after["count"] == (2, 2) and after["likes"][parent] == (1, 1) and after["marks"] == []
    assert f"site blog: counters recounted in 1 threads: {URI}" in caplog.text
    assert schedule(dynamo, LATER_S)["recounted"] == 0  # nothing left: the index is empty
    marks = dynamo.client.scan(TableName=dynamo.table, IndexName=it.MARKS_INDEX)
    assert marks["Items"] == []


def test_the_schedule_leaves_a_thread_with_a_write_in_flight(
    dynamo: DynamoStore, api: TestClient
) -> None:
    with fault_at(dynamo, POST_COUNT_STEP):
        answered(post(api, "fault-post-0001"), 201)
    stale = truth(dynamo)["marks"][0]
    # Another writer in the same thread right now: its mark is fresh at the time of the run.
    item = dynamo.client.get_item(
        TableName=dynamo.table, Key={"pk": it.s(it.thread_pk(SITE, URI)), "sk": it.s(stale)}
    )["Item"]
    later = now_ms() + STALE_MS + 1000
    fresh = {
        **item,
        "sk": it.s("C#01KZZZZZZZZZZZZZZZZZZZZZZZ"),
        "id": it.s("01KZZZZZZZZZZZZZZZZZZZZZZZ"),
    }
    fresh.update({"tally": it.n(later), **it.mark_attributes(SITE, URI, later)})
    dynamo.client.put_item(TableName=dynamo.table, Item=fresh)
    assert dynamo.repair_marked(SITE, limit=5, now=later) == Repairs(busy=(URI,))
    assert truth(dynamo)["count"] == (0, 2)  # untouched


def test_a_run_repairs_a_bounded_number_of_threads(dynamo: DynamoStore, api: TestClient) -> None:
    uris = [f"/bounded/{n}/" for n in range(3)]
    for n, uri in enumerate(uris):
        with fault_at(dynamo, POST_COUNT_STEP):
            answered(post(api, f"fault-bound-{n:04d}", uri=uri), 201)
    later = now_ms() + STALE_MS + 1000
    first = dynamo.repair_marked(SITE, limit=2, now=later)
    assert len(first.repaired) == 2 and first.more and not first.busy
    second = dynamo.repair_marked(SITE, limit=2, now=later)
    assert sorted(first.repaired + second.repaired) == uris and not second.more
    assert dynamo.repair_marked(SITE, limit=2, now=later) == Repairs()
    assert dynamo.counts(SITE, uris) == dict.fromkeys(uris, 1)


def test_parley_repair_scan_clears_a_marker_set_before_the_index(dynamo: DynamoStore) -> None:
    """A marker from before the marks index existed has no index keys: only `--scan` sees it,
    and clearing it (the index's keys are not its own) still works."""
    thread = it.thread_key(SITE, URI)
    dynamo.client.put_item(
        TableName=dynamo.table,
        Item={**thread, "site": it.s(SITE), "uri": it.s(URI), "created": it.n(1), "count": it.n(0)},
    )
    like = {"pk": thread["pk"], "sk": it.s("L#01KD0000000000000000000000#v1")}
    dynamo.client.put_item(TableName=dynamo.table, Item={**like, "tally": it.n(1)})
    assert dynamo.repair_marked(SITE, limit=5) == Repairs()  # not in the index
    assert dynamo.repair_site(SITE, scan=True) == Repairs(repaired=(URI,))
    assert "tally" not in dynamo.client.get_item(TableName=dynamo.table, Key=like)["Item"]


def test_the_schedule_requests_are_a_few_index_queries_and_no_scan(dynamo: DynamoStore) -> None:
    ops: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        ops.append((model.name, params))

    dynamo.client.meta.events.register("before-parameter-build.dynamodb", record)
    assert dynamo.repair_marked(SITE, limit=25) == Repairs()
    assert [name for name, _ in ops] == ["Query"] * it.MARK_SHARDS
    assert {params["IndexName"] for _, params in ops} == {it.MARKS_INDEX}
