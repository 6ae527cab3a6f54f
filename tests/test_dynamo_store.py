"""DynamoDB-only behaviour: the table built from table.json, erase, TTL-late items."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


def test_init_table_adds_two_missing_indexes_one_at_a_time(dynamo: DynamoStore) -> None:
    # Each UpdateTable names only the attributes its index uses (DynamoDB refuses definitions
    # no index uses yet) and the next waits until that index is ACTIVE (a Query on an index
    # still backfilling fails; so does a second index update meanwhile).
    spec = table_spec(load_definition(), dynamo.table + "-bare").create
    del spec["GlobalSecondaryIndexes"]
    spec["AttributeDefinitions"] = spec["AttributeDefinitions"][:2]  # pk, sk
    dynamo.client.create_table(**spec)
    bare = DynamoStore(dynamo.table + "-bare", dynamo.client)
    sent: list[list[str]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append([a["AttributeName"] for a in params["AttributeDefinitions"]])

    dynamo.client.meta.events.register("before-parameter-build.dynamodb.UpdateTable", record)
    try:
        assert bare.init_table()[:3] == ["already there", "index gsi1 added", "index gsi2 added"]
        assert sent == [["gsi1pk", "gsi1sk"], ["gsi2pk", "gsi2sk"]]
        table = dynamo.client.describe_table(TableName=bare.table)["Table"]
        assert {i["IndexName"]: i["IndexStatus"] for i in table["GlobalSecondaryIndexes"]} == {
            "gsi1": "ACTIVE",
            "gsi2": "ACTIVE",
        }
    finally:
        dynamo.client.meta.events.unregister("before-parameter-build.dynamodb.UpdateTable", record)
        dynamo.client.update_table(TableName=bare.table, DeletionProtectionEnabled=False)
        dynamo.client.delete_table(TableName=bare.table)


def test_init_table_waits_for_a_filling_index_before_the_next(
    dynamo: DynamoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DynamoDB Local fills an index at once; on AWS it may take long. While gsi1 reads as
    # CREATING, gsi2 is not asked for; the next run waits for gsi1, then adds gsi2.
    spec = table_spec(load_definition(), dynamo.table + "-slow").create
    del spec["GlobalSecondaryIndexes"]
    spec["AttributeDefinitions"] = spec["AttributeDefinitions"][:2]
    dynamo.client.create_table(**spec)
    slow = DynamoStore(dynamo.table + "-slow", dynamo.client)
    monkeypatch.setattr("backend.store.dynamo.schema.INDEX_WAIT_S", 0)

    def filling(parsed: dict[str, Any], **_: Any) -> None:
        for index in parsed.get("Table", {}).get("GlobalSecondaryIndexes", []):
            index["IndexStatus"] = "CREATING"

    events = dynamo.client.meta.events
    events.register("after-call.dynamodb.DescribeTable", filling)
    try:
        assert slow.init_table()[:3] == [
            "already there",
            "index gsi1 added",
            "index gsi1 still filling: run init-table again later",
        ]
        table = dynamo.client.describe_table(TableName=slow.table)["Table"]
        assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["gsi1"]
        events.unregister("after-call.dynamodb.DescribeTable", filling)
        monkeypatch.setattr("backend.store.dynamo.schema.INDEX_WAIT_S", 60)
        assert slow.init_table()[:2] == ["already there", "index gsi2 added"]
    finally:
        events.unregister("after-call.dynamodb.DescribeTable", filling)
        dynamo.client.update_table(TableName=slow.table, DeletionProtectionEnabled=False)
        dynamo.client.delete_table(TableName=slow.table)


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
