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
    """What a comment stores to draw its identicon from: a short keyed hash, stable per email,
    useless to reverse. Never served as it is: see `shown_avatar`."""
    return signer.keyed_hash("avatar", email.strip().lower() or author, size=8)


def shown_avatar(signer: Signer, site: str, stored: str) -> str:
    """The avatar a reader is shown: the stored one keyed again per site (and by the secret
    key), so the same address gives unrelated avatars on two sites, whatever was stored (an
    older hash, an import's). Computed on every read: nothing stored needs rewriting."""
    return signer.keyed_hash("avatar-shown", f"{site}\0{stored}", size=8) if stored else ""
