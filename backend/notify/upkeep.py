"""The schedule's upkeep of counters: each scheduled run of the worker (every 5 minutes on AWS,
hourly in `parley serve`) repairs, site by site, the threads whose counters a cut-short write
left off (docs/dynamodb.md, "Exact once writes settle").

Cheap when nothing was cut short (a Query per shard of the sparse marks index, no Scan) and
bounded when much was: at most THREADS_PER_SITE threads per site and run, and no thread started
once the run is out of time (on Lambda: less than RESERVE_MS of the invocation left); the rest
wait for the next run, which the log says. Each run starts with the next site (and the store
with the next shard of its marks index), so sites or threads that keep failing cannot keep the
others waiting. A marker younger than any request lives is never touched: its writer may still
be running. A store that never leaves markers (SQLite) does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from backend.store.base import Store, turn

log = logging.getLogger("parley.repair")

THREADS_PER_SITE = 25  # a thread costs one consistent Query of its partition, plus fixes
# Time kept back when the run may start no more threads: one thread's repair (a consistent
# Query and its fixes, each up to 3 attempts of a 3 s read timeout) and the function's return.
RESERVE_MS = 15_000


def time_left(remaining_ms: Callable[[], int]) -> Callable[[], bool]:
    """`out_of_time` for a Lambda invocation: its context's `get_remaining_time_in_millis`."""
    return lambda: remaining_ms() < RESERVE_MS


def repair_counters(
    store: Store,
    sites: Iterable[str],
    *,
    now_ms: int,
    limit: int = THREADS_PER_SITE,
    out_of_time: Callable[[], bool] | None = None,
) -> int:
    """Repair the marked threads of each site, from this run's turn's site on; returns how many
    threads were recounted. A failing site is logged and skipped (the next run retries it); the
    others still run. No site is started once `out_of_time()`."""
    names = list(sites)
    start = turn(now_ms) % len(names) if names else 0
    recounted = 0
    for n, site in enumerate(names[start:] + names[:start]):
        if out_of_time is not None and out_of_time():
            log.warning("out of time: %d sites left for the next run", len(names) - n)
            break
        try:
            done = store.repair_marked(site, limit=limit, now=now_ms, out_of_time=out_of_time)
        except Exception:
            log.exception("counter repair of site %s failed; the next run retries", site)
            continue
        if done.repaired:  # a write was cut short (a timeout, a throttled counter move)
            log.warning(
                "site %s: counters recounted in %d threads: %s",
                site,
                len(done.repaired),
                ", ".join(done.repaired),
            )
        if done.busy:
            log.info("site %s: %d marked threads busy, left for the next run", site, len(done.busy))
        if done.more:
            log.warning("site %s: more marked threads wait; the next run goes on", site)
        recounted += len(done.repaired)
    return recounted
