"""AWS Lambda entry point of the notification worker: `backend.notify.lambda_worker.handler`,
the same artifact as the API, a second function in serverless.yml.

Two kinds of invocation:

- DynamoDB Stream batches, filtered by the event source mapping to inserted outbox items
  (`pk` starting with `E#`): each event is delivered at once. A failure to deliver keeps the
  event in the table with a later `due` (the worker's own backoff); a failure of the worker
  itself (the table unreachable) reports the record in `batchItemFailures`, so Lambda retries
  it and, past its retry limit, sends the batch's description to the dead-letter queue. The
  item is still in the table then: the schedule below picks it up. Nothing is lost.
- The schedule (an EventBridge rule, every 5 minutes): the pending purge, then every event
  that came due (retries), leaving events younger than STREAM_GRACE_S to the Stream, then the
  counters' repair (upkeep.py): threads a cut-short write left marked, bounded per site.

Built once per sandbox, at import; no web app, no Mangum.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from backend.environment import resolve_environment
from backend.notify.upkeep import time_left
from backend.notify.worker import Worker, build_worker
from backend.settings import Settings
from backend.store import open_store
from backend.store.dynamo.outbox import is_event, to_event

log = logging.getLogger("parley.notify")

STREAM_GRACE_S = 120.0


def handle(worker: Worker, event: Mapping[str, Any], context: object = None) -> dict[str, Any]:
    records = event.get("Records")
    if records is None:  # the schedule
        worker.purge()
        delivered = worker.drain(older_than_s=STREAM_GRACE_S)
        # The repair stops starting threads near the invocation's timeout (Lambda's context).
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        recounted = worker.repair_counters(None if remaining is None else time_left(remaining))
        return {"delivered": delivered, "recounted": recounted}
    failures: list[dict[str, str]] = []
    for record in records:
        change = record.get("dynamodb", {})
        image = change.get("NewImage")
        if record.get("eventName") != "INSERT" or not image or not is_event(image):
            continue
        try:
            outbox_event = to_event(image)
            if outbox_event.due > worker.clock():
                continue  # a digest's item: the schedule delivers it when it comes due
            worker.process([outbox_event])
        except Exception:
            log.exception("outbox record %s failed", change.get("SequenceNumber"))
            failures.append({"itemIdentifier": str(change.get("SequenceNumber", ""))})
    return {"batchItemFailures": failures}


def build(environ: Mapping[str, str]) -> Worker:
    settings = Settings.from_env(resolve_environment(environ))
    return build_worker(settings, open_store(settings))


_worker: Worker | None = None


def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    global _worker
    if _worker is None:
        _worker = build(os.environ)
    return handle(_worker, event, context)
