"""Proof of work on posts (backend/spam/proof.py), on both stores, with the `altcha`
library's own solver and payload classes as the client: a bot that posts the widget's JSON
without solving gets 422 `proof`, a replayed proof gets 422, and nothing is stored."""

from __future__ import annotations

import base64
import json
from typing import Any

import altcha
import pytest
from starlette.testclient import TestClient

from backend.domain import errors
from backend.sites import SiteConfig, SiteProblems
from backend.spam.proof import Difficulty, Proofs
from backend.store.base import Store
from tests.conftest import Clock
from tests.helpers import error_of, new_key, proof, read, solve
from tests.moderation_support import app_client, sites

BODY = {"site": "blog", "uri": "/post/", "author": "Ann", "email": "ann@example.com",
        "text": "Hello there.", "hp": ""}  # fmt: skip


def _post(client: TestClient, **fields: Any) -> Any:
    return client.post("/api/v1/comments", json={**BODY, "key": new_key(), **fields})


def _refused(response: Any, reason: str) -> None:
    assert response.status_code == 422, response.text
    error = error_of(response)
    assert error["code"] == "proof"
    assert error["fields"] == {"proof": reason}


def test_the_challenge_is_the_librarys_own(client: TestClient) -> None:
    response = client.get("/api/v1/challenge", params={"site": "blog"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    data = response.json()
    assert set(data) == {"parameters", "signature"}
    made = altcha.Challenge.from_dict(data)
    assert made.to_dict() == data  # spelled exactly as the library spells it
    params = data["parameters"]
    assert params["algorithm"] == "PBKDF2/SHA-256"
    assert params["cost"] == 1 and params["data"] == {"site": "blog"}
    assert {"nonce", "salt", "keyPrefix", "keySignature", "expiresAt"} <= set(params)


def test_challenge_errors_are_in_the_error_shape(client: TestClient) -> None:
    assert error_of(client.get("/api/v1/challenge"))["code"] == "bad_request"
    response = client.get("/api/v1/challenge", params={"site": "nowhere"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "unknown_site"


def test_a_post_without_proof_is_refused_and_nothing_is_stored(client: TestClient) -> None:
    _refused(_post(client), "missing")
    _refused(_post(client, proof=""), "missing")
    assert read(client)["comments"] == []


def test_a_solved_proof_posts_once_and_a_replay_is_refused(client: TestClient) -> None:
    solved = proof(client)
    assert _post(client, proof=solved).status_code == 201
    _refused(_post(client, proof=solved, text="Again, with the same proof."), "used")
    assert [c["html"] for c in read(client)["comments"]] == ["<p>Hello there.</p>"]


def test_a_retry_of_the_same_draft_is_answered_not_refused(client: TestClient) -> None:
    body = {**BODY, "key": new_key(), "proof": proof(client)}
    first = client.post("/api/v1/comments", json=body)
    again = client.post("/api/v1/comments", json=body)  # the widget's retry: same key
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["comment"]["id"] == first.json()["comment"]["id"]


def test_a_proof_for_another_site_is_refused(client: TestClient) -> None:
    _refused(_post(client, proof=proof(client, "strict")), "other site")


def _tampered(solved: str, **solution: Any) -> str:
    data = json.loads(base64.b64decode(solved))
    data["solution"].update(solution)
    return base64.b64encode(json.dumps(data).encode()).decode()


def test_wrong_or_forged_work_is_refused(client: TestClient) -> None:
    solved = proof(client)
    _refused(_post(client, proof=_tampered(solved, derivedKey="00" * 32)), "invalid")
    # A challenge made with another key (a forger's) fails the signature.
    forged = altcha.create_challenge(
        "PBKDF2/SHA-256", 1, counter=3, data={"site": "blog"}, hmac_secret="guess",
        hmac_key_secret="guess",
    )  # fmt: skip
    _refused(_post(client, proof=solve(forged.to_dict())), "invalid")
    for junk in ("!!!", base64.b64encode(b"[1, 2]").decode(), base64.b64encode(b"{}").decode()):
        _refused(_post(client, proof=junk), "malformed")
    assert read(client)["comments"] == []


def test_proof_off_lets_a_post_through_without_one(
    store_and_url: tuple[Store, Any], clock: Clock
) -> None:
    with app_client(store_and_url, clock, sites(open={"proof": "off"})) as client:
        body = {**BODY, "site": "open", "key": new_key()}
        assert client.post("/api/v1/comments", json=body).status_code == 201
        _refused(client.post("/api/v1/comments", json={**body, "site": "blog"}), "missing")


def test_absent_is_required() -> None:
    assert SiteConfig.parse({}).proof == "required"
    with pytest.raises(SiteProblems, match="proof: must be one of required, off"):
        SiteConfig.parse({"proof": "maybe"})


def test_proofs_expire_and_survive_a_key_rotation() -> None:
    easy = Difficulty(cost=1, max=5)
    then = Proofs(["old-key-0123456789"], wall=lambda: 1_000_000.0)
    stale = solve(then.challenge("blog", easy))
    with pytest.raises(errors.ProofRefused) as refused:
        Proofs(["old-key-0123456789"]).verify("blog", stale)
    assert refused.value.reason == "expired"
    before = solve(Proofs(["old-key-0123456789"]).challenge("blog", easy))
    rotated = Proofs(["new-key-0123456789", "old-key-0123456789"])
    assert rotated.verify("blog", before).spend_key.startswith("proof\0")
    with pytest.raises(errors.ProofRefused):
        Proofs(["new-key-0123456789"]).verify("blog", before)
