"""An export while readers write, on AWS's DynamoDB Local: every comment it writes is whole (its
email, source text and IP hash beside its html, from one version), never a public part joined
to nothing or to another version's private part. DynamoDB keeps a comment in two items
(docs/dynamodb.md), read by an export in separate Queries; the writes are injected between
those Queries through botocore's `after-call` event."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from backend.domain import errors
from backend.domain.models import Status
from backend.store.dynamo import DynamoStore
from backend.store.dynamo import items as it
from tests.stores import dynamodb_local_store
from tests.test_store_private import SITE, T0, URI, add, make, private


@pytest.fixture
def dynamo(tmp_path: Path) -> Iterator[DynamoStore]:
    with dynamodb_local_store(tmp_path) as (store, _):
        assert isinstance(store, DynamoStore)
        yield store


@contextmanager
def after_first_query(store: DynamoStore, write: Callable[[], object]) -> Iterator[None]:
    """`write` runs once, right after the block's first Query has been answered."""
    done = {"ran": False}

    def after(**_: Any) -> None:
        if not done["ran"]:
            done["ran"] = True
            write()

    events = store.client.meta.events
    events.register("after-call.dynamodb.Query", after)
    try:
        yield
    finally:
        events.unregister("after-call.dynamodb.Query", after)
    assert done["ran"]


def test_a_comment_posted_during_an_export_is_whole_or_absent(dynamo: DynamoStore) -> None:
    first, late = add(dynamo, make(1)), make(2)
    with after_first_query(dynamo, lambda: add(dynamo, late)):
        exported = list(dynamo.thread_comments(SITE, URI))
    assert exported in ([first], [first, dynamo.get_comment(SITE, URI, late.id)])
    assert [private(c) for c in exported] == [private(first), private(late)][: len(exported)]


def test_an_edit_during_an_export_gives_one_versions_text_and_html(dynamo: DynamoStore) -> None:
    c = add(dynamo, make(1))
    at = datetime.fromtimestamp(T0 + 60, UTC)

    def edit() -> None:
        dynamo.edit_comment(SITE, URI, c.id, text="new", html="<p>new</p>", edited=at)

    with after_first_query(dynamo, edit):
        (exported,) = dynamo.thread_comments(SITE, URI)
    assert (exported.text, exported.html) in {(c.text, c.html), ("new", "<p>new</p>")}


def test_a_comment_erased_during_an_export_is_left_out_or_a_tombstone(
    dynamo: DynamoStore,
) -> None:
    gone, parent = add(dynamo, make(1)), add(dynamo, make(2))
    reply = add(dynamo, make(3, parent=parent.id))

    def erase() -> None:
        dynamo.erase(SITE, URI, gone.id)
        dynamo.erase(SITE, URI, parent.id)  # a reply hangs under it: a tombstone

    with after_first_query(dynamo, erase):
        exported = {c.id: c for c in dynamo.thread_comments(SITE, URI)}
    assert set(exported) == {parent.id, reply.id}
    assert private(exported[parent.id]) == ("", "", "")
    assert exported[parent.id].status is Status.DELETED
    assert private(exported[reply.id]) == private(reply)


def test_a_public_part_without_its_private_part_is_refused(dynamo: DynamoStore) -> None:
    c = add(dynamo, make(1))
    dynamo.client.delete_item(TableName=dynamo.table, Key=it.private_key(SITE, URI, c.id))
    with pytest.raises(errors.StoreUnavailable, match=c.id):
        list(dynamo.thread_comments(SITE, URI))
