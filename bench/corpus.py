"""A fixed corpus of varied, realistic comment text for the cost and gzip benchmarks.

    ../.venv/bin/python corpus.py            # rewrites bench/corpus.jsonl (seeded: same file)

Blog comments are not near-identical: lengths spread over two orders of magnitude (a one-line
"Thanks!" to a few paragraphs), words follow a Zipf-like frequency, some comments quote, link,
emphasise or show code, about a third are replies, and authors repeat. The generator draws
each of those from a seeded random source over its own word list, so the file is committed
and every benchmark reads the same 300 comments. Length: log-normal around 230 characters, whole
sentences, so the realised median is 287, p10 101, p90 933, max 4,085 (`summary()`).
"""

from __future__ import annotations

import json
import math
import random
import statistics
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus.jsonl"
SEED = 20261130
COUNT = 300

_WORDS = """
the of and to a in is it that for you this was with on are as have be at not but
they what so can one all we if about there my more your just like do an or would
when which some out think time had me their been how has no very them get also really
post know than people good other could only then these our make way because any much
thanks great see work same first year need even well point still here most read new
article write use find something right going back where after better never why those
thing many while years two own both each few another before since might said through
made over long agree problem question answer interesting helpful useful clear idea
example code data test version update release change fix bug issue page site blog
author comment reply link source book paper chapter section figure table result
approach method design pattern model system server client browser network cache
database query index memory disk file folder script function class module package
library framework tool editor terminal command option flag setting config default
python rust javascript go java linux windows mac phone laptop desktop cloud lambda
morning evening weekend holiday winter summer spring autumn coffee tea dinner garden
city village river mountain coast train bike walk drive flight weather rain snow sun
family friend neighbour teacher student colleague manager team company customer user
remember forgot tried tested measured noticed wondered learned explained showed built
broke fixed moved started stopped finished missed liked loved hated enjoyed bought
simple complex fast slow cheap expensive small large old recent early late easy hard
honest fair strange odd lovely beautiful ugly quiet loud careful lucky happy sad
exactly perhaps probably certainly usually sometimes rarely often almost nearly quite
however although unless whether therefore otherwise instead meanwhile indeed anyway
"""
_NAMES = """Ada Ben Chloé Dmytro Elena Farid Grace Hiro Ines Jonas Kateryna Liam Mei Nikos
Olga Pedro Quinn Rosa Sven Tariq Uma Viktor Wen Ximena Yusuf Zoe JKB anna_k bobthebuilder
deltaforce mkw pete88 rosie.p the_gardener"""
WORDS = _WORDS.split()
NAMES = _NAMES.split()
CODE = [
    "`make test`",
    "`git bisect`",
    "`SELECT count(*) FROM comments`",
    "`pip install --require-hashes`",
    "`Cache-Control: max-age=0`",
]


def zipf_word(rng: random.Random) -> str:
    # Rank r drawn with weight ~ 1/r: common words dominate, the tail is long.
    r = int(math.exp(rng.random() * math.log(len(WORDS) + 1))) - 1
    return WORDS[min(max(r, 0), len(WORDS) - 1)]


def sentence(rng: random.Random) -> str:
    n = max(3, int(rng.gauss(13, 6)))
    words = [zipf_word(rng) for _ in range(n)]
    if rng.random() < 0.08:
        words.insert(rng.randrange(len(words)), f"{rng.randint(2, 2026)}")
    if rng.random() < 0.06:
        words.insert(rng.randrange(len(words)), f"*{zipf_word(rng)}*")
    if rng.random() < 0.04:
        words.insert(rng.randrange(len(words)), rng.choice(CODE))
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "!", "?", "..."])


def comment_text(rng: random.Random) -> str:
    target = min(4000, max(8, int(rng.lognormvariate(math.log(230), 0.95))))
    if target < 25:
        return rng.choice(["Thanks!", "Great post.", "+1", "Same here.", "Agreed!", "Thank you :)"])
    paragraphs: list[str] = []
    para: list[str] = []
    length = 0
    while length < target:
        para.append(sentence(rng))
        length += len(para[-1]) + 1
        if rng.random() < 0.3:
            paragraphs.append(" ".join(para))
            para = []
    if para:
        paragraphs.append(" ".join(para))
    if rng.random() < 0.12:
        paragraphs.insert(0, "> " + sentence(rng))
    if rng.random() < 0.1:
        slug = "-".join(zipf_word(rng) for _ in range(3))
        paragraphs.append(f"More here: https://example.org/{rng.randint(2015, 2026)}/{slug}/")
    return "\n\n".join(paragraphs)


def generate() -> list[dict[str, object]]:
    rng = random.Random(SEED)
    comments: list[dict[str, object]] = []
    for i in range(COUNT):
        author = rng.choice(NAMES)
        parent = None
        if comments and rng.random() < 0.33:
            parent = rng.randrange(max(0, i - 20), i)  # replies point at recent comments
        comments.append(
            {
                "n": i,
                "author": author,
                "email": f"{author.lower().replace('.', '')}@example.net",
                "website": f"https://{author.lower()}.example.com" if rng.random() < 0.3 else "",
                "parent": parent,
                "text": comment_text(rng),
            }
        )
    return comments


def load() -> list[dict[str, object]]:
    return [json.loads(line) for line in OUT.read_text(encoding="utf-8").splitlines()]


def summary(comments: list[dict[str, object]]) -> dict[str, float]:
    lengths = sorted(len(str(c["text"])) for c in comments)
    return {
        "comments": len(lengths),
        "median_chars": statistics.median(lengths),
        "p10_chars": lengths[len(lengths) // 10],
        "p90_chars": lengths[len(lengths) * 9 // 10],
        "max_chars": lengths[-1],
        "replies": sum(1 for c in comments if c["parent"] is not None),
    }


def main() -> None:
    comments = generate()
    OUT.write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in comments), encoding="utf-8"
    )
    print(json.dumps(summary(comments)))


if __name__ == "__main__":
    main()
