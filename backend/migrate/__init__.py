"""Moving comments in and out: one reader module per source format, a shared pipeline
(`pipeline.py`) that writes through the store's bulk methods, and `export.py`.

Readers are imported by name only when asked for: none of this is loaded by the app.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from backend.migrate.limits import DEFAULT, Limits
from backend.migrate.records import Checked, Record

FORMATS = (
    "wordpress", "disqus", "blogger", "isso", "remark42", "commento", "staticman", "cusdis",
    "parley",
)  # fmt: skip
FOLDERS = ("staticman",)  # formats read from a folder of files (or one of its files)
FIELDS = {  # the formats `--field NAME=SOURCE` is for, and their NAMEs
    "staticman": ("id", "name", "email", "url", "message", "date", "parent", "page"),
    "cusdis": ("project",),  # which project of the database (its id or title)
}


class Reader(Protocol):
    def check(self) -> Checked:
        """Read the whole file once without keeping it: raise SourceError (naming the line)
        when it cannot be imported. Once it passes, `records()` reads it without an error."""

    def records(self) -> Iterator[Record]: ...


def reader(
    fmt: str, path: Path, limits: Limits = DEFAULT, names: dict[str, str] | None = None
) -> Reader:
    """The reader of `fmt`; `names` (`--field NAME=SOURCE`) only for the formats that take it
    (FIELDS)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    module = importlib.import_module(f"backend.migrate.{fmt}")
    made: Reader = module.Reader(path, limits, names) if names else module.Reader(path, limits)
    return made
