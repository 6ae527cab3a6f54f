"""The browser tests' harness: the static blog server and the API client used to seed."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import altcha

PAGE = """<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="icon" href="data:,"></head>
<body><main><h1>{title}</h1><p>A static blog post.</p>{extra}
<script src="{api}/embed.js" data-site="{site}" {attrs} async></script>
</main></body></html>
"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Servers:
    api: str
    origin: str
    docroot: Path
    keys: int = 0
    pages: set[str] = field(default_factory=set)

    def page(
        self,
        uri: str,
        *,
        attrs: str = "",
        extra: str = "",
        lang: str = "en",
        site: str = "demo",
        title: str = "Test post",
    ) -> str:
        """Write a blog page at `uri` with the embed pasted in; return its URL."""
        target = self.docroot / uri.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        html = PAGE.format(
            lang=lang, title=title, extra=extra, api=self.api, site=site, attrs=attrs
        )
        target.write_text(html, encoding="utf-8")
        return self.origin + uri

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Origin": self.origin, "Content-Type": "application/json"}
        req = urllib.request.Request(self.api + path, data, headers, method=method)
        with urllib.request.urlopen(req) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def proof(self, site: str = "demo") -> str:
        """A `proof` for the site's next post: its challenge solved by the `altcha` library,
        as any ALTCHA client would (the browser sites ask for an easy one)."""
        query = urllib.parse.urlencode({"site": site})
        made = altcha.Challenge.from_dict(self.request("GET", f"/api/v1/challenge?{query}"))
        solution = altcha.solve_challenge(made, timeout=30)
        assert solution is not None, "the challenge could not be solved"
        return altcha.Payload(made, solution).to_base64()

    def post(
        self,
        uri: str,
        author: str,
        text: str,
        *,
        parent: str | None = None,
        website: str | None = None,
        site: str = "demo",
    ) -> dict[str, Any]:
        """Post a comment straight to the API, as another reader would; return the comment."""
        self.keys += 1
        body: dict[str, Any] = {
            "site": site,
            "uri": uri,
            "author": author,
            "email": f"{author.split()[0].lower()}@example.com",
            "text": text,
            "key": f"seed-key-{self.keys:04d}",
            "hp": "",
            "proof": self.proof(site),
        }
        if parent:
            body["parent"] = parent
        if website:
            body["website"] = website
        return dict(self.request("POST", "/api/v1/comments", body)["comment"])


@dataclass
class Console:
    errors: list[str] = field(default_factory=list)
