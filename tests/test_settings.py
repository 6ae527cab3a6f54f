"""Configuration is read once and refused early, with a message naming the problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.cli import main
from backend.settings import ConfigError, Moderation, Settings, SiteConfig


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"PARLEY_STORE": f"sqlite:///{tmp_path}/p.db", **env})


def test_local_defaults(tmp_path: Path) -> None:
    s = settings(tmp_path)
    assert s.store.scheme == "sqlite" and s.store.path == f"{tmp_path}/p.db"
    assert list(s.sites) == ["demo"]
    assert s.sites["demo"].allows_origin("http://127.0.0.1:8000")
    assert s.sites["demo"].allows_origin("http://localhost:1313")
    assert not s.sites["demo"].allows_origin("http://127.0.0.1:80x")
    assert not s.sites["demo"].allows_origin("https://evil.test")
    # The generated local key is kept beside the database and reused on the next start.
    key_file = tmp_path / "p.db.key"
    assert key_file.read_text() == s.secret_keys[0]
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert settings(tmp_path).secret_keys == s.secret_keys


def test_sites_from_json_and_toml(tmp_path: Path) -> None:
    sites = {"blog": {"origins": ["https://blog.example"], "moderation": "first-time"}}
    s = settings(tmp_path, PARLEY_SITES=json.dumps(sites))
    assert s.sites["blog"].moderation is Moderation.FIRST_TIME
    toml = tmp_path / "sites.toml"
    toml.write_text('[blog]\norigins = ["https://blog.example"]\nmoderation = "all"\n')
    assert settings(tmp_path, PARLEY_SITES=str(toml)).sites["blog"].moderation is Moderation.ALL


def test_dynamodb_url(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            "PARLEY_STORE": "dynamodb://parley?region=eu-west-1&endpoint=http://127.0.0.1:5000",
            "PARLEY_SECRET_KEYS": "new-key-0123456789abcdef, old-key-0123456789abcdef",
            "PARLEY_SITES": '{"blog": {"origins": ["https://blog.example"]}}',
        }
    )
    assert (s.store.table, s.store.region, s.store.endpoint) == (
        "parley",
        "eu-west-1",
        "http://127.0.0.1:5000",
    )
    assert s.secret_keys == ("new-key-0123456789abcdef", "old-key-0123456789abcdef")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PARLEY_STORE": "postgres://x"}, "unknown store"),
        ({"PARLEY_STORE": "sqlite://"}, "sqlite:///path"),
        ({"PARLEY_STORE": "dynamodb://t"}, "region"),
        (
            {"PARLEY_STORE": "dynamodb://t?region=us-east-1", "PARLEY_SITES": '{"a": {}}'},
            "PARLEY_SECRET_KEYS is required",
        ),
        (
            {"PARLEY_STORE": "dynamodb://t?region=us-east-1", "PARLEY_SECRET_KEYS": "k" * 20},
            "PARLEY_SITES is required",
        ),
        ({"PARLEY_SECRET_KEYS": "short"}, "at least 16"),
        ({"PARLEY_SITES": "{not json"}, "not valid JSON"),
        ({"PARLEY_SITES": "/no/such/file.toml"}, "cannot read"),
        ({"PARLEY_SITES": '{"blog": {"moderation": "sometimes"}}'}, "moderation"),
        ({"PARLEY_SITES": '{"blog": {"origins": ["blog.example"]}}'}, "origin"),
        ({"PARLEY_SITES": '{"blog": {"colour": "red"}}'}, "colour"),
        ({"PARLEY_SITES": '{"bad name!": {}}'}, "valid site name"),
        ({"PARLEY_SITES": '{"b": {"admin_token_hashes": ["md5:x"]}}'}, "sha256"),
        ({"PARLEY_SITES": '{"b": {"webhook": "file:///etc/passwd"}}'}, "webhook"),
        ({"PARLEY_SITES": '{"b": "all"}'}, "table of settings"),
        ({"PARLEY_SITES": '{"b": {"edit_window_s": true}}'}, "edit_window_s: must be a whole"),
        ({"PARLEY_SITES": '{"b": {"edit_window_s": 900.5}}'}, "edit_window_s: must be a whole"),
        ({"PARLEY_SITES": '{"b": {"edit_window_s": 604801}}'}, "edit_window_s: must be 0 to"),
        ({"PARLEY_SITES": '{"b": {"rate_limit_per_minute": 0}}'}, "rate_limit_per_minute"),
        ({"PARLEY_SITES": '{"b": {"purge_pending_after_s": -1}}'}, "at least 0"),
        ({"PARLEY_SITES": '{"b": {"require_email": "yes"}}'}, "require_email: must be true"),
        ({"PARLEY_SITES": '{"b": {"origins": "https://b.example"}}'}, "origins: must be a list"),
        ({"PARLEY_SITES": '{"b": {"webhook_secret": "short"}}'}, "webhook_secret: must be at"),
        ({"PARLEY_SITES": '{"b": {"notify": "some"}}'}, "notify: must be one of all"),
        ({"PARLEY_SITES": '{"b": {"notify_emails": ["me"]}}'}, "notify_emails: 'me' is not"),
        ({"PARLEY_SITES": '{"b": {"notify_digest": "weekly"}}'}, "notify_digest: must be one"),
        (
            {"PARLEY_SITES": '{"b": {"announce_accounts": ["me"]}}'},
            "announce_accounts: 'me' is not a Mastodon account",
        ),
        (
            {"PARLEY_SITES": '{"b": {"colour": 1, "moderation": 2}}'},
            "colour: unknown setting; moderation: must be one of none, first-time, all",
        ),
        ({"PARLEY_TRUSTED_PROXIES": "two"}, "whole number"),
        ({"PARLEY_PUBLIC_URL": "ftp://x"}, "PARLEY_PUBLIC_URL"),
    ],
)
def test_bad_configuration_is_refused(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"PARLEY_STORE": f"sqlite:///{tmp_path}/p.db", **env})


def test_cli_reports_configuration_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PARLEY_STORE", "mysql://nope")
    assert main(["serve"]) == 2
    assert "configuration error" in capsys.readouterr().err


def test_site_settings_round_trip_through_their_own_spelling() -> None:
    site = SiteConfig.parse(
        {
            "origins": ["https://Blog.example", "http://localhost:*"],
            "moderation": "first-time",
            "require_email": False,
            "edit_window_s": 0,
            "admin_token_hashes": ["sha256:" + "a" * 64],
            "webhook": "https://hooks.example/p",
            "webhook_secret": "s" * 16,
            "notify": "all",
            "notify_emails": ["owner@blog.example"],
            "notify_digest": "daily",
            "purge_pending_after_s": 60,
            "announce_accounts": ["@Me@Mastodon.Social", "Me.Bsky.Social"],
        }
    )
    assert site.origins == ("https://blog.example", "http://localhost:*")
    assert site.moderation is Moderation.FIRST_TIME and site.require_email is False
    assert site.announce_accounts == ("me@mastodon.social", "me.bsky.social")
    assert SiteConfig.parse(site.to_dict()) == site
    assert SiteConfig.parse({}) == SiteConfig()  # every key has a default
