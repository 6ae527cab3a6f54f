"""Reading an XML export safely, in constant memory, repairing only what is unambiguous.

Safety: no entity is ever expanded and nothing external is fetched. A document that declares
an entity (the "billion laughs" bomb, an external entity pointing at a local file or a URL) is
refused at its DTD, before any expansion, by the scan below and by defusedxml's parser.

Memory: `elements` streams with iterparse and drops each top-level record once the caller is
done with it, so a 1 GB export holds one record at a time.

Repair: real exports are sometimes damaged. Before anything is read for import, `scan` runs
the whole file through expat (fast, no tree). Two kinds of damage are fixed, because the fix is
certain: bytes before the XML declaration (dropped), and an attribute value without quotes at
the very place the parser stopped (`<thread dsq:id=123>` becomes `dsq:id="123"`). Anything else
is refused with the parser's message and the file's line number.
"""

from __future__ import annotations

import gzip
import re
import xml.parsers.expat as expat
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from backend.migrate.records import SourceError

_BOM = b"\xef\xbb\xbf"
_PEEK = 64 * 1024  # stray bytes are looked for this far before the declaration
MAX_REPAIRS = 50
_UNQUOTED = re.compile(r"""(\s[\w:.-]+\s*=\s*)([^\s"'<>=/`]+)(?=\s|/?>)""")

# Namespaces by the prefix Parley's readers use. WordPress changes its URI with each WXR
# version (1.0, 1.1, 1.2), and WordPress.com writes it with https: any of them reads as "wp"
# (and its excerpt namespace as "excerpt"). Any other version is refused by the reader.
_PREFIXES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://disqus.com/disqus-internals": "dsq",
    "http://disqus.com": "",
}
WXR = re.compile(r"^https?://wordpress\.org/export/1\.[012]/$")
_EXCERPT = re.compile(r"^https?://wordpress\.org/export/1\.[012]/excerpt/$")


@cache  # a file has a few dozen distinct tags, read hundreds of thousands of times
def name(tag: str) -> str:
    """`{namespace}local` as `prefix:local` (or `local` for default and unknown namespaces)."""
    if not tag.startswith("{"):
        return tag
    uri, _, local = tag[1:].partition("}")
    if WXR.match(uri):
        prefix = "wp"
    elif _EXCERPT.match(uri):
        prefix = "excerpt"
    else:
        prefix = _PREFIXES.get(uri, "")
    return f"{prefix}:{local}" if prefix else local


def texts(element: Element) -> dict[str, str]:
    """The text of each child by name (the first child of each name), unstripped."""
    found: dict[str, str] = {}
    for sub in element:
        found.setdefault(name(sub.tag), sub.text or "")
    return found


def child_text(element: Element, tag: str, *, strip: bool = True) -> str:
    """The text of the first child named `tag` (prefixed as `name` spells it), or ""."""
    for child in element:
        if name(child.tag) == tag:
            text = child.text or ""
            return text.strip() if strip else text
    return ""


def child(element: Element, tag: str) -> Element | None:
    for sub in element:
        if name(sub.tag) == tag:
            return sub
    return None


def attr(element: Element, key: str) -> str:
    for attr_name, value in element.attrib.items():
        if name(attr_name) == key:
            return value
    return ""


def open_bytes(path: Path) -> IO[bytes]:
    """The file's bytes, gunzipped when it is gzip (Remark42 and Disqus hand out .gz)."""
    raw = path.open("rb")
    if raw.read(2) == b"\x1f\x8b":
        raw.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    raw.seek(0)
    return raw


class _Refused(Exception):
    pass


def _refuse(*_: Any) -> None:
    raise _Refused()


