"""Reading an XML export safely, in bounded memory and linear time, repairing only what is
unambiguous.

Safety: no entity is ever expanded and nothing external is fetched. A document that declares
an entity (the "billion laughs" bomb, an external entity pointing at a local file or a URL) is
refused at its DTD, before any expansion, by the scan below and by defusedxml's parser.

Bounds (`limits.py`): `scan` runs the whole file through expat once, before anything is read
for import, and refuses a tag or XML comment longer than `token_bytes` (expat 2.5 re-reads an
unfinished token from its start with each new chunk: unbounded, that is quadratic), an
element's text longer than `text_bytes`, and any element at a record's depth longer than
`record_bytes`. `elements` then streams with iterparse and drops every element at or above a
record's depth once it is complete, so memory holds one record at a time, whatever else the
file holds.

Repair: real exports are sometimes damaged. Two kinds of damage are fixed, because the fix is
certain: bytes before the XML declaration (dropped), and an attribute value without quotes at
the very place the parser stopped (`<thread dsq:id=123>` becomes `dsq:id="123"`). Anything else
is refused with the parser's message and the file's line number.
"""

from __future__ import annotations

import re
import xml.parsers.expat as expat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, ClassVar
from xml.etree.ElementTree import Element, ParseError

from backend.migrate.limits import DEFAULT, Limits
from backend.migrate.records import Checked, SourceError, WrongFormat
from backend.migrate.xmlstream import PIECE, Patched, open_bytes, read_line

_BOM = b"\xef\xbb\xbf"
_PEEK = 64 * 1024  # stray bytes are looked for this far before the declaration
_REPAIR_LINE = 1024 * 1024  # a line longer than this is never repaired
_UNQUOTED = re.compile(r"""(\s[\w:.-]+\s*=\s*)([^\s"'<>=/`]+)(?=\s|/?>)""")

# Namespaces by the prefix Parley's readers use. WordPress changes its URI with each WXR
# version (1.0, 1.1, 1.2), and WordPress.com writes it with https: any of them reads as "wp"
# (and its excerpt namespace as "excerpt"). Any other version is refused by the reader.
_PREFIXES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://disqus.com/disqus-internals": "dsq",
    "http://disqus.com": "",
    "http://www.w3.org/2005/Atom": "",
    "http://schemas.google.com/blogger/2018": "blogger",
    "http://purl.org/syndication/thread/1.0": "thr",
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


@dataclass(frozen=True, slots=True)
class Root:
    """The document's root element as the file spells it, with the namespaces it declares."""

    tag: str
    namespaces: dict[str, str]  # prefix ("" for the default namespace) -> URI

    def describe(self) -> str:
        declared = ", ".join(
            f'xmlns{":" + p if p else ""}="{uri}"' for p, uri in self.namespaces.items()
        )
        return f"<{self.tag}> declaring {declared}" if declared else f"<{self.tag}> (no namespaces)"


def root_of(tag: str, attributes: dict[str, str]) -> Root:
    namespaces = {
        key.partition(":")[2]: value
        for key, value in attributes.items()
        if key == "xmlns" or key.startswith("xmlns:")
    }
    return Root(tag, namespaces)


class _Refused(Exception):
    pass


def _refuse(*_: Any) -> None:
    raise _Refused()


Expect = Callable[[Root], str]  # the root -> the tag (as the file spells it) to count


