"""Issue 11, item 10: behind the CDN, the client's address comes from a request that provably
came through the CDN (a secret header only the CDN adds); anyone calling the API Gateway URL
directly is refused instead of being trusted with a forged X-Forwarded-For."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from backend.api.cdn import CdnGuard
from backend.app import create_app
from backend.settings import ConfigError
from backend.store.sqlite import SQLiteStore
from tests.conftest import ORIGIN, Clock, make_settings
from tests.helpers import error_of, new_key, solve

SECRET = "cdn-secret-0123456789abcdef"
OLD = "cdn-secret-previous-0123456789"
SITES = {"blog": {"origins": [ORIGIN], "rate_limit_per_minute": 2}}


@pytest.fixture
def behind_cdn(tmp_path: Path) -> Iterator[TestClient]:
    store = SQLiteStore(tmp_path / "parley.db")
    store.setup()
    settings = make_settings(
        f"sqlite:///{tmp_path / 'parley.db'}", SITES,
        PARLEY_CDN_SECRET=f"{SECRET},{OLD}", PARLEY_TRUSTED_PROXIES="2",
    )  # fmt: skip
    app = create_app(settings, store, clock=Clock())
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as client:
        yield client
    store.close()


def send(client: TestClient, forwarded: str, secret: str | None = SECRET) -> int:
    headers = {"X-Forwarded-For": forwarded}
    if secret is not None:
        headers["X-Parley-Cdn-Secret"] = secret
    body = {"site": "blog", "uri": "/p/", "author": "A", "email": "a@b.co", "text": "hi",
            "key": new_key()}  # fmt: skip
    challenge = client.get("/api/v1/challenge", params={"site": "blog"}, headers=headers)
    if challenge.status_code == 200:  # without the secret even the challenge is refused
        body["proof"] = solve(challenge.json())
    return client.post("/api/v1/comments", json=body, headers=headers).status_code


def test_a_direct_call_is_refused_whatever_it_forwards(behind_cdn: TestClient) -> None:
    # The attack: call the API Gateway URL directly with a fresh forged address each time.
    for n in range(10):
        assert send(behind_cdn, f"10.0.0.{n}, 203.0.113.1", secret=None) == 403
        assert send(behind_cdn, f"10.0.0.{n}, 203.0.113.1", secret="wrong-secret-0123456") == 403
    response = behind_cdn.get("/api/v1/comments", params={"site": "blog", "uri": "/p/"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_readers_behind_one_edge_have_their_own_buckets(behind_cdn: TestClient) -> None:
    edge = "198.51.100.1"  # the CloudFront edge, as API Gateway appends it
    # Two readers behind one edge: two each (the site allows two a minute), separately.
    for reader in ("203.0.113.5", "192.0.2.77"):
        assert send(behind_cdn, f"{reader}, {edge}") == 201
        assert send(behind_cdn, f"{reader}, {edge}") == 201
        assert send(behind_cdn, f"{reader}, {edge}") == 429
    # What a reader writes in front of its own address does not make it someone else.
    assert send(behind_cdn, f"1.2.3.4, 203.0.113.5, {edge}") == 429


def test_the_previous_secret_still_works_during_a_rotation(behind_cdn: TestClient) -> None:
    assert send(behind_cdn, "203.0.113.9, 198.51.100.1", secret=OLD) == 201


def test_a_short_secret_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError):
        make_settings("sqlite:///x.db", SITES, PARLEY_CDN_SECRET="short")


def test_without_a_cdn_the_guard_is_no_layer_of_the_app(tmp_path: Path) -> None:
    """Every middleware layer costs every request (bench/throughput.py): without a secret the
    guard would only pass requests through, so it is left out; with one it is there."""
    store = SQLiteStore(tmp_path / "parley.db")
    url = f"sqlite:///{tmp_path / 'parley.db'}"
    bare = create_app(make_settings(url, SITES), store)
    guarded = create_app(make_settings(url, SITES, PARLEY_CDN_SECRET=SECRET), store)
    assert CdnGuard not in [m.cls for m in bare.user_middleware]
    assert CdnGuard in [m.cls for m in guarded.user_middleware]
    store.close()
