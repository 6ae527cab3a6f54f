"""Rate limits as a sliding window: a client may make `most` writes in any `window_s` seconds,
not `most` per fixed window (which lets 2 x `most` through across a window's boundary).

Estimated from two fixed-window counters, the current one and the one before it, weighted by
how much of the earlier window the sliding one still covers (the approximation nginx's and
Cloudflare's limiters use). One counter write a hit (`Store.hit_rate`, which counts refused
hits too: a client that keeps trying stays limited) and, unless that alone is over, one read of
the earlier counter (`Store.rate_hits`). Retry-After is when the next try would pass.
"""

from __future__ import annotations

import math

from backend.domain import errors
from backend.store.base import Store


def check(store: Store, site: str, client: str, most: int, window_s: int, now: float) -> None:
    """Count one hit; raise RateLimited when the sliding window holds more than `most`."""
    window = int(now) // window_s
    elapsed = now - window * window_s
    # The current counter lives on through the next window, where it is the earlier one.
    current = store.hit_rate(site, client, window, (window + 2) * window_s)
    earlier = 0 if current > most else store.rate_hits(site, client, window - 1)
    left = 1 - elapsed / window_s  # the share of the earlier window still inside the slide
    if earlier * left + current > most:
        wait = _wait(earlier, current, most, elapsed, window_s)
        raise errors.RateLimited(retry_after=max(1, math.ceil(wait)))


def _wait(earlier: int, current: int, most: int, elapsed: float, window_s: int) -> float:
    """Seconds until a next try (itself counted) would pass, if nobody else tries."""
    if current + 1 <= most and earlier:  # within this window, as the earlier one slides out
        share = (most - current - 1) / earlier  # what may be left of the earlier window
        return (1 - elapsed / window_s - share) * window_s
    # In the next window, where this window's `current` is the earlier count.
    share = max(0, most - 1) / current
    return (window_s - elapsed) + (1 - share) * window_s
