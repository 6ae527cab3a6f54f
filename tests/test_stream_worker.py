"""The Stream -> worker path on DynamoDB Local's own Stream, as AWS runs it: a post, a status
move and an erase through the store; the real records DynamoDB Local's Streams API returns
(DescribeStream, GetShardIterator, GetRecords); each wrapped in the event shape AWS documents
for a DynamoDB event source ("Using AWS Lambda with Amazon DynamoDB",
https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html: `Records` of `eventID`,
`eventName`, `eventVersion`, `eventSource` "aws:dynamodb", `awsRegion`, `dynamodb` with
`ApproximateCreationDateTime` in epoch seconds, `Keys`, `NewImage`, `SequenceNumber`,
`SizeBytes`, `StreamViewType`, and `eventSourceARN`); filtered by the mapping's own pattern
from infra/worker.yml as Lambda's filter syntax defines it ("Control which events Lambda sends
to your function", https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html);
and handed to the worker function's handler, which delivers to a real SMTP sink. The same for
EventBridge's scheduled event ("Amazon EventBridge scheduled events",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from backend.domain.ids import new_ulid
from backend.domain.models import NewComment, Status
from backend.domain.outbox import EventKind
from backend.notify import lambda_worker
from backend.notify.worker import build_worker
from backend.settings import StoreURL
from backend.store.dynamo import DynamoStore
from tests.notify_support import mail_settings, smtp_server
from tests.stores import PATIENT, SESSION, dynamodb_local_store
from tests.test_outbox import OWNER, T0, comment, ev

ROOT = Path(__file__).resolve().parent.parent
QUIET_SITES = {"blog": {"origins": ["https://b.example"]}}


# -- Lambda's filter syntax, for the patterns a mapping may use ------------------------------------


def _matches_value(conditions: list[Any], present: bool, value: Any) -> bool:
    """One key's array of conditions (OR) against the event's value at that key."""
    values = value if isinstance(value, list) else [value]
    for condition in conditions:
        if isinstance(condition, dict):
            ((kind, arg),) = condition.items()
            if kind == "exists":
                if present is arg:
                    return True
                continue
            if not present:
                continue
            if kind == "prefix" and any(isinstance(v, str) and v.startswith(arg) for v in values):
                return True
            if kind == "suffix" and any(isinstance(v, str) and v.endswith(arg) for v in values):
                return True
            if kind == "anything-but":
                refused = arg if isinstance(arg, list) else [arg]
                if any(v not in refused for v in values):
                    return True
            if kind not in {"prefix", "suffix", "anything-but"}:
                raise AssertionError(f"filter condition {kind!r} not modelled here")
        elif present and condition in values:
            return True
    return False


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """Whether `event` passes `pattern`: every key of the pattern must match (AND); a nested
    object matches the nested field; an array lists the accepted values or conditions (OR)."""
    for key, want in pattern.items():
        present = isinstance(event, dict) and key in event
        value = event.get(key) if isinstance(event, dict) else None
        if isinstance(want, dict):
            if not present or not matches(want, value):
                return False
        elif not _matches_value(want, present, value):
            return False
    return True


def test_the_filter_model_follows_the_documented_syntax() -> None:
    # The documented examples' forms: equality, prefix, exists, anything-but, nesting, OR.
    record = {"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": "E#01"}}}}
    assert matches({"eventName": ["INSERT", "MODIFY"]}, record)
    assert not matches({"eventName": ["REMOVE"]}, record)
    assert matches({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "E#"}]}}}}, record)
    assert not matches({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "C#"}]}}}}, record)
    assert matches({"dynamodb": {"NewImage": [{"exists": False}]}}, record)
    assert not matches({"dynamodb": {"NewImage": [{"exists": True}]}}, record)
    assert matches({"eventName": [{"anything-but": ["REMOVE"]}]}, record)
    assert not matches({"missing": {"x": ["y"]}}, record)


# -- the mapping, as deployed ----------------------------------------------------------------------


class _CloudFormation(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!GetAtt, !Ref, ...) read as plain values."""


_CloudFormation.add_multi_constructor(
    "!",
    lambda loader, suffix, node: (
        loader.construct_scalar(node)
        if isinstance(node, yaml.ScalarNode)
        else loader.construct_sequence(node)
    ),
)


def mapping_patterns() -> list[dict[str, Any]]:
    text = (ROOT / "infra" / "worker.yml").read_text(encoding="utf-8")
    worker = yaml.load(text, Loader=_CloudFormation)  # a SafeLoader subclass
    props = worker["Resources"]["WorkerStreamSource"]["Properties"]
    return [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]


