"""The DynamoDB client Parley uses: how it is built, how its errors become domain errors, and
how `parley init-table` turns `table.json` (the CloudFormation definition infra/ deploys) into
API calls.

Every request goes through `translate`, the one place where botocore's exceptions are caught:
callers see `StoreUnavailable`, `Cancelled` or `ConditionFailed`, never a boto3 error.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from backend.domain import errors

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

log = logging.getLogger("parley.dynamodb")

# Short timeouts and few attempts: on Lambda a stuck request burns the function's time and the
# caller's patience; a fast 503 with Retry-After is better. Standard mode retries throttling
# and 5xx with jittered backoff and reuses the idempotency token of TransactWriteItems, so a
# retried transaction whose first attempt landed is not applied twice.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=1,
    read_timeout=3,
    tcp_keepalive=True,
    max_pool_connections=32,
)

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}

# Error codes that mean "try again later": they become a 503 with Retry-After.
_TRANSIENT = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "TransactionInProgressException",
    "LimitExceededException",
}


class ConditionFailed(Exception):
    """A single-item write's condition did not hold."""


class Unsupported(Exception):
    """The endpoint does not know this operation (an emulator: DynamoDB Local has no PITR)."""


class AlreadyExists(Exception):
    """CreateTable found the table there already."""


class Cancelled(Exception):
    """A transaction was cancelled; `codes[i]` says why for TransactItems[i] ("None" if fine)."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__(", ".join(codes))
        self.codes = codes

    def failed(self, index: int) -> bool:
        return index < len(self.codes) and self.codes[index] == "ConditionalCheckFailed"

    @property
    def conflict(self) -> bool:
        """Only lost a race with another transaction: safe to run again."""
        return "TransactionConflict" in self.codes and "ConditionalCheckFailed" not in self.codes


def local_credentials(env: Mapping[str, str]) -> tuple[str, str]:
    """Credentials for a DynamoDB on this machine (DynamoDB Local, moto).

    The environment's, when both halves are set; else a dummy. DynamoDB Local refuses a key id
    that is not letters and digits (UnrecognizedClientException), so the dummy is just that.
    Never a profile's or a role's: those may be real AWS credentials.
    """
    key_id, secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
    if key_id and secret:
        return key_id, secret
    return "parleylocal", "parleylocal"


def make_client(
    region: str,
    endpoint: str | None,
    session: botocore.session.Session | None = None,
    config: Config | None = None,
) -> DynamoDBClient:
    """Build the client without any network call (Lambda makes it at cold start).

    A process making many clients (the tests: one store per test) passes one `session`, which
    keeps the parsed service model; building it again costs ~0.2 s a client. `config` changes
    parts of CLIENT_CONFIG (the tests allow a slow shared machine longer timeouts).
    """
    # botocore's session, not boto3's: `import boto3` also loads s3transfer and
    # concurrent.futures, ~30-45 ms of cold start for nothing (bench/coldstart.py).
    session = session or botocore.session.get_session()
    key_id = secret = None  # None: the usual chain (Lambda's role, env, profile)
    if endpoint is not None and urlsplit(endpoint).hostname in _LOOPBACK:
        key_id, secret = local_credentials(os.environ)
    client = session.create_client(
        "dynamodb",
        region_name=region,
        endpoint_url=endpoint,
        config=CLIENT_CONFIG if config is None else CLIENT_CONFIG.merge(config),
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )
    return cast("DynamoDBClient", client)


@contextmanager
def translate(operation: str) -> Iterator[None]:
    """Turn botocore's failures of one request into what the store's callers understand."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ConditionalCheckFailedException":
            raise ConditionFailed() from exc
        if code == "ResourceInUseException":
            raise AlreadyExists() from exc
        if code == "UnknownOperationException":
            raise Unsupported(operation) from exc
        if code == "TransactionCanceledException":
            reasons = exc.response.get("CancellationReasons", [])
            codes = [str(r.get("Code", "None")) for r in reasons]
            if any(c in _TRANSIENT or c == "ThrottlingError" for c in codes):
                raise errors.StoreUnavailable(retry_after=1) from exc
            raise Cancelled(codes) from exc
        if (
            code in _TRANSIENT
            or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
        ):
            log.warning("dynamodb %s: %s (after retries)", operation, code)
            raise errors.StoreUnavailable(retry_after=2) from exc
        # A missing table, bad credentials or a request we built wrong: our fault, not the
        # reader's. Log it loudly and answer 503 rather than leak a trace.
        log.error("dynamodb %s failed: %s", operation, exc)
        raise errors.StoreUnavailable(retry_after=30) from exc
    except BotoCoreError as exc:  # unreachable endpoint, timeouts, broken connections
        log.warning("dynamodb %s: %s", operation, exc)
        raise errors.StoreUnavailable(retry_after=2) from exc


def backoff(attempt: int, base: float = 0.02) -> None:
    """Full-jitter exponential backoff between our own retries (conflicts, UnprocessedKeys)."""
    time.sleep(random.uniform(0, base * 2**attempt))


# -- the table, from the definition infra/ deploys ---------------------------------------------


@dataclass(frozen=True)
class TableSpec:
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


def _unsupported(table: str, feature: str) -> str:
    line = f"this DynamoDB does not support {feature}; table {table} works without it"
    log.warning("%s", line)
    return "warning: " + line
