"""The spam filter's stored models (the store's `FilterModels`), on both stores: read back as
written, replaced only over the version that was read (optimistic concurrency), and bounded
in size well under DynamoDB's 400 KB item limit; and the guard that caches and teaches them."""

from __future__ import annotations

import os
import random
import string
from typing import Any

from backend.domain.models import Comment, Status
from backend.settings import Settings
from backend.spam.guard import MODEL, SpamGuard
from backend.spam.model import MAX_BYTES, Model
from backend.store.base import Store
from tests.conftest import Clock
from tests.moderation_support import settings_for, sites

# DynamoDB's item size limit (attribute names and values together):
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items
DYNAMODB_ITEM_BYTES = 400 * 1024


def test_a_model_reads_back_as_written_and_each_site_has_its_own(store: Store) -> None:
    assert store.read_model("blog", MODEL) is None
    assert store.write_model("blog", MODEL, b"\x00first\xff", 0) is True
    assert store.read_model("blog", MODEL) == (b"\x00first\xff", 1)
    assert store.read_model("open", MODEL) is None
    assert store.read_model("blog", "other") is None


def test_a_write_over_a_stale_version_changes_nothing(store: Store) -> None:
    assert store.write_model("blog", MODEL, b"one", 0)
    assert store.write_model("blog", MODEL, b"lost", 0) is False  # another first write came first
    assert store.write_model("blog", MODEL, b"two", 1) is True
    assert store.write_model("blog", MODEL, b"lost", 1) is False  # read before "two" landed
    assert store.write_model("blog", MODEL, b"lost", 5) is False  # never stored
    assert store.read_model("blog", MODEL) == (b"two", 2)


def test_the_largest_model_fits_one_item(store: Store) -> None:
    rng = random.Random(11)
    model = Model()
    for i in range(4000):  # far more distinct words than any site's decisions
        words = " ".join("".join(rng.choices(string.ascii_lowercase, k=10)) for _ in range(40))
        model.learn({"w:" + w for w in words.split()}, spam=i % 3 == 0)
    data = model.dump()
    assert len(data) <= MAX_BYTES < DYNAMODB_ITEM_BYTES - 1024
    # Incompressible bytes at the bound itself still fit.
    assert store.write_model("blog", MODEL, os.urandom(MAX_BYTES), 0)
    assert store.write_model("blog", MODEL, data, 1)
    stored = store.read_model("blog", MODEL)
    assert stored is not None and Model.load(stored[0]).counts == model.counts


def _comment(text: str) -> Comment:
    from datetime import UTC, datetime

    return Comment(
        site="blog", uri="/p/", id="01JGZZZZZZZZZZZZZZZZZZZZZZ", parent=None, author="A",
        email="", website=None, text=text, html="", status=Status.PENDING,
        created=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip


def _settings(store_and_url: tuple[Store, Any]) -> Settings:
    return settings_for(store_and_url[1], sites())


def test_two_processes_teaching_at_once_keep_both_lessons(
    store_and_url: tuple[Store, Any], clock: Clock
) -> None:
    store, settings = store_and_url[0], _settings(store_and_url)
    one, two = SpamGuard(settings, store, clock=clock), SpamGuard(settings, store, clock=clock)
    one.score("blog", "warm the cache", None)  # `one` holds version 0 in its cache
    two.learn("blog", _comment("cheap pills"), spam=True)
    one.learn("blog", _comment("a kind word"), spam=False)  # conflicts, re-reads, retries
    stored = store.read_model("blog", MODEL)
    assert stored is not None and stored[1] == 2
    model = Model.load(stored[0])
    assert (model.spam, model.ham) == (1, 1)
    assert model.counts["w:pills"] == [1, 0] and model.counts["w:kind"] == [0, 1]


def test_a_process_reads_the_model_at_most_once_a_minute(
    store_and_url: tuple[Store, Any], clock: Clock
) -> None:
    store, settings = store_and_url[0], _settings(store_and_url)
    now = [0.0]
    reads = []
    original = store.read_model

    def counted(site: str, name: str) -> tuple[bytes, int] | None:
        reads.append(site)
        return original(site, name)

    store.read_model = counted  # type: ignore[method-assign]
    guard = SpamGuard(settings, store, clock=clock, monotonic=lambda: now[0])
    for _ in range(5):
        guard.score("blog", "hello", None)
    assert reads == ["blog"]
    now[0] = 59.9
    guard.score("blog", "hello", None)
    assert reads == ["blog"]
    now[0] = 60.0
    guard.score("blog", "hello", None)
    assert reads == ["blog", "blog"]


def test_many_lessons_are_one_stored_write(store_and_url: tuple[Store, Any], clock: Clock) -> None:
    store, settings = store_and_url[0], _settings(store_and_url)
    guard = SpamGuard(settings, store, clock=clock)
    lessons = [(_comment(f"spam words {i}"), True) for i in range(50)]
    lessons += [(_comment(f"kind words {i}"), False) for i in range(30)]
    lessons.append((_comment(""), True))  # an emptied comment teaches nothing
    assert guard.learn_many("blog", lessons) == 80
    stored = store.read_model("blog", MODEL)
    assert stored is not None and stored[1] == 1
    assert (Model.load(stored[0]).spam, Model.load(stored[0]).ham) == (50, 30)
