"""The storage contract: every store in tests/stores.py must pass all of these."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from backend.domain import errors
from backend.domain.ids import new_ulid
from backend.domain.models import Comment, NewComment, Status
from backend.store.base import Store
from tests.helpers import drop_thread

SITE, URI = "blog", "/post/"
T0 = 1_767_225_600.0


def make(
    *,
    uri: str = URI,
    parent: str | None = None,
    status: Status = Status.APPROVED,
    at: float = T0,
    email: str = "a@example.com",
    text: str = "hello",
) -> Comment:
    return Comment(
        site=SITE, uri=uri, id=new_ulid(at), parent=parent, author="Ann", email=email,
        website=None, text=text, html=f"<p>{text}</p>", status=status,
        created=datetime.fromtimestamp(at, UTC), ip_hash="ip", avatar="av",
    )  # fmt: skip


def add(store: Store, comment: Comment, key: str | None = None, title: str = "T") -> Comment:
    return store.create_comment(NewComment(comment, title, key or comment.id, int(T0) + 86400))


def test_create_and_read_back(store: Store) -> None:
    c = add(store, make(text="first"))
    assert store.get_comment(SITE, URI, c.id) == c
    page = store.read_page(SITE, URI, after=None, limit=10)
    assert page.thread is not None and page.thread.count == 1 and page.thread.title == "T"
    assert [x.id for x in page.comments] == [c.id]
    assert page.next_after is None


def test_read_missing_thread(store: Store) -> None:
    page = store.read_page(SITE, "/nothing/", after=None, limit=10)
    assert page.thread is None and page.comments == []
    assert store.thread_stamp(SITE, "/nothing/") is None


def test_a_thread_made_again_never_takes_up_its_old_stamp(store: Store) -> None:
    # A thread's stamp vouches for what a build, a browser or a warm sandbox keeps of it: one
    # deleted (by hand, or a restored backup without it) and begun again must not restart at a
    # stamp its predecessor had, or a kept copy of the old thread would pass for the new one.
    add(store, make(text="old"))
    old = store.thread_stamp(SITE, URI)
    assert old
    drop_thread(store, SITE, URI)
    assert store.thread_stamp(SITE, URI) is None
    add(store, make(text="new", at=T0 + 60))
    new = store.thread_stamp(SITE, URI)
    assert new and new != old
    page = store.read_page(SITE, URI, after=None, limit=10)
    assert page.thread is not None and page.thread.stamp in (new, "")


def test_pages_are_oldest_first_and_complete(store: Store) -> None:
    ids = [add(store, make(at=T0 + i)).id for i in range(7)]
    seen, after = [], None
    while True:
        page = store.read_page(SITE, URI, after=after, limit=3)
        seen += [c.id for c in page.comments]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == ids


def test_pending_and_spam_are_not_read_nor_counted(store: Store) -> None:
    add(store, make(status=Status.PENDING))
    add(store, make(status=Status.SPAM))
    ok = add(store, make())
    page = store.read_page(SITE, URI, after=None, limit=10)
    assert [c.id for c in page.comments] == [ok.id]
    assert store.counts(SITE, [URI]) == {URI: 1}


def test_reply_counts_and_missing_parent(store: Store) -> None:
    parent = add(store, make())
    add(store, make(parent=parent.id, at=T0 + 1))
    add(store, make(parent=parent.id, at=T0 + 2, status=Status.PENDING))
    got = store.get_comment(SITE, URI, parent.id)
    assert got is not None and got.replies == 1
    with pytest.raises(errors.ParentNotFound):
        add(store, make(parent=new_ulid(T0)))
    other = add(store, make(uri="/other/"))
    with pytest.raises(errors.ParentNotFound):  # a parent from another thread
        add(store, make(parent=other.id))


def test_idempotency_key_returns_first(store: Store) -> None:
    first = add(store, make(), key="same-key-1")
    with pytest.raises(errors.DuplicateKey) as caught:
        add(store, make(at=T0 + 1), key="same-key-1")
    assert caught.value.comment_id == first.id
    assert store.find_key(SITE, "same-key-1", int(T0)) == first.id
    assert store.find_key(SITE, "same-key-1", int(T0) + 86401) is None  # expired
    assert store.counts(SITE, [URI]) == {URI: 1}


def test_expired_key_can_be_reused(store: Store) -> None:
    add(store, make(), key="old-key-01")
    later = T0 + 2 * 86400
    c = make(at=later)
    store.create_comment(NewComment(c, "T", "old-key-01", int(later) + 86400))
    assert store.find_key(SITE, "old-key-01", int(later)) == c.id


def test_locked_thread_refuses_posts(store: Store) -> None:
    add(store, make())
    thread = store.set_locked(SITE, URI, True, datetime.fromtimestamp(T0, UTC))
    assert thread.locked
    with pytest.raises(errors.ThreadLocked):
        add(store, make(at=T0 + 1))
    store.set_locked(SITE, URI, False, datetime.fromtimestamp(T0, UTC))
    add(store, make(at=T0 + 2))
    assert store.counts(SITE, [URI]) == {URI: 2}


def test_edit(store: Store) -> None:
    c = add(store, make())
    when = datetime.fromtimestamp(T0 + 5, UTC)
    edited = store.edit_comment(SITE, URI, c.id, text="new", html="<p>new</p>", edited=when)
    assert (edited.text, edited.html, edited.edited) == ("new", "<p>new</p>", when)
    with pytest.raises(errors.CommentNotFound):
        store.edit_comment(SITE, URI, new_ulid(T0), text="x", html="x", edited=when)


def test_status_moves_counts(store: Store) -> None:
    parent = add(store, make())
    reply = add(store, make(parent=parent.id, at=T0 + 1, status=Status.PENDING))
    assert store.counts(SITE, [URI])[URI] == 1

    store.set_status(SITE, URI, reply.id, Status.APPROVED)
    p = store.get_comment(SITE, URI, parent.id)
    assert store.counts(SITE, [URI])[URI] == 2 and p is not None and p.replies == 1

    store.set_status(SITE, URI, reply.id, Status.SPAM)
    p = store.get_comment(SITE, URI, parent.id)
    assert store.counts(SITE, [URI])[URI] == 1 and p is not None and p.replies == 0

    store.set_status(SITE, URI, reply.id, Status.SPAM)  # no change, no drift
    assert store.counts(SITE, [URI])[URI] == 1
    with pytest.raises(errors.CommentNotFound):
        store.set_status(SITE, URI, new_ulid(T0), Status.APPROVED)


def test_deleted_with_replies_is_a_tombstone(store: Store) -> None:
    parent = add(store, make(text="secret"))
    add(store, make(parent=parent.id, at=T0 + 1))
    gone = store.set_status(SITE, URI, parent.id, Status.DELETED, scrub=True)
    assert gone.text == "" and gone.html == ""
    page = store.read_page(SITE, URI, after=None, limit=10)
    assert [c.status for c in page.comments] == [Status.DELETED, Status.APPROVED]
    lone = add(store, make(at=T0 + 2))
    store.set_status(SITE, URI, lone.id, Status.DELETED)
    page = store.read_page(SITE, URI, after=None, limit=10)
    assert lone.id not in [c.id for c in page.comments]
    assert store.counts(SITE, [URI])[URI] == 1


def test_likes_once_per_voter(store: Store) -> None:
    c = add(store, make())
    assert store.add_like(SITE, URI, c.id, "v1") == 1
    assert store.add_like(SITE, URI, c.id, "v1") == 1
    assert store.add_like(SITE, URI, c.id, "v2") == 2
    got = store.get_comment(SITE, URI, c.id)
    assert got is not None and got.likes == 2
    pending = add(store, make(at=T0 + 1, status=Status.PENDING))
    with pytest.raises(errors.CommentNotFound):
        store.add_like(SITE, URI, pending.id, "v1")


def test_unlike_takes_one_voters_like_back_once(store: Store) -> None:
    c = add(store, make())
    store.add_like(SITE, URI, c.id, "v1")
    store.add_like(SITE, URI, c.id, "v2")
    assert store.remove_like(SITE, URI, c.id, "v1") == 1
    assert store.remove_like(SITE, URI, c.id, "v1") == 1  # twice changes nothing
    assert store.remove_like(SITE, URI, c.id, "never") == 1
    assert store.add_like(SITE, URI, c.id, "v1") == 2  # and the voter may like again
    got = store.get_comment(SITE, URI, c.id)
    assert got is not None and got.likes == 2
    pending = add(store, make(at=T0 + 1, status=Status.PENDING))
    with pytest.raises(errors.CommentNotFound):
        store.remove_like(SITE, URI, pending.id, "v1")


def test_stamp_moves_on_every_write(store: Store) -> None:
    c = add(store, make())
    stamps = {store.thread_stamp(SITE, URI)}
    when = datetime.fromtimestamp(T0, UTC)
    store.add_like(SITE, URI, c.id, "v")
    stamps.add(store.thread_stamp(SITE, URI))
    store.edit_comment(SITE, URI, c.id, text="b", html="b", edited=when)
    stamps.add(store.thread_stamp(SITE, URI))
    store.set_status(SITE, URI, c.id, Status.SPAM)
    stamps.add(store.thread_stamp(SITE, URI))
    store.set_locked(SITE, URI, True, when)
    stamps.add(store.thread_stamp(SITE, URI))
    assert len(stamps) == 5


def test_the_stamp_moves_with_everything_a_read_shows(store: Store) -> None:
    """The app keeps a thread's serialized first page until the stamp moves (on DynamoDB as on
    SQLite: backend/api/comments.py), so every write a read would show moves it, and a read's
    own thread carries the stamp `thread_stamp` gives."""
    when = datetime.fromtimestamp(T0, UTC)
    a = add(store, make())
    held = add(store, make(at=T0 + 1, status=Status.PENDING))
    seen: list[str | None] = []

    def moved(what: str) -> None:
        stamp = store.thread_stamp(SITE, URI)
        page = store.read_page(SITE, URI, after=None, limit=10)
        assert page.thread is not None and page.thread.stamp == stamp, what
        assert stamp not in seen, f"{what} left the stamp where it was"
        seen.append(stamp)

    moved("the first post")
    store.set_status(SITE, URI, held.id, Status.APPROVED)
    moved("an approval")
    b = add(store, make(at=T0 + 2, parent=a.id))
    moved("a reply (its parent's replies)")
    store.add_like(SITE, URI, a.id, "v")
    moved("a like")
    store.remove_like(SITE, URI, a.id, "v")
    moved("a like taken back")
    store.edit_comment(SITE, URI, a.id, text="b", html="<p>b</p>", edited=when)
    moved("an edit")
    store.set_pinned(SITE, URI, b.id, 3, when)
    moved("a pin")
    store.set_locked(SITE, URI, True, when)
    moved("a lock")
    store.add_reactions(SITE, URI, 2, 1, when)
    moved("the open web's reactions")
    store.set_reactions(SITE, URI, "mastodon", 4, 1)
    moved("an announcement's reactions")
    store.set_status(SITE, URI, b.id, Status.DELETED, scrub=True)
    moved("a reader's deletion")
    store.erase(SITE, URI, b.id)
    moved("an erasure")
    store.recount(SITE, URI)
    moved("a recount (after an import)")


def test_counts_for_many_uris(store: Store) -> None:
    uris = [f"/p/{i}/" for i in range(120)]
    for i, uri in enumerate(uris[:30]):
        for j in range(i % 3):
            add(store, make(uri=uri, at=T0 + i + j / 10))
    counts = store.counts(SITE, uris[:100])
    assert len(counts) == 100
    assert all(counts[u] == i % 3 for i, u in enumerate(uris[:30]))
    assert all(counts[u] == 0 for u in uris[30:100])


def test_recent_and_queue_are_newest_first(store: Store) -> None:
    a = add(store, make(at=T0))
    b = add(store, make(uri="/other/", at=T0 + 1))
    p = add(store, make(at=T0 + 2, status=Status.PENDING))
    assert [c.id for c in store.recent(SITE, None, 10)] == [b.id, a.id]
    assert [c.id for c in store.recent(SITE, URI, 10)] == [a.id]
    assert [c.id for c in store.queue(SITE, Status.PENDING, after=None, limit=10).comments] == [
        p.id
    ]
    first = store.queue(SITE, Status.APPROVED, after=None, limit=1)
    assert [c.id for c in first.comments] == [b.id] and first.next_after == b.id
    rest = store.queue(SITE, Status.APPROVED, after=first.next_after, limit=1)
    assert [c.id for c in rest.comments] == [a.id]


def test_author_approved(store: Store) -> None:
    add(store, make(email="new@example.com", status=Status.PENDING))
    assert not store.author_approved(SITE, "new@example.com")
    add(store, make(email="known@example.com", at=T0 + 1))
    assert store.author_approved(SITE, "known@example.com")


def test_rate_buckets_count_per_window(store: Store) -> None:
    assert [store.hit_rate(SITE, "c", 100, 6120) for _ in range(3)] == [1, 2, 3]
    assert store.hit_rate(SITE, "c", 101, 6180) == 1
    assert store.hit_rate(SITE, "other", 101, 6180) == 1


def test_parallel_posts_all_land(store: Store) -> None:
    comments = [make(at=T0 + i / 1000) for i in range(30)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda c: add(store, c), comments))
    assert store.counts(SITE, [URI]) == {URI: 30}
    page = store.read_page(SITE, URI, after=None, limit=100)
    assert len(page.comments) == 30


def test_erase_forgets_the_comment_and_moves_counts(store: Store) -> None:
    parent = add(store, make(email="gone@example.com", text="parent"))
    reply = add(store, make(parent=parent.id, at=T0 + 1, email="gone@example.com"))
    other = add(store, make(parent=parent.id, at=T0 + 2, email="stays@example.com"))
    held = add(store, make(at=T0 + 3, status=Status.PENDING, email="gone@example.com"))
    assert store.counts(SITE, [URI])[URI] == 3

    store.erase(SITE, URI, reply.id)  # approved, no replies: removed, counts move
    assert store.get_comment(SITE, URI, reply.id) is None
    p = store.get_comment(SITE, URI, parent.id)
    assert p is not None and p.replies == 1 and store.counts(SITE, [URI])[URI] == 2

    store.erase(SITE, URI, parent.id)  # has a reply: a tombstone with nothing personal left
    tomb = store.get_comment(SITE, URI, parent.id)
    assert tomb is not None and tomb.status is Status.DELETED and tomb.replies == 1
    assert (tomb.author, tomb.email, tomb.website, tomb.text, tomb.html) == ("", "", None, "", "")
    assert (tomb.ip_hash, tomb.avatar) == ("", "")
    assert store.counts(SITE, [URI])[URI] == 1
    assert not store.author_approved(SITE, "gone@example.com")
    page = store.read_page(SITE, URI, after=None, limit=10)
    assert [c.id for c in page.comments] == [parent.id, other.id]
    deleted = store.queue(SITE, Status.DELETED, after=None, limit=10).comments
    assert [c.id for c in deleted] == [parent.id]

    store.erase(SITE, URI, held.id)  # pending: no counts move
    assert store.get_comment(SITE, URI, held.id) is None
    assert store.queue(SITE, Status.PENDING, after=None, limit=10).comments == []
    assert store.counts(SITE, [URI])[URI] == 1
    with pytest.raises(errors.CommentNotFound):
        store.erase(SITE, URI, held.id)


def test_use_once_is_true_exactly_once(store: Store) -> None:
    assert store.use_once(SITE, "link-1", int(T0) + 60)
    assert not store.use_once(SITE, "link-1", int(T0) + 60)
    assert not store.use_once(SITE, "link-1", int(T0) + 9999)  # a later expiry revives nothing
    assert store.use_once(SITE, "link-2", int(T0) + 60)
    assert store.use_once("other", "link-1", int(T0) + 60)  # records are per site


def test_use_once_under_a_race(store: Store) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: store.use_once(SITE, "raced", int(T0) + 60), range(16)))
    assert results.count(True) == 1


def test_completed_writes_leave_nothing_to_repair(store: Store) -> None:
    """Every write that returned settled its counters: the scheduled repair finds nothing, even
    long after (DynamoDB: every marker it set is removed with its index keys; SQLite never
    leaves one)."""
    parent = add(store, make())
    reply = add(store, make(parent=parent.id, at=T0 + 1))
    store.add_like(SITE, URI, parent.id, "v1")
    store.add_like(SITE, URI, reply.id, "v2")
    store.remove_like(SITE, URI, reply.id, "v2")
    store.set_status(SITE, URI, reply.id, Status.SPAM)
    store.set_status(SITE, URI, reply.id, Status.APPROVED)
    store.erase(SITE, URI, reply.id)
    far = int((T0 + 10 * 365 * 86400) * 1000)  # every marker, if any were left, is stale then
    done = store.repair_marked(SITE, limit=10, now=far)
    assert (done.repaired, done.busy, done.more) == ((), (), False)
    thread = store.get_thread(SITE, URI)
    assert thread is not None and thread.count == 1
    assert store.get_comment(SITE, URI, parent.id).likes == 1  # type: ignore[union-attr]


def test_release_says_whether_it_was_held(store: Store) -> None:
    assert store.claim(SITE, "k", int(T0), int(T0) + 60)
    assert not store.claim(SITE, "k", int(T0), int(T0) + 60)
    assert store.release(SITE, "k") is True
    assert store.release(SITE, "k") is False


def test_the_open_webs_tally_adds_to_the_posts_and_never_goes_below_zero(store: Store) -> None:
    when = datetime.fromtimestamp(T0, UTC)
    store.add_reactions(SITE, "/liked/", 1, 0, when)  # no comment yet: the thread is made
    thread = store.get_thread(SITE, "/liked/")
    assert thread is not None and thread.reactions == (1, 0) and thread.count == 0
    store.set_reactions(SITE, "/liked/", "mastodon", 10, 2)
    store.add_reactions(SITE, "/liked/", 1, 1, when)
    assert store.read_page(SITE, "/liked/", after=None, limit=5).thread.reactions == (12, 3)  # type: ignore[union-attr]
    store.add_reactions(SITE, "/liked/", -5, -1, when)
    got = store.get_thread(SITE, "/liked/")
    assert got is not None and got.reactions == (10, 2)
    c = add(store, make(uri="/liked/"))
    assert store.get_thread(SITE, "/liked/").count == 1  # type: ignore[union-attr]
    assert store.get_comment(SITE, "/liked/", c.id) == c
