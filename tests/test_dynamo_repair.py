"""The counter repair's own races and bounds, on AWS's DynamoDB Local (review of session 3).

Interleavings are driven deterministically: a second store on the same table (its own client,
no hooks) writes at a chosen point of the repair's requests, which botocore's events expose.
Cut-short writes are left by `fault_at` (tests/test_dynamo_faults.py), as the faults suite does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from backend.domain import errors
from backend.domain.models import Comment, NewComment, Status
from backend.notify.lambda_worker import handle
from backend.notify.upkeep import repair_counters, time_left
from backend.notify.worker import build_worker
from backend.store.base import RUN_EVERY_MS
from backend.store.dynamo import DynamoStore
from backend.store.dynamo import items as it
from backend.store.dynamo.counters import STALE_MS, now_ms
from tests.conftest import make_settings
from tests.stores import PATIENT, SESSION, dynamodb_local_store
from tests.test_dynamo_faults import SITE, URI, fault_at, truth

Stores = tuple[DynamoStore, DynamoStore]


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    """The store under test, and another on the same table: a concurrent writer."""
    with dynamodb_local_store(tmp_path) as (store, url):
        assert isinstance(store, DynamoStore)
        other = DynamoStore.from_url(url, SESSION, PATIENT)
        try:
            yield store, other
        finally:
            other.close()


def comment(
    store: DynamoStore, n: int, uri: str = URI, parent: str | None = None, site: str = SITE
) -> Comment:
    """An approved comment, posted through the store (its counters move as a reader's post's)."""
    made = Comment(
        site=site,
        uri=uri,
        id=f"01KD{n:022d}",
        parent=parent,
        author="A",
        email="a@example.com",
        website=None,
        text="t",
        html="<p>t</p>",
        status=Status.APPROVED,
        created=datetime(2026, 11, 30, tzinfo=UTC),
    )
    new = NewComment(made, "", f"key-{n}", key_expires=2_000_000_000)
    return store.create_comment(new)


@contextmanager
def paged(store: DynamoStore, limit: int, then: Callable[[], None]) -> Iterator[None]:
    """While the block runs, the store's Queries read at most `limit` items a page, and `then`
    runs once, after the first page came back: a write landing between the repair's pages."""
    state = {"pages": 0}

    def shorten(params: dict[str, Any], **_: Any) -> None:
        params["Limit"] = limit

    def between(**_: Any) -> None:
        state["pages"] += 1
        if state["pages"] == 1:
            then()

    events = store.client.meta.events
    events.register("provide-client-params.dynamodb.Query", shorten)
    events.register("after-call.dynamodb.Query", between)
    try:
        yield
    finally:
        events.unregister("provide-client-params.dynamodb.Query", shorten)
        events.unregister("after-call.dynamodb.Query", between)


def later() -> int:
    return now_ms() + STALE_MS + 1


def test_a_change_and_its_reversal_between_the_repairs_reads_are_not_written(
    stores: Stores,
) -> None:
    """Reviewer's defect 2: the comment (likes=5) and voter `vb`'s like are on the repair's first
    page; then `vb` takes the like back and `vz` likes (5 again, both marks cleared); `vz`'s like
    is on the second page. Conditioned on the value, likes=6 was written; on the counter's
    version, the repair counts again and leaves 5."""
    store, other = stores
    liked = comment(store, 1).id
    for voter in ("v1", "v2", "v3", "v4", "vb"):
        store.add_like(SITE, URI, liked, voter)

    def unlike_then_like() -> None:
        assert other.remove_like(SITE, URI, liked, "vb") == 4
        assert other.add_like(SITE, URI, liked, "vz") == 5

    # Page 1: the thread, the comment, its likes v1..v4 and vb; page 2: vz (and the rest).
    with paged(store, 7, unlike_then_like):
        assert store.repair(SITE, URI, now=later())
    assert truth(store)["likes"][liked] == (5, 5)


