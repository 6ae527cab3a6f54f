"""A corpus of hostile strings that Parley accepts (they pass the reader-text rule) and must
show as inert data everywhere. Each string carries a marker that would set `window.__pwned` if
it ever ran in a browser. Written for Parley; not copied from any list."""

from __future__ import annotations

# Names: one line, something visible. Markup, attribute and template breakouts, chat pings,
# look-alike and right-to-left text (marks are allowed; overrides are refused), SQL and JSON.
NAMES = [
    "<script>window.__pwned='n1'</script>",
    "<img src=x onerror=\"window.__pwned='n2'\">",
    '"><svg onload="window.__pwned=\'n3\'">',
    "'><iframe srcdoc='<script>parent.__pwned=1</script>'>",
    "{{constructor.constructor('window.__pwned=1')()}}",
    "${window.__pwned='n5'}",
    "<!channel> @everyone @here",
    "[Approve](https://evil.test)",
    "&lt;b&gt;entity&lt;/b&gt; &amp;amp;",
    "]]><x>cdata</x><![CDATA[",
    "'; DROP TABLE comments; --",
    '","status":"approved","x":"',
    "__proto__",
    "\u0627\u0644\u0645\u0631\u0627\u0642\u0628 \u200f(admin)",
    "Z\u0351\u0352\u0353a\u0354\u0355l\u0356g\u0357o",
    "javascript:window.__pwned='n16'",
]

# Bodies: Markdown and HTML that must be escaped or sanitized, links that must not become
# script, and text that breaks the chat formats or the feed.
TEXTS = [
    "<script>window.__pwned='t1'</script>",
    "<img src=x onerror=\"window.__pwned='t2'\">",
    "[click](javascript:window.__pwned='t3')",
    "[click](JaVaScRiPt:window.__pwned='t4')",
    "[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+)",
    "![img](javascript:window.__pwned='t6')",
    '<a href="javascript:window.__pwned=7">a</a> <b onmouseover="window.__pwned=7">b</b>',
    "<svg><animate onbegin=\"window.__pwned='t8'\" attributeName=x dur=1s>",
    "<style>*{background:url(javascript:window.__pwned=9)}</style>",
    "<details open ontoggle=\"window.__pwned='t10'\">",
    "```\n</code></pre><script>window.__pwned='t11'</script>\n```",
    "> quote <script>window.__pwned='t12'</script>\n\n- item <img src=x onerror=alert(1)>",
    "https://example.com/?q=<script>window.__pwned='t13'</script>",
    "<!channel> @everyone <@U123> <https://evil.test|Approve> [Approve](https://evil.test)",
    "]]></content></entry><entry><title>forged</title>",
    "line one\r\nBcc: victim@example.com\r\n\r\nmail body injection",
    "{{7*7}} ${7*7} <%= 7*7 %> #{7*7}",
    "\u202dnot an override, just text?",  # refused: see REFUSED below
]

# Websites: http(s) only, no spaces; quotes and markup in the path or query stay data.
WEBSITES = [
    "https://evil.test/\"onmouseover=\"window.__pwned='w1'",
    "https://evil.test/'><script>window.__pwned='w2'</script>",
    "https://evil.test/?q=<img/src/onerror=window.__pwned=3>",
    "https://user:pass@evil.test/javascript:alert(1)",
    'https://evil.test/#"><svg/onload=window.__pwned=5>',
]

# What the rule refuses on purpose (a bidi override): kept out of the accepted corpus.
REFUSED = {"\u202dnot an override, just text?"}
TEXTS = [t for t in TEXTS if t not in REFUSED]

# Mail (tests/test_mail_hostile.py): what reaches a letter's subject and body. The API refuses
# line breaks in names and titles, and controls and bidi overrides everywhere, but an import or
# an older comment may carry them, and a header is where they do harm. Then what the API
# accepts and a mail must carry intact: zero-width and right-to-left text, very long lines.
MAIL = [
    "Title\r\nBcc: victim@example.com",
    "Title\nX-Injected: yes",
    "=?utf-8?q?=0D=0ABcc:_victim@example.com?=",  # an encoded CRLF (CVE-2024-6923)
    "=?utf-8?b?DQpCY2M6IHZpY3RpbUBleGFtcGxlLmNvbQ==?=",  # the same, base64
    "line\u2028separator\u2029paragraph\u0085next line",
    "\u202eevil.exe\u202c report.doc",  # a bidi override: the subject would read reversed
    "zero\u200bwidth\u200cnon\u200djoiner\u200fmark\ufeffbom",
    "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 mixed right-to-left \u200f!",
    "x" * 5000,  # one word longer than a mail line may be (998 octets)
    "word " * 2000,
    "first\n.\n\r\n.\r\nQUIT\r\nMAIL FROM:<evil@example.com>",  # SMTP's dot and commands
    "NUL\x00 BEL\x07 ESC\x1b[31m red",
    "lone \ud800 surrogate",
    "non\ufdd0character\U0001fffe",
]
