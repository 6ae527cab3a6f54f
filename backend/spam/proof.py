"""Proof of work in ALTCHA's format (protocol v2, PBKDF2/SHA-256), made and verified with the
`altcha` library; each proof is spent once through the store's `use_once`.

Why v2 with PBKDF2 rather than v1 (SHA-256): in v1 each try is one SHA-256 of a few bytes, so
a browser pays a JavaScript-to-Web-Crypto round trip per hash while a bot's native loop pays
only the hash: the bot's cost per proof is a small fraction of the reader's. In v2 each try is
one PBKDF2 derivation of `cost` iterations, which Web Crypto computes natively in one call
(`deriveBits`), so a reader's browser spends close to what a bot's native code spends.

The challenge is deterministic (the server picks the counter, uniformly in 0..`max`): the time
to solve is spread evenly up to twice the median, never a long geometric tail, and the server
verifies with one HMAC of the derived key (the library's fast path) instead of re-deriving.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import altcha

from backend.domain import errors

ALGORITHM = "PBKDF2/SHA-256"
TTL_S = 1800  # a challenge is good for half an hour; the widget fetches a new one after that
MAX_PROOF_CHARS = 4096  # a real payload is ~700 characters


@dataclass(frozen=True, slots=True)
class Difficulty:
    cost: int  # PBKDF2 iterations per try
    max: int  # the counter is drawn uniformly from 0..max: max/2 tries at the median


@dataclass(frozen=True, slots=True)
class Verified:
    """A proof whose signature, site and expiry checked out, not yet spent."""

    spend_key: str
    expires: int


def _secret(key: str, purpose: str) -> bytes:
    return hashlib.sha256(f"parley.proof.{purpose}\0{key}".encode()).digest()


class Proofs:
    """Challenges signed with a key derived from PARLEY_SECRET_KEYS: the first signs, all
    verify (a rotation does not void the challenges of readers already typing).

    Expiry is the wall clock's, as the library checks it (`expiresAt` is in the challenge
    for any ALTCHA client to see)."""

    def __init__(self, keys: Sequence[str], *, wall: Callable[[], float] = time.time) -> None:
        self._secrets = [(_secret(k, "challenge"), _secret(k, "key")) for k in keys]
        self._wall = wall

    def challenge(self, site: str, difficulty: Difficulty) -> dict[str, Any]:
        """A new challenge for `site`, as the library's `to_dict()` gives it."""
        challenge_secret, key_secret = self._secrets[0]
        made = altcha.create_challenge(
            ALGORITHM,
            difficulty.cost,
            counter=secrets.randbelow(difficulty.max + 1),
            expires_at=int(self._wall()) + TTL_S,
            data={"site": site},
            hmac_secret=challenge_secret,
            hmac_key_secret=key_secret,
        )
        out: dict[str, Any] = made.to_dict()
        return out

    def verify(self, site: str, proof: str) -> Verified:
        """Check a payload's signature, site, expiry and solution; raise ProofRefused."""
        if not proof:
            raise errors.ProofRefused(
                "This site asks the comment form to prove some work; none was sent. Reload "
                "the page and post again.",
                reason="missing",
            )
        if len(proof) > MAX_PROOF_CHARS:
            raise errors.ProofRefused(reason="malformed")
        try:
            payload = altcha.Payload.from_base64(proof)
        except Exception:  # the library raises what json and base64 raise on bad input
            raise errors.ProofRefused(reason="malformed") from None
        params = payload.challenge.parameters
        if not isinstance(params.data, dict) or params.data.get("site") != site:
            raise errors.ProofRefused(reason="other site")
        if params.algorithm != ALGORITHM:
            raise errors.ProofRefused(reason="malformed")
        for challenge_secret, key_secret in self._secrets:
            result = altcha.verify_solution(payload, challenge_secret, hmac_key_secret=key_secret)
            if result.expired:
                raise errors.ProofRefused(
                    "The form's proof of work has expired; post again.", reason="expired"
                )
            if result.verified:
                signature = payload.challenge.signature or ""
                expires = params.expires_at if isinstance(params.expires_at, int) else 0
                return Verified("proof\0" + signature, expires)
            if result.invalid_signature is False:  # signed by us, but the work is wrong
                break
        raise errors.ProofRefused(reason="invalid")
