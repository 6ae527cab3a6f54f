"""Issue 11, item 6 (the general half): a retried post (same idempotency key) gets the first
comment and an edit token only from the network that posted it. Before, anyone who sent the
same key received a working edit token for someone else's comment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.app import create_app
from backend.settings import StoreURL
from backend.store.base import Store
from tests.conftest import ORIGIN, SITES, Clock
from tests.helpers import error_of, new_key, proof
from tests.moderation_support import settings_for


@pytest.fixture
def proxied(store_and_url: tuple[Store, StoreURL], clock: Clock) -> Iterator[TestClient]:
    """One trusted proxy hop, so each test request can say which network it comes from."""
    store, url = store_and_url
    settings = settings_for(url, SITES)
    settings = type(settings)(**{**settings.__dict__, "trusted_proxies": 1})
    with TestClient(
        create_app(settings, store, clock=clock), base_url="http://api.test",
        headers={"Origin": ORIGIN},
    ) as client:  # fmt: skip
        yield client


def send(
    client: TestClient, key: str, network: str, text: str = "My words.", solved: str = ""
) -> Any:
    body = {"site": "blog", "uri": "/p/", "author": "Ann", "email": "a@b.co", "text": text,
            "key": key, "proof": solved or proof(client)}  # fmt: skip
    return client.post("/api/v1/comments", json=body, headers={"X-Forwarded-For": network})


def test_a_retry_from_the_same_network_gets_the_comment(proxied: TestClient) -> None:
    key, solved = new_key(), proof(proxied)
    first = send(proxied, key, "198.51.100.7", solved=solved)
    again = send(proxied, key, "198.51.100.7", solved=solved)  # the widget's retry: same body
    assert first.status_code == again.status_code == 201
    assert first.json()["comment"]["id"] == again.json()["comment"]["id"]


def test_the_same_key_from_elsewhere_gets_no_token(proxied: TestClient) -> None:
    key = new_key()
    first = send(proxied, key, "198.51.100.7")
    assert first.status_code == 201
    stolen = send(proxied, key, "203.0.113.9", text="Mallory's words.")
    assert stolen.status_code == 422
    error = error_of(stolen)
    assert error["fields"] == {"key": "already used"}
    assert "token" not in stolen.text
