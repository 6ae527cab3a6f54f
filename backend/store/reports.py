"""What a store's maintenance calls report: a bulk write (`Written`), a repair run (`Repairs`).

Apart from `backend.store.base` so that a page view never builds them: each dataclass costs a
millisecond or more of every Lambda cold start (tests/test_coldstart_imports.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Written:
    """What a bulk write added: the rest was stored already."""

    threads: int = 0
    comments: int = 0


@dataclass(frozen=True, slots=True)
class Repairs:
    """What one `repair_marked` run did: the threads whose counters it made exact, the threads
    it left because a write may still be in flight there or their repair failed, and whether
    more marked threads wait past the run's bounds (threads, time)."""

    repaired: tuple[str, ...] = ()
    busy: tuple[str, ...] = ()
    more: bool = False