@dataclass
class XmlFile:
    """One XML export: `scan()` it once, then read `elements(...)` as often as needed."""

    path: Path
    skip: int = 0  # stray bytes before the declaration
    line_offset: int = 0  # newlines among them (to name the file's own line numbers)
    fixes: dict[int, bytes] = field(default_factory=dict)  # parser line -> repaired line
    repairs: list[str] = field(default_factory=list)  # what was repaired, for the summary

    def scan(self, count: str) -> int:
        """Check the whole file (repairing what is certain); returns how many `count` elements
        (a tag as the file spells it, e.g. "wp:comment") it holds."""
        self._find_stray_prefix()
        for _ in range(MAX_REPAIRS + 1):
            error, found = self._parse_all(count)
            if error is None:
                return found
            if not self._repair(error):
                raise SourceError(
                    f"not well-formed XML ({expat.ErrorString(error.code)}); nothing was "
                    "imported. Fix the file at that line and run the import again.",
                    line=error.lineno + self.line_offset,
                )
        raise SourceError(f"more than {MAX_REPAIRS} damaged lines: refusing to guess")

    def _find_stray_prefix(self) -> None:
        with open_bytes(self.path) as raw:
            head = raw.read(_PEEK)
        start = head.find(b"<?xml")
        if start > 0 and head[:start] != _BOM:
            self.skip = start
            self.line_offset = head[:start].count(b"\n")
            self.repairs.append(f"dropped {start} stray bytes before the XML declaration")

    def _parse_all(self, count: str) -> tuple[expat.ExpatError | None, int]:
        parser = expat.ParserCreate()
        found = 0

        def start(tag: str, _: object) -> None:
            nonlocal found
            found += tag == count

        parser.StartElementHandler = start
        # Refuse any entity declaration and any external reference: nothing gets expanded.
        parser.EntityDeclHandler = _refuse
        parser.UnparsedEntityDeclHandler = _refuse
        parser.ExternalEntityRefHandler = _refuse  # type: ignore[assignment]
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        try:
            with self._open() as stream:
                parser.ParseFile(stream)
        except _Refused:
            raise SourceError(
                "the file declares XML entities (an entity bomb or an external entity): refused",
                line=parser.CurrentLineNumber + self.line_offset,
            ) from None
        except expat.ExpatError as error:
            return error, found
        return None, found

    def _repair(self, error: expat.ExpatError) -> bool:
        """Quote the attribute value the parser stopped at, if that is what it stopped at."""
        if error.code != expat.errors.codes[expat.errors.XML_ERROR_INVALID_TOKEN]:
            return False
        line = self._line(error.lineno)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            return False
        for match in _UNQUOTED.finditer(text):
            if match.start(2) == error.offset:
                fixed = f'{text[: match.start(2)]}"{match.group(2)}"{text[match.end(2) :]}'
                self.fixes[error.lineno] = fixed.encode()
                self.repairs.append(
                    f"quoted an attribute value at line {error.lineno + self.line_offset}"
                )
                return True
        return False

    def _line(self, number: int) -> bytes:
        with self._open() as stream:
            for lineno, line in enumerate(stream, 1):
                if lineno == number:
                    return line
        return b""

    def _open(self) -> _Patched:
        raw = open_bytes(self.path)
        if self.skip:
            raw.read(self.skip)
        return _Patched(raw, self.fixes)

    def elements(self, tags: set[str], depth: int) -> Iterator[Element]:
        """Each element named in `tags` (prefixed as `name` spells it) that has `depth`
        ancestors, once it is complete.

        The caller must be done with an element before asking for the next: it is cleared
        and dropped then, so memory holds one record at a time.
        """
        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import iterparse

        with self._open() as stream:
            stack: list[Element] = []
            events = iterparse(
                stream, events=("start", "end"), forbid_entities=True, forbid_external=True
            )
            try:
                for event, element in events:
                    if event == "start":
                        stack.append(element)
                        continue
                    stack.pop()
                    if len(stack) == depth and name(element.tag) in tags:
                        yield element
                        element.clear()
                        if stack:
                            stack[-1].remove(element)
            except DefusedXmlException:
                raise SourceError(
                    "the file declares XML entities (an entity bomb or an external entity): refused"
                ) from None
            except ParseError as error:  # scan() passed, so only a file changed meanwhile
                line = error.position[0] + self.line_offset
                raise SourceError(f"not well-formed XML ({error})", line=line) from None


class _Patched:
    """The file's bytes with repaired lines put in place (line numbers unchanged)."""

    def __init__(self, raw: IO[bytes], fixes: dict[int, bytes]) -> None:
        self._raw = raw
        self._fixes = fixes
        self._lineno = 0
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        if not self._fixes:
            return self._raw.read(size)
        while size < 0 or len(self._buffer) < size:
            line = self._raw.readline()
            if not line:
                break
            self._lineno += 1
            self._buffer += self._fixes.get(self._lineno, line)
        if size < 0:
            size = len(self._buffer)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def __iter__(self) -> Iterator[bytes]:
        for line in self._raw:
            self._lineno += 1
            yield self._fixes.get(self._lineno, line)

    def __enter__(self) -> _Patched:
        return self

    def __exit__(self, *_: object) -> None:
        self._raw.close()

    def close(self) -> None:
        self._raw.close()
