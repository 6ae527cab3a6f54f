"""Counters on hot items, moved outside transactions, and their repair.

A viral thread's item, a popular comment's item: if every post or like wrote them inside a
TransactWriteItems, concurrent transactions on the one item would cancel each other
(TransactionConflict) and readers would get 503s. So a write that moves a counter does it in
three steps, none a transaction on a hot item:

1. its own new item, written with a marker: the comment (`tally`, in the post's transaction
   with its idempotency key) or the like item (`tally`; `untally` when taking a like back);
2. the counters, each one `ADD` (thread count, parent replies, likes): single-item writes,
   which DynamoDB serializes on the item without conflict;
3. the marker removed.

A writer that dies between 1 and 3 (a Lambda timeout, a throttled ADD answered with a 503)
leaves its marker behind, and the counters may or may not include it: an ADD is not
idempotent, so it is never re-applied. `repair` recounts instead: it reads the thread's
partition (the thread, then its comments, then their likes: each counter before what it
counts), and when no marker is fresh (younger than STALE_MS: every writer of a fresh marker may
still be running) sets every counter to the exact count, conditioned on the counter item's
version (`v`, moved by every ADD) as read, so a counter move that landed meanwhile makes it
read again, even one undone by another (the value alone would not show it). A stale `untally`
like is deleted (its writer meant to). Counts are exact once writes settle; nothing is applied
twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from backend.domain import errors
from backend.domain.models import Status
from backend.store.base import turn
from backend.store.dynamo import items as it
from backend.store.dynamo import updates as w
from backend.store.dynamo.client import ConditionFailed, translate
from backend.store.dynamo.table import Table

if TYPE_CHECKING:
    from backend.store.reports import Repairs

STALE_MS = 5 * 60 * 1000  # longer than any request lives (the function's timeout is seconds)
REPAIR_ATTEMPTS = 3
MARKS_PAGE = 100  # keys per Query of the marks index
MARKS_PAGES = 4  # pages per shard and run at most: a run's reads stay bounded

log = logging.getLogger("parley.repair")


def now_ms() -> int:
    return int(time.time() * 1000)


class Counters(Table):
    def _update(self, params: dict[str, Any], *, returns: str = "NONE") -> it.Item:
        with translate("UpdateItem"):
            out = self._client.update_item(**params, ReturnValues=returns)  # type: ignore[arg-type]
        attributes: it.Item = out.get("Attributes", {})
        return attributes

    def _add(self, key: it.Item, name: str, delta: int) -> None:
        """Move one counter; an item erased meanwhile has nothing left to count."""
        with suppress(ConditionFailed):
            self._update(w.count_add(self.table, key, name, delta))

    def _unmark(self, key: it.Item, marker: str, stamp: int) -> None:
        try:
            self._update(w.marker_clear(self.table, key, marker, stamp))
        except ConditionFailed:  # the index's keys are another marker's, or repaired meanwhile
            with suppress(ConditionFailed):  # repaired meanwhile: nothing left to clear
                self._update(w.marker_clear(self.table, key, marker, stamp, indexed=False))

    def _move_counts(
        self,
        site: str,
        uri: str,
        parent: str | None,
        delta: int,
        created: int,
        title: str = "",
        *,
        inbound: bool = False,
    ) -> None:
        """Step 2 for a comment: the parent's replies, then the thread's count (the thread is made
        when missing; a comment from the open web moves its `inbound` share in the same write),
        whose version moves last: a read that sees it sees both."""
        shared = delta if inbound else 0
        if parent is not None and delta:
            self._add(it.comment_key(site, uri, parent), "replies", delta)
        self._update(w.thread_add(self.table, site, uri, created, delta, title, inbound=shared))

    # -- repair ---------------------------------------------------------------------------------

    # 1 Query per shard of the marks index (gsi2: keys only, eventually consistent), only marks
    # older than STALE_MS, oldest first; normally none (0.5 RCU each). Then `repair` per thread.
    # Never a Scan: the scheduled worker runs this every few minutes.
    def repair_marked(
        self,
        site: str,
        *,
        limit: int,
        now: int | None = None,
        out_of_time: Callable[[], bool] | None = None,
    ) -> Repairs:
        """Repair up to `limit` threads that hold a stale marker (docs/dynamodb.md). A thread
        whose repair fails (it keeps moving, or DynamoDB throttles) is `busy`, never the end of
        the run; none is started once `out_of_time()`. Shards are read from `turn(now)` on, so
        a shard full of busy threads cannot keep the others waiting run after run."""
        from backend.store.reports import Repairs  # the scheduled worker's, not a page view's

        now = now_ms() if now is None else now
        uris, more = self._stale_threads(site, now - STALE_MS, limit, turn(now))
        repaired: list[str] = []
        busy: list[str] = []
        for uri in uris:
            if out_of_time is not None and out_of_time():
                return Repairs(tuple(repaired), tuple(busy), True)
            try:
                (repaired if self.repair(site, uri, now, out_of_time) else busy).append(uri)
            except errors.StoreUnavailable:  # left for the next run, as a busy one
                log.warning("repair of %s %s failed; the next run retries", site, uri)
                busy.append(uri)
        return Repairs(tuple(repaired), tuple(busy), more)

    def _stale_threads(
        self, site: str, before: int, limit: int, first: int = 0
    ) -> tuple[list[str], bool]:
        """The uris of threads holding a marker set before `before` (ms), oldest marker first
        per shard, shards from `first` on (round), at most `limit`; and whether more may wait."""
        prefix = it.thread_pk(site, "")
        uris: dict[str, None] = {}
        more = False
        for n in range(it.MARK_SHARDS):
            shard = (first + n) % it.MARK_SHARDS
            params: dict[str, Any] = {
                "IndexName": it.MARKS_INDEX,
                "KeyConditionExpression": "gsi2pk = :pk AND gsi2sk < :before",
                "ExpressionAttributeValues": {
                    ":pk": it.s(it.mark_pk(site, shard)),
                    ":before": it.n(before),
                },
                "ProjectionExpression": "pk",
                "Limit": MARKS_PAGE,
            }
            last = None
            for _ in range(MARKS_PAGES):
                with translate("Query"):
                    out = self._client.query(TableName=self.table, **params)
                for item in out.get("Items", []):
                    uris.setdefault(item["pk"]["S"][len(prefix) :])
                last = out.get("LastEvaluatedKey")
                if last is None or len(uris) >= limit:
                    break
                params["ExclusiveStartKey"] = last
            more = more or last is not None  # this shard holds more than was read
            if len(uris) >= limit:
                more = more or n < it.MARK_SHARDS - 1  # the other shards were not read
                break
        found = list(uris)
        return found[:limit], more or len(found) > limit

    # 1+ Query over the thread's partition (consistent), then 1 UpdateItem per counter that is
    # off and per stale marker. Never on a reader's path: `parley repair`, or after a crash.
    def repair(
        self,
        site: str,
        uri: str,
        now: int | None = None,
        out_of_time: Callable[[], bool] | None = None,
    ) -> bool:
        """Make the thread's counters exact. False when a marker is fresh (writes in flight:
        try again later); True when the counters are exact. Stale marks are cleared until
        `out_of_time()` (a viral comment's throttling storm can leave thousands; those left
        bring the thread back to the next run). `now` (ms) is for tests."""
        for _ in range(REPAIR_ATTEMPTS):
            try:
                return self._repair_once(site, uri, now_ms() if now is None else now, out_of_time)
            except ConditionFailed:
                continue  # a counter moved while we counted: count again
        raise errors.StoreUnavailable(retry_after=5)

    def _repair_once(
        self, site: str, uri: str, now: int, out_of_time: Callable[[], bool] | None
    ) -> bool:
        # The thread, its comments, their likes, in that order; never the private parts.
        counted = self._thread_range(site, uri, it.THREAD_SK)
        counted["ExpressionAttributeValues"][":hi"] = it.s(it.LIKES_END)
        items = self._query({**counted, "ConsistentRead": True}, None)
        marks = [it.num(i, m) for i in items for m in (w.TALLY, w.UNTALLY) if m in i]
        if any(now - mark < STALE_MS for mark in marks):
            return False
        thread = next((i for i in items if it.is_thread(i)), None)
        comments = {i["id"]["S"]: i for i in items if i["sk"]["S"].startswith(it.comment_sk(""))}
        likes = [i for i in items if i["sk"]["S"].startswith("L#")]
        approved = {cid for cid, i in comments.items() if i["status"]["S"] == Status.APPROVED.value}
        inbound = sum(1 for cid in approved if "origin" in comments[cid])
        replies = dict.fromkeys(comments, 0)
        for cid in approved:
            parent = comments[cid].get("parent", {}).get("S")
            if parent in replies:
                replies[parent] += 1
        liked = dict.fromkeys(comments, 0)
        for like in likes:
            cid = like["sk"]["S"].split("#")[1]
            if w.UNTALLY not in like and cid in liked:
                liked[cid] += 1
        wrote = False
        if thread is not None:
            wrote = self._set_exact(thread, {"count": len(approved), it.INBOUND: inbound})
        elif comments:  # its first post was cut short before the thread was made
            first = min(it.num(i, "created") for i in comments.values())
            made = w.thread_add(self.table, site, uri, first, len(approved), inbound=inbound)
            self._update({**made, "ConditionExpression": "attribute_not_exists(pk)"})
        for cid, item in comments.items():
            wrote = self._set_exact(item, {"replies": replies[cid], "likes": liked[cid]}) or wrote
        if wrote:  # a page view shows the counters set
            self._touch(site, uri)
        for item in [i for i in [*comments.values(), *likes] if w.TALLY in i or w.UNTALLY in i]:
            if out_of_time is not None and out_of_time():
                break  # the counters are exact; the marks left bring the thread back next run
            key = {"pk": item["pk"], "sk": item["sk"]}
            if w.UNTALLY in item:  # its writer meant to take the like back: do it
                with translate("DeleteItem"), suppress(ConditionFailed):  # (gone meanwhile)
                    self._client.delete_item(  # that like, never one made again since
                        TableName=self.table,
                        Key=key,
                        ConditionExpression="#u = :read",
                        ExpressionAttributeNames={"#u": w.UNTALLY},
                        ExpressionAttributeValues={":read": item[w.UNTALLY]},
                    )
            elif w.TALLY in item:
                self._unmark(key, w.TALLY, it.num(item, w.TALLY))
        return True

    def _set_exact(self, item: it.Item, counts: dict[str, int]) -> bool:
        """SET the item's counters that are off to their exact `counts`, in one UpdateItem, only
        if no counter of the item moved since it was read (its version `v` is as read, or still
        absent), else ConditionFailed: count again. True when it wrote."""
        off = {name: value for name, value in counts.items() if it.num(item, name) != value}
        if not off:
            return False
        read = item.get(w.VERSION)
        condition = "#v = :read" if read is not None else "attribute_not_exists(#v)"
        sets = [f"#{name} = :{name}" for name in off]
        self._update(
            {
                "TableName": self.table,
                "Key": {"pk": item["pk"], "sk": item["sk"]},
                "UpdateExpression": "SET " + ", ".join(sets),
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#v": w.VERSION, **w.names(*off)},
                "ExpressionAttributeValues": {
                    **{f":{name}": it.n(value) for name, value in off.items()},
                    **({":read": read} if read is not None else {}),
                },
            }
        )
        return True