@dataclass
class XmlFile:
    """One XML export: `scan()` it once, then read `elements(...)` as often as needed."""

    path: Path
    record_depth: int  # how many ancestors a record (a post, an item) has
    limits: Limits = DEFAULT
    skip: int = 0  # stray bytes before the declaration
    line_offset: int = 0  # newlines among them (to name the file's own line numbers)
    fixes: dict[int, bytes] = field(default_factory=dict)  # parser line -> repaired line
    repairs: list[str] = field(default_factory=list)  # what was repaired, for the summary
    root: Root | None = None

    def scan(self, expect: Expect) -> int:
        """Check the whole file (repairing what is certain): `expect` judges the root (raising
        WrongFormat) and names the tag to count; returns how many the file holds."""
        self._find_stray_prefix()
        for _ in range(self.limits.repairs + 1):
            error, found = self._parse_all(expect)
            if error is None:
                return found
            if not self._repair(error):
                if self.root is None:
                    raise WrongFormat(f"not XML ({expat.ErrorString(error.code)})")
                raise SourceError(
                    f"not well-formed XML ({expat.ErrorString(error.code)}); nothing was "
                    "imported. Fix the file at that line and run the import again.",
                    line=error.lineno + self.line_offset,
                )
        raise SourceError(f"more than {self.limits.repairs} damaged lines: refusing to guess")

    def _find_stray_prefix(self) -> None:
        with open_bytes(self.path) as raw:
            head = raw.read(_PEEK)
        start = head.find(b"<?xml")
        if start > 0 and head[:start] != _BOM:
            self.skip = start
            self.line_offset = head[:start].count(b"\n")
            self.repairs.append(f"dropped {start} stray bytes before the XML declaration")

    def _parse_all(self, expect: Expect) -> tuple[expat.ExpatError | None, int]:
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.buffer_size = PIECE
        limits = self.limits
        found = depth = run = 0
        last = 0  # byte index of the last event: the parser has read everything before it
        started: list[int] = []  # byte index where each open element began
        counted = ""

        def too_big(what: str, limit: int) -> SourceError:
            return SourceError(
                f"{what} longer than {limit:,} bytes: refused (an export never holds one)",
                line=parser.CurrentLineNumber + self.line_offset,
            )

        def start(tag: str, attributes: dict[str, str]) -> None:
            nonlocal found, depth, run, last, counted
            last = parser.CurrentByteIndex
            if depth == 0:
                self.root = root_of(tag, attributes)
                counted = expect(self.root)
            found += tag == counted
            started.append(last)
            depth += 1
            run = 0

        def end(_: str) -> None:
            nonlocal depth, run, last
            last = parser.CurrentByteIndex
            depth -= 1
            run = 0
            began = started.pop()
            if depth == self.record_depth and last - began > limits.record_bytes:
                raise too_big("an element at a record's depth", limits.record_bytes)

        def text(data: str) -> None:
            nonlocal run, last
            last = parser.CurrentByteIndex
            run += len(data)
            if run > limits.text_bytes:
                raise too_big("an element's text", limits.text_bytes)

        def other(*_: object) -> None:
            nonlocal last
            last = parser.CurrentByteIndex

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = text
        parser.CommentHandler = other
        parser.ProcessingInstructionHandler = other
        parser.XmlDeclHandler = other
        parser.StartDoctypeDeclHandler = other
        # Refuse any entity declaration and any external reference: nothing gets expanded.
        parser.EntityDeclHandler = _refuse
        parser.UnparsedEntityDeclHandler = _refuse
        parser.ExternalEntityRefHandler = _refuse  # type: ignore[assignment]
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        fed = 0
        try:
            with self._open() as stream:
                while chunk := stream.read(PIECE):
                    parser.Parse(chunk, False)
                    fed += len(chunk)
                    if fed - last > limits.token_bytes + PIECE:
                        raise too_big("a tag or XML comment", limits.token_bytes)
                parser.Parse(b"", True)
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
        """Line `number` (as repaired so far), or b"" when it is too long to repair."""
        with self._open() as stream:
            line, fits = b"", True
            for _ in range(number):
                line, fits = read_line(stream, _REPAIR_LINE)
                if not line and fits:
                    return b""  # the file ended before it
            return line if fits else b""

    def _open(self) -> Patched:
        raw = open_bytes(self.path)
        if self.skip:
            raw.read(self.skip)
        return Patched(raw, self.fixes)

    def elements(self, tags: set[str], depth: int) -> Iterator[Element]:
        """Each element named in `tags` (prefixed as `name` spells it) that has `depth`
        ancestors, once it is complete.

        The caller must be done with an element before asking for the next: it is cleared
        and dropped then, as is every other element at that depth or above once complete, so
        memory holds one record at a time.
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
                    if len(stack) > depth:
                        continue  # inside a record (or an element scan bounded as one)
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


class XmlReader:
    """What every XML format's reader shares: the file, checked once by the format's `expect`.
    A format names how deep its records lie and how the summary calls a file with nothing in
    it, and writes `expect` and `records`."""

    record_depth: ClassVar[int] = 1
    empty: ClassVar[str]

    def __init__(self, path: Path, limits: Limits = DEFAULT) -> None:
        self.xml = XmlFile(path, record_depth=self.record_depth, limits=limits)

    @staticmethod
    def expect(root: Root) -> str:
        raise NotImplementedError

    def check(self) -> Checked:
        return Checked(self.xml.repairs, self.xml.scan(self.expect), empty=self.empty)