def lambda_filter(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the event source mapping hands the function: records matching any filter."""
    patterns = mapping_patterns()
    return [r for r in records if any(matches(p, r) for p in patterns)]


# -- DynamoDB Local's Stream -----------------------------------------------------------------------


def _base64_binaries(value: Any) -> Any:
    """Lambda's event carries binary attributes as base64 text; botocore gives bytes."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _base64_binaries(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_base64_binaries(v) for v in value]
    return value


def stream_records(store: DynamoStore, endpoint: str) -> list[dict[str, Any]]:
    """Every record in the table's Stream, in order, as the Lambda event's `Records`."""
    arn = store.client.describe_table(TableName=store.table)["Table"]["LatestStreamArn"]
    streams = SESSION.create_client(
        "dynamodbstreams",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=PATIENT,
    )
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    records: list[dict[str, Any]] = []
    for shard in description["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for _ in range(20):
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            for raw in page["Records"]:
                change = dict(raw["dynamodb"])
                when = change.get("ApproximateCreationDateTime")
                if when is not None:
                    change["ApproximateCreationDateTime"] = when.timestamp()
                records.append(
                    {
                        "eventID": raw["eventID"],
                        "eventName": raw["eventName"],
                        "eventVersion": raw["eventVersion"],
                        "eventSource": "aws:dynamodb",
                        "awsRegion": raw["awsRegion"],
                        "dynamodb": _base64_binaries(change),
                        "eventSourceARN": arn,
                    }
                )
            iterator = page.get("NextShardIterator")
            if not iterator or not page["Records"]:
                break
    return records


@pytest.fixture
def local_store(tmp_path: Path) -> Iterator[tuple[DynamoStore, StoreURL]]:
    with dynamodb_local_store(tmp_path) as (store, url):
        assert isinstance(store, DynamoStore)
        yield store, url


def test_the_stream_of_a_post_a_status_move_and_an_erase_reaches_the_worker(
    local_store: tuple[DynamoStore, StoreURL],
) -> None:
    store, url = local_store
    assert url.endpoint
    held = comment(new_ulid(T0), status=Status.PENDING)
    posted = ev(held.id, T0)
    store.create_comment(NewComment(held, "", "key-00000001", int(T0) + 86400, (posted,)))
    approved = ev(held.id, T0 + 1, kind=EventKind.APPROVED)
    store.set_status("blog", "/post/", held.id, Status.APPROVED, events=(approved,))
    gone = comment(new_ulid(T0 + 2))
    store.create_comment(NewComment(gone, "", "key-00000002", int(T0) + 86400))
    store.erase("blog", "/post/", gone.id)  # (erasing `held` would leave its events nothing)

    records = stream_records(store, url.endpoint)
    names = {r["eventName"] for r in records}
    assert names == {"INSERT", "MODIFY", "REMOVE"}, names  # all three kinds happened
    for record in records:  # the documented shape, every field present
        assert set(record) == {
            "eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb",
            "eventSourceARN",
        }  # fmt: skip
        assert {"Keys", "SequenceNumber", "StreamViewType"} <= set(record["dynamodb"])
        assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], float)

    delivered = lambda_filter(records)
    # Only the two inserted outbox items pass the mapping's filter: no comment, thread,
    # status move, erase or sent marker wakes the worker.
    assert [r["dynamodb"]["Keys"]["pk"]["S"][:2] for r in delivered] == ["E#", "E#"]
    assert len(delivered) == 2 < len(records)

    sites = {"blog": {"origins": ["https://blog.example.com"], "notify_emails": [OWNER]}}
    with smtp_server() as box:
        worker = build_worker(mail_settings(url, sites, box.url), store)
        answer = lambda_worker.handle(worker, {"Records": delivered})
        assert answer == {"batchItemFailures": []}
        assert len(box.to(OWNER)) >= 1  # the posted comment's notice, through real SMTP
        assert store.due_events(T0 + 10, 10) == []
        # Every record unfiltered (a mapping without the filter): still nothing sent twice,
        # nothing misread.
        sent = len(box.messages)
        assert lambda_worker.handle(worker, {"Records": records}) == {"batchItemFailures": []}
        assert len(box.messages) == sent


def scheduled_event() -> dict[str, Any]:
    """EventBridge's scheduled event, as its user guide shows it."""
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-12-02T20:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/parley-prod-worker-schedule"],
        "detail": {},
    }


def test_the_schedules_documented_event_runs_the_scheduled_work(
    local_store: tuple[DynamoStore, StoreURL],
) -> None:
    store, url = local_store
    worker = build_worker(
        mail_settings(url, {"blog": {"origins": ["https://b.example"]}}, None), store
    )
    assert lambda_worker.handle(worker, scheduled_event()) == {"delivered": 0, "recounted": 0}


@pytest.mark.parametrize(
    "event",
    [
        {},  # an empty test invocation
        {"detail-type": "Scheduled Event", "source": "aws.s3"},
        {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]},  # an SQS batch
        {"Records": [{"eventSource": "aws:kinesis", "kinesis": {}}]},
    ],
)
def test_a_shape_the_worker_does_not_expect_fails_here(
    local_store: tuple[DynamoStore, StoreURL], event: dict[str, Any]
) -> None:
    store, url = local_store
    worker = build_worker(
        mail_settings(url, {"blog": {"origins": ["https://b.example"]}}, None), store
    )
    with pytest.raises(lambda_worker.UnexpectedEvent):
        lambda_worker.handle(worker, event)
