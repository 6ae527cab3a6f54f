"""The widget's answers (GET /embed.js): brotli to clients that accept it (the build's twin),
gzip to the others, and a 304 when a browser revalidates it, so a reader's return after the
five minutes of max-age costs headers rather than the script again (bench/RESULTS.md, cost)."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.api import meta
from backend.app import create_app
from backend.store.sqlite import SQLiteStore
from tests.conftest import make_settings

BROWSER = "gzip, deflate, br"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = SQLiteStore(tmp_path / "parley.db")
    store.setup()
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'parley.db'}"), store)
    with TestClient(app, base_url="http://api.test") as test_client:
        yield test_client
    store.close()


@pytest.fixture
def static(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A static directory of our own holding a copy of the built widget and its twin."""
    folder = tmp_path / "static"
    folder.mkdir()
    for name in ("embed.js", "embed.js.br"):
        shutil.copy2(meta.STATIC / name, folder / name)
    monkeypatch.setattr(meta, "STATIC", folder)
    return folder


def get(client: TestClient, **headers: str) -> tuple[Any, bytes]:
    """The answer and its body exactly as sent (httpx would otherwise undo the coding)."""
    with client.stream("GET", "/embed.js", headers=headers) as response:
        return response, b"".join(response.iter_raw())


def unbrotli(data: bytes) -> bytes:
    node = shutil.which("node")
    assert node is not None, "node is part of `make setup`"
    script = (
        "process.stdout.write(require('zlib').brotliDecompressSync(require('fs').readFileSync(0)))"
    )
    return subprocess.run([node, "-e", script], input=data, capture_output=True, check=True).stdout


def test_brotli_gzip_or_plain_as_the_client_accepts(client: TestClient, static: Path) -> None:
    plain = (static / "embed.js").read_bytes()
    answer, body = get(client, **{"accept-encoding": BROWSER})
    assert answer.status_code == 200 and answer.headers["content-encoding"] == "br"
    assert body == (static / "embed.js.br").read_bytes() and unbrotli(body) == plain
    assert len(body) < len(gzip.compress(plain, compresslevel=9))
    assert "accept-encoding" in answer.headers["vary"].lower()

    answer, body = get(client, **{"accept-encoding": "gzip, br;q=0"})
    assert answer.headers["content-encoding"] == "gzip" and gzip.decompress(body) == plain
    answer, body = get(client, **{"accept-encoding": "identity"})
    assert "content-encoding" not in answer.headers and body == plain
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == "public, max-age=300"


@pytest.mark.parametrize("accept", [BROWSER, "gzip", ""])
def test_a_revalidation_is_a_304_without_the_script(
    client: TestClient, static: Path, accept: str
) -> None:
    first, _ = get(client, **{"accept-encoding": accept})
    etag = first.headers["etag"]
    again, body = get(client, **{"accept-encoding": accept, "if-none-match": etag})
    assert again.status_code == 304 and body == b""
    assert again.headers["cache-control"] == "public, max-age=300"
    assert again.headers["etag"].removeprefix("W/") == etag.removeprefix("W/")
    # Another coding's tag is another representation: the script is sent.
    other, body = get(client, **{"accept-encoding": accept, "if-none-match": '"elsewhere"'})
    assert other.status_code == 200 and body


def test_a_rebuilt_widget_is_served_and_a_stale_twin_never(
    client: TestClient, static: Path
) -> None:
    first, _ = get(client, **{"accept-encoding": BROWSER})
    script = static / "embed.js"
    script.write_bytes(script.read_bytes() + b"\n/* rebuilt */")
    later = os.stat(static / "embed.js.br").st_mtime_ns + 1_000_000_000
    os.utime(script, ns=(later, later))  # the twin is now older than the script
    answer, body = get(
        client, **{"accept-encoding": BROWSER, "if-none-match": first.headers["etag"]}
    )
    assert answer.status_code == 200 and answer.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body).endswith(b"/* rebuilt */")


def test_no_widget_built_is_a_clear_404(client: TestClient, static: Path) -> None:
    (static / "embed.js").unlink()
    answer = client.get("/embed.js")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
