"""The schedule's upkeep of counters: each scheduled run of the worker (every 5 minutes on AWS,
hourly in `parley serve`) repairs, site by site, the threads whose counters a cut-short write
left off (docs/dynamodb.md, "Exact once writes settle").

Cheap when nothing was cut short (a Query per shard of the sparse marks index, no Scan) and
bounded when much was: at most THREADS_PER_SITE threads per site and run; the rest wait for the
next run, which the log says. A marker younger than any request lives is never touched: its
writer may still be running. A store that never leaves markers (SQLite) does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from backend.store.base import Store

log = logging.getLogger("parley.repair")

THREADS_PER_SITE = 25  # a thread costs one consistent Query of its partition, plus fixes


def repair_counters(
    store: Store, sites: Iterable[str], *, now_ms: int | None = None, limit: int = THREADS_PER_SITE
) -> int:
    """Repair the marked threads of each site; returns how many threads were recounted. A
    failing site is logged and skipped (the next run retries it); the others still run."""
    recounted = 0
    for site in sites:
        try:
            done = store.repair_marked(site, limit=limit, now=now_ms)
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
