"""Shared pieces of the moderation tests: sites with admin tokens, an app built over any
store of tests/stores.py, and small API helpers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.testclient import TestClient

from backend.app import create_app
from backend.domain.moderation import token_hash
from backend.settings import Settings, StoreURL
from backend.store.base import Store
from tests.conftest import ORIGIN, Clock, make_settings

TOKEN = "blog-admin-token-0123456789abcdef"
TOKEN_ROTATED = "blog-admin-token-rotated-456789ab"
OTHER_TOKEN = "open-admin-token-0123456789abcdef"
FAST = 1000


def sites(**overrides: dict[str, Any]) -> dict[str, Any]:
    """blog holds everything; open publishes at once; first holds first-timers."""
    base: dict[str, Any] = {
        "blog": {
            "origins": [ORIGIN], "moderation": "all", "rate_limit_per_minute": FAST,
            "admin_token_hashes": [token_hash(TOKEN), token_hash(TOKEN_ROTATED)],
        },
        "open": {
            "origins": [ORIGIN], "moderation": "none", "rate_limit_per_minute": FAST,
            "admin_token_hashes": [token_hash(OTHER_TOKEN)],
        },
        "first": {
            "origins": [ORIGIN], "moderation": "first-time", "rate_limit_per_minute": FAST,
            "admin_token_hashes": [token_hash(TOKEN)],
        },
    }  # fmt: skip
    for name, changes in overrides.items():
        base[name] = {**base.get(name, {}), **changes}
    return base


def settings_for(url: StoreURL, site_map: dict[str, Any]) -> Settings:
    if url.scheme == "sqlite":
        return make_settings(f"sqlite:///{url.path}", site_map)
    query = f"region={url.region}" + (f"&endpoint={url.endpoint}" if url.endpoint else "")
    return make_settings(f"dynamodb://{url.table}?{query}", site_map)


@contextmanager
def app_client(
    store_and_url: tuple[Store, StoreURL], clock: Clock, site_map: dict[str, Any] | None = None
) -> Iterator[TestClient]:
    store, url = store_and_url
    app = create_app(settings_for(url, site_map or sites()), store, clock=clock)
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as client:
        yield client


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def queue(client: TestClient, status: str = "pending", site: str = "blog", **params: Any) -> Any:
    response = client.get(
        "/api/v1/admin/comments", params={"site": site, "status": status, **params}, headers=auth()
    )
    assert response.status_code == 200, response.text
    return response.json()


def act(
    client: TestClient,
    comment_id: str,
    action: str,
    *,
    uri: str = "/post/",
    site: str = "blog",
    token: str = TOKEN,
    expect: int = 200,
) -> Any:
    response = client.post(
        f"/api/v1/admin/comments/{comment_id}/{action}",
        json={"site": site, "uri": uri},
        headers=auth(token),
    )
    assert response.status_code == expect, response.text
    return response.json()
