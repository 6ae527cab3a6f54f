"""Who a reader is, as far as Parley ever knows: keyed hashes, never raw IPs or emails."""

from __future__ import annotations

import ipaddress

from backend.domain.tokens import Signer


def network_of(ip: str) -> str:
    """The client's network: the IPv4 address, or the /64 an IPv6 host gets from its ISP."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_hash(signer: Signer, site: str, ip: str) -> str:
    return signer.keyed_hash("client", f"{site}\0{network_of(ip)}")


def avatar_hash(signer: Signer, email: str, author: str) -> str:
    """A short keyed hash for the widget's identicon: stable per email, useless to reverse."""
    return signer.keyed_hash("avatar", email.strip().lower() or author, size=8)
