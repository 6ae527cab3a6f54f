"""A site's spam model: naive Bayes over the tokens of the comments its owner decided on.

For each token, how many spam and how many legitimate comments carried it, and how many of
each were taught. A comment's score combines the evidence of its most telling tokens (Robinson's
smoothed ratios with equal priors: an owner's queue is no sample of the site's traffic) into a
probability of spam by Fisher's method. Every known token counts, neutral ones too: they pull a
comment with little evidence towards 0.5, so a short comment that shares two words with some
spam is not judged as surely as one that shares twenty. Nothing is known until the owner has
decided on a few of each kind: until then every comment scores 0.5, and nothing is held for
its words.

The model is bounded: past MAX_TOKENS it keeps the tokens seen most often, so its stored size
stays under MAX_BYTES whatever the site's traffic (one DynamoDB item of at most 400 KB).
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_TOKENS = 6000
MAX_BYTES = 300_000
MIN_EACH = 3  # decisions of each kind before the model judges
TELLING = 150  # tokens that decide a score: the furthest from neutral
STRENGTH = 1.0  # Robinson's s: how much a rarely seen token is pulled towards 0.5
FORMAT = 1


@dataclass(frozen=True, slots=True)
class Score:
    spam: float  # 0..1
    top: tuple[str, ...] = ()  # the tokens that pushed the score up the most

    def describe(self) -> str:
        words = ", ".join(t.split(":", 1)[1] if t.startswith("w:") else t for t in self.top)
        return f"score {self.spam:.2f}" + (f": {words}" if words else "")


@dataclass
class Model:
    spam: int = 0  # comments taught as spam
    ham: int = 0  # comments taught as legitimate
    counts: dict[str, list[int]] = field(default_factory=dict)  # token -> [spam, ham]

    # -- teaching --------------------------------------------------------------------------------

    def learn(self, tokens: Iterable[str], spam: bool, times: int = 1) -> None:
        index = 0 if spam else 1
        for token in tokens:
            pair = self.counts.setdefault(token, [0, 0])
            pair[index] += times
        if spam:
            self.spam += times
        else:
            self.ham += times
        if len(self.counts) > MAX_TOKENS * 6 // 5:
            self.prune()

    def prune(self) -> None:
        """Keep the MAX_TOKENS tokens seen most often (ties: the most one-sided)."""
        ranked = sorted(
            self.counts.items(), key=lambda kv: (-(kv[1][0] + kv[1][1]), -abs(kv[1][0] - kv[1][1]))
        )
        self.counts = dict(ranked[:MAX_TOKENS])

    # -- judging ---------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self.spam >= MIN_EACH and self.ham >= MIN_EACH

    def score(self, tokens: Iterable[str]) -> Score:
        """Robinson's smoothed probability per token, combined by Fisher's method (as
        SpamBayes does): `spam` near 1 or 0 when the telling tokens agree, near 0.5 when they
        disagree or when there are none."""
        if not self.ready:
            return Score(0.5)
        telling: list[tuple[float, str]] = []
        for token in tokens:
            pair = self.counts.get(token)
            if pair is None:
                continue
            spam_ratio = pair[0] / self.spam
            ham_ratio = pair[1] / self.ham
            p = spam_ratio / (spam_ratio + ham_ratio)
            n = pair[0] + pair[1]
            telling.append(((STRENGTH * 0.5 + n * p) / (STRENGTH + n), token))
        telling.sort(key=lambda e: -abs(e[0] - 0.5))
        telling = telling[:TELLING]
        if not telling:
            return Score(0.5)
        ham_side = _chi2q(-2 * sum(math.log(f) for f, _ in telling), 2 * len(telling))
        spam_side = _chi2q(-2 * sum(math.log(1 - f) for f, _ in telling), 2 * len(telling))
        probability = (1 + ham_side - spam_side) / 2
        top = tuple(t for f, t in sorted(telling, reverse=True)[:5] if f > 0.5)
        return Score(probability, top)

    # -- storing ---------------------------------------------------------------------------------

    def dump(self) -> bytes:
        data = {"format": FORMAT, "spam": self.spam, "ham": self.ham, "counts": self.counts}
        packed = zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 6)
        while len(packed) > MAX_BYTES and len(self.counts) > 100:  # far past any real site
            self.counts = dict(list(self.counts.items())[: len(self.counts) * 3 // 4])
            return self.dump()
        return packed

    @classmethod
    def load(cls, blob: bytes) -> Model:
        data = json.loads(zlib.decompress(blob))
        if data.get("format") != FORMAT:
            return cls()
        return cls(int(data["spam"]), int(data["ham"]), dict(data["counts"]))


def _chi2q(x2: float, v: int) -> float:
    """P(chi-squared with v degrees of freedom >= x2), for even v."""
    m = x2 / 2.0
    total = term = math.exp(-m)
    for i in range(1, v // 2):
        term *= m / i
        total += term
    return min(total, 1.0)
