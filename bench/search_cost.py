"""What the owner's search costs on DynamoDB, in requests and read units, on a site of 10,000
comments; and what its index costs a post in write units.

    .venv/bin/python bench/search_cost.py [--comments 10000] [--threads 100]

AWS's DynamoDB Local (in memory on 127.0.0.1, scripts/dynamodb_local.py); every request asks
for `ReturnConsumedCapacity: INDEXES` and the units DynamoDB Local reports are summed. The site
is seeded through the import path (`put_many`: comments, private parts, search postings) with
bench/corpus.jsonl's comments in turn (34 authors, a median of 40 distinct words a comment),
spread over `--threads` pages. Each search asks for a first page of 20 (as the admin page
does), then one more page where there is one. Beside it: what finding the same comments costs
without the index, walking the four status queues as a privacy export does (the cost of a
search per keystroke without an index).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.domain.ids import new_ulid
from backend.domain.models import Comment, NewComment, Status, Thread
from backend.domain.search import SearchQuery
from backend.settings import StoreURL
from backend.store.dynamo import DynamoStore
from bench.repair_cost import Units
from scripts.dynamodb_local import DynamoDBLocal

SITE = "blog"
CORPUS = Path(__file__).resolve().parent / "corpus.jsonl"
T0 = 1_767_225_600.0  # 2026-01-01


def corpus_comments(count: int, threads: int) -> list[Comment]:
    rows = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]
    out = []
    for n in range(count):
        row = rows[n % len(rows)]
        at = T0 + n * 60
        out.append(
            Comment(
                site=SITE, uri=f"/post/{n % threads}/", id=new_ulid(at), parent=None,
                author=row["author"], email=row["email"], website=None, text=row["text"],
                html=f"<p>{row['text']}</p>", status=Status.APPROVED,
                created=datetime.fromtimestamp(at, UTC),
            )
        )  # fmt: skip
    return out


def seed(store: DynamoStore, comments: list[Comment], threads: int) -> None:
    made = datetime.fromtimestamp(T0, UTC)
    store.put_many(
        [
            Thread(site=SITE, uri=f"/post/{t}/", title="", count=0, locked=False, created=made)
            for t in range(threads)
        ],
        [],
    )
    for start in range(0, len(comments), 1000):
        store.put_many([], comments[start : start + 1000])


def measure(store: DynamoStore, units: Units, label: str, query: SearchQuery) -> dict[str, Any]:
    units.take()
    first = store.search(SITE, query, after=None, limit=20)
    one = units.take()
    row: dict[str, Any] = {
        "search": label,
        "found": len(first.comments),
        "requests": one["requests"],
        "read_units": round(sum(one["units"].values()), 1),
    }
    if first.next_after is not None:
        store.search(SITE, query, after=first.next_after, limit=20)
        two = units.take()
        row["next_page_read_units"] = round(sum(two["units"].values()), 1)
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--comments", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=100)
    args = ap.parse_args()
    comments = corpus_comments(args.comments, args.threads)
    with ExitStack() as stack:
        local = stack.enter_context(DynamoDBLocal())
        url = StoreURL.parse(f"dynamodb://search-bench?region=us-east-1&endpoint={local.endpoint}")
        store = DynamoStore.from_url(url)
        store.init_table()
        started = time.monotonic()
        seed(store, comments, args.threads)
        seeded_s = time.monotonic() - started
        units = Units(store.client)

        # One post through the reader's path: what its postings add.
        at = time.time()
        sample = comments[0]
        post = sample.evolve(id=new_ulid(at), created=datetime.fromtimestamp(at, UTC))
        units.take()
        new = NewComment(post, "", "bench-post", int(at) + 86400)
        by_op: dict[str, float] = {}

        def per_op(parsed: dict[str, Any], model: Any, **_: Any) -> None:
            consumed = parsed.get("ConsumedCapacity") or []
            for c in [consumed] if isinstance(consumed, dict) else consumed:
                by_op[model.name] = by_op.get(model.name, 0) + float(c.get("CapacityUnits", 0))

        store.client.meta.events.register("after-call.dynamodb.*", per_op)
        store.create_comment(new)
        store.client.meta.events.unregister("after-call.dynamodb.*", per_op)
        posted = units.take()

        a = comments[0]
        rows = [
            measure(store, units, "email (exact)", SearchQuery(email=a.email)),
            measure(store, units, "author", SearchQuery(author=a.author)),
            measure(store, units, "page (uri)", SearchQuery(uri="/post/7/")),
            measure(store, units, "one common word: 'the'", SearchQuery(text="the")),
            measure(store, units, "one rarer word: 'garden'", SearchQuery(text="garden")),
            measure(store, units, "two words: 'garden server'", SearchQuery(text="garden server")),
            measure(store, units, "word + author", SearchQuery(text="the", author=a.author)),
            measure(store, units, "a word no comment has", SearchQuery(text="zyzzyva")),
        ]

        # Without the index: the four status queues walked (a privacy export's walk).
        units.take()
        read = 0
        for status in Status:
            after = None
            while True:
                page = store.queue(SITE, status, after=after, limit=100)
                read += len(page.comments)
                if page.next_after is None:
                    break
                after = page.next_after
        walk = units.take()
        store.close()
    out = {
        "comments": args.comments,
        "threads": args.threads,
        "seed_seconds": round(seeded_s, 1),
        "post": {
            "requests": posted["requests"],
            "units": {k: round(v, 1) for k, v in posted["units"].items()},
            "units_by_request": by_op,
        },
        "searches": rows,
        "queue_walk_without_index": {
            "comments_read": read,
            "requests": walk["requests"],
            "read_units": round(sum(walk["units"].values()), 1),
        },
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
