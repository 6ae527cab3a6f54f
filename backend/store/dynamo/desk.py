"""The owner's desk in the DynamoDB store: a pinned comment per thread (an attribute of the
thread item, so a page view reads it with the thread at no extra cost), and blocks (one item
each in the site's `K#` partition)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from backend.domain.models import Block, Comment, Thread
from backend.store.dynamo import items as it
from backend.store.dynamo.client import ConditionFailed, translate
from backend.store.dynamo.table import Table


class Desk(Table):
    # 1 UpdateItem of the thread item.
    def set_pinned(
        self, site: str, uri: str, comment_id: str, number: int, now: datetime
    ) -> Thread:
        values = {"pinned": it.s(comment_id), "pinned_number": it.n(number)}
        return self._set_thread(site, uri, now, values)

    # 1 GetItem of the public item, eventually consistent: 0.5 read unit per 4 KB.
    def public_comment(self, site: str, uri: str, comment_id: str) -> Comment | None:
        item = self._get(it.comment_key(site, uri, comment_id))
        return None if item is None else it.to_comment(item)

    # 1 PutItem (a block already there is left as it is).
    def add_block(self, block: Block) -> None:
        item = {
            **it.block_key(block.site, block.key),
            "label": it.s(block.label),
            "created": it.n(it.ms(block.created)),
        }
        try:
            with translate("PutItem"):
                self._client.put_item(
                    TableName=self.table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except ConditionFailed:
            pass

    # 1 DeleteItem.
    def remove_block(self, site: str, key: str) -> bool:
        with translate("DeleteItem"):
            out = self._client.delete_item(
                TableName=self.table, Key=it.block_key(site, key), ReturnValues="ALL_OLD"
            )
        return bool(out.get("Attributes"))

    # 1 Query of the site's block partition (1 MB a page; a few thousand blocks a page).
    def blocks(self, site: str) -> list[Block]:
        params = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": it.s(f"K#{site}")},
        }
        found = [
            Block(site, i["sk"]["S"], i["label"]["S"], it.dt(i["created"]))
            for i in self._query(params, None)
        ]
        return sorted(found, key=lambda b: (-b.created.timestamp(), b.key))

    # 1 eventually consistent request, 0.5 read unit a key: a GetItem for a like's one key,
    # a BatchGetItem for a post's two (network, email).
    def blocked(self, site: str, keys: Sequence[str]) -> bool:
        wanted = [it.block_key(site, key) for key in keys]
        if len(wanted) == 1:
            return self._get(wanted[0]) is not None
        return bool(self._batch_get(wanted, ("pk",)))
