"""The optional outside checks (backend/spam/outside.py), each off by default: Akismet's
comment-check, and a Turnstile or hCaptcha token verified on the server. Each is tested against
a local stand-in on 127.0.0.1 that checks the request as the service documents it and answers
as the service does; through the real app, on every store.

Akismet is called through the `akismet` library, which builds the request and reads the
answer: the stand-in checks what the library sends against Akismet's REST API documentation
(comment-check, API 1.1) and answers as that documentation says Akismet does."""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from starlette.testclient import TestClient

from backend.app import create_app
from backend.sites import SiteConfig, SiteProblems
from backend.store.base import Store
from tests.conftest import ORIGIN, Clock
from tests.helpers import post
from tests.moderation_support import OTHER_TOKEN, settings_for, sites
from tests.servers import free_port

KEY = "akismet-key-0123"
SECRET = "captcha-secret-0123456789"
READER_IP = "203.0.113.7"
SPAMMER = "akismet-guaranteed-spam"  # the author Akismet's docs name to test a spam answer


@dataclass
class StandIn:
    """What the stand-in received (each request's form) and its base URL."""

    url: str = ""
    forms: list[dict[str, str]] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seen_tokens: set[str] = field(default_factory=set)


# Akismet's documented comment-check fields: the three required, then the optional ones.
AKISMET_REQUIRED = {"api_key", "blog", "user_ip"}
AKISMET_OPTIONAL = {
    "user_agent", "referrer", "permalink", "comment_type", "comment_author",
    "comment_author_email", "comment_author_url", "comment_content", "comment_date_gmt",
    "comment_post_modified_gmt", "blog_lang", "blog_charset", "user_role", "is_test",
    "recheck_reason", "honeypot_field_name", "comment_context",
}  # fmt: skip
# The types its documentation lists (any string is accepted; these are the ones it names).
AKISMET_TYPES = {
    "comment", "forum-post", "reply", "blog-post", "contact-form", "signup", "message",
}  # fmt: skip


def _akismet_answer(
    state: StandIn, path: str, form: dict[str, str], agent: str
) -> tuple[str, dict[str, str]]:
    """Akismet's REST API 1.1, comment-check: a form POST with api_key, blog (the site's URL)
    and user_ip required; the body is `true` (with `X-akismet-pro-tip: discard` for blatant
    spam) or `false`; `invalid` for a key it does not know; any other answer is an error,
    explained in `X-akismet-debug-help`. A client names itself `Name/version | Plugin/version`.
    What the stand-in finds wrong in a request is kept in `state.problems`."""
    debug = "X-akismet-debug-help"
    if path != "/1.1/comment-check":
        state.problems.append(f"path {path}")
        return "Not found.", {debug: "No such endpoint."}
    if not re.fullmatch(r"[^|/]+/[^|]+( \| [^|/]+/[^|]+)+", agent):
        state.problems.append(f"user agent {agent!r}")
    unknown = set(form) - AKISMET_REQUIRED - AKISMET_OPTIONAL
    if unknown:
        state.problems.append(f"unknown fields {sorted(unknown)}")
    missing = sorted(f for f in AKISMET_REQUIRED if not form.get(f))
    if missing:
        return f"Missing required field: {missing[0]}.", {debug: f"Empty {missing[0]}"}
    if form["api_key"] != KEY:
        return "invalid", {debug: "We were unable to verify your API key."}
    if not form["blog"].startswith(("http://", "https://")):
        return "invalid", {debug: "The blog parameter must be a full URL."}
    try:
        ipaddress.ip_address(form["user_ip"])
    except ValueError:
        state.problems.append(f"user_ip {form['user_ip']!r}")
    if form.get("comment_type", "comment") not in AKISMET_TYPES:
        state.problems.append(f"comment_type {form['comment_type']!r}")
    if "comment_date_gmt" in form:
        datetime.fromisoformat(form["comment_date_gmt"])  # ISO 8601, or the stand-in fails
    if form.get("comment_author") == "stand-in: answer 500":
        return "", {"status": "500"}
    if form.get("comment_author") == "stand-in: answer nonsense":
        return "Something else.", {debug: "A made-up failure."}
    if form.get("comment_author") == SPAMMER:
        return "true", {"X-akismet-pro-tip": "discard", "X-akismet-guid": "g-1"}
    if form.get("comment_author_email") == SPAMMER + "@example.com":
        return "true", {"X-akismet-guid": "g-2"}
    return "false", {"X-akismet-guid": "g-3"}


