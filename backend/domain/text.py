"""What a reader may type: one rule for every field of reader text, applied at the API's edge.

Refused anywhere (each would break a store, a feed or a reader's eyes):

- lone surrogates: valid in JSON (`"\\ud800"`), but no encoding can store or send them;
- non-characters (U+FDD0..U+FDEF and every U+xxFFFE / U+xxFFFF): not allowed in XML, so one
  of them in a comment makes the Atom feed unreadable for every subscriber;
- control characters (C0 except tab and newlines in multi-line text, DEL, C1 such as U+0085);
- bidi embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069): they reorder what
  follows them, so a name or a link can display as something it is not ("Trojan source").

One-line fields (names, titles, paths) also refuse line and paragraph separators (U+2028,
U+2029) and tabs; in comment text they are normalised to a newline. A field that is required
must have something visible in it: zero-width spaces, joiners, fillers and blanks alone do not
count as a name.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# Refused in every field. The class is built from ranges rather than typed literally, so the
# source file itself stays free of the characters it refuses.
_ALWAYS: Final = re.compile(
    "["
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 (not tab, LF, CR), DEL, C1 (incl. U+0085 NEL)
    "\ud800-\udfff"  # surrogates: only ever lone ones in a decoded str
    "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides and isolates
    "\ufdd0-\ufdef"  # non-characters
    "]"
)
_ONE_LINE: Final = re.compile("[\t\n\r\u2028\u2029]")
_SEPARATORS: Final = re.compile("\r\n?|[\u2028\u2029]")

# Characters that draw nothing: whitespace, format characters (zero-width space, joiners,
# word joiner, BOM, soft hyphen, ...) and the "blank" letters used to fake an empty name.
_INVISIBLE_EXTRA: Final = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u034f")


def _is_noncharacter(char: str) -> bool:
    point = ord(char)
    return (point & 0xFFFE) == 0xFFFE or 0xFDD0 <= point <= 0xFDEF


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name.lower()})" if name else "")


def problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` is not acceptable reader text, as a sentence; None when it is fine."""
    found = _ALWAYS.search(value)
    if found is None and not multiline:
        found = _ONE_LINE.search(value)
    if found is not None:
        char = found.group()
        if "\ud800" <= char <= "\udfff":
            return "must not contain a lone surrogate (broken UTF-16)"
        if not multiline and char in "\t\n\r\u2028\u2029":
            return "must be a single line"
        return f"must not contain the invisible control character {_describe(char)}"
    for char in value:  # the astral non-characters (U+1FFFE, ...) are rare: a plain loop
        if ord(char) >= 0xFFFE and _is_noncharacter(char):
            return f"must not contain the non-character {_describe(char)}"
    return None


def visible(value: str) -> bool:
    """Whether anything in `value` would draw on screen."""
    for char in value:
        if char.isspace() or char in _INVISIBLE_EXTRA:
            continue
        category = unicodedata.category(char)
        if category in ("Cf", "Cc", "Mn", "Me", "Zs", "Zl", "Zp"):
            continue
        return True
    return False


def clean(value: str, *, multiline: bool = False, required: bool = False) -> str:
    """Check one field of reader text; raise ValueError (a sentence) when it is refused.

    Multi-line text has its line endings normalised to "\\n" (CRLF, CR, U+2028, U+2029).
    """
    reason = problem(value, multiline=multiline)
    if reason is not None:
        raise ValueError(reason)
    if required and not visible(value):
        raise ValueError("must contain something visible")
    if multiline:
        value = _SEPARATORS.sub("\n", value)
    return value


def inert(value: str, *, multiline: bool = False) -> str:
    """`value` with every character this rule refuses replaced by a space (and, for one line,
    line breaks and tabs too; multi-line text gets "\n" line endings).

    For text that never passed the rule (an import, an older comment) on its way somewhere such
    a character does harm: a line break in a mail header adds a header, a lone surrogate cannot
    be encoded, a bidi override makes a subject read as something it is not."""
    value = _ALWAYS.sub(" ", value)
    value = _SEPARATORS.sub("\n", value) if multiline else _ONE_LINE.sub(" ", value)
    if any(ord(char) >= 0xFFFE for char in value):  # astral non-characters: rare
        value = "".join(" " if _is_noncharacter(char) else char for char in value)
    return value
