"""The DynamoDB client Parley uses: how it is built and how its errors become domain errors.

A store talks to DynamoDB through a `Connection`: GetItem, Query and BatchGetItem (all a page
view needs) through Parley's own client (wire.py) when it can sign with the environment's
credentials, everything else through botocore's client, imported and built on first use, so a
sandbox that only serves page views never imports botocore (bench/RESULTS.md, cold start).

Every request goes through `translate`, the one place where the clients' exceptions are caught:
callers see `StoreUnavailable`, `Cancelled` or `ConditionFailed`, never a client's error.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, cast
from urllib.parse import urlsplit

from backend.domain import errors
from backend.store.dynamo.sigv4 import Credentials
from backend.store.dynamo.wire import (
    ServiceError,
    Unreachable,
    WireClient,
    lambda_credentials,
    service_endpoint,
)

if TYPE_CHECKING:
    import botocore.session
    from botocore.config import Config
    from mypy_boto3_dynamodb import DynamoDBClient

log = logging.getLogger("parley.dynamodb")

# Short timeouts and few attempts: on Lambda a stuck request burns the function's time and the
# caller's patience; a fast 503 with Retry-After is better. Standard mode retries throttling
# and 5xx with jittered backoff and reuses the idempotency token of TransactWriteItems, so a
# retried transaction whose first attempt landed is not applied twice. wire.py does the same.
CONNECT_TIMEOUT = 1
READ_TIMEOUT = 3


def client_config() -> Config:
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
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
    # A single-item write to an item an in-flight transaction holds (an edit, a status move):
    # a moment's contention, not a request we built wrong.
    "TransactionConflictException",
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
    """Build botocore's client without any network call.

    A process making many clients (the tests: one store per test) passes one `session`, which
    keeps the parsed service model; building it again costs ~0.2 s a client. `config` changes
    parts of `client_config()` (the tests allow a slow shared machine longer timeouts).
    """
    # botocore's session, not boto3's: `import boto3` also loads s3transfer and
    # concurrent.futures, ~30-45 ms of cold start for nothing (bench/coldstart.py).
    import botocore.session

    session = session or botocore.session.get_session()
    key_id = secret = None  # None: the usual chain (Lambda's role, env, profile)
    if _loopback(endpoint):
        key_id, secret = local_credentials(os.environ)
    base = client_config()
    client = session.create_client(
        "dynamodb",
        region_name=region,
        endpoint_url=endpoint,
        config=base if config is None else base.merge(config),
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )
    return cast("DynamoDBClient", client)


def _loopback(endpoint: str | None) -> bool:
    return endpoint is not None and urlsplit(endpoint).hostname in _LOOPBACK


def wire_client(
    region: str, endpoint: str | None, env: Mapping[str, str], config: Config | None = None
) -> WireClient | None:
    """Parley's own client for the reads, or None where botocore's must do them.

    `PARLEY_DYNAMODB_READS=botocore` sends them through botocore's client anyway: a way back
    should this client ever misbehave, and for tools that stand in for AWS inside botocore
    (moto's in-process mock).

    Two places have it: DynamoDB on this machine (DynamoDB Local, with `local_credentials`, as
    botocore's client is given), and a Lambda sandbox, which has its role's temporary keys in
    AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. Anywhere else (a server, the
    CLI, a developer's machine with a profile or SSO) credentials may come from botocore's whole
    chain and cold start costs nothing billed: botocore's client serves every request there.
    """
    if env.get(READS_VAR, "").strip().lower() == "botocore":
        return None
    if _loopback(endpoint):
        assert endpoint is not None
        credentials: Credentials | None = Credentials(*local_credentials(env))
    else:
        credentials = lambda_credentials(env)
        endpoint = endpoint or service_endpoint("dynamodb", region, env)
    if credentials is None or endpoint is None:
        return None
    connect = getattr(config, "connect_timeout", None) or CONNECT_TIMEOUT
    read = getattr(config, "read_timeout", None) or READ_TIMEOUT
    return WireClient(endpoint, region, credentials, connect_timeout=connect, read_timeout=read)


READS_VAR = "PARLEY_DYNAMODB_READS"


class Connection:
    """What a store sends its requests through: `boto` (botocore's client, built on first use,
    once, whichever thread asks first) and, when it has one, the wire client for the reads.

    `get_item`, `query` and `batch_get_item` go to the wire client, else to botocore's; they
    take and return what botocore's client does. `instrumented` hands out botocore's client
    with its events bridged to the wire client's requests (events.py), for the tests that
    count requests or inject faults through botocore's events.
    """

    def __init__(self, build: Callable[[], DynamoDBClient], wire: WireClient | None = None) -> None:
        self._build = build
        self._boto: DynamoDBClient | None = None
        self._lock = threading.Lock()
        self.wire = wire

    @classmethod
    def of(cls, client: DynamoDBClient) -> Connection:
        """A connection that is botocore's client alone."""
        connection = cls(lambda: client)
        connection._boto = client
        return connection

    @property
    def boto(self) -> DynamoDBClient:
        if self._boto is None:
            with self._lock:
                if self._boto is None:
                    self._boto = self._build()
        return self._boto

    def instrumented(self) -> DynamoDBClient:
        client = self.boto
        if self.wire is not None and self.wire.observer is None:
            from backend.store.dynamo.events import BotocoreEvents

            self.wire.observer = BotocoreEvents(client)
        return client

    def get_item(self, **params: Any) -> dict[str, Any]:
        if self.wire is not None:
            return self.wire.get_item(**params)
        return cast("dict[str, Any]", self.boto.get_item(**params))

    def query(self, **params: Any) -> dict[str, Any]:
        if self.wire is not None:
            return self.wire.query(**params)
        return cast("dict[str, Any]", self.boto.query(**params))

    def batch_get_item(self, **params: Any) -> dict[str, Any]:
        if self.wire is not None:
            return self.wire.batch_get_item(**params)
        return cast("dict[str, Any]", self.boto.batch_get_item(**params))

    def close(self) -> None:
        if self.wire is not None:
            self.wire.close()
        if self._boto is not None:
            self._boto.close()


def connect(
    region: str,
    endpoint: str | None,
    session: botocore.session.Session | None = None,
    config: Config | None = None,
) -> Connection:
    """A store's connection, without any network call (Lambda makes it at cold start) and,
    where the wire client serves the reads, without importing botocore."""
    return Connection(
        lambda: make_client(region, endpoint, session, config),
        wire_client(region, endpoint, os.environ, config),
    )


@contextmanager
def translate(operation: str) -> Iterator[None]:
    """Turn a client's failures of one request into what the store's callers understand."""
    try:
        yield
    except ServiceError as exc:
        _refused(operation, exc.response, exc)
    except Unreachable as exc:
        log.warning("dynamodb %s: %s", operation, exc)
        raise errors.StoreUnavailable(retry_after=2) from exc
    except Exception as exc:
        # botocore's errors, when botocore is loaded at all (else none can have been raised).
        failures = sys.modules.get("botocore.exceptions")
        if failures is None:
            raise
        if isinstance(exc, failures.ClientError):
            _refused(operation, exc.response, exc)
        if isinstance(exc, failures.BotoCoreError):  # unreachable endpoint, timeouts
            log.warning("dynamodb %s: %s", operation, exc)
            raise errors.StoreUnavailable(retry_after=2) from exc
        raise


def _refused(operation: str, response: Any, exc: Exception) -> NoReturn:
    """DynamoDB's error answer (botocore's ClientError.response shape) as a domain error."""
    code = response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        raise ConditionFailed() from exc
    if code == "ResourceInUseException":
        raise AlreadyExists() from exc
    if code == "UnknownOperationException":
        raise Unsupported(operation) from exc
    if code == "TransactionCanceledException":
        reasons = response.get("CancellationReasons", [])
        codes = [str(r.get("Code", "None")) for r in reasons]
        if any(c in _TRANSIENT or c == "ThrottlingError" for c in codes):
            raise errors.StoreUnavailable(retry_after=1) from exc
        if "ValidationError" in codes:
            log.error("dynamodb %s refused: %s", operation, exc)
            raise errors.StoreRefused(retry_after=30) from exc
        raise Cancelled(codes) from exc
    if code == "ValidationException":  # a request that can never succeed as it is built
        log.error("dynamodb %s refused: %s", operation, exc)
        raise errors.StoreRefused(retry_after=30) from exc
    if code in _TRANSIENT or response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
        log.warning("dynamodb %s: %s (after retries)", operation, code)
        raise errors.StoreUnavailable(retry_after=2) from exc
    # A missing table, bad credentials or a request we built wrong: our fault, not the
    # reader's. Log it loudly and answer 503 rather than leak a trace.
    log.error("dynamodb %s failed: %s", operation, exc)
    raise errors.StoreUnavailable(retry_after=30) from exc


def backoff(attempt: int, base: float = 0.02) -> None:
    """Full-jitter exponential backoff between our own retries (conflicts, UnprocessedKeys)."""
    time.sleep(random.uniform(0, base * 2**attempt))
