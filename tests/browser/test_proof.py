"""The widget's proof of work (widget/src/thread/features/proof.js) in a real Chromium, with
the `altcha` library as the oracle: challenges the library makes are solved by the widget's
solver in the page, and the payloads it returns are verified by the library's own verify."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
from pathlib import Path

import altcha
import pytest
from playwright.sync_api import Page, Request, Route, expect

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


def fill(page: Page, name: str, text: str) -> None:
    form = page.locator("#parley form:has(#pf-text)")
    form.get_by_role("textbox", name=re.compile("^Name")).fill(name)
    form.get_by_role("textbox", name=re.compile("^Email")).fill("reader@example.com")
    form.get_by_role("textbox", name=re.compile("^Comment")).fill(text)


def requests_to(page: Page, path: str) -> list[Request]:
    seen: list[Request] = []
    page.on("request", lambda r: seen.append(r) if path in r.url else None)
    return seen


def test_the_form_proves_its_work_where_a_bot_is_refused(page: Page, servers: Servers) -> None:
    # The "pow" site says nothing of `proof`: required, at the default difficulty.
    uri = "/t/pow/"
    challenges = requests_to(page, "/api/v1/challenge")
    posts = requests_to(page, "/api/v1/comments")
    page.goto(servers.page(uri, site="pow"))
    expect(page.locator("#parley h2")).to_have_text("No comments yet")
    assert challenges == []  # a page view asks for no challenge
    with page.expect_request(re.compile(r"/api/v1/challenge\?site=pow$")):
        page.locator("#parley #pf-author").focus()  # the reader starts on the form
    fill(page, "Ada", "Proved in the background.")
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator("#parley article", has_text="Ada says:")).to_contain_text(
        "Proved in the background."
    )
    expect(page.locator("#parley [role=status]")).to_have_text("Your comment was posted.")
    assert len(challenges) == 1  # fetched on focus, solved while the form was filled
    body = json.loads(next(r for r in posts if r.method == "POST").post_data or "{}")
    solution = altcha.Payload.from_base64(body["proof"]).solution
    assert solution.counter >= 0 and solution.derived_key

    # The widget's JSON without the widget's work: refused with 422 `proof`, nothing stored.
    bot = {
        "site": "pow", "uri": uri, "author": "Bot", "email": "bot@example.com",
        "text": "Cheap pills", "key": "bot-key-0000000001", "hp": "",
    }  # fmt: skip
    for proof in ({}, {"proof": body["proof"]}):  # none, then the reader's spent one
        with pytest.raises(urllib.error.HTTPError) as refused:
            servers.request("POST", "/api/v1/comments", {**bot, **proof})
        assert refused.value.code == 422
        assert json.loads(refused.value.read())["error"]["code"] == "proof"
    read = servers.request("GET", f"/api/v1/comments?site=pow&uri={uri}")
    assert [c["author"] for c in read["comments"]] == ["Ada"]


def test_a_refused_proof_is_renewed_once_keeping_the_draft(page: Page, servers: Servers) -> None:
    uri = "/t/pow-renewed/"
    spoiled: list[int] = []

    def spoil(route: Route) -> None:
        # A challenge whose signature no longer matches (its expiry moved): the server
        # answers its proof with 422 `proof`, as it does a spent or expired one.
        if len(spoiled) >= budget[0]:
            route.fallback()
            return
        answer = route.fetch()
        made = answer.json()
        made["parameters"]["expiresAt"] -= 1
        spoiled.append(1)
        route.fulfill(response=answer, json=made)

    budget = [1]
    page.route(re.compile(r"/api/v1/challenge\?"), spoil)
    posts = requests_to(page, "/api/v1/comments")
    page.goto(servers.page(uri))
    fill(page, "Bo", "Second time lucky.")
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator("#parley article", has_text="Bo says:")).to_contain_text(
        "Second time lucky."
    )
    sent = [json.loads(r.post_data or "{}") for r in posts if r.method == "POST"]
    assert len(sent) == 2 and sent[0]["key"] == sent[1]["key"]
    assert sent[0]["proof"] != sent[1]["proof"]
    read = servers.request("GET", f"/api/v1/comments?site=demo&uri={uri}")
    assert [c["author"] for c in read["comments"]] == ["Bo"]

    # Refused twice: the reader sees the server's message and keeps every word typed.
    budget[0] = 3
    fill(page, "Bo", "Unlucky twice.")
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator("#parley [role=alert]")).to_contain_text("post again")
    expect(page.locator("#parley #pf-text")).to_have_value("Unlucky twice.")
    assert len([r for r in posts if r.method == "POST"]) == 4


def test_a_held_comment_tells_the_reader_and_not_why(page: Page, servers: Servers) -> None:
    # On a site that publishes at once, a comment with many links is held for the owner:
    # the reader is told it awaits moderation, not which rule held it.
    uri = "/t/pow-held/"
    page.goto(servers.page(uri))
    links = " ".join(f"https://shop{i}.example/" for i in range(5))
    fill(page, "Cy", "Deals: " + links)
    with page.expect_response(re.compile(r"/api/v1/comments$")) as answer:
        page.get_by_role("button", name="Post Comment").click()
    pending = "Your comment is awaiting moderation."
    expect(page.locator("#parley [role=status]")).to_have_text(pending)
    held = page.locator("#parley article", has_text="Cy says:")
    expect(held.locator(".x")).to_have_text(pending)
    # What reached the reader's browser says nothing of the rule either.
    assert answer.value.status == 202
    told = answer.value.json()
    assert told["comment"]["status"] == "pending"
    assert "reason" not in json.dumps(told) and "too many" not in json.dumps(told)
