"""The DynamoDB client Parley uses: how it is built and how its errors become domain errors.

Every request goes through `translate`, the one place where botocore's exceptions are caught:
callers see `StoreUnavailable`, `Cancelled` or `ConditionFailed`, never a boto3 error.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, cast
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
            if "ValidationError" in codes:
                log.error("dynamodb %s refused: %s", operation, exc)
                raise errors.StoreRefused(retry_after=30) from exc
            raise Cancelled(codes) from exc
        if code == "ValidationException":  # a request that can never succeed as it is built
            log.error("dynamodb %s refused: %s", operation, exc)
            raise errors.StoreRefused(retry_after=30) from exc
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
