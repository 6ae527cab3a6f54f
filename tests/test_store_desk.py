"""The owner's desk in the storage contract (both stores): the owner's role on a comment, one
pinned comment per thread, blocks by keyed hash."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from backend.domain.models import OWNER, Block
from backend.store.base import Store
from tests.test_store_contract import SITE, T0, URI, add, make

WHEN = datetime.fromtimestamp(T0, UTC)


def test_a_comment_keeps_its_role(store: Store) -> None:
    owner = add(store, replace(make(text="from the author"), role=OWNER))
    reader = add(store, make(at=T0 + 1, text="from a reader"))
    assert store.get_comment(SITE, URI, owner.id) == owner
    assert store.get_comment(SITE, URI, reader.id) == reader and reader.role == ""
    page = store.read_page(SITE, URI, after=None, limit=10)
    assert [c.role for c in page.comments] == [OWNER, ""]
    assert [c.role for c in store.recent(SITE, None, 10)] == ["", OWNER]


def test_one_pinned_comment_per_thread(store: Store) -> None:
    first = add(store, make())
    second = add(store, make(at=T0 + 1))
    stamp = store.thread_stamp(SITE, URI)
    thread = store.set_pinned(SITE, URI, first.id, 1, WHEN)
    assert thread.pinned == first.id and thread.count == 2
    assert store.thread_stamp(SITE, URI) != stamp  # a cached read of the thread is stale
    store.set_pinned(SITE, URI, second.id, 2, WHEN)  # pinning another replaces it
    page = store.read_page(SITE, URI, after=None, limit=10)
    assert page.thread is not None and page.thread.pinned == second.id
    assert page.thread.pinned_number == 2
    public = store.public_comment(SITE, URI, second.id)
    assert public is not None and public.id == second.id and public.html == second.html
    assert store.public_comment(SITE, URI, "01KDVD3020KMZ5P30TYNQS52CE") is None
    assert store.set_pinned(SITE, URI, "", 0, WHEN).pinned == ""
    got = store.get_thread(SITE, URI)
    assert got is not None and got.pinned == "" and got.count == 2


def test_blocks_are_listed_checked_and_lifted(store: Store) -> None:
    net = Block(SITE, "network:aaa", "Ann: hello", WHEN)
    mail = Block(SITE, "email:bbb", "Bob: hi", datetime.fromtimestamp(T0 + 5, UTC))
    assert store.blocks(SITE) == [] and not store.blocked(SITE, ["network:aaa"])
    store.add_block(net)
    store.add_block(mail)
    store.add_block(replace(net, label="again"))  # a second time changes nothing
    assert store.blocks(SITE) == [mail, net]  # newest first
    assert store.blocked(SITE, ["network:zzz", "email:bbb"])
    assert store.blocked(SITE, ["network:aaa"])
    assert not store.blocked(SITE, ["network:zzz", "email:zzz"])
    assert not store.blocked("other", ["network:aaa"])  # per site
    assert not store.blocked(SITE, [])
    assert store.remove_block(SITE, "network:aaa") is True
    assert store.remove_block(SITE, "network:aaa") is False
    assert not store.blocked(SITE, ["network:aaa"])
    assert store.blocks(SITE) == [mail]
