"""Shared fixtures: a real store (parametrized over every kind in tests/stores.py), settings,
the real app behind Starlette's TestClient, and a controllable clock."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.app import create_app
from backend.settings import Settings
from backend.store.base import Store
from tests.stores import STORES

# The other generators' sites need tools that only `make generators` installs (it sets this).
collect_ignore = [] if os.environ.get("PARLEY_GENERATORS") else ["generators"]

ORIGIN = "http://blog.test"
# Proof of work is required at a difficulty a test solves at once (every site `make_settings`
# builds gets it unless the test sets its own `proof`): tests.helpers.post fetches and solves a
# real challenge for every post.
EASY_PROOF: dict[str, Any] = {"proof": "required", "proof_cost": 1, "proof_max": 20}
SITES: dict[str, Any] = {
    "blog": {
        "origins": [ORIGIN, "http://127.0.0.1:*"],
        "moderation": "none",
        "edit_window_s": 900,
        "rate_limit_per_minute": 1000,
    },
    "strict": {"origins": ["https://strict.test"], "moderation": "all"},
    "slow": {"origins": [ORIGIN], "rate_limit_per_minute": 3},
}


class Clock:
    """A clock the tests move by hand (edit windows, rate windows, key expiry)."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(params=sorted(STORES))
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_and_url(store_kind: str, tmp_path: Path) -> Iterator[tuple[Store, Any]]:
    with STORES[store_kind](tmp_path) as pair:
        yield pair


@pytest.fixture
def store(store_and_url: tuple[Store, Any]) -> Store:
    return store_and_url[0]


def easy_proofs(sites: dict[str, Any]) -> dict[str, Any]:
    return {name: {**EASY_PROOF, **site} for name, site in sites.items()}


def make_settings(store_url: str, sites: dict[str, Any] | None = None, **env: str) -> Settings:
    return Settings.from_env(
        {
            "PARLEY_STORE": store_url,
            "PARLEY_SECRET_KEYS": "test-secret-key-0123456789",
            "PARLEY_SITES": json.dumps(easy_proofs(SITES if sites is None else sites)),
            "PARLEY_PUBLIC_URL": "http://api.test",
            **env,
        }
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(store_and_url: tuple[Store, Any]) -> Settings:
    url = store_and_url[1]
    if url.scheme == "sqlite":
        return make_settings(f"sqlite:///{url.path}")
    query = f"region={url.region}" + (f"&endpoint={url.endpoint}" if url.endpoint else "")
    return make_settings(f"dynamodb://{url.table}?{query}")


@pytest.fixture
def client(settings: Settings, store: Store, clock: Clock) -> Iterator[TestClient]:
    app = create_app(settings, store, clock=clock)
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as test_client:
        yield test_client
