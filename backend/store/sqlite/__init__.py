"""The embedded store: one SQLite file in WAL mode, for one machine and for development.

It mirrors the DynamoDB single-table model entity by entity (threads, comments, likes,
idempotency keys, rate buckets). Every write is one `BEGIN IMMEDIATE` transaction, so a post,
its thread's count, its parent's reply count and its idempotency key land together or not at all.
Split by concern as `backend/store/dynamo/` is: see store.py.
"""

from backend.store.sqlite.store import SQLiteStore

__all__ = ["SQLiteStore"]
