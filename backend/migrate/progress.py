"""Progress of a long import: a tqdm bar on a terminal, a plain line now and then elsewhere.

Imported by the CLI only (tqdm is never loaded by the app or the Lambda handler).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

PLAIN_EVERY = 10_000  # records between two plain progress lines


@contextmanager
def phase(
    label: str, total: int | None, stream: TextIO = sys.stderr
) -> Iterator[Callable[[int], None]]:
    """Count work done in one phase of an import ("reading", "importing", "counting")."""
    if stream.isatty():
        from tqdm import tqdm

        with tqdm(total=total, desc=label, unit=" records", unit_scale=True, file=stream) as bar:
            yield bar.update
        return
    done = 0
    started = time.monotonic()

    def tick(n: int) -> None:
        nonlocal done
        before = done // PLAIN_EVERY
        done += n
        if done // PLAIN_EVERY != before:
            of = f" of {total:,}" if total else ""
            print(f"{label}: {done:,}{of}", file=stream, flush=True)

    yield tick
    print(f"{label}: {done:,} in {time.monotonic() - started:.1f} s", file=stream, flush=True)
