"""The table: how `parley init-table` (and a store's `setup`) turns `table.json`, the
CloudFormation definition infra/ deploys, into API calls. Idempotent; an emulator that lacks
TTL or point-in-time recovery gets a warning, not a failure.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backend.store.dynamo.client import AlreadyExists, Unsupported, log, translate

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


INDEX_WAIT_S = 600  # how long init-table waits for an index's backfill
INDEX_POLL_S = 2


@dataclass(frozen=True)
class TableSpec:
    """The table as table.json defines it, as the three calls that make it."""

    create: dict[str, Any]  # CreateTable parameters
    ttl: dict[str, Any] | None  # UpdateTimeToLive's TimeToLiveSpecification
    pitr: dict[str, Any] | None  # UpdateContinuousBackups' PointInTimeRecoverySpecification


# CloudFormation properties that CreateTable takes under the same name and shape.
_SAME_SHAPE = (
    "BillingMode",
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "ProvisionedThroughput",
    "DeletionProtectionEnabled",
    "TableClass",
)


def load_definition() -> dict[str, Any]:
    from importlib import resources  # ~5 ms of imports: not at cold start, which never needs it

    text = resources.files("backend.store").joinpath("table.json").read_text(encoding="utf-8")
    definition: dict[str, Any] = json.loads(text)
    return definition


def table_spec(definition: dict[str, Any], table: str) -> TableSpec:
    """Translate CloudFormation's AWS::DynamoDB::Table Properties into API parameters.

    Refuses properties it does not know, so table.json cannot grow something `init-table`
    silently leaves out (the two would drift).
    """
    props = dict(definition)
    create: dict[str, Any] = {"TableName": table}
    for name in _SAME_SHAPE:
        if name in props:
            create[name] = props.pop(name)
    sse = props.pop("SSESpecification", None)
    if sse is not None:
        create["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled", False))}
        if "SSEType" in sse:
            create["SSESpecification"]["SSEType"] = sse["SSEType"]
        if "KMSMasterKeyId" in sse:
            create["SSESpecification"]["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
    stream = props.pop("StreamSpecification", None)
    if stream is not None:  # the outbox's feed to the worker function (docs/notifications.md)
        create["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    ttl = props.pop("TimeToLiveSpecification", None)
    pitr = props.pop("PointInTimeRecoverySpecification", None)
    props.pop("TableName", None)  # the URL names the table
    if props:
        raise ValueError(f"table.json: init-table does not know how to apply {sorted(props)}")
    return TableSpec(create, ttl, pitr)


def create_table(client: DynamoDBClient, spec: TableSpec) -> list[str]:
    """Create the table, then turn on TTL and PITR. Safe to run again on an existing table.

    Returns what it did, a few words each (for `parley init-table`). An emulator that lacks the
    TTL or backup calls gets a "warning: ..." entry, not a failure: the table works without them.
    """
    name = spec.create["TableName"]
    done: list[str] = []
    try:
        with translate("CreateTable"):
            client.create_table(**spec.create)
        done.append("created")
    except AlreadyExists:
        done.append("already there")
    with translate("DescribeTable"):
        client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
    done += _add_indexes(client, spec.create)
    if spec.ttl is not None and spec.ttl.get("Enabled"):
        attribute = spec.ttl["AttributeName"]
        try:
            with translate("DescribeTimeToLive"):
                current = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                with translate("UpdateTimeToLive"):
                    client.update_time_to_live(
                        TableName=name,
                        TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
                    )
            done.append(f"TTL on {attribute}")
        except Unsupported:
            done.append(_unsupported(name, "TTL (expired keys and rate buckets stay)"))
    if spec.pitr is not None:
        enabled = bool(spec.pitr["PointInTimeRecoveryEnabled"])
        try:
            with translate("UpdateContinuousBackups"):
                client.update_continuous_backups(
                    TableName=name,
                    PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": enabled},
                )
            done.append(f"point-in-time recovery {'on' if enabled else 'off'}")
        except Unsupported:
            done.append(_unsupported(name, "point-in-time recovery"))
    return done


def _add_indexes(client: DynamoDBClient, create: dict[str, Any]) -> list[str]:
    """Add the global secondary indexes table.json has and an older table lacks (the marks
    index, gsi2, came after gsi1), one at a time as DynamoDB requires: each UpdateTable names
    only its own index's key attributes (DynamoDB refuses a definition no index uses), and the
    next waits until the index is ACTIVE, its backfill from the existing items done (a Query
    on an index still filling fails). A table CloudFormation manages gets its indexes from a
    deploy, never from here (docs/deploy.md)."""
    name = create["TableName"]
    with translate("DescribeTable"):
        table = client.describe_table(TableName=name)["Table"]
    present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
    types = {a["AttributeName"]: a for a in create["AttributeDefinitions"]}
    done: list[str] = []
    for index in create.get("GlobalSecondaryIndexes", []):
        index_name = index["IndexName"]
        if index_name not in present:
            keys = [types[k["AttributeName"]] for k in index["KeySchema"]]
            with translate("UpdateTable"):
                client.update_table(
                    TableName=name,
                    AttributeDefinitions=keys,
                    GlobalSecondaryIndexUpdates=[{"Create": index}],
                )
            done.append(f"index {index_name} added")
        # An index added now, or by an earlier run that stopped waiting, must be ACTIVE before
        # the next update (DynamoDB takes one index change at a time) and before it is read.
        if not _index_active(client, name, index_name):
            done.append(f"index {index_name} still filling: run init-table again later")
            break
    return done


def _index_active(client: DynamoDBClient, table: str, index: str) -> bool:
    """Wait (at most INDEX_WAIT_S) for the index's backfill to end; whether it did."""
    deadline = time.monotonic() + INDEX_WAIT_S
    while True:
        with translate("DescribeTable"):
            described = client.describe_table(TableName=table)["Table"]
        status = next(
            (
                i.get("IndexStatus")
                for i in described.get("GlobalSecondaryIndexes", [])
                if i["IndexName"] == index
            ),
            None,
        )
        if status == "ACTIVE" and described.get("TableStatus") == "ACTIVE":
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(INDEX_POLL_S)


def _unsupported(table: str, feature: str) -> str:
    line = f"this DynamoDB does not support {feature}; table {table} works without it"
    log.warning("%s", line)
    return "warning: " + line