def test_the_repair_reads_no_private_part(stores: Stores) -> None:
    """Reviewer's defect 6: the repair counts from the thread, comments and likes only; a
    comment's private part (`P#`, ~0.45 KB) is billed and never used."""
    store, _ = stores
    for n in range(3):
        store.add_like(SITE, URI, comment(store, n).id, "v1")
    read: list[str] = []

    def record(parsed: dict[str, Any], **_: Any) -> None:
        read.extend(item["sk"]["S"] for item in parsed.get("Items", []))

    store.client.meta.events.register("after-call.dynamodb.Query", record)
    assert store.repair(SITE, URI, now=later())
    assert read and not [sk for sk in read if sk.startswith(it.PRIVATE_PREFIX)], read
    assert {sk[:2] for sk in read} == {"#", "C#", "L#"}


def test_taking_back_a_like_still_marked_keeps_its_marker(stores: Stores) -> None:
    """Reviewer's defect 3 (writes.py): a like whose `likes + 1` was cut short still carries
    `tally`; an un-like that deleted it took the only trigger of its repair with it, and the
    count stayed off for good. Now the un-like is refused (503, nothing moved) until the
    repair has settled the like; then it goes through."""
    store, _ = stores
    liked = comment(store, 1).id
    with fault_at(store, 1), pytest.raises(errors.StoreUnavailable):  # the like's ADD
        store.add_like(SITE, URI, liked, "v1")
    assert truth(store)["likes"][liked] == (0, 1)
    with pytest.raises(errors.StoreUnavailable):
        store.remove_like(SITE, URI, liked, "v1")
    assert store.repair_marked(SITE, limit=5, now=later()).repaired == (URI,)
    assert truth(store)["likes"][liked] == (1, 1)
    assert store.remove_like(SITE, URI, liked, "v1") == 0
    assert truth(store)["likes"][liked] == (0, 0) and truth(store)["marks"] == []


def test_erasing_a_comment_still_marked_keeps_its_marker(stores: Stores) -> None:
    """Reviewer's defect 3 (moderation.py): erase moves an approved comment to deleted first;
    when that move is cut short after its transaction, the comment is deleted and marked while
    the thread still counts it. A retry that deleted it took the marker with it: the count stayed
    +1 for good. Now the retry is refused (503) until the repair has settled the count."""
    store, _ = stores
    gone = comment(store, 1).id
    comment(store, 2)
    with fault_at(store, 2), pytest.raises(errors.StoreUnavailable):  # the thread's count
        store.erase(SITE, URI, gone)
    assert truth(store)["count"] == (2, 1)
    with pytest.raises(errors.StoreUnavailable):
        store.erase(SITE, URI, gone)
    assert store.repair_marked(SITE, limit=5, now=later()).repaired == (URI,)
    assert truth(store)["count"] == (1, 1)
    store.erase(SITE, URI, gone)
    assert store.get_comment(SITE, URI, gone) is None
    assert truth(store)["count"] == (1, 1) and truth(store)["marks"] == []


# -- the schedule's bounds: a failing thread, turns, time (review of session 3, defect 5) ------


def cut_short_post(store: DynamoStore, n: int, uri: str, site: str = SITE) -> None:
    """A post whose thread count was throttled after the comment landed: a marked thread."""
    with fault_at(store, 2), pytest.raises(errors.StoreUnavailable):
        comment(store, n, uri, site=site)


def uri_in_shard(stem: str, shard: int, site: str = SITE) -> str:
    return next(u for n in range(100) if it.mark_shard(site, u := f"/{stem}{n}/") == shard)


@contextmanager
def failing(store: DynamoStore, uri: str, site: str = SITE) -> Iterator[None]:
    """Every Query of `uri`'s thread partition is throttled (botocore's retries included)."""

    def before(model: Any, params: dict[str, Any], **_: Any) -> Any:
        body = params.get("body", b"")
        text = body.decode() if isinstance(body, bytes) else str(body)
        if model.name != "Query" or it.thread_pk(site, uri) not in text:
            return None
        response = AWSResponse("http://dynamodb.test", 400, {}, None)  # type: ignore[arg-type]
        return response, {"Error": {"Code": "ThrottlingException", "Message": "injected"}}

    store.client.meta.events.register("before-call.dynamodb", before)
    try:
        yield
    finally:
        store.client.meta.events.unregister("before-call.dynamodb", before)


