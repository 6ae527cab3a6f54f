"""What one Lambda sandbox may spend a second, whoever asks: the flood ceiling's rule.

A Function URL has no throttle of its own, and every request that reaches the function is
billed: its request fee, its duration and the bytes it sends. Reserved concurrency bounds how
many sandboxes answer at once, not how fast each one answers, so a flood of cheap requests
(a 14 KB script answered in half a millisecond) costs dollars an hour per sandbox. A sandbox
answers one request at a time, so a budget kept in the process bounds that sandbox exactly:

- requests: at most `requests_per_s` (a bucket `burst_s` seconds deep); a request over it
  waits for the next one, so the sandbox's request rate, and with it the request fees, has a
  ceiling whatever the attacker sends;
- bytes: answers are charged after they are sent (their size is not known before); while the
  sandbox is in debt, requests wait until it is repaid, at most `max_wait_s`, then get a small
  429 (the next request waits again, so refusals come at most one a `max_wait_s`);
- per network (an IPv4 /24, an IPv6 /64): at most `network_requests_per_s`; a network over
  its share gets a small 429, without a storage read or write, so one network cannot spend
  the bytes and the table's units that the others' readers need.

Waiting is sleeping, not computing: a sleeping sandbox bills duration only (1,024 MB: $0.048
an hour), and takes no other request meanwhile. bench/flood.py turns these bounds into the
worst hour. Nothing here is stored: a new sandbox starts with full buckets.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict
from dataclasses import dataclass, field

NETWORKS_KEPT = 4096  # networks remembered per sandbox, least recently seen dropped first


@dataclass(frozen=True, slots=True)
class SandboxCeiling:
    """What one sandbox answers at most: requests and bytes a second, and per network."""

    requests_per_s: float
    bytes_per_s: float
    network_requests_per_s: float
    burst_s: float = 2.0
    max_wait_s: float = 1.0

    @classmethod
    def parse(cls, text: str) -> SandboxCeiling | None:
        """`REQUESTS,BYTES,NETWORK_REQUESTS` per second, e.g. `20,131072,5`; empty: none."""
        text = text.strip()
        if not text:
            return None
        parts = [p.strip() for p in text.split(",")]
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            numbers = []
        if len(numbers) != 3 or not all(0 < n < 1e12 for n in numbers):
            raise ValueError(
                "three positive numbers, requests,bytes,network requests per second "
                "(e.g. 20,131072,5)"
            )
        requests, size, network = numbers
        if network > requests:
            raise ValueError("a network's share cannot exceed the sandbox's requests")
        return cls(requests, size, network)


@dataclass(frozen=True, slots=True)
class Admission:
    """The ceiling's word on one request: wait, then answer or refuse."""

    wait_s: float  # sleep this long first
    admitted: bool  # then answer (True) or refuse with a small 429 (False)


def network_of(address: str) -> str:
    """The network an address belongs to for sharing: its /24 (IPv4) or /64 (IPv6); anything
    that is not an address (a test client's name) is its own network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@dataclass(slots=True)
class Budget:
    """The buckets of one sandbox (one process). Times are the caller's clock, in seconds."""

    ceiling: SandboxCeiling
    requests: float = field(init=False)
    bytes: float = field(init=False)
    at: float | None = None
    networks: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        self.requests = self.ceiling.requests_per_s * self.ceiling.burst_s
        self.bytes = self.ceiling.bytes_per_s * self.ceiling.burst_s

    def _refill(self, now: float) -> None:
        c = self.ceiling
        if self.at is not None and now > self.at:
            elapsed = now - self.at
            self.requests = min(c.requests_per_s * c.burst_s,
                                self.requests + elapsed * c.requests_per_s)  # fmt: skip
            self.bytes = min(c.bytes_per_s * c.burst_s, self.bytes + elapsed * c.bytes_per_s)
        self.at = now if self.at is None else max(self.at, now)

    def admit(self, now: float, address: str) -> Admission:
        """Whether a request arriving at `now` from `address` is answered, and after how long.
        The request's token is taken at the time it will be answered."""
        c = self.ceiling
        self._refill(now)
        wait = max(0.0, (1.0 - self.requests) / c.requests_per_s, -self.bytes / c.bytes_per_s)
        if wait > c.max_wait_s:
            # Refused after the longest wait: the refusal's own token is taken at its answer
            # (it may overdraw the bucket: the next request then waits for it).
            self._refill(now + c.max_wait_s)
            self.requests -= 1.0
            return Admission(c.max_wait_s, False)
        self._refill(now + wait)
        self.requests -= 1.0
        return Admission(wait, self._network_admits(now + wait, network_of(address)))

    def _network_admits(self, now: float, network: str) -> bool:
        c = self.ceiling
        depth = c.network_requests_per_s * c.burst_s * 5  # a page view's few requests at once
        level, at = self.networks.pop(network, (depth, now))
        level = min(depth, level + max(0.0, now - at) * c.network_requests_per_s)
        admitted = level >= 1.0
        self.networks[network] = (level - 1.0 if admitted else level, now)
        if len(self.networks) > NETWORKS_KEPT:
            self.networks.popitem(last=False)
        return admitted

    def charge(self, sent_bytes: int) -> None:
        """The bytes an answer put on the wire (headers and body), after it was sent."""
        self.bytes -= sent_bytes
