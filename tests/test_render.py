"""The Markdown subset and its sanitizing."""

from __future__ import annotations

import pytest

from backend.domain.render import render
from tests.helpers import parse_tags


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("plain", "<p>plain</p>"),
        ("*em* **strong** `code`", "<p><em>em</em> <strong>strong</strong> <code>code</code></p>"),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
        ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        ("1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>"),
        ("```\nx < y\n```", "<pre><code>x &lt; y\n</code></pre>"),
        (
            "see https://x.com/a?b=1",
            '<p>see <a href="https://x.com/a?b=1" rel="nofollow ugc noopener">'
            "https://x.com/a?b=1</a></p>",
        ),
        ("# not a heading", "<p># not a heading</p>"),
        ("<b>raw</b>", "<p>&lt;b&gt;raw&lt;/b&gt;</p>"),
        (
            "![alt](https://x.com/i.png)",
            '<p><a href="https://x.com/i.png" rel="nofollow ugc noopener">alt</a></p>',
        ),
        ("para one\n\npara two", "<p>para one</p>\n<p>para two</p>"),
    ],
)
def test_subset(text: str, html: str) -> None:
    assert render(text) == html


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "<javascript:alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[x](vbscript:msgbox(1))",
    ],
)
def test_no_script_links(text: str) -> None:
    for _, attrs in parse_tags(render(text)):
        assert attrs.get("href", "https://").startswith(("https://", "http://", "#"))
