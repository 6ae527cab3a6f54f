"""The DynamoDB store's status moves: moderation, a reader deleting their comment, erasure.

Each move is conditioned on the status it read, so two moderators acting at once cannot drift
a counter: the loser reads the new state and moves from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from backend.domain import errors
from backend.domain.models import Comment, OutboxEvent, Status
from backend.store.dynamo import items as it
from backend.store.dynamo import updates as w
from backend.store.dynamo.client import Cancelled, ConditionFailed
from backend.store.dynamo.counters import Counters, now_ms
from backend.store.dynamo.outbox import event_puts
from backend.store.dynamo.search import Search, index_keys

STATUS_ATTEMPTS = 3  # re-reads when a comment's status changed under a moderation action

_NAMES = w.NAMES


class Moderation(Counters, Search):
    # 1 BatchGetItem (the comment and its private part) + 1 UpdateItem when no count moves
    # (+ 1 UpdateItem: the thread's read version), else + 1 TransactWriteItems (the comment,
    # marked, and the author's tally; an UpdateItem without an email) [+1 UpdateItem (the
    # parent's replies)] + 1 UpdateItem (the thread's count) + 1 UpdateItem (the mark).
    # `scrub` adds the private part's text, emptied, to the transaction (one even when no count
    # moves; then the thread's read version moves too), after a BatchWriteItem deleting its
    # words' search postings.
    def set_status(
        self,
        site: str,
        uri: str,
        comment_id: str,
        status: Status,
        *,
        scrub: bool = False,
        events: Sequence[OutboxEvent] = (),
    ) -> Comment:
        for _ in range(STATUS_ATTEMPTS):
            old = self.get_comment(site, uri, comment_id)
            if old is None:
                raise errors.CommentNotFound()
            try:
                return self._move_status(old, status, scrub, events)
            except (ConditionFailed, Cancelled):
                continue  # moderated concurrently: read the new state and move from there
        raise errors.StoreUnavailable(retry_after=1)

    def _move_status(
        self, old: Comment, status: Status, scrub: bool, events: Sequence[OutboxEvent] = ()
    ) -> Comment:
        delta = int(status is Status.APPROVED) - int(old.status is Status.APPROVED)
        update = "SET #status = :new, gsi1pk = :g"
        names = dict(_NAMES)
        if scrub:  # a reader deleting their comment: keep the tombstone, drop the words
            update += ", #html = :empty"
            names["#html"] = "html"
        comment: dict[str, Any] = {
            "TableName": self.table,
            "Key": it.comment_key(old.site, old.uri, old.id),
            "UpdateExpression": update,
            # Conditioned on the status we read, so a concurrent change cannot drift counters.
            "ConditionExpression": "#status = :old",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {
                ":new": it.s(status.value),
                ":old": it.s(old.status.value),
                ":g": it.s(it.status_pk(old.site, status)),
                **({":empty": it.s("")} if scrub else {}),
            },
        }
        if not delta and not events and not scrub:
            new = it.to_comment(self._update(comment, returns="ALL_NEW"))
            self._touch(old.site, old.uri)
            return new.evolve(email=old.email, text=old.text, ip_hash=old.ip_hash)
        # The counts move as a post's do (counters.py): the comment marked, with the outbox's
        # events and the author's tally (not hot items) in one transaction when there are any;
        # then the thread's count and the parent's replies, each one ADD outside it; then the
        # mark removed.
        stamp = now_ms()
        if delta:
            comment["UpdateExpression"] += ", " + w.MARK_SET
            # Never over another move's marker: its counts may not have moved yet, and the
            # marker is the only trigger of their repair.
            comment["ConditionExpression"] += " AND attribute_not_exists(#m)"
            comment["ExpressionAttributeNames"]["#m"] = w.TALLY
            comment["ExpressionAttributeValues"].update(w.mark_values(old.site, old.uri, stamp))
        items: list[dict[str, Any]] = [{"Update": comment}, *event_puts(self.table, events)]
        if scrub:  # the source goes with the html, in the same transaction
            self._drop_stale(old, old, text=False)  # its words' postings first (search.py)
            items.append(w.private_set(self.table, old.site, old.uri, old.id, text=""))
        if old.email and delta:
            items.append(w.author_update(self.table, old.site, old.email, delta))
        try:
            if len(items) > 1:
                self._transact(items)
            else:
                self._update(comment)
        except (ConditionFailed, Cancelled):
            self._refuse_if_marked(comment["Key"])
            raise  # moved concurrently: the caller reads again
        if delta:
            self._move_counts(
                old.site,
                old.uri,
                old.parent,
                delta,
                it.ms(old.created),
                inbound=old.origin is not None,
            )
            self._unmark(it.comment_key(old.site, old.uri, old.id), w.TALLY, stamp)
        else:
            self._touch(old.site, old.uri)
        return old.evolve(status=status, **({"text": "", "html": ""} if scrub else {}))

    # 1 BatchGetItem + 1 BatchWriteItem per 25 search postings + 1 Query (the comment's likes)
    # + 1 TransactWriteItems: the comment deleted (or emptied into a tombstone when it has
    # replies), its private part and its likes; + 1 UpdateItem (the thread's read version). An
    # approved comment is first moved to deleted (set_status's requests), which takes back the
    # counts it held.
    def erase(self, site: str, uri: str, comment_id: str) -> None:
        for _ in range(STATUS_ATTEMPTS):
            old = self.get_comment(site, uri, comment_id)
            if old is None:
                raise errors.CommentNotFound()
            try:
                if old.status is Status.APPROVED:  # un-count it first, as a deletion does
                    self._move_status(old, Status.DELETED, scrub=False)
                    continue
                self._erase(old)
                return
            except (ConditionFailed, Cancelled):
                continue  # changed under us (a reply, a moderation): read again
        raise errors.StoreUnavailable(retry_after=1)

    def _erase(self, old: Comment) -> None:
        # Never approved here: it counts nothing. The private part goes whatever remains.
        # Its search postings go first (search.py): an erased comment leaves none, and a crash
        # in between leaves a comment search does not find, which the erase's retry removes.
        self._unindex(old, index_keys(old))
        items = [w.erase_comment(self.table, old), w.erase_private(self.table, old)]
        likes: list[it.Item] = []
        if not old.replies:  # removed for good, so are its likes (voter hashes)
            likes = self._query(
                {
                    "KeyConditionExpression": "pk = :pk AND begins_with(sk, :likes)",
                    "ExpressionAttributeValues": {
                        ":pk": it.s(it.thread_pk(old.site, old.uri)),
                        ":likes": it.s(it.like_prefix(old.id)),
                    },
                    "ProjectionExpression": "pk, sk",
                },
                None,
            )
        deletes = [{"Delete": {"TableName": self.table, "Key": key}} for key in likes]
        # A transaction holds 100 items: likes beyond that go first, in their own.
        while len(deletes) > w.MAX_TRANSACTION - len(items):
            self._transact(deletes[: w.MAX_TRANSACTION])
            deletes = deletes[w.MAX_TRANSACTION :]
        try:
            self._transact(items + deletes)
        except Cancelled:
            # Deleting it while marked would drop the trigger of its counts' repair.
            self._refuse_if_marked(it.comment_key(old.site, old.uri, old.id))
            raise  # changed under us: `erase` reads again
        self._touch(old.site, old.uri)

    def _refuse_if_marked(self, key: it.Item) -> None:
        """503 when the comment still carries a status move's marker (1 consistent GetItem):
        that move's counts are unsettled, in flight or left for the repair (STALE_MS + a run)."""
        comment = self._get(key, consistent=True)
        if comment is not None and w.TALLY in comment:
            raise errors.StoreUnavailable(retry_after=w.MARKED_RETRY_S)
