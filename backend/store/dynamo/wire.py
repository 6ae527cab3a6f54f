"""Parley's own DynamoDB client for a page view's reads: GetItem, Query, BatchGetItem.

Importing botocore and building `boto3.client("dynamodb")` (which loads and parses the service
model) was nearly all of a cold start's CPU (bench/RESULTS.md). A page view needs three
operations, and DynamoDB's HTTP API is small: a POST to the endpoint's root, the operation in
`X-Amz-Target`, the request and the answer in DynamoDB JSON (the shapes botocore's low-level
client takes and returns, so the store's dict handling is the same either way), signed with
Signature Version 4 (sigv4.py). Everything else (writes, the table's setup, the worker) still
goes through botocore, imported on first use (client.py, `Connection`).

What it keeps of botocore's behaviour (its "standard" retry mode): three attempts, throttling,
5xx, timeouts and broken connections retried after full-jitter exponential backoff (up to 1 s,
then 2 s) within a retry quota that drains while DynamoDB keeps failing; the CRC32 DynamoDB
sends checked; short connect and read timeouts; kept-alive connections reused, one request
at a time each (Starlette runs sync handlers in a thread pool). Errors come back as
`ServiceError` carrying the answer in the shape of botocore's `ClientError.response`, which
client.py's `translate` maps as it maps botocore's; no error text carries a credential.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import socket
import threading
import time
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from backend.store.dynamo.sigv4 import Credentials, host_of, sign

if TYPE_CHECKING:
    import ssl

ATTEMPTS = 3  # botocore's standard mode: the first try and two retries
MAX_BACKOFF = 20.0
POOL = 16  # idle connections kept (a sandbox runs one request at a time; a server more)
QUOTA = 500  # botocore's retry quota: a retry costs 5 (10 after a timeout), a success gives 1
RETRY_COST, TIMEOUT_COST = 5, 10
TARGET = "DynamoDB_20120810"
CONTENT_TYPE = "application/x-amz-json-1.0"

# botocore's standard mode retries these codes (throttling and transient errors) and statuses.
THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
TRANSIENT_STATUS = frozenset({500, 502, 503, 504})
# A kept-alive connection the server closed while it sat idle: send again on a new one, at once.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)

Answer = tuple[int, dict[str, Any]]  # HTTP status, the parsed answer (botocore's shape)


class ServiceError(Exception):
    """DynamoDB answered with an error; `response` has botocore's `ClientError.response` shape
    (Error.Code, Error.Message, ResponseMetadata.HTTPStatusCode, and the answer's other fields,
    such as a cancelled transaction's CancellationReasons)."""

    def __init__(self, operation: str, response: dict[str, Any]) -> None:
        error = response.get("Error", {})
        super().__init__(f"{operation}: {error.get('Code', '')}: {error.get('Message', '')}")
        self.response = response


class Unreachable(Exception):
    """No answer: the connection failed or timed out on every attempt."""


class Observer(Protocol):
    """Sees each request (tests: counting, fault injection; client.py bridges botocore's
    events to it). `before` may answer instead of DynamoDB, as botocore's before-call may."""

    def params(self, operation: str, params: dict[str, Any]) -> dict[str, Any]: ...

    def before(
        self, operation: str, url: str, headers: dict[str, str], body: bytes
    ) -> Answer | None: ...

    def after(self, operation: str, status: int, headers: dict[str, str], parsed: Any) -> None: ...


def _blobs(value: dict[str, Any]) -> dict[str, Any]:
    """A binary attribute value as botocore gives it: bytes, not the wire's base64 text. Only
    an attribute value is a one-key object whose value is text (an item maps names to objects)."""
    if len(value) == 1:
        if isinstance(value.get("B"), str):
            return {"B": base64.b64decode(value["B"])}
        if isinstance(value.get("BS"), list) and all(isinstance(v, str) for v in value["BS"]):
            return {"BS": [base64.b64decode(v) for v in value["BS"]]}
    return value


def _base64(value: object) -> str:
    """A binary value in a request (B, BS), as botocore sends it."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def encode(params: Mapping[str, Any]) -> bytes:
    return json.dumps(params, separators=(",", ":"), default=_base64).encode()


def parse(status: int, headers: Mapping[str, str], data: bytes) -> dict[str, Any]:
    """The answer as botocore's JSON parser gives it (for an error, ClientError.response)."""
    try:
        body = json.loads(data, object_hook=_blobs) if data else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    meta = {"HTTPStatusCode": status, "RequestId": headers.get("x-amzn-requestid", "")}
    if status < 300:
        return {**body, "ResponseMetadata": meta}
    code = str(body.pop("__type", "")).rpartition("#")[2] or str(status)
    message = str(body.pop("message", body.pop("Message", "")))
    return {**body, "Error": {"Code": code, "Message": message}, "ResponseMetadata": meta}


def _retryable(status: int, parsed: dict[str, Any]) -> bool:
    return status in TRANSIENT_STATUS or parsed.get("Error", {}).get("Code") in THROTTLED


class WireClient:
    """GetItem, Query and BatchGetItem over DynamoDB's HTTP API, thread-safe."""

    def __init__(
        self,
        endpoint: str,
        region: str,
        credentials: Credentials,
        *,
        connect_timeout: float = 1.0,
        read_timeout: float = 3.0,
        service: str = "dynamodb",
        target: str = TARGET,
        content_type: str = CONTENT_TYPE,
    ) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an endpoint URL: {endpoint!r}")
        self.endpoint = endpoint
        self.region = region
        self._credentials = credentials
        self._https = parts.scheme == "https"
        self._address = (parts.hostname, parts.port or (443 if self._https else 80))
        self._host = host_of(endpoint)
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._quota = QUOTA
        self._tls: ssl.SSLContext | None = None
        self._service, self._target, self._content_type = service, target, content_type
        self.observer: Observer | None = None

    # The three operations a page view needs, as botocore's client names and takes them.
    def get_item(self, **params: Any) -> dict[str, Any]:
        return self.call("GetItem", params)

    def query(self, **params: Any) -> dict[str, Any]:
        return self.call("Query", params)

    def batch_get_item(self, **params: Any) -> dict[str, Any]:
        return self.call("BatchGetItem", params)

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """One API call (with its retries): the parsed answer, or ServiceError / Unreachable."""
        observer = self.observer
        if observer is not None:
            params = observer.params(operation, params)
        body = encode(params)
        headers = {
            "Content-Type": self._content_type,
            "X-Amz-Target": f"{self._target}.{operation}",
        }
        answer = (
            None if observer is None else observer.before(operation, self.endpoint, headers, body)
        )
        if answer is None:
            status, parsed, got = self._send(headers, body)
        else:
            (status, parsed), got = answer, {}
        if observer is not None:
            observer.after(operation, status, got, parsed)
        if status >= 300:
            raise ServiceError(operation, parsed)
        return parsed

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    # -- sending ---------------------------------------------------------------------------

    def _send(
        self, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Up to ATTEMPTS tries; the last answer (retryable or not), or Unreachable."""
        for attempt in range(ATTEMPTS):
            cost = RETRY_COST
            try:
                status, got, data = self._exchange(headers, body)
                if "x-amz-crc32" in got and got["x-amz-crc32"] != str(zlib.crc32(data)):
                    raise http.client.IncompleteRead(data)  # damaged on the way: send again
                parsed = parse(status, got, data)
                if not _retryable(status, parsed):
                    self._refund(attempt)
                    return status, parsed, got
                failure: Exception | None = None
            except (OSError, http.client.HTTPException) as exc:
                failure = exc
                status, parsed, got = 0, {}, {}
                cost = TIMEOUT_COST if isinstance(exc, TimeoutError) else RETRY_COST
            if attempt == ATTEMPTS - 1 or not self._spend(cost):
                if failure is not None:
                    raise Unreachable(f"{self._host}: {type(failure).__name__}") from failure
                return status, parsed, got
            time.sleep(random.random() * min(MAX_BACKOFF, 2.0**attempt))
        raise AssertionError("unreachable")

    def _spend(self, cost: int) -> bool:
        with self._lock:
            if self._quota < cost:
                return False
            self._quota -= cost
            return True

    def _refund(self, attempt: int) -> None:
        with self._lock:
            self._quota = min(QUOTA, self._quota + (RETRY_COST if attempt else 1))

    def _exchange(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        """One request and its whole answer on a kept-alive connection (or a new one)."""
        signed = sign(
            "POST",
            self.endpoint,
            {"Host": self._host, **headers},
            body,
            credentials=self._credentials,
            region=self.region,
            service=self._service,
            now=datetime.now(UTC),
        )
        conn, reused = self._take()
        try:
            try:
                conn.request("POST", "/", body, signed)
                response = conn.getresponse()
            except _STALE:
                if not reused:
                    raise
                conn.close()
                conn = self._connect()
                conn.request("POST", "/", body, signed)
                response = conn.getresponse()
            data = response.read()
        except BaseException:
            conn.close()
            raise
        got = {k.lower(): v for k, v in response.getheaders()}
        if response.will_close:
            conn.close()
        else:
            self._give(conn)
        return response.status, got, data

    def _take(self) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return self._connect(), False

    def _give(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < POOL:
                self._idle.append(conn)
                return
        conn.close()

    def _connect(self) -> http.client.HTTPConnection:
        host, port = self._address
        conn: http.client.HTTPConnection
        if self._https:
            conn = http.client.HTTPSConnection(
                host, port, timeout=self._connect_timeout, context=self._context()
            )
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self._connect_timeout)
        conn.connect()
        if conn.sock is not None:
            conn.sock.settimeout(self._read_timeout)
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return conn

    def _context(self) -> ssl.SSLContext:
        """TLS with certificate and host checks: the system's CAs, or (AWS_CA_BUNDLE, or a
        system without any, like a bare container) the bundle botocore itself would use."""
        if self._tls is None:
            import ssl

            bundle = os.environ.get("AWS_CA_BUNDLE") or None
            context = ssl.create_default_context(cafile=bundle)
            if bundle is None and not context.cert_store_stats()["x509_ca"]:
                context.load_verify_locations(cafile=_bundled_cas())
            self._tls = context
        return self._tls


# Regions whose endpoints are `{service}.{region}.amazonaws.com` (AWS's commercial partition).
_COMMERCIAL = ("us-", "eu-", "ap-", "ca-", "sa-", "me-", "af-", "il-", "mx-")
_NOT_COMMERCIAL = ("us-gov-", "us-iso")


def lambda_credentials(env: Mapping[str, str]) -> Credentials | None:
    """A Lambda sandbox's credentials: its role's temporary keys, which Lambda puts in the
    environment. None anywhere else, where they may come from a profile, SSO or an instance
    role: botocore's credential chain is needed there."""
    key_id, secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
    if not (env.get("AWS_LAMBDA_FUNCTION_NAME") and key_id and secret):
        return None
    return Credentials(key_id, secret, env.get("AWS_SESSION_TOKEN") or None)


def service_endpoint(service: str, region: str, env: Mapping[str, str]) -> str | None:
    """Where botocore would send `service`'s requests: the endpoint the environment configures
    (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL), else the regional one. None where botocore's
    own rules are needed: FIPS and dual-stack endpoints, China, GovCloud, the isolated regions."""
    if any(
        env.get(f"AWS_USE_{kind}_ENDPOINT", "").lower() == "true" for kind in ("FIPS", "DUALSTACK")
    ):
        return None
    if env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() != "true":
        configured = env.get(f"AWS_ENDPOINT_URL_{service.upper()}") or env.get("AWS_ENDPOINT_URL")
        if configured:
            return configured
    if not region.startswith(_COMMERCIAL) or region.startswith(_NOT_COMMERCIAL):
        return None
    return f"https://{service}.{region}.amazonaws.com"


def _bundled_cas() -> str:
    """botocore's own CA file, found without importing botocore."""
    from importlib.util import find_spec

    spec = find_spec("botocore")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = os.path.join(folder, "cacert.pem")
        if os.path.exists(path):
            return path
    raise Unreachable("no CA certificates to check DynamoDB's TLS certificate with")