def test_a_thread_whose_repair_fails_is_busy_and_the_others_are_repaired(stores: Stores) -> None:
    store, _ = stores
    for n, uri in enumerate(["/a/", "/stuck/", "/b/"]):
        cut_short_post(store, n, uri)
    with failing(store, "/stuck/"):
        done = store.repair_marked(SITE, limit=5, now=later())
    assert sorted(done.repaired) == ["/a/", "/b/"] and done.busy == ("/stuck/",)
    assert store.repair_marked(SITE, limit=5, now=later()).repaired == ("/stuck/",)


def test_runs_take_turns_so_a_busy_shard_cannot_hold_the_others(stores: Stores) -> None:
    """A thread in shard 0 that keeps failing, a bound of one thread a run: the thread in shard
    2 is still repaired within a round of runs (each starts at the next shard)."""
    store, _ = stores
    stuck, waiting = uri_in_shard("stuck", 0), uri_in_shard("waiting", 2)
    cut_short_post(store, 1, stuck)
    cut_short_post(store, 2, waiting)
    repaired: list[str] = []
    with failing(store, stuck):
        for run in range(it.MARK_SHARDS):
            now = later() + run * RUN_EVERY_MS
            repaired += store.repair_marked(SITE, limit=1, now=now).repaired
    assert repaired == [waiting]


class Invocation:
    """A Lambda context on a fake clock: each thread's repair takes 20 s of it."""

    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@contextmanager
def invocation(store: DynamoStore, remaining_ms: int) -> Iterator[Invocation]:
    context = Invocation(remaining_ms)

    def spent(params: dict[str, Any], **_: Any) -> None:
        if params.get("ConsistentRead"):  # a thread's repair (the index is not consistent)
            context.remaining_ms -= 20_000

    events = store.client.meta.events
    events.register("provide-client-params.dynamodb.Query", spent)
    try:
        yield context
    finally:
        events.unregister("provide-client-params.dynamodb.Query", spent)


def test_the_scheduled_run_starts_no_thread_near_the_invocations_timeout(
    stores: Stores, caplog: pytest.LogCaptureFixture
) -> None:
    store, _ = stores
    for n in range(3):
        cut_short_post(store, n, f"/timed{n}/")
    settings = make_settings(f"dynamodb://{store.table}?region=us-east-1")
    worker = build_worker(settings, store, clock=lambda: later() / 1000)
    run = {"source": "aws.events"}
    # 50 s, 30 s (the second thread's counts set, its mark left: 10 s), no third thread.
    with caplog.at_level(logging.WARNING, logger="parley.repair"), invocation(store, 50_000) as ctx:
        assert handle(worker, run, ctx)["recounted"] == 2
    assert "more marked threads wait" in caplog.text
    counts = store.counts(SITE, ["/timed0/", "/timed1/", "/timed2/"])
    assert sorted(counts.values()) == [0, 1, 1]  # in the run's order of shards
    with invocation(store, 600_000) as context:  # the next run: the rest
        assert handle(worker, run, context)["recounted"] == 2
    assert store.client.scan(TableName=store.table, IndexName=it.MARKS_INDEX)["Items"] == []


def test_runs_take_turns_across_sites(stores: Stores) -> None:
    """Time for one thread a run, and the first site's thread keeps failing: each run starts
    with the next site, so the second site's thread is repaired all the same."""
    store, _ = stores
    cut_short_post(store, 1, "/stuck/", site="first")
    cut_short_post(store, 2, "/two/", site="second")
    recounted = 0
    with failing(store, "/stuck/", site="first"):
        for run in range(2):
            with invocation(store, 30_000) as context:
                recounted += repair_counters(
                    store,
                    ["first", "second"],
                    now_ms=later() + run * RUN_EVERY_MS,
                    out_of_time=time_left(context.get_remaining_time_in_millis),
                )
    assert recounted == 1 and store.counts("second", ["/two/"]) == {"/two/": 1}