def _siteverify_answer(state: StandIn, path: str, form: dict[str, str]) -> dict[str, Any]:
    """Turnstile's and hCaptcha's siteverify: a form POST with secret and response required
    (remoteip optional); JSON with success and error-codes. A token is good once."""
    if path != "/siteverify":
        return {"success": False, "error-codes": ["bad-request"]}
    if not form.get("secret"):
        return {"success": False, "error-codes": ["missing-input-secret"]}
    if form["secret"] != SECRET:
        return {"success": False, "error-codes": ["invalid-input-secret"]}
    token = form.get("response", "")
    if not token:
        return {"success": False, "error-codes": ["missing-input-response"]}
    if not token.startswith("good"):
        return {"success": False, "error-codes": ["invalid-input-response"]}
    if token in state.seen_tokens:
        return {"success": False, "error-codes": ["timeout-or-duplicate"]}
    state.seen_tokens.add(token)
    host = "elsewhere.example" if token.endswith("elsewhere") else "blog.test"
    return {"success": True, "challenge_ts": "2026-01-01T00:00:00Z", "hostname": host}


@contextmanager
def stand_in(kind: str) -> Iterator[StandIn]:
    state = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            state.forms.append(form)
            state.content_types.append(self.headers.get("Content-Type", ""))
            status = 200
            if kind == "akismet":
                agent = self.headers.get("User-Agent", "")
                state.agents.append(agent)
                body, headers = _akismet_answer(state, self.path, form, agent)
                status = int(headers.pop("status", "200"))
                data, ctype = body.encode(), "text/plain; charset=utf-8"
            else:
                data = json.dumps(_siteverify_answer(state, self.path, form)).encode()
                headers, ctype = {}, "application/json"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def client_for(
    store_and_url: tuple[Store, Any], clock: Clock, open_site: dict[str, Any]
) -> Iterator[TestClient]:
    store, url = store_and_url
    app = create_app(settings_for(url, sites(open=open_site)), store, clock=clock)
    with TestClient(
        app, base_url="http://api.test", headers={"Origin": ORIGIN}, client=(READER_IP, 50000)
    ) as client:
        yield client


def queue(client: TestClient, status: str) -> dict[str, str]:
    response = client.get(
        "/api/v1/admin/comments",
        params={"site": "open", "status": status},
        headers={"Authorization": f"Bearer {OTHER_TOKEN}"},
    )
    assert response.status_code == 200, response.text
    return {c["id"]: c["reason"] for c in response.json()["comments"]}


def test_every_outside_check_is_off_by_default() -> None:
    site = SiteConfig()
    assert (site.akismet_key, site.captcha) == (None, "off")


def test_akismet_sends_the_documented_fields_and_its_spam_goes_to_spam(
    store_and_url: tuple[Store, Any], clock: Clock
) -> None:
    with stand_in("akismet") as akismet:
        site = {"akismet_key": KEY, "akismet_url": akismet.url + "/1.1"}
        with client_for(store_and_url, clock, site) as client:
            ham = post(client, site="open", text="A kind word.", expect=201)
            blatant = post(client, site="open", author=SPAMMER, text="Buy things.", expect=202)
            spam = post(client, site="open", email=SPAMMER + "@example.com", expect=202)
            reply = post(client, site="open", parent=ham["comment"]["id"], expect=201)
            reasons = queue(client, "spam")
        assert reasons == {
            blatant["comment"]["id"]: "akismet: spam (blatant)",
            spam["comment"]["id"]: "akismet: spam",
        }
        assert ham["comment"]["status"] == reply["comment"]["status"] == "approved"
        assert akismet.problems == [] and len(akismet.forms) == 4
        assert set(akismet.content_types) == {"application/x-www-form-urlencoded"}
        form = akismet.forms[0]
        assert form["api_key"] == KEY and form["blog"] == ORIGIN
        assert form["user_ip"] == READER_IP and form["permalink"] == ORIGIN + "/post/"
        assert form["comment_type"] == "comment" and form["comment_content"] == "A kind word."
        assert form["comment_author"] == "JKB" and form["comment_author_email"] == "jkb@example.com"
        assert form["blog_charset"] == "UTF-8" and "comment_date_gmt" in form
        assert "comment_author_url" not in form  # empty fields are not sent
        assert akismet.forms[3]["comment_type"] == "reply"
        assert akismet.agents and all("akismet.py/" in a for a in akismet.agents)


