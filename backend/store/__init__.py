"""Storage: the `Store` protocol and its implementations, chosen by PARLEY_STORE."""

from __future__ import annotations

from backend.settings import Settings
from backend.store.base import Store


def open_store(settings: Settings) -> Store:
    """Build the configured store. Imports only the backend in use (cold start)."""
    url = settings.store
    if url.scheme == "sqlite":
        from backend.store.sqlite import SQLiteStore

        return SQLiteStore(url.path)
    from backend.store.dynamo import DynamoStore

    store: Store = DynamoStore.from_url(url)
    return store
