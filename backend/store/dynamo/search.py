"""The owner's search in the DynamoDB store (backend/domain/search.py; docs/dynamodb.md,
"Search"): an inverted index of posting items, one partition per site and index key.

A posting is `pk = X#{site}#{key}`, `sk = {comment id}#{uri digest}`, with the comment's uri
and id: about 150 bytes, one write unit. Who writes them:

- a post writes one per index key of the comment after its transaction (a crash in between
  leaves a comment search does not find, never a posting without its comment, and the
  reader's retry with the same key writes them: `finish_post`);
- an edit deletes the postings of the words it drops *before* its transaction and puts those
  of new words after it;
- a reader's delete (which empties the text) deletes the word postings before its
  transaction; erasure deletes every posting before its own, so an erased comment leaves none;
- an import writes the postings of the comments it added, after them.

A search is one Query of the probe's partition (newest first, `CANDIDATES` postings at most)
and BatchGetItems (eventually consistent) of the candidates' public and private parts, as
many as it takes to fill the page. Never a Scan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backend.domain import errors
from backend.domain.models import Comment, QueuePage
from backend.store.dynamo import items as it
from backend.store.dynamo.client import backoff, translate
from backend.store.dynamo.table import BATCH_ATTEMPTS, Table

if TYPE_CHECKING:
    from backend.domain.search import SearchQuery

WRITE_BATCH = 25  # BatchWriteItem's limit


def index_keys(comment: Comment, *, text: bool = True) -> list[str]:
    """backend/domain/search.py's, imported on a post's first use: a page view never needs the
    search rules (cold start)."""
    from backend.domain.search import index_keys as keys

    return keys(comment, text=text)


def posting(site: str, key: str, c: Comment) -> it.Item:
    return {**it.posting_key(site, key, c.id, c.uri), "uri": it.s(c.uri), "id": it.s(c.id)}


class Search(Table):
    # 1 BatchWriteItem per 25 index keys (about 4 for a comment of 80 distinct words).
    def _post_index(self, c: Comment, keys: list[str]) -> None:
        self._batch_write([{"PutRequest": {"Item": posting(c.site, k, c)}} for k in keys])

    # 1 BatchWriteItem per 25 index keys.
    def _unindex(self, c: Comment, keys: list[str]) -> None:
        self._batch_write(
            [{"DeleteRequest": {"Key": it.posting_key(c.site, k, c.id, c.uri)}} for k in keys]
        )

    def _reindex(self, old: Comment, new: Comment) -> None:
        """After a write that changed what a comment is found by (deletions went first)."""
        before = set(index_keys(old))
        self._post_index(new, [k for k in index_keys(new) if k not in before])

    def _drop_stale(self, old: Comment, new: Comment, *, text: bool = True) -> None:
        """Before such a write: the postings `new` will no longer have."""
        after = set(index_keys(new, text=text))
        self._unindex(old, [k for k in index_keys(old) if k not in after])

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), WRITE_BATCH):
            pending = requests[start : start + WRITE_BATCH]
            for attempt in range(BATCH_ATTEMPTS):
                with translate("BatchWriteItem"):
                    out = self._client.batch_write_item(
                        RequestItems={self.table: pending}  # type: ignore[dict-item]
                    )
                left: Any = out.get("UnprocessedItems", {}).get(self.table, [])
                pending = list(left)
                if not pending:
                    break
                backoff(attempt, base=0.05)  # DynamoDB throttled part of the batch: slow down
            else:
                raise errors.StoreUnavailable(retry_after=1)

    # 1 Query of the probe's postings (CANDIDATES at most, ~150 bytes each: 2 read units for
    # 100) + 1 BatchGetItem (eventually consistent) of `limit` candidates' two parts, more
    # only while candidates fail the query's other criteria.
    def search(self, site: str, query: SearchQuery, *, after: str | None, limit: int) -> QueuePage:
        from backend.domain.search import CANDIDATES, take

        pk = it.posting_pk(site, query.probe())
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": it.s(pk)},
            "ScanIndexForward": False,
            "Limit": CANDIDATES,
        }
        if after is not None:
            params["ExclusiveStartKey"] = {"pk": it.s(pk), "sk": it.s(after)}
        with translate("Query"):
            out = self._client.query(**params)
        postings: list[it.Item] = out.get("Items", [])
        more = "LastEvaluatedKey" in out
        candidates: list[tuple[str, Comment | None]] = []
        step = max(limit, 10)
        for start in range(0, len(postings), step):
            chunk = postings[start : start + step]
            candidates += self._candidates(site, chunk)
            page = take(query, candidates, True, limit)
            if len(page.comments) == limit:
                rest = more or start + step < len(postings)
                return take(query, candidates, rest, limit)
        return take(query, candidates, more, limit)

    def _candidates(self, site: str, chunk: list[it.Item]) -> list[tuple[str, Comment | None]]:
        keys: list[it.Item] = []
        for p in chunk:
            uri, cid = p["uri"]["S"], p["id"]["S"]
            keys += [it.comment_key(site, uri, cid), it.private_key(site, uri, cid)]
        found = {(c.uri, c.id): c for c in it.joined(self._batch_get(keys))}
        return [(p["sk"]["S"], found.get((p["uri"]["S"], p["id"]["S"]))) for p in chunk]
