"""The demo thread `make dev` shows on first start."""

from __future__ import annotations

from backend.demo import DEMO_URI, SEED, seed_demo
from backend.settings import Settings
from backend.store.base import Store
from tests.conftest import make_settings


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
