"""What only admins, edits, mail and exports read (the source text, the email, the IP hash)
survives every path, on every store in tests/stores.py. DynamoDB keeps it in a private part
apart from the item a page view reads (docs/dynamodb.md), so each path that needs it must read
it, write it with the comment, and erase it with the comment."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.domain.ids import new_ulid
from backend.domain.models import Comment, NewComment, Status, Thread
from backend.store.base import Store

SITE, URI = "blog", "/private/"
T0 = 1_767_225_600.0
PUBLIC = ("id", "parent", "author", "website", "avatar", "html", "status", "created", "likes")


def make(n: int, *, parent: str | None = None, status: Status = Status.APPROVED) -> Comment:
    at = T0 + n
    return Comment(
        site=SITE, uri=URI, id=new_ulid(at), parent=parent, author=f"Ann {n}",
        email=f"ann{n}@example.com", website="https://ann.example/", text=f"*source* {n}",
        html=f"<p><em>source</em> {n}</p>", status=status,
        created=datetime.fromtimestamp(at, UTC), ip_hash=f"ip{n}", avatar=f"av{n}",
    )  # fmt: skip


def add(store: Store, comment: Comment) -> Comment:
    return store.create_comment(NewComment(comment, "T", comment.id, int(T0) + 86400))


def public(c: Comment) -> tuple[object, ...]:
    return tuple(getattr(c, name) for name in PUBLIC)


def private(c: Comment | None) -> tuple[str, str, str]:
    assert c is not None
    return c.email, c.text, c.ip_hash


def test_a_page_shows_what_the_whole_comment_shows(store: Store) -> None:
    first = add(store, make(1))
    reply = add(store, make(2, parent=first.id))
    page = store.read_page(SITE, URI, after=None, limit=10)
    whole = [store.get_comment(SITE, URI, c.id) for c in page.comments]
    assert [public(c) for c in page.comments] == [public(c) for c in whole if c is not None]
    assert [private(c) for c in whole] == [private(first), private(reply)]


def test_moderators_see_email_and_source_after_a_page_read(store: Store) -> None:
    shown = add(store, make(1))
    held = add(store, make(2, status=Status.PENDING))
    store.read_page(SITE, URI, after=None, limit=10)
    store.recent(SITE, URI, 10)
    queue = store.queue(SITE, Status.PENDING, after=None, limit=10).comments
    assert [private(c) for c in queue] == [private(held)]
    approved = store.queue(SITE, Status.APPROVED, after=None, limit=10).comments
    assert [private(c) for c in approved] == [private(shown)]
    moved = store.set_status(SITE, URI, held.id, Status.SPAM)  # no count moves
    assert private(moved) == private(held) == private(store.get_comment(SITE, URI, held.id))
    back = store.set_status(SITE, URI, shown.id, Status.PENDING)  # the count moves
    assert private(back) == private(shown) == private(store.get_comment(SITE, URI, shown.id))


def test_a_queue_longer_than_one_batch_keeps_every_email(store: Store) -> None:
    # DynamoDB reads a queue page with BatchGetItem, 100 keys a request, two keys a comment.
    held = [make(n, status=Status.PENDING) for n in range(60)]
    store.put_many([], held)
    queue = store.queue(SITE, Status.PENDING, after=None, limit=100).comments
    assert [private(c) for c in queue] == [private(c) for c in reversed(held)]


def test_a_queue_walk_without_private_parts_shows_the_same_comments(store: Store) -> None:
    # `private=False` (the admin's counts, the pending purge) may leave email, text and ip_hash
    # empty, never anything a count or a purge reads.
    held = [make(n, status=Status.PENDING) for n in range(60)]
    store.put_many([], held)
    whole = store.queue(SITE, Status.PENDING, after=None, limit=50)
    bare = store.queue(SITE, Status.PENDING, after=None, limit=50, private=False)
    assert [public(c) for c in bare.comments] == [public(c) for c in whole.comments]
    assert bare.next_after == whole.next_after is not None
    rest = store.queue(SITE, Status.PENDING, after=bare.next_after, limit=50, private=False)
    assert [public(c) for c in rest.comments] == [public(c) for c in reversed(held[:10])]


def test_one_id_in_two_threads_keeps_each_comments_email(store: Store) -> None:
    # An import may bring the same id in two threads; one queue page reads both at once.
    here = make(1, status=Status.PENDING)
    there = make(2, status=Status.PENDING).evolve(uri="/elsewhere/", id=here.id)
    store.put_many([], [here, there])
    queue = store.queue(SITE, Status.PENDING, after=None, limit=10).comments
    assert sorted((c.uri, private(c)) for c in queue) == [
        ("/elsewhere/", private(there)), (URI, private(here)),
    ]  # fmt: skip


def test_an_edit_keeps_the_source_with_the_html(store: Store) -> None:
    c = add(store, make(1))
    edited = store.edit_comment(
        SITE, URI, c.id, text="new **words**", html="<p>new <strong>words</strong></p>",
        edited=datetime.fromtimestamp(T0 + 60, UTC),
    )  # fmt: skip
    assert private(edited) == (c.email, "new **words**", c.ip_hash)
    assert store.get_comment(SITE, URI, c.id) == edited
    assert [x.text for x in store.thread_comments(SITE, URI)] == ["new **words**"]
    page = store.read_page(SITE, URI, after=None, limit=10)
    assert [x.html for x in page.comments] == ["<p>new <strong>words</strong></p>"]


def test_a_readers_delete_empties_the_source_everywhere(store: Store) -> None:
    c = add(store, make(1))
    add(store, make(2, parent=c.id))
    store.set_status(SITE, URI, c.id, Status.DELETED, scrub=True)
    tomb = store.get_comment(SITE, URI, c.id)
    assert tomb is not None and (tomb.text, tomb.html) == ("", "")
    exported = {x.id: x for x in store.thread_comments(SITE, URI)}
    assert (exported[c.id].text, exported[c.id].html) == ("", "")


def test_erase_removes_the_private_fields_too(store: Store) -> None:
    c = add(store, make(1))
    reply, stays = add(store, make(2, parent=c.id)), add(store, make(3, parent=c.id))
    store.erase(SITE, URI, reply.id)
    assert store.get_comment(SITE, URI, reply.id) is None
    store.erase(SITE, URI, c.id)  # a reply still hangs under it: a tombstone
    exported = list(store.thread_comments(SITE, URI))
    assert [private(x) for x in exported] == [("", "", ""), private(stays)]


def test_export_carries_every_field_of_posts_and_imports(store: Store) -> None:
    posted = [add(store, make(1)), add(store, make(2, status=Status.PENDING))]
    assert list(store.thread_comments(SITE, URI)) == posted
    other = "/imported/"
    imported = [make(n).evolve(uri=other) for n in (3, 4)]
    thread = Thread(SITE, other, "I", 2, False, datetime.fromtimestamp(T0, UTC))
    store.put_many([thread], imported)
    assert list(store.thread_comments(SITE, other)) == imported
    assert store.get_comment(SITE, other, imported[0].id) == imported[0]
