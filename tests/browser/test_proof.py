"""The widget's proof of work (widget/src/thread/features/proof.js) in a real Chromium, with
the `altcha` library as the oracle: challenges the library makes are solved by the widget's
solver in the page, and the payloads it returns are verified by the library's own verify."""

from __future__ import annotations

import subprocess
from pathlib import Path

import altcha
import pytest
from playwright.sync_api import Page

from tests.browser.harness import Servers

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"an oracle's own challenge secret"
KEY_SECRET = b"an oracle's own key secret"


@pytest.fixture(scope="module")
def solver() -> str:
    """The widget's solver alone, bundled from its source as the build bundles it, exposed as
    `parleySolve(challenge) -> payload` for the page to call."""
    entry = "import { solve } from './features/proof.js'; self.parleySolve = solve"
    script = (
        "require('esbuild').build({stdin: {contents: process.argv[1], resolveDir:"
        " 'widget/src/thread'}, bundle: true, minify: true, format: 'iife', write: false})"
        ".then((r) => process.stdout.write(r.outputFiles[0].text))"
    )
    run = subprocess.run(
        ["node", "-e", script, entry], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return run.stdout


def solve_in_page(page: Page, servers: Servers, solver: str, challenge: altcha.Challenge) -> str:
    # A bare page of the blog's origin (Web Crypto's subtle API needs a secure context, as
    # http://127.0.0.1 is).
    (servers.docroot / "oracle.html").write_text("<!doctype html><title>Oracle</title>")
    page.goto(servers.origin + "/oracle.html")
    page.add_script_tag(content=solver)
    # Bounded: a solver that never matches would otherwise try up to ten million counters.
    payload: str = page.evaluate(
        "(c) => Promise.race([parleySolve(c), new Promise((_, no) => setTimeout(no, 20000))])",
        challenge.to_dict(),
    )
    return payload


@pytest.mark.parametrize("fast", [True, False], ids=["key signature", "derived again"])
def test_the_solver_answers_the_librarys_challenge(
    page: Page, servers: Servers, solver: str, fast: bool
) -> None:
    # The server's kind of challenge: the counter drawn by the issuer, the key prefix half the
    # derived key. Verified by the key's signature (the server's path) and, without it, by the
    # library deriving the key again from the counter the page found.
    made = altcha.create_challenge(
        "PBKDF2/SHA-256",
        50,
        counter=37,
        expires_at=2**31,
        data={"site": "demo"},
        hmac_secret=SECRET,
        hmac_key_secret=KEY_SECRET if fast else None,
    )
    payload = solve_in_page(page, servers, solver, made)
    result = altcha.verify_solution(payload, SECRET, hmac_key_secret=KEY_SECRET if fast else None)
    assert result.verified, vars(result)
    sent = altcha.Payload.from_base64(payload)
    assert sent.solution.counter == 37
    assert sent.challenge.to_dict() == made.to_dict()  # the challenge goes back as it came


def test_the_solver_finds_the_first_counter_of_an_open_prefix(
    page: Page, servers: Servers, solver: str
) -> None:
    # A challenge with a short prefix and no counter chosen by the issuer (ALTCHA's other
    # mode): the page must find the same first counter as the library's own solver.
    made = altcha.create_challenge("PBKDF2/SHA-256", 20, key_prefix="0", hmac_secret=SECRET)
    payload = solve_in_page(page, servers, solver, made)
    assert altcha.verify_solution(payload, SECRET).verified
    reference = altcha.solve_challenge(made, timeout=30)
    assert reference is not None
    assert altcha.Payload.from_base64(payload).solution.counter == reference.counter
