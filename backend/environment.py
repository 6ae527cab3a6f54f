"""The process environment as Parley's Lambda functions read it: PARLEY_SECRET_KEYS fetched
from SSM when only its parameter's name is set (shared by the API and the worker function)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.settings import ConfigError

SECRET_PARAM_VAR = "PARLEY_SECRET_KEYS_PARAM"  # noqa: S105 (a variable name, not a secret)


def resolve_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The PARLEY_* environment with the secret keys fetched from SSM when only named there."""
    env = dict(environ)
    name = env.get(SECRET_PARAM_VAR, "").strip()
    if env.get("PARLEY_SECRET_KEYS", "").strip() or not name:
        return env
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
    try:
        value = _parameter(name, region, env)
    except Exception as exc:  # any failure here means the function cannot start
        raise ConfigError(f"{SECRET_PARAM_VAR}={name!r}: cannot read the parameter: {exc}") from exc
    env["PARLEY_SECRET_KEYS"] = value
    return env


def _parameter(name: str, region: str, env: Mapping[str, str]) -> str:
    """One SecureString from SSM, decrypted. In a Lambda sandbox through Parley's own
    JSON-protocol client (the DynamoDB reads' own, backend/store/dynamo/wire.py): botocore would
    be imported and its SSM model parsed at every cold start for this one request (bench/
    RESULTS.md). Elsewhere (a profile, SSO), or where botocore's endpoint rules are needed,
    through botocore's client."""
    from backend.store.dynamo.wire import WireClient, lambda_credentials, service_endpoint

    credentials, endpoint = lambda_credentials(env), service_endpoint("ssm", region, env)
    if credentials is not None and endpoint is not None:
        ssm = WireClient(
            endpoint,
            region,
            credentials,
            read_timeout=10.0,  # once a sandbox, before any reader waits on it
            service="ssm",
            target="AmazonSSM",
            content_type="application/x-amz-json-1.1",
        )
        try:
            answer = ssm.call("GetParameter", {"Name": name, "WithDecryption": True})
        finally:
            ssm.close()
    else:
        # botocore rather than boto3 (whose import pulls in s3transfer).
        import botocore.session

        session = botocore.session.get_session()
        client: Any = session.create_client("ssm", region_name=region or None)
        answer = client.get_parameter(Name=name, WithDecryption=True)
    return str(answer["Parameter"]["Value"])
