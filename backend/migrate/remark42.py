"""Remark42's backup: a first JSON line (version, users, posts), then one comment per line.

A comment carries `id`, `pid` (its parent, "" at top level), `text` (HTML) and `orig` (the
Markdown it came from), `user`, `locator` (site and page URL), `score`, `votes` and `time`;
`delete` marks a deleted one. Posts marked `read_only` are locked. Remark42 keeps no emails.
Read line by line: the file is never held whole.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from backend.domain.models import Status
from backend.migrate import fields
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
    WrongFormat,
)
from backend.migrate.xmlstream import open_bytes, read_line


class Reader:
    def __init__(self, path: Path, limits: Limits = DEFAULT) -> None:
        self.path = path
        self.limits = limits

    def _lines(self) -> Iterator[tuple[int, dict[str, Any]]]:
        limit = self.limits.line_bytes
        with open_bytes(self.path) as raw:
            for number in itertools.count(1):
                line, fits = read_line(raw, limit, skip=False)  # refused: no need to read on
                if not fits:
                    raise SourceError(f"a line longer than {limit:,} bytes: refused", line=number)
                if not line:
                    return
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except ValueError as exc:
                    raise SourceError(f"not a JSON line ({exc.args[0]})", line=number) from None
                except RecursionError:
                    raise SourceError(
                        "JSON nested deeper than any export: refused", line=number
                    ) from None
                if not isinstance(value, dict):
                    raise SourceError("a line that is not a JSON object", line=number)
                yield number, value

    def check(self) -> Checked:
        comments = 0
        for number, value in self._lines():
            if number == 1 and "version" not in value:
                raise WrongFormat("not a Remark42 backup: looked for a first line with a version")
            if number > 1:
                _comment(value, number, {}, self.limits)
                comments += 1
        return Checked([], comments)

    def records(self) -> Iterator[Record]:
        locked: dict[str, bool] = {}
        seen: set[str] = set()
        for number, value in self._lines():
            if number == 1:
                for post in value.get("posts") or []:
                    locked[str(post.get("url", ""))] = bool(post.get("read_only"))
                continue
            record = _comment(value, number, locked, self.limits)
            if isinstance(record, SourceComment) and record.thread not in seen:
                seen.add(record.thread)
                yield SourceThread(
                    key=record.thread,
                    url=record.thread,
                    title=str(value.get("title") or ""),
                    locked=locked.get(record.thread, False),
                )
            yield record


def _comment(value: dict[str, Any], number: int, locked: dict[str, bool], limits: Limits) -> Record:
    try:
        return _read(value, number, limits)
    except (TypeError, ValueError, AttributeError) as exc:
        raise SourceError(f"a value Remark42 never writes ({exc})", line=number) from None


def _read(value: dict[str, Any], number: int, limits: Limits) -> Record:
    key = str(value.get("id") or "")
    locator = value.get("locator") or {}
    user = value.get("user") or {}
    url = str(locator.get("url") or "") if isinstance(locator, dict) else ""
    created = utc(str(value.get("time") or ""))
    if not key:
        raise SourceError("a comment without an id", line=number)
    if not url:
        return Skipped(key, "without a page URL")
    if created is None:
        return Skipped(key, "without a date")
    votes = value.get("votes")
    likes = (
        sum(1 for up in votes.values() if up is True)
        if isinstance(votes, dict) and votes
        else fields.likes(value.get("score"), limits.likes)
    )
    orig = value.get("orig")
    edit = value.get("edit") or {}
    return SourceComment(
        key=key,
        thread=url,
        parent=str(value.get("pid") or "") or None,
        author=str(user.get("name") or "") if isinstance(user, dict) else "",
        email="",
        website=None,
        body=str(orig if orig else value.get("text") or ""),
        markup=Markup.MARKDOWN if orig else Markup.HTML,
        status=Status.DELETED if value.get("delete") else Status.APPROVED,
        created=created,
        edited=utc(str(edit.get("time") or "")) if isinstance(edit, dict) else None,
        likes=likes,
    )
