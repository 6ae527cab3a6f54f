"""A subject with a non-ASCII word reads on the reader's side as it was written: no doubled
space where the header is folded before an encoded word."""

from __future__ import annotations

import email
from email import policy
from email.header import decode_header, make_header

import pytest

from backend.notify import letters


@pytest.mark.parametrize("width", range(10, 60, 3))
@pytest.mark.parametrize("dash", ["—", "-"])
def test_a_folded_subject_keeps_single_spaces(width: int, dash: str) -> None:
    subject = "A" * width + f" replied to your comment on Garden {dash} Field Notes, a long title"
    letter = letters.Letter("reader@example.org", subject, "text", "<p>html</p>")
    raw = letters.message(letter, sender="Blog <c@example.org>", message_id="m1").as_bytes()
    head = raw.split(b"\r\n\r\n")[0].decode("ascii")  # 7-bit on the wire
    assert all(len(line) <= 78 for line in head.split("\r\n"))
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert str(parsed["Subject"]) == subject
    # What a client that unfolds and decodes by the RFCs shows (RFC 5322 2.2.3, RFC 2047 6.2).
    lines = head.split("\r\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Subject: "))
    value = lines[start][len("Subject: ") :]
    for line in lines[start + 1 :]:
        if not line.startswith((" ", "\t")):
            break
        value += line
    assert str(make_header(decode_header(value.strip()))) == subject
