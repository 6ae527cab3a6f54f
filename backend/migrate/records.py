"""What every source format is read into: threads and comments as the source names them.

A reader (one module per format) yields these in file order: a thread before its comments;
a comment's parent may come before or after it. The pipeline (`pipeline.py`) turns them into
Parley's records: uris mapped, ids derived, bodies sanitized, parents resolved.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from backend.domain.models import Status


class SourceError(Exception):
    """A file Parley cannot read as the format it was told: one sentence, naming the line."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


class WrongFormat(SourceError):
    """A file that is not the format named at all: the command adds what it looks like."""


class NothingImported(SourceError):
    """A file that holds comments of which none can be imported."""


class Markup(enum.Enum):
    HTML = "html"  # sanitized as it is
    MARKDOWN = "markdown"  # rendered by Parley's renderer, then sanitized
    PLAIN_HTML = "plain-html"  # HTML whose line breaks are paragraphs (WordPress)


@dataclass(frozen=True, slots=True)
class SourceThread:
    key: str  # the source's own thread id (unique within the file)
    url: str  # the page's URL or path; the pipeline keeps its path and query
    title: str = ""
    locked: bool = False
    created: datetime | None = None


@dataclass(frozen=True, slots=True)
class SourceComment:
    key: str  # the source's own comment id (unique within the file)
    thread: str  # the SourceThread.key it belongs to
    parent: str | None
    author: str
    email: str
    website: str | None
    body: str
    markup: Markup
    status: Status
    created: datetime
    likes: int = 0
    edited: datetime | None = None
    ping: bool = False  # a trackback or pingback
    ip: str = ""  # hashed by the pipeline, never stored as is
    # Parley's own export carries the finished record: kept exactly.
    id: str | None = None
    html: str | None = None
    ip_hash: str | None = None
    avatar: str | None = None
    role: str = ""  # OWNER for the site owner's own comment: only Parley's export says so


@dataclass(frozen=True, slots=True)
class Checked:
    """What reading a whole file found before anything is written."""

    repairs: list[str]  # what was repaired to read it (printed before the summary)
    comments: int | None = None  # how many comments it holds, when known (the progress total)
    empty: str = ""  # what a file without comments is, said plainly ("a WordPress export ...")


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record the reader could not or would not take, with the reason the summary shows."""

    key: str
    reason: str


Record = SourceThread | SourceComment | Skipped
