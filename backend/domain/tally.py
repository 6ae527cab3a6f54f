"""A thread's numbers recomputed from its comments (after an import, or to repair drift)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from backend.domain.models import Status


@dataclass(frozen=True, slots=True)
class Tally:
    count: int  # approved comments
    replies: dict[str, int]  # comment id -> direct approved replies, for every comment given


def tally(comments: Iterable[tuple[str, str | None, Status]]) -> Tally:
    """From (id, parent, status) of every comment of one thread."""
    ids: list[str] = []
    replies: Counter[str] = Counter()
    count = 0
    for comment_id, parent, status in comments:
        ids.append(comment_id)
        if status is Status.APPROVED:
            count += 1
            if parent is not None:
                replies[parent] += 1
    return Tally(count, {comment_id: replies[comment_id] for comment_id in ids})
