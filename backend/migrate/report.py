"""What an import says when it ends: the lines an owner checks before deleting the old system.

Before the last line: what was repaired in the file, what was kept with a change, the comments
by status (and the pings skipped), the number of threads, what the site's spam filter learned
from the import's spam and approved comments, and the five threads with the most
comments with the source's URL beside the path it became (a wrong `--map` shows at once). The
last line is the one-line summary.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

from backend.domain.models import Status

PINGS = "trackbacks or pingbacks (--include-pings keeps them)"
TOP = 5
ORDER = [s.value for s in (Status.APPROVED, Status.PENDING, Status.SPAM, Status.DELETED)]


@dataclass
class Summary:
    fmt: str
    site: str
    dry_run: bool
    threads: int = 0
    new_threads: int = 0
    comments: int = 0
    new_comments: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)  # kept, but changed (e.g. re-rooted)
    per_thread: Counter[str] = field(default_factory=Counter)  # uri -> comments imported
    sources: dict[str, str] = field(default_factory=dict)  # uri -> the source's URL for it
    lessons: Counter[str] = field(default_factory=Counter)  # spam / legitimate: the filter's

    def line(self) -> str:
        statuses = ", ".join(f"{self.statuses[s]:,} {s}" for s in ORDER if self.statuses[s])
        if self.dry_run:
            head = f"dry run of {self.fmt} into site {self.site!r}, nothing written: "
            body = f"{self.threads:,} threads, {self.comments:,} comments"
        else:
            head = f"imported {self.fmt} into site {self.site!r}: "
            body = (
                f"{self.threads:,} threads ({self.new_threads:,} new), "
                f"{self.comments:,} comments ({self.new_comments:,} new)"
            )
        text = head + body + (f" ({statuses})" if statuses else "")
        skipped = sum(self.skipped.values())
        reasons = ", ".join(f"{n:,} {why}" for why, n in self.skipped.most_common())
        return text + (f"; skipped {skipped:,}: {reasons}" if skipped else "; skipped 0")

    def nothing(self) -> str:
        """Why a file that holds comments imports none of them."""
        skipped = sum(self.skipped.values())
        reasons = "; ".join(f"{n:,} {why}" for why, n in self.skipped.most_common())
        return f"the file holds {skipped:,} comments and none can be imported ({reasons})"


def report(summary: Summary, repairs: list[str], out: TextIO) -> None:
    for repair in repairs:
        print(f"repaired: {repair}", file=out)
    for note, n in summary.notes.most_common():
        print(f"note: {n:,} {note}", file=out)
    if summary.comments == 0 and not summary.skipped:
        print("the file holds no comments: nothing to import", file=out)
    statuses = ", ".join(f"{summary.statuses[s]:,} {s}" for s in ORDER)
    print(f"comments by status: {statuses}; pings skipped: {summary.skipped[PINGS]:,}", file=out)
    print(f"threads: {summary.threads:,}", file=out)
    if summary.lessons:
        taught = summary.lessons["spam"] + summary.lessons["legitimate"]
        print(
            f"spam filter: learned from {taught:,} comments ({summary.lessons['spam']:,} spam, "
            f"{summary.lessons['legitimate']:,} legitimate)",
            file=out,
        )
    if summary.per_thread:
        print(f"most comments (of {summary.threads:,} threads):", file=out)
        top = sorted(summary.per_thread.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
        width = len(f"{top[0][1]:,}")
        for uri, n in top:
            source = summary.sources.get(uri, "")
            origin = f"  (from {source})" if source and source != uri else ""
            print(f"  {n:>{width},}  {uri}{origin}", file=out)
    print(summary.line(), file=out)