def test_akismet_without_an_answer_is_no_opinion(
    store_and_url: tuple[Store, Any], clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="parley")
    with stand_in("akismet") as akismet:
        wrong_key = {"akismet_key": "not-the-key", "akismet_url": akismet.url + "/1.1"}
        with client_for(store_and_url, clock, wrong_key) as client:
            post(client, site="open", author=SPAMMER, expect=201)  # `invalid`: published
        site = {"akismet_key": KEY, "akismet_url": akismet.url + "/1.1"}
        with client_for(store_and_url, clock, site) as client:
            post(client, site="open", author="stand-in: answer 500", expect=201)
            post(client, site="open", author="stand-in: answer nonsense", expect=201)
        assert len(akismet.forms) == 3 and akismet.problems == []
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("akismet")]
    assert len(logged) == 3
    assert "invalid" in logged[0] and "500" in logged[1] and "A made-up failure." in logged[2]
    assert all("\n" not in line and KEY not in line for line in logged)
    nobody = {"akismet_key": KEY, "akismet_url": f"http://127.0.0.1:{free_port()}/1.1"}
    with client_for(store_and_url, clock, nobody) as client:
        post(client, site="open", author=SPAMMER, expect=201)  # refused connection: published


def test_akismet_is_asked_at_its_own_address_unless_the_site_names_another() -> None:
    from backend.spam.outside import Outside, akismet_target

    default = httpx.URL("https://rest.akismet.com/1.1/comment-check")
    assert akismet_target(default, None) == default
    moved = akismet_target(default, "http://127.0.0.1:8123/base/1.1/")
    assert moved == httpx.URL("http://127.0.0.1:8123/base/1.1/comment-check")
    assert Outside().akismet(SiteConfig(), None, READER_IP) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["turnstile", "hcaptcha"])
def test_a_captcha_token_is_verified_on_the_server(
    store_and_url: tuple[Store, Any], clock: Clock, kind: str
) -> None:
    with stand_in(kind) as service:
        site = {
            "captcha": kind,
            "captcha_secret": SECRET,
            "captcha_url": service.url + "/siteverify",
        }
        with client_for(store_and_url, clock, site) as client:
            for token, reason in (
                ("", "missing"),
                ("forged", "invalid-input-response"),
                ("good-elsewhere", "solved on another site"),
            ):
                refused = post(client, site="open", captcha=token, expect=422)
                assert error_of_json(refused) == ("captcha", {"captcha": reason})
            assert queue(client, "pending") == {} and queue(client, "approved") == {}
            post(client, site="open", captcha="good-1", expect=201)
            replayed = post(client, site="open", captcha="good-1", expect=422)
            assert error_of_json(replayed) == ("captcha", {"captcha": "timeout-or-duplicate"})
            assert len(queue(client, "approved")) == 1
        form = service.forms[-1]
        assert service.content_types[-1] == "application/x-www-form-urlencoded"
        assert form == {"secret": SECRET, "response": "good-1", "remoteip": READER_IP}
        assert len(service.forms) == 4  # no token: the service is not asked

    site["captcha_url"] = f"http://127.0.0.1:{free_port()}/siteverify"  # nobody answers
    with client_for(store_and_url, clock, site) as client:
        held = post(client, site="open", captcha="good-2", expect=202)
        reason = queue(client, "pending")[held["comment"]["id"]]
        assert reason == f"{kind}: not verified, the service did not answer"


def error_of_json(data: dict[str, Any]) -> tuple[str, dict[str, str]]:
    return data["error"]["code"], data["error"].get("fields", {})


def test_a_captcha_needs_its_secret() -> None:
    with pytest.raises(SiteProblems) as refused:
        SiteConfig.parse({"captcha": "turnstile"})
    assert "captcha_secret" in refused.value.problems
    with pytest.raises(SiteProblems) as refused:
        SiteConfig.parse({"captcha": "recaptcha", "captcha_secret": SECRET})
    assert "captcha" in refused.value.problems
    assert SiteConfig.parse({"captcha": "hcaptcha", "captcha_secret": SECRET}).captcha == "hcaptcha"
