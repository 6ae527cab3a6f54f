"""Browser fixtures: the real API under `parley serve` on one port, a static blog on another,
and one Debian Chromium for the whole session (never a downloaded browser)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE = """<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="icon" href="data:,"></head>
<body><main><h1>{title}</h1><p>A static blog post.</p>{extra}
<script src="{api}/embed.js" data-site="{site}" {attrs} async></script>
</main></body></html>
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Quiet(SimpleHTTPRequestHandler):
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
        }
        if parent:
            body["parent"] = parent
        if website:
            body["website"] = website
        return dict(self.request("POST", "/api/v1/comments", body)["comment"])


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    subprocess.run(["node", str(ROOT / "widget" / "build.mjs")], check=True, cwd=ROOT)
    tmp = tmp_path_factory.mktemp("browser")
    docroot = tmp / "site"
    docroot.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(docroot)))
    origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    port = _free_port()
    api = f"http://127.0.0.1:{port}"
    common = {"origins": [origin], "rate_limit_per_minute": 100000, "edit_window_s": 900}
    env = {
        **os.environ,
        "PARLEY_STORE": f"sqlite:///{tmp / 'parley.db'}",
        "PARLEY_SECRET_KEYS": "browser-tests-secret-key-0123456789",
        "PARLEY_PUBLIC_URL": api,
        "PARLEY_SITES": json.dumps(
            {
                "demo": {**common, "moderation": "none"},
                "mod": {**common, "moderation": "all"},
            }
        ),
    }
    parley = Path(sys.executable).with_name("parley")
    log = (tmp / "api.log").open("w")
    proc = subprocess.Popen(
        [str(parley), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(api + "/healthz") as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "parley serve did not start:\n" + (tmp / "api.log").read_text()
                    ) from None
                time.sleep(0.1)
        yield Servers(api=api, origin=origin, docroot=docroot)
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1000, "height": 800})
    yield ctx
    ctx.close()


@dataclass
class Console:
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(context: BrowserContext, console: Console) -> Page:
    """A fresh page (own localStorage) that records console errors and uncaught exceptions."""
    pg = context.new_page()
    pg.on("console", lambda m: console.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: console.errors.append(f"pageerror: {e}"))
    return pg


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
