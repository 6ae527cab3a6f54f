"""The DynamoDB store's spam filter models: one item per site and name (`F#{site}#{name}`),
replaced by a PutItem conditioned on the version that was read (optimistic concurrency: two
moderators teaching at once never lose each other's lesson; the loser reads and retries).
The model's own code bounds its size well under DynamoDB's 400 KB item limit."""

from __future__ import annotations

from backend.store.dynamo import items as it
from backend.store.dynamo.client import ConditionFailed, translate
from backend.store.dynamo.table import Table


class FilterModels(Table):
    # 1 GetItem (eventually consistent: the caller caches it for a minute anyway).
    def read_model(self, site: str, name: str) -> tuple[bytes, int] | None:
        item = self._get(it.model_key(site, name))
        if item is None:
            return None
        return bytes(item["data"]["B"]), it.num(item, "version")

    # 1 PutItem, conditioned on the version read.
    def write_model(self, site: str, name: str, data: bytes, version: int) -> bool:
        item = {**it.model_key(site, name), "data": {"B": data}, "version": it.n(version + 1)}
        try:
            with translate("PutItem"):
                if version == 0:
                    self._client.put_item(
                        TableName=self.table,
                        Item=item,
                        ConditionExpression="attribute_not_exists(pk)",
                    )
                else:
                    self._client.put_item(
                        TableName=self.table,
                        Item=item,
                        ConditionExpression="#version = :v",
                        ExpressionAttributeNames={"#version": "version"},
                        ExpressionAttributeValues={":v": it.n(version)},
                    )
        except ConditionFailed:
            return False
        return True
