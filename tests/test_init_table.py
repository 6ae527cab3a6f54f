"""`parley init-table` as a new user meets it, against AWS's DynamoDB Local: PARLEY_STORE is all
it needs, it can run twice, and a failure is one line that says what to fix."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from backend.cli import main
from backend.settings import StoreURL
from backend.store.dynamo import DynamoStore
from backend.store.dynamo.client import local_credentials
from tests.servers import free_port
from tests.stores import DYNAMODB_LOCAL, PATIENT, SESSION, drop_table

NOT_NEEDED = (
    "PARLEY_SECRET_KEYS",
    "PARLEY_SITES",
    "PARLEY_PUBLIC_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
)


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[StoreURL]:
    for name in NOT_NEEDED:
        monkeypatch.delenv(name, raising=False)
    url = StoreURL(
        "dynamodb",
        table=f"init-{uuid.uuid4().hex[:12]}",
        region="us-east-1",
        endpoint=DYNAMODB_LOCAL.endpoint(),
    )
    monkeypatch.setenv(
        "PARLEY_STORE", f"dynamodb://{url.table}?region={url.region}&endpoint={url.endpoint}"
    )
    yield url
    monkeypatch.undo()  # a test may have set credentials DynamoDB Local refuses
    store = DynamoStore.from_url(url, SESSION, PATIENT)
    try:
        if url.table in store.client.list_tables()["TableNames"]:
            drop_table(store)
    finally:
        store.close()


def test_only_parley_store_is_needed_and_it_runs_twice(
    table: StoreURL, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init-table"]) == 0
    out, err = capsys.readouterr()
    assert out == f"table {table.table} at {table.endpoint} is ready (created, TTL on expires)\n"
    # DynamoDB Local has no point-in-time recovery: one warning line, not a failure.
    assert err.count("\n") == 1 and "warning" in err and "point-in-time recovery" in err

    assert main(["init-table"]) == 0
    out, _ = capsys.readouterr()
    assert "(already there, TTL on expires)" in out
    store = DynamoStore.from_url(table, SESSION)
    described = store.client.describe_table(TableName=table.table)["Table"]
    store.close()
    assert described["TableStatus"] == "ACTIVE"


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("parley init-table: ")
    return err


def test_a_key_id_dynamodb_local_refuses_is_one_clear_line(
    table: StoreURL, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "not-letters-and-digits")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert main(["init-table"]) == 1
    err = one_line_error(capsys)
    assert "UnrecognizedClientException" in err and "AWS_ACCESS_KEY_ID" in err


def test_an_unreachable_endpoint_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("PARLEY_STORE", f"dynamodb://t?region=us-east-1&endpoint={endpoint}")
    assert main(["init-table"]) == 1
    err = one_line_error(capsys)
    assert endpoint in err and "PARLEY_STORE" in err


@pytest.mark.parametrize("value", ["", "sqlite:///x.db"])
def test_without_a_dynamodb_store_it_says_what_to_set(
    value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PARLEY_STORE", value)
    assert main(["init-table"]) == 2
    assert "PARLEY_STORE=dynamodb://TABLE?region=REGION" in one_line_error(capsys)


def test_local_credentials_come_from_the_environment_or_are_letters_and_digits() -> None:
    assert local_credentials({"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"}) == (
        "AKID",
        "s",
    )
    key_id, secret = local_credentials({"AWS_ACCESS_KEY_ID": "only-half"})
    assert key_id.isalnum() and secret