def test_a_status_move_never_overwrites_an_unsettled_ones_marker(stores: Stores) -> None:
    """Found beside defect 3: a moderator's second move of a comment whose first move was cut
    short (marked, the thread's count not moved) replaced the first marker with its own and
    cleared it: the first move's count was off for good. Now the second move is refused (503)
    until the repair settled the first."""
    store, _ = stores
    moved = comment(store, 1).id
    comment(store, 2)
    with fault_at(store, 2), pytest.raises(errors.StoreUnavailable):  # the thread's count
        store.set_status(SITE, URI, moved, Status.SPAM)
    assert truth(store)["count"] == (2, 1)
    with pytest.raises(errors.StoreUnavailable):
        store.set_status(SITE, URI, moved, Status.APPROVED)
    assert store.repair_marked(SITE, limit=5, now=later()).repaired == (URI,)
    assert truth(store)["count"] == (1, 1)
    store.set_status(SITE, URI, moved, Status.APPROVED)
    assert truth(store)["count"] == (2, 2) and truth(store)["marks"] == []


def test_the_repair_deletes_only_the_stale_untally_like_it_read(stores: Stores) -> None:
    """Minor point of the review: the repair deleted a stale `untally` like unconditionally, so
    a like made again in its place after the repair's read (a new like, counted) went too."""
    store, other = stores
    liked = comment(store, 1).id
    store.add_like(SITE, URI, liked, "v1")
    with fault_at(store, 1), pytest.raises(errors.StoreUnavailable):  # the un-like's ADD
        store.remove_like(SITE, URI, liked, "v1")
    key = it.like_key(SITE, URI, liked, "v1")

    def liked_again(**_: Any) -> None:  # after the repair's SET, before its delete
        events.unregister("after-call.dynamodb.UpdateItem", liked_again)
        other.client.delete_item(TableName=other.table, Key=key)
        assert other.add_like(SITE, URI, liked, "v1") == 1

    events = store.client.meta.events
    events.register("after-call.dynamodb.UpdateItem", liked_again)
    assert store.repair(SITE, URI, now=later())
    assert truth(store)["likes"][liked] == (1, 1)


def test_parley_repair_says_when_more_marks_wait(
    stores: Stores, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from backend.cli import main
    from backend.store.dynamo import store as dynamo_store
    from backend.store.dynamo import writes

    store, _ = stores
    monkeypatch.setattr(writes, "now_ms", lambda: now_ms() - STALE_MS - 1000)  # stale marks
    for n in range(2):
        cut_short_post(store, n, f"/more{n}/")
    monkeypatch.setattr(dynamo_store, "REPAIR_ALL", 1)
    endpoint = store.client.meta.endpoint_url
    monkeypatch.setenv(
        "PARLEY_STORE", f"dynamodb://{store.table}?region=us-east-1&endpoint={endpoint}"
    )
    assert main(["repair", "--site", SITE]) == 0
    assert "more marked threads wait: run it again" in capsys.readouterr().out
    assert main(["repair", "--site", SITE]) == 0
    assert "1 threads recounted, 0 busy\n" in capsys.readouterr().out


def test_a_thread_with_many_stale_marks_clears_them_until_out_of_time(stores: Stores) -> None:
    """Review defect 5: one UpdateItem per stale mark, uncapped (a throttling storm on a viral
    comment leaves thousands). The counters are set first; marks are cleared while time lasts,
    and those left bring the thread back to the next run."""
    store, _ = stores
    liked = comment(store, 1).id
    for voter in ("v1", "v2", "v3"):
        with fault_at(store, 1), pytest.raises(errors.StoreUnavailable):  # each like's ADD
            store.add_like(SITE, URI, liked, voter)
    checks = iter([False, True])
    assert store.repair(SITE, URI, now=later(), out_of_time=lambda: next(checks))
    assert truth(store)["likes"][liked] == (3, 3) and len(truth(store)["marks"]) == 2
    assert store.repair_marked(SITE, limit=5, now=later()).repaired == (URI,)
    assert truth(store)["marks"] == []
