"""DynamoDB-only behaviour: the table built from table.json, erase, TTL-late items."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend.domain.models import Comment, NewComment, Status
from backend.store.dynamo import DynamoStore
from backend.store.dynamo import items as it
from backend.store.dynamo.schema import load_definition, table_spec
from tests.stores import dynamodb_local_store, moto_store

SITE, URI, T0 = "blog", "/post/", 1_767_225_600


@pytest.fixture
def dynamo(tmp_path: Path) -> Iterator[DynamoStore]:
    with dynamodb_local_store(tmp_path) as (store, _):
        assert isinstance(store, DynamoStore)
        yield store


def add(store: DynamoStore, n: int, **changes: object) -> Comment:
    comment = Comment(
        site=SITE, uri=URI, id=f"01KD{n:022d}", parent=None, author="Ann", email="a@x.test",
        website="https://a.test/", text="t", html="<p>t</p>", status=Status.APPROVED,
        created=datetime.fromtimestamp(T0 + n, UTC),
    ).evolve(**changes)  # fmt: skip
    return store.create_comment(NewComment(comment, "T", f"k{n}", T0 + 86400))


def test_setup_builds_the_table_of_table_json_and_is_idempotent(dynamo: DynamoStore) -> None:
    dynamo.setup()  # again: no error
    client, name = dynamo.client, dynamo.table
    table = client.describe_table(TableName=name)["Table"]
    definition = load_definition()
    assert table["KeySchema"] == definition["KeySchema"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["gsi1", "gsi2"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["DeletionProtectionEnabled"] is True
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires")
    # DynamoDB Local has no continuous backups: a warning, not a failure.
    assert dynamo.init_table() == [
        "already there",
        "TTL on expires",
        f"warning: this DynamoDB does not support point-in-time recovery; table {name} works "
        "without it",
    ]


def test_setup_turns_point_in_time_recovery_on(tmp_path: Path) -> None:
    # moto, for the one call DynamoDB Local lacks.
    with moto_store(tmp_path) as (store, _):
        assert isinstance(store, DynamoStore)
        assert store.init_table() == [
            "already there",
            "TTL on expires",
            "point-in-time recovery on",
        ]
        backups = store.client.describe_continuous_backups(TableName=store.table)
        status = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        assert status["PointInTimeRecoveryStatus"] == "ENABLED"


def test_init_table_adds_an_index_an_older_table_lacks(dynamo: DynamoStore) -> None:
    # A table made before the marks index (gsi2) existed, by the definition of that time.
    spec = table_spec(load_definition(), dynamo.table + "-old").create
    spec["GlobalSecondaryIndexes"] = spec["GlobalSecondaryIndexes"][:1]
    spec["AttributeDefinitions"] = [
        a for a in spec["AttributeDefinitions"] if not a["AttributeName"].startswith("gsi2")
    ]
    dynamo.client.create_table(**spec)
    old = DynamoStore(dynamo.table + "-old", dynamo.client)
    try:
        assert old.init_table()[:2] == ["already there", "index gsi2 added"]
        table = dynamo.client.describe_table(TableName=old.table)["Table"]
        assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["gsi1", "gsi2"]
        assert "index gsi2 added" not in old.init_table()  # once
    finally:
        dynamo.client.update_table(TableName=old.table, DeletionProtectionEnabled=False)
        dynamo.client.delete_table(TableName=old.table)


def test_an_unknown_table_json_property_is_refused() -> None:
    with pytest.raises(ValueError, match="KinesisStreamSpecification"):
        table_spec({**load_definition(), "KinesisStreamSpecification": {}}, "t")


def test_an_expired_key_still_present_is_ignored(dynamo: DynamoStore) -> None:
    # TTL has not deleted it yet: the item is there, its time is up.
    dynamo.client.put_item(
        TableName=dynamo.table,
        Item={**it.idempotency_key(SITE, "late"), "comment_id": it.s("X"), "expires": it.n(T0)},
    )
    assert dynamo.find_key(SITE, "late", T0) is None
    comment = add(dynamo, 1).evolve(id="01KD" + "9" * 22)
    dynamo.create_comment(NewComment(comment, "T", "late", T0 + 86400))
    assert dynamo.find_key(SITE, "late", T0) == comment.id


def test_erase_removes_the_comment_its_likes_and_its_counts(dynamo: DynamoStore) -> None:
    parent = add(dynamo, 1)
    reply = add(dynamo, 2, parent=parent.id)
    dynamo.add_like(SITE, URI, reply.id, "v1")
    dynamo.add_like(SITE, URI, reply.id, "v2")
    assert dynamo.author_approved(SITE, "a@x.test")

    dynamo.erase(SITE, URI, reply.id)
    assert dynamo.get_comment(SITE, URI, reply.id) is None
    items = dynamo.client.query(
        TableName=dynamo.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": it.s(it.thread_pk(SITE, URI))},
    )["Items"]
    # No like left behind, nor the reply's private part (its email, source and IP hash).
    assert [i["sk"]["S"] for i in items] == ["#", f"C#{parent.id}", f"P#{parent.id}"]
    got = dynamo.get_comment(SITE, URI, parent.id)
    assert got is not None and got.replies == 0
    assert dynamo.counts(SITE, [URI]) == {URI: 1}


def test_erase_keeps_an_empty_tombstone_for_replies(dynamo: DynamoStore) -> None:
    parent = add(dynamo, 1, email="p@x.test")
    add(dynamo, 2, parent=parent.id)
    dynamo.erase(SITE, URI, parent.id)
    tomb = dynamo.get_comment(SITE, URI, parent.id)
    assert tomb is not None and tomb.status is Status.DELETED
    assert (tomb.author, tomb.email, tomb.website, tomb.text, tomb.ip_hash) == (
        "",
        "",
        None,
        "",
        "",
    )
    assert [c.id for c in dynamo.queue(SITE, Status.DELETED, after=None, limit=5).comments] == [
        parent.id
    ]
    assert parent.id not in [c.id for c in dynamo.recent(SITE, None, 5)]
    assert not dynamo.author_approved(SITE, "p@x.test")
    assert dynamo.counts(SITE, [URI]) == {URI: 1}


def test_a_page_view_reads_no_email_source_nor_ip(dynamo: DynamoStore) -> None:
    """The page's Query range holds public parts only: what a page shows is all it pays for
    (read units count every byte of every item read, projected or filtered or not)."""
    parent = add(dynamo, 1, email="p@x.test", text="*source*", ip_hash="ip1")
    add(dynamo, 2, parent=parent.id)
    dynamo.add_like(SITE, URI, parent.id, "v1")
    page_range = dynamo.client.query(
        TableName=dynamo.table, **dynamo._thread_range(SITE, URI, it.THREAD_SK)
    )["Items"]
    assert [i["sk"]["S"][:2] for i in page_range] == ["#", "C#", "C#"]
    assert not [name for i in page_range for name in ("email", "text", "ip_hash") if name in i]
    whole = dynamo.get_comment(SITE, URI, parent.id)
    assert whole is not None and (whole.email, whole.text, whole.ip_hash) == (
        "p@x.test", "*source*", "ip1"
    )  # fmt: skip
