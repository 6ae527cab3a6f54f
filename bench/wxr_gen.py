"""Write a WordPress export (WXR 1.2) of a given size, for the import benchmark.

Deterministic (seeded): THREADS posts with COMMENTS comments spread over them, replies nested
under earlier comments of the same post, a realistic mix of statuses (mostly approved, some
pending, spam, trash, pingbacks), authors in several scripts, bodies from one line to a few
paragraphs with links and the odd tag to sanitize. Streams to the file: memory stays flat.

    ../.venv/bin/python wxr_gen.py OUT.xml [--threads 10000] [--comments 100000]
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

NAMES = ["Ann", "Jürgen Müller", "李雷", "Алёна", "Σωκράτης", "Ngozi Okafor", "José",
         "山田 由紀", "Øyvind", "محمد", "Chloé", "Priya", "Kwame", "Zoë", "Björk"]  # fmt: skip
WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "readers",
         "argue", "about", "static", "sites", "comments", "threads", "replies", "and", "the",
         "weather", "in", "the", "archives", "of", "an", "old", "blog"]  # fmt: skip
APPROVED = [("1", 90), ("0", 5), ("spam", 3), ("trash", 1)]  # weights; pings come on top


def body(rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 5])):
        words = rng.choices(WORDS, k=rng.randint(5, 80))
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words)), '<a href="https://example.org/x">a link</a>')
        if rng.random() < 0.05:
            words.append("<script>alert(1)</script>")
        paragraphs.append(" ".join(words).capitalize() + ".")
    return "\n\n".join(paragraphs)


def comment(rng: random.Random, cid: int, parent: int, when: datetime) -> str:
    name = rng.choice(NAMES)
    approved = rng.choices([a for a, _ in APPROVED], [w for _, w in APPROVED])[0]
    kind = "pingback" if rng.random() < 0.01 else "comment"
    stamp = when.strftime("%Y-%m-%d %H:%M:%S")
    return (
        "\t\t<wp:comment>\n"
        f"\t\t\t<wp:comment_id>{cid}</wp:comment_id>\n"
        f"\t\t\t<wp:comment_author><![CDATA[{name}]]></wp:comment_author>\n"
        f"\t\t\t<wp:comment_author_email><![CDATA[reader{rng.randrange(30000)}@example.org]]>"
        "</wp:comment_author_email>\n"
        f"\t\t\t<wp:comment_author_url>https://reader.example/</wp:comment_author_url>\n"
        f"\t\t\t<wp:comment_author_IP><![CDATA[192.0.2.{rng.randrange(256)}]]>"
        "</wp:comment_author_IP>\n"
        f"\t\t\t<wp:comment_date><![CDATA[{stamp}]]></wp:comment_date>\n"
        f"\t\t\t<wp:comment_date_gmt><![CDATA[{stamp}]]></wp:comment_date_gmt>\n"
        f"\t\t\t<wp:comment_content><![CDATA[{body(rng)}]]></wp:comment_content>\n"
        f"\t\t\t<wp:comment_approved><![CDATA[{approved}]]></wp:comment_approved>\n"
        f"\t\t\t<wp:comment_type><![CDATA[{kind}]]></wp:comment_type>\n"
        f"\t\t\t<wp:comment_parent>{parent}</wp:comment_parent>\n"
        "\t\t</wp:comment>\n"
    )


def generate(out: Path, threads: int, comments: int, seed: int = 13) -> None:
    rng = random.Random(seed)
    start = datetime(2008, 1, 1, tzinfo=UTC)
    per_thread = [comments // threads] * threads
    for i in range(comments - sum(per_thread)):
        per_thread[i] += 1
    cid = 0
    with out.open("w", encoding="utf-8") as f:
        f.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
            "\t<title>Generated blog</title>\n\t<wp:wxr_version>1.2</wp:wxr_version>\n"
        )
        for post in range(threads):
            posted = start + timedelta(hours=12 * post)
            f.write(
                f"\t<item>\n\t\t<title>Post {post}</title>\n"
                f"\t\t<link>https://blog.example/{posted:%Y/%m}/post-{post}/</link>\n"
                f"\t\t<wp:post_id>{post + 1}</wp:post_id>\n"
                f"\t\t<wp:post_date_gmt>{posted:%Y-%m-%d %H:%M:%S}</wp:post_date_gmt>\n"
                "\t\t<wp:comment_status>open</wp:comment_status>\n"
                "\t\t<wp:post_type>post</wp:post_type>\n"
            )
            ids: list[int] = []
            when = posted
            for _ in range(per_thread[post]):
                cid += 1
                when += timedelta(minutes=rng.randint(1, 600))
                parent = rng.choice(ids) if ids and rng.random() < 0.4 else 0
                f.write(comment(rng, cid, parent, when))
                ids.append(cid)
            f.write("\t</item>\n")
        f.write("</channel>\n</rss>\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=100_000)
    args = parser.parse_args()
    generate(args.out, args.threads, args.comments)


if __name__ == "__main__":
    main()
