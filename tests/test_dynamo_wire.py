"""Parley's own DynamoDB client for the reads: its signature, held against botocore's own
signer (backend/store/dynamo/sigv4.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from backend.store.dynamo.sigv4 import Credentials, sign

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
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.GetItem",
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
