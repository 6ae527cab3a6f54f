"""The demo thread `make dev` shows on first start."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from backend.app import create_app
from backend.demo import DEMO_URI, SEED, seed_demo
from backend.settings import Settings
from backend.store.base import Store
from tests.conftest import ORIGIN, make_settings
from tests.helpers import proof


def test_seed_once_with_replies_and_likes(store: Store, settings: Settings) -> None:
    demo = make_settings("sqlite:///unused.db", sites={"demo": {"origins": []}})
    demo = Settings(**{**settings.__dict__, "sites": demo.sites})
    assert seed_demo(demo, store) == len(SEED)
    assert seed_demo(demo, store) == 0  # never twice
    page = store.read_page("demo", DEMO_URI, after=None, limit=50)
    assert page.thread is not None and page.thread.count == len(SEED)
    assert [c.author for c in page.comments] == [author for author, _, _ in SEED]
    assert page.comments[0].replies == 3 and page.comments[4].likes == 1
    assert page.comments[1].likes == 5


def test_seed_on_a_site_that_holds_comments(store: Store, settings: Settings) -> None:
    """Issue 11, item 7: `parley serve --demo` crashed when the demo site had moderation on
    (a reply needs an approved parent). The seed is approved as it goes."""
    held = {"demo": {"origins": [], "moderation": "all"}}
    demo = Settings(**{**settings.__dict__, "sites": make_settings("sqlite:///x", held).sites})
    assert seed_demo(demo, store) == len(SEED)
    page = store.read_page("demo", DEMO_URI, after=None, limit=50)
    assert page.thread is not None and page.thread.count == len(SEED)
    assert page.comments[0].replies == 3 and page.comments[1].likes == 5


def test_seed_keys_are_not_guessable(store: Store, settings: Settings, tmp_path: Any) -> None:
    """Issue 11, item 6: the seed used fixed idempotency keys (demo-seed-00, ...), and a post
    with one of them was answered with a working edit token for the seeded comment."""
    demo = make_settings("sqlite:///unused.db", sites={"demo": {"origins": [ORIGIN]}})
    demo = Settings(**{**settings.__dict__, "sites": demo.sites})
    seed_demo(demo, store)
    seeded = {c.id for c in store.read_page("demo", DEMO_URI, after=None, limit=50).comments}
    app = create_app(demo, store)
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as client:
        for number in range(len(SEED)):
            body = {
                "site": "demo", "uri": DEMO_URI, "author": "Mallory", "email": "m@evil.test",
                "text": "mine now", "key": f"demo-seed-{number:02d}",
                    "proof": proof(client, "demo"),
            }  # fmt: skip
            response = client.post("/api/v1/comments", json=body)
            assert response.status_code == 201, response.text
            assert response.json()["comment"]["id"] not in seeded


def test_serve_demo_prints_the_urls_and_a_working_admin_token(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env["PARLEY_STORE"] = f"sqlite:///{tmp_path / 'parley.db'}"
    parley = Path(sys.executable).with_name("parley")
    cmd = [str(parley), "serve", "--demo", "--port", str(port), "--no-access-log"]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not any("Demo:" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        lines.append(proc.stdout.readline())  # printed with the demo's: the admin's URL
        text = "".join(lines)
        base = f"http://127.0.0.1:{port}"
        assert f"{base}/demo/" in text
        admin = re.search(r"Admin:\s+(\S+)", text)
        assert admin and admin.group(1).startswith(f"{base}/admin#site=demo&token=")
        token = admin.group(1).split("token=")[1]
        assert (tmp_path / "parley.db.admin-token").stat().st_mode & 0o077 == 0
        deadline = time.monotonic() + 30
        while True:
            try:
                req = urllib.request.Request(
                    f"{base}/api/v1/admin/comments?site=demo&status=approved",
                    headers={"Authorization": f"Bearer {token}"},
                )
                with urllib.request.urlopen(req) as resp:
                    assert resp.status == 200
                    assert len(json.loads(resp.read())["comments"]) == len(SEED)
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
