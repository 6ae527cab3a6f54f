"""The bounds every reader holds, whatever the file: memory and time stay linear in its size.

A hostile file (a small .gz that expands to one 1 GB line, megabytes of elements outside any
record, a huge attribute, JSON nested 100,000 deep) is refused at the first record that passes
a bound, naming it, before anything is written. Real exports stay far inside them: the largest
record of a real export is a post with its comments, a few megabytes. The limits are
parameters (tests use small ones; the bench runs the full-size hostile files against these).
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    record_bytes: int = 16 * MB  # one XML record (a WordPress <item>, a Disqus <post>), or any
    #                              element at a record's depth
    line_bytes: int = 16 * MB  # one JSON line (Remark42's first line lists every user and post)
    json_bytes: int = 4 * MB  # one record of a JSON document (a Commento comment or commenter)
    text_bytes: int = 8 * MB  # one XML element's text
    token_bytes: int = 256 * 1024  # one XML tag with its attributes, one XML comment
    likes: int = 1_000_000_000  # a like count above this is not a count
    repairs: int = 50  # damaged XML lines repaired before the file is refused


DEFAULT = Limits()
