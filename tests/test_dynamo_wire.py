"""Parley's own DynamoDB client for the reads (backend/store/dynamo/wire.py).

The signature is held against botocore's own signer; the requests against AWS's DynamoDB Local;
retries, timeouts and kept-alive connections against a small HTTP server on 127.0.0.1 that
answers what DynamoDB answers when it throttles, fails or drops a connection.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from backend.domain import errors
from backend.store.dynamo import DynamoStore, wire
from backend.store.dynamo import items as it
from backend.store.dynamo.client import translate, wire_client
from backend.store.dynamo.sigv4 import Credentials, sign
from backend.store.dynamo.wire import service_endpoint
from tests.stores import dynamodb_local_store

WHEN = datetime(2026, 12, 3, 11, 22, 33, tzinfo=UTC)
BODY = b'{"TableName":"parley","Key":{"pk":{"S":"T#blog#/a b/"},"sk":{"S":"#"}}}'


def botocore_signed(
    url: str, headers: dict[str, str], body: bytes, token: str | None, monkeypatch: Any
) -> dict[str, str]:
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: WHEN.replace(tzinfo=None))
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(
        BotoCredentials("AKIDEXAMPLE", "wJalr/K7MDENG+bPxRfiCY", token), "dynamodb", "eu-west-1"
    ).add_auth(request)
    return dict(request.headers.items())


@pytest.mark.parametrize("token", [None, "IQoJb3JpZ2luX2VjE//session+token=="])
@pytest.mark.parametrize(
    "url",
    ["https://dynamodb.eu-west-1.amazonaws.com", "http://127.0.0.1:8000", "https://h.test:443"],
)
def test_signature_is_botocores(url: str, token: str | None, monkeypatch: Any) -> None:
    headers = {
        "Content-Type": wire.CONTENT_TYPE,
        "X-Amz-Target": f"{wire.TARGET}.GetItem",
        "User-Agent": "parley",  # unsigned by both
    }
    ours = sign(
        "POST",
        url,
        headers,
        BODY,
        credentials=Credentials("AKIDEXAMPLE", "wJalr/K7MDENG+bPxRfiCY", token),
        region="eu-west-1",
        service="dynamodb",
        now=WHEN,
    )
    theirs = botocore_signed(url, headers, BODY, token, monkeypatch)
    assert ours["Authorization"] == theirs["Authorization"]
    assert ours["X-Amz-Date"] == theirs["X-Amz-Date"] == "20261203T112233Z"
    assert ours.get("X-Amz-Security-Token") == theirs.get("X-Amz-Security-Token") == token
    assert "x-amz-security-token" in ours["Authorization"].lower() or token is None


def test_credentials_never_print_their_secret() -> None:
    credentials = Credentials("AKIDEXAMPLE", "wJalr/K7MDENG+bPxRfiCY", "token")
    assert "wJalr" not in repr(credentials) and "token" not in repr(credentials)


def test_only_a_lambda_sandbox_or_a_local_dynamodb_gets_the_wire_client() -> None:
    keys = {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}
    on_lambda = {**keys, "AWS_LAMBDA_FUNCTION_NAME": "parley-api"}
    client = wire_client("eu-west-1", None, on_lambda)
    assert client is not None
    assert client.endpoint == "https://dynamodb.eu-west-1.amazonaws.com"
    assert wire_client("us-east-1", "http://127.0.0.1:8000", {}) is not None  # local keys
    # A developer's profile, SSO, moto: botocore's credential chain and endpoint rules.
    assert wire_client("eu-west-1", None, keys) is None
    assert wire_client("eu-west-1", None, {"AWS_LAMBDA_FUNCTION_NAME": "parley-api"}) is None
    assert wire_client("cn-north-1", None, on_lambda) is None
    assert wire_client("us-gov-west-1", None, on_lambda) is None
    fips = {**on_lambda, "AWS_USE_FIPS_ENDPOINT": "true"}
    assert wire_client("us-east-1", None, fips) is None
    # The endpoint the environment configures for botocore, and for SSM its own.
    configured = {**on_lambda, "AWS_ENDPOINT_URL_DYNAMODB": "https://ddb.vpce.test"}
    assert getattr(wire_client("eu-west-1", None, configured), "endpoint", "") == (
        "https://ddb.vpce.test"
    )
    assert service_endpoint("ssm", "eu-west-1", configured) == "https://ssm.eu-west-1.amazonaws.com"
    assert service_endpoint("ssm", "eu-west-1", {"AWS_ENDPOINT_URL": "http://x.test"}) == (
        "http://x.test"
    )
    way_back = {**on_lambda, "PARLEY_DYNAMODB_READS": "botocore"}
    assert wire_client("eu-west-1", None, way_back) is None
    assert wire_client("us-east-1", "http://127.0.0.1:8000", way_back) is None


# -- on DynamoDB Local ----------------------------------------------------------------------------


@pytest.fixture
def dynamo(tmp_path: Path) -> Iterator[DynamoStore]:
    with dynamodb_local_store(tmp_path) as (store, _):
        assert isinstance(store, DynamoStore)
        yield store


def test_reads_go_through_the_wire_client_and_answer_as_botocore(dynamo: DynamoStore) -> None:
    client = dynamo._conn.wire
    assert client is not None
    key = it.thread_key("blog", "/a/")
    dynamo.client.put_item(
        TableName=dynamo.table, Item={**key, "uri": it.s("/a/"), "count": it.n(2)}
    )
    ours = client.get_item(TableName=dynamo.table, Key=key, ConsistentRead=True)
    theirs = dynamo.client.get_item(TableName=dynamo.table, Key=key, ConsistentRead=True)
    assert ours["Item"] == theirs["Item"]
    assert ours["ResponseMetadata"]["HTTPStatusCode"] == 200
    queried = client.query(
        TableName=dynamo.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": key["pk"]},
    )
    assert queried["Items"] == [theirs["Item"]] and queried["Count"] == 1
    assert dynamo.counts("blog", ["/a/", "/b/"]) == {"/a/": 2, "/b/": 0}


def test_binary_values_are_bytes_both_ways(dynamo: DynamoStore) -> None:
    """botocore gives and takes B and BS as bytes (the wire carries base64): the spam
    filter's stored model is one (backend/store/dynamo/models.py)."""
    client = dynamo._conn.wire
    assert client is not None
    key = it.thread_key("blog", "/bin/")
    blob, blobs = bytes(range(256)), [b"\x00\xff", b"parley"]
    item = {**key, "data": {"B": blob}, "set": {"BS": blobs}, "map": {"M": {"B": {"B": b"x"}}}}
    client.call("PutItem", {"TableName": dynamo.table, "Item": item})  # bytes in a request
    ours = client.get_item(TableName=dynamo.table, Key=key)["Item"]
    theirs = dynamo.client.get_item(TableName=dynamo.table, Key=key)["Item"]
    assert ours == theirs
    assert ours["data"] == {"B": blob} and sorted(ours["set"]["BS"]) == sorted(blobs)
    found = client.query(
        TableName=dynamo.table,
        KeyConditionExpression="pk = :pk",
        FilterExpression="#d = :d",
        ExpressionAttributeNames={"#d": "data"},
        ExpressionAttributeValues={":pk": key["pk"], ":d": {"B": blob}},
    )
    assert found["Items"] == [theirs]


