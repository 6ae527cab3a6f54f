"""`make deploy`'s steps that need no AWS account: the signing secret (on moto's SSM), the sites
check, and the order deploy runs in (a stand-in serverless records its arguments). The real
`serverless package` through the same argument builder runs in tests/test_infra.py."""

from __future__ import annotations

import importlib.util
import json
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import botocore.session
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parent.parent


def load_deploy() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy", ROOT / "scripts" / "deploy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


deploy = load_deploy()


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield botocore.session.get_session().create_client("ssm", region_name="eu-west-1")


def test_secret_is_created_once_as_a_secure_string(ssm: Any) -> None:
    name = "/parley/prod/secret-keys"
    assert deploy.ensure_secret(ssm, name) is True
    stored = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert stored["Type"] == "SecureString"
    assert len(stored["Value"]) >= 32
    # A second deploy keeps the key (tokens and links signed with it stay valid).
    assert deploy.ensure_secret(ssm, name) is False
    again = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert again["Value"] == stored["Value"]
    assert again["Version"] == stored["Version"]


def test_secret_keys_differ_between_stages(ssm: Any) -> None:
    deploy.ensure_secret(ssm, "/parley/a/secret-keys")
    deploy.ensure_secret(ssm, "/parley/b/secret-keys")
    values = {
        ssm.get_parameter(Name=f"/parley/{s}/secret-keys", WithDecryption=True)["Parameter"][
            "Value"
        ]
        for s in "ab"
    }
    assert len(values) == 2


def test_a_plain_string_parameter_is_refused(ssm: Any) -> None:
    ssm.put_parameter(Name="/parley/prod/secret-keys", Value="x" * 40, Type="String")
    with pytest.raises(deploy.DeployError, match="SecureString"):
        deploy.ensure_secret(ssm, "/parley/prod/secret-keys")


def test_secret_name_follows_serverless_parameter() -> None:
    assert deploy.secret_param_name("prod", {}) == "/parley/prod/secret-keys"
    assert deploy.secret_param_name("prod", {"secretKeysParam": "/x/y"}) == "/x/y"


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "not found"), ("{", "not valid JSON"), ("[]", "map site names"), ("{}", "map site")],
)
def test_sites_file_is_checked(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "sites.prod.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(deploy.DeployError, match=message):
        deploy.check_sites(path)


def test_bad_param_is_refused() -> None:
    with pytest.raises(deploy.DeployError, match="NAME=VALUE"):
        deploy.parse_params(["cdn"])


def fake_serverless(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in for node_modules/.bin/serverless that writes its arguments to a file."""
    record = tmp_path / "serverless-args.json"
    script = tmp_path / "serverless"
    script.write_text(
        "#!/usr/bin/env python3\nimport json, sys\n"
        f"json.dump(sys.argv[1:], open({str(record)!r}, 'w'))\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, record


def test_deploy_creates_the_secret_then_runs_serverless_deploy(
    ssm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, record = fake_serverless(tmp_path)
    sites = tmp_path / "sites.prod.json"
    sites.write_text(json.dumps({"blog": {"origins": ["https://b.example"]}}), encoding="utf-8")
    monkeypatch.setattr(deploy, "serverless_command", lambda: [str(script)])
    monkeypatch.setattr(deploy, "ssm_client", lambda region: ssm)
    status = deploy.run(
        ["deploy", "--stage", "prod", "--sites", str(sites), "--param", "cdn=true", "--skip-build"]
    )
    assert status == 0
    args = json.loads(record.read_text(encoding="utf-8"))
    assert args[:5] == ["deploy", "--stage", "prod", "--region", args[4]]
    assert f"--param=sitesFile={sites.resolve()}" in args
    assert "--param=cdn=true" in args
    stored = ssm.get_parameter(Name="/parley/prod/secret-keys", WithDecryption=True)
    assert stored["Parameter"]["Type"] == "SecureString"


def test_package_touches_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script, record = fake_serverless(tmp_path)
    sites = tmp_path / "sites.dev.json"
    sites.write_text(json.dumps({"blog": {"origins": ["https://b.example"]}}), encoding="utf-8")
    monkeypatch.setattr(deploy, "serverless_command", lambda: [str(script)])

    def no_aws(region: str) -> Any:
        raise AssertionError("package must not reach AWS")

    monkeypatch.setattr(deploy, "ssm_client", no_aws)
    assert deploy.run(["package", "--sites", str(sites), "--skip-build"]) == 0
    args = json.loads(record.read_text(encoding="utf-8"))
    assert args[0] == "package" and "--stage" in args and "dev" in args


def test_make_deploy_passes_stage_sites_and_params() -> None:
    result = subprocess.run(
        ["make", "-n", "deploy", "STAGE=prod", "SITES=sites.prod.json", "PARAMS=cdn=true a=b"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in result.stdout.splitlines() if "scripts/deploy.py" in x)
    assert line.split()[1:] == [
        "scripts/deploy.py",
        "deploy",
        "--stage",
        "prod",
        "--region",
        "us-east-1",
        "--sites",
        "sites.prod.json",
        "--param",
        "cdn=true",
        "--param",
        "a=b",
    ]
