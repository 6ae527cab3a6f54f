"""What a block is keyed by: the keyed hashes Parley already keeps, never a raw address.

A network's key is its keyed hash (a comment's `ip_hash`, a voter's hash); an email's is a
keyed hash of the address, lower-cased. Both are keyed by the current secret
(PARLEY_SECRET_KEYS): a rotation makes new hashes, and every block lapses (SECURITY.md).
"""

from __future__ import annotations

from backend.domain.tokens import Signer


def network_key(client: str) -> str:
    """The block key of a network, from its keyed hash (a comment's `ip_hash`, a voter)."""
    return "network:" + client


def email_key(signer: Signer, site: str, email: str) -> str:
    return "email:" + signer.keyed_hash("block", f"{site}\0{email.strip().lower()}")


def keys_of(signer: Signer, site: str, client: str, email: str) -> list[str]:
    """What a post from this network and address is blocked by."""
    keys = [network_key(client)] if client else []
    return keys + ([email_key(signer, site, email)] if email.strip() else [])
