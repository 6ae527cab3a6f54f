"""Browser fixtures: the real API under `parley serve` on one port, a static blog on another,
and one Debian Chromium for the whole session (never a downloaded browser)."""

from __future__ import annotations

import hashlib
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
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.browser.harness import Console, Quiet, Servers

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
WEB_TOKEN = "browser-web-admin-token-0123456789"
WEB_TOKEN_HASH = "sha256:" + hashlib.sha256(WEB_TOKEN.encode()).hexdigest()
# Two test workers share two cores with Chromium and the servers: an assertion waits up to
# 15 s for the page to get there (Playwright's 5 s default was seen to run out under load).
expect.set_options(timeout=15_000)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="package")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    subprocess.run(["node", str(ROOT / "widget" / "build.mjs")], check=True, cwd=ROOT)
    tmp = tmp_path_factory.mktemp("browser")
    docroot = tmp / "site"
    docroot.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(docroot)))
    origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    port = _free_port()
    api = f"http://127.0.0.1:{port}"
    # Proof of work is required (the default) at a difficulty solved at once: the harness
    # solves one for every comment it seeds. "pow" keeps the default difficulty.
    easy = {"proof": "required", "proof_cost": 1, "proof_max": 20}
    common = {
        "origins": [origin], "rate_limit_per_minute": 100000, "edit_window_s": 900, **easy
    }  # fmt: skip
    env = {
        **os.environ,
        "PARLEY_STORE": f"sqlite:///{tmp / 'parley.db'}",
        "PARLEY_SECRET_KEYS": "browser-tests-secret-key-0123456789",
        "PARLEY_PUBLIC_URL": api,
        "PARLEY_SITES": json.dumps(
            {
                "demo": {**common, "moderation": "none"},
                "mod": {**common, "moderation": "all"},
                "pow": {"origins": [origin], "moderation": "none", "edit_window_s": 900},
                # Replies from the open web: its fetches reach stand-ins on 127.0.0.1.
                "web": {
                    **common,
                    "moderation": "none",
                    "fetch_private_addresses": True,
                    "admin_token_hashes": [WEB_TOKEN_HASH],
                    "announce_accounts": ["@owner@127.0.0.1"],
                },
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


# Package scope, not session: Playwright's sync API keeps an event loop running in the main
# thread while it is open, which breaks every later test that runs a loop of its own (Mangum).
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1000, "height": 800})
    yield ctx
    ctx.close()


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
