"""Admin tokens: only sha256 hashes are configured, several per site (rotation), a token for
one site is useless on another, and removing a hash revokes its token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.domain.moderation import token_hash
from backend.settings import StoreURL
from backend.store.base import Store
from tests.conftest import Clock
from tests.helpers import error_of, post
from tests.moderation_support import (
    OTHER_TOKEN,
    TOKEN,
    TOKEN_ROTATED,
    app_client,
    auth,
    sites,
)

ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
ENDPOINTS: list[tuple[str, str, Any]] = [
    ("get", "/api/v1/admin/comments?site=blog&status=pending", None),
    ("post", f"/api/v1/admin/comments/{ID}/approve", {"site": "blog", "uri": "/post/"}),
    ("post", "/api/v1/admin/threads/lock", {"site": "blog", "uri": "/post/", "locked": True}),
    ("post", "/api/v1/admin/export", {"site": "blog", "email": "jkb@example.com"}),
    ("post", "/api/v1/admin/erase", {"site": "blog", "email": "jkb@example.com"}),
]


@pytest.fixture
def mod(store_and_url: tuple[Store, StoreURL], clock: Clock) -> Iterator[TestClient]:
    with app_client(store_and_url, clock) as client:
        yield client


def call(client: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    return getattr(client, method)(path, **kwargs)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": f"Basic {TOKEN}"}, 401, "unauthorized"),
        ({"Authorization": "Bearer "}, 401, "unauthorized"),
        (auth("not-the-token"), 401, "unauthorized"),
        (auth(TOKEN + "x"), 401, "unauthorized"),
        (auth(token_hash(TOKEN)), 401, "unauthorized"),  # the hash is not the token
        (auth(OTHER_TOKEN), 403, "forbidden"),  # the admin of another site
    ],
)
def test_every_admin_endpoint_refuses_a_bad_token(
    mod: TestClient,
    method: str,
    path: str,
    body: Any,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    held = post(mod, expect=202)["comment"]
    response = call(mod, method, path, body, headers)
    assert response.status_code == status, response.text
    assert error_of(response)["code"] == code
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    # nothing happened
    listed = mod.get("/api/v1/admin/comments", params={"site": "blog"}, headers=auth())
    assert [c["id"] for c in listed.json()["comments"]] == [held["id"]]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
@pytest.mark.parametrize("token", [TOKEN, TOKEN_ROTATED])
def test_every_configured_token_works(
    mod: TestClient, method: str, path: str, body: Any, token: str
) -> None:
    response = call(mod, method, path, body, auth(token))
    assert response.status_code in (200, 404), response.text  # 404: the made-up comment id
    if response.status_code == 404:
        assert error_of(response)["code"] == "not_found"


def test_other_sites_token_cannot_act_on_this_sites_comment(mod: TestClient) -> None:
    held = post(mod, expect=202)["comment"]["id"]
    response = mod.post(
        f"/api/v1/admin/comments/{held}/approve",
        json={"site": "blog", "uri": "/post/"},
        headers=auth(OTHER_TOKEN),
    )
    assert response.status_code == 403
    # and the same token does work where it belongs
    ok = mod.get("/api/v1/admin/comments", params={"site": "open"}, headers=auth(OTHER_TOKEN))
    assert ok.status_code == 200


def test_removing_a_hash_revokes_its_token(
    store_and_url: tuple[Store, StoreURL], clock: Clock
) -> None:
    path = "/api/v1/admin/comments?site=blog"
    with app_client(store_and_url, clock) as before:
        assert before.get(path, headers=auth(TOKEN)).status_code == 200
    revoked = sites(
        blog={"admin_token_hashes": [token_hash(TOKEN_ROTATED)]}, first={"admin_token_hashes": []}
    )
    with app_client(store_and_url, clock, revoked) as after:
        response = after.get(path, headers=auth(TOKEN))
        assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"
        assert after.get(path, headers=auth(TOKEN_ROTATED)).status_code == 200


def test_a_site_without_hashes_has_no_admin(
    store_and_url: tuple[Store, StoreURL], clock: Clock
) -> None:
    no_admin = sites(blog={"admin_token_hashes": []}, first={"admin_token_hashes": []})
    with app_client(store_and_url, clock, no_admin) as client:
        response = client.get("/api/v1/admin/comments?site=blog", headers=auth(TOKEN))
        assert response.status_code == 401


def test_cli_makes_a_token_and_its_hash_line(capsys: pytest.CaptureFixture[str]) -> None:
    from backend.cli import main
    from backend.settings import SiteConfig

    assert main(["admin-token", "blog"]) == 0
    out = capsys.readouterr()
    token = out.out.split("token: ")[1].split()[0]
    line = out.out.split("hash:  ")[1].strip()
    assert len(token) >= 32 and line == f'"{token_hash(token)}"'
    SiteConfig.parse({"admin_token_hashes": [line.strip('"')]})  # it is accepted
    assert main(["admin-token", "blog"]) == 0
    assert token not in capsys.readouterr().out  # a new one every time
