"""Comments from the open web in the counts: every thread keeps its share of them (`inbound`)
beside its count, moved with it on every status move, exact under concurrency, on both stores;
a site whose `count_inbound` is off serves `count - inbound` wherever a count is served."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.app import create_app
from backend.domain import errors
from backend.domain.models import (
    Comment,
    NewComment,
    Origin,
    OriginKind,
    Status,
    Thread,
    counted,
)
from backend.sites import SiteConfig
from backend.store.base import Store
from backend.store.dynamo import DynamoStore
from backend.store.dynamo.counters import STALE_MS, now_ms
from tests import fediverse_records as rec
from tests.conftest import Clock, make_settings
from tests.inbound_support import INBOUND_SITES, TOKEN, standin_server, worker
from tests.standins import StandIn
from tests.stores import dynamodb_local_store
from tests.test_dynamo_faults import fault_at

SITE, URI = "web", "/2026/01/hello/"
WHEN = datetime(2026, 1, 1, tzinfo=UTC)
TOOT = Origin(OriginKind.MASTODON, "https://mastodon.example/@carol/1", "@carol@mastodon.example")
_serial = iter(range(1, 1_000_000))


def comment(
    store: Store,
    *,
    origin: Origin | None = None,
    status: Status = Status.APPROVED,
    parent: str | None = None,
    uri: str = URI,
) -> Comment:
    n = next(_serial)
    made = Comment(
        site=SITE, uri=uri, id=f"01KE{n:022d}", parent=parent, author=f"A{n}", email="",
        website=None, text="t", html="<p>t</p>", status=status, created=WHEN, origin=origin,
    )  # fmt: skip
    return store.create_comment(NewComment(made, "", f"k-{n}", key_expires=2_000_000_000))


def numbers(store: Store, uri: str = URI) -> tuple[int, int, int]:
    """The thread's count, its inbound share, and the count a site without them serves."""
    thread = store.get_thread(SITE, uri)
    assert thread is not None
    return thread.count, thread.inbound, store.counts(SITE, [uri], inbound=False)[uri]


def test_the_inbound_share_follows_every_status_move(store: Store) -> None:
    form = comment(store)
    toot = comment(store, origin=TOOT)
    held = comment(store, origin=TOOT, status=Status.PENDING)
    assert numbers(store) == (2, 1, 1)
    assert store.counts(SITE, [URI, "/none/"], inbound=False) == {URI: 1, "/none/": 0}
    assert store.counts(SITE, [URI]) == {URI: 2}

    store.set_status(SITE, URI, toot.id, Status.SPAM)
    assert numbers(store) == (1, 0, 1)
    store.set_status(SITE, URI, toot.id, Status.APPROVED)  # restored
    assert numbers(store) == (2, 1, 1)
    store.set_status(SITE, URI, held.id, Status.APPROVED)
    assert numbers(store) == (3, 2, 1)
    store.set_status(SITE, URI, held.id, Status.APPROVED)  # again: nothing moves
    assert numbers(store) == (3, 2, 1)
    store.set_status(SITE, URI, held.id, Status.DELETED, scrub=True)  # left its source
    assert numbers(store) == (2, 1, 1)
    store.set_status(SITE, URI, held.id, Status.APPROVED)  # linked again
    assert numbers(store) == (3, 2, 1)

    reply = comment(store, origin=TOOT, parent=toot.id)
    assert numbers(store) == (4, 3, 1)
    store.erase(SITE, URI, toot.id)  # a tombstone: its reply hangs under it
    assert numbers(store) == (3, 2, 1)
    store.erase(SITE, URI, reply.id)
    store.erase(SITE, URI, held.id)
    assert numbers(store) == (1, 0, 1)
    store.set_status(SITE, URI, form.id, Status.DELETED)
    assert numbers(store) == (0, 0, 0)


def test_an_import_and_a_recount_make_the_share_exact(store: Store) -> None:
    thread = Thread(SITE, URI, "Hello", count=0, locked=False, created=WHEN)
    made = [
        Comment(
            site=SITE, uri=URI, id=f"01KF{n:022d}", parent=None, author="A", email="",
            website=None, text="t", html="<p>t</p>", created=WHEN,
            status=Status.PENDING if n == 3 else Status.APPROVED,
            origin=None if n == 0 else replace(TOOT, url=f"{TOOT.url}{n}"),
        )
        for n in range(4)
    ]  # fmt: skip
    store.put_many([thread], made)
    store.recount(SITE, URI)
    assert numbers(store) == (3, 2, 1)
    # A recount also puts right a share that drifted (a thread written with wrong numbers).
    other = replace(thread, uri="/drifted/", count=9, inbound=7)
    store.put_many([other], [replace(made[1], uri="/drifted/")])
    recounted = store.recount(SITE, "/drifted/")
    assert recounted is not None and (recounted.count, recounted.inbound) == (1, 1)
    assert numbers(store, "/drifted/") == (1, 1, 0)


PARALLEL = 24


