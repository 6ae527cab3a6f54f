"""The SQLite store's spam filter models: one row per site and name, replaced only over the
version that was read (see `FilterModels` in store/base.py)."""

from __future__ import annotations

from backend.store.sqlite.connection import Database


class FilterModels(Database):
    def read_model(self, site: str, name: str) -> tuple[bytes, int] | None:
        row = (
            self._conn()
            .execute(
                "SELECT data, version FROM filter_models WHERE site = ? AND name = ?", (site, name)
            )
            .fetchone()
        )
        return None if row is None else (bytes(row["data"]), int(row["version"]))

    def write_model(self, site: str, name: str, data: bytes, version: int) -> bool:
        with self._write() as conn:
            if version == 0:
                changed = conn.execute(
                    "INSERT INTO filter_models (site, name, data, version) VALUES (?, ?, ?, 1) "
                    "ON CONFLICT (site, name) DO NOTHING",
                    (site, name, data),
                ).rowcount
            else:
                changed = conn.execute(
                    "UPDATE filter_models SET data = ?, version = version + 1 "
                    "WHERE site = ? AND name = ? AND version = ?",
                    (data, site, name, version),
                ).rowcount
            return changed == 1
