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
    # Only on this path, and botocore rather than boto3 (whose import pulls in s3transfer).
    import botocore.session

    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    ssm: Any = botocore.session.get_session().create_client("ssm", region_name=region)
    try:
        answer = ssm.get_parameter(Name=name, WithDecryption=True)
    except Exception as exc:  # any failure here means the function cannot start
        raise ConfigError(f"{SECRET_PARAM_VAR}={name!r}: cannot read the parameter: {exc}") from exc
    env["PARLEY_SECRET_KEYS"] = str(answer["Parameter"]["Value"])
    return env