def test_parallel_moves_keep_the_share_exact(store: Store) -> None:
    """Inbound and form comments posted at once, then moved at once (approved, marked as
    spam, deleted, erased, restored), several moves racing on the same comment."""
    first = comment(store)  # the thread exists before the race

    def post(i: int) -> Comment:
        return comment(
            store,
            origin=TOOT if i % 2 else None,
            status=Status.PENDING if i % 3 == 0 else Status.APPROVED,
        )

    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(post, range(PARALLEL)))
        count, inbound, _ = numbers(store)
        approved = [c for c in made if c.status is Status.APPROVED]
        assert count == 1 + len(approved)
        assert inbound == sum(1 for c in approved if c.origin is not None)

        moves = [Status.APPROVED, Status.SPAM, Status.DELETED, Status.APPROVED, Status.SPAM]

        def move(job: tuple[int, Status]) -> None:
            i, status = job
            target = made[i % PARALLEL]
            try:
                if i % 7 == 6:
                    store.erase(SITE, URI, target.id)
                else:
                    store.set_status(SITE, URI, target.id, status)
            except (errors.CommentNotFound, errors.StoreUnavailable):
                pass  # erased by a racing move, or too many moves raced on one comment

        list(pool.map(move, [(i, moves[i % len(moves)]) for i in range(PARALLEL * 3)]))

    if isinstance(store, DynamoStore):  # a move refused halfway leaves its counts to repair
        store.repair(SITE, URI, now=now_ms() + STALE_MS + 1)
    left = [store.get_comment(SITE, URI, c.id) for c in [first, *made]]
    approved_now = [c for c in left if c is not None and c.status is Status.APPROVED]
    assert numbers(store) == (
        len(approved_now),
        sum(1 for c in approved_now if c.origin is not None),
        sum(1 for c in approved_now if c.origin is None),
    )


@pytest.fixture
def dynamo(tmp_path: Path) -> Iterator[DynamoStore]:
    with dynamodb_local_store(tmp_path) as (store, _):
        assert isinstance(store, DynamoStore)
        yield store


@pytest.mark.parametrize("step", [2, 3])  # the thread's ADD, the mark's removal
def test_a_cut_short_inbound_post_is_repaired_exactly(dynamo: DynamoStore, step: int) -> None:
    comment(dynamo)
    with fault_at(dynamo, step), pytest.raises(errors.StoreUnavailable):
        comment(dynamo, origin=TOOT)
    assert dynamo.repair(SITE, URI, now=now_ms() + STALE_MS + 1)
    assert numbers(dynamo) == (2, 1, 1)


def test_a_repair_makes_a_drifted_share_exact(dynamo: DynamoStore) -> None:
    toot = comment(dynamo, origin=TOOT)
    with fault_at(dynamo, 2), pytest.raises(errors.StoreUnavailable):  # the thread's ADD
        dynamo.set_status(SITE, URI, toot.id, Status.SPAM)
    assert numbers(dynamo) == (1, 1, 0)  # the comment moved, its counts did not yet
    assert dynamo.repair(SITE, URI, now=now_ms() + STALE_MS + 1)
    assert numbers(dynamo) == (0, 0, 0)


def test_the_setting_is_checked() -> None:
    assert SiteConfig.parse({"count_inbound": False}).count_inbound is False
    assert SiteConfig().count_inbound is True
    thread = Thread(SITE, URI, "", count=5, locked=False, created=WHEN, inbound=2)
    assert counted(thread, True) == thread
    assert counted(thread, False) == replace(thread, count=3)
    assert counted(None, False) is None


# -- every place a count is served, with the setting off ----------------------------------------


@pytest.fixture
def quiet(store_and_url: tuple[Store, Any], clock: Clock) -> Iterator[TestClient]:
    """The inbound site with `count_inbound = false`."""
    sites = {**INBOUND_SITES, "web": {**INBOUND_SITES["web"], "count_inbound": False}}
    store, url = store_and_url
    if url.scheme == "sqlite":
        settings = make_settings(f"sqlite:///{url.path}", sites)
    else:
        where = f"region={url.region}&endpoint={url.endpoint}"
        settings = make_settings(f"dynamodb://{url.table}?{where}", sites)
    with TestClient(create_app(settings, store, clock=clock), base_url="http://api.test") as c:
        yield c


@pytest.fixture(scope="module")
def standin() -> Iterator[tuple[StandIn, str]]:
    yield from standin_server()


def test_a_site_can_leave_the_open_web_out_of_its_counts(
    quiet: TestClient, store: Store, standin: tuple[StandIn, str]
) -> None:
    s, base = standin
    owner = rec.account("owner", "The Owner")
    carol = rec.account("carol", "Carol", host="elsewhere.test")
    s.statuses["2001"] = rec.status("2001", owner, "<p>New post!</p>", in_reply_to_id=None)
    s.contexts["2001"] = rec.context(
        [], [rec.status("2002", carol, "<p>Nice</p>", in_reply_to_id="2001")]
    )
    auth = {"Authorization": f"Bearer {TOKEN}"}
    bound = quiet.post(
        "/api/v1/admin/threads/announce",
        json={"site": SITE, "uri": URI, "url": f"{base}/@owner/2001"},
        headers=auth,
    )
    assert bound.status_code == 200, bound.text
    worker(quiet).drain()
    comment(store)  # and one through the form
    assert numbers(store)[:2] == (2, 1)

    params = {"site": SITE, "uri": URI}
    page = quiet.get("/api/v1/comments", params=params).json()
    assert page["thread"]["count"] == 1  # the heading's
    assert [c["number"] for c in page["comments"]] == [1, 2]  # both stay numbered
    for sort in ("newest", "top"):
        read = quiet.get("/api/v1/comments", params={**params, "sort": sort}).json()
        assert read["thread"]["count"] == 1
    assert quiet.get("/api/v1/counts", params=params).json() == {"counts": {URI: 1}}
    html = quiet.get("/api/v1/comments.html", params=params).text
    assert '<meta itemprop="commentCount" content="1">' in html
    assert "<h2>1 Comment</h2>" in html
    locked = quiet.post("/api/v1/admin/threads/lock", json={**params, "locked": True}, headers=auth)
    assert locked.json()["thread"]["count"] == 1
