"""The SQLite store's side of the owner's search (backend/domain/search.py): the site's
comments newest first, narrowed in SQL by what SQL can say exactly (status, page, email),
checked against the whole query here, at most `CANDIDATES` rows a request."""

from __future__ import annotations

from typing import Any

from backend.domain.models import QueuePage
from backend.domain.search import CANDIDATES, SearchQuery, email_address, take
from backend.store.sqlite.connection import Database
from backend.store.sqlite.rows import COLUMNS, to_comment

_SEP = "\n"  # a position is "{id}\n{uri}": ids repeat across threads after an import


class Search(Database):
    def search(self, site: str, query: SearchQuery, *, after: str | None, limit: int) -> QueuePage:
        where = ["site = ?"]
        args: list[Any] = [site]
        if query.status is not None:
            where.append("status = ?")
            args.append(query.status.value)
        if query.uri:
            where.append("uri = ?")
            args.append(query.uri)
        if query.email.strip():
            where.append("lower(trim(email)) = ?")
            args.append(email_address(query.email))
        if after is not None:
            last_id, _, last_uri = after.partition(_SEP)
            where.append("(id, uri) < (?, ?)")
            args += [last_id, last_uri]
        rows = (
            self._conn()
            .execute(
                f"SELECT {COLUMNS} FROM comments WHERE {' AND '.join(where)} "
                "ORDER BY id DESC, uri DESC LIMIT ?",
                (*args, CANDIDATES),
            )
            .fetchall()
        )
        comments = [to_comment(r) for r in rows]
        candidates = [(c.id + _SEP + c.uri, c) for c in comments]
        return take(query, candidates, len(rows) == CANDIDATES, limit)
