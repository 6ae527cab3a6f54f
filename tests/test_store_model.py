"""The store contract as a state machine (hypothesis `RuleBasedStateMachine`): random sequences
of posts, replies, likes, edits, status changes, erases, locks and single-use records run on a
real store and on a plain model of what the contract promises; after every step the thread
counts, reply and like numbers, visibility, the moderation queues and `counts` must agree.

Each run works in a fresh site of one store per kind (a new namespace costs nothing, a new
DynamoDB table would). Bounded in examples and steps: a few seconds per store."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from backend.domain import errors
from backend.domain.ids import new_ulid
from backend.domain.models import Comment, NewComment, Status
from backend.store.base import Store
from tests.stores import STORES

URIS = ("/a/", "/b/")
T0 = 1_767_225_600.0
# (steps per run, runs): SQLite takes a few seconds for 25 runs of 30 steps; a DynamoDB
# request costs far more (every step checks the whole model through the store).
BOUNDS = {"sqlite": (30, 25)}
DYNAMO_BOUNDS = (10, 6)


def model_kinds() -> list[str]:
    """SQLite, and one DynamoDB: AWS's DynamoDB Local when tests/stores.py has it, else moto
    (in process). moto over HTTP adds nothing here but time."""
    dynamo = sorted(k for k in STORES if k != "sqlite" and not k.startswith("moto"))
    return ["sqlite", *(dynamo or ["moto"])]


@dataclass
class Node:
    id: str
    uri: str
    parent: str | None
    status: Status
    text: str
    replies: int = 0
    voters: set[int] = field(default_factory=set)

    @property
    def visible(self) -> bool:
        return self.status is Status.APPROVED or (
            self.status is Status.DELETED and self.replies > 0
        )


@dataclass
class ThreadModel:
    count: int = 0
    locked: bool = False


class StoreMachine(RuleBasedStateMachine):
    store: Store  # set on the subclass made for each store kind

    def __init__(self) -> None:
        super().__init__()
        self.site = "m" + uuid.uuid4().hex[:12]
        self.threads: dict[str, ThreadModel] = {}
        self.nodes: dict[str, Node] = {}
        self.used: set[str] = set()
        self.clock = itertools.count(1)

    # -- helpers ---------------------------------------------------------------------------------

    def _pick(self, data: st.DataObject, *, where: Any = None) -> Node:
        candidates = sorted(n for n, node in self.nodes.items() if where is None or where(node))
        return self.nodes[data.draw(st.sampled_from(candidates))]

    def _move(self, node: Node, status: Status) -> None:
        delta = int(status is Status.APPROVED) - int(node.status is Status.APPROVED)
        node.status = status
        self.threads[node.uri].count += delta
        if delta and node.parent in self.nodes:
            self.nodes[node.parent].replies += delta

    # -- rules -----------------------------------------------------------------------------------

    @rule(
        uri=st.sampled_from(URIS),
        status=st.sampled_from([Status.APPROVED, Status.APPROVED, Status.PENDING, Status.SPAM]),
        reply=st.booleans(),
        data=st.data(),
    )
    def post(self, uri: str, status: Status, reply: bool, data: st.DataObject) -> None:
        at = T0 + next(self.clock)
        parent: Node | None = None
        thread = self.threads.get(uri)
        locked = thread is not None and thread.locked
        in_thread = [n for n in self.nodes.values() if n.uri == uri]
        if reply and in_thread and not locked:
            parent = self._pick(data, where=lambda n: n.uri == uri)
        comment = Comment(
            site=self.site, uri=uri, id=new_ulid(at), parent=parent and parent.id,
            author="Ann", email="ann@example.com", website=None, text=f"t{at}",
            html=f"<p>t{at}</p>", status=status, created=datetime.fromtimestamp(at, UTC),
            ip_hash="ip", avatar="av",
        )  # fmt: skip
        new = NewComment(comment, "Title", f"key-{comment.id}", int(at) + 86400)
        if locked:
            with pytest.raises(errors.ThreadLocked):
                self.store.create_comment(new)
            return
        if parent is not None and parent.status is not Status.APPROVED:
            with pytest.raises(errors.ParentNotFound):
                self.store.create_comment(new)
            return
        self.store.create_comment(new)
        self.threads.setdefault(uri, ThreadModel())
        node = Node(comment.id, uri, comment.parent, Status.PENDING, comment.text)
        self.nodes[node.id] = node
        self._move(node, status)

    @precondition(lambda self: bool(self.nodes))
    @rule(voter=st.integers(0, 3), data=st.data())
    def like(self, voter: int, data: st.DataObject) -> None:
        node = self._pick(data)
        if node.status is not Status.APPROVED:
            with pytest.raises(errors.CommentNotFound):
                self.store.add_like(self.site, node.uri, node.id, f"v{voter}")
            return
        node.voters.add(voter)
        assert self.store.add_like(self.site, node.uri, node.id, f"v{voter}") == len(node.voters)

    @precondition(lambda self: bool(self.nodes))
    @rule(data=st.data())
    def edit(self, data: st.DataObject) -> None:
        node = self._pick(data)
        at = T0 + next(self.clock)
        text = f"edited {at}"
        call = lambda: self.store.edit_comment(  # noqa: E731
            self.site, node.uri, node.id, text=text, html=f"<p>{text}</p>",
            edited=datetime.fromtimestamp(at, UTC),
        )  # fmt: skip
        if node.status in (Status.DELETED, Status.SPAM):
            with pytest.raises(errors.CommentNotFound):
                call()
            return
        assert call().text == text
        node.text = text

    @precondition(lambda self: bool(self.nodes))
    @rule(status=st.sampled_from(list(Status)), scrub=st.booleans(), data=st.data())
    def set_status(self, status: Status, scrub: bool, data: st.DataObject) -> None:
        node = self._pick(data)
        scrub = scrub and status is Status.DELETED
        moved = self.store.set_status(self.site, node.uri, node.id, status, scrub=scrub)
        self._move(node, status)
        if scrub:
            node.text = ""
        assert moved.status is status and moved.text == node.text

    @precondition(lambda self: bool(self.nodes))
    @rule(data=st.data())
    def erase(self, data: st.DataObject) -> None:
        node = self._pick(data)
        self.store.erase(self.site, node.uri, node.id)
        keep = node.replies > 0
        self._move(node, Status.DELETED)
        if keep:
            node.text = ""
        else:
            del self.nodes[node.id]

    @rule(uri=st.sampled_from(URIS), locked=st.booleans())
    def lock(self, uri: str, locked: bool) -> None:
        thread = self.store.set_locked(self.site, uri, locked, datetime.fromtimestamp(T0, UTC))
        self.threads.setdefault(uri, ThreadModel()).locked = locked
        assert thread.locked is locked

    @rule(key=st.sampled_from(["k1", "k2", "k3"]))
    def use_once(self, key: str) -> None:
        assert self.store.use_once(self.site, key, int(T0) + 600) is (key not in self.used)
        self.used.add(key)

    # -- what must hold after every step ---------------------------------------------------------

    @invariant()
    def threads_agree(self) -> None:
        for uri in URIS:
            model = self.threads.get(uri)
            page = self.store.read_page(self.site, uri, after=None, limit=100)
            if model is None:
                assert page.thread is None and page.comments == []
                continue
            assert page.thread is not None
            assert (page.thread.count, page.thread.locked) == (model.count, model.locked)
            expected = sorted(n.id for n in self.nodes.values() if n.uri == uri and n.visible)
            assert [c.id for c in page.comments] == expected
            for shown in page.comments:
                node = self.nodes[shown.id]
                assert (shown.status, shown.replies, shown.likes) == (
                    node.status, node.replies, len(node.voters)
                ), shown  # fmt: skip
        counts = self.store.counts(self.site, list(URIS))
        assert counts == {u: (self.threads[u].count if u in self.threads else 0) for u in URIS}

    @invariant()
    def comments_agree(self) -> None:
        for node in self.nodes.values():
            stored = self.store.get_comment(self.site, node.uri, node.id)
            assert stored is not None
            assert (stored.status, stored.text, stored.replies) == (
                node.status, node.text, node.replies
            ), stored  # fmt: skip

    @invariant()
    def queues_agree(self) -> None:
        for status in (Status.PENDING, Status.SPAM):
            page = self.store.queue(self.site, status, after=None, limit=100)
            expected = sorted(
                (n.id for n in self.nodes.values() if n.status is status), reverse=True
            )
            assert [c.id for c in page.comments] == expected


@pytest.fixture(params=model_kinds())
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Store]]:
    kind = str(request.param)
    with STORES[kind](tmp_path) as (store, _url):
        yield kind, store


def test_store_against_its_model(shared_store: tuple[str, Store]) -> None:
    kind, store = shared_store
    steps, examples = BOUNDS.get(kind, DYNAMO_BOUNDS)
    machine = type(f"StoreMachine_{kind}", (StoreMachine,), {"store": store})
    bounded = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    run_state_machine_as_test(machine, settings=bounded)
