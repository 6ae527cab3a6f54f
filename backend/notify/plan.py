"""What the worker's planning of an event yields: deliveries to make, or "not yet"."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass


class Later(Exception):
    """Planning found the event not ready (a confirmation for a held comment): due again in
    `seconds`, no attempt counted."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"not ready; again in {seconds} s")
        self.seconds = seconds


@dataclass(frozen=True)
class Delivery:
    key: str  # idempotency key
    what: str  # for logs: never an address
    send: Callable[[], None]


def delivery_id(key: str) -> str:
    """A delivery's public id (the mail's Message-ID, the webhook's delivery header)."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]
