"""What a file looks like, for the message that refuses it: `parley import disqus feed.xml`
says what it looked for, what it saw, and which format the file more likely is."""

from __future__ import annotations

import json
import sqlite3
import xml.parsers.expat as expat
from pathlib import Path

from backend.migrate.xmlfile import WXR, Root, root_of
from backend.migrate.xmlstream import open_bytes

_HEAD = 64 * 1024
_BLOGGER = "http://schemas.google.com/blogger/2018"
_ATOM = "http://www.w3.org/2005/Atom"


class _Found(Exception):
    pass


def xml_root(head: bytes) -> Root | None:
    """The root element of an XML document from its first bytes (entities never expanded)."""
    parser = expat.ParserCreate()
    found: list[Root] = []

    def start(tag: str, attributes: dict[str, str]) -> None:
        found.append(root_of(tag, attributes))
        raise _Found()

    def refuse(*_: object) -> None:
        raise _Found()

    parser.StartElementHandler = start
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    try:
        start_at = head.find(b"<?xml")
        parser.Parse(head[max(start_at, 0) :], False)
    except (_Found, expat.ExpatError):
        pass
    return found[0] if found else None


def _xml(root: Root) -> tuple[str | None, str]:
    uris = set(root.namespaces.values())
    if root.tag == "rss" and any(WXR.match(u) for u in uris):
        return "wordpress", "a WordPress export"
    if root.tag == "rss" and any("wordpress.org/export/" in u for u in uris):
        return None, "a WordPress export of a version Parley does not know"
    if root.tag == "disqus":
        return "disqus", "a Disqus export"
    if root.tag == "feed" and (_BLOGGER in uris or "http://schemas.google.com/g/2005" in uris):
        return "blogger", "a Blogger export"
    if root.tag == "feed" and _ATOM in uris:
        return None, "an Atom feed (a feed holds no comments to import)"
    if root.tag == "rss":
        return None, "an RSS feed (a feed holds no comments to import)"
    return None, f"an XML document with the root {root.describe()}"


def _json(head: bytes) -> tuple[str | None, str]:
    first = head.split(b"\n", 1)[0]
    try:
        value = json.loads(first)
    except ValueError:
        value = None
    if isinstance(value, dict):
        if value.get("format") == "parley-export":
            return "parley", "a Parley export"
        if "version" in value and ("users" in value or "posts" in value):
            return "remark42", "a Remark42 backup"
    if b'"commentHex"' in head or b'"commenters"' in head:
        return "commento", "a Commento export"
    return None, "a JSON file of no format Parley reads"


def _sqlite(path: Path) -> tuple[str | None, str]:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.Error:
        return None, "an SQLite database Parley cannot open"
    if {"threads", "comments"} <= tables:
        return "isso", "an Isso database"
    if {"projects", "pages", "comments"} <= tables:
        return "cusdis", "a Cusdis database"
    return None, f"an SQLite database with the tables {', '.join(sorted(tables)) or '(none)'}"


def guess(path: Path) -> tuple[str | None, str]:
    """(the format `path` most likely is, or None; what it looks like, in a few words)."""
    if path.is_dir():
        return None, "a folder of files of no format Parley reads"
    with open_bytes(path) as raw:
        head = raw.read(_HEAD)
    if head.startswith(b"SQLite format 3\0"):
        return _sqlite(path)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        root = xml_root(head)
        return _xml(root) if root is not None else (None, "XML that cannot be parsed")
    if text.startswith((b"{", b"[")):
        return _json(text)
    return None, "a file of no format Parley reads"


def advice(path: Path, fmt: str) -> str:
    """A sentence on what the file more likely is, for a file that is not `fmt`."""
    likely, looks = guess(path)
    if likely is not None and likely != fmt:
        return f"It looks like {looks}: try `parley import {likely} {path.name}`."
    return f"It looks like {looks}."
