"""The demo thread `make dev` shows on first start."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from backend.app import create_app
from backend.demo import DEMO_URI, SEED, seed_demo
from backend.settings import Settings
from backend.store.base import Store
from tests.conftest import ORIGIN, make_settings


def test_seed_once_with_replies_and_likes(store: Store, settings: Settings) -> None:
    demo = make_settings("sqlite:///unused.db", sites={"demo": {"origins": []}})
    demo = Settings(**{**settings.__dict__, "sites": demo.sites})
    assert seed_demo(demo, store) == len(SEED)
    assert seed_demo(demo, store) == 0  # never twice
    page = store.read_page("demo", DEMO_URI, after=None, limit=50)
    assert page.thread is not None and page.thread.count == len(SEED)
    assert [c.author for c in page.comments] == [author for author, _, _ in SEED]
    assert page.comments[0].replies == 3 and page.comments[4].likes == 1
    assert page.comments[1].likes == 5


def test_seed_on_a_site_that_holds_comments(store: Store, settings: Settings) -> None:
    """Issue 11, item 7: `parley serve --demo` crashed when the demo site had moderation on
    (a reply needs an approved parent). The seed is approved as it goes."""
    held = {"demo": {"origins": [], "moderation": "all"}}
    demo = Settings(**{**settings.__dict__, "sites": make_settings("sqlite:///x", held).sites})
    assert seed_demo(demo, store) == len(SEED)
    page = store.read_page("demo", DEMO_URI, after=None, limit=50)
    assert page.thread is not None and page.thread.count == len(SEED)
    assert page.comments[0].replies == 3 and page.comments[1].likes == 5


def test_seed_keys_are_not_guessable(store: Store, settings: Settings, tmp_path: Any) -> None:
    """Issue 11, item 6: the seed used fixed idempotency keys (demo-seed-00, ...), and a post
    with one of them was answered with a working edit token for the seeded comment."""
    demo = make_settings("sqlite:///unused.db", sites={"demo": {"origins": [ORIGIN]}})
    demo = Settings(**{**settings.__dict__, "sites": demo.sites})
    seed_demo(demo, store)
    seeded = {c.id for c in store.read_page("demo", DEMO_URI, after=None, limit=50).comments}
    app = create_app(demo, store)
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as client:
        for number in range(len(SEED)):
            body = {
                "site": "demo", "uri": DEMO_URI, "author": "Mallory", "email": "m@evil.test",
                "text": "mine now", "key": f"demo-seed-{number:02d}",
            }  # fmt: skip
            response = client.post("/api/v1/comments", json=body)
            assert response.status_code == 201, response.text
            assert response.json()["comment"]["id"] not in seeded
