"""The optional outside checks (backend/spam/outside.py), each off by default: Akismet's
comment-check, and a Turnstile or hCaptcha token verified on the server. Each is tested against
a local stand-in on 127.0.0.1 that checks the request as the service documents it and answers
as the service does; through the real app, on every store."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

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
    seen_tokens: set[str] = field(default_factory=set)


def _akismet_answer(state: StandIn, path: str, form: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Akismet's REST API, comment-check: a form POST with api_key, blog (a URL) and user_ip
    required; the body is `true` or `false`, or `invalid` with a debug header."""
    if path != "/1.1/comment-check":
        return "not found", {}
    if form.get("api_key") != KEY:
        return "invalid", {"X-akismet-debug-help": "We were unable to verify your API key."}
    if not form.get("blog", "").startswith(("http://", "https://")) or not form.get("user_ip"):
        return "Missing required field: blog or user_ip.", {"X-akismet-debug-help": "Empty"}
    if form.get("comment_author") == SPAMMER:
        return "true", {"X-akismet-pro-tip": "discard"}
    return "false", {}


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
            if kind == "akismet":
                body, headers = _akismet_answer(state, self.path, form)
                data, ctype = body.encode(), "text/plain; charset=utf-8"
            else:
                data = json.dumps(_siteverify_answer(state, self.path, form)).encode()
                headers, ctype = {}, "application/json"
            self.send_response(200)
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
            spam = post(client, site="open", author=SPAMMER, text="Buy things.", expect=202)
            reasons = queue(client, "spam")
        assert reasons == {spam["comment"]["id"]: "akismet: spam (blatant)"}
        assert ham["comment"]["status"] == "approved"
        form = akismet.forms[0]
        assert akismet.content_types[0] == "application/x-www-form-urlencoded"
        assert form["api_key"] == KEY and form["blog"] == ORIGIN
        assert form["user_ip"] == READER_IP and form["permalink"] == ORIGIN + "/post/"
        assert form["comment_type"] == "comment" and form["comment_content"] == "A kind word."
        assert form["comment_author"] == "JKB" and form["comment_author_email"] == "jkb@example.com"
        assert len(akismet.forms) == 2


def test_akismet_without_an_answer_is_no_opinion(
    store_and_url: tuple[Store, Any], clock: Clock
) -> None:
    with stand_in("akismet") as akismet:
        wrong_key = {"akismet_key": "not-the-key", "akismet_url": akismet.url + "/1.1"}
        with client_for(store_and_url, clock, wrong_key) as client:
            post(client, site="open", author=SPAMMER, expect=201)  # `invalid`: published
        assert len(akismet.forms) == 1
    nobody = {"akismet_key": KEY, "akismet_url": f"http://127.0.0.1:{free_port()}/1.1"}
    with client_for(store_and_url, clock, nobody) as client:
        post(client, site="open", author=SPAMMER, expect=201)  # refused connection: published


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
