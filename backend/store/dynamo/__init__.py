"""The DynamoDB store (for Lambda): `DynamoStore`, a package split by concern (see store.py)."""

from __future__ import annotations

from backend.store.dynamo.store import DynamoStore

__all__ = ["DynamoStore"]
