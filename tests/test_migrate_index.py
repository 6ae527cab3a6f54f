"""The import's index of placed comments (to resolve parents wherever a file lists them) is
the one part of an import that grows with the file: it stays small per comment, and it gives
back exactly the id and page each comment was placed with."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from backend.domain.models import Status
from backend.domain.tokens import Signer
from backend.migrate.pipeline import Importer
from backend.migrate.records import Markup, Record, SourceComment, SourceThread

COMMENTS = 5_000
PER_THREAD = 10


def _records(comments: int = COMMENTS) -> Iterator[Record]:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for t in range(comments // PER_THREAD):
        thread = f"post-{t}"
        yield SourceThread(key=thread, url=f"https://blog.example/{t}/page/", title="A page")
        for c in range(PER_THREAD):
            n = t * PER_THREAD + c
            yield SourceComment(
                key=f"comment-{n}", thread=thread, parent=None if c == 0 else f"comment-{n - 1}",
                author="A reader", email="reader@example.com", website=None, body="Hi",
                markup=Markup.MARKDOWN, status=Status.APPROVED,
                created=start + timedelta(seconds=n),
            )  # fmt: skip


def test_an_import_keeps_about_150_bytes_a_comment() -> None:
    signer = Signer(["test-secret-key-0123456789"])
    Importer("wordpress", "blog", None, signer).run(_records(100))  # lazy imports, caches
    importer = Importer("wordpress", "blog", None, signer)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        summary = importer.run(_records())
        kept = (tracemalloc.get_traced_memory()[0] - before) / COMMENTS
    finally:
        tracemalloc.stop()
    assert summary.comments == COMMENTS
    # Everything the run still holds, per comment: the index (~140 B) and a tenth of each
    # thread's own records. A dict of key strings to (id, uri) tuples held ~280 B in all.
    assert kept < 220, kept


def test_the_index_gives_back_what_was_placed() -> None:
    from backend.migrate.index import Placed

    placed = Placed()
    ids = ["00000000000000000000000000", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "01HV3K8Z9QWERTYXMN4PABCDEF"]
    for n, comment_id in enumerate(ids):
        placed.add(f"key {n}", comment_id, f"/page/{n % 2}/")
    for n, comment_id in enumerate(ids):
        assert f"key {n}" in placed
        assert placed.get(f"key {n}") == (comment_id, f"/page/{n % 2}/")
    assert "key 3" not in placed and placed.get("key 3") is None
