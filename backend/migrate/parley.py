"""Parley's own export (JSON Lines, written by `export.py`), read back losslessly.

Ids, statuses, parents, bodies, dates, likes and the hashes are kept exactly; counts are
recomputed by the pipeline. Read line by line: the file is never held whole.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from backend.domain.ids import is_ulid
from backend.domain.models import OWNER, Status
from backend.migrate.export import FORMAT, VERSION
from backend.migrate.fields import likes, utc
from backend.migrate.limits import DEFAULT, Limits
from backend.migrate.records import (
    Checked,
    Markup,
    Record,
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

    def check(self) -> Checked:
        comments = sum(isinstance(r, SourceComment) for r in self.records())
        return Checked([], comments)

    def records(self) -> Iterator[Record]:
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
                    if number == 1:
                        _header(value)
                    else:
                        yield _record(value, self.limits)
                except SourceError as exc:
                    raise SourceError(str(exc), line=number) from None
                except RecursionError:
                    raise SourceError(
                        "JSON nested deeper than any export: refused", line=number
                    ) from None
                except (ValueError, KeyError, TypeError) as exc:
                    raise SourceError(f"not a Parley export line ({exc!r})", line=number) from None


def _header(value: Any) -> None:
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        raise WrongFormat(f"not a Parley export (the first line has no format {FORMAT!r})")
    if value.get("version") != VERSION:
        raise SourceError(f"a Parley export of version {value.get('version')!r}, not {VERSION}")


def _date(value: Any) -> datetime:
    when = utc(str(value or ""))
    if when is None:
        raise SourceError(f"not a date: {value!r}")
    return when


def _record(value: dict[str, Any], limits: Limits) -> Record:
    if value["type"] == "thread":
        return SourceThread(
            key=value["uri"],
            url=value["uri"],
            title=str(value.get("title") or ""),
            locked=bool(value.get("locked")),
            created=_date(value["created"]),
        )
    if value["type"] != "comment":
        raise SourceError(f"unknown line type {value['type']!r}")
    edited = value.get("edited")
    if not is_ulid(str(value["id"])):
        raise SourceError(f"comment id {value['id']!r} is not a Parley id")
    return SourceComment(
        key=value["id"],
        thread=value["uri"],
        parent=value.get("parent") or None,
        author=str(value.get("author") or ""),
        email=str(value.get("email") or ""),
        website=value.get("website"),
        body=str(value.get("text") or ""),
        markup=Markup.MARKDOWN,
        status=Status(value["status"]),
        created=_date(value["created"]),
        edited=None if edited is None else _date(edited),
        likes=likes(value.get("likes"), limits.likes),
        id=str(value["id"]),
        html=str(value.get("html") or ""),
        ip_hash=str(value.get("ip_hash") or ""),
        avatar=str(value.get("avatar") or ""),
        role=OWNER if value.get("role") == OWNER else "",
    )
