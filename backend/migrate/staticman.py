"""Staticman's data files: the folder it commits comments into (`_data/comments/` for Jekyll,
`data/comments/` for Hugo), one folder per post, one YAML (or JSON) file per comment.

Each site names its fields in `staticman.yml`, so a file's keys vary. The common ones are read
by default (the first present wins); `--field NAME=SOURCE` names another key for a NAME:

    id       _id (Staticman's own), id
    name     name, author
    email    email (a plain address is kept; Staticman's md5 transform can't be reversed and is
             dropped), mail
    url      url, website, link
    message  message, comment, body, text, content (Markdown, as the site rendered it)
    date     date (ISO 8601, "YYYY-MM-DD HH:MM:SS +0000", a YAML timestamp, or epoch seconds or
             milliseconds), timestamp, created
    parent   replying_to_uid, parent_id, replying_to, parent, _reply_to: the parent's id, or the
             number of a top-level comment of the post in file order ("replying_to: '3'", as
             Made Mistakes' threaded comments write it); empty for a top-level comment
    page     _parent, post_id, page, permalink: the page's path or URL; else the post's folder
             name, as /NAME/ (`--map` rewrites it)

Files on the branch were published (moderation happens in the pull request): all approved.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from backend.domain.models import Status
from backend.migrate import fields as f
from backend.migrate.limits import DEFAULT, Limits
from backend.migrate.records import (
    Checked,
    Markup,
    NothingImported,
    Record,
    Skipped,
    SourceComment,
    SourceError,
    SourceThread,
    WrongFormat,
)

SUFFIXES = (".yml", ".yaml", ".json")
NAMES: dict[str, tuple[str, ...]] = {
    "id": ("_id", "id"),
    "name": ("name", "author"),
    "email": ("email", "mail"),
    "url": ("url", "website", "link"),
    "message": ("message", "comment", "body", "text", "content"),
    "date": ("date", "timestamp", "created"),
    "parent": ("replying_to_uid", "parent_id", "replying_to", "parent", "_reply_to"),
    "page": ("_parent", "post_id", "page", "permalink"),
}
_MD5 = re.compile(r"^[0-9a-f]{32}$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _File:
    path: Path
    post: str  # the post's folder, relative to the root ("" for files directly in it)
    data: dict[str, Any]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip() if isinstance(value, str | int | float) else ""


def _when(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = _text(value)
    if re.fullmatch(r"\d{9,13}", text):  # epoch seconds or milliseconds
        number = int(text)
        return datetime.fromtimestamp(number / 1000 if number > 10**11 else number, UTC)
    return f.utc(text, "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M")


class Reader:
    def __init__(
        self, path: Path, limits: Limits = DEFAULT, names: dict[str, str] | None = None
    ) -> None:
        self.path = path
        self.limits = limits
        self.names = {key: (names[key],) if names and key in names else keys
                      for key, keys in NAMES.items()}  # fmt: skip

    def _paths(self) -> tuple[list[Path], list[Path]]:
        """(the data files in file order, the other files)."""
        if self.path.is_file():
            return ([self.path], []) if self.path.suffix.lower() in SUFFIXES else ([], [self.path])
        found = sorted(p for p in self.path.rglob("*") if p.is_file() and not _hidden(p, self.path))
        data = [p for p in found if p.suffix.lower() in SUFFIXES]
        return data, [p for p in found if p.suffix.lower() not in SUFFIXES]

    def _load(self, path: Path) -> _File:
        size = path.stat().st_size
        if size > self.limits.json_bytes:
            raise SourceError(f"{self._name(path)}: {size} bytes, more than a comment's bound")
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SourceError(f"{self._name(path)}: not UTF-8") from None
        try:
            data = json.loads(text) if path.suffix.lower() == ".json" else _yaml(text)
        except (ValueError, RecursionError) as exc:
            where = " ".join(str(exc).split())[:200]
            raise SourceError(f"{self._name(path)}: cannot be read ({where})") from None
        if not isinstance(data, dict):
            raise SourceError(f"{self._name(path)}: holds no mapping of fields")
        post = "" if path.parent == self.path else path.parent.relative_to(self.path).as_posix()
        return _File(path, post, data)

    def _name(self, path: Path) -> str:
        return path.name if path == self.path else path.relative_to(self.path).as_posix()

    def _get(self, data: dict[str, Any], name: str) -> object:
        for key in self.names[name]:
            if key in data and data[key] not in (None, ""):
                return data[key]
        return None

    def check(self) -> Checked:
        if not self.path.exists():
            raise SourceError(f"{self.path}: no such file or folder")
        data, others = self._paths()
        if not data:
            if others:
                seen = ", ".join(sorted({p.suffix or p.name for p in others})[:5])
                raise WrongFormat(
                    "not Staticman data: looked for .yml, .yaml or .json files (one per "
                    f"comment, a folder per post), saw {len(others)} files of other kinds ({seen})"
                )
            return Checked([], 0, "a Staticman folder with no data files")
        count, keys = 0, set()
        for path in data:
            loaded = self._load(path)
            keys |= set(map(str, loaded.data))
            count += self._get(loaded.data, "message") is not None
        if count == 0:
            raise NothingImported(
                f"{len(data)} data files, none with a message: looked for the keys "
                f"{', '.join(self.names['message'])}, saw {', '.join(sorted(keys)[:12])}; "
                "name the message's key with --field message=KEY"
            )
        return Checked([], count)

    def records(self) -> Iterator[Record]:
        data, _ = self._paths()
        posts: dict[str, list[_File]] = {}
        for path in data:
            loaded = self._load(path)
            posts.setdefault(loaded.post, []).append(loaded)
        threads: set[str] = set()
        for post, files in posts.items():
            yield from self._post(post, files, threads)

    def _post(self, post: str, files: list[_File], threads: set[str]) -> Iterator[Record]:
        ids = {file.path: self._id(file) for file in files}
        known = set(ids.values())
        pages = {
            file.path: _text(self._get(file.data, "page")) or (f"/{post}/" if post else "/")
            for file in files
        }
        # The post's top-level comments in file order, for parents named by their number.
        top: dict[str, list[str]] = {}
        for file in files:
            if not _text(self._get(file.data, "parent")) and self._get(file.data, "message"):
                top.setdefault(pages[file.path], []).append(ids[file.path])
        for file in files:
            page = pages[file.path]
            if page not in threads:
                threads.add(page)
                yield SourceThread(key=page, url=page)
            message = _text(self._get(file.data, "message"))
            if not message:
                yield Skipped(self._name(file.path), "no message")
                continue
            created = _when(self._get(file.data, "date"))
            if created is None:
                yield Skipped(self._name(file.path), "no date Parley can read")
                continue
            parent = _parent(_text(self._get(file.data, "parent")), known, top.get(page, []))
            email = _text(self._get(file.data, "email"))
            website = _text(self._get(file.data, "url"))
            yield SourceComment(
                key=ids[file.path], thread=page, parent=parent,
                author=_text(self._get(file.data, "name")) or "Anonymous",
                email="" if _MD5.match(email) or "@" not in email else email,
                website=website or None, body=message, markup=Markup.MARKDOWN,
                status=Status.APPROVED, created=created,
            )  # fmt: skip

    def _id(self, file: _File) -> str:
        return _text(self._get(file.data, "id")) or self._name(file.path)


def _yaml(text: str) -> object:
    """One YAML document, with YAML's safe types only (no objects, no tags of Python's)."""
    import yaml  # `parley import staticman` only

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from None


def _parent(value: str, known: set[str], top: list[str]) -> str | None:
    if not value:
        return None
    if value in known:
        return value
    if value.isdigit() and 1 <= int(value) <= len(top):
        return top[int(value) - 1]
    return value  # a parent not in the folder: the pipeline keeps the reply, at the top


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)
