"""The flood ceiling (backend/domain/ceiling.py, backend/api/ceiling.py): what one Lambda
sandbox may answer a second, whoever asks. bench/flood.py's worst hour rests on the bounds
checked here: requests a second, bytes a second, and a network over its share refused
without reaching the routes (no storage read or write)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from backend.app import create_app
from backend.domain.ceiling import Budget, SandboxCeiling, network_of
from backend.settings import ConfigError, Settings
from backend.store.sqlite import SQLiteStore
from tests.conftest import ORIGIN, make_settings

CEILING = SandboxCeiling(requests_per_s=20, bytes_per_s=131072, network_requests_per_s=5)


def flood(budget: Budget, seconds: float, answer_bytes: int, networks: int) -> tuple[int, int]:
    """Back-to-back requests into one sandbox (one at a time, as Lambda sends them) from
    `networks` networks in turn, for `seconds` of simulated time. Each answer takes 0.5 ms;
    a refusal is 300 bytes. Returns (answered, refused)."""
    now, answered, refused, i = 0.0, 0, 0, 0
    while now < seconds:
        i += 1
        admission = budget.admit(now, f"10.{i % networks // 256}.{i % networks % 256}.7")
        now += admission.wait_s + 0.0005
        if admission.admitted:
            answered += 1
            budget.charge(answer_bytes)
        else:
            refused += 1
            budget.charge(300)
    return answered, refused


def test_a_sandbox_answers_at_most_its_requests_a_second() -> None:
    budget = Budget(CEILING)
    answered, refused = flood(budget, 60, answer_bytes=500, networks=1000)
    # The burst (2 s deep) plus 20 a second: a flood of tiny answers is billed for at most
    # that many requests, however many the attacker sends.
    assert answered + refused <= 20 * 60 + 40 + 1
    assert answered >= 20 * 60 - 1  # and a sandbox that is not in debt does answer them


def test_a_sandbox_sends_at_most_its_bytes_a_second() -> None:
    budget = Budget(CEILING)
    answered, refused = flood(budget, 60, answer_bytes=14_174, networks=1000)
    sent = answered * 14_174 + refused * 300
    # One answer may overdraw (its size is known only once sent): the bound is the bucket's
    # depth, the rate over the flood and the last request's wait, and one answer.
    assert sent <= 131072 * (60 + 1 + 2) + 14_174
    assert answered + refused <= 20 * 60 + 40 + 1
    # The bytes bind first: requests wait for the debt to be repaid (under a second each).
    assert answered < 20 * 60 / 2


def test_a_huge_answer_puts_the_sandbox_in_debt_and_the_next_request_waits_then_is_refused() -> (
    None
):
    budget = Budget(CEILING)
    assert budget.admit(0.0, "10.0.0.1").admitted
    budget.charge(5_000_000)
    nxt = budget.admit(0.001, "10.0.0.2")
    assert (nxt.wait_s, nxt.admitted) == (1.0, False)


def test_one_network_over_its_share_is_refused_and_others_are_not() -> None:
    budget = Budget(CEILING)
    now, mine = 0.0, []
    for _ in range(200):
        admission = budget.admit(now, "203.0.113.9")
        now += admission.wait_s + 0.001
        mine.append(admission.admitted)
    assert mine.count(False) > 100  # 50 at once, then 5 a second
    assert budget.admit(now, "198.51.100.4").admitted  # another network's reader
    assert not budget.admit(now, "203.0.113.200").admitted  # same /24


def test_networks_are_a_slash_24_and_a_slash_64() -> None:
    assert network_of("203.0.113.9") == "203.0.113.0/24"
    assert network_of("::ffff:203.0.113.9") == "203.0.113.0/24"
    assert network_of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert network_of("testclient") == "testclient"


def test_the_setting_is_three_positive_numbers() -> None:
    env = {"PARLEY_SANDBOX_CEILING": "20,131072,5"}
    assert Settings.from_env(env).ceiling == CEILING
    assert Settings.from_env({}).ceiling is None
    for bad in ("20,131072", "20,0,5", "a,b,c", "5,131072,20", "20,131072,5,1"):
        with pytest.raises(ConfigError, match="PARLEY_SANDBOX_CEILING"):
            Settings.from_env({"PARLEY_SANDBOX_CEILING": bad})


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[tuple[TestClient, list[float]]]:
    store = SQLiteStore(tmp_path / "parley.db")
    store.setup()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    settings = dataclasses.replace(make_settings(f"sqlite:///{tmp_path / 'parley.db'}"),
                                   ceiling=CEILING)  # fmt: skip
    app = create_app(settings, store)
    guard = app.user_middleware[0]
    guard.kwargs["sleep"] = sleep
    guard.kwargs["clock"] = lambda: 100.0  # time stands still: only the budget moves
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as client:
        yield client, slept
    store.close()


def test_the_guard_refuses_in_the_documented_shape_after_the_longest_wait(
    guarded: tuple[TestClient, list[float]],
) -> None:
    client, slept = guarded
    plain = {"Accept-Encoding": "identity"}  # the largest body, as a flood would ask
    answers = [client.get("/api/v1/openapi.json", headers=plain) for _ in range(20)]
    assert answers[0].status_code == 200
    refused = [a for a in answers if a.status_code == 429]
    # 28 KB each against a 256 KB bucket: the budget runs dry within ten answers.
    assert refused, [a.status_code for a in answers]
    assert refused[0].json()["error"]["code"] == "rate_limited"
    assert refused[0].headers["retry-after"] == "1"
    # with the site's CORS headers, so the widget on the blog's page can read the 429
    assert refused[0].headers["access-control-allow-origin"] == ORIGIN
    assert 1.0 in slept


def test_parley_serve_has_no_ceiling(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "parley.db")
    store.setup()
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'parley.db'}"), store)
    assert all(m.cls.__name__ != "CeilingGuard" for m in app.user_middleware)
    store.close()
