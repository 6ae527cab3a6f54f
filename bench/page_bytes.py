"""What one page view of a thread of long comments costs on DynamoDB Local, with the page's
character bound (`PAGE_CHARS`) and without it (issue 11, item 11).

    .venv/bin/python bench/page_bytes.py

Seeds one thread of 100 comments of 10,000 characters each (varied words, a tenth of them
two-byte letters), rendered as the API renders them, then reads the first page (limit 100)
through the service as `GET /api/v1/comments` does: request count, read units (DynamoDB Local's
own ConsumedCapacity) and the JSON body's bytes. "Without" sets the bound above any page.
"""

from __future__ import annotations

import random
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.api.schemas import CommentOut, ThreadOut, ThreadPageOut
from backend.domain import service
from backend.domain.ids import new_ulid
from backend.domain.models import Comment, NewComment, Status
from backend.domain.render import render
from backend.domain.service import CommentService
from backend.domain.tokens import Signer
from backend.settings import Settings, StoreURL
from backend.store.dynamo import reads
from backend.store.dynamo.store import DynamoStore
from bench.cost import Recorder, start_dynamodb

COMMENTS = 100
CHARS = 10_000
WORDS = [
    "the",
    "of",
    "and",
    "page",
    "comment",
    "thread",
    "reader",
    "Ukraine",
    "Syria",
    "sleeps",
    "über",
    "naïve",
    "déjà-vu",
]


def long_text(rng: random.Random) -> str:
    out: list[str] = []
    size = 0
    while size < CHARS - 20:
        word = rng.choice(WORDS) if rng.random() > 0.1 else "žluťoučký"
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[: CHARS - 1]


def seed(store: DynamoStore) -> None:
    rng = random.Random(11)
    at = 1_767_225_600.0
    for n in range(COMMENTS):
        text = long_text(rng)
        comment = Comment(
            site="blog", uri="/long/", id=new_ulid(at + n), parent=None, author=f"Reader {n}",
            email=f"r{n}@example.com", website=None, text=text, html=render(text),
            status=Status.APPROVED, created=datetime.fromtimestamp(at + n, UTC), ip_hash="ip",
            avatar="av",
        )  # fmt: skip
        store.create_comment(NewComment(comment, "Long", f"key-{n:04d}", int(at) + 86400))


def page_view(svc: CommentService, recorder: Recorder) -> dict[str, Any]:
    recorder.take()
    page = svc.read("blog", "/long/", None, 100)
    out = ThreadPageOut(
        thread=ThreadOut.of("/long/", page.thread),
        comments=[CommentOut.of(c, number) for number, c in page.comments],
        next=page.next_cursor,
    )
    body = out.__pydantic_serializer__.to_json(out)
    calls = recorder.take()
    return {
        "comments": len(page.comments),
        "requests": len(calls),
        "read_units": sum(c.units for c in calls),
        "body_kb": len(body) / 1024,
    }


def main() -> None:
    with ExitStack() as stack:
        endpoint, where = start_dynamodb(stack)
        url = StoreURL("dynamodb", table="page-bytes", region="us-east-1", endpoint=endpoint)
        store = DynamoStore.from_url(url)
        store.setup()
        recorder = Recorder(store.client)
        seed(store)
        settings = Settings.from_env(
            {"PARLEY_STORE": f"dynamodb://page-bytes?region=us-east-1&endpoint={endpoint}",
             "PARLEY_SECRET_KEYS": "bench-secret-key-0123456789",
             "PARLEY_SITES": '{"blog": {"origins": ["https://blog.test"]}}'}
        )  # fmt: skip
        svc = CommentService(settings, store, Signer(settings.secret_keys))
        bounded = page_view(svc, recorder)
        chars = service.PAGE_CHARS
        reads.PAGE_CHARS = service.PAGE_CHARS = 10**9  # type: ignore[misc]
        unbounded = page_view(svc, recorder)
    print(f"# page of {COMMENTS} comments x {CHARS:,} characters, {where}")
    print("| | comments on the page | requests | read units | JSON body |")
    print("|---|---|---|---|---|")
    bound = f"with PAGE_CHARS ({chars // 1024} Ki of html)"
    for name, r in ((bound, bounded), ("without", unbounded)):
        print(
            f"| {name} | {r['comments']} | {r['requests']} | {r['read_units']:.1f} "
            f"| {r['body_kb']:,.0f} KiB |"
        )


if __name__ == "__main__":
    main()