def test_an_error_answer_maps_as_botocores_does(dynamo: DynamoStore) -> None:
    client = dynamo._conn.wire
    assert client is not None
    with pytest.raises(wire.ServiceError) as refused:
        client.get_item(TableName="no-such-table", Key=it.thread_key("blog", "/a/"))
    assert refused.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(errors.StoreUnavailable) as unavailable, translate("GetItem"):
        client.get_item(TableName="no-such-table", Key=it.thread_key("blog", "/a/"))
    assert unavailable.value.retry_after == 30  # our fault (no table), not a moment's
    with pytest.raises(errors.StoreRefused), translate("Query"):
        client.query(TableName=dynamo.table, KeyConditionExpression="nonsense")


def test_threads_share_the_client(dynamo: DynamoStore) -> None:
    """Starlette runs sync handlers in a thread pool: one client, many threads at once."""
    uris = [f"/p{n}/" for n in range(40)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda u: dynamo.counts("blog", [u, "/other/"]), uris))
    assert answers == [{u: 0, "/other/": 0} for u in uris]
    client = dynamo._conn.wire
    assert client is not None and 1 <= len(client._idle) <= 8


# -- against a scripted server --------------------------------------------------------------------

Script = Callable[
    [int], tuple[int, dict[str, str], bytes] | None
]  # request n -> answer (None: hang)


class Scripted:
    """An HTTP server on 127.0.0.1 answering each request as `script` says; counts requests
    and connections."""

    def __init__(
        self, script: Script, idle: float | None = None, tls: ssl.SSLContext | None = None
    ) -> None:
        self.requests: list[dict[str, str]] = []
        self.clients: list[wire.WireClient] = []
        self.connections = 0
        self.closed = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = idle  # a kept-alive connection idle this long is closed

            def setup(self) -> None:
                outer.connections += 1
                super().setup()

            def finish(self) -> None:
                super().finish()
                outer.closed.set()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append(dict(self.headers.items()))
                answer = script(len(outer.requests) - 1)
                if answer is None:
                    threading.Event().wait(2)  # past the client's read timeout
                    self.close_connection = True
                    return
                status, headers, body = answer
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        scheme = "http" if tls is None else "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"

    def client(self) -> wire.WireClient:
        keys = Credentials("parleylocal", "parleylocal")
        self.clients.append(wire.WireClient(self.url, "us-east-1", keys, read_timeout=0.3))
        return self.clients[-1]

    def stop(self) -> None:
        for client in self.clients:
            client.close()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted() -> Iterator[Callable[..., Scripted]]:
    made: list[Scripted] = []

    def make(
        script: Script, idle: float | None = None, tls: ssl.SSLContext | None = None
    ) -> Scripted:
        made.append(Scripted(script, idle, tls))
        return made[-1]

    yield make
    for server in made:
        server.stop()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(wire.time, "sleep", slept.append)
    return slept


