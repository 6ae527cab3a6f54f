"""The owner's desk in the SQLite store: a pinned comment per thread, and blocks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from backend.domain.models import Block, Comment, Thread
from backend.store.sqlite.connection import Database
from backend.store.sqlite.rows import dt, ms, to_thread


class Desk(Database):
    """Part of SQLiteStore."""

    def set_pinned(
        self, site: str, uri: str, comment_id: str, number: int, now: datetime
    ) -> Thread:
        with self._write() as conn:
            row = conn.execute(
                "INSERT INTO threads (site, uri, title, count, locked, created, stamp, pinned, "
                "pinned_number) VALUES (?, ?, '', 0, 0, ?, 1, ?, ?) ON CONFLICT (site, uri) "
                "DO UPDATE SET pinned = excluded.pinned, pinned_number = excluded.pinned_number, "
                "stamp = stamp + 1 RETURNING *",
                (site, uri, ms(now), comment_id, number),
            ).fetchone()
        return to_thread(row)

    def public_comment(self, site: str, uri: str, comment_id: str) -> Comment | None:
        return self.get_comment(site, uri, comment_id)  # type: ignore[attr-defined,no-any-return]

    def add_block(self, block: Block) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO blocks (site, key, label, created) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (site, key) DO NOTHING",
                (block.site, block.key, block.label, ms(block.created)),
            )

    def remove_block(self, site: str, key: str) -> bool:
        with self._write() as conn:
            gone = conn.execute("DELETE FROM blocks WHERE site = ? AND key = ?", (site, key))
            return gone.rowcount == 1

    def blocks(self, site: str) -> list[Block]:
        rows = self._conn().execute(
            "SELECT * FROM blocks WHERE site = ? ORDER BY created DESC, key", (site,)
        )
        return [Block(r["site"], r["key"], r["label"], dt(r["created"])) for r in rows]

    def blocked(self, site: str, keys: Sequence[str]) -> bool:
        if not keys:
            return False
        marks = ",".join("?" * len(keys))
        row = self._one(
            f"SELECT 1 FROM blocks WHERE site = ? AND key IN ({marks}) LIMIT 1", (site, *keys)
        )
        return row is not None
