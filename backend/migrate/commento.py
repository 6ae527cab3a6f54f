"""Commento's JSON export: `comments` (with `parentHex`, "root" at top level) and `commenters`.

Anonymous commenters are in no `commenters` entry (their `commenterHex` is "anonymous" or
unknown): they are imported as "Anonymous", never dropped. `state` approved, unapproved
(pending) or flagged (spam); `deleted` marks a deleted comment; `score` is the likes.

The export is one JSON document whose commenters come after its comments: it is read twice,
one record at a time (`jsonstream.py`), the commenters first into a temporary SQLite table on
disk, so memory holds one record whatever the file's size.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from backend.domain.models import Status
from backend.migrate.fields import likes, utc
from backend.migrate.jsonstream import members
from backend.migrate.limits import DEFAULT, Limits
from backend.migrate.records import (
    Checked,
    Markup,
    Record,
    Skipped,
    SourceComment,
    SourceError,
    SourceThread,
    WrongFormat,
)
from backend.migrate.xmlstream import open_bytes

STATES = {"approved": Status.APPROVED, "unapproved": Status.PENDING, "flagged": Status.SPAM}
People = sqlite3.Connection


class Reader:
    def __init__(self, path: Path, limits: Limits = DEFAULT) -> None:
        self.path = path
        self.limits = limits

    def _members(self) -> Iterator[tuple[str, Any]]:
        with open_bytes(self.path) as raw:
            head = raw.read(64).lstrip()
            if not head.startswith(b"{"):
                raise WrongFormat("not a Commento export: looked for a JSON object")
            raw.seek(0)
            yield from members(raw, self.limits.json_bytes, {"comments", "commenters"})

    def _people(self) -> People:
        people = sqlite3.connect("")  # a temporary database, on disk once it grows
        people.execute("CREATE TABLE people (hex TEXT PRIMARY KEY, person TEXT)")
        found = False
        for key, value in self._members():
            found = found or key == "comments"
            if key == "commenters" and isinstance(value, dict):
                # As JSON (ASCII): a lone surrogate reaches the cleaning rule, not SQLite's codec.
                person = json.dumps([str(value.get(k) or "") for k in ("name", "email", "link")])
                hex_ = json.dumps(str(value.get("commenterHex") or ""))
                people.execute("INSERT OR IGNORE INTO people VALUES (?, ?)", (hex_, person))
        if not found:
            raise WrongFormat("not a Commento export: looked for a comments list; saw none")
        return people

    def check(self) -> Checked:
        comments = sum(isinstance(r, (SourceComment, Skipped)) for r in self.records())
        return Checked([], comments, empty="a Commento export without a single comment")

    def records(self) -> Iterator[Record]:
        people = self._people()
        try:
            seen: set[str] = set()
            for key, value in self._members():
                if key != "comments" or not isinstance(value, dict):
                    continue
                page = f"{value.get('path') or '/'}"
                if page not in seen:
                    seen.add(page)
                    yield SourceThread(key=page, url=page)
                try:
                    record = _comment(value, page, people, self.limits)
                except (TypeError, ValueError) as exc:
                    raise SourceError(
                        f"comment {value.get('commentHex')!r} has a value Commento never "
                        f"writes ({exc})"
                    ) from None
                yield record
        finally:
            people.close()


def _comment(value: dict[str, Any], page: str, people: People, limits: Limits) -> Record:
    key = str(value.get("commentHex") or "")
    created = utc(str(value.get("creationDate") or ""))
    state = STATES.get(str(value.get("state") or "approved"))
    if not key:
        return Skipped("?", "without a commentHex")
    if created is None:
        return Skipped(key, "without a date")
    if state is None:
        return Skipped(key, f"with state {value.get('state')!r}")
    found = people.execute(
        "SELECT person FROM people WHERE hex = ?", (json.dumps(str(value.get("commenterHex"))),)
    ).fetchone()
    person = json.loads(found[0]) if found else ["", "", ""]
    parent = str(value.get("parentHex") or "root")
    markdown = value.get("markdown")
    return SourceComment(
        key=key,
        thread=page,
        parent=None if parent == "root" else parent,
        author=person[0] or "Anonymous",
        email=person[1],
        website=person[2] or None,
        body=str(markdown if markdown is not None else value.get("html") or ""),
        markup=Markup.MARKDOWN if markdown is not None else Markup.HTML,
        status=Status.DELETED if value.get("deleted") else state,
        created=created,
        likes=likes(value.get("score"), limits.likes),
    )
