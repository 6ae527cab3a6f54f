"""The stores every contract and API test runs against.

Each factory makes a fresh, empty, set-up store in `tmp` and yields it. Add a store here and
the whole store contract suite and API suite run against it too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from backend.settings import StoreURL
from backend.store.base import Store
from backend.store.sqlite import SQLiteStore

StoreFactory = Callable[[Path], AbstractContextManager[tuple[Store, StoreURL]]]


@contextmanager
def sqlite_store(tmp: Path) -> Iterator[tuple[Store, StoreURL]]:
    path = tmp / "parley.db"
    store = SQLiteStore(path)
    store.setup()
    try:
        yield store, StoreURL("sqlite", path=str(path))
    finally:
        store.close()


STORES: dict[str, StoreFactory] = {"sqlite": sqlite_store}
