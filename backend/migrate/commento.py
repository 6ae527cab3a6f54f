"""Commento's JSON export: `comments` (with `parentHex`, "root" at top level) and `commenters`.

Anonymous commenters are in no `commenters` entry (their `commenterHex` is "anonymous" or
unknown): they are imported as "Anonymous", never dropped. `state` approved, unapproved
(pending) or flagged (spam); `deleted` marks a deleted comment. The export is one JSON
document, small in practice (one site's comments): it is read whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from backend.domain.models import Status
from backend.migrate.fields import utc
from backend.migrate.limits import DEFAULT, Limits
from backend.migrate.records import (
    Checked,
    Markup,
    Record,
    Skipped,
    SourceComment,
    SourceError,
    SourceThread,
)
from backend.migrate.xmlstream import open_bytes

STATES = {"approved": Status.APPROVED, "unapproved": Status.PENDING, "flagged": Status.SPAM}


class Reader:
    def __init__(self, path: Path, limits: Limits = DEFAULT) -> None:
        self.path = path
        self.limits = limits

    def _load(self) -> dict[str, Any]:
        with open_bytes(self.path) as raw:
            try:
                data = json.load(raw)
            except ValueError as exc:
                line = getattr(exc, "lineno", None)
                raise SourceError(f"not JSON ({exc.args[0]})", line=line) from None
        if not isinstance(data, dict) or not isinstance(data.get("comments"), list):
            raise SourceError("not a Commento export (no comments list)")
        return data

    def check(self) -> Checked:
        comments = sum(isinstance(r, (SourceComment, Skipped)) for r in self.records())
        return Checked([], comments)

    def records(self) -> Iterator[Record]:
        data = self._load()
        people = {
            str(c.get("commenterHex")): c
            for c in data.get("commenters") or []
            if isinstance(c, dict)
        }
        seen: set[str] = set()
        for value in data["comments"]:
            if not isinstance(value, dict):
                continue
            page = f"{value.get('path') or '/'}"
            if page not in seen:
                seen.add(page)
                yield SourceThread(key=page, url=page)
            try:
                record = _comment(value, page, people)
            except (TypeError, ValueError) as exc:
                key = value.get("commentHex")
                raise SourceError(
                    f"comment {key!r} has a value Commento never writes ({exc})"
                ) from None
            yield record


def _comment(value: dict[str, Any], page: str, people: dict[str, dict[str, Any]]) -> Record:
    key = str(value.get("commentHex") or "")
    created = utc(str(value.get("creationDate") or ""))
    state = STATES.get(str(value.get("state") or "approved"))
    if not key:
        return Skipped("?", "without a commentHex")
    if created is None:
        return Skipped(key, "without a date")
    if state is None:
        return Skipped(key, f"with state {value.get('state')!r}")
    person = people.get(str(value.get("commenterHex")), {})
    parent = str(value.get("parentHex") or "root")
    markdown = value.get("markdown")
    return SourceComment(
        key=key,
        thread=page,
        parent=None if parent == "root" else parent,
        author=str(person.get("name") or "Anonymous"),
        email=str(person.get("email") or ""),
        website=str(person.get("link") or "") or None,
        body=str(markdown if markdown is not None else value.get("html") or ""),
        markup=Markup.MARKDOWN if markdown is not None else Markup.HTML,
        status=Status.DELETED if value.get("deleted") else state,
        created=created,
        likes=max(0, int(value.get("score") or 0)),
    )
