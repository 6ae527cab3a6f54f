"""The stores every contract and API test runs against.

Each factory makes a fresh, empty, set-up store in `tmp` and yields it. Add a store here and
the whole store contract suite and API suite run against it too.
"""

from __future__ import annotations

import atexit
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from moto import mock_aws
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from backend.settings import StoreURL
from backend.store.base import Store
from backend.store.dynamo import DynamoStore
from backend.store.sqlite import SQLiteStore

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


class SerialMotoServer(ThreadedMotoServer):  # type: ignore[misc]
    """moto's server, answering one request at a time.

    Clients stay concurrent (many connections, transactions racing on one thread item), but
    moto's backend has no isolation of its own: two concurrent `ADD count :1` can lose one, and a
    cancelled transaction restores a table snapshot over other requests' writes. DynamoDB
    serializes writes to an item; this lock gives moto the same guarantee.
    """

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        lock = threading.Lock()

        def one_at_a_time(environ: Any, start_response: Any) -> list[bytes]:
            with lock:
                return list(app(environ, start_response))

        self._server = make_server(
            self._ip_address, self._port, one_at_a_time, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


class MotoServer:
    """One moto server over real HTTP on 127.0.0.1 for the whole test session, started on
    first use and stopped at exit. Each store gets its own table, so tests stay isolated."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server: SerialMotoServer | None = None
        self._endpoint = ""

    def endpoint(self) -> str:
        with self._lock:
            if self._server is None:
                server = SerialMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
                server.start()
                host, port = server.get_host_and_port()
                self._endpoint = f"http://{host}:{port}"
                self._server = server
                atexit.register(server.stop)
            return self._endpoint


MOTO_SERVER = MotoServer()


@contextmanager
def moto_server_store(tmp: Path) -> Iterator[tuple[Store, StoreURL]]:
    # A loopback endpoint makes the store use dummy credentials: no environment to touch.
    table = f"parley-{uuid.uuid4().hex[:12]}"
    url = StoreURL("dynamodb", table=table, region="us-east-1", endpoint=MOTO_SERVER.endpoint())
    store = DynamoStore.from_url(url)
    store.setup()
    try:
        yield store, url
    finally:
        store.close()


STORES: dict[str, StoreFactory] = {
    "sqlite": sqlite_store,
    "moto": moto_store,
    "moto_server": moto_server_store,
}
