"""The store's bulk methods (imports, exports): every store in tests/stores.py passes these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from moto import mock_aws

from backend.domain.ids import new_ulid
from backend.domain.models import Comment, Status, Thread
from backend.settings import StoreURL
from backend.store.base import Store
from backend.store.dynamo import DynamoStore
from backend.store.reports import Written

SITE, URI = "blog", "/bulk/"
T0 = 1_300_000_000.0


def thread(uri: str = URI, site: str = SITE, locked: bool = False) -> Thread:
    created = datetime.fromtimestamp(T0, UTC)
    return Thread(site=site, uri=uri, title="Bulk", count=0, locked=locked, created=created)


def comment(
    n: int, parent: str | None = None, status: Status = Status.APPROVED, uri: str = URI
) -> Comment:
    at = T0 + n
    return Comment(
        site=SITE, uri=uri, id=new_ulid(at), parent=parent, author=f"A{n}",
        email=f"a{n}@example.com", website=None, text=f"t{n}", html=f"<p>t{n}</p>",
        status=status, created=datetime.fromtimestamp(at, UTC), likes=n,
    )  # fmt: skip


def test_put_many_adds_only_what_is_missing(store: Store) -> None:
    top = comment(1)
    batch = [top, comment(2, top.id), comment(3, top.id, Status.PENDING)]
    assert store.put_many([thread()], batch) == Written(threads=1, comments=3)
    assert store.put_many([thread()], batch) == Written(threads=0, comments=0)
    store.set_status(SITE, URI, batch[2].id, Status.SPAM)  # moderated since
    assert store.put_many([], [*batch, comment(4)]) == Written(threads=0, comments=1)
    stored = {c.id: c for c in store.thread_comments(SITE, URI)}
    assert stored[batch[2].id].status is Status.SPAM  # never overwritten
    assert stored[batch[0].id].likes == 1 and stored[batch[0].id].email == "a1@example.com"


def test_recount_makes_counts_exact(store: Store) -> None:
    top = comment(1)
    deleted = comment(2, status=Status.DELETED)
    batch = [top, deleted, comment(3, top.id), comment(4, top.id), comment(5, deleted.id),
             comment(6, top.id, Status.PENDING), comment(7, status=Status.SPAM)]  # fmt: skip
    store.put_many([thread(locked=True)], batch)
    got = store.recount(SITE, URI)
    assert got is not None and got.count == 4 and got.locked and got.title == "Bulk"
    replies = {c.id: c.replies for c in store.thread_comments(SITE, URI)}
    assert replies[top.id] == 2 and replies[deleted.id] == 1
    assert sum(replies.values()) == 3
    page = store.read_page(SITE, URI, after=None, limit=10)  # the tombstone is shown
    assert deleted.id in [c.id for c in page.comments]
    assert store.counts(SITE, [URI]) == {URI: 4}


def test_walks_a_site_for_export(store: Store) -> None:
    other = Thread(site="other", uri=URI, title="", count=0, locked=False,
                   created=datetime.fromtimestamp(T0, UTC))  # fmt: skip
    store.put_many([thread("/b/"), thread("/a/"), other], [])
    store.put_many([], [comment(3, uri="/a/"), comment(1, uri="/a/", status=Status.SPAM)])
    assert sorted(t.uri for t in store.threads(SITE)) == ["/a/", "/b/"]
    assert [c.author for c in store.thread_comments(SITE, "/a/")] == ["A1", "A3"]
    assert list(store.thread_comments(SITE, "/missing/")) == []


def test_batch_writes_retry_unprocessed_items(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB may leave part of a BatchWriteItem unprocessed (throttling): it is retried.
    Injected with moto, since DynamoDB Local never throttles."""
    monkeypatch.setattr("backend.store.dynamo.bulk.PARALLEL", 1)  # one request at a time
    with mock_aws():
        store = DynamoStore.from_url(StoreURL("dynamodb", table="bulk", region="us-east-1"))
        store.setup()
        client = store.client
        send = client._make_api_call
        calls: list[int] = []

        def throttled(operation: str, params: dict[str, Any]) -> Any:
            if operation != "BatchWriteItem":
                return send(operation, params)
            requests = params["RequestItems"]["bulk"]
            calls.append(len(requests))
            if len(calls) > 2:
                return send(operation, params)
            keep, rest = requests[:3], requests[3:]  # only 3 land, the rest come back
            send(operation, {**params, "RequestItems": {"bulk": keep}})
            return {"UnprocessedItems": {"bulk": rest} if rest else {}}

        client._make_api_call = throttled  # type: ignore[method-assign]
        batch = [comment(n) for n in range(30)]
        assert store.put_many([thread()], batch) == Written(threads=1, comments=30)
        # The 30 private parts first (3 land twice, then the 19 left, then the last 5), then
        # the thread and the 30 comments, then the 30 authors' tallies.
        # Then the 120 search postings (a page, an email, an author and one word a comment).
        assert calls == [25, 22, 19, 5, 25, 6, 25, 5, 25, 25, 25, 25, 20]
        exported = list(store.thread_comments(SITE, URI))
        assert [c.email for c in exported] == [c.email for c in batch]
        store.close()


@pytest.mark.parametrize("size", [0, 1])
def test_empty_and_tiny_batches(store: Store, size: int) -> None:
    batch = [comment(n) for n in range(size)]
    assert store.put_many([], batch).comments == size


def test_imported_authors_count_for_first_time_moderation(store: Store) -> None:
    approved, held = comment(1), comment(2, status=Status.PENDING)
    store.put_many([thread()], [approved, held])
    store.put_many([thread()], [approved, held])  # a rerun does not count them twice
    assert store.author_approved(SITE, "a1@example.com")
    assert not store.author_approved(SITE, "a2@example.com")
    store.set_status(SITE, URI, approved.id, Status.SPAM)
    assert not store.author_approved(SITE, "a1@example.com")
