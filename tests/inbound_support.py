"""Fixtures for the inbound tests: a site that takes Webmentions for http://blog.test and lets
the fetcher reach the stand-ins on 127.0.0.1, the app over either store, and the stand-ins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from starlette.testclient import TestClient

from backend.app import create_app
from backend.domain.moderation import token_hash
from backend.notify.worker import Worker
from backend.settings import Settings
from backend.store.base import Store
from tests.conftest import SITES, Clock, make_settings
from tests.servers import serve
from tests.standins import StandIn

TOKEN = "web-admin-token-0123456789abcdef"
TARGET = "http://notes.test/2026/01/hello/"
INBOUND_SITES: dict[str, Any] = {
    **SITES,
    "web": {
        "origins": ["http://notes.test"],
        "moderation": "none",
        "rate_limit_per_minute": 5,
        "webmentions_per_hour": 8,
        "fetch_private_addresses": True,
        "admin_token_hashes": [token_hash(TOKEN)],
        # The stand-in Mastodon's owner and the recorded Bluesky owner.
        "announce_accounts": ["@owner@127.0.0.1", "owner.bsky.social"],
    },
    "held": {
        "origins": ["http://held.test"],
        "moderation": "all",
        "fetch_private_addresses": True,
    },
    "guarded": {
        "origins": ["http://guarded.test"],
        "rate_limit_per_minute": 100,
        "announce_accounts": ["@owner@127.0.0.1"],
    },
}


def inbound_settings(
    store_and_url: tuple[Store, Any], sites: dict[str, Any] | None = None
) -> Settings:
    url = store_and_url[1]
    sites = INBOUND_SITES if sites is None else sites
    if url.scheme == "sqlite":
        return make_settings(f"sqlite:///{url.path}", sites)
    query = f"region={url.region}" + (f"&endpoint={url.endpoint}" if url.endpoint else "")
    return make_settings(f"dynamodb://{url.table}?{query}", sites)


def web_client(
    store_and_url: tuple[Store, Any], clock: Clock, sites: dict[str, Any] | None = None
) -> Iterator[TestClient]:
    """The app with INBOUND_SITES (or `sites`) over the test's store (a fixture's body)."""
    app = create_app(inbound_settings(store_and_url, sites), store_and_url[0], clock=clock)
    with TestClient(app, base_url="http://api.test") as client:
        yield client


def standin_server() -> Iterator[tuple[StandIn, str]]:
    """The stand-ins, served on 127.0.0.1 (a fixture's body)."""
    s = StandIn()
    with serve(s.app()) as base:
        yield s, base


def worker(client: TestClient) -> Worker:
    w: Worker = client.app.state.parley.worker  # type: ignore[attr-defined]
    return w


def mention(client: TestClient, source: str, target: str = TARGET, **kw: Any) -> Any:
    return client.post("/webmention", data={"source": source, "target": target}, **kw)
