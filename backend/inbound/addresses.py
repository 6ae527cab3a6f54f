"""Which network addresses the guarded fetcher may connect to.

An address someone else named (a Webmention's source, a fediverse post) must be a public one:
never loopback, link-local (169.254.169.254 is the cloud's metadata service), private,
shared, reserved, multicast or unspecified. IPv6 spells IPv4 addresses in several ways, and
each is unwrapped and judged as the IPv4 address it reaches: IPv4-mapped (::ffff:a.b.c.d),
IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::). Teredo
(2001::/32) and local-use NAT64 (64:ff9b:1::/48) hide or translate an address we cannot
judge, so they are refused. Python's own `is_global` is not enough on its own: it calls
NAT64, 6to4, IPv4-compatible, site-local and multicast addresses global.
"""

from __future__ import annotations

import ipaddress
from typing import Final

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL: Final = ipaddress.ip_network("64:ff9b:1::/48")
_SIX_TO_FOUR: Final = ipaddress.ip_network("2002::/16")
_TEREDO: Final = ipaddress.ip_network("2001::/32")
_COMPATIBLE: Final = ipaddress.ip_network("::/96")


def parse(text: str) -> IP | None:
    """An IP address literal (brackets and an IPv6 zone allowed), or None for a name."""
    text = text.strip("[]")
    if "%" in text:  # fe80::1%eth0: a zone only means something on a link: judge the address
        text = text.split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches by translation, if it is one of those forms."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64 or (address in _COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _SIX_TO_FOUR:
        return address.sixtofour
    return None


def why_refused(address: IP) -> str | None:
    """None when the address is public; else why it is refused, for the log."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _TEREDO:
            return "a Teredo address"
        if address in _NAT64_LOCAL:
            return "a local-use NAT64 address"
        inner = embedded_ipv4(address)
        if inner is not None:
            why = why_refused(inner)
            return None if why is None else f"{why} (spelled as IPv6 {address})"
        if address.is_site_local:
            return "a site-local address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a reserved or shared address"
    return None
