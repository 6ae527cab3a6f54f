"""The stores every contract and API test runs against: SQLite as a real file and AWS's own
DynamoDB Local over HTTP.

Each factory makes a fresh, empty, set-up store in `tmp` and yields it. Add a store here and
the whole store contract suite and API suite run against it too. moto is not one of them: it
accepts requests DynamoDB refuses (a filter on a key attribute, an oversized key), so it serves
only the tests that inject faults DynamoDB Local cannot produce (`moto_store`).
"""

from __future__ import annotations

import atexit
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import botocore.session
from botocore.config import Config
from moto import mock_aws

from backend.settings import StoreURL
from backend.store.base import Store
from backend.store.dynamo import DynamoStore
from backend.store.sqlite import SQLiteStore
from scripts.dynamodb_local import DynamoDBLocal

StoreFactory = Callable[[Path], AbstractContextManager[tuple[Store, StoreURL]]]


@contextmanager
def sqlite_store(tmp: Path) -> Iterator[tuple[Store, StoreURL]]:
    path = tmp / "parley.db"
    store = SQLiteStore(path)
    store.setup()
    try:
        yield store, StoreURL("sqlite", path=str(path))
    finally:
        store.close()


@contextmanager
def moto_store(tmp: Path) -> Iterator[tuple[Store, StoreURL]]:
    """DynamoDB emulated in process: moto intercepts botocore's requests (and sets fake
    credentials in the environment only while the mock is active)."""
    url = StoreURL("dynamodb", table="parley", region="us-east-1")
    with mock_aws():
        store = DynamoStore.from_url(url)
        _one_request_at_a_time(store)
        store.setup()
        try:
            yield store, url
        finally:
            store.close()


def _one_request_at_a_time(store: DynamoStore) -> None:
    """moto's in-process backend is not thread-safe (a transaction deep-copies the table while
    other threads write to it), so requests from parallel tests are serialized here, the way
    DynamoDB serializes conflicting transactions. The moto server keeps them concurrent."""
    lock = threading.Lock()
    client = store.client
    send = client._make_api_call

    def serialized(operation: str, params: dict[str, Any]) -> Any:
        with lock:
            return send(operation, params)

    client._make_api_call = serialized  # type: ignore[method-assign]


class DynamoDBLocalServer:
    """AWS's DynamoDB Local, in memory on 127.0.0.1, one JVM per test process (so one per xdist
    worker), started on first use and stopped at exit. Each store gets its own table, so tests
    stay isolated; a table is dropped when its test ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local: DynamoDBLocal | None = None

    def endpoint(self) -> str:
        with self._lock:
            if self._local is None:
                self._local = DynamoDBLocal().start()
                atexit.register(self._local.stop)
            return self._local.endpoint


DYNAMODB_LOCAL = DynamoDBLocalServer()
# One botocore session for every test's client: it parses the service model once.
SESSION = botocore.session.get_session()
# Six engineers' suites share two cores: a request can wait seconds for the CPU. A timeout
# would be retried, and a retried CreateTable finds its own table ("already there").
PATIENT = Config(read_timeout=60, connect_timeout=10)


def drop_table(store: DynamoStore) -> None:
    """Free a test's table (table.json protects tables from deletion: lift that first)."""
    client = store.client
    client.update_table(TableName=store.table, DeletionProtectionEnabled=False)
    client.delete_table(TableName=store.table)


@contextmanager
def dynamodb_local_store(tmp: Path) -> Iterator[tuple[Store, StoreURL]]:
    # A loopback endpoint makes the store use local credentials: no environment to touch.
    table = f"parley-{uuid.uuid4().hex[:12]}"
    url = StoreURL("dynamodb", table=table, region="us-east-1", endpoint=DYNAMODB_LOCAL.endpoint())
    store = DynamoStore.from_url(url, SESSION, PATIENT)
    store.setup()
    try:
        yield store, url
    finally:
        drop_table(store)
        store.close()


STORES: dict[str, StoreFactory] = {
    "sqlite": sqlite_store,
    "dynamodb_local": dynamodb_local_store,
}