def ok(body: bytes = b'{"Item":{"n":{"N":"1"}}}') -> tuple[int, dict[str, str], bytes]:
    return 200, {"x-amz-crc32": str(zlib.crc32(body))}, body


def error(status: int, code: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "m"})
    return status, {}, body.encode()


def test_throttling_is_retried_with_backoff(
    scripted: Callable[..., Scripted], no_backoff: list[float]
) -> None:
    server = scripted(
        lambda n: error(400, "ProvisionedThroughputExceededException") if n < 2 else ok()
    )
    assert server.client().get_item(TableName="t", Key={})["Item"] == {"n": {"N": "1"}}
    assert len(server.requests) == 3 and len(no_backoff) == 2
    assert 0 <= no_backoff[0] <= 1 and 0 <= no_backoff[1] <= 2
    assert server.connections == 1  # one kept-alive connection for all three
    target = server.requests[0]["X-Amz-Target"]
    assert target == "DynamoDB_20120810.GetItem"
    assert server.requests[0]["Content-Type"] == "application/x-amz-json-1.0"


def test_throttling_past_three_attempts_is_a_short_503(scripted: Callable[..., Scripted]) -> None:
    server = scripted(lambda n: error(400, "ThrottlingException"))
    with pytest.raises(errors.StoreUnavailable) as unavailable, translate("Query"):
        server.client().query(TableName="t")
    assert unavailable.value.retry_after == 2 and len(server.requests) == 3


def test_a_5xx_is_retried_and_a_4xx_is_not(scripted: Callable[..., Scripted]) -> None:
    server = scripted(
        lambda n: error(500, "InternalServerError") if n == 0 else error(400, "ValidationException")
    )
    with pytest.raises(errors.StoreRefused), translate("Query"):
        server.client().query(TableName="t")
    assert len(server.requests) == 2


def test_a_damaged_answer_is_asked_again(scripted: Callable[..., Scripted]) -> None:
    server = scripted(lambda n: (200, {"x-amz-crc32": "1"}, b"{}") if n == 0 else ok())
    assert server.client().get_item()["Item"]
    assert len(server.requests) == 2


def test_a_silent_endpoint_times_out_and_is_a_503(scripted: Callable[..., Scripted]) -> None:
    server = scripted(lambda n: None)
    with pytest.raises(errors.StoreUnavailable) as unavailable, translate("GetItem"):
        server.client().get_item(TableName="t")
    assert unavailable.value.retry_after == 2
    assert len(server.requests) == 3


def test_an_unreachable_endpoint_is_a_503_without_credentials_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    keys = Credentials("AKIDEXAMPLE", "secret-never-logged", "token-never-logged")
    client = wire.WireClient(f"http://127.0.0.1:{port}", "us-east-1", keys)
    with pytest.raises(errors.StoreUnavailable), translate("GetItem"):
        client.get_item(TableName="t")
    client.close()
    assert "never-logged" not in caplog.text and "dynamodb GetItem" in caplog.text


def test_a_connection_closed_while_idle_is_replaced_at_once(
    scripted: Callable[..., Scripted], no_backoff: list[float]
) -> None:
    server = scripted(lambda n: ok(), idle=0.05)
    client = server.client()
    client.get_item()
    assert server.closed.wait(10)  # the server dropped the kept-alive connection
    assert len(client._idle) == 1
    client.get_item()
    assert len(server.requests) == 2 and server.connections == 2 and no_backoff == []


def test_retries_stop_when_the_quota_is_spent(scripted: Callable[..., Scripted]) -> None:
    server = scripted(lambda n: error(503, "ServiceUnavailable"))
    client = server.client()
    client._quota = wire.RETRY_COST  # one retry left
    with pytest.raises(wire.ServiceError):
        client.get_item()
    assert len(server.requests) == 2


def test_https_checks_the_certificate(
    scripted: Callable[..., Scripted], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TLS against the CAs it is given (AWS_CA_BUNDLE, as botocore reads it): a certificate
    from elsewhere is refused, never read past."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            *subject,
            *files,
        ],
        check=True,
        capture_output=True,
    )
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    server = scripted(lambda n: ok(), tls=tls)
    url = server.url
    keys = Credentials("parleylocal", "parleylocal")
    refused = wire.WireClient(url, "us-east-1", keys)
    server.clients.append(refused)
    with pytest.raises(wire.Unreachable):  # not signed by a CA this machine trusts
        refused.get_item()
    monkeypatch.setenv("AWS_CA_BUNDLE", str(cert))
    trusted = wire.WireClient(url, "us-east-1", keys)
    server.clients.append(trusted)
    assert trusted.get_item()["Item"] == {"n": {"N": "1"}}
